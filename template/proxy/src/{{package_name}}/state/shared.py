"""State the proxy replicas must agree on: rate-limit counts and cached backend credentials.

Without REDIS_URL it lives in this process, which is right for one proxy process. With
REDIS_URL it lives in Redis, so any number of replicas count one limit per user and reuse the
backend sessions and tokens one of them fetched. A Redis that cannot be reached at start-up
stops the proxy; one that goes away later makes messages fail with a 503 until it is back:
rate limits fail closed, since a message no replica can count is not sent.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ..errors import SharedStateUnavailable
from ..observability.redaction import REDACTOR
from ..settings import Settings

# Every key this app writes starts with it, so several apps can share one Redis.
KEY_PREFIX = f"{__package__}:"
# Seconds a replica may hold a fetch lock; a replica that dies holding it delays the others
# this long at most.
LOCK_SECONDS = 15.0
_LOCK_POLL_SECONDS = 0.05
# A Redis call waits this long for an answer; a restart shorter than the retries goes unnoticed.
_REDIS_TIMEOUT_SECONDS = 2.0
_REDIS_RETRIES = 2
_MAX_ENTRIES = 10_000
# Deletes KEYS[1] only while it still holds ARGV[1]: another replica may have replaced it.
_DELETE_IF_EQUAL = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""

# What a fetch returns: the value, and for how many seconds to keep it (None: until deleted).
Fetched = tuple[str, float | None]


class SharedCache(Protocol):
    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, ttl: float | None) -> None:
        """Keep `value` for `ttl` seconds (None: until deleted; 0 or less: not at all)."""
        ...

    async def delete_if(self, key: str, value: str) -> None:
        """Delete `key` if it still holds `value`."""
        ...

    def lock(self, key: str) -> AbstractAsyncContextManager[None]:
        """Held by one caller at a time for `key`, across every replica sharing the cache."""
        ...


async def fetch_once(cache: SharedCache, key: str, fetch: Callable[[], Awaitable[Fetched]]) -> str:
    """The value cached under `key`, or else the one `fetch` returns, cached for the others.

    Concurrent callers, in this process or in other replicas, wait for one fetch instead of
    each making their own.
    """
    value = await cache.get(key)
    if value is not None:
        return value
    async with cache.lock(key):
        value = await cache.get(key)  # fetched by someone else while this caller waited
        if value is not None:
            return value
        value, ttl = await fetch()
        await cache.set(key, value, ttl)
        return value


class MemoryCache:
    """The cache of one process: entries expire, and the least recently used go first when
    there are more than `max_entries`."""

    def __init__(self, max_entries: int = _MAX_ENTRIES) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[str, float]] = OrderedDict()  # value, expires at
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}  # the lock, callers using it

    def peek(self, key: str) -> str | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        value, expires_at = entry
        if time.monotonic() >= expires_at:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: str, value: str, ttl: float | None) -> None:
        if ttl is not None and ttl <= 0:
            self._entries.pop(key, None)
            return
        expires_at = float("inf") if ttl is None else time.monotonic() + ttl
        self._entries[key] = (value, expires_at)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def discard_if(self, key: str, value: str) -> None:
        entry = self._entries.get(key)
        if entry is not None and entry[0] == value:
            del self._entries[key]

    async def get(self, key: str) -> str | None:
        return self.peek(key)

    async def set(self, key: str, value: str, ttl: float | None) -> None:
        self.put(key, value, ttl)

    async def delete_if(self, key: str, value: str) -> None:
        self.discard_if(key, value)

    @asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class RedisCache:
    """Entries in Redis, expiring there; each replica also keeps what it read or wrote until
    that expiry, so a hit costs no round trip.

    A replica can therefore hold on to a value another one deleted: callers delete a value
    when the backend refuses it, so each replica finds out on its own next refusal, deletes
    nothing (the value changed), and reads the new one.
    """

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._near = MemoryCache()
        self._delete_if_equal = redis.register_script(_DELETE_IF_EQUAL)

    async def get(self, key: str) -> str | None:
        value = self._near.peek(key)
        if value is not None:
            return value
        # One round trip, and atomic: the value cannot expire between the two answers.
        async with _reaching_redis(), self._redis.pipeline() as pipe:
            stored, ttl_ms = await pipe.get(KEY_PREFIX + key).pttl(KEY_PREFIX + key).execute()
        if stored is None:
            return None
        value = stored.decode()
        self._near.put(key, value, None if ttl_ms == -1 else ttl_ms / 1000)  # -1: no expiry
        return value

    async def set(self, key: str, value: str, ttl: float | None) -> None:
        self._near.put(key, value, ttl)
        if ttl is not None and ttl <= 0:
            return
        async with _reaching_redis():
            expiry = {} if ttl is None else {"px": max(1, int(ttl * 1000))}
            await self._redis.set(KEY_PREFIX + key, value, **expiry)

    async def delete_if(self, key: str, value: str) -> None:
        self._near.discard_if(key, value)
        async with _reaching_redis():
            await self._delete_if_equal(keys=[KEY_PREFIX + key], args=[value])

    @asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        # Callers in this process queue here, so only one of them at a time polls Redis.
        async with self._near.lock(key):
            name, token = f"{KEY_PREFIX}{key}:lock", secrets.token_hex(16)
            async with _reaching_redis():
                # The lock expires on its own, so this wait ends even if its holder died.
                while True:
                    if await self._redis.set(name, token, nx=True, px=int(LOCK_SECONDS * 1000)):
                        break
                    await asyncio.sleep(_LOCK_POLL_SECONDS)
            try:
                yield
            finally:
                async with _reaching_redis():
                    await self._delete_if_equal(keys=[name], args=[token])


@dataclass(frozen=True, slots=True)
class SharedState:
    cache: SharedCache
    # Where the rate limiter keeps its counts.
    counts: Storage


@asynccontextmanager
async def open_shared_state(settings: Settings) -> AsyncIterator[SharedState]:
    if not settings.redis_url:
        yield SharedState(MemoryCache(), MemoryStorage())
        return
    redis = Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=_REDIS_TIMEOUT_SECONDS,
        socket_timeout=_REDIS_TIMEOUT_SECONDS,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), _REDIS_RETRIES),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
    # redis://:password@host is a form the log redaction's URL pattern does not know.
    REDACTOR.add(str(redis.connection_pool.connection_kwargs.get("password") or ""))
    try:
        try:
            await redis.ping()
        except RedisError as exc:
            raise RuntimeError(
                f"Redis at REDIS_URL does not answer ({exc}). Start it, "
                "or leave REDIS_URL empty to keep rate limits and caches in this process."
            ) from exc
        counts = RedisStorage(
            f"async+{settings.redis_url}",
            implementation="redispy",
            connection_pool=redis.connection_pool,
            key_prefix=f"{KEY_PREFIX}limits",
            wrap_exceptions=True,
        )
        yield SharedState(RedisCache(redis), counts)
    finally:
        await redis.aclose()


@asynccontextmanager
async def _reaching_redis() -> AsyncIterator[None]:
    try:
        yield
    except RedisError as exc:
        raise SharedStateUnavailable(f"Redis: {exc!r}") from exc
