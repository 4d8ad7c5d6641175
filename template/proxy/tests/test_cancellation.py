"""Closing the tab (or ChatKit's stop button) stops the backend and keeps the partial answer."""

from __future__ import annotations

import json
import time

from dev_backend import DevBackend
from tests.chatkit_client import user_input
from tests.harness import Proxy


def test_client_disconnect_closes_the_upstream_stream_and_keeps_the_partial_answer(
    proxy: Proxy, backend: DevBackend
) -> None:
    backend.delay = 0.05
    user = proxy.user()
    user.new_session()
    payload = {"type": "threads.create", "params": {"input": user_input("tell me a story")}}
    thread_id = ""
    seen = 0
    with user.http.stream("POST", "/chatkit", json=payload, headers=user.auth) as response:
        for line in response.iter_lines():
            if not line.startswith("data: "):
                continue
            event = json.loads(line[6:])
            if event["type"] == "thread.created":
                thread_id = event["thread"]["id"]
            if event.get("update", {}).get("type") == "assistant_message.content_part.text_delta":
                seen += 1
                if seen == 3:
                    break  # leaving the block closes the connection mid-reply
        assert backend.open_streams == 1
    closed_at = time.monotonic()

    while backend.open_streams and time.monotonic() - closed_at < 1.0:
        time.sleep(0.01)
    assert backend.open_streams == 0, "the backend kept generating for a closed tab"

    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        items = user.items(thread_id)
        if len(items) == 2:
            break
        time.sleep(0.05)
    assert [i["type"] for i in items] == ["user_message", "assistant_message"]
    partial = items[1]["content"][0]["text"]
    full = backend.reply_to([{"role": "user", "content": "tell me a story"}])
    assert partial and full.startswith(partial) and partial != full


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
