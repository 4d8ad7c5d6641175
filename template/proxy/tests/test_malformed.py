"""Malformed requests get a 4xx with a reason: never a 500, never an empty 200."""

from __future__ import annotations

import pytest

from tests.chatkit_client import user_input
from tests.harness import Proxy


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "empty"),
        ("{not json", "not valid JSON"),
        ("[]", "Invalid request"),
        ('{"type": "threads.explode", "params": {}}', "Unknown request type"),
        ('{"type": "threads.create"}', "params"),
        ('{"type": "threads.create", "params": {"input": {"content": []}}}', "Invalid request"),
        (
            '{"type": "threads.create", "params": {"input": {"content": '
            '[{"type": "input_text", "text": "hi"}], "attachments": []}}}',
            "inference_options",
        ),
        (
            '{"type": "threads.create", "params": {"input": {"content": '
            '[{"type": "input_text", "text": "   "}], "attachments": [], '
            '"inference_options": {}}}}',
            "empty",
        ),
        (
            '{"type": "threads.create", "params": {"input": {"content": '
            '[{"type": "input_text", "text": "hi"}], "attachments": ["atc_1"], '
            '"inference_options": {}}}}',
            "Attachments are not supported",
        ),
        (
            '{"type": "attachments.create", "params": {"name": "a.png", "size": 1, '
            '"mime_type": "image/png"}}',
            "not supported",
        ),
        ('{"type": "threads.list", "params": {"limit": "many"}}', "limit"),
    ],
    ids=[
        "empty",
        "not-json",
        "not-object",
        "unknown-type",
        "no-params",
        "bad-input",
        "no-inference-options",
        "blank-message",
        "attachments",
        "attachments-op",
        "bad-limit",
    ],
)
def test_malformed_chatkit_requests_are_400_with_a_reason(
    proxy: Proxy, body: str, reason: str
) -> None:
    user = proxy.user()
    user.new_session()
    response = user.post(body)

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "bad_request"
    assert reason in error["message"]


def test_unknown_model_is_a_readable_error_not_a_silent_default(proxy: Proxy) -> None:
    user = proxy.user()
    user.new_session()
    response = user.post(
        {"type": "threads.create", "params": {"input": user_input("hi", model="gpt-99")}}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_model"
    assert "gpt-99" in response.json()["error"]["message"]
    assert user.post({"type": "threads.list", "params": {}}).json()["data"] == []  # not stored


def test_retrying_a_non_user_item_is_400(proxy: Proxy) -> None:
    user = proxy.user()
    user.new_session()
    thread_id = user.create_thread("hi").thread_id
    assistant = user.items(thread_id)[1]["id"]

    response = user.post(
        {
            "type": "threads.retry_after_item",
            "params": {"thread_id": thread_id, "item_id": assistant},
        }
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body", [{}, {"text": ""}, {"text": 5}, {"text": "hi", "model": ["x"]}], ids=str
)
def test_malformed_messages_are_400(proxy: Proxy, body: dict[str, object]) -> None:
    user = proxy.user()
    user.new_session()
    response = user.http.post("/api/custom/message", json=body, headers=user.auth)

    assert response.status_code == 400
    assert "text" in response.json()["error"]["message"] or "model" in response.text


def test_unknown_model_on_the_message_endpoint_is_400(proxy: Proxy) -> None:
    user = proxy.user()
    user.new_session()
    response = user.http.post(
        "/api/custom/message", json={"text": "hi", "model": "nope"}, headers=user.auth
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_model"
