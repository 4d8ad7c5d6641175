"""A loopback HTTP/1.1 peer whose answer is larger than the proxy may read.

It sends the answer's head, then its body a piece at a time with a pause in between, so the
proxy can hang up part way; for each request it records how much of the body went out before
the proxy did. A proxy that reads to the end lets it send everything.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

from tests.servers import NOT_FOUND, read_request

# Between two pieces: time for the proxy to hang up, so that the pieces fill no buffer.
PAUSE_SECONDS = 0.002

EVENT_STREAM = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream"
JSON = "HTTP/1.1 200 OK\r\nContent-Type: application/json"
SERVER_ERROR = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain"


def padded(start: bytes, size: int, end: bytes) -> list[bytes]:
    """`start`, about `size` bytes of "y" in pieces of 1 KiB, `end`: e.g. one long JSON string."""
    return [start, *[b"y" * 1024] * (size // 1024), end]


@dataclass
class Answer:
    sent: int = 0  # bytes of the body
    hung_up: bool = False  # the proxy closed the connection before the end of the body


class FloodBackend:
    def __init__(
        self,
        head: str,
        pieces: list[bytes],
        *,
        path: str = "",
        refusals: tuple[bytes, ...] = (),
    ) -> None:
        """An answer with status line and headers `head` and the body `pieces`, joined.

        `path`: when set, requests for any other path get a 404. `refusals`: whole answers for
        the first requests, before any flood.
        """
        self.size = sum(len(piece) for piece in pieces)
        self.answers: list[Answer] = []
        self._head = f"{head}\r\nContent-Length: {self.size}\r\nConnection: close\r\n\r\n"
        self._pieces = pieces
        self._path = path
        self._refusals = list(refusals)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> list[Answer]:
        """Stop listening, wait for the answer under way, and return every answer."""
        self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() under way
        self._listener.close()
        self._thread.join(timeout=10)
        return self.answers

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with conn:
                request = read_request(conn)
                if self._path and request.split(b" ", 2)[1] != self._path.encode():
                    conn.sendall(NOT_FOUND)
                elif self._refusals:
                    conn.sendall(self._refusals.pop(0))
                else:
                    self.answers.append(self._flood(conn))

    def _flood(self, conn: socket.socket) -> Answer:
        answer = Answer()
        conn.settimeout(10)  # a proxy that neither reads nor hangs up is not cut off
        try:
            conn.sendall(self._head.encode())
            for piece in self._pieces:
                time.sleep(PAUSE_SECONDS)
                conn.sendall(piece)
                answer.sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            answer.hung_up = True
        except TimeoutError:
            pass
        return answer
