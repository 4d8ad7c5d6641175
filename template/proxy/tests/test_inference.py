"""Per-model controls: temperature and max-token bounds, system prompt, trimming, metadata."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from dev_backend import DevBackend
from tests.chatkit_client import new_thread
from tests.harness import Proxy

MakeProxy = Callable[..., Proxy]
ModelSettings = Callable[..., dict[str, Any]]


@pytest.fixture
def limited(
    make_proxy: MakeProxy, model_settings: ModelSettings, backend_url: str
) -> Callable[..., Proxy]:
    def make(**model: Any) -> Proxy:
        return make_proxy(custom_backend_url=backend_url, **model_settings(**model))

    return make


def passed_on(sent: dict[str, Any]) -> dict[str, Any]:
    """The metadata the request passed on (a JSON API backend also gets its user and thread ids)."""
    return {k: v for k, v in sent.get("metadata", {}).items() if k not in {"user_id", "thread_id"}}


def signed_in(proxy: Proxy):
    user = proxy.user()
    user.new_session()
    return user


def test_the_model_limits_are_sent_by_default(limited, backend: DevBackend) -> None:
    user = signed_in(limited(temperature=0.4, max_tokens=300))
    assert user.create_thread("hello").error is None

    sent = backend.requests[-1]
    assert sent["temperature"] == 0.4
    assert sent["max_tokens"] == 300
    assert passed_on(sent) == {}  # nothing to pass on


def test_a_request_may_lower_the_limits(limited, backend: DevBackend) -> None:
    user = signed_in(limited(temperature=0.9, max_tokens=500))
    stream = user.create_thread("be brief", metadata={"temperature": 0.2, "max_tokens": 50})

    assert stream.error is None
    sent = backend.requests[-1]
    assert (sent["temperature"], sent["max_tokens"]) == (0.2, 50)
    assert passed_on(sent) == {}  # the controls are not passed on as metadata


@pytest.mark.parametrize(
    ("metadata", "field"),
    [({"temperature": 1.5}, "temperature"), ({"max_tokens": 501}, "max_tokens")],
)
def test_a_request_may_not_exceed_the_limits(
    limited, backend: DevBackend, metadata: dict[str, Any], field: str
) -> None:
    user = signed_in(limited(temperature=0.9, max_tokens=500))
    response = user.post(new_thread("more please") | {"metadata": metadata})

    assert response.status_code == 400
    assert field in response.json()["error"]["message"]
    assert "above the limit" in response.json()["error"]["message"]
    assert backend.requests == []
    # Refused before anything was stored.
    assert user.post({"type": "threads.list", "params": {}}).json()["data"] == []


def test_the_message_endpoint_takes_the_limits_in_its_body(limited, backend: DevBackend) -> None:
    user = signed_in(limited(temperature=0.9, max_tokens=500))
    ok = user.http.post(
        "/api/custom/message",
        json={"text": "hi", "temperature": 0.5, "max_tokens": 100},
        headers=user.auth,
    )
    too_hot = user.http.post(
        "/api/custom/message", json={"text": "hi", "temperature": 1.2}, headers=user.auth
    )
    negative = user.http.post(
        "/api/custom/message", json={"text": "hi", "max_tokens": 0}, headers=user.auth
    )

    assert ok.status_code == 200
    assert (backend.requests[-1]["temperature"], backend.requests[-1]["max_tokens"]) == (0.5, 100)
    assert too_hot.status_code == 400
    assert "temperature" in too_hot.json()["error"]["message"]
    assert negative.status_code == 400
    assert "max_tokens" in negative.json()["error"]["message"]
    assert len(backend.requests) == 1


def test_the_system_prompt_goes_first(limited, backend: DevBackend) -> None:
    user = signed_in(limited(system_prompt="You answer in French."))
    first = user.create_thread("hello")
    user.add_message(first.thread_id, "and again")

    messages = backend.requests[-1]["messages"]
    assert messages[0] == {"role": "system", "content": "You answer in French."}
    assert [m["role"] for m in messages[1:]] == ["user", "assistant", "user"]


def test_no_system_message_without_a_system_prompt(proxy: Proxy, backend: DevBackend) -> None:
    signed_in(proxy).create_thread("hello")

    assert [m["role"] for m in backend.requests[-1]["messages"]] == ["user"]


def test_an_unknown_model_is_an_error_not_the_default(proxy: Proxy, backend: DevBackend) -> None:
    user = signed_in(proxy)
    in_chat = user.post(new_thread("hello", model="no-such-model"))
    response = user.http.post(
        "/api/custom/message", json={"text": "hi", "model": "no-such-model"}, headers=user.auth
    )

    assert in_chat.status_code == 400
    assert "no-such-model" in in_chat.json()["error"]["message"]
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_model"
    assert backend.requests == []


def test_long_threads_are_trimmed_to_the_context_window(
    limited, backend: DevBackend, caplog: pytest.LogCaptureFixture
) -> None:
    backend.delay = 0
    user = signed_in(limited(context_window=900, max_tokens=300, system_prompt="Be kind."))
    thread = user.create_thread("turn 0").thread_id
    with caplog.at_level(logging.INFO):
        for turn in range(1, 8):
            assert user.add_message(thread, f"turn {turn}").error is None

    sent = backend.requests[-1]["messages"]
    assert sent[0] == {"role": "system", "content": "Be kind."}
    assert sent[1]["role"] == "user"
    assert sent[-1] == {"role": "user", "content": "turn 7"}
    assert len(sent) < 1 + 2 * 7 + 1  # some earlier turns were dropped...
    assert any("dropped" in r.getMessage() for r in caplog.records)  # ...and the log says so


def test_a_message_too_long_for_the_model_is_refused_readably(limited, backend: DevBackend) -> None:
    user = signed_in(limited(context_window=600, max_tokens=300))
    response = user.post(new_thread("word " * 2000))

    assert response.status_code == 400
    assert "too long" in response.json()["error"]["message"]
    assert backend.requests == []
    assert user.post({"type": "threads.list", "params": {}}).json()["data"] == []  # not stored


def test_request_metadata_and_allowed_headers_reach_the_backend(
    make_proxy: MakeProxy, backend_url: str, backend: DevBackend
) -> None:
    proxy = make_proxy(custom_backend_url=backend_url, metadata_headers="X-Tenant, X-Trace-Id")
    user = signed_in(proxy)
    stream = user.create_thread(
        "hello",
        metadata={"source": "help-page", "attempt": 2, "beta": True, "x-tenant": "from-body"},
        headers={"X-Tenant": "acme", "X-Secret": "not-on-the-list"},
    )

    assert stream.error is None
    assert passed_on(backend.requests[-1]) == {
        "source": "help-page",
        "attempt": "2",
        "beta": "true",
        "x-tenant": "acme",  # the header wins over the browser-controlled body
    }


def test_the_message_endpoint_passes_metadata_too(
    make_proxy: MakeProxy, backend_url: str, backend: DevBackend
) -> None:
    proxy = make_proxy(custom_backend_url=backend_url, metadata_headers="x-tenant")
    user = signed_in(proxy)
    response = user.http.post(
        "/api/custom/message",
        json={"text": "hi", "metadata": {"source": "api"}},
        headers={**user.auth, "X-Tenant": "acme"},
    )

    assert response.status_code == 200
    assert passed_on(backend.requests[-1]) == {"source": "api", "x-tenant": "acme"}


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ({"nested": {"a": 1}}, "metadata.nested"),
        ({"long": "x" * 513}, "metadata.long"),
        ({f"k{i}": "v" for i in range(17)}, "16 keys"),
        ({"temperature": "hot"}, "metadata.temperature"),
    ],
)
def test_invalid_metadata_is_a_400_with_a_reason(
    proxy: Proxy, backend: DevBackend, metadata: dict[str, Any], reason: str
) -> None:
    user = signed_in(proxy)
    response = user.post(
        {
            "type": "threads.create",
            "metadata": metadata,
            "params": {
                "input": {
                    "content": [{"type": "input_text", "text": "hi"}],
                    "attachments": [],
                    "inference_options": {},
                }
            },
        }
    )

    assert response.status_code == 400
    assert reason in response.json()["error"]["message"]
    assert backend.requests == []
