"""Every user_auth x backend_auth pair renders a project whose tests pass.

Running `make test` (proxy, web and browser suites) for all 15 projects takes about three
minutes each, more than CI's budget allows. Only `user_auth` changes the web app, `backend_auth`
only the proxy: so one pair per `user_auth` value runs its whole `make test`, two more run the
whole proxy suite (`make test-proxy`) so that every `backend_auth` value's runs, and the other
pairs run the proxy tests where the two schemes meet (sessions, a chat, another user's thread,
no secret in the logs). The default pair's `make test` runs in test_generated_project.py.

These runs also carry other answers, so that without another render every `store` x
`user_auth` pair runs its whole proxy suite (with the default project and the PostgreSQL suite
of test_generated_project.py), the largest answer set runs its whole `make test`, and so do
tools (with PostgreSQL: the tool rounds' hidden items go through that store too).

AUTH_MATRIX=full runs `make test` for every pair.
"""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import (
    assert_known_questions,
    choice_questions,
    is_valid,
    make_passes,
    questions,
    render_ok,
    run_in_project,
)

TIMEOUT_SECONDS = 10 * 60
FULL_MATRIX = os.environ.get("AUTH_MATRIX") == "full"

DEFAULT_PAIR = (questions()["user_auth"]["default"], questions()["backend_auth"]["default"])
# Every question at its most demanding answer.
LARGEST = {
    "backend_protocol": "json_api",
    "streaming": "websocket",
    "store": "postgres",
    "multi_model": True,
    "tools": True,
    "fallback": ["backup_backends", "openai_hosted"],
}
# The pairs that run more than where the schemes meet: the `make` target each runs, and the
# other answers it runs under.
WHOLE = {
    DEFAULT_PAIR: ("test", {}),
    ("jwt", "custom_headers"): ("test", {"store": "postgres", "tools": True}),
    ("oidc", "oauth2"): ("test", LARGEST),
    ("jwt", "jwt"): ("test-proxy", {}),
    ("oidc", "none"): ("test-proxy", {}),
}
# Whole proxy suites run in test_generated_project.py, as (store, user_auth).
FULL_ELSEWHERE = {("sqlite", "anonymous"), ("postgres", "anonymous")}
WHERE_THEY_MEET = [
    "tests/test_sessions.py",
    "tests/test_chatkit_protocol.py::test_a_new_thread_streams_the_reply_in_protocol_order",
    "tests/test_persistence.py::test_another_user_cannot_touch_the_thread",
    "tests/test_hardening.py::test_no_secret_or_token_reaches_the_logs",
    "tests/test_backend_auth.py",
]
PAIRS = [
    pytest.param(user, backend, id=f"{user}-{backend}")
    for user in choice_questions()["user_auth"]
    for backend in choice_questions()["backend_auth"]
    if FULL_MATRIX or (user, backend) != DEFAULT_PAIR
]


def test_the_whole_runs_cover_every_value():
    make_test = [pair for pair, (target, _) in WHOLE.items() if target == "test"]
    assert {user for user, _ in make_test} == set(choice_questions()["user_auth"])
    assert {backend for _, backend in WHOLE} == set(choice_questions()["backend_auth"])


def test_the_whole_runs_cover_every_store_and_user_pair():
    default_store = questions()["store"]["default"]
    covered = FULL_ELSEWHERE | {
        (others.get("store", default_store), user) for (user, _), (_, others) in WHOLE.items()
    }
    stores, users = choice_questions()["store"], choice_questions()["user_auth"]
    assert covered == {(store, user) for store in stores for user in users}


def test_the_largest_answer_set_answers_every_question():
    assert_known_questions(LARGEST)
    assert is_valid(LARGEST)
    asked = set(choice_questions()) | {"multi_model", "tools"}
    assert asked - set(LARGEST) == {"user_auth", "backend_auth"}


@pytest.mark.slow
@pytest.mark.parametrize(("user_auth", "backend_auth"), PAIRS)
def test_pair_passes_its_tests(copie, user_auth: str, backend_auth: str) -> None:
    target, others = WHOLE.get((user_auth, backend_auth), ("", {}))
    project = render_ok(copie, user_auth=user_auth, backend_auth=backend_auth, **others)
    label = " x ".join([user_auth, backend_auth, *(f"{k}={v}" for k, v in others.items())])
    if FULL_MATRIX or target:
        make_passes(project, "test" if FULL_MATRIX else target, label=label)
        return
    if shutil.which("uv") is None:
        pytest.fail("the generated proxy's tests need uv on PATH")
    env = {**os.environ, "UV_NO_PROGRESS": "1"}
    env.pop("VIRTUAL_ENV", None)  # the template's own venv is not the project's
    # One process: starting pytest-xdist's workers (each importing the ChatKit SDK, seconds)
    # costs more than they save on a few dozen tests.
    pytest_args = ["-q", "-x", "-n0", "-p", "no:cacheprovider", *WHERE_THEY_MEET]
    run_in_project(
        ["uv", "run", "--quiet", "pytest", *pytest_args],
        project / "proxy",
        timeout=TIMEOUT_SECONDS,
        label=label,
        env=env,
    )
