"""The tokens each reply takes: kept beside the answer, counted in the metrics, and charged to
the user's daily token budget, which refuses the next message before anything is stored."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import dev_backend
from dev_backend import DevBackend
from tests.chatkit_client import new_thread
from tests.databases import stored_rows, stored_usage
from tests.harness import Proxy
from tests.prometheus import sample

TOKENS = "chatkit_proxy_tokens_total"


@pytest.mark.parametrize("source", ["backend", "estimate"])
def test_a_reply_keeps_its_usage_and_is_counted(
    make_proxy: Callable[..., Proxy],
    backend: DevBackend,
    backend_url: str,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
) -> None:
    backend.delay = 0.001
    if source == "estimate":  # a backend that does not count: the proxy estimates
        monkeypatch.setattr(dev_backend, "_usage", lambda *_: None)
    proxy = make_proxy(custom_backend_url=backend_url)

    def counted() -> dict[str, float]:
        # The metrics belong to the process, which other tests' proxies share: count the change.
        return {
            direction: sample(proxy, TOKENS, model="dev-model", direction=direction, source=source)
            for direction in ("prompt", "completion")
        }

    before = counted()
    user = proxy.user()
    user.new_session()
    stream = user.create_thread("how many tokens is this?")
    assert stream.error is None

    answer = user.items(stream.thread_id)[-1]
    usage = stored_usage(database_url, answer["id"])
    assert usage is not None
    assert usage["estimated"] is (source == "estimate")
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    after = counted()
    assert {direction: after[direction] - before[direction] for direction in after} == {
        "prompt": usage["prompt_tokens"],
        "completion": usage["completion_tokens"],
    }


def test_the_daily_token_budget_refuses_the_next_message_before_anything_is_stored(
    make_proxy: Callable[..., Proxy], backend: DevBackend, backend_url: str, database_url: str
) -> None:
    backend.delay = 0.001
    user = make_proxy(custom_backend_url=backend_url, token_budget_per_day=20).user()
    user.new_session()
    first = user.create_thread("this one is answered, and uses up the budget")
    assert first.error is None and first.text
    sent, rows = len(backend.requests), stored_rows(database_url)

    refused = user.post(new_thread("and this one?"))

    assert refused.status_code == 429
    assert "today's 20 tokens" in refused.json()["error"]["message"]
    assert int(refused.headers["retry-after"]) <= 24 * 3600
    assert stored_rows(database_url) == rows
    assert len(backend.requests) == sent
