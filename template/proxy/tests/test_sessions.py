"""Session tokens: short-lived, signed, and the only way into /chatkit and /api/custom/message."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from tests.chatkit_client import user_input
from tests.harness import SECRET, Proxy

CREATE = {"type": "threads.create", "params": {"input": user_input("hello")}}


def claims(token: str) -> dict[str, object]:
    return jwt.decode(token, options={"verify_signature": False})


def test_session_returns_a_token_that_expires_after_the_ttl(proxy: Proxy) -> None:
    user = proxy.user()
    before = int(time.time())
    session = user.new_session()

    assert set(session) == {"client_secret", "expires_at"}
    ttl = proxy.settings.session_ttl_seconds
    assert before + ttl <= session["expires_at"] <= int(time.time()) + ttl
    assert claims(session["client_secret"])["exp"] == session["expires_at"]


def _forge_none(user_id: str) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    payload = {"sub": user_id, "iat": int(time.time()), "exp": int(time.time()) + 600}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload | {'aud': 'chatkit-proxy'})}."


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "missing"),
        ("Basic dXNlcjpwYXNz", "wrong scheme"),
        ("Bearer", "no token"),
        ("Bearer not-a-jwt", "malformed"),
        (
            "Bearer "
            + jwt.encode(
                {"sub": "u", "iat": 1, "exp": int(time.time()) + 600, "aud": "chatkit-proxy"},
                "another-secret-that-is-long-enough-to-be-plausible",
                algorithm="HS256",
            ),
            "wrong signature",
        ),
        (
            "Bearer "
            + jwt.encode(
                {"sub": "u", "iat": 1, "exp": int(time.time()) - 5, "aud": "chatkit-proxy"},
                SECRET,
                algorithm="HS256",
            ),
            "expired",
        ),
        ("Bearer " + _forge_none("u"), "alg none"),
    ],
)
@pytest.mark.parametrize("path", ["/chatkit", "/api/custom/message"])
def test_requests_without_a_valid_token_get_401_with_a_reason(
    proxy: Proxy, authorization: str | None, reason: str, path: str
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    body = CREATE if path == "/chatkit" else {"text": "hi"}
    response = proxy.user().http.post(path, json=body, headers=headers)

    assert response.status_code == 401, reason
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "unauthorized"
    assert error["message"]


def test_an_expired_session_is_refused_and_a_new_one_works(make_proxy, backend_url: str) -> None:
    proxy = make_proxy(custom_backend_url=backend_url, session_ttl_seconds=30)
    user = proxy.user()
    user.token = jwt.encode(
        {"sub": "someone", "iat": 1, "exp": int(time.time()) - 1, "aud": "chatkit-proxy"},
        SECRET,
        algorithm="HS256",
    )
    assert user.post(CREATE).status_code == 401

    user.new_session()
    assert user.create_thread("hello").text
