"""Refuses request bodies larger than MAX_REQUEST_BYTES, announced or streamed, with a 413."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import PayloadTooLarge


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

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self._max_bytes:
                # Raised inside the route's body read, so the app answers it like any error.
                raise PayloadTooLarge(user_message=_message(self._max_bytes))
            return message

        await self._app(scope, counted, send)


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
