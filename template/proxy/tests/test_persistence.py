"""Threads persist in the database, survive a restart and are only ever visible to their owner."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chatkit_client import ChatKitUser, user_input
from tests.harness import Proxy


def test_threads_survive_a_proxy_restart(proxy: Proxy) -> None:
    user = proxy.user()
    user.new_session()
    stream = user.create_thread("remember me")

    proxy.restart()

    user.new_session()  # the cookie still identifies the same user
    items = user.items(stream.thread_id)
    assert [i["type"] for i in items] == ["user_message", "assistant_message"]
    assert items[1]["content"][0]["text"] == stream.text
    listed = user.post({"type": "threads.list", "params": {}}).json()["data"]
    assert [t["id"] for t in listed] == [stream.thread_id]
    assert user.add_message(stream.thread_id, "still there?").error is None


def test_thread_list_pages_in_both_orders(proxy: Proxy) -> None:
    user = proxy.user()
    user.new_session()
    ids = [user.create_thread(f"thread {n}").thread_id for n in range(3)]

    def page(**params: Any) -> dict[str, Any]:
        return user.post({"type": "threads.list", "params": params}).json()

    newest = page(limit=2, order="desc")
    assert [t["id"] for t in newest["data"]] == [ids[2], ids[1]]
    assert newest["has_more"] is True
    rest = page(limit=2, order="desc", after=newest["after"])
    assert [t["id"] for t in rest["data"]] == [ids[0]]
    assert rest["has_more"] is False
    assert [t["id"] for t in page(order="asc")["data"]] == ids


def test_rename_and_delete(proxy: Proxy) -> None:
    user = proxy.user()
    user.new_session()
    thread_id = user.create_thread("to be renamed").thread_id

    renamed = user.post(
        {"type": "threads.update", "params": {"thread_id": thread_id, "title": "Renamed"}}
    )
    assert renamed.json()["title"] == "Renamed"
    assert (
        user.post({"type": "threads.delete", "params": {"thread_id": thread_id}}).status_code == 200
    )
    gone = user.post({"type": "threads.get_by_id", "params": {"thread_id": thread_id}})
    assert gone.status_code == 404


@pytest.fixture
def alice(proxy: Proxy) -> ChatKitUser:
    user = proxy.user()
    user.new_session()
    return user


@pytest.fixture
def alice_thread(alice: ChatKitUser) -> str:
    return alice.create_thread("alice's secret plans").thread_id


@pytest.mark.parametrize(
    "request_for",
    [
        lambda t: {"type": "threads.get_by_id", "params": {"thread_id": t}},
        lambda t: {"type": "items.list", "params": {"thread_id": t}},
        lambda t: {"type": "threads.update", "params": {"thread_id": t, "title": "mine now"}},
        lambda t: {"type": "threads.delete", "params": {"thread_id": t}},
        lambda t: {
            "type": "threads.add_user_message",
            "params": {"thread_id": t, "input": user_input("let me in")},
        },
        lambda t: {"type": "threads.retry_after_item", "params": {"thread_id": t, "item_id": "x"}},
        lambda t: {
            "type": "items.feedback",
            "params": {"thread_id": t, "item_ids": ["x"], "kind": "positive"},
        },
    ],
    ids=["get", "items", "rename", "delete", "continue", "retry", "feedback"],
)
def test_another_user_cannot_touch_the_thread(proxy: Proxy, alice_thread: str, request_for) -> None:
    mallory = proxy.user()
    mallory.new_session()
    response = mallory.post(request_for(alice_thread))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert mallory.post({"type": "threads.list", "params": {}}).json()["data"] == []


def test_the_owner_keeps_the_thread_after_attempts_by_others(
    proxy: Proxy, alice: ChatKitUser, alice_thread: str
) -> None:
    mallory = proxy.user()
    mallory.new_session()
    mallory.post({"type": "threads.delete", "params": {"thread_id": alice_thread}})
    mallory.post(
        {"type": "threads.update", "params": {"thread_id": alice_thread, "title": "pwned"}}
    )

    thread = alice.post({"type": "threads.get_by_id", "params": {"thread_id": alice_thread}})
    assert thread.status_code == 200
    assert thread.json()["title"] == "alice's secret plans"
