"""Closing the tab (or ChatKit's stop button) stops the backend's work within a second."""

from __future__ import annotations

import time

from dev_backend import DevBackend
from tests.chatkit_client import user_input
from tests.harness import Proxy


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_client_disconnect_closes_the_upstream_request_within_a_second(
    proxy: Proxy, backend: DevBackend
) -> None:
    backend.delay = 0.05
    user = proxy.user()
    user.new_session()
    payload = {"type": "threads.create", "params": {"input": user_input("tell me a story")}}
    with user.http.stream("POST", "/chatkit", json=payload, headers=user.auth) as response:
        # Keep the line iterator referenced: dropping it would close the connection now.
        lines = response.iter_lines()
        while '"stream_options"' not in next(lines):
            pass
        assert wait_for(lambda: backend.open_replies == 1, timeout=5), "the backend was not asked"
        time.sleep(0.2)  # mid-reply
    closed_at = time.monotonic()

    assert wait_for(lambda: backend.abandoned, timeout=3), "the backend kept working for nobody"
    latency = backend.abandoned[0] - closed_at
    print(f"upstream closed {latency * 1000:.1f} ms after the client left")
    assert latency < 1.0
    assert backend.open_replies == 0


def test_retry_after_an_item_replaces_the_answer(proxy: Proxy, backend: DevBackend) -> None:
    user = proxy.user()
    user.new_session()
    first = user.create_thread("try again")
    question = user.items(first.thread_id)[0]["id"]

    retried = user.stream(
        {
            "type": "threads.retry_after_item",
            "params": {"thread_id": first.thread_id, "item_id": question},
        }
    )

    assert retried.error is None
    assert retried.text == first.text
    assert [i["type"] for i in user.items(first.thread_id)] == ["user_message", "assistant_message"]
    assert backend.requests[-1]["messages"] == [{"role": "user", "content": "try again"}]
