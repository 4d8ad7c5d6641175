"""`copier update` brings template changes into a project and keeps the user's own edits.

Copier exits 0 even when it leaves conflicts behind, so the test looks for them itself.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import copier
import pytest
import yaml
from conftest import commit_all, git, render_ok, tagged_template_repo, text_files

CONFLICT = re.compile(r"^(<<<<<<<|>>>>>>>) ", re.MULTILINE)
TEMPLATE_LINE = "A line added to the template in v1.1.0."
USER_LINE = "A note the user added to the generated README."
USER_FILE = "NOTES.md"


def template_readme(template: Path) -> Path:
    for candidate in ("README.md.jinja", "README.md"):
        if (template / "template" / candidate).is_file():
            return template / "template" / candidate
    pytest.fail("template/README.md(.jinja) does not exist")


@pytest.fixture
def tagged_template(tmp_path) -> Path:
    return tagged_template_repo(tmp_path / "template-repo")


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


UNSUPPORTED_PAIR_MESSAGE = (
    "backend_protocol 'openai' with streaming 'websocket' cannot be generated: an "
    "OpenAI-compatible server has no WebSocket chat API. Fix: choose 'sse' or 'none', or "
    "backend_protocol 'custom' (in .copier-answers.yml for `copier update`)."
)


def test_update_stops_with_one_line_on_answers_that_cannot_work_together(tagged_template, tmp_path):
    project = tmp_path / "project"
    copier.run_copy(
        str(tagged_template), str(project), vcs_ref="v1.0.0", defaults=True, unsafe=True, quiet=True
    )
    answers_file = project / ".copier-answers.yml"
    recorded = answers_file.read_text(encoding="utf-8")
    assert "streaming: sse" in recorded
    answers_file.write_text(recorded.replace("streaming: sse", "streaming: websocket"))
    git("init", "-q", "-b", "main", cwd=project)
    commit_all(project, "generated from v1.0.0, then the answers edited by hand")
    with template_readme(tagged_template).open("a", encoding="utf-8") as handle:
        handle.write("\n" + TEMPLATE_LINE + "\n")
    commit_all(tagged_template, "v1.1.0")
    git("tag", "v1.1.0", cwd=tagged_template)

    done = subprocess.run(
        [sys.executable, "-m", "copier", "update", "--trust", "--defaults", "--vcs-ref=v1.1.0"],
        cwd=project,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    message = [line for line in done.stderr.splitlines() if "cannot be generated" in line]
    assert message == [UNSUPPORTED_PAIR_MESSAGE], done.stderr
    assert git("status", "--porcelain", cwd=project) == "", "the failed update changed files"


TOOLS_SOURCE = Path("template/proxy/src/{{package_name}}/{% if tools %}tools.py{% endif %}")
USER_TOOL = '''

def order_status(order_id: str) -> str:
    """Where an order is."""
    return "shipped"


TOOLS = [current_time, order_status]
'''


def test_turning_tools_on_at_update_gives_a_fresh_copy_and_the_tools_stay_the_users(
    tagged_template, tmp_path
):
    project = tmp_path / "project"
    copier.run_copy(
        str(tagged_template), str(project), vcs_ref="v1.0.0", defaults=True, unsafe=True, quiet=True
    )
    git("init", "-q", "-b", "main", cwd=project)
    commit_all(project, "generated from v1.0.0")

    copier.run_update(
        str(project),
        vcs_ref="v1.0.0",
        data={"tools": True},
        defaults=True,
        overwrite=True,
        unsafe=True,
        quiet=True,
    )
    fresh = tmp_path / "fresh"
    copier.run_copy(
        str(tagged_template),
        str(fresh),
        vcs_ref="v1.0.0",
        data={"tools": True},
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    assert text_files(project) == text_files(fresh)

    commit_all(project, "tools on")
    tools = next(project.glob("proxy/src/*/tools.py"))
    edited = tools.read_text(encoding="utf-8").replace("\n\nTOOLS = [current_time]\n", USER_TOOL)
    assert "order_status" in edited
    tools.write_text(edited, encoding="utf-8")
    commit_all(project, "our own tool")
    with (tagged_template / TOOLS_SOURCE).open("a", encoding="utf-8") as handle:
        handle.write("\n# A change made in the template in v1.1.0.\n")
    commit_all(tagged_template, "v1.1.0")
    git("tag", "v1.1.0", cwd=tagged_template)

    copier.run_update(
        str(project), vcs_ref="v1.1.0", defaults=True, overwrite=True, unsafe=True, quiet=True
    )

    assert tools.read_text(encoding="utf-8") == edited
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["tools"] is True
    assert git("status", "--porcelain", cwd=project).strip() == "M .copier-answers.yml"


def test_the_generated_ci_fails_on_what_an_update_leaves_unresolved(copie):
    project = render_ok(copie)
    workflow = (project / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert "run: make no-leftovers" in workflow
    git("init", "-q", "-b", "main", cwd=project)
    commit_all(project, "generated")

    def leftovers() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["make", "no-leftovers"], cwd=project, capture_output=True, text=True, check=False
        )

    assert leftovers().returncode == 0, leftovers().stdout + leftovers().stderr
    readme = project / "README.md"
    clean = readme.read_text(encoding="utf-8")
    readme.write_text(clean + "<<<<<<< before updating\nours\n=======\ntheirs\n>>>>>>> after\n")
    assert leftovers().returncode != 0
    assert "README.md" in leftovers().stdout
    readme.write_text(clean)
    (project / "proxy" / "pyproject.toml.rej").write_text("@@ a hunk copier could not apply\n")
    assert leftovers().returncode != 0
    assert "pyproject.toml.rej" in leftovers().stdout
