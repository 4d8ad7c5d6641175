"""Rate limits (e.g. `30/minute`), each counting one kind of event per key: a user's messages,
a client address's messages, a client address's new anonymous identities."""

from __future__ import annotations

import math
import time

from limits import parse
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError

from ..errors import RateLimited, SharedStateUnavailable


class RateLimit:
    def __init__(self, name: str, rate: str, counts: Storage, *, refusal: str) -> None:
        """`counts`: in this process, or in Redis to hold the limit across replicas.
        `refusal`: the sentence a refused request gets, `{rate}` standing for the rate."""
        self._name = name
        self._refusal = refusal.format(rate=rate)
        self._item = parse(rate)
        # Two counters per key and window, weighted: close to a moving window without keeping
        # (and expiring) a timestamp per event.
        self._limiter = SlidingWindowCounterRateLimiter(counts)

    async def hit(self, key: str) -> None:
        """Count one event for `key`; RateLimited if that is one too many."""
        try:
            if await self._limiter.hit(self._item, self._name, key):
                return
            stats = await self._limiter.get_window_stats(self._item, self._name, key)
        except StorageError as exc:
            # Fail closed: an event that cannot be counted is refused.
            raise SharedStateUnavailable(f"rate limit counts: {exc.storage_error!r}") from exc
        raise RateLimited(max(1, math.ceil(stats.reset_time - time.time())), self._refusal)
