"""A lean HTTP/1.1 streaming client that timestamps the first and last token of an answer.

The benchmark's own client must cost little and the same on every path, so it does no SSE or
JSON parsing: it decodes chunked transfer encoding and counts a marker that appears once per
text delta (`"content"` in an OpenAI chunk, `text_delta"` in a ChatKit event). Connections
are kept alive between requests, as Next.js and browsers do.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

OPENAI_DELTA = b'"content"'
CHATKIT_DELTA = b'text_delta"'
CHATKIT_ERROR = b'"type":"error"'


@dataclass
class Timing:
    """One streamed answer. Times are seconds from just before the request was written."""

    ttft: float = float("nan")
    ttlt: float = float("nan")
    deltas: int = 0
    status: int = 0
    error: str = ""
    server_timing: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and self.deltas > 0


class HttpError(Exception):
    pass


class Connection:
    """One keep-alive HTTP/1.1 connection to a loopback server."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(
            self.host, self.port, limit=1 << 20
        )

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except OSError:
                pass
            self._writer = self._reader = None

    async def stream(
        self, path: str, body: bytes, headers: dict[str, str], marker: bytes
    ) -> Timing:
        """POST `body` and time the answer's first and last occurrence of `marker`."""
        if self._writer is None:
            await self._open()
        timing = Timing()
        started = time.perf_counter()
        self._send(path, body, headers)
        try:
            status, response_headers = await self._read_head()
            timing.status = status
            timing.server_timing = response_headers.get("server-timing", "")
            tail = b""
            keep = len(marker) - 1
            async for chunk in self._body(response_headers):
                window = tail + chunk
                found = window.count(marker)
                if found:
                    now = time.perf_counter() - started
                    if not timing.deltas:
                        timing.ttft = now
                    timing.ttlt = now
                    timing.deltas += found
                if CHATKIT_ERROR in window:
                    timing.error = "error event"
                tail = window[-keep:]
            if status != 200:
                timing.error = f"HTTP {status}"
            if response_headers.get("connection", "").lower() == "close":
                await self.close()
        except (OSError, HttpError, asyncio.IncompleteReadError) as exc:
            timing.error = f"{type(exc).__name__}: {exc}"
            await self.close()
        return timing

    async def post_json(self, path: str, payload: object, headers: dict[str, str]) -> object:
        chunks = []
        if self._writer is None:
            await self._open()
        self._send(path, json.dumps(payload).encode(), headers)
        status, response_headers = await self._read_head()
        async for chunk in self._body(response_headers):
            chunks.append(chunk)
        if status != 200:
            raise HttpError(f"POST {path}: HTTP {status}: {b''.join(chunks)[:300]!r}")
        return json.loads(b"".join(chunks))

    def _send(self, path: str, body: bytes, headers: dict[str, str]) -> None:
        assert self._writer is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            + "\r\n"
        ).encode()
        self._writer.write(head + body)

    async def _read_head(self) -> tuple[int, dict[str, str]]:
        assert self._reader is not None
        raw = await self._reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise HttpError(f"bad status line {lines[0]!r}")
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        return int(parts[1]), headers

    async def _body(self, headers: dict[str, str]):
        reader = self._reader
        assert reader is not None
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size_line = await reader.readuntil(b"\r\n")
                size = int(size_line.split(b";", 1)[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")  # no trailers are expected
                    return
                yield await reader.readexactly(size)
                await reader.readexactly(2)
        elif "content-length" in headers:
            length = int(headers["content-length"])
            if length:
                yield await reader.readexactly(length)
        else:
            while chunk := await reader.read(65536):
                yield chunk
            await self.close()


def openai_body(prompt: str, model: str) -> bytes:
    return json.dumps(
        {
            "model": model,
            "messages": [{"role": "user", "content": prompt}],
            "stream": True,
            "user": "bench",
        }
    ).encode()


def chatkit_create_body(prompt: str) -> bytes:
    return json.dumps(
        {
            "type": "threads.create",
            "params": {
                "input": {
                    "content": [{"type": "input_text", "text": prompt}],
                    "attachments": [],
                    "inference_options": {},
                }
            },
        }
    ).encode()
