"""A per-user limit on messages sent to the backend (RATE_LIMIT, e.g. `30/minute`)."""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator
from typing import Protocol

from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from .conversation import ChatRequest
from .errors import RateLimited


class ChatBackend(Protocol):
    def stream(self, request: ChatRequest) -> AsyncIterator[str]: ...

    async def probe(self) -> None: ...


class MessageRateLimit:
    def __init__(self, rate: str) -> None:
        self._rate = rate
        self._item = parse(rate)
        # In memory, so per process: run one proxy process, or move the counts to Redis
        # (limits.aio.storage.RedisStorage) when you run several.
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    async def check(self, user_id: str) -> None:
        """Count one message for `user_id`; RateLimited if that is one too many."""
        if await self._limiter.hit(self._item, "messages", user_id):
            return
        stats = await self._limiter.get_window_stats(self._item, "messages", user_id)
        raise RateLimited(max(1, math.ceil(stats.reset_time - time.time())), self._rate)


class RateLimitedBackend:
    """The chat backend, with every request counted against its user's limit first."""

    def __init__(self, backend: ChatBackend, limit: MessageRateLimit) -> None:
        self._backend = backend
        self._limit = limit

    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        await self._limit.check(request.user_id)
        async for delta in self._backend.stream(request):
            yield delta

    async def probe(self) -> None:
        await self._backend.probe()
