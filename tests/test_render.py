"""Rendered projects: complete, free of template debris, lint-clean, and reproducible."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import (
    REPO_ROOT,
    choice_combinations,
    combination_id,
    questions,
    render_ok,
    text_files,
)
from pytest_copie.plugin import Copie

COMBINATIONS = [
    pytest.param(answers, id=combination_id(answers)) for answers in choice_combinations()
]

# Any Jinja delimiter, except GitHub Actions' `${{ ... }}` expressions.
JINJA_ANY = re.compile(r"(?<!\$)\{\{|\{%|\{#")
# In JavaScript-family files `{{` is ordinary syntax (`style={{ ... }}`), so there only Jinja
# that could be ours counts: a block tag, a comment, or an answer or Copier variable.
# Values the ContextHook in extensions/context.py derives from the answers.
_DERIVED = [
    "web_package_name",
    "proxy_distribution",
    "store_class",
    "database_url_default",
    "backend_client_class",
    "backend_url_path",
]
_NAMES = "|".join([*questions(), *_DERIVED, "_copier_[a-z_]+"])
JINJA_OURS = re.compile(
    r"\{%-?\s*[a-z]+\b|\{#.{0,500}?#\}|\{\{-?\s*(?:" + _NAMES + r")\b", re.DOTALL
)
JS_FAMILY = {".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".json", ".css"}

KEY_FILES = [
    "README.md",
    "Makefile",
    ".env.example",
    ".gitignore",
    "proxy/pyproject.toml",
    "proxy/src/{package_name}/app.py",
    "proxy/dev_backend.py",
    "web/package.json",
    "web/package-lock.json",
]

ENV_VARS = [
    "CUSTOM_BACKEND_URL",
    "CUSTOM_BACKEND_KEY",
    "CUSTOM_MODEL",
    "SESSION_SECRET",
    "SESSION_TTL_SECONDS",
    "DATABASE_URL",
    "ALLOWED_ORIGINS",
    "HEARTBEAT_INTERVAL_SECONDS",
    "CHAT_UI",
    "READINESS_CACHE_SECONDS",
]


@pytest.fixture(scope="module")
def default_project(tmp_path_factory) -> Path:
    # Rendered once for the checks that only read it; the `copie` fixture is per test.
    root = tmp_path_factory.mktemp("default")
    copie = Copie(default_template_dir=REPO_ROOT, test_dir=root, config_file=root / "config")
    return render_ok(copie)


def ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    # --isolated would ignore the project's own ruff settings; the project's config is what counts.
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def assert_clean(project: Path) -> None:
    """No Jinja left in names or contents, every .py parses, ruff check and format pass."""
    names_with_suffix = [p.relative_to(project) for p in project.rglob("*") if ".jinja" in p.name]
    assert not names_with_suffix, f"files still named .jinja: {names_with_suffix}"

    residue = {}
    for path, text in text_files(project).items():
        pattern = JINJA_OURS if path.suffix in JS_FAMILY else JINJA_ANY
        if match := pattern.search(text):
            line = text.count("\n", 0, match.start()) + 1
            residue[f"{path}:{line}"] = match.group()[:40]
    assert not residue, f"Jinja residue: {residue}"

    broken = {}
    for path in project.rglob("*.py"):
        try:
            ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as error:
            broken[str(path.relative_to(project))] = f"line {error.lineno}: {error.msg}"
    assert not broken, f"Python files that do not parse: {broken}"

    check = ruff("check", "--no-cache", ".", cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = ruff("format", "--check", "--no-cache", ".", cwd=project)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.mark.parametrize("answers", COMBINATIONS)
def test_combination_renders_clean(copie, answers):
    assert_clean(render_ok(copie, **answers))


@pytest.mark.parametrize(
    ("project_name", "package_name"),
    [
        pytest.param("A", "a", id="sorts-first"),
        pytest.param("Zz Top Chat", "zz_top_chat", id="sorts-last"),
        pytest.param("Café Übersicht", "cafe_ubersicht", id="accents"),
    ],
)
def test_names_do_not_break_lint(copie, project_name, package_name):
    # Import order and line length depend on the package's name: try names at both ends.
    assert_clean(render_ok(copie, project_name=project_name, package_name=package_name))


@pytest.mark.parametrize("relative", KEY_FILES)
def test_key_file_exists(default_project, relative):
    answers = yaml.safe_load((default_project / ".copier-answers.yml").read_text())
    path = default_project / relative.format(package_name=answers["package_name"])

    assert path.is_file(), f"missing {relative}"


def test_answers_file_records_source_and_every_answer(default_project):
    answers_file = default_project / ".copier-answers.yml"
    assert answers_file.is_file()
    recorded = yaml.safe_load(answers_file.read_text(encoding="utf-8"))

    assert recorded.get("_src_path"), "_src_path missing: copier update could not find the template"
    missing = [name for name in questions() if name not in recorded]
    assert not missing, f"answers not recorded: {missing}"


def test_answers_file_records_given_answers(copie):
    project = render_ok(copie, project_name="Acme Helpdesk", package_name="helpdesk")
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))

    assert recorded["project_name"] == "Acme Helpdesk"
    assert recorded["project_slug"] == "acme-helpdesk"
    assert recorded["package_name"] == "helpdesk"
    assert (project / "proxy" / "src" / "helpdesk" / "app.py").is_file()


@pytest.mark.parametrize("variable", ENV_VARS)
def test_env_example_documents(default_project, variable):
    assert variable in (default_project / ".env.example").read_text(encoding="utf-8")


SETTINGS_FIELD = re.compile(r"^    ([a-z][a-z0-9_]*): ", re.MULTILINE)


@pytest.mark.parametrize("answers", COMBINATIONS)
def test_env_example_documents_every_setting(copie, answers):
    project = render_ok(copie, **answers)
    package = yaml.safe_load((project / ".copier-answers.yml").read_text())["package_name"]
    settings = (project / "proxy" / "src" / package / "settings.py").read_text(encoding="utf-8")
    fields = SETTINGS_FIELD.findall(settings.split("class Settings", 1)[1])
    documented = (project / ".env.example").read_text(encoding="utf-8")

    assert len(fields) > 10
    missing = [name.upper() for name in fields if f"{name.upper()}=" not in documented]
    assert not missing, f"settings missing from .env.example: {missing}"


@pytest.mark.parametrize("answers", COMBINATIONS)
def test_readme_names_every_proxy_module(copie, answers):
    project = render_ok(copie, **answers)
    package = yaml.safe_load((project / ".copier-answers.yml").read_text())["package_name"]
    readme = (project / "README.md").read_text(encoding="utf-8")
    modules = [p.name for p in (project / "proxy" / "src" / package).glob("*.py")]

    missing = [name for name in modules if name != "__init__.py" and f"`{name}`" not in readme]
    assert not missing, f"modules the README's 'How it fits together' does not name: {missing}"


def test_make_writes_env_with_fresh_secrets_for_its_owner_only(copie):
    project = render_ok(copie)
    subprocess.run(["make", ".env"], cwd=project, check=True, capture_output=True)

    env = project / ".env"
    assert env.stat().st_mode & 0o777 == 0o600
    values = dict(
        line.split("=", 1) for line in env.read_text().splitlines() if re.match(r"^\w+=", line)
    )
    assert len(values["SESSION_SECRET"]) >= 32
    assert len(values["METRICS_TOKEN"]) >= 32


def test_project_name_reaches_the_readme(copie):
    project = render_ok(copie, project_name="Acme Helpdesk")

    assert "Acme Helpdesk" in (project / "README.md").read_text(encoding="utf-8")


def _tree(root: Path) -> dict[str, bytes]:
    tree = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] == ".git":
            continue
        tree[relative.as_posix() + ("/" if path.is_dir() else "")] = (
            b"" if path.is_dir() else path.read_bytes()
        )
    return tree


def _without_commit(answers_file: bytes) -> bytes:
    # `_commit` names the template commit; copier makes a fresh one per render for a dirty
    # working tree, so it differs between two renders of uncommitted work and nowhere else.
    lines = answers_file.decode().splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith("_commit:")).encode()


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param({}, id="defaults"),
        pytest.param({"project_name": "Café Übersicht"}, id="accents"),
    ],
)
def test_rendering_twice_gives_identical_trees(copie, answers):
    first = _tree(render_ok(copie, **answers))
    second = _tree(render_ok(copie, **answers))
    for tree in (first, second):
        if ".copier-answers.yml" in tree:
            tree[".copier-answers.yml"] = _without_commit(tree[".copier-answers.yml"])

    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    assert not differing, f"renders differ in: {differing}"
