"""HTTP responses for the SDK's results: an SSE stream or JSON, each with a Server-Timing header.

`Server-Timing` carries the proxy's own time before the response started, step by step:
`auth` (session token), `validate` (request parsing and thread ownership), `persist` (thread
and user message written, for streamed answers) and `total`. A streamed answer's headers go
out before its body, so the backend's time to first token and the relaying of the reply are
not in it; they are in the `chatkit_proxy_time_to_first_token_seconds` and
`chatkit_proxy_stream_duration_seconds` metrics.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from chatkit.server import NonStreamingResult, StreamingResult
from fastapi import Response

from ..observability.metrics import OPEN_STREAMS, STREAM_DURATION
from ..observability.request_log import PERSISTED, RequestRecord
from .heartbeat import EventStreamResponse

SSE_HEADERS = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"}


def server_timing(record: RequestRecord) -> str:
    entries = []
    previous = 0.0
    for step, at in record.marks.items():
        entries.append(f"{step};dur={(at - previous) * 1000:.3f}")
        previous = at
    entries.append(f"total;dur={record.elapsed() * 1000:.3f}")
    return ", ".join(entries)


async def to_response(
    result: StreamingResult | NonStreamingResult, record: RequestRecord, heartbeat_interval: float
) -> Response:
    if isinstance(result, NonStreamingResult):
        return Response(
            content=result.json,
            media_type="application/json",
            headers={"Server-Timing": server_timing(record)},
        )
    frames = result.json_events
    # Read up to the point where the user's message is stored: its timing goes in the header,
    # a failure so far is still an HTTP error rather than a broken stream, and these first
    # events leave in one write.
    head: list[bytes] = []
    async for frame in frames:
        head.append(frame)
        if PERSISTED in record.marks:
            break
    headers = {**SSE_HEADERS, "Server-Timing": server_timing(record)}
    return EventStreamResponse(_relay(b"".join(head), frames, record), heartbeat_interval, headers)


async def _relay(
    head: bytes, frames: AsyncIterator[bytes], record: RequestRecord
) -> AsyncIterator[bytes]:
    OPEN_STREAMS.inc()
    try:
        if head:
            yield head
        async for frame in frames:
            yield frame
    finally:
        OPEN_STREAMS.dec()
        STREAM_DURATION.observe(record.elapsed())
