"""Keeps the browser's event stream alive while the backend is silent.

Load balancers and proxies cut connections that stay quiet for about a minute; an SSE comment
(`: ping`), which every SSE client ignores, goes out whenever no event has for a while.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator

import anyio

PING = b": ping\n\n"
# How long a leaving client's stream may take to wind down (it saves the partial answer).
_WIND_DOWN_SECONDS = 5.0


class _End:
    pass


async def with_heartbeat(events: AsyncIterable[bytes], interval: float) -> AsyncIterator[bytes]:
    """`events`, with PING in between whenever none came for `interval` seconds."""
    # The events are produced in a task of their own, one step ahead at most: a slow client
    # holds the producer back instead of making it buffer the reply.
    queue: asyncio.Queue[bytes | BaseException | _End] = asyncio.Queue(maxsize=1)
    producer = asyncio.create_task(_produce(events, queue))
    getter: asyncio.Future[bytes | BaseException | _End] | None = None
    try:
        while True:
            getter = getter or asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter}, timeout=interval)
            if not done:
                yield PING
                continue
            item, getter = getter.result(), None
            if isinstance(item, _End):
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        if getter is not None:
            getter.cancel()
        if not producer.done():
            # The client left: cancel the producer where it waits (normally on the backend),
            # so the upstream request closes and the partial answer is saved.
            producer.cancel()
            with anyio.move_on_after(_WIND_DOWN_SECONDS, shield=True):
                await asyncio.wait({producer})


async def _produce(
    events: AsyncIterable[bytes], queue: asyncio.Queue[bytes | BaseException | _End]
) -> None:
    try:
        async for event in events:
            await queue.put(event)
    except Exception as exc:
        await queue.put(exc)
    else:
        await queue.put(_End())
