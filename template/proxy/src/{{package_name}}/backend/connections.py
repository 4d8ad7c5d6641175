"""What every backend client shares: the connection pool, auth headers, request ids, logging,
metrics and errors."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from ..errors import (
    BackendAuthFailed,
    BackendError,
    BackendProtocolError,
    BackendRateLimited,
    BackendRejected,
    BackendTimeout,
    BackendUnavailable,
    ContextTooLong,
)
from ..observability.logs import logger
from ..observability.metrics import BACKEND_CALLS, target
from ..observability.request_log import request_id_header

log = logger(__name__)

MAX_ERROR_BODY = 2048
# The request extension that tells the pool's transport how large the reply may be.
_REPLY_LIMIT = "max_reply_bytes"
# How long to wait for the end of a streamed body after the reply's last event.
DRAIN_SECONDS = 0.05


def open_pool(connect_timeout: float) -> httpx.AsyncClient:
    """One client for the process, so upstream connections are reused across requests.

    Waits for chunks are limited around the stream by resilience.py, the same way for every
    transport, so only connecting has a timeout here. The connections are aiohttp's: httpx's own
    transport (httpcore on anyio) spent about half a millisecond more before a backend's first
    byte and a quarter more CPU per streamed reply in the benchmark.

    Every request says how large its reply may be (`limit_replies`); replies come uncompressed,
    so the bytes counted are the bytes the proxy holds.
    """
    return httpx.AsyncClient(
        timeout=httpx.Timeout(None, connect=connect_timeout),
        transport=_Transport(max_connections=1000),
        # A compressed reply could unpack to far more than was counted on the wire.
        headers={"Accept-Encoding": "identity"},
        # Every backend call carries the request's X-Request-ID.
        event_hooks={"request": [with_request_id]},
        # The pool serves every user: a cookie a backend sets for one must not be sent for the
        # next, so none is kept (here or by aiohttp).
        cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),
    )


def limit_replies(max_bytes: int) -> dict[str, int]:
    """The request extensions for a backend call whose reply may bring at most `max_bytes`."""
    return {_REPLY_LIMIT: max_bytes}


class ReplyLimit:
    """The bytes of one backend reply, counted as they arrive against BACKEND_MAX_REPLY_BYTES.

    Every transport counts with it: the pool's for HTTP bodies (streamed, complete or refused),
    the WebSocket client for its messages. Over the limit `add` raises, and the caller closes the
    connection instead of reading on; a stream keeps what it had relayed, as when it breaks.
    """

    __slots__ = ("max_bytes", "received")

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.received = 0

    def add(self, size: int) -> None:
        self.received += size
        if self.received > self.max_bytes:
            raise self.exceeded()

    def exceeded(self) -> BackendProtocolError:
        return BackendProtocolError(f"reply is larger than {self.max_bytes} bytes")


class _Transport(AiohttpTransport):
    """httpx-aiohttp's transport with no cookie jar, each reply's body counted against its
    request's limit (`limit_replies`), and connection errors reported as what they are: it turns
    every aiohttp connection error (a refused connection, a reset) into a `ConnectTimeout`, which
    would read as a timeout in logs, metrics and the user's message."""

    def __init__(self, max_connections: int) -> None:
        super().__init__(limits=httpx.Limits(max_connections=max_connections), client=self._session)

    def _session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self.limits.max_connections,
            keepalive_timeout=self.limits.keepalive_expiry,
            ssl=self.ssl_context,
        )
        return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await super().handle_async_request(request)
        except httpx.ConnectTimeout as exc:
            raise _unmasked(exc, httpx.ConnectError) from exc.__cause__
        encoding = response.headers.get("content-encoding", "identity")
        if encoding != "identity":
            await response.aclose()
            raise BackendProtocolError(f"reply is {encoding}-encoded, though none was accepted")
        response.stream = _Body(response.stream, ReplyLimit(request.extensions[_REPLY_LIMIT]))
        return response


class _Body(httpx.AsyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream, limit: ReplyLimit) -> None:
        self._stream = stream
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        limit = self._limit
        try:
            async for chunk in self._stream:
                limit.add(len(chunk))
                yield chunk
        except httpx.ConnectTimeout as exc:
            raise _unmasked(exc, httpx.ReadError) from exc.__cause__

    async def aclose(self) -> None:
        await self._stream.aclose()


def _unmasked(
    exc: httpx.ConnectTimeout, actual: type[httpx.TransportError]
) -> httpx.TransportError:
    if isinstance(exc.__cause__, TimeoutError):
        return exc
    return actual(str(exc) or type(exc.__cause__).__name__)


class BackendCall:
    """One request to the backend; `status` is what the log line reports."""

    def __init__(self) -> None:
        self.status: int | str = "no response"


@asynccontextmanager
async def backend_call(method: str, url: str, model: str) -> AsyncIterator[BackendCall]:
    """Log and count the call with its outcome and latency; turn transport failures into
    BackendErrors."""
    call = BackendCall()
    outcome = "ok"
    shown = target(url)  # never a credential in a label or a log line
    started = time.perf_counter()
    try:
        yield call
    except (asyncio.CancelledError, GeneratorExit) as exc:
        # Cancelled with a reason when the proxy stopped waiting (resilience.GAVE_UP), without
        # one when the user left.
        given_up = exc.args[0] if isinstance(exc, asyncio.CancelledError) and exc.args else None
        outcome = "timeout" if given_up else "cancelled"
        call.status = f"{call.status} ({given_up or 'abandoned: the client went away'})"
        raise
    except httpx.TimeoutException as exc:
        call.status = outcome = "timeout"
        raise BackendTimeout(f"{type(exc).__name__} from {shown}") from exc
    except httpx.TransportError as exc:
        call.status = outcome = "unreachable"
        raise BackendUnavailable(f"{type(exc).__name__} from {shown}: {exc}") from exc
    except BackendError as exc:
        outcome = exc.code if call.status in (200, 101) else _http_outcome(call.status, exc.code)
        raise
    except Exception:
        outcome = "error"
        raise
    finally:
        if outcome == "ok" and call.status not in (200, 201, 101):
            outcome = _http_outcome(call.status, "error")
        BACKEND_CALLS.labels(shown, outcome).inc()
        log.info(
            "backend request",
            extra={
                "fields": {
                    "method": method,
                    "target": shown,
                    "model": model,
                    "status": call.status,
                    "outcome": outcome,
                    "latency_ms": round((time.perf_counter() - started) * 1000, 1),
                }
            },
        )


@asynccontextmanager
async def posted(
    http: httpx.AsyncClient,
    url: str,
    model: str,
    body: object,
    headers: dict[str, str],
    limit: dict[str, int],
) -> AsyncIterator[httpx.Response]:
    """`body` POSTed to `url` as one logged backend call (`backend_call`), the response unread.
    Cancelled in here (the user left), the call closes its connection: the backend stops."""
    async with (
        backend_call("POST", url, model) as call,
        http.stream("POST", url, json=body, headers=headers, extensions=limit) as response,
    ):
        call.status = response.status_code
        yield response


def _http_outcome(status: int | str, otherwise: str) -> str:
    return f"http_{status}" if isinstance(status, int) else otherwise


async def finish_body(events: AsyncIterator[object]) -> None:
    """Read on to the end of a streamed body once the reply is complete.

    A well-behaved server ends the body right after its last event; reading that end lets the
    connection go back to the pool instead of being closed unread. A server that keeps the
    body open gets `DRAIN_SECONDS`, then the connection is closed as before.
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_SECONDS):
            async for _ in events:
                pass


async def with_request_id(request: httpx.Request) -> None:
    """httpx request hook: passes the proxied request's id on to the backend."""
    request.headers.update(request_id_header())


async def error_for(response: httpx.Response, *, not_found: str | None = None) -> BackendError:
    """The error for a non-success answer; `not_found` is the user message for a 404.

    Reads at most MAX_ERROR_BODY bytes of the body: closing the response leaves the rest unread.
    """
    body = (await _head(response, MAX_ERROR_BODY)).decode("utf-8", "replace")
    detail = f"backend answered {response.status_code}: {body}"
    error = error_for_status(response.status_code, detail, not_found=not_found)
    error.status = response.status_code
    if isinstance(error, BackendRateLimited | BackendUnavailable):
        error.retry_after = retry_after(response.headers.get("retry-after"))
    return error


async def _head(response: httpx.Response, size: int) -> bytes:
    head = b""
    async with contextlib.aclosing(response.aiter_bytes()) as chunks:
        async for chunk in chunks:
            head += chunk
            if len(head) >= size:
                break
    return head[:size]


def error_for_status(status: int, detail: str, *, not_found: str | None = None) -> BackendError:
    if status in (401, 403):
        return BackendAuthFailed(detail)
    if status == 429:
        return BackendRateLimited(detail)
    if status == 404:
        return BackendRejected(detail, user_message=not_found)
    if status == 413 or (status == 400 and "context_length" in detail):
        return ContextTooLong(detail)
    if status in (400, 422):
        return BackendRejected(detail)
    if status >= 500:
        return BackendUnavailable(detail)
    return BackendError(detail)


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
