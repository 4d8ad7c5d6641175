"""Shared helpers for the template's own tests.

Every test renders through `render()`: pytest-copie silently ignores answer keys that are not
questions in copier.yml, so a typo would quietly test the defaults instead.
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import os
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
COPIER_YML = REPO_ROOT / "copier.yml"
EXTENSION = REPO_ROOT / "extensions" / "context.py"

# Copier commits draft changes of a dirty local template, and the tests commit and tag
# template copies: both need a git identity, which a fresh CI machine does not have.
_GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "template-tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "template-tests@example.com",
}

# Never part of the template, even when a missing .gitignore entry lets git list them.
_NOT_TEMPLATE = (
    ".git",
    ".venv",
    "node_modules",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".next",
)

# Combinations of choice values rendered by test_render; above this, vary one question at a time.
MAX_COMBINATIONS = 64


def load_copier_yml() -> dict[str, Any]:
    return yaml.safe_load(COPIER_YML.read_text(encoding="utf-8"))


def questions() -> dict[str, dict[str, Any]]:
    """The questions of copier.yml, in file order (settings, `_*` keys, left out)."""
    return {key: spec for key, spec in load_copier_yml().items() if not key.startswith("_")}


def choice_values(spec: dict[str, Any]) -> list[Any]:
    """Machine values of a question's `choices`, whichever of Copier's spellings it uses."""
    choices = spec.get("choices")
    if choices is None:
        return []
    if isinstance(choices, dict):
        items = list(choices.values())
    else:
        items = [item[1] if isinstance(item, list | tuple) else item for item in choices]
    return [item["value"] if isinstance(item, dict) else item for item in items]


def answer_values(spec: dict[str, Any]) -> list[Any]:
    """Every answer a choice question accepts: each value, or each subset for a multiselect."""
    values = choice_values(spec)
    if not spec.get("multiselect"):
        return values
    return [
        list(subset)
        for size in range(len(values) + 1)
        for subset in itertools.combinations(values, size)
    ]


def choice_questions() -> dict[str, list[Any]]:
    return {name: choice_values(spec) for name, spec in questions().items() if "choices" in spec}


def is_valid(answers: dict[str, Any]) -> bool:
    """False when the answers (defaults filled in) contain a combination copier.yml refuses,
    as the extension's validator decides it."""
    defaults = {name: spec.get("default") for name, spec in questions().items()}
    full = {**defaults, **answers}
    return _extension().streaming_error(full["streaming"], full["backend_protocol"]) == ""


@functools.cache
def _extension() -> ModuleType:
    """extensions/context.py, which Copier loads by path (it is not an importable package)."""
    spec = importlib.util.spec_from_file_location("template_extension", EXTENSION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def answer_questions() -> dict[str, list[Any]]:
    """Every answer of each question that has a fixed set: choices, and yes/no."""
    return {
        name: answer_values(spec) if "choices" in spec else [False, True]
        for name, spec in questions().items()
        if "choices" in spec or spec.get("type") == "bool"
    }


def choice_combinations() -> list[dict[str, Any]]:
    """Answers for every valid combination of choice answers (or one question at a time)."""
    choices = answer_questions()
    names = list(choices)
    product = [
        dict(zip(names, values, strict=True)) for values in itertools.product(*choices.values())
    ]
    if len(product) <= MAX_COMBINATIONS:
        return [answers for answers in product if is_valid(answers)]
    combos = [{}]
    for name, values in choices.items():
        default = questions()[name].get("default")
        for value in values:
            if value != default:
                combos.append(_made_valid({name: value}, choices))
    return combos


def _made_valid(answers: dict[str, Any], choices: dict[str, list[Any]]) -> dict[str, Any]:
    """`answers`, plus one other answer if that is what makes them valid."""
    if is_valid(answers):
        return answers
    for name, values in choices.items():
        for value in values:
            if name not in answers and is_valid({**answers, name: value}):
                return {**answers, name: value}
    raise AssertionError(f"no valid combination contains {answers}")


def combination_id(answers: dict[str, Any]) -> str:
    def spelled(value: Any) -> str:
        if isinstance(value, list):
            return "+".join(value) or "none"
        return str(value)

    return "-".join(f"{key}={spelled(value)}" for key, value in answers.items()) or "defaults"


def assert_known_questions(answers: dict[str, Any]) -> None:
    unknown = sorted(set(answers) - set(questions()))
    assert not unknown, f"not questions in copier.yml (typo?): {unknown}"


def render(copie, **answers: Any):
    """Render the template with the defaults plus `answers`, refusing unknown answer keys."""
    assert_known_questions(answers)
    return copie.copy(extra_answers=answers, template_dir=REPO_ROOT)


def render_ok(copie, **answers: Any) -> Path:
    """Render and return the project directory, failing with Copier's error if it did not render."""
    result = render(copie, **answers)
    assert result.exit_code == 0, f"render failed: {result.exception!r}"
    assert result.project_dir is not None
    return result.project_dir


OUTPUT_TAIL_LINES = 120


def run_in_project(
    command: list[str],
    cwd: Path,
    *,
    timeout: float,
    label: str | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """Run a generated project's command; fail with the end of its output unless it passes."""
    label = label or f"`{' '.join(command)}`"
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        output = error.output or ""
        if isinstance(output, bytes):
            output = output.decode(errors="replace")
        pytest.fail(f"{label} ran over {timeout} s:\n{tail_of(output)}")
    assert done.returncode == 0, f"{label} exited {done.returncode}:\n{tail_of(done.stdout)}"
    return done.stdout


MAKE_TIMEOUT_SECONDS = 20 * 60
MAKE_TOOLS = ("make", "uv", "node", "npm")


def make_passes(project: Path, target: str, *, label: str | None = None) -> str:
    """Run `make <target>` in a freshly rendered project (a git repository, like a user's)."""
    missing = [tool for tool in MAKE_TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"`make {target}` of the generated project needs {missing} on PATH")
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    label = f"{label}: `make {target}`" if label else None
    return run_in_project(["make", target], project, timeout=MAKE_TIMEOUT_SECONDS, label=label)


def tail_of(output: str) -> str:
    return "\n".join(output.splitlines()[-OUTPUT_TAIL_LINES:])


def copy_template_tree(destination: Path) -> Path:
    """Copy the template repository's working tree to `destination`, as git would see it.

    Tracked and untracked files that .gitignore does not exclude, uncommitted changes included;
    outside a git checkout, everything but VCS folders, virtualenvs, caches and node_modules.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        ignore = shutil.ignore_patterns(*_NOT_TEMPLATE)
        shutil.copytree(REPO_ROOT, destination, ignore=ignore)
        return destination
    for name in sorted(set(listed.stdout.decode().split("\0")) - {""}):
        source = REPO_ROOT / name
        if not source.is_file() or set(Path(name).parts) & set(_NOT_TEMPLATE):
            continue  # deleted but still in the index, or a folder git should have ignored
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return destination


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def commit_all(repo: Path, message: str) -> None:
    git("add", "-A", cwd=repo)
    git("commit", "-q", "--allow-empty", "-m", message, cwd=repo)


def tagged_template_repo(destination: Path) -> Path:
    """The template's working tree as a git repository of its own, tagged `v1.0.0`: what
    Copier sees of a released template (no dirty-tree warnings, versions to update between)."""
    template = copy_template_tree(destination)
    git("init", "-q", "-b", "main", cwd=template)
    commit_all(template, "v1.0.0")
    git("tag", "v1.0.0", cwd=template)
    return template


def text_files(root: Path) -> dict[Path, str]:
    """Every UTF-8 text file under `root` (relative path -> content), skipping .git."""
    files = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or relative.parts[0] == ".git":
            continue
        try:
            files[relative] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
    return files


def pytest_configure(config):
    # Expected whenever the template has uncommitted changes: copier renders them too.
    config.addinivalue_line("filterwarnings", "ignore::copier.errors.DirtyLocalWarning")


@pytest.fixture(autouse=True, scope="session")
def _git_identity():
    with pytest.MonkeyPatch.context() as patch:
        for name, value in _GIT_IDENTITY.items():
            patch.setenv(name, os.environ.get(name, value))
        yield
