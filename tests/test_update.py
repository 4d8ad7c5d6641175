"""`copier update` brings template changes into a project and keeps the user's own edits.

Copier exits 0 even when it leaves conflicts behind, so the test looks for them itself.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import copier
import pytest
import yaml
from conftest import (
    REPO_ROOT,
    commit_all,
    copy_template_tree,
    git,
    render_ok,
    run_in_project,
    tagged_template_repo,
    text_files,
)

CONFLICT = re.compile(r"^(<<<<<<<|>>>>>>>) ", re.MULTILINE)
TEMPLATE_LINE = "A line added to the template in v1.1.0."
USER_LINE = "A note the user added to the generated README."
USER_FILE = "NOTES.md"
TIMEOUT_SECONDS = 10 * 60


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
    "{% if backend_protocol == 'json_api' %}backend_contract.py{% endif %}"
)
USER_CONTRACT_LINE = "# Our backend calls the reply field 'answer': read_reply is adapted."
TEMPLATE_CONTRACT_LINE = "# A contract change made in the template in v1.1.0."


def test_update_never_touches_the_users_backend_contract(tagged_template, tmp_path):
    project = tmp_path / "project"
    copier.run_copy(
        str(tagged_template),
        str(project),
        vcs_ref="v1.0.0",
        data={"backend_protocol": "json_api", "streaming": "sse"},
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
    "backend_protocol 'json_api' (in .copier-answers.yml for `copier update`)."
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


# The last template commit whose proxy was one flat package, before its modules moved into
# layers (backend/, chat/, state/, ...).
FLAT_LAYOUT = "79639c32d9ace2d03b11e6b0ea5bf556b3a622ad"
# Only what the layers keep at the package's root.
ROOT_MODULES = {
    "__init__.py",
    "app.py",
    "backend_contract.py",
    "errors.py",
    "services.py",
    "settings.py",
    "tools.py",
}
USER_APP_LINE = "# Our change to a template-owned module that stays where it was."


def template_at(commit: str, destination: Path) -> Path:
    """The template as it was at `commit`, from this repository's history."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit],
        cwd=REPO_ROOT,
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        pytest.fail(f"this checkout has no {commit} (a shallow clone?): {archive.stderr!r}")
    destination.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(destination, filter="data")
    return destination


@pytest.mark.slow
def test_a_project_from_the_flat_layout_updates_into_the_layers_with_its_own_code_working(
    tmp_path,
):
    template = template_at(FLAT_LAYOUT, tmp_path / "template-repo")
    git("init", "-q", "-b", "main", cwd=template)
    commit_all(template, "v1.0.0")
    git("tag", "v1.0.0", cwd=template)
    project = tmp_path / "project"
    # The protocol had its old name then (json_api was "custom").
    answers = {"backend_protocol": "custom", "streaming": "sse", "tools": True, "multi_model": True}
    copier.run_copy(
        str(template),
        str(project),
        vcs_ref="v1.0.0",
        data=answers,
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    git("init", "-q", "-b", "main", cwd=project)
    commit_all(project, "generated from v1.0.0")

    # Typical edits: the README, the contract (importing one more of the proxy's
    # modules, by its old name), a tool of their own, a line in a module the template owns.
    readme = project / "README.md"
    readme.write_text(USER_LINE + "\n\n" + readme.read_text(encoding="utf-8"), encoding="utf-8")
    package = next((project / "proxy" / "src").iterdir())
    contract = package / "backend_contract.py"
    source = contract.read_text(encoding="utf-8")
    assert "from .reply_events import " in source and "from .conversation import " in source
    contract.write_text(
        source.replace(
            "from .errors import ",
            "from .redaction import logger\nfrom .errors import ",
        )
        + "\n\nlog = logger(__name__)\n",
        encoding="utf-8",
    )
    tools = package / "tools.py"
    own_tools = tools.read_text(encoding="utf-8").replace("\n\nTOOLS = [current_time]\n", USER_TOOL)
    tools.write_text(own_tools, encoding="utf-8")
    models = project / "models.yaml"
    models.write_text(
        models.read_text(encoding="utf-8").replace(
            "    default: true\n", "    default: true\n    protocol: custom\n", 1
        ),
        encoding="utf-8",
    )
    app = package / "app.py"
    app.write_text(
        app.read_text(encoding="utf-8").replace(
            "\n\n\ndef create_app(", f"\n\n\n{USER_APP_LINE}\ndef create_app(", 1
        ),
        encoding="utf-8",
    )
    commit_all(project, "user edits")

    for path in template.iterdir():
        if path.name != ".git":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    copy_template_tree(template)
    commit_all(template, "v1.1.0")
    git("tag", "v1.1.0", cwd=template)

    copier.run_update(
        str(project), vcs_ref="v1.1.0", defaults=True, overwrite=True, unsafe=True, quiet=True
    )

    assert git("ls-files", "-u", cwd=project) == "", "unmerged paths after update"
    assert not list(project.rglob("*.rej")), "copier left *.rej files"
    conflicted = [str(p) for p, text in text_files(project).items() if CONFLICT.search(text)]
    assert not conflicted, f"conflict markers in {conflicted}"
    assert {p.name for p in package.glob("*.py")} == ROOT_MODULES, "a module stayed behind"
    assert (package / "backend" / "streaming.py").is_file()
    assert USER_LINE in readme.read_text(encoding="utf-8")
    assert tools.read_text(encoding="utf-8") == own_tools
    assert USER_APP_LINE in app.read_text(encoding="utf-8")
    # The protocol's new name, in the recorded answers and in the user's models file.
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert recorded["backend_protocol"] == "json_api"
    assert "    protocol: json_api\n" in models.read_text(encoding="utf-8")
    migrated = contract.read_text(encoding="utf-8")
    for line in (
        "from .backend.events import ",
        "from .backend.request import ChatMessage, ChatRequest",
        "from .observability.logs import logger",
        "log = logger(__name__)",
    ):
        assert line in migrated
    # The project's own code works in the new layout: its lint is clean (the user's contract
    # imports in order) and its contract, streaming, models-file and tool tests pass.
    proxy = project / "proxy"
    for command in (["ruff", "check", "."], ["ruff", "format", "--check", "."]):
        run_in_project(
            ["uv", "run", "-q", *command], proxy, timeout=TIMEOUT_SECONDS, label="the updated lint"
        )
    run_in_project(
        [
            "uv",
            "run",
            "-q",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-x",
            "tests/test_json_api_contract.py",
            "tests/test_json_api_sse.py",
            "tests/test_models_file.py",
            "tests/test_tools.py",
        ],
        proxy,
        timeout=TIMEOUT_SECONDS,
        label="the updated project's tests",
    )
