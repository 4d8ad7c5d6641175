"""While the backend is silent, SSE comments keep the browser's connection from idling out."""

from __future__ import annotations

import json

from dev_backend import DevBackend
from tests.chatkit_client import user_input


def test_pings_flow_while_the_backend_is_silent(make_proxy, backend: DevBackend, backend_url):
    backend.delay = 0.15
    proxy = make_proxy(custom_backend_url=backend_url, heartbeat_interval_seconds=0.03)
    user = proxy.user()
    user.new_session()
    payload = {"type": "threads.create", "params": {"input": user_input("take your time")}}

    lines = []
    with user.http.stream("POST", "/chatkit", json=payload, headers=user.auth) as response:
        lines = [line for line in response.iter_lines() if line]

    first_delta = next(i for i, line in enumerate(lines) if "text_delta" in line)
    assert ": ping" in lines[:first_delta], lines[:first_delta]
    assert all(line == ": ping" or line.startswith("data: ") for line in lines)
    events = [json.loads(line[6:]) for line in lines if line.startswith("data: ")]
    text = "".join(e["update"]["delta"] for e in events if "text_delta" in json.dumps(e))
    assert text == backend.reply_to([{"role": "user", "content": "take your time"}])


def test_no_pings_while_events_flow(proxy, backend: DevBackend) -> None:
    user = proxy.user()
    user.new_session()
    payload = {"type": "threads.create", "params": {"input": user_input("quick")}}

    with user.http.stream("POST", "/chatkit", json=payload, headers=user.auth) as response:
        lines = [line for line in response.iter_lines() if line]

    assert ": ping" not in lines  # 15 s by default: a quick reply needs none
