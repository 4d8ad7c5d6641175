"""Relays a backend's text deltas, joining those that arrive faster than they can be sent.

Each delta the browser gets costs the proxy a ChatKit event (build, serialise, one socket
write). A paced backend sends one token at a time and every token still goes out on its own,
as soon as it arrives. When deltas arrive faster than that (a fast backend, or a busy proxy),
whatever has piled up goes out as one delta: the text is the same, the work per token drops,
and the proxy keeps up instead of falling further behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

_END = object()
# Deltas read ahead of the browser at most; then the backend waits (backpressure).
MAX_PENDING = 512


async def coalesced(deltas: AsyncIterator[str]) -> AsyncIterator[str]:
    """Yield the text of `deltas`, each item everything that arrived since the last one.

    The backend is read by a task of its own, so a slow browser applies backpressure only
    once MAX_PENDING deltas wait. An error from the backend is raised after the text that
    came before it has been yielded. Closing this generator cancels the backend read.
    """
    pending: asyncio.Queue[object] = asyncio.Queue(MAX_PENDING)

    async def pump() -> None:
        try:
            async for delta in deltas:
                await pending.put(delta)
        except Exception as exc:  # handed to the consumer, who raises it in order
            await pending.put(exc)
        else:
            await pending.put(_END)

    reader = asyncio.create_task(pump())
    held: object = None  # an end or error read while joining text; it comes after that text
    try:
        while True:
            item = held if held is not None else await pending.get()
            held = None
            if item is _END:
                return
            if isinstance(item, Exception):
                raise item
            parts = [str(item)]
            while not pending.empty():
                item = pending.get_nowait()
                if not isinstance(item, str):
                    held = item
                    break
                parts.append(item)
            yield "".join(parts)
    finally:
        reader.cancel()
        await asyncio.wait({reader})
