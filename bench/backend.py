"""A paced OpenAI-compatible backend for the benchmark: every reply is shaped by the prompt.

    python bench/backend.py --port PORT

Runs with the generated proxy's Python (it needs Starlette and uvicorn, nothing else). The last
user message says what to stream, e.g. `bench tokens=200 first_ms=0 gap_ms=0`: that many tokens,
the first after `first_ms`, the others `gap_ms` apart, each scheduled from the start of the
reply so the pace does not drift. With `gap_ms=0` tokens go out as fast as this server can
write them, which is how a Starlette/uvicorn model server streams when it is not waiting on a
GPU. The same prompt sent directly and through the proxy gets the same reply, which is what
makes the benchmark's direct vs proxied comparison pairwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from collections.abc import AsyncIterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

_SPEC = re.compile(r"(tokens|first_ms|gap_ms)=(\d+(?:\.\d+)?)")
DEFAULTS = {"tokens": 20.0, "first_ms": 0.0, "gap_ms": 0.0}


def reply_spec(messages: list[dict[str, object]]) -> dict[str, float]:
    last = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "")
    spec = dict(DEFAULTS)
    spec.update({key: float(value) for key, value in _SPEC.findall(str(last))})
    return spec


def _chunk(model: str, delta: dict[str, str], finish: str | None) -> bytes:
    payload = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


async def _stream(model: str, spec: dict[str, float]) -> AsyncIterator[bytes]:
    start = time.perf_counter()
    tokens = int(spec["tokens"])
    first, gap = spec["first_ms"] / 1000, spec["gap_ms"] / 1000
    token = _chunk(model, {"content": "tok "}, None)
    for index in range(tokens):
        due = start + first + index * gap
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        yield token
    yield _chunk(model, {}, "stop")
    yield b"data: [DONE]\n\n"


async def chat(request: Request) -> Response:
    body = await request.json()
    spec = reply_spec(body["messages"])
    return StreamingResponse(_stream(body["model"], spec), media_type="text/event-stream")


async def models(request: Request) -> Response:
    return JSONResponse({"object": "list", "data": [{"id": "bench-model", "object": "model"}]})


app = Starlette(
    routes=[
        Route("/v1/chat/completions", chat, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
    ]
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        backlog=4096,
    )


if __name__ == "__main__":
    main()
