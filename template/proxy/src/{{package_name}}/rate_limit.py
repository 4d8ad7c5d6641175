"""A per-user limit on messages sent to the backend (RATE_LIMIT, e.g. `30/minute`)."""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator
from typing import Protocol

from limits import parse
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError

from .conversation import ChatRequest
from .errors import RateLimited, SharedStateUnavailable


class ChatBackend(Protocol):
    def stream(self, request: ChatRequest) -> AsyncIterator[str]: ...

    async def probe(self) -> None: ...


class MessageRateLimit:
    def __init__(self, rate: str, counts: Storage) -> None:
        """`counts`: in this process, or in Redis to hold the limit across replicas."""
        self._rate = rate
        self._item = parse(rate)
        # Two counters per user and window, weighted: close to a moving window without keeping
        # (and expiring) a timestamp per message.
        self._limiter = SlidingWindowCounterRateLimiter(counts)

    async def check(self, user_id: str) -> None:
        """Count one message for `user_id`; RateLimited if that is one too many."""
        try:
            if await self._limiter.hit(self._item, "messages", user_id):
                return
            stats = await self._limiter.get_window_stats(self._item, "messages", user_id)
        except StorageError as exc:
            # Fail closed: a message that cannot be counted is not sent.
            raise SharedStateUnavailable(f"rate limit counts: {exc.storage_error!r}") from exc
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
