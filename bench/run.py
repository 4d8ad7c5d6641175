"""Benchmark of the generated project: the proxy's added latency, relay cost and concurrency.

    uv run python bench/run.py             # full run, writes BENCHMARKS.md (about 8 minutes)
    uv run python bench/run.py --quick     # small counts, a couple of minutes
    uv run python bench/run.py --baseline REF   # also measure the template at git REF

Renders a project with the default answers into a temporary folder, installs it (`uv sync`;
`npm ci` and `next build` unless --no-web), starts a paced OpenAI-compatible backend
(bench/backend.py), the generated proxy under uvicorn and `next start`, each as its own
process on loopback, measures, stops them and writes the report. Nothing outside the
temporary folder and the report is touched.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import measure
import report
from answers import largest_answers
from stack import REPO_ROOT, Stack, install, render, tools_present


@dataclass(frozen=True)
class Plan:
    warmup: int
    rounds: int
    throughput_rounds: int
    relay_tokens: int
    relay_repeats: int
    waves: tuple[int, ...]
    renders: int


FULL = Plan(
    warmup=30,
    rounds=200,
    throughput_rounds=60,
    relay_tokens=20_000,
    relay_repeats=3,
    waves=(1, 50, 200, 500),
    renders=3,
)
QUICK = Plan(
    warmup=5,
    rounds=30,
    throughput_rounds=10,
    relay_tokens=2_000,
    relay_repeats=1,
    waves=(1, 10, 50),
    renders=1,
)
TINY = Plan(  # the test suite's smoke run of this code path
    warmup=1,
    rounds=3,
    throughput_rounds=2,
    relay_tokens=200,
    relay_repeats=1,
    waves=(1, 5),
    renders=1,
)
PLANS = {"full": FULL, "quick": QUICK, "tiny": TINY}

# Latency pairs: a paced reply (20 tokens, 2 ms apart) so first and last token both matter.
LATENCY_PROMPT = measure.spec(20, first_ms=0, gap_ms=2)
THROUGHPUT_TOKENS = 200
# Concurrency: one-second replies (50 tokens, 20 ms apart) so every stream is open at once.
WAVE_PROMPT = measure.spec(50, first_ms=0, gap_ms=20)


def _wave_figures(wave: measure.Wave) -> dict:
    return {
        "streams": wave.streams,
        "prompt": WAVE_PROMPT,
        "direct_errors": wave.errors(wave.direct),
        "proxy_errors": wave.errors(wave.proxied),
        "error_samples": sorted({t.error for t in wave.proxied if t.error})[:3],
        "added_ttft": {q: wave.added("ttft", q) for q in (50, 95, 99)},
        "added_ttlt": {q: wave.added("ttlt", q) for q in (50, 95, 99)},
        "proxy_cpu_seconds": wave.proxy_cpu,
        "seconds": wave.seconds,
        "rss_before": wave.rss_before,
        "rss_peak": wave.rss_peak,
        "bytes_per_stream": wave.bytes_per_stream,
    }


async def measure_stacks(stack: Stack, baseline: Stack | None, plan: Plan, log) -> dict:
    """Measure `stack` and, in the same rounds, the `baseline` proxy (same backend)."""
    token = await measure.session_token(stack.proxy.port)
    next_port = stack.next.port if stack.next else None
    routes = measure.paths(stack.backend.port, stack.proxy.port, next_port, token)
    direct, proxy = routes[0], routes[1]
    proxies = [(proxy, stack.proxy.pid, "")]
    if baseline is not None:
        old = measure.Route(
            f"proxy@{baseline.ref}",
            baseline.proxy.port,
            proxy.url,
            proxy.marker,
            {"Authorization": f"Bearer {await measure.session_token(baseline.proxy.port)}"},
        )
        routes.append(old)
        proxies.append((old, baseline.proxy.pid, "baseline_"))
    results: dict = {}

    log(f"warming up ({plan.warmup} rounds)")
    await measure.paired(routes, LATENCY_PROMPT, plan.warmup)

    log(f"latency: {plan.rounds} rounds over {', '.join(r.name for r in routes)}")
    latency = await measure.paired(routes, LATENCY_PROMPT, plan.rounds)
    results["latency"] = {
        "prompt": LATENCY_PROMPT,
        "rounds": plan.rounds,
        "direct_ttft": [t.ttft for t in latency.timings["direct"] if t.ok],
        "direct_ttlt": [t.ttlt for t in latency.timings["direct"] if t.ok],
        "paths": {
            r.name: {
                "added_ttft": latency.added(r.name, "ttft"),
                "added_ttlt": latency.added(r.name, "ttlt"),
                "errors": latency.errors(r.name),
                "server_timing": [t.server_timing for t in latency.timings[r.name]][-1:],
            }
            for r in routes[1:]
        },
    }

    log(
        f"throughput: {plan.throughput_rounds} rounds of a zero-delay {THROUGHPUT_TOKENS}-token reply"
    )
    fast = await measure.paired(routes, measure.spec(THROUGHPUT_TOKENS), plan.throughput_rounds)
    results["throughput"] = {
        "tokens": THROUGHPUT_TOKENS,
        "paths": {
            r.name: {
                "ttlt": [t.ttlt for t in fast.timings[r.name] if t.ok],
                "ttft": [t.ttft for t in fast.timings[r.name] if t.ok],
                "errors": fast.errors(r.name),
            }
            for r in routes
        },
    }

    for route, pid, prefix in proxies:
        log(f"relay cost ({route.name}): {plan.relay_repeats} x {plan.relay_tokens} tokens")
        results[f"{prefix}relay"] = [
            asdict(await measure.relay_cost(route, pid, plan.relay_tokens))
            for _ in range(plan.relay_repeats)
        ]

    for route, pid, prefix in proxies:
        results[f"{prefix}waves"] = []
        for streams in plan.waves:
            log(f"concurrency ({route.name}): {streams} streams, direct then proxied")
            wave = await measure.wave(direct, route, pid, streams, WAVE_PROMPT)
            results[f"{prefix}waves"].append(_wave_figures(wave))
            await asyncio.sleep(1)
    return results


def time_renders(work: Path, plan: Plan, log) -> dict:
    largest = largest_answers(REPO_ROOT, render)
    sets = {"default": {}, "largest": largest}
    timings = {}
    for name, answers in sets.items():
        log(f"render time: {name} answers x{plan.renders}")
        seconds = [render(work / f"render-{name}-{i}", answers) for i in range(plan.renders)]
        timings[name] = {"answers": answers, "seconds": seconds}
    return timings


def prepare(template: Path | str, work: Path, web: bool, log) -> Path:
    project = work / "project"
    log(f"rendering {template} into {project}")
    render(project, {}, template)
    log("installing (uv sync" + (", npm ci, next build)" if web else ")"))
    started = time.perf_counter()
    install(project, web)
    log(f"installed in {time.perf_counter() - started:.0f} s")
    return project


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts (a few minutes)")
    parser.add_argument("--plan", choices=sorted(PLANS), help=argparse.SUPPRESS)
    parser.add_argument("--no-web", action="store_true", help="skip the Next.js path")
    parser.add_argument("--baseline", metavar="REF", help="also measure the template at git REF")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "BENCHMARKS.md")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    plan = PLANS[args.plan or ("quick" if args.quick else "full")]
    web = not args.no_web
    missing = tools_present(web)
    if missing:
        parser.error(f"needs {', '.join(missing)} on PATH")

    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", flush=True)

    figures: dict = {"machine": report.machine(), "plan": asdict(plan), "web": web}
    with tempfile.TemporaryDirectory(prefix="chatkit-bench-") as scratch:
        work = Path(scratch)
        figures["renders"] = time_renders(work, plan, log)
        (work / "current").mkdir()
        project = prepare(REPO_ROOT, work / "current", web, log)
        baseline_project = None
        if args.baseline:
            (work / "baseline").mkdir()
            template = report.checkout(args.baseline, work / "baseline" / "template")
            baseline_project = prepare(template, work / "baseline", False, log)
        log("starting the stack")
        with Stack(project, work / "current", web) as stack, ExitStack() as more:
            baseline = None
            if baseline_project is not None:
                baseline = more.enter_context(
                    Stack(baseline_project, work / "baseline", False, stack.backend, args.baseline)
                )
            figures["current"] = asyncio.run(measure_stacks(stack, baseline, plan, log))
        figures["baseline_ref"] = args.baseline
    figures["machine"]["loadavg_after"] = report.loadavg()
    figures["seconds"] = time.perf_counter() - started
    command = "uv run python bench/run.py" + " ".join(
        [""]
        + (["--quick"] if plan is QUICK else [])
        + (["--no-web"] if not web else [])
        + ([f"--baseline {args.baseline}"] if args.baseline else [])
    )
    args.output.write_text(report.markdown(figures, command), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str), encoding="utf-8")
    log(f"wrote {args.output}")
    summary = report.targets(figures["current"])
    for line in summary:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
