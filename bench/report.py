"""Turns the benchmark's figures into BENCHMARKS.md."""

from __future__ import annotations

import math
import os
import platform
import statistics
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

from measure import percentile
from stack import REPO_ROOT

# Targets from the issue that asked for this benchmark.
TARGET_TTFT_P50_MS = 1.0
TARGET_TTFT_P99_MS = 5.0
TARGET_THROUGHPUT = 0.95


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=30)
    except OSError:
        return "missing"
    return (done.stdout or done.stderr).strip().splitlines()[0]


def machine() -> dict:
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "node": _version(["node", "--version"]),
        "loadavg_before": loadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": _version(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"]),
    }


def checkout(ref: str, destination: Path) -> Path:
    """The template's files at git `ref`, extracted (not cloned) into `destination`."""
    destination.mkdir(parents=True)
    with tempfile.TemporaryFile() as archive:
        subprocess.run(
            ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", ref],
            stdout=archive,
            check=True,
        )
        archive.seek(0)
        with tarfile.open(fileobj=archive) as tar:
            tar.extractall(destination, filter="data")
    return destination


def _ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.2f}"


def _pcts(values: list[float]) -> list[str]:
    return [_ms(percentile(values, q)) for q in (50, 95, 99)]


def _rate(tokens: int, seconds: list[float]) -> float:
    median = statistics.median(seconds) if seconds else float("nan")
    return tokens / median if median else float("nan")


def throughput(results: dict) -> dict[str, dict[str, float]]:
    """Per path: tokens per second over the whole request and after the first token."""
    fast = results["throughput"]
    tokens = fast["tokens"]
    rates = {}
    for name, data in fast["paths"].items():
        after_first = [last - first for first, last in zip(data["ttft"], data["ttlt"], strict=True)]
        rates[name] = {
            "whole": _rate(tokens, data["ttlt"]),
            "after_first": _rate(tokens - 1, after_first),
            "ttlt": statistics.median(data["ttlt"]) if data["ttlt"] else float("nan"),
            "errors": data["errors"],
        }
    return rates


def relay_us(runs: list[dict]) -> float:
    costs = [r["cpu_seconds"] / r["tokens"] * 1e6 for r in runs if not r["error"]]
    return statistics.median(costs) if costs else float("nan")


def targets(results: dict) -> list[str]:
    proxy = results["latency"]["paths"]["proxy"]
    p50 = percentile(proxy["added_ttft"], 50) * 1000
    p99 = percentile(proxy["added_ttft"], 99) * 1000
    rates = throughput(results)
    ratio = rates["proxy"]["whole"] / rates["direct"]["whole"]
    biggest = max(results["waves"], key=lambda w: w["streams"])
    errors = biggest["proxy_errors"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    return [
        (
            f"median added TTFT through the proxy: {p50:.2f} ms (target <= {TARGET_TTFT_P50_MS:g} ms: "
            f"{verdict(p50 <= TARGET_TTFT_P50_MS)})"
        ),
        (
            f"p99 added TTFT through the proxy: {p99:.2f} ms (target <= {TARGET_TTFT_P99_MS:g} ms: "
            f"{verdict(p99 <= TARGET_TTFT_P99_MS)})"
        ),
        (
            f"proxied throughput, zero-delay {results['throughput']['tokens']}-token reply: "
            f"{ratio:.0%} of direct (target >= {TARGET_THROUGHPUT:.0%}: "
            f"{verdict(ratio >= TARGET_THROUGHPUT)})"
        ),
        (
            f"errors at {biggest['streams']} concurrent streams: {errors} "
            f"(target 0 at 500: {verdict(errors == 0 and biggest['streams'] >= 500)})"
        ),
    ]


def _latency_table(results: dict) -> list[str]:
    latency = results["latency"]
    lines = [
        "| Path | added TTFT p50 | p95 | p99 | added TTLT p50 | p95 | p99 | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, data in latency["paths"].items():
        row = [name, *_pcts(data["added_ttft"]), *_pcts(data["added_ttlt"]), str(data["errors"])]
        lines.append("| " + " | ".join(row) + " |")
    lines.append(
        f"\nDirect to the backend, for reference: TTFT p50 {_ms(percentile(latency['direct_ttft'], 50))} ms, "
        f"TTLT p50 {_ms(percentile(latency['direct_ttlt'], 50))} ms "
        f"({latency['rounds']} rounds, reply `{latency['prompt']}`)."
    )
    return lines


def _throughput_table(results: dict) -> list[str]:
    rates = throughput(results)
    direct = rates["direct"]
    lines = [
        (
            "| Path | median time to last token (ms) | tokens/s, whole request | vs direct "
            "| tokens/s after the first token | vs direct | errors |"
        ),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, rate in rates.items():
        lines.append(
            f"| {name} | {_ms(rate['ttlt'])} | {rate['whole']:,.0f} | "
            f"{rate['whole'] / direct['whole']:.0%} | {rate['after_first']:,.0f} | "
            f"{rate['after_first'] / direct['after_first']:.0%} | {rate['errors']} |"
        )
    return lines


def _relay_lines(runs: list[dict]) -> list[str]:
    lines = []
    for run in runs:
        status = f", error: {run['error']}" if run["error"] else ""
        lines.append(
            f"- {run['tokens']:,} backend tokens in {run['seconds'] * 1000:,.0f} ms "
            f"({run['tokens'] / run['seconds']:,.0f} tokens/s), proxy CPU "
            f"{run['cpu_seconds'] * 1000:,.0f} ms = **{run['cpu_seconds'] / run['tokens'] * 1e6:.1f} µs "
            f"per backend token**; {run['events']:,} ChatKit delta events sent{status}"
        )
    return lines


def _wave_table(waves: list[dict]) -> list[str]:
    lines = [
        (
            "| Streams | errors (direct / proxy) | added TTFT p50 / p95 / p99 (ms) "
            "| added TTLT p50 / p95 / p99 (ms) | proxy CPU (s, % of one core) "
            "| proxy RSS before → peak (MiB) | memory per open stream (KiB) |"
        ),
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for wave in waves:
        ttft = " / ".join(_ms(wave["added_ttft"][q]) for q in (50, 95, 99))
        ttlt = " / ".join(_ms(wave["added_ttlt"][q]) for q in (50, 95, 99))
        busy = wave["proxy_cpu_seconds"] / wave["seconds"] if wave["seconds"] else 0
        errors = f"{wave['direct_errors']} / {wave['proxy_errors']}"
        if wave["error_samples"]:
            errors += " (" + "; ".join(wave["error_samples"]) + ")"
        lines.append(
            f"| {wave['streams']} | {errors} | {ttft} | {ttlt} | "
            f"{wave['proxy_cpu_seconds']:.2f} ({busy:.0%}) | "
            f"{wave['rss_before'] / 2**20:.1f} → {wave['rss_peak'] / 2**20:.1f} | "
            f"{wave['bytes_per_stream'] / 1024:.1f} |"
        )
    return lines


def _render_lines(renders: dict) -> list[str]:
    lines = []
    for name, data in renders.items():
        seconds = data["seconds"]
        answers = ", ".join(f"{k}={v}" for k, v in data["answers"].items()) or "all defaults"
        lines.append(
            f"- {name} ({answers}): median {statistics.median(seconds):.2f} s over "
            f"{len(seconds)} run(s) of `copier copy` (process start included)"
        )
    return lines


def _comparison(results: dict) -> list[str]:
    proxy = results["latency"]["paths"]["proxy"]["added_ttft"]
    p50 = percentile(proxy, 50) * 1000
    p99 = percentile(proxy, 99) * 1000
    return [
        (
            f"Through the proxy alone the median added time to first token is **{p50:.2f} ms** "
            f"(p99 {p99:.2f} ms), and that includes authenticating the session token, validating the "
            "request, checking the thread's owner and writing the thread and the user's message to "
            "SQLite before the backend is called. LiteLLM publishes a median overhead of 2-12 ms "
            "(p99 13-43 ms) without persisting anything; Portkey claims under 1 ms. Their figures "
            "come from their own machines and load, so compare orders of magnitude, not decimals."
        ),
    ]


def _before_after(results: dict, ref: str) -> list[str]:
    old = f"proxy@{ref}"
    latency = results["latency"]["paths"]
    rates = throughput(results)
    direct = rates["direct"]["whole"]

    def at_most(waves: list[dict]) -> dict:
        return max(waves, key=lambda w: w["streams"])

    now, then = at_most(results["waves"]), at_most(results["baseline_waves"])
    rows = [
        (
            "added TTFT p50 (ms)",
            *(_ms(percentile(latency[p]["added_ttft"], 50)) for p in (old, "proxy")),
        ),
        (
            "added TTFT p99 (ms)",
            *(_ms(percentile(latency[p]["added_ttft"], 99)) for p in (old, "proxy")),
        ),
        (
            "added TTLT p50 (ms)",
            *(_ms(percentile(latency[p]["added_ttlt"], 50)) for p in (old, "proxy")),
        ),
        (
            f"zero-delay {results['throughput']['tokens']}-token reply, tokens/s vs direct",
            *(f"{rates[p]['whole'] / direct:.0%}" for p in (old, "proxy")),
        ),
        (
            "proxy CPU per relayed token (µs)",
            *(f"{relay_us(results[k]):.1f}" for k in ("baseline_relay", "relay")),
        ),
        (
            f"{now['streams']} streams: errors",
            *(str(w["proxy_errors"]) for w in (then, now)),
        ),
        (
            f"{now['streams']} streams: added TTFT p50 (ms)",
            *(_ms(w["added_ttft"][50]) for w in (then, now)),
        ),
        (
            f"{now['streams']} streams: proxy CPU (s)",
            *(f"{w['proxy_cpu_seconds']:.2f}" for w in (then, now)),
        ),
    ]
    lines = [f"| | before (`{ref}`) | after |", "| --- | ---: | ---: |"]
    lines += [f"| {name} | {before} | {after} |" for name, before, after in rows]
    return lines


def _section(results: dict, ref: str | None) -> list[str]:
    lines = [
        "### Added latency (pairwise against direct requests in the same run)",
        "",
        *_latency_table(results),
        "",
        "### Throughput of a zero-delay reply",
        "",
        *_throughput_table(results),
        "",
        "### Relay cost per text delta (one long zero-delay stream through the proxy)",
        "",
        *_relay_lines(results["relay"]),
    ]
    if ref:
        lines += ["", f"Before (`{ref}`):", "", *_relay_lines(results["baseline_relay"])]
    lines += [
        "",
        "### Concurrency (simultaneous streams, each 50 tokens 20 ms apart)",
        "",
        *_wave_table(results["waves"]),
    ]
    if ref:
        lines += ["", f"Before (`{ref}`):", "", *_wave_table(results["baseline_waves"])]
    return lines


HOT_PATH_CHANGES = [
    "What the profile showed, and what was changed in the generated proxy:",
    "",
    (
        "- The request was parsed twice: the SDK's `process(body)` builds a pydantic `TypeAdapter` "
        "for the whole request union on every call. The routes now hand the request they already "
        "validated to `process_request()` (the SDK's own dispatch, openai-chatkit pinned)."
    ),
    (
        "- Two `def` dependencies ran in a worker thread per request; they are `async def` now. "
        "SQLite commits each statement itself and reads with `execute_fetchall`, fewer trips to "
        "aiosqlite's thread before the first token; the thread title is set after the first delta, "
        "so saving it does not delay that delta."
    ),
    (
        "- The SSE clients read the end of the body after the last event, so the upstream "
        "connection goes back to the pool instead of being closed unread (bounded wait)."
    ),
    (
        "- Relay cost (py-spy on a 20,000-token zero-delay stream, about 105 µs of CPU per token): "
        "every backend token crossed every layer on its own, httpx/httpcore and httpx-sse reading "
        "each chunk (a quarter of the time), an `asyncio.timeout` per chunk, the heartbeat's "
        "producer task, queue and a `queue.get()` task with `asyncio.wait` per event, the SDK's "
        "bookkeeping and pydantic serialisation per event, and one ASGI send and socket write per "
        "event (another quarter)."
    ),
    (
        "- Deltas are now joined where they pile up, without waiting for anything: backend/resilience.py "
        "reads the backend stream in a task of its own and hands the relay everything that "
        "arrived since its last delta as one. (A hand-written SSE parser yielding one delta per "
        "network read was tried too; with the reader's joining it saved nothing measurable over "
        "httpx-sse, so the library stays.) A zero-delay stream of 20,000 tokens became about 60 ChatKit events; a "
        "paced backend is still relayed token by token, as each token arrives. The read-ahead is "
        "bounded (64 Ki characters), so a slow client still holds the backend back. The first "
        "chunk, idle and total limits are one timer per stream, moved on only when it fires."
    ),
    (
        "- The heartbeat no longer relays every event through a task and a queue: the SSE "
        "response (http/heartbeat.py) sends events from the request's task, and one watcher per "
        "stream sends `: ping` when the stream has been quiet for the interval and cancels it "
        "when the client leaves. The reader task above replaces that hop rather than adding one "
        "(the earlier attempt at joining deltas added a task and a queue on top of the "
        "heartbeat's). One paced stream (a token per ms) costs a quarter less CPU per token than "
        "before; at 500 paced streams the proxy still saturates, and in three noisy runs used "
        "about a tenth more CPU than before (the reader takes each network read as it comes, "
        "where the old producer, held back by its one-slot queue, found several in the socket "
        "at once), with the median time to last token mostly lower. Reading lazily while still "
        "joining what is already buffered needs a peek into httpx's buffer that its API does not "
        "give."
    ),
    (
        "- Per request: tenacity's `AsyncRetrying` is about two thirds of the endpoint wrapper's "
        "own time (some tens of µs: it inspects its callbacks on every attempt); a plain loop "
        "would save that, but retries stay with the maintained library. A thread created by the request is not read back for its history (it holds only "
        "the message just stored). A session token already verified is not verified again (its "
        "expiry is). The WebSocket client no longer sets a timeout per message (backend/resilience.py "
        "limits every wait with the same setting)."
    ),
    (
        "- state/rate_limit.py's in-memory moving-window limiter (limits' `MemoryStorage`) ran "
        "`asyncio.to_thread` for every key after each hit, a thread hop and GIL contention per "
        "request (the proxy's own time to first token fell from 3.6 to 2.8 ms without it in one "
        "comparison on this machine): the limit is now a sliding-window counter, two weighted "
        "counters per user and no expiry pass."
    ),
    (
        "- The backend's HTTP client: httpx's own transport (httpcore on anyio) waits a loop turn "
        "on every read and write, pauses and resumes the socket's reader on every read, and "
        "writes a request's head and body separately. Marks inside one request put 1.5 ms "
        "between the proxy's call and the backend's response headers (0.4 ms of it before the "
        "request was even written). The pool now runs on httpx-aiohttp's transport (httpx's API "
        "on aiohttp's connections, the transport the OpenAI Python SDK offers for speed): in one "
        "side-by-side run of 300 paired rounds the median added time to first token fell from "
        "3.25 to 2.85 ms and the proxy's CPU per 20-token reply from 8.6 to 6.7 ms. That "
        "transport reports every aiohttp connection error as a connect timeout; backend/connections.py "
        "reports a refused or reset connection as what it is (the generated failure test caught "
        "it), and it keeps no cookie jar."
    ),
    (
        "- The garbage collector: start-up leaves about 226,000 long-lived objects (the SDK, the "
        "Agents SDK, pydantic's schemas), and a full collection walked all of them, 110 ms on "
        "this machine under load, stalling every open stream. They are frozen (`gc.freeze()`) "
        "once the services are up."
    ),
    (
        "- Where the time to first token goes now (marks inside one request, medians of 300, "
        "one stream at a time, the proxy idle while the direct request runs, as in the rounds "
        "above): session token and routing 0.27 ms, validation 0.13 ms, thread and message "
        "written (two aiosqlite trips) 0.50 ms, response start and the first events' write "
        "0.24 ms, history and request 0.10 ms, rate limit 0.09 ms, retry set-up and the "
        "reader task 0.12 ms, then 1.0 ms until the backend's response headers (the direct "
        "request, the backend's own work included, has its first token after 0.43 ms), 0.2 ms "
        "to the first delta and 0.28 ms until the first delta has left as three ChatKit events "
        "(item added, part added, delta), each its own socket write. Sending those three in one "
        "write was tried: about 0.1 ms, inside the noise of three runs, so it was not kept. The "
        "same marks are about half as long when requests come back to back: on this virtual "
        "machine a process woken after 40 ms of idleness answers about 1 ms later than a busy "
        "one (a bare aiohttp client's first chunk: 0.5 ms back to back, 1.4 ms after a 40 ms "
        "sleep), and in these rounds the proxy and aiosqlite's thread have slept while the "
        "direct request ran. What is left is spread over those steps, none of them more than "
        "half a millisecond apart from the backend call itself."
    ),
]


def markdown(figures: dict, command: str) -> str:
    current = figures["current"]
    ref = figures.get("baseline_ref")
    m = figures["machine"]
    lines = [
        "# Benchmarks",
        "",
        (
            "What the generated proxy adds between ChatKit and an OpenAI-compatible backend, measured "
            "by `bench/run.py` on a project rendered with the default answers. Reproduce with:"
        ),
        "",
        "```sh",
        command,
        "```",
        "",
        (
            f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB RAM, Linux "
            f"{m['kernel']}, Python {m['python']}, Node {m['node']}. Template commit {m['commit']}, "
            f"{m['date']}. Load average before the run `{m['loadavg_before']}`, after "
            f"`{m['loadavg_after']}` (a busy machine inflates every figure; the tail percentiles most). "
            f"The run took {figures['seconds'] / 60:.1f} minutes."
        ),
        "",
        "## Targets",
        "",
        *[f"- {line}" for line in targets(current)],
        "",
        "## Where this stands",
        "",
        *_comparison(current),
        "",
        *(
            [
                f"## Against the template at `{ref}`",
                "",
                (
                    f"The proxy rendered from the template at `{ref}` runs beside the current one, "
                    "on the same backend, and is measured in the same rounds."
                ),
                "",
                *_before_after(current, ref),
                "",
            ]
            if ref
            else []
        ),
        "## What the hot-path work changed",
        "",
        *HOT_PATH_CHANGES,
        "",
        "## Figures",
        "",
        *_section(current, ref),
        "",
        "### Render time",
        "",
        *_render_lines(figures["renders"]),
        "",
    ]
    lines += [
        "## How it is measured",
        "",
        (
            "- Every part runs as its own process on loopback: the paced backend "
            "(`bench/backend.py`, Starlette on uvicorn), the proxy (`uvicorn <package>.app:app`, "
            "one process) and `next start` after `next build`. The client (`bench/client.py`) keeps "
            "its connections alive and only counts a marker per text delta, so it costs the same on "
            "every path."
        ),
        (
            "- Added latency is pairwise: each round sends the same reply request directly, through "
            "the proxy and through Next.js + proxy (in alternating order) and subtracts the direct "
            "time of that round. Through the proxy every request is a `threads.create`: session token "
            "check, request validation, a new thread and the user's message written to SQLite before "
            "the backend is called. TTFT is the first text delta; TTLT the last one (persisting the "
            "answer afterwards is not counted)."
        ),
        (
            "- Throughput: a 200-token reply the backend writes with no delay between tokens; "
            '"whole request" is tokens divided by the median time to last token from sending the '
            'request (so it includes the proxy\'s per-request work), "after the first token" leaves '
            "the time to first token out. The target is checked against the whole-request figure."
        ),
        (
            "- Relay cost: proxy CPU time (user + system, from /proc) during one long zero-delay "
            "stream divided by the backend's tokens; the proxy joins the tokens that arrive while the "
            "previous delta is going out, so the number of ChatKit delta events it sent is given too."
        ),
        (
            "- Concurrency: all streams start at once on their own connections, first straight to "
            "the backend and then through the proxy; added latency is the proxied percentile minus "
            "the direct percentile of the same wave. CPU is the proxy process's CPU time during the "
            "wave; memory per stream is (peak RSS during the wave - RSS before it) / streams."
        ),
        "",
    ]
    return "\n".join(lines)
