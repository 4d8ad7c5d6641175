"""The measurements: pairwise latency, relay cost, throughput and concurrency waves."""

from __future__ import annotations

import asyncio
import math
import os
import time
from dataclasses import dataclass, field
from typing import Self

from client import (
    CHATKIT_DELTA,
    OPENAI_DELTA,
    Connection,
    Timing,
    chatkit_create_body,
    openai_body,
)
from stack import MODEL

HOST = "127.0.0.1"
_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    ordered = sorted(v for v in values if not math.isnan(v))
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


class RssSampler:
    """Samples a process's resident memory while a block runs; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.02) -> None:
        self.pid = pid
        self.every = every
        self.peak = 0
        self._task: asyncio.Task | None = None

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, rss_bytes(self.pid))
            await asyncio.sleep(self.every)

    async def __aenter__(self) -> Self:
        self.peak = rss_bytes(self.pid)
        self._task = asyncio.create_task(self._sample())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        self.peak = max(self.peak, rss_bytes(self.pid))


def spec(tokens: int, first_ms: float = 0, gap_ms: float = 0) -> str:
    return f"bench tokens={tokens} first_ms={first_ms:g} gap_ms={gap_ms:g}"


@dataclass
class Route:
    """One way to reach the backend: directly, through the proxy, or through Next.js + proxy."""

    name: str
    port: int
    url: str
    marker: bytes
    headers: dict[str, str]

    def body(self, prompt: str) -> bytes:
        if self.marker == OPENAI_DELTA:
            return openai_body(prompt, MODEL)
        return chatkit_create_body(prompt)


async def session_token(proxy_port: int) -> str:
    connection = Connection(HOST, proxy_port)
    try:
        session = await connection.post_json("/api/custom/session", {}, {})
    finally:
        await connection.close()
    assert isinstance(session, dict)
    return str(session["client_secret"])


def paths(backend_port: int, proxy_port: int, next_port: int | None, token: str) -> list[Route]:
    auth = {"Authorization": f"Bearer {token}"}
    found = [
        Route("direct", backend_port, "/v1/chat/completions", OPENAI_DELTA, {}),
        Route("proxy", proxy_port, "/chatkit", CHATKIT_DELTA, auth),
    ]
    if next_port is not None:
        found.append(Route("next+proxy", next_port, "/api/chatkit", CHATKIT_DELTA, auth))
    return found


@dataclass
class PairedRun:
    """The same prompt sent over every path, one after another, `rounds` times."""

    prompt: str
    timings: dict[str, list[Timing]] = field(default_factory=dict)

    def added(self, path: str, attribute: str) -> list[float]:
        """Per round: path's time minus the direct time of the same round, in seconds."""
        pairs = zip(self.timings[path], self.timings["direct"], strict=True)
        return [getattr(t, attribute) - getattr(d, attribute) for t, d in pairs if t.ok and d.ok]

    def errors(self, path: str) -> int:
        return sum(1 for t in self.timings[path] if not t.ok)


async def paired(routes: list[Route], prompt: str, rounds: int) -> PairedRun:
    connections = {r.name: Connection(HOST, r.port) for r in routes}
    run = PairedRun(prompt, {r.name: [] for r in routes})
    try:
        for index in range(rounds):
            # Alternate the order so no path always runs right after another one.
            order = routes if index % 2 == 0 else list(reversed(routes))
            for route in order:
                timing = await connections[route.name].stream(
                    route.url, route.body(prompt), route.headers, route.marker
                )
                run.timings[route.name].append(timing)
    finally:
        for connection in connections.values():
            await connection.close()
    return run


@dataclass
class RelayCost:
    tokens: int
    seconds: float
    cpu_seconds: float
    events: int
    error: str

    @property
    def us_per_delta(self) -> float:
        return self.cpu_seconds / self.tokens * 1e6


async def relay_cost(route: Route, proxy_pid: int, tokens: int) -> RelayCost:
    """Proxy CPU per backend token, from one long zero-delay stream."""
    connection = Connection(HOST, route.port)
    try:
        before = cpu_seconds(proxy_pid)
        timing = await connection.stream(
            route.url, route.body(spec(tokens)), route.headers, route.marker
        )
        used = cpu_seconds(proxy_pid) - before
    finally:
        await connection.close()
    return RelayCost(tokens, timing.ttlt, used, timing.deltas, timing.error)


@dataclass
class Wave:
    streams: int
    direct: list[Timing]
    proxied: list[Timing]
    proxy_cpu: float
    seconds: float
    rss_before: int
    rss_peak: int

    def errors(self, timings: list[Timing]) -> int:
        return sum(1 for t in timings if not t.ok)

    def added(self, attribute: str, q: float) -> float:
        def values(timings: list[Timing]) -> list[float]:
            return [getattr(t, attribute) for t in timings if t.ok]

        return percentile(values(self.proxied), q) - percentile(values(self.direct), q)

    @property
    def bytes_per_stream(self) -> float:
        return (self.rss_peak - self.rss_before) / self.streams


async def _all_at_once(route: Route, prompt: str, streams: int) -> list[Timing]:
    connections = [Connection(HOST, route.port) for _ in range(streams)]
    body = route.body(prompt)

    async def one(connection: Connection) -> Timing:
        try:
            return await connection.stream(route.url, body, route.headers, route.marker)
        finally:
            await connection.close()

    return list(await asyncio.gather(*(one(c) for c in connections)))


async def wave(direct: Route, proxy: Route, proxy_pid: int, streams: int, prompt: str) -> Wave:
    """`streams` simultaneous streams directly, then the same number through the proxy."""
    direct_timings = await _all_at_once(direct, prompt, streams)
    await asyncio.sleep(0.5)
    rss_before = rss_bytes(proxy_pid)
    cpu_before = cpu_seconds(proxy_pid)
    started = time.perf_counter()
    async with RssSampler(proxy_pid) as sampler:
        proxied = await _all_at_once(proxy, prompt, streams)
    return Wave(
        streams=streams,
        direct=direct_timings,
        proxied=proxied,
        proxy_cpu=cpu_seconds(proxy_pid) - cpu_before,
        seconds=time.perf_counter() - started,
        rss_before=rss_before,
        rss_peak=sampler.peak,
    )
