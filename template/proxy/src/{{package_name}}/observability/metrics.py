"""Prometheus metrics of the proxy, served at `GET /metrics`.

One set per process (prometheus-client's default registry, which also carries the process's
CPU, memory and open files). Run one proxy process per container or host and let Prometheus
scrape each; uvicorn's `--workers` would need prometheus-client's multiprocess mode.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

# Seconds; the proxy's own share of a first token is meant to be about a millisecond, the
# backend's can be many seconds.
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

REQUESTS = Counter(
    "chatkit_proxy_requests",
    "HTTP requests answered, by endpoint and status.",
    ["endpoint", "status"],
)
BACKEND_CALLS = Counter(
    "chatkit_proxy_backend_calls",
    "Calls to the LLM backend, by target URL and outcome: ok, http_<status>, timeout, "
    "unreachable, cancelled, or the error's code (backend_error for an error sent mid-reply, "
    "backend_bad_response, backend_timeout, ...).",
    ["target", "outcome"],
)
RETRIES = Counter(
    "chatkit_proxy_backend_retries",
    "Backend calls tried again after a failure, by target URL (backend/resilience.py).",
    ["target"],
)
FALLBACKS = Counter(
    "chatkit_proxy_backend_fallbacks",
    "Answers handed on because a target gave up, by that target: to the next backup backend, "
    "or to a complete (non-streamed) request when a backend does not stream.",
    ["target"],
)
TIME_TO_FIRST_TOKEN = Histogram(
    "chatkit_proxy_time_to_first_token_seconds",
    "From a chat request's arrival to the first text delta of the answer, backend time included.",
    buckets=_LATENCY_BUCKETS,
)
STREAM_DURATION = Histogram(
    "chatkit_proxy_stream_duration_seconds",
    "From a streamed request's arrival to the end of its answer.",
    buckets=_DURATION_BUCKETS,
)
STREAMED_DELTAS = Counter(
    "chatkit_proxy_streamed_deltas",
    "Text deltas relayed to the client, one ChatKit event each: a token, or the tokens a fast "
    "backend sent while the previous delta was going out, joined.",
)
OPEN_STREAMS = Gauge("chatkit_proxy_open_streams", "Streamed answers in progress.")
TOKENS = Counter(
    "chatkit_proxy_tokens",
    "Tokens of the replies, by model and direction (prompt or completion), as the backend "
    "counted them or (source=estimate) as the proxy estimated them.",
    ["model", "direction", "source"],
)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST


def target(url: str) -> str:
    """A backend URL fit for a label or a log field: without `user:password@`, query string
    or fragment, where credentials hide (e.g. `?api-key=...`)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
