"""Refuses request bodies larger than MAX_REQUEST_BYTES, announced or streamed, with a 413."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import PayloadTooLarge


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self._app = app
        self._max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self._max_bytes:
            await _refuse(send, self._max_bytes)
            return
        received = 0
        exceeded = responded = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            received += len(message.get("body", b""))
            if received > self._max_bytes:
                exceeded = True
                raise PayloadTooLarge(user_message=_message(self._max_bytes))
            return message

        async def guarded(message: Message) -> None:
            nonlocal responded
            if exceeded:
                # Whatever the app made of the aborted read (FastAPI answers 400), the
                # client gets the 413 it deserves.
                if message["type"] == "http.response.start" and not responded:
                    await _refuse(send, self._max_bytes)
                responded = True
                return
            responded = True
            await send(message)

        try:
            await self._app(scope, counted, guarded)
        except PayloadTooLarge:
            if not responded:
                await _refuse(send, self._max_bytes)


def _message(max_bytes: int) -> str:
    return f"The request is larger than the {max_bytes} bytes allowed."


async def _refuse(send: Send, max_bytes: int) -> None:
    body = json.dumps(PayloadTooLarge(user_message=_message(max_bytes)).to_json()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})
