"""The generated project's own test suite passes (`make test`): slow, and run by CI."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from conftest import render_ok, run_in_project, tail_of

TIMEOUT_SECONDS = 20 * 60
POSTGRES_TIMEOUT_SECONDS = 10 * 60
TOOLS = ("make", "uv", "node", "npm")


@pytest.mark.slow
def test_generated_project_make_test_passes(copie):
    _assert_make_passes(render_ok(copie), "test")


# Each `fallback` selection runs the targets whose files it changes: backup_backends changes
# only the proxy, openai_hosted only the web app (the defaults run both, above).
@pytest.mark.slow
@pytest.mark.parametrize(
    ("fallback", "target"),
    [
        pytest.param(["backup_backends"], "test-proxy", id="backup_backends"),
        pytest.param(["openai_hosted"], "test-web", id="openai_hosted"),
        pytest.param(["backup_backends", "openai_hosted"], "test", id="both"),
    ],
)
def test_fallback_selection_passes_its_tests(copie, fallback, target):
    _assert_make_passes(render_ok(copie, fallback=fallback), target)


def _assert_make_passes(project, target: str) -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"`make {target}` of the generated project needs {missing} on PATH")
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)

    run_in_project(["make", target], project, timeout=TIMEOUT_SECONDS)


@pytest.mark.slow
def test_generated_postgres_proxy_suite_passes_against_real_postgresql(copie):
    # Only the proxy differs between stores; the web suite is the default project's. The
    # generated suite starts its own throwaway PostgreSQL server: here it must not skip.
    project = render_ok(copie, store="postgres")
    output = run_in_project(["make", "test-proxy"], project, timeout=POSTGRES_TIMEOUT_SECONDS)
    summary = output.strip().splitlines()[-1]
    assert " passed" in summary, tail_of(output)
    assert "skipped" not in summary, f"PostgreSQL tests skipped:\n{tail_of(output)}"
