"""A small OpenAI-compatible chat backend, so a new project chats before a real model exists.

    uv run python dev_backend.py --port 8001 [--delay 0.05]

It streams a canned reply token by token, `--delay` seconds apart, from
`POST /v1/chat/completions` (with `stream: true` or without) and lists one model at
`GET /v1/models`. It checks the proxy's credentials the way `dev_backend_auth.py` says, reading
the same settings as the proxy from the environment, so a misconfigured credential fails in
development with a message naming the setting. Tests run it in-process and read `requests`
to see what the proxy sent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from dev_backend_auth import DevBackendAuth


class DevBackend:
    def __init__(
        self, auth: DevBackendAuth, *, delay: float = 0.05, model: str = "dev-model"
    ) -> None:
        self.auth = auth
        self.delay = delay
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.open_streams = 0
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
                *auth.routes(),
            ]
        )

    def reply_to(self, messages: list[dict[str, Any]]) -> str:
        last = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
        turns = sum(1 for m in messages if m.get("role") == "user")
        return (
            f"You said: “{last}”. This is message {turns} of our conversation, "
            "streamed by the dev backend one token at a time. Set CUSTOM_BACKEND_URL "
            "to your own OpenAI-compatible server for real answers."
        )

    def _refuse(self, request: Request) -> Response | None:
        self.headers.append(dict(request.headers))
        reason = self.auth.refusal(request)
        return None if reason is None else _error(401, reason)

    async def _models(self, request: Request) -> Response:
        refused = self._refuse(request)
        if refused:
            return refused
        return JSONResponse({"object": "list", "data": [{"id": self.model, "object": "model"}]})

    async def _chat(self, request: Request) -> Response:
        refused = self._refuse(request)
        if refused:
            return refused
        try:
            body = await request.json()
            messages = body["messages"]
            model = body["model"]
        except (ValueError, KeyError, TypeError):
            return _error(400, "Body must be JSON with 'model' and 'messages'.")
        self.requests.append(body)
        text = self.reply_to(messages)
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:12]}"
        if body.get("stream"):
            return StreamingResponse(
                self._chunks(completion_id, model, text), media_type="text/event-stream"
            )
        await asyncio.sleep(self.delay * len(_tokens(text)))
        return JSONResponse(
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
            }
        )

    async def _chunks(self, completion_id: str, model: str, text: str) -> AsyncIterator[str]:
        self.open_streams += 1
        try:
            for token in _tokens(text):
                await asyncio.sleep(self.delay)
                yield _chunk(completion_id, model, {"content": token}, None)
            yield _chunk(completion_id, model, {}, "stop")
            yield "data: [DONE]\n\n"
        finally:
            self.open_streams -= 1


def _tokens(text: str) -> list[str]:
    return re.findall(r"\S+\s*", text)


def _chunk(completion_id: str, model: str, delta: dict[str, str], finish: str | None) -> str:
    payload = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": "invalid_request_error"}}, status_code=status
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds between tokens")
    parser.add_argument("--model", default="dev-model")
    args = parser.parse_args()
    backend = DevBackend(DevBackendAuth.from_env(os.environ), delay=args.delay, model=args.model)
    uvicorn.run(backend.app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
