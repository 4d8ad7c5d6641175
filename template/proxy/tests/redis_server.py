"""A throwaway Redis server for the tests: Debian's `redis-server` on a free loopback port,
with its working directory in a temporary directory, stopped and deleted when done.

It needs the `redis-server` program: on Debian or Ubuntu `sudo apt-get install redis-server`
(`make setup` does it); the tests that need Redis are skipped without it, saying why.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from tests.servers import free_port

START_ATTEMPTS = 3
START_SECONDS = 10.0


class RedisServerError(RuntimeError):
    """The test server could not be started."""


def find_redis_server() -> str:
    """The redis-server program; skips the test when it is not installed."""
    program = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin")
    if program is None:
        pytest.skip(
            "redis-server is not installed: on Debian or Ubuntu run "
            "`sudo apt-get install redis-server` (or `make setup`)"
        )
    return program


class RedisServer:
    def __init__(self, program: str, home: Path) -> None:
        self._program = program
        self._home = home
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @classmethod
    @contextmanager
    def start(cls) -> Iterator[RedisServer]:
        """Run a server for the duration of the block."""
        server = cls(find_redis_server(), Path(tempfile.mkdtemp(prefix="chat-tests-redis-")))
        try:
            server.run()
            yield server
        finally:
            server.stop()
            shutil.rmtree(server._home, ignore_errors=True)

    def run(self, port: int | None = None) -> None:
        """Start the server, on `port` (a restart) or on a free port."""
        for attempt in range(1, START_ATTEMPTS + 1):
            # A free port can be taken by someone else before the server binds it: try another.
            self.port = port or free_port()
            log = self._home / "server.log"
            command = [self._program, "--port", str(self.port), "--bind", "127.0.0.1"]
            # Throwaway data: nothing is written to disk.
            command += ["--dir", str(self._home), "--save", "", "--appendonly", "no"]
            command += ["--logfile", str(log)]
            self._process = subprocess.Popen(command, cwd=self._home)
            if self._answers():
                return
            self.stop()
            if attempt == START_ATTEMPTS or port is not None:
                detail = log.read_text() if log.exists() else "no server log"
                raise RedisServerError(f"the test Redis server did not start: {detail}")

    def stop(self) -> None:
        """Stop the server (the tests of an outage call it mid-test)."""
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def flush(self) -> None:
        """Delete every key, so each test starts from an empty Redis."""
        with redis.Redis.from_url(self.url) as client:
            client.flushall()

    def _answers(self) -> bool:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return True
            except OSError:
                pass
            time.sleep(0.02)
        return False
