"""Real HTTP servers on loopback for the tests: each runs uvicorn in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1: its own certificate authority."""

    cert_file: Path
    key_file: Path

    @classmethod
    def create(cls, directory: Path) -> Certificate:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = datetime.datetime.now(datetime.UTC)
        public = key.public_key()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        made = cls(directory / "backend.crt", directory / "backend.key")
        made.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        made.key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return made


class _Server(uvicorn.Server):
    """uvicorn's server, stopped as soon as it is asked rather than at its next 0.1 s tick:
    the tests start and stop hundreds of servers."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._exit_asked = asyncio.Event()

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        counter = 0
        while not await self.on_tick(counter):
            counter += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exit_asked.wait(), timeout=0.1)

    def ask_to_exit(self) -> None:
        self.should_exit = True  # seen at the first tick when the loop has not started yet
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._exit_asked.set)


class ServerThread:
    def __init__(self, app: Any, port: int | None = None, tls: Certificate | None = None) -> None:
        self.port = port or free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            # As the proxy is deployed: its own TRUSTED_PROXY_ADDRESSES decide (app.py).
            proxy_headers=False,
            ssl_certfile=tls and str(tls.cert_file),
            ssl_keyfile=tls and str(tls.key_file),
        )
        self._server = _Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.ask_to_exit()
        self._thread.join(timeout=10)


class RawBackend:
    """A loopback HTTP/1.1 peer that answers every request with scripted bytes.

    Each chunk is written with a separate `sendall` and a pause in between, so the reader
    sees the response split exactly where the test says (inside an event, inside a UTF-8
    character...).
    """

    def __init__(self, chunks: list[bytes], pause: float = 0.02, *, path: str = "") -> None:
        self.chunks = chunks
        self.pause = pause
        # When set, requests for any other path get a 404.
        self.path = path
        self.requests: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with conn:
                request = read_request(conn)
                if self.path and request.split(b" ", 2)[1] != self.path.encode():
                    conn.sendall(NOT_FOUND)
                    continue
                self.requests.append(request)
                try:
                    for chunk in self.chunks:
                        conn.sendall(chunk)
                        time.sleep(self.pause)
                except (BrokenPipeError, ConnectionResetError):
                    continue  # the proxy hung up early, as it does on an oversized reply

    def close(self) -> None:
        self._listener.close()


NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += conn.recv(65536)
    return head + b"\r\n\r\n" + body


def sse_response(*chunks: bytes) -> list[bytes]:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
    return [head, *chunks]


def json_response(*chunks: bytes) -> list[bytes]:
    """A JSON answer whose body arrives in `chunks`, split wherever the test cut it."""
    length = sum(len(chunk) for chunk in chunks)
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode()
    return [head, *chunks]


def utf8_cuts(data: bytes) -> list[bytes]:
    """`data` in pieces that each end inside a multi-byte character."""
    cuts = [i for i in range(1, len(data)) if (data[i] & 0xC0) == 0x80]
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
