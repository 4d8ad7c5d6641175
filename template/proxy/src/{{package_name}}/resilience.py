"""Where retries happen: one backend endpoint behind timeouts, retries and a circuit breaker.

Wraps any client that streams text deltas (`ChatClient`), whatever its protocol or transport,
so every backend gets the same limits:

- time to the first chunk, idle time between chunks and total time of one backend call;
- retries with exponential backoff and jitter (or the backend's `Retry-After`) on connection
  errors, timeouts, 429 and 5xx, and only while nothing of the answer has been relayed: text
  already shown is never shown twice;
- a circuit breaker: after `failures` consecutive failures the endpoint is skipped for a
  cooldown, then the next request probes it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Protocol

from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from .conversation import ChatRequest
from .errors import (
    BackendAuthFailed,
    BackendRateLimited,
    BackendRejected,
    BackendTimeout,
    BackendUnavailable,
    CircuitOpen,
)
from .metrics import RETRIES
from .redaction import logger
from .settings import Settings

log = logger(__name__)


class ChatClient(Protocol):
    """What every backend client offers: text deltas of one reply, and a readiness probe."""

    def stream(self, request: ChatRequest) -> AsyncIterator[str]: ...

    async def probe(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Policy:
    first_chunk_timeout: float
    idle_timeout: float
    total_timeout: float
    max_attempts: int
    initial_wait: float
    max_wait: float
    breaker_failures: int
    breaker_cooldown: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            first_chunk_timeout=settings.first_chunk_timeout_seconds,
            idle_timeout=settings.backend_read_timeout_seconds,
            total_timeout=settings.backend_total_timeout_seconds,
            max_attempts=settings.retry_max_attempts,
            initial_wait=settings.retry_initial_wait_seconds,
            max_wait=settings.retry_max_wait_seconds,
            breaker_failures=settings.circuit_breaker_failures,
            breaker_cooldown=settings.circuit_breaker_cooldown_seconds,
        )

    def breakers(self) -> AsyncCircuitBreakerFactory:
        # A refused request (4xx) says nothing about the endpoint's health, and a client that
        # leaves mid-answer was being served fine: neither counts as a failure.
        return AsyncCircuitBreakerFactory(
            default_threshold=self.breaker_failures,
            default_ttl=self.breaker_cooldown,
            exclude=[BackendRejected, asyncio.CancelledError, GeneratorExit],
        )


_RETRYABLE = (BackendUnavailable, BackendTimeout, BackendRateLimited)


class RenewableAuth(Protocol):
    async def headers(self, user_id: str) -> dict[str, str]: ...

    async def invalidate(self, rejected: dict[str, str]) -> bool:
        """True when fresh credentials are worth one more try."""
        ...


class Endpoint:
    """One backend URL: its client, its breaker, and the retry and timeout policy."""

    def __init__(
        self,
        name: str,
        client: ChatClient,
        policy: Policy,
        breakers: AsyncCircuitBreakerFactory,
        auth: RenewableAuth,
    ) -> None:
        self.name = name
        self._auth = auth
        self._client = client
        self._policy = policy
        self._breakers = breakers
        self._backoff = wait_random_exponential(multiplier=policy.initial_wait, max=policy.max_wait)

    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        try:
            async for delta in self._attempts(request):
                yield delta
        except BackendAuthFailed:
            # Refused before any text: renewable credentials (OAuth tokens) get one more try.
            refused = await self._auth.headers(request.user_id)
            if not await self._auth.invalidate(refused):
                raise
            log.info("backend %s refused our credentials; retrying once with fresh ones", self.name)
            async for delta in self._attempts(request):
                yield delta

    async def _attempts(self, request: ChatRequest) -> AsyncIterator[str]:
        relayed = False

        def worth_retrying(error: BaseException) -> bool:
            return (
                not relayed
                and isinstance(error, _RETRYABLE)
                # Waiting a few seconds will not end a cooldown: let the caller move on.
                and not isinstance(error, CircuitOpen)
            )

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._policy.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(worth_retrying),
            before_sleep=self._log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                try:
                    breaker = await self._breakers.get_breaker(self.name)
                    deltas = self._timed(self._client.stream(request))
                    async with breaker, aclosing(deltas):
                        async for delta in deltas:
                            relayed = True
                            yield delta
                except OpenedState as exc:
                    raise CircuitOpen(f"{self.name}: circuit open after repeated failures") from exc

    async def probe(self) -> None:
        await self._client.probe()

    async def _timed(self, chunks: AsyncIterator[str]) -> AsyncIterator[str]:
        """Relays `chunks`, failing with BackendTimeout when the backend stalls."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._policy.total_timeout
        limit, waiting_for = self._policy.first_chunk_timeout, "first chunk"
        async with aclosing(chunks):
            while True:
                budget = min(limit, deadline - loop.time())
                try:
                    async with asyncio.timeout(budget):
                        delta = await anext(chunks)
                except StopAsyncIteration:
                    return
                except TimeoutError as exc:
                    if budget < limit:
                        waiting_for = "end of the reply (total timeout)"
                    raise BackendTimeout(
                        f"{self.name}: no {waiting_for} within {budget:.1f} s"
                    ) from exc
                yield delta
                limit, waiting_for = self._policy.idle_timeout, "chunk (idle timeout)"

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return min(retry_after, self._policy.max_wait)
        return self._backoff(state)

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        RETRIES.labels(self.name).inc()
        log.warning(
            "backend %s attempt %d failed (%s); retrying in %.2f s",
            self.name,
            state.attempt_number,
            error,
            wait,
        )
