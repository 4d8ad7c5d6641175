"""The generated project's own test suite passes (`make test`): slow, and run by CI."""

from __future__ import annotations

import pytest
from conftest import make_passes, render_ok, run_in_project, tail_of

POSTGRES_TIMEOUT_SECONDS = 10 * 60


@pytest.mark.slow
def test_generated_project_make_test_passes(copie):
    make_passes(render_ok(copie), "test")


# backup_backends changes only the proxy: its suite runs here on the default protocol (the
# largest answer set runs it on the custom WebSocket one, in test_auth_pairs.py).
# openai_hosted changes only the web app, whose suites (unit, types, bundle, browser) the largest
# answer set's whole `make test` runs with it: no run of its own.
@pytest.mark.slow
def test_backup_backends_proxy_suite_passes(copie):
    make_passes(render_ok(copie, fallback=["backup_backends"]), "test-proxy")


@pytest.mark.slow
def test_generated_postgres_proxy_suite_passes_against_real_postgresql(copie):
    # Only the proxy differs between stores; the web suite is the default project's. The
    # generated suite starts its own throwaway PostgreSQL server: here it must not skip.
    project = render_ok(copie, store="postgres")
    output = run_in_project(["make", "test-proxy"], project, timeout=POSTGRES_TIMEOUT_SECONDS)
    summary = output.strip().splitlines()[-1]
    assert " passed" in summary, tail_of(output)
    assert "skipped" not in summary, f"PostgreSQL tests skipped:\n{tail_of(output)}"
