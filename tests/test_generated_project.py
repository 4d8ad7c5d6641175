"""The generated project's own test suite passes (`make test`): slow, and run by CI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import make_passes, render_ok, run_in_project, tail_of

POSTGRES_TIMEOUT_SECONDS = 10 * 60
UV_SETUP_TIMEOUT_SECONDS = 5 * 60


@pytest.mark.slow
def test_generated_project_make_test_passes(copie):
    make_passes(render_ok(copie), "test")


# backup_backends changes only the proxy: its suite runs here on the default protocol (the
# largest answer set runs it on the JSON API WebSocket one, in test_auth_pairs.py).
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


@pytest.mark.slow
def test_a_machine_without_uv_gets_it_from_make_setup(copie):
    # PATH without any folder that holds uv: the Makefile installs uv into .tools/ from PyPI,
    # then the proxy's environment with it.
    project = render_ok(copie)
    folders = os.environ["PATH"].split(os.pathsep)
    without_uv = os.pathsep.join(f for f in folders if not (Path(f) / "uv").exists())
    assert shutil.which("uv", path=without_uv) is None
    assert shutil.which("python3", path=without_uv), "no python3 outside uv's folders"
    env = {**os.environ, "PATH": without_uv}
    env.pop("VIRTUAL_ENV", None)
    env.pop("UV", None)

    output = run_in_project(
        ["make", "proxy/.venv"], project, timeout=UV_SETUP_TIMEOUT_SECONDS, env=env
    )

    assert "uv is not on PATH: installing it from PyPI into .tools/" in output
    assert (project / ".tools" / "bin" / "uv").is_file()
    assert (project / "proxy" / ".venv" / "bin" / "python").exists()
