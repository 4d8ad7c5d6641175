"""A backend whose failures the tests script: one fault per request, on a real loopback socket.

Every request is logged (in order, with the backend's name) into a list that several backends
can share, so a test can see which backends the proxy called and in which order.
`open_connections` counts connections the proxy has not closed yet.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.servers import free_port, read_request

Fault = Callable[[socket.socket, "FaultBackend"], None]


@dataclass
class Call:
    backend: str
    at: float
    body: dict[str, Any]


def sse(text: str) -> bytes:
    payload = {"choices": [{"index": 0, "delta": {"content": text}}]}
    return f"data: {json.dumps(payload)}\n\n".encode()


def reply(status: int, body: str = "", headers: dict[str, str] | None = None) -> Fault:
    """A complete non-streaming answer, e.g. a 503 or a 429 with Retry-After."""

    def fault(conn: socket.socket, backend: FaultBackend) -> None:
        extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        payload = body.encode()
        conn.sendall(
            f"HTTP/1.1 {status} Fault\r\nContent-Type: application/json\r\n{extra}"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
            + payload
        )

    return fault


def stream(*events: bytes, pause: float = 0.01, then: str = "end") -> Fault:
    """A chunked SSE answer, event by event; `then` is "end", "hang" or "drop".

    "drop" closes the socket without the final chunk, as a crashed backend would; "hang"
    keeps the connection open without sending anything more.
    """

    def fault(conn: socket.socket, backend: FaultBackend) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        for event in events:
            conn.sendall(b"%x\r\n%s\r\n" % (len(event), event))
            time.sleep(pause)
        if then == "end":
            conn.sendall(b"0\r\n\r\n")
        elif then == "hang":
            backend.wait_for_close(conn)

    return fault


def answer(*pieces: str, pause: float = 0.01) -> Fault:
    """A well-formed streamed reply made of `pieces`."""
    return stream(*(sse(piece) for piece in pieces), b"data: [DONE]\n\n", pause=pause)


def hang(conn: socket.socket, backend: FaultBackend) -> None:
    """Accept the request and never answer."""
    backend.wait_for_close(conn)


class FaultBackend:
    def __init__(self, name: str, faults: list[Fault], calls: list[Call] | None = None) -> None:
        """Answers request n with `faults[n]`; the last fault repeats."""
        self.name = name
        self.faults = faults
        self.calls: list[Call] = calls if calls is not None else []
        self.open_connections = 0
        self._served = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/v1"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.open_connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            _, _, body = read_request(conn).partition(b"\r\n\r\n")
            with self._lock:
                fault = self.faults[min(self._served, len(self.faults) - 1)]
                self._served += 1
                self.calls.append(Call(self.name, time.monotonic(), json.loads(body or b"{}")))
            fault(conn, self)
        except OSError:
            pass  # the proxy hung up first
        finally:
            conn.close()
            with self._lock:
                self.open_connections -= 1

    def wait_for_close(self, conn: socket.socket) -> None:
        """Block until the proxy closes the connection (or the backend is closed)."""
        conn.settimeout(0.02)
        while not self._stopping.is_set():
            try:
                if not conn.recv(65536):
                    return
            except TimeoutError:
                continue

    def wait_until_all_closed(self, timeout: float = 3.0) -> int:
        deadline = time.monotonic() + timeout
        while self.open_connections and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.open_connections

    def close(self) -> None:
        self._stopping.set()
        self._listener.close()


def refused_url() -> str:
    """A loopback URL where nothing listens: connecting is refused at once."""
    return f"http://127.0.0.1:{free_port()}/v1"
