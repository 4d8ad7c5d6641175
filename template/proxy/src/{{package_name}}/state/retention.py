"""Deletes threads nobody wrote to for THREAD_RETENTION_DAYS: at start-up, then every hour."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from ..observability.logs import logger
from .store import ChatStore

log = logger(__name__)

INTERVAL_SECONDS = 3600.0


async def delete_idle_threads(store: ChatStore, days: int) -> None:
    # ChatKit stamps items with the server's local time, without a zone: compare alike.
    cutoff = datetime.now() - timedelta(days=days)
    try:
        deleted = await store.delete_threads_idle_since(cutoff)
    except Exception:
        log.exception("deleting threads idle for over %d days failed; trying again later", days)
        return
    if deleted:
        log.info("deleted %d threads idle for over %d days", deleted, days)


@asynccontextmanager
async def retention(
    store: ChatStore, days: int, interval: float = INTERVAL_SECONDS
) -> AsyncIterator[None]:
    """Deletes idle threads once before the block (so before the first request), then every
    `interval` seconds in the background while it runs; nothing at all when `days` is 0."""
    if days == 0:
        yield
        return

    async def every_interval() -> None:
        while True:
            await asyncio.sleep(interval)
            await delete_idle_threads(store, days)

    await delete_idle_threads(store, days)
    task = asyncio.create_task(every_interval())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
