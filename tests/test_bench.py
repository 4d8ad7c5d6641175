"""The benchmark's code path works end to end (tiny counts, no Next.js): bench/run.py."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))

from answers import largest_answers
from conftest import choice_questions, is_valid, questions
from measure import percentile


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile([3.0], 99) == 3


def test_the_largest_answer_set_offers_every_question_a_value() -> None:
    rendered = []
    choices = choice_questions()
    multiselect = {name for name, spec in questions().items() if spec.get("multiselect")}

    def render(destination, answers) -> None:
        rendered.append(answers)
        if not is_valid({k: v for k, v in answers.items() if k not in multiselect}):
            raise RuntimeError("copier refuses this combination")
        destination.mkdir(parents=True)
        # Pretend the last choice renders the most, so the pick is visible.
        name, value = list(answers.items())[-1]
        size = choices[name].index(value) + 1 if name in choices else 1
        (destination / "f").write_text("x" * size)

    answers = largest_answers(REPO_ROOT, render)
    for name, values in choices.items():
        if name in multiselect:
            assert answers[name] == values
        else:
            # The last value that renders together with the answers picked before it.
            valid = [v for v in values if is_valid({**_single(answers, multiselect), name: v})]
            assert answers[name] == valid[-1]
    for name, spec in questions().items():
        if spec.get("type") == "bool":  # yes, unless refused with the answers picked
            assert answers[name] is is_valid({**_single(answers, multiselect), name: True})
    assert is_valid(_single(answers, multiselect))


def _single(answers: dict, multiselect: set[str]) -> dict:
    return {k: v for k, v in answers.items() if k not in multiselect}


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
