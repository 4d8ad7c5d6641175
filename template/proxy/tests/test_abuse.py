"""Strangers scripting against the proxy: what they try, and that it is refused before anything
is stored or any backend is called. (Per-answer attacks: the user-auth and models-file tests.)"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from pydantic import ValidationError

from dev_backend import DevBackend
from tests.chatkit_client import ChatKitUser, new_thread, user_message
from tests.databases import backdate, stored_rows
from tests.harness import Proxy

MEGABYTE_MESSAGE = "x" * 1_000_000


def refused(response: httpx.Response, status: int, says: str) -> None:
    assert response.status_code == status, response.text
    assert says in response.json()["error"]["message"]


def signed_in(proxy: Proxy) -> ChatKitUser:
    user = proxy.user()
    user.new_session()
    return user


@pytest.mark.usefixtures("one_rate_window")
def test_a_rate_limited_user_fills_no_disk(
    make_proxy: Callable[..., Proxy], backend_url: str, database_url: str
) -> None:
    proxy = make_proxy(
        custom_backend_url=backend_url, rate_limit="1/hour", max_request_bytes=2_000_000
    )
    user = signed_in(proxy)
    thread = user.create_thread("the one message an hour").thread_id
    before = stored_rows(database_url)

    for _ in range(5):
        refused(user.post(user_message(thread, MEGABYTE_MESSAGE)), 413, "too long")
        refused(user.post(user_message(thread, "small")), 429, "faster than allowed")
        refused(user.post(new_thread("small")), 429, "faster than allowed")

    assert stored_rows(database_url) == before


def test_a_long_message_or_title_is_refused_and_not_stored(
    make_proxy: Callable[..., Proxy], backend_url: str, database_url: str
) -> None:
    proxy = make_proxy(custom_backend_url=backend_url, max_message_chars=100, max_title_chars=20)
    user = signed_in(proxy)
    thread = user.create_thread("x" * 100).thread_id  # at the limit: fine
    before = stored_rows(database_url)

    refused(user.post(new_thread("x" * 101)), 413, "at most 100 characters")
    refused(user.post(user_message(thread, "x" * 101)), 413, "at most 100 characters")
    rename = {"type": "threads.update", "params": {"thread_id": thread, "title": "t" * 21}}
    refused(user.post(rename), 413, "at most 20 characters")
    direct = user.http.post("/api/custom/message", json={"text": "x" * 101}, headers=user.auth)
    refused(direct, 413, "at most 100 characters")

    assert stored_rows(database_url) == before
    assert user.post(rename | {"params": {"thread_id": thread, "title": "t" * 20}}).is_success


def test_threads_and_their_items_are_capped_per_user(
    make_proxy: Callable[..., Proxy], backend_url: str, database_url: str
) -> None:
    proxy = make_proxy(
        custom_backend_url=backend_url, max_threads_per_user=2, max_items_per_thread=4
    )
    user = signed_in(proxy)
    first = user.create_thread("one").thread_id
    assert user.add_message(first, "two").error is None  # 4 items now
    assert user.create_thread("three").error is None
    before = stored_rows(database_url)

    refused(user.post(user_message(first, "too many")), 409, "length limit")
    refused(user.post(new_thread("a third thread")), 409, "Delete some")
    assert stored_rows(database_url) == before

    assert signed_in(proxy).create_thread("another user has a quota of their own").error is None


@pytest.mark.usefixtures("one_rate_window")
def test_many_users_from_one_address_share_its_limit(
    make_proxy: Callable[..., Proxy], backend_url: str
) -> None:
    proxy = make_proxy(custom_backend_url=backend_url, address_rate_limit="3/hour")
    users = [signed_in(proxy) for _ in range(4)]
    for user in users[:3]:
        assert user.create_thread("hello").error is None

    refused(users[3].post(new_thread("hello")), 429, "from your network (3/hour)")


@pytest.mark.usefixtures("one_rate_window")
def test_the_address_is_the_forwarded_one_only_from_a_trusted_proxy(
    make_proxy: Callable[..., Proxy], backend_url: str
) -> None:
    def one_each(proxy: Proxy) -> list[int]:
        # Two users, each behind "their own" address as a proxy in front would forward it.
        statuses = []
        for address in ("203.0.113.7", "198.51.100.9"):
            user = signed_in(proxy)
            user.http.headers["X-Forwarded-For"] = address
            statuses.append(user.post(new_thread("hello")).status_code)
        return statuses

    # The tests reach the proxy from loopback, trusted by default: one limit per address.
    trusting = make_proxy(custom_backend_url=backend_url, address_rate_limit="1/hour")
    assert one_each(trusting) == [200, 200]
    # Not a trusted peer: the header is ignored and both count for the peer's own address.
    wary = make_proxy(
        custom_backend_url=backend_url,
        address_rate_limit="1/hour",
        trusted_proxy_addresses=["192.0.2.1"],
    )
    assert one_each(wary) == [200, 429]


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Sec-Fetch-Site": "cross-site"}, id="cross-site"),
        pytest.param({"Origin": "https://evil.example"}, id="foreign-origin"),
    ],
)
def test_another_site_cannot_get_a_session(proxy: Proxy, headers: dict[str, str]) -> None:
    browser = proxy.user()
    browser.session_headers |= headers

    response = browser.http.post("/api/custom/session", headers=browser.session_headers)

    refused(response, 403, "did not come from the chat page")
    assert "set-cookie" not in response.headers


def test_the_chat_page_itself_gets_a_session(proxy: Proxy) -> None:
    browser = proxy.user()
    browser.session_headers |= {"Origin": "http://localhost:3000", "Sec-Fetch-Site": "same-origin"}

    assert browser.new_session()["client_secret"]


@pytest.mark.parametrize("asked", [-2, 0])
def test_a_list_returns_at_least_one_row(proxy: Proxy, asked: int) -> None:
    user = signed_in(proxy)
    thread = user.create_thread("hello").thread_id
    for text in ("two", "three"):
        assert user.add_message(thread, text).error is None

    listed = user.post({"type": "items.list", "params": {"thread_id": thread, "limit": asked}})

    assert listed.status_code == 200
    assert len(listed.json()["data"]) == 1
    assert listed.json()["has_more"] is True


def test_a_list_returns_at_most_a_page_of_100(
    make_proxy: Callable[..., Proxy], backend: DevBackend, backend_url: str
) -> None:
    backend.delay = 0
    user = signed_in(make_proxy(custom_backend_url=backend_url, rate_limit="1000/minute"))
    thread = user.create_thread("0").thread_id
    for n in range(1, 51):  # 102 items
        assert user.add_message(thread, str(n)).error is None

    listed = user.post({"type": "items.list", "params": {"thread_id": thread, "limit": 10_000}})

    assert listed.status_code == 200
    assert len(listed.json()["data"]) == 100
    assert listed.json()["has_more"] is True


def test_ids_cannot_be_guessed(proxy: Proxy) -> None:
    user = signed_in(proxy)
    thread = user.create_thread("hello").thread_id
    ids = [thread, *(item["id"] for item in user.items(thread))]

    for each in ids:
        assert re.fullmatch(r"[a-z]+_[0-9a-f]{32}", each), each  # 128 random bits


def test_idle_threads_are_deleted_only_when_retention_is_set(
    make_proxy: Callable[..., Proxy], backend_url: str, database_url: str
) -> None:
    proxy = make_proxy(custom_backend_url=backend_url)
    user = signed_in(proxy)
    old = user.create_thread("from long ago").thread_id
    recent = user.create_thread("from today").thread_id
    backdate(database_url, old, days=365)
    before = stored_rows(database_url)

    def listed() -> list[str]:
        return [thread["id"] for thread in user.post(threads_list()).json()["data"]]

    proxy.restart()  # THREAD_RETENTION_DAYS=0 keeps everything
    assert listed() == [recent, old]

    # The deletion runs at start-up, then hourly.
    proxy.settings = proxy.settings.model_copy(update={"thread_retention_days": 30})
    proxy.restart()

    assert listed() == [recent]
    assert user.post({"type": "items.list", "params": {"thread_id": old}}).status_code == 404
    assert stored_rows(database_url) == before - 3  # the thread and its two items


def threads_list() -> dict[str, object]:
    return {"type": "threads.list", "params": {}}


def test_metrics_need_the_token_when_one_is_set(
    make_proxy: Callable[..., Proxy], backend_url: str
) -> None:
    proxy = make_proxy(custom_backend_url=backend_url, metrics_token="scrape-me-0123456789")
    http = proxy.user().http

    assert http.get("/metrics").status_code == 401
    assert http.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    scraped = http.get("/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"})
    assert scraped.status_code == 200
    assert "chatkit_proxy_requests" in scraped.text


@pytest.mark.parametrize("origins", [["*"], ["http://localhost:3000", "*"]])
def test_a_wildcard_origin_is_refused_outside_dev_mode(
    make_settings: Callable[..., object], origins: list[str]
) -> None:
    with pytest.raises(ValidationError, match="ALLOWED_ORIGINS"):
        make_settings(allowed_origins=origins)
    make_settings(allowed_origins=origins, dev_mode=True)
