"""`copier update` brings template changes into a project and keeps the user's own edits.

Copier exits 0 even when it leaves conflicts behind, so the test looks for them itself.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import copier
import pytest
import yaml
from conftest import copy_template_tree, text_files

CONFLICT = re.compile(r"^(<<<<<<<|>>>>>>>) ", re.MULTILINE)
TEMPLATE_LINE = "A line added to the template in v1.1.0."
USER_LINE = "A note the user added to the generated README."
USER_FILE = "NOTES.md"


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


def template_readme(template: Path) -> Path:
    for candidate in ("README.md.jinja", "README.md"):
        if (template / "template" / candidate).is_file():
            return template / "template" / candidate
    pytest.fail("template/README.md(.jinja) does not exist")


@pytest.fixture
def tagged_template(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Template Tests")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "template-tests@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Template Tests")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "template-tests@example.com")
    template = copy_template_tree(tmp_path / "template-repo")
    git("init", "-q", "-b", "main", cwd=template)
    commit_all(template, "v1.0.0")
    git("tag", "v1.0.0", cwd=template)
    return template


def test_update_brings_template_change_and_keeps_user_edits(tagged_template, tmp_path):
    project = tmp_path / "project"
    copier.run_copy(
        str(tagged_template), str(project), vcs_ref="v1.0.0", defaults=True, unsafe=True, quiet=True
    )
    git("init", "-q", "-b", "main", cwd=project)
    commit_all(project, "generated from v1.0.0")

    readme = project / "README.md"
    readme.write_text(USER_LINE + "\n\n" + readme.read_text(encoding="utf-8"), encoding="utf-8")
    (project / USER_FILE).write_text("Mine.\n", encoding="utf-8")
    commit_all(project, "user edits")

    source = template_readme(tagged_template)
    with source.open("a", encoding="utf-8") as handle:
        handle.write("\n" + TEMPLATE_LINE + "\n")
    commit_all(tagged_template, "v1.1.0")
    git("tag", "v1.1.0", cwd=tagged_template)

    copier.run_update(
        str(project), vcs_ref="v1.1.0", defaults=True, overwrite=True, unsafe=True, quiet=True
    )

    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["_commit"] == "v1.1.0"
    assert git("ls-files", "-u", cwd=project) == "", "unmerged paths after update"
    assert not list(project.rglob("*.rej")), "copier left *.rej files"
    conflicted = [str(p) for p, text in text_files(project).items() if CONFLICT.search(text)]
    assert not conflicted, f"conflict markers in {conflicted}"

    updated = readme.read_text(encoding="utf-8")
    assert TEMPLATE_LINE in updated, "the template change did not arrive"
    assert USER_LINE in updated, "the user's edit was lost"
    assert (project / USER_FILE).read_text(encoding="utf-8") == "Mine.\n"

    # A pure render changes nothing else between two versions that differ only in the README.
    changed = {line[3:] for line in git("status", "--porcelain", cwd=project).splitlines()}
    assert changed <= {"README.md", ".copier-answers.yml"}, f"update touched more: {changed}"


CONTRACT_SOURCE = (
    "template/proxy/src/{{package_name}}/"
    "{% if backend_protocol == 'custom' %}backend_contract.py{% endif %}"
)
USER_CONTRACT_LINE = "# Our backend calls the reply field 'answer': read_reply is adapted."
TEMPLATE_CONTRACT_LINE = "# A contract change made in the template in v1.1.0."


def test_update_never_touches_the_users_backend_contract(tagged_template, tmp_path):
    project = tmp_path / "project"
    copier.run_copy(
        str(tagged_template),
        str(project),
        vcs_ref="v1.0.0",
        data={"backend_protocol": "custom", "streaming": "sse"},
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    git("init", "-q", "-b", "main", cwd=project)
    commit_all(project, "generated from v1.0.0")

    contract = next(project.glob("proxy/src/*/backend_contract.py"))
    edited = (
        contract.read_text(encoding="utf-8").replace('.get("text")', '.get("answer")')
        + "\n"
        + USER_CONTRACT_LINE
        + "\n"
    )
    contract.write_text(edited, encoding="utf-8")
    commit_all(project, "adapt the contract to our backend")

    source = tagged_template / CONTRACT_SOURCE
    assert source.is_file(), f"the template has no {CONTRACT_SOURCE}"
    with source.open("a", encoding="utf-8") as handle:
        handle.write("\n" + TEMPLATE_CONTRACT_LINE + "\n")
    with template_readme(tagged_template).open("a", encoding="utf-8") as handle:
        handle.write("\n" + TEMPLATE_LINE + "\n")
    commit_all(tagged_template, "v1.1.0")
    git("tag", "v1.1.0", cwd=tagged_template)

    copier.run_update(
        str(project), vcs_ref="v1.1.0", defaults=True, overwrite=True, unsafe=True, quiet=True
    )

    assert TEMPLATE_LINE in (project / "README.md").read_text(encoding="utf-8")
    assert contract.read_text(encoding="utf-8") == edited
    assert git("ls-files", "-u", cwd=project) == "", "unmerged paths after update"
    assert not list(project.rglob("*.rej")), "copier left *.rej files"
    changed = {line[3:] for line in git("status", "--porcelain", cwd=project).splitlines()}
    assert changed <= {"README.md", ".copier-answers.yml"}, f"update touched more: {changed}"
