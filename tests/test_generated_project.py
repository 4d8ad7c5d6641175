"""The generated project's own test suite passes (`make test`): slow, and run by CI."""

from __future__ import annotations

import pytest
from conftest import make_passes, render_ok, run_in_project, tail_of

POSTGRES_TIMEOUT_SECONDS = 10 * 60


@pytest.mark.slow
def test_generated_project_make_test_passes(copie):
    make_passes(render_ok(copie), "test")


# Each `fallback` choice runs the targets whose files it changes: backup_backends changes only
# the proxy, openai_hosted only the web app. Both together run their whole `make test` with the
# largest answer set, in test_auth_pairs.py.
@pytest.mark.slow
@pytest.mark.parametrize(
    ("fallback", "target"),
    [
        pytest.param(["backup_backends"], "test-proxy", id="backup_backends"),
        pytest.param(["openai_hosted"], "test-web", id="openai_hosted"),
    ],
)
def test_fallback_selection_passes_its_tests(copie, fallback, target):
    make_passes(render_ok(copie, fallback=fallback), target)


@pytest.mark.slow
def test_generated_postgres_proxy_suite_passes_against_real_postgresql(copie):
    # Only the proxy differs between stores; the web suite is the default project's. The
    # generated suite starts its own throwaway PostgreSQL server: here it must not skip.
    project = render_ok(copie, store="postgres")
    output = run_in_project(["make", "test-proxy"], project, timeout=POSTGRES_TIMEOUT_SECONDS)
    summary = output.strip().splitlines()[-1]
    assert " passed" in summary, tail_of(output)
    assert "skipped" not in summary, f"PostgreSQL tests skipped:\n{tail_of(output)}"
