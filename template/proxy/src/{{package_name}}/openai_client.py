"""Client for OpenAI-compatible backends: streams `/chat/completions` over Server-Sent Events."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any, Protocol

import httpx
from httpx_sse import EventSource

from .conversation import ChatRequest
from .errors import (
    BackendAuthFailed,
    BackendError,
    BackendProtocolError,
    BackendRateLimited,
    BackendRejected,
    BackendTimeout,
    BackendUnavailable,
)
from .metrics import BACKEND_CALLS, STREAMED_DELTAS
from .request_log import request_id_header

log = logging.getLogger(__name__)

_MAX_ERROR_BODY = 2048
# How long to wait for the end of a body after [DONE] before closing the connection instead.
_DRAIN_SECONDS = 0.05


class BackendAuth(Protocol):
    async def headers(self, user_id: str) -> dict[str, str]: ...


class OpenAIChatClient:
    def __init__(self, http: httpx.AsyncClient, base_url: str, auth: BackendAuth) -> None:
        self._http = http
        self._url = f"{base_url}/chat/completions"
        self._models_url = f"{base_url}/models"
        self._auth = auth

    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        """Yield text deltas as the backend produces them."""
        body = {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": True,
            "user": request.user_id,
        }
        headers = {
            "Accept": "text/event-stream",
            **await self._auth.headers(request.user_id),
            **request_id_header(),
        }
        started = time.perf_counter()
        status: int | str = "no response"
        outcome = "cancelled"  # unless the reply ends or fails below
        deltas = 0
        try:
            async with self._http.stream("POST", self._url, json=body, headers=headers) as response:
                status = response.status_code
                if response.status_code != 200:
                    outcome = f"http_{response.status_code}"
                    raise await _error_for(response)
                async for delta in _deltas(response):
                    deltas += 1
                    yield delta
            outcome = "ok"
        except httpx.TimeoutException as exc:
            status = outcome = "timeout"
            raise BackendTimeout(f"{type(exc).__name__} from {self._url}") from exc
        except httpx.TransportError as exc:
            status = outcome = "unreachable"
            raise BackendUnavailable(f"{type(exc).__name__} from {self._url}: {exc}") from exc
        except BackendError as exc:
            if outcome == "cancelled":  # an error event or an unreadable chunk mid-reply
                outcome = exc.code
            raise
        finally:
            BACKEND_CALLS.labels(self._url, outcome).inc()
            STREAMED_DELTAS.inc(deltas)
            log.info(
                "backend request",
                extra={
                    "fields": {
                        "method": "POST",
                        "target": self._url,
                        "model": request.model,
                        "status": status,
                        "outcome": outcome,
                        "deltas": deltas,
                        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
                    }
                },
            )

    async def probe(self) -> None:
        """Raise a BackendError unless the backend answers its model list."""
        try:
            response = await self._http.get(
                self._models_url, headers=await self._auth.headers("readiness-probe"), timeout=3.0
            )
        except httpx.TimeoutException as exc:
            raise BackendTimeout(f"readiness probe timed out: {self._models_url}") from exc
        except httpx.TransportError as exc:
            raise BackendUnavailable(f"readiness probe failed: {exc}") from exc
        if response.status_code != 200:
            raise await _error_for(response)


async def _deltas(response: httpx.Response) -> AsyncIterator[str]:
    content_type = response.headers.get("content-type", "")
    if "text/event-stream" not in content_type:
        raise BackendProtocolError(f"expected text/event-stream, got {content_type!r}")
    events = EventSource(response).aiter_sse()
    async for event in events:
        if event.event == "error":
            raise BackendError(f"backend sent an error event: {event.data[:_MAX_ERROR_BODY]}")
        if event.data == "[DONE]":
            # Read on to the end of the body (it follows at once from a well-behaved server)
            # so the connection goes back to the pool instead of being closed unread.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_DRAIN_SECONDS):
                    async for _ in events:
                        pass
            return
        if not event.data:
            continue
        delta = _delta_of(event.data)
        if delta:
            yield delta


def _delta_of(data: str) -> str:
    try:
        chunk: Any = json.loads(data)
    except json.JSONDecodeError as exc:
        raise BackendProtocolError(f"stream chunk is not JSON: {data[:200]!r}") from exc
    if not isinstance(chunk, dict):
        raise BackendProtocolError(f"stream chunk is not an object: {data[:200]!r}")
    if "error" in chunk:
        raise BackendError(f"backend reported an error mid-stream: {data[:_MAX_ERROR_BODY]}")
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        raise BackendProtocolError(f"stream chunk has no choices: {data[:200]!r}")
    if not choices:
        return ""  # e.g. a trailing usage-only chunk
    delta = choices[0].get("delta") if isinstance(choices[0], dict) else None
    content = delta.get("content") if isinstance(delta, dict) else None
    if content is None:
        return ""
    if not isinstance(content, str):
        raise BackendProtocolError(f"delta content is not text: {data[:200]!r}")
    return content


async def _error_for(response: httpx.Response) -> BackendError:
    body = (await response.aread())[:_MAX_ERROR_BODY].decode("utf-8", "replace")
    detail = f"backend answered {response.status_code}: {body}"
    status = response.status_code
    if status in (401, 403):
        return BackendAuthFailed(detail)
    if status == 429:
        return BackendRateLimited(detail)
    if status == 404:
        return BackendRejected(
            detail, user_message="The selected model is not available on the assistant's backend."
        )
    if status in (400, 413, 422):
        return BackendRejected(detail)
    if status >= 500:
        return BackendUnavailable(detail)
    return BackendError(detail)
