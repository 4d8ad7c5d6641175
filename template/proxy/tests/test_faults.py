"""Fault injection against one backend: what the user sees, what is kept, what is retried.

Each case scripts the backend's answers (tests/fault_backend.py) and checks four things: the
text and error the user gets, the thread as persisted, the calls the backend received, and
that the proxy left no upstream connection open.
"""

from __future__ import annotations

import time

import pytest

from tests.fault_backend import FaultBackend, answer, hang, refused_url, reply, sse, stream
from tests.harness import QUESTION, ask


@pytest.fixture
def backends():
    started: list[FaultBackend] = []

    def make(*faults, name: str = "primary", calls=None) -> FaultBackend:
        backend = FaultBackend(name, list(faults), calls)
        started.append(backend)
        return backend

    yield make
    for backend in started:
        backend.close()


def test_503_then_success_is_retried_invisibly(fast_proxy, backends) -> None:
    backend = backends(reply(503, '{"error": "overloaded"}'), answer("Hello", ", world"))
    seen, saved = ask(fast_proxy(custom_backend_url=backend.url))

    assert seen.error is None
    assert seen.text == "Hello, world"
    assert saved == [("user_message", QUESTION), ("assistant_message", "Hello, world")]
    assert [c.backend for c in backend.calls] == ["primary", "primary"]
    assert backend.wait_until_all_closed() == 0


def test_429_waits_as_long_as_retry_after_says(fast_proxy, backends) -> None:
    backend = backends(reply(429, headers={"Retry-After": "1"}), answer("after a pause"))
    seen, saved = ask(fast_proxy(custom_backend_url=backend.url))

    assert seen.text == "after a pause"
    assert saved[-1] == ("assistant_message", "after a pause")
    first, second = backend.calls
    assert second.at - first.at >= 0.9  # not the 10 ms exponential backoff would give
    assert backend.wait_until_all_closed() == 0


def test_persistent_429_says_the_assistant_is_busy(fast_proxy, backends) -> None:
    backend = backends(reply(429))
    seen, saved = ask(fast_proxy(custom_backend_url=backend.url))

    assert seen.error is not None
    assert seen.error["allow_retry"] is True
    assert "too many requests" in seen.error["message"]
    assert saved == [("user_message", QUESTION)]
    assert len(backend.calls) == 3
    assert backend.wait_until_all_closed() == 0


def test_retry_after_is_capped_by_the_maximum_wait(fast_proxy, backends) -> None:
    backend = backends(reply(503, headers={"Retry-After": "3600"}), answer("soon"))
    seen, _ = ask(fast_proxy(custom_backend_url=backend.url, retry_max_wait_seconds=0.2))

    first, second = backend.calls
    assert seen.text == "soon"
    assert 0.15 <= second.at - first.at < 1.5


def test_connection_refused_is_a_retryable_unavailable_error(fast_proxy) -> None:
    started = time.monotonic()
    seen, saved = ask(fast_proxy(custom_backend_url=refused_url()))

    assert seen.error is not None
    assert seen.error["allow_retry"] is True
    assert "unavailable" in seen.error["message"]
    assert "127.0.0.1" not in seen.error["message"]
    assert seen.text == ""
    assert saved == [("user_message", QUESTION)]
    assert time.monotonic() - started < 3


def test_hang_before_the_first_byte_times_out_after_each_attempt(fast_proxy, backends) -> None:
    backend = backends(hang)
    started = time.monotonic()
    seen, saved = ask(fast_proxy(custom_backend_url=backend.url))
    elapsed = time.monotonic() - started

    assert seen.error is not None
    assert seen.error["allow_retry"] is True
    assert "took too long" in seen.error["message"]
    assert saved == [("user_message", QUESTION)]
    assert len(backend.calls) == 3  # RETRY_MAX_ATTEMPTS, each cut at FIRST_CHUNK_TIMEOUT
    assert 1.4 < elapsed < 4
    assert backend.wait_until_all_closed() == 0


def test_hang_mid_stream_keeps_the_partial_answer_and_is_not_retried(fast_proxy, backends) -> None:
    backend = backends(stream(sse("Hello"), sse(", wor"), then="hang"))
    seen, saved = ask(fast_proxy(custom_backend_url=backend.url))

    assert seen.text == "Hello, wor"
    assert seen.error is not None
    assert seen.error["allow_retry"] is True
    assert "took too long" in seen.error["message"]
    assert saved == [("user_message", QUESTION), ("assistant_message", "Hello, wor")]
    assert len(backend.calls) == 1  # a retry would show the user the same text twice
    assert backend.wait_until_all_closed() == 0


def test_drop_mid_stream_keeps_the_partial_answer(fast_proxy, backends) -> None:
    backend = backends(stream(sse("Hello"), sse(", wor"), then="drop"))
    seen, saved = ask(fast_proxy(custom_backend_url=backend.url))

    assert seen.text == "Hello, wor"
    assert seen.error is not None
    assert seen.error["allow_retry"] is True
    assert "unavailable" in seen.error["message"]
    assert saved == [("user_message", QUESTION), ("assistant_message", "Hello, wor")]
    assert len(backend.calls) == 1
    assert backend.wait_until_all_closed() == 0


def test_malformed_chunk_is_a_readable_error_without_retry(fast_proxy, backends) -> None:
    backend = backends(stream(b'data: {"choices": 5}\n\n'))
    seen, saved = ask(fast_proxy(custom_backend_url=backend.url))

    assert seen.error is not None
    assert seen.error["allow_retry"] is True
    assert "could not read" in seen.error["message"]
    assert "choices" not in seen.error["message"]
    assert saved == [("user_message", QUESTION)]
    assert len(backend.calls) == 1  # the same backend would send the same thing again
    assert backend.wait_until_all_closed() == 0


def test_invalid_json_mid_stream_keeps_the_partial_answer(fast_proxy, backends) -> None:
    backend = backends(stream(sse("Hello"), b"data: {not json\n\n", sse("never shown")))
    seen, saved = ask(fast_proxy(custom_backend_url=backend.url))

    assert seen.text == "Hello"
    assert seen.error is not None
    assert "could not read" in seen.error["message"]
    assert "not json" not in seen.error["message"]
    assert saved == [("user_message", QUESTION), ("assistant_message", "Hello")]
    assert len(backend.calls) == 1
    assert backend.wait_until_all_closed() == 0


def test_slow_drip_within_the_idle_timeout_completes(fast_proxy, backends) -> None:
    pieces = ["slow ", "and ", "steady ", "wins"]
    backend = backends(answer(*pieces, pause=0.3))  # each gap < the 0.5 s idle timeout
    seen, saved = ask(fast_proxy(custom_backend_url=backend.url))

    assert seen.error is None
    assert seen.text == "slow and steady wins"
    assert saved[-1] == ("assistant_message", "slow and steady wins")
    assert len(backend.calls) == 1
    assert backend.wait_until_all_closed() == 0


def test_slow_drip_past_the_total_timeout_stops_with_the_partial_answer(
    fast_proxy, backends
) -> None:
    backend = backends(answer(*[f"{n} " for n in range(20)], pause=0.3))
    seen, saved = ask(fast_proxy(custom_backend_url=backend.url, backend_total_timeout_seconds=1.0))

    assert seen.text.startswith("0 1 ")
    assert len(seen.text) < len("".join(f"{n} " for n in range(20)))
    assert seen.error is not None
    assert "took too long" in seen.error["message"]
    assert saved[-1] == ("assistant_message", seen.text)
    assert len(backend.calls) == 1
    assert backend.wait_until_all_closed() == 0


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (400, '{"error": "bad request"}', "could not process"),
        (401, '{"error": "bad key"}', "misconfigured"),
        (404, '{"error": "no such model"}', "model is not available"),
        (413, '{"error": "too large"}', "too long"),
        (400, '{"error": {"code": "context_length_exceeded"}}', "too long"),
    ],
)
def test_refusals_are_never_retried_and_say_why(
    fast_proxy, backends, status: int, body: str, message: str
) -> None:
    backend = backends(reply(status, body))
    seen, saved = ask(fast_proxy(custom_backend_url=backend.url))

    assert seen.error is not None
    assert seen.error["allow_retry"] is False
    assert message in seen.error["message"]
    assert saved == [("user_message", QUESTION)]
    assert len(backend.calls) == 1


def test_circuit_breaker_skips_a_failing_backend_then_probes_it_again(fast_proxy, backends) -> None:
    backend = backends(reply(503), reply(503), answer("back again"))
    proxy = fast_proxy(
        custom_backend_url=backend.url,
        retry_max_attempts=1,
        circuit_breaker_failures=2,
        circuit_breaker_cooldown_seconds=0.5,
    )
    for _ in range(2):
        assert ask(proxy)[0].error is not None
    assert len(backend.calls) == 2

    skipped, _ = ask(proxy)  # open: the backend is not called at all
    assert skipped.error is not None
    assert skipped.error["allow_retry"] is True
    assert "unavailable" in skipped.error["message"]
    assert len(backend.calls) == 2

    time.sleep(0.6)  # after the cooldown the next request probes the backend again
    recovered, _ = ask(proxy)
    assert recovered.error is None
    assert recovered.text == "back again"
    assert len(backend.calls) == 3
