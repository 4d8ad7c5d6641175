"""The benchmark's code path works end to end (tiny counts, no Next.js): bench/run.py."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))

from answers import largest_answers
from conftest import choice_questions
from measure import percentile


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile([3.0], 99) == 3


def test_the_largest_answer_set_offers_every_question_a_value() -> None:
    rendered = []

    def render(destination, answers) -> None:
        rendered.append(answers)
        destination.mkdir(parents=True)
        # Pretend the last choice renders the most, so the pick is visible.
        name, value = next(iter(answers.items()))
        values = choice_questions()[name]
        (destination / "f").write_text("x" * (values.index(value) + 1))

    answers = largest_answers(REPO_ROOT, render)
    for name, values in choice_questions().items():
        assert answers[name] == values[-1]
    assert all(len(a) == 1 for a in rendered)


@pytest.mark.slow
def test_a_tiny_benchmark_run_writes_every_section(tmp_path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    raw = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "run.py"), "--plan", "tiny", "--no-web"]
        + ["--output", str(output), "--json", str(raw)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = output.read_text(encoding="utf-8")
    for heading in (
        "## Targets",
        "### Added latency",
        "### Throughput",
        "### Relay cost per text delta",
        "### Concurrency",
        "### Render time",
        "Load average",
    ):
        assert heading in report
    figures = json.loads(raw.read_text(encoding="utf-8"))["current"]
    assert figures["latency"]["paths"]["proxy"]["errors"] == 0
    assert all(wave["proxy_errors"] == 0 for wave in figures["waves"])
    assert all(not run["error"] for run in figures["relay"])
