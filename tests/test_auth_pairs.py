"""Every user_auth x backend_auth pair renders a project whose tests pass.

Running `make test` (proxy, web and browser suites) for all 15 projects takes about three
minutes each, more than CI's budget allows. So five pairs that together cover every value of
both questions run their full `make test`, and the other pairs run the proxy tests where the
two schemes meet (sessions, a chat, another user's thread, no secret in the logs). The
default pair is one of the five; its `make test` runs in test_generated_project.py.

AUTH_MATRIX=full runs `make test` for every pair.
"""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import choice_questions, make_passes, questions, render_ok, run_in_project

TIMEOUT_SECONDS = 10 * 60
FULL_MATRIX = os.environ.get("AUTH_MATRIX") == "full"

DEFAULT_PAIR = (questions()["user_auth"]["default"], questions()["backend_auth"]["default"])
FULL = {
    DEFAULT_PAIR,
    ("jwt", "jwt"),
    ("oidc", "oauth2"),
    ("jwt", "custom_headers"),
    ("oidc", "none"),
}
WHERE_THEY_MEET = [
    "tests/test_sessions.py",
    "tests/test_streaming.py::test_a_new_thread_streams_the_reply_in_protocol_order",
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


def test_the_full_pairs_cover_every_value():
    assert {user for user, _ in FULL} == set(choice_questions()["user_auth"])
    assert {backend for _, backend in FULL} == set(choice_questions()["backend_auth"])


@pytest.mark.slow
@pytest.mark.parametrize(("user_auth", "backend_auth"), PAIRS)
def test_pair_passes_its_tests(copie, user_auth: str, backend_auth: str) -> None:
    project = render_ok(copie, user_auth=user_auth, backend_auth=backend_auth)
    label = f"{user_auth} x {backend_auth}"
    if FULL_MATRIX or (user_auth, backend_auth) in FULL:
        make_passes(project, "test", label=label)
        return
    if shutil.which("uv") is None:
        pytest.fail("the generated proxy's tests need uv on PATH")
    env = {**os.environ, "UV_NO_PROGRESS": "1"}
    env.pop("VIRTUAL_ENV", None)  # the template's own venv is not the project's
    run_in_project(
        ["uv", "run", "--quiet", "pytest", "-q", "-x", "-p", "no:cacheprovider", *WHERE_THEY_MEET],
        project / "proxy",
        timeout=TIMEOUT_SECONDS,
        label=label,
        env=env,
    )
