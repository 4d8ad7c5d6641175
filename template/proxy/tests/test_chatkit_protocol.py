"""Replies reach the browser in ChatKit's protocol, with the thread's history sent along."""

from __future__ import annotations

import time

from dev_backend import DevBackend
from tests.harness import Proxy

EVENT_ORDER = [
    "thread.created",
    "thread.item.done",  # the user's message, stored before the backend is called
    "stream_options",
    "thread.item.added",
]


def test_a_new_thread_streams_the_reply_in_protocol_order(
    proxy: Proxy, backend: DevBackend
) -> None:
    user = proxy.user()
    user.new_session()
    stream = user.create_thread("hello there")

    kinds = [e.type for e in stream.events if e.type != "thread.updated"]
    assert kinds[:4] == EVENT_ORDER
    assert kinds[-1] == "thread.item.done"
    assert stream.events[1].data["item"]["type"] == "user_message"
    assert stream.text == backend.reply_to([{"role": "user", "content": "hello there"}])
    assert stream.error is None


def test_the_thread_history_is_sent_to_the_backend_in_order(
    proxy: Proxy, backend: DevBackend
) -> None:
    user = proxy.user()
    user.new_session()
    first = user.create_thread("my name is Ada")
    second = user.add_message(first.thread_id, "what is my name?")

    assert second.error is None
    sent = backend.requests[-1]
    assert sent["model"] == "dev-model"
    assert sent["messages"] == [
        {"role": "user", "content": "my name is Ada"},
        {"role": "assistant", "content": first.text},
        {"role": "user", "content": "what is my name?"},
    ]


def test_the_title_comes_from_the_first_message(proxy: Proxy) -> None:
    user = proxy.user()
    user.new_session()
    stream = user.create_thread("  Plan a   trip to Lisbon in spring  ")

    titles = [e.data["thread"].get("title") for e in stream.of_type("thread.updated")]
    assert titles[-1] == "Plan a trip to Lisbon in spring"
    response = user.post({"type": "threads.get_by_id", "params": {"thread_id": stream.thread_id}})
    assert response.json()["title"] == "Plan a trip to Lisbon in spring"


def test_the_message_endpoint_answers_in_one_piece(proxy: Proxy, backend: DevBackend) -> None:
    user = proxy.user()
    user.new_session()
    response = user.http.post("/api/custom/message", json={"text": "ping"}, headers=user.auth)

    assert response.status_code == 200
    body = response.json()
    assert (body["text"], body["model"]) == (
        backend.reply_to([{"role": "user", "content": "ping"}]),
        "dev-model",
    )


def test_models_health_and_readiness(proxy: Proxy) -> None:
    http = proxy.user().http
    assert http.get("/api/custom/models").json() == {
        "data": [{"id": "dev-model", "label": "dev-model", "description": "", "default": True}]
    }
    assert http.get("/healthz").json() == {"status": "ok"}
    assert http.get("/readyz").json() == {"status": "ready"}


def test_readiness_asks_the_backend_at_most_every_readiness_cache_seconds(
    make_proxy, backend: DevBackend, backend_url: str
) -> None:
    http = make_proxy(custom_backend_url=backend_url, readiness_cache_seconds=0.5).user().http
    for _ in range(5):
        assert http.get("/readyz").json() == {"status": "ready"}
    assert backend.probes == 1

    time.sleep(0.6)
    assert http.get("/readyz").json() == {"status": "ready"}
    assert backend.probes == 2


def test_readiness_fails_when_the_backend_is_down(make_proxy) -> None:
    proxy = make_proxy(custom_backend_url="http://127.0.0.1:9")
    response = proxy.user().http.get("/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "127.0.0.1" not in response.text
