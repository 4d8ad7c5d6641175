"""Where retries happen: one backend endpoint behind timeouts, retries and a circuit breaker.

Wraps any client that hands up the events of a reply (`ChatClient`), whatever its protocol or
transport, so every backend gets the same limits:

- time to the first chunk, idle time between chunks and total time of one backend call;
- retries with exponential backoff and jitter (or the backend's `Retry-After`) on connection
  errors, timeouts, 429 and 5xx, and only while nothing of the answer has been relayed: text
  already shown is never shown twice;
- a circuit breaker: after `failures` consecutive failures the endpoint is skipped for a
  cooldown, then the next request probes it again.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Collection
from contextlib import aclosing
from dataclasses import dataclass, replace

import anyio
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_random_exponential

from ..errors import (
    BackendAuthFailed,
    BackendBusy,
    BackendCutOff,
    BackendRateLimited,
    BackendRejected,
    BackendTimeout,
    BackendUnavailable,
    CircuitOpen,
    GenerationTimeout,
    SharedStateUnavailable,
)
from ..observability.logs import logger
from ..observability.metrics import RETRIES
from ..settings import Settings
from .client import BackendAuth, ChatClient
from .events import Reasoning, ReplyEvent
from .models import BackendListing
from .request import ChatRequest

log = logger(__name__)


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
    # What the first chunk is, for the log, and the error when it does not come in time.
    first_chunk: str = "first chunk"
    first_chunk_error: type[BackendTimeout] = BackendTimeout

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

    def for_complete_replies(self, timeout: float) -> Policy:
        """For a client whose first chunk is the whole reply: the wait for it is the time a
        whole generation may take, and a generation that times out is tried at most twice."""
        return replace(
            self,
            first_chunk_timeout=timeout,
            first_chunk="complete reply (COMPLETE_REPLY_TIMEOUT_SECONDS)",
            first_chunk_error=GenerationTimeout,
        )

    def breakers(self) -> AsyncCircuitBreakerFactory:
        # A refused request (4xx) says nothing about the endpoint's health, a client that leaves
        # mid-answer was being served fine, and Redis being away is not the backend's fault:
        # none of them counts as a failure, and neither does a backend busy with others.
        return AsyncCircuitBreakerFactory(
            default_threshold=self.breaker_failures,
            default_ttl=self.breaker_cooldown,
            exclude=[
                BackendRejected,
                BackendBusy,
                SharedStateUnavailable,
                asyncio.CancelledError,
                GeneratorExit,
            ],
        )


_RETRYABLE = (BackendUnavailable, BackendTimeout, BackendRateLimited)


# How much text the backend may get ahead of the client before it is no longer read: a slow
# client holds the backend back instead of making the proxy buffer the reply.
_READ_AHEAD_CHARS = 64 * 1024
# How long a leaving client's backend call may take to close.
_CLOSE_SECONDS = 5.0
# What a backend call is cancelled with when the proxy stops waiting for it: backend_call logs
# it instead of "the client went away".
GAVE_UP = "the proxy gave up waiting"


class _Reader:
    """Reads one backend stream in a task of its own; hands on what has arrived, joined.

    Text that arrives while the previous delta is being relayed goes out as one delta: a fast
    backend costs one ChatKit event per batch instead of one per token, and a slow one is
    relayed token by token, as soon as each arrives (nothing is held back). Other events are
    handed on one by one, in their place: only adjacent text is joined. The reader runs at most
    `_READ_AHEAD_CHARS` of text ahead of the relay.

    The time limits (first chunk, idle, total) are one timer, armed at the nearest deadline
    and moved on only when it fires: no timeout is set up per chunk.
    """

    def __init__(self, chunks: AsyncIterator[ReplyEvent], policy: Policy, name: str) -> None:
        self._loop = asyncio.get_running_loop()
        self._policy = policy
        self._name = name
        # What has arrived and is not relayed yet: earlier events, text runs joined, in
        # `_queue`, and the text since the last other event in `_parts`.
        self._queue: deque[ReplyEvent] = deque()
        self._parts: list[str] = []
        self._size = 0  # characters of text and reasoning in both
        # StopAsyncIteration once the stream has ended, or the error it ended with.
        self._end: BaseException | None = None
        self._relay_waits: asyncio.Future[None] | None = None
        self._reader_waits: asyncio.Future[None] | None = None
        started = self._loop.time()
        self._end_by = started + policy.total_timeout
        self._idle_since = started
        self._limit, self._waiting_for = policy.first_chunk_timeout, policy.first_chunk
        self._task = asyncio.create_task(self._read(chunks))
        self._timer = self._loop.call_at(self._deadline(), self._on_deadline)

    async def next_event(self) -> ReplyEvent | None:
        """The text received since the last call, joined, or the next other event; None at the
        end of the reply."""
        parts = self._parts
        while not parts and not self._queue:
            if isinstance(self._end, StopAsyncIteration):
                return None
            if self._end is not None:
                raise self._end
            self._relay_waits = self._loop.create_future()
            await self._relay_waits
        event: ReplyEvent
        if self._queue:
            event = self._queue.popleft()
            if isinstance(event, str):
                self._size -= len(event)
            elif isinstance(event, Reasoning):
                self._size -= len(event.text)
        else:  # text only, the usual case
            event = parts[0] if len(parts) == 1 else "".join(parts)
            parts.clear()
            self._size = 0
        _wake(self._reader_waits)
        return event

    async def close(self) -> None:
        self._timer.cancel()
        if not self._task.done():
            # The relay stopped early (the client left, or an error above): close the backend
            # call where it waits, so the upstream request ends now.
            self._task.cancel()
            with anyio.move_on_after(_CLOSE_SECONDS, shield=True):
                await asyncio.wait({self._task})

    async def _read(self, chunks: AsyncIterator[ReplyEvent]) -> None:
        try:
            async with aclosing(chunks):
                async for chunk in chunks:
                    if isinstance(chunk, str):
                        self._parts.append(chunk)
                        self._size += len(chunk)
                    else:
                        self._enqueue(chunk)
                    self._idle_since = self._loop.time()
                    self._limit = self._policy.idle_timeout
                    self._waiting_for = "chunk (idle timeout)"
                    _wake(self._relay_waits)
                    if self._size >= _READ_AHEAD_CHARS:
                        await self._wait_for_relay()
            self._finish(StopAsyncIteration())
        except Exception as exc:
            self._finish(exc)
        except asyncio.CancelledError:
            self._finish(BackendUnavailable(f"{self._name}: the backend call was cancelled"))
            raise

    def _enqueue(self, event: ReplyEvent) -> None:
        """Queues an event other than text, after the text before it; reasoning that piled up
        goes out joined, like text."""
        queue = self._queue
        if isinstance(event, Reasoning):
            self._size += len(event.text)
        if self._parts:
            queue.append("".join(self._parts))
            self._parts.clear()
        elif isinstance(event, Reasoning) and queue and isinstance(queue[-1], Reasoning):
            queue[-1] = Reasoning(queue[-1].text + event.text)
            return
        queue.append(event)

    async def _wait_for_relay(self) -> None:
        """Stop reading until the relay has taken the text: the backend is not idle meanwhile."""
        while self._size >= _READ_AHEAD_CHARS:
            self._reader_waits = self._loop.create_future()
            await self._reader_waits
        self._reader_waits = None
        self._idle_since = self._loop.time()

    def _finish(self, end: BaseException) -> None:
        if self._end is None:  # a timeout, set before the read was cancelled, stays
            self._end = end
        self._timer.cancel()
        _wake(self._relay_waits)

    def _deadline(self) -> float:
        if self._reader_waits is not None:  # not reading: only the total time counts
            return self._end_by
        return min(self._idle_since + self._limit, self._end_by)

    def _on_deadline(self) -> None:
        deadline = self._deadline()
        if self._loop.time() < deadline:  # a chunk came since the timer was set
            self._timer = self._loop.call_at(deadline, self._on_deadline)
            return
        error: type[BackendTimeout] = BackendTimeout
        if deadline == self._end_by:
            waited, waiting_for = self._policy.total_timeout, "end of the reply (total timeout)"
        else:
            waited, waiting_for = self._limit, self._waiting_for
            if waiting_for == self._policy.first_chunk:
                error = self._policy.first_chunk_error
        reason = f"no {waiting_for} within {waited:.1f} s"
        self._finish(error(f"{self._name}: {reason}"))
        self._task.cancel(f"{GAVE_UP}: {reason}")


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


class Endpoint:
    """One backend URL: its client, its breaker, and the retry and timeout policy.

    It also tells a busy backend from a failing one. Some servers (llama-cpp-python's, by
    default) end a running generation when another request arrives, and others answer 503
    while they work on one: a reply cut while a later request to the same backend started, or
    a 503 while another of our requests was in hand, is BackendBusy, not BackendUnavailable.
    """

    def __init__(
        self,
        name: str,
        client: ChatClient,
        policy: Policy,
        breakers: AsyncCircuitBreakerFactory,
        auth: BackendAuth,
    ) -> None:
        self.name = name
        self._auth = auth
        self._client = client
        self._policy = policy
        self._breakers = breakers
        self._backoff = wait_random_exponential(multiplier=policy.initial_wait, max=policy.max_wait)
        self._started = 0  # requests sent to the backend so far, probes included
        self._in_hand = 0  # of which not finished yet

    async def stream(self, request: ChatRequest) -> AsyncIterator[ReplyEvent]:
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

    async def _attempts(self, request: ChatRequest) -> AsyncIterator[ReplyEvent]:
        relayed = False

        def worth_retrying(error: BaseException) -> bool:
            return (
                not relayed
                and isinstance(error, _RETRYABLE)
                # Waiting a few seconds will not end a cooldown: let the caller move on.
                and not isinstance(error, CircuitOpen)
            )

        retrying = AsyncRetrying(
            stop=self._stop,
            wait=self._wait,
            retry=retry_if_exception(worth_retrying),
            before_sleep=self._log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                self._started += 1
                self._in_hand += 1
                started = self._started
                try:
                    breaker = await self._breakers.get_breaker(self.name)
                    deltas = self._timed(self._client.stream(request))
                    async with breaker, aclosing(deltas):
                        try:
                            async for delta in deltas:
                                relayed = True
                                yield delta
                        except BackendUnavailable as exc:
                            if self._busy(exc, started, relayed):
                                raise BackendBusy(f"{self.name} is busy: {exc}") from exc
                            raise
                except OpenedState as exc:
                    raise CircuitOpen(f"{self.name}: circuit open after repeated failures") from exc
                finally:
                    self._in_hand -= 1

    def _busy(self, error: BackendUnavailable, started: int, relayed: bool) -> bool:
        """Whether `error`, on the request that was the `started`-th, means a busy backend."""
        if isinstance(error, BackendBusy | CircuitOpen):
            return False
        if error.status == 503:
            return self._in_hand > 1
        cut = relayed or isinstance(error, BackendCutOff)
        return cut and self._started > started

    async def probe(self, models: Collection[str]) -> BackendListing | None:
        self._started += 1
        return await self._client.probe(models)

    async def _timed(self, chunks: AsyncIterator[ReplyEvent]) -> AsyncIterator[ReplyEvent]:
        """Relays `chunks`, text joined as it piles up, failing with BackendTimeout on a stall."""
        reader = _Reader(chunks, self._policy, self.name)
        try:
            while (event := await reader.next_event()) is not None:
                yield event
        finally:
            await reader.close()

    def _stop(self, state: RetryCallState) -> bool:
        """After RETRY_MAX_ATTEMPTS, or sooner for a failure worth fewer (its `max_attempts`)."""
        error = state.outcome.exception() if state.outcome else None
        worth = getattr(error, "max_attempts", None) or self._policy.max_attempts
        return state.attempt_number >= min(worth, self._policy.max_attempts)

    def _wait(self, state: RetryCallState) -> float:
        """The backend's `Retry-After`, or exponential backoff with jitter; both capped."""
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
