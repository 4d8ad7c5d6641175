"""`copier copy` as a person runs it: in an 80-column terminal, answering every prompt by keys.

Copier runs no question validator on a choice picked from a list, so only this shows what a
person can pick; the tests that pass answers as data never see it. Copier runs in a real
pseudo-terminal and a terminal emulator (pyte) keeps the screen, as the person would see it.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pexpect
import pyte
import pytest
import yaml
from conftest import choice_questions, questions, tagged_template_repo

COLUMNS, ROWS = 80, 200  # rows enough that nothing scrolls away
DOWN, ENTER, SPACE, CLEAR_LINE = "\x1b[B", "\r", " ", "\x15"
CURSOR_POSITION_REQUEST = b"\x1b[6n"
PROMPT_MARK = "🎤"
POINTER = " » "
TIMEOUT_SECONDS = 30

# Each run's answers, besides the defaults; with the default run they pick every choice of
# every select question once (test_the_runs_pick_every_choice keeps it so).
RUNS = [
    pytest.param({}, id="defaults"),
    pytest.param(
        {
            "backend_protocol": "json_api",
            "streaming": "websocket",
            "backend_auth": "jwt",
            "user_auth": "jwt",
            "store": "postgres",
            "multi_model": True,
            "fallback": ["backup_backends"],
        },
        id="json_api-websocket",
    ),
    pytest.param(
        {
            "streaming": "none",
            "backend_auth": "oauth2",
            "user_auth": "oidc",
            "tools": True,
            "fallback": ["openai_hosted"],
        },
        id="openai-none",
    ),
    pytest.param(
        {
            "backend_protocol": "json_api",
            "backend_auth": "custom_headers",
            "fallback": ["backup_backends", "openai_hosted"],
        },
        id="json_api-sse",
    ),
    pytest.param({"backend_auth": "none"}, id="no-backend-auth"),
]


class Terminal:
    """An 80-column terminal running one command, answering cursor-position requests as a
    terminal does (prompt_toolkit asks for them)."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self._stream = pyte.ByteStream(self.screen)
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS)}
        env.pop("CI", None)  # a person's terminal
        self.child = pexpect.spawn(
            argv[0], argv[1:], cwd=str(cwd), env=env, dimensions=(ROWS, COLUMNS)
        )

    @property
    def rows(self) -> list[str]:
        return [row.rstrip() for row in self.screen.display if row.strip()]

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def read(self, seconds: float) -> bytes | None:
        """What arrives within `seconds` (b"" if nothing), or None once the program ended."""
        try:
            data = self.child.read_nonblocking(1 << 16, timeout=seconds)
        except pexpect.TIMEOUT:
            return b""
        except pexpect.EOF:
            return None
        self._stream.feed(data)
        if CURSOR_POSITION_REQUEST in data:
            cursor = self.screen.cursor
            self.child.send(f"\x1b[{cursor.y + 1};{cursor.x + 1}R")
        return data

    def wait_for(self, shown: Callable[[list[str]], bool], what: str) -> list[str]:
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while not shown(self.rows):
            if time.monotonic() > deadline or self.read(0.05) is None:
                screen = "\n".join(self.rows[-30:])
                pytest.fail(f"waited for {what}; the screen ends with:\n{screen}")
        while self.read(0.05):  # until the prompt is drawn whole
            pass
        return self.rows

    def finish(self) -> int:
        while self.read(TIMEOUT_SECONDS) is not None:
            pass
        self.child.close()
        return self.child.exitstatus


def prompts_shown(terminal: Terminal) -> int:
    return sum(row.startswith(PROMPT_MARK) for row in terminal.rows)


def ask(terminal: Terminal, index: int, name: str) -> list[str]:
    """Wait until the `index`th prompt (from 0) is shown: it must be `name`'s help, whole."""
    rows = terminal.wait_for(lambda rows: prompts_shown(terminal) > index, f"the {name} prompt")
    prompt = [row for row in rows if row.startswith(PROMPT_MARK)][index]
    assert prompt == f"{PROMPT_MARK} {questions()[name]['help']}", f"{name}'s help is cut"
    return rows


def titles(name: str) -> dict[Any, str]:
    spec = questions()[name]
    return {
        (choice["value"] if isinstance(choice, dict) else choice): title
        for title, choice in spec["choices"].items()
    }


def pointed_at(terminal: Terminal) -> str:
    return next(row for row in reversed(terminal.rows) if row.startswith(POINTER))


def point_at(terminal: Terminal, title: str, line: Callable[[str], str]) -> None:
    """Move the list's pointer down to `title` (disabled choices are passed over)."""
    for _ in range(len(terminal.rows)):
        if pointed_at(terminal) == POINTER + line(title):
            return
        before = pointed_at(terminal)
        terminal.send(DOWN)
        terminal.wait_for(
            lambda _, before=before: pointed_at(terminal) != before,
            f"the pointer to move towards {title}",
        )
    pytest.fail(f"{title!r} could not be reached")


def answer(terminal: Terminal, index: int, name: str, value: Any) -> None:
    """Answer one prompt as a person: Enter for the default, keys for anything else."""
    spec = questions()[name]
    rows = ask(terminal, index, name)
    if value is None:
        terminal.send(ENTER)
    elif spec.get("multiselect"):
        for title in (titles(name)[choice] for choice in value):
            point_at(terminal, title, lambda title: f"○ {title}")
            terminal.send(SPACE)
            terminal.wait_for(
                lambda _, title=title: pointed_at(terminal) == f"{POINTER}● {title}",
                f"{title} to be selected",
            )
        for row in rows[-len(spec["choices"]) :]:
            assert len(row) < COLUMNS, f"a choice of {name} is cut: {row!r}"
        terminal.send(ENTER)
    elif "choices" in spec:
        for row in rows[-len(spec["choices"]) :]:
            assert len(row) < COLUMNS, f"a choice of {name} is cut: {row!r}"
        point_at(terminal, titles(name)[value], lambda title: title)
        terminal.send(ENTER)
    elif spec["type"] == "bool":
        terminal.send("y" if value else "n")
    else:
        terminal.send(CLEAR_LINE + value + ENTER)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return tagged_template_repo(tmp_path_factory.mktemp("prompts") / "template")


def copy_by_hand(template: Path, destination: Path) -> Terminal:
    return Terminal(
        [sys.executable, "-m", "copier", "copy", "--trust", str(template), "project"],
        cwd=destination,
    )


def recorded_answers(project: Path) -> dict[str, Any]:
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    return {key: value for key, value in answers.items() if not key.startswith("_")}


def assert_rendered(terminal: Terminal, project: Path) -> None:
    status = terminal.finish()
    screen = "\n".join(terminal.rows)
    assert status == 0, f"copier exited {status}:\n{screen}"
    assert "Traceback" not in screen, screen
    assert (project / "Makefile").is_file(), screen
    rows = terminal.rows
    start = next(i for i, row in enumerate(rows) if row.startswith("Your ChatKit app"))
    assert all(len(row) < COLUMNS for row in rows[start:]), (
        f"the message after the copy runs to the terminal's edge (cut or wrapped):\n{screen}"
    )


def test_the_runs_pick_every_choice():
    defaults = {name: spec.get("default") for name, spec in questions().items()}
    picked: dict[str, set] = {name: set() for name in choice_questions()}
    for run in RUNS:
        for name, value in {**defaults, **run.values[0]}.items():
            if name in picked:
                picked[name].update(value if isinstance(value, list) else [value])
    assert picked == {name: set(values) for name, values in choice_questions().items()}


@pytest.mark.parametrize("answers", RUNS)
def test_every_choice_can_be_picked_at_the_prompt(template, tmp_path, answers):
    terminal = copy_by_hand(template, tmp_path)
    defaults = {
        **{name: spec["default"] for name, spec in questions().items()},
        "project_name": "My Chat",
        "project_slug": "my-chat",
        "package_name": "my_chat",
    }
    for index, name in enumerate(questions()):
        answer(terminal, index, name, answers.get(name))

    project = tmp_path / "project"
    assert_rendered(terminal, project)
    assert recorded_answers(project) == {**defaults, **answers}
    assert 'Your ChatKit app "My Chat" is ready' in "\n".join(terminal.rows)


def test_websocket_is_shown_unavailable_for_an_openai_backend(template, tmp_path):
    terminal = copy_by_hand(template, tmp_path)
    for index, name in enumerate(("project_name", "project_slug", "package_name")):
        answer(terminal, index, name, None)
    answer(terminal, 3, "backend_protocol", "openai")

    rows = ask(terminal, 4, "streaming")
    assert "   - WebSocket (JSON API only) (needs backend_protocol 'json_api')" in rows
    assert pointed_at(terminal) == POINTER + "Server-Sent Events"
    terminal.send(DOWN)  # passes over WebSocket
    terminal.wait_for(
        lambda _: pointed_at(terminal) == POINTER + "None: one complete response per message",
        "the pointer to skip WebSocket",
    )
    terminal.send(DOWN)  # the list wraps round to the first choice, never WebSocket
    terminal.wait_for(
        lambda _: pointed_at(terminal) == POINTER + "Server-Sent Events",
        "the pointer to wrap round",
    )
    terminal.send(ENTER)
    for index, name in enumerate(list(questions())[5:], start=5):
        answer(terminal, index, name, None)

    project = tmp_path / "project"
    assert_rendered(terminal, project)
    assert recorded_answers(project)["streaming"] == "sse"


def test_a_refused_name_is_asked_again(template, tmp_path):
    terminal = copy_by_hand(template, tmp_path)
    ask(terminal, 0, "project_name")
    terminal.send(CLEAR_LINE + "Bob's <Chat>" + ENTER)
    error = "Validation error for question 'project_name': must not contain \" ' ` \\ { } < >"
    terminal.wait_for(lambda rows: error in rows, "the validation error, whole on one line")
    assert prompts_shown(terminal) == 1  # still the same question
    terminal.send(CLEAR_LINE + "Acme Support" + ENTER)
    for index, name in enumerate(list(questions())[1:], start=1):
        answer(terminal, index, name, None)

    project = tmp_path / "project"
    assert_rendered(terminal, project)
    answers = recorded_answers(project)
    assert (answers["project_name"], answers["project_slug"], answers["package_name"]) == (
        "Acme Support",
        "acme-support",
        "acme_support",
    )
