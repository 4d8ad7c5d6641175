"""The record of each request: its id, its timing marks, and its one access-log line.

The id comes from the caller's `X-Request-ID` (Next.js forwards the browser's) when it looks
like one, or is made here; it is echoed in the response, sent to the backend and written on
every log line logged while the request runs.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .metrics import REQUESTS
from .redaction import RedactingFilter

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_HEADER_KEY = REQUEST_ID_HEADER.lower().encode()
# Step marked when the thread and the user's message are stored, before the backend is asked.
PERSISTED = "persist"

# Not logs.logger(): that module reads the current request from this one.
log = logging.getLogger(__name__)
log.addFilter(RedactingFilter())


@dataclass(slots=True)
class RequestRecord:
    """What is known about the request being served: its id, start and timed steps."""

    id: str
    started: float = field(default_factory=time.perf_counter)
    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, step: str) -> None:
        """Note that `step` ended now (seconds since the request arrived)."""
        self.marks[step] = time.perf_counter() - self.started

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


_current: ContextVar[RequestRecord | None] = ContextVar("request", default=None)


def current_request() -> RequestRecord | None:
    return _current.get()


def request_id_header() -> dict[str, str]:
    """The header that passes the current request's id on to the backend."""
    record = _current.get()
    return {REQUEST_ID_HEADER: record.id} if record is not None else {}


def mark(step: str) -> None:
    """Note that `step` of the current request ended now (nothing outside a request)."""
    record = _current.get()
    if record is not None:
        record.mark(step)


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == _HEADER_KEY:
            candidate = value.decode("latin-1")
            return candidate if _VALID_ID.fullmatch(candidate) else None
    return None


class RequestLog:
    """ASGI middleware: gives each request an id, counts it and logs it when it has ended."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = RequestRecord(_incoming_id(scope) or uuid.uuid4().hex)
        token = _current.set(record)
        status = 500  # what the client gets if the app fails before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                headers.append((_HEADER_KEY, record.id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # For a streamed answer this is when its last byte went out (or the client left).
            route = scope.get("route")
            endpoint = getattr(route, "path", "unmatched")
            REQUESTS.labels(endpoint, str(status)).inc()
            log.info(
                "request",
                extra={
                    "fields": {
                        "method": scope["method"],
                        "path": scope["path"],
                        "endpoint": endpoint,
                        "status": status,
                        "duration_ms": round(record.elapsed() * 1000, 3),
                    }
                },
            )
            _current.reset(token)
