"""Every user_auth x backend_auth pair renders a proxy whose auth tests pass.

Running the whole generated suite for 15 projects would take most of CI's budget, so the
pairs are split: five pairs that together cover every value of both questions run all of
their auth-specific tests (users' tokens, backend credentials, limits, redaction), and every
pair runs the tests where the two schemes meet (sessions, a chat, another user's thread, no
secret in the logs). The default pair also runs its full `make test` in
test_generated_project.py.
"""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import choice_questions, render_ok, run_in_project

TIMEOUT_SECONDS = 10 * 60

FULL = {
    ("anonymous", "api_key"),
    ("jwt", "jwt"),
    ("oidc", "oauth2"),
    ("jwt", "custom_headers"),
    ("oidc", "none"),
}
FULL_TESTS = [
    "tests/test_user_auth.py",
    "tests/test_backend_auth.py",
    "tests/test_hardening.py",
    "tests/test_sessions.py",
]
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
]


def test_the_full_pairs_cover_every_value():
    assert {user for user, _ in FULL} == set(choice_questions()["user_auth"])
    assert {backend for _, backend in FULL} == set(choice_questions()["backend_auth"])


@pytest.mark.slow
@pytest.mark.parametrize(("user_auth", "backend_auth"), PAIRS)
def test_pair_passes_its_auth_tests(copie, user_auth: str, backend_auth: str) -> None:
    if shutil.which("uv") is None:
        pytest.fail("the generated proxy's tests need uv on PATH")
    project = render_ok(copie, user_auth=user_auth, backend_auth=backend_auth)
    tests = FULL_TESTS if (user_auth, backend_auth) in FULL else WHERE_THEY_MEET
    env = {**os.environ, "UV_NO_PROGRESS": "1"}
    env.pop("VIRTUAL_ENV", None)  # the template's own venv is not the project's
    run_in_project(
        ["uv", "run", "--quiet", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
        project / "proxy",
        timeout=TIMEOUT_SECONDS,
        label=f"{user_auth} x {backend_auth}",
        env=env,
    )
