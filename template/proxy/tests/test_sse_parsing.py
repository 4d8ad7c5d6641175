"""Backend SSE is parsed robustly, however the network splits it."""

from __future__ import annotations

import json

import pytest

from tests.servers import RawBackend, sse_response


def chunk(text: str) -> bytes:
    payload = {"choices": [{"index": 0, "delta": {"content": text}}]}
    return f"data: {json.dumps(payload, ensure_ascii=False)}".encode()


def reply_through(make_proxy, chunks: list[bytes]) -> str:
    backend = RawBackend(sse_response(*chunks))
    proxy = make_proxy(custom_backend_url=backend.url)
    user = proxy.user()
    user.new_session()
    stream = user.create_thread("hi")
    backend.close()
    assert stream.error is None, stream.error
    return stream.text


def test_crlf_line_endings_and_comments(make_proxy) -> None:
    body = (
        b": keep-alive comment\r\n\r\n"
        + chunk("Hello")
        + b"\r\n\r\n"
        + b": another comment\r\n"
        + chunk(", world")
        + b"\r\n\r\ndata: [DONE]\r\n\r\n"
    )
    assert reply_through(make_proxy, [body]) == "Hello, world"


def test_events_split_across_network_reads(make_proxy) -> None:
    event = chunk("split event") + b"\n\n"
    pieces = [event[:7], event[7:20], event[20:-1], event[-1:], b"data: [DONE]\n\n"]
    assert reply_through(make_proxy, pieces) == "split event"


@pytest.mark.parametrize("text", ["héllo wörld", "日本語のテキスト", "emoji 🎉🚀 end"])
def test_multibyte_characters_split_across_reads(make_proxy, text: str) -> None:
    event = chunk(text) + b"\n\n"
    # Cut inside every multi-byte character: each piece ends mid-character.
    cuts = [i for i in range(1, len(event)) if (event[i] & 0xC0) == 0x80]
    pieces = [event[a:b] for a, b in zip([0, *cuts], [*cuts, len(event)], strict=True)]
    assert reply_through(make_proxy, [*pieces, b"data: [DONE]\n\n"]) == text


def test_usage_chunks_and_role_only_deltas_are_skipped(make_proxy) -> None:
    role = b'data: {"choices":[{"index":0,"delta":{"role":"assistant"}}]}\n\n'
    usage = b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}\n\n'
    body = role + chunk("ok") + b"\n\n" + usage + b"data: [DONE]\n\n"
    assert reply_through(make_proxy, [body]) == "ok"


def test_a_stream_without_done_still_ends(make_proxy) -> None:
    assert reply_through(make_proxy, [chunk("no done marker") + b"\n\n"]) == "no done marker"


def test_the_request_is_a_streaming_chat_completion(make_proxy) -> None:
    backend = RawBackend(sse_response(chunk("x") + b"\n\ndata: [DONE]\n\n"))
    proxy = make_proxy(custom_backend_url=backend.url)
    user = proxy.user()
    user.new_session()
    user.create_thread("hi")
    backend.close()

    head, _, body = backend.requests[0].partition(b"\r\n\r\n")
    assert head.startswith(b"POST /v1/chat/completions HTTP/1.1")
    sent = json.loads(body)
    assert sent["stream"] is True
    assert sent["messages"] == [{"role": "user", "content": "hi"}]
