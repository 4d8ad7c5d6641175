"""The `multi_model` answer: a user-owned models.yaml with two models, or one model from .env."""

from __future__ import annotations

import shutil

import copier
import pytest
import yaml
from conftest import REPO_ROOT, render_ok, run_in_project
from test_render import assert_clean

TIMEOUT_SECONDS = 15 * 60


@pytest.mark.parametrize("multi_model", [True, False])
def test_both_answers_render_clean(copie, multi_model):
    project = render_ok(copie, multi_model=multi_model)
    assert_clean(project)

    env_example = (project / ".env.example").read_text(encoding="utf-8")
    pyproject = (project / "proxy" / "pyproject.toml").read_text(encoding="utf-8")
    assert (project / "models.yaml").is_file() is multi_model
    assert ("MODELS_FILE=models.yaml" in env_example) is multi_model
    assert ("CUSTOM_MODEL=" in env_example) is not multi_model
    assert ("pyyaml" in pyproject) is multi_model


def test_the_example_offers_two_models_on_two_backends(copie):
    project = render_ok(copie, multi_model=True)
    models = yaml.safe_load((project / "models.yaml").read_text(encoding="utf-8"))["models"]

    assert len(models) >= 2
    assert [m.get("default", False) for m in models].count(True) == 1
    # The first uses CUSTOM_BACKEND_URL (the dev backend `make dev` starts), the second its own.
    backends = {m.get("backend_url") for m in models}
    assert len(backends) >= 2


def test_copier_never_overwrites_the_users_models_file(tmp_path):
    project = tmp_path / "project"
    copier.run_copy(
        str(REPO_ROOT),
        str(project),
        data={"multi_model": True},
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    mine = "models:\n  - {id: mine, default: true}\n"
    (project / "models.yaml").write_text(mine, encoding="utf-8")
    copier.run_copy(
        str(REPO_ROOT),
        str(project),
        data={"multi_model": True},
        defaults=True,
        unsafe=True,
        overwrite=True,
        quiet=True,
    )

    assert (project / "models.yaml").read_text(encoding="utf-8") == mine


@pytest.mark.slow
def test_the_multi_model_proxy_suite_passes(copie):
    # The single-model project's whole `make test` runs in test_generated_project; here only
    # the proxy suite differs, so only it runs.
    missing = [tool for tool in ("make", "uv") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"the generated proxy suite needs {missing} on PATH")
    project = render_ok(copie, multi_model=True)
    run_in_project(["make", "test-proxy"], project, timeout=TIMEOUT_SECONDS)
