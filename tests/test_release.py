"""scripts/release.py tags a release only when its changelog section, version and tree are in
order; the template's own CHANGELOG.md keeps the shape the script reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, commit_all, git

SCRIPT = REPO_ROOT / "scripts" / "release.py"
CHANGELOG = """# Changelog

## [Unreleased]

## [0.2.0] - 2026-12-01

### Added
- A thing a generated project gains.

## [0.1.0] - 2026-11-29

- The first release.
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "template"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "t"\nversion = "0.2.0"\n')
    (root / "CHANGELOG.md").write_text(CHANGELOG)
    git("init", "-q", "-b", "main", cwd=root)
    commit_all(root, "0.2.0")
    return root


def release(root: Path, version: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), version, "--root", str(root), "--tested"],
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_release_is_tagged_with_its_changelog_section(repo: Path) -> None:
    done = release(repo, "0.2.0")

    assert done.returncode == 0, done.stderr
    message = git("tag", "--list", "--format=%(contents)", "v0.2.0", cwd=repo)
    assert message.splitlines()[0] == "v0.2.0"
    assert "### Added\n- A thing a generated project gains." in message
    assert "The first release." not in message


@pytest.mark.parametrize(
    ("version", "change", "reason"),
    [
        pytest.param("0.3.0", None, "pyproject.toml says version 0.2.0", id="other-version"),
        pytest.param("0.2", None, "is not a release version", id="not-pep-440-release"),
        pytest.param("0.2.0", "dirty", "uncommitted changes", id="dirty-tree"),
        pytest.param("0.2.0", "tagged", "v0.2.0 is tagged already", id="tagged-already"),
        pytest.param("0.2.0", "undated", "no '## [0.2.0] - YYYY-MM-DD' section", id="no-section"),
    ],
)
def test_a_release_is_refused_with_the_reason(
    repo: Path, version: str, change: str | None, reason: str
) -> None:
    if change == "dirty":
        (repo / "NOTES.md").write_text("work in progress\n")
    elif change == "tagged":
        git("tag", "v0.2.0", cwd=repo)
    elif change == "undated":
        changelog = repo / "CHANGELOG.md"
        changelog.write_text(changelog.read_text().replace("[0.2.0] - 2026-12-01", "[0.2.0]"))
        commit_all(repo, "undated")

    done = release(repo, version)

    assert done.returncode == 1
    assert reason in done.stderr
    assert git("tag", "--list", cwd=repo).strip() == ("v0.2.0" if change == "tagged" else "")


def test_the_changelog_has_an_unreleased_section_the_script_can_rename() -> None:
    text = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")

    assert "\n## [Unreleased]\n" in text
    assert "### Upgrade steps" in text
