"""A small ChatKit protocol client for the tests: sessions, requests and timed SSE events."""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx


@dataclass
class Event:
    at: float
    data: dict[str, Any]

    @property
    def type(self) -> str:
        return self.data["type"]


@dataclass
class Stream:
    started: float
    events: list[Event] = field(default_factory=list)

    def of_type(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.type == kind]

    @property
    def deltas(self) -> list[Event]:
        return [
            e
            for e in self.of_type("thread.item.updated")
            if e.data["update"]["type"] == "assistant_message.content_part.text_delta"
        ]

    @property
    def text(self) -> str:
        return "".join(e.data["update"]["delta"] for e in self.deltas)

    @property
    def thread_id(self) -> str:
        return self.of_type("thread.created")[0].data["thread"]["id"]

    @property
    def error(self) -> dict[str, Any] | None:
        errors = self.of_type("error")
        return errors[0].data if errors else None


def user_input(text: str, model: str | None = None) -> dict[str, Any]:
    options = {"model": model} if model else {}
    return {
        "content": [{"type": "input_text", "text": text}],
        "attachments": [],
        "inference_options": options,
    }


def new_thread(text: str, model: str | None = None) -> dict[str, Any]:
    """A `threads.create` request."""
    return {"type": "threads.create", "params": {"input": user_input(text, model)}}


def user_message(thread_id: str, text: str, model: str | None = None) -> dict[str, Any]:
    """A `threads.add_user_message` request."""
    return {
        "type": "threads.add_user_message",
        "params": {"thread_id": thread_id, "input": user_input(text, model)},
    }


# Browsers treat loopback as a secure context and send it Secure cookies (the proxy's identity
# cookie is one outside DEV_MODE); the tests' proxies are on loopback.
_LOOPBACK_IS_SECURE = DefaultCookiePolicy(secure_protocols=("https", "wss", "http"))


class ChatKitUser:
    """One browser: its own cookie jar, session token and requests."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(
            base_url=base_url,
            timeout=30,
            cookies=CookieJar(_LOOPBACK_IS_SECURE),
            event_hooks={"request": [self._send_cookies]},
        )
        self.token = ""
        # What the browser shows to get a session: the app's sign-in, when there is one.
        self.session_headers: dict[str, str] = {}

    def _send_cookies(self, request: httpx.Request) -> None:
        """The Cookie header a browser would send. httpx sends a copy of the jar with the
        default policy, which keeps every Secure cookie from plain http."""
        compat = urllib.request.Request(str(request.url))
        self.http.cookies.jar.add_cookie_header(compat)
        if cookie := compat.get_header("Cookie"):
            request.headers["Cookie"] = cookie

    def close(self) -> None:
        self.http.close()

    def new_session(self) -> dict[str, Any]:
        response = self.http.post("/api/custom/session", headers=self.session_headers)
        response.raise_for_status()
        session = response.json()
        self.token = session["client_secret"]
        return session

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def post(self, payload: dict[str, Any] | str) -> httpx.Response:
        body = payload if isinstance(payload, str) else json.dumps(payload)
        return self.http.post(
            "/chatkit", content=body, headers={**self.auth, "Content-Type": "application/json"}
        )

    def stream(self, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Stream:
        result = Stream(started=time.perf_counter())
        with self.http.stream(
            "POST", "/chatkit", json=payload, headers={**self.auth, **(headers or {})}, timeout=30
        ) as response:
            assert response.status_code == 200, response.read()
            assert response.headers["content-type"].startswith("text/event-stream")
            for line in response.iter_lines():
                if line.startswith("data: "):
                    result.events.append(Event(time.perf_counter(), json.loads(line[6:])))
        return result

    def create_thread(
        self,
        text: str,
        model: str | None = None,
        metadata: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Stream:
        return self.stream(new_thread(text, model) | {"metadata": metadata or {}}, headers)

    def add_message(self, thread_id: str, text: str, model: str | None = None) -> Stream:
        return self.stream(user_message(thread_id, text, model))

    def items(self, thread_id: str, order: str = "asc") -> list[dict[str, Any]]:
        response = self.post(
            {"type": "items.list", "params": {"thread_id": thread_id, "order": order}}
        )
        assert response.status_code == 200, response.text
        return response.json()["data"]
