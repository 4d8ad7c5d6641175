"""Keeps the browser's event stream alive while the backend is silent.

Load balancers and proxies cut connections that stay quiet for about a minute; an SSE comment
(`: ping`), which every SSE client ignores, goes out whenever no event has for a while.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

PING = b": ping\n\n"


class EventStreamResponse(Response):
    """An ASGI response streaming `events`, with PING whenever none went out for `interval` s.

    The events are sent by the request's own task as they come. A watcher task per stream
    waits for the client to leave (then the stream is cancelled where it waits, normally on the
    backend, so the upstream request closes and the partial answer is saved) and, when the
    stream has been quiet for `interval`, sends the ping: nothing is added per event.
    """

    def __init__(
        self, events: AsyncIterable[bytes], interval: float, headers: dict[str, str]
    ) -> None:
        self.status_code = 200
        self.media_type = "text/event-stream"
        self.background = None
        self.init_headers(headers)
        self._events = events
        self._interval = interval
        self._last_sent = 0.0
        self._sending = asyncio.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        loop = asyncio.get_running_loop()
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        self._last_sent = loop.time()
        with anyio.CancelScope() as stream:
            watcher = asyncio.create_task(self._watch(receive, send, stream))
            try:
                async for event in self._events:
                    await self._send(send, event)
                    self._last_sent = loop.time()
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            finally:
                watcher.cancel()
        if self.background is not None:
            await self.background()

    async def _send(self, send: Send, body: bytes) -> None:
        async with self._sending:
            await send({"type": "http.response.body", "body": body, "more_body": True})

    async def _watch(self, receive: Receive, send: Send, stream: anyio.CancelScope) -> None:
        loop = asyncio.get_running_loop()
        while True:
            wait = self._interval - (loop.time() - self._last_sent)
            if wait <= 0:
                if not self._sending.locked():  # an event on its way is as good as a ping
                    await self._send(send, PING)
                self._last_sent = loop.time()
                continue
            try:
                async with asyncio.timeout(wait):
                    while (await receive())["type"] != "http.disconnect":
                        pass
            except TimeoutError:
                continue
            stream.cancel()
            return
