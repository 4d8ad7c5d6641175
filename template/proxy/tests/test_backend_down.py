"""A failing backend gives the user a readable, retryable error and loses nothing."""

from __future__ import annotations

from starlette.requests import Request

from dev_backend import DevBackend


class RefuseEveryone:
    """A backend policy that refuses all credentials, as after a key rotation."""

    def refusal(self, request: Request) -> str | None:
        return "These credentials were revoked."


def test_backend_down_is_a_readable_retryable_error_and_the_message_is_kept(make_proxy) -> None:
    proxy = make_proxy(custom_backend_url="http://127.0.0.1:9")
    user = proxy.user()
    user.new_session()
    stream = user.create_thread("are you there?")

    assert stream.error is not None
    assert stream.error["allow_retry"] is True
    assert "unavailable" in stream.error["message"]
    assert "127.0.0.1" not in stream.error["message"]
    items = user.items(stream.thread_id)
    assert [i["type"] for i in items] == ["user_message"]
    assert items[0]["content"][0]["text"] == "are you there?"


def test_the_conversation_goes_on_after_a_backend_failure(
    make_proxy, backend: DevBackend, backend_url: str
) -> None:
    proxy = make_proxy(custom_backend_url=backend_url)
    user = proxy.user()
    user.new_session()
    first = user.create_thread("first")

    accepted, backend.auth = backend.auth, RefuseEveryone()  # type: ignore[assignment]
    refused = user.add_message(first.thread_id, "second")
    assert refused.error is not None
    assert refused.error["allow_retry"] is False
    assert "misconfigured" in refused.error["message"]

    backend.auth = accepted
    third = user.add_message(first.thread_id, "third")
    assert third.error is None
    kinds = [(i["type"], i["content"][0]["text"]) for i in user.items(first.thread_id)]
    assert [k for k, _ in kinds] == [
        "user_message",
        "assistant_message",
        "user_message",
        "user_message",
        "assistant_message",
    ]
    assert kinds[3][1] == "third"
