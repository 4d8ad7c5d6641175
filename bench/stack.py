"""Renders a project and runs its parts as separate processes: backend, proxy, Next.js.

Every process gets a free loopback port and its own process group, and is stopped (the group,
by id) when the benchmark ends, whether it finished or failed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import yaml

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
SECRET = "bench-session-secret-0123456789-abcdefghijklmnop"
MODEL = "bench-model"
INSTALL_TIMEOUT = 900


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copier_command(destination: Path, answers: dict[str, object], template: Path | str) -> list:
    command = [sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--quiet"]
    if (Path(template) / ".git").exists():
        command += ["--vcs-ref", "HEAD"]  # the working tree, uncommitted changes included
    for key, value in answers.items():
        text = value if isinstance(value, str) else json.dumps(value)  # copier reads YAML
        command += ["--data", f"{key}={text}"]
    return [*command, str(template), str(destination)]


def render(
    destination: Path, answers: dict[str, object], template: Path | str = REPO_ROOT
) -> float:
    """Render with `copier copy`, as a user runs it; return the wall time in seconds."""
    started = time.perf_counter()
    done = subprocess.run(
        copier_command(destination, answers, template),
        check=False,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "bench",
            "GIT_AUTHOR_EMAIL": "bench@localhost",
            "GIT_COMMITTER_NAME": "bench",
            "GIT_COMMITTER_EMAIL": "bench@localhost",
        },
    )
    if done.returncode != 0:
        raise RuntimeError(f"copier copy {answers} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def package_name(project: Path) -> str:
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    return answers["package_name"]


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-40:])
        raise RuntimeError(f"{' '.join(command)} failed in {cwd}:\n{tail}")


def install(project: Path, web: bool) -> None:
    _run(["uv", "sync", "--quiet"], project / "proxy")
    if web:
        _run(["npm", "ci", "--no-audit", "--no-fund"], project / "web")
        _run(
            ["npm", "run", "build"], project / "web", {**os.environ, "NEXT_TELEMETRY_DISABLED": "1"}
        )


@dataclass
class Service:
    name: str
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def _wait_ready(service: Service, url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers: that is all readiness means here
        except OSError:
            time.sleep(0.1)
    log = service.log.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"{service.name} did not become ready at {url}:\n{log}")


def _stop(service: Service) -> None:
    if service.process.poll() is None:
        os.killpg(service.process.pid, signal.SIGTERM)
        try:
            service.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(service.process.pid, signal.SIGKILL)
            service.process.wait(timeout=10)


class Stack:
    """Backend, proxy and (optionally) Next.js of one rendered project, on loopback."""

    def __init__(
        self,
        project: Path,
        work: Path,
        web: bool,
        backend: Service | None = None,
        ref: str = "",
    ) -> None:
        """`backend`: share another stack's backend instead of starting one; `ref`: a label."""
        self.project = project
        self.work = work
        self.web = web
        self.ref = ref
        self._shared_backend = backend
        self.python = str(project / "proxy" / ".venv" / "bin" / "python")
        self._exit = ExitStack()
        self.backend: Service
        self.proxy: Service
        self.next: Service | None = None

    def _start(self, name: str, command: list[str], cwd: Path, env: dict[str, str]) -> Service:
        port = int(next(arg for arg in command if re.fullmatch(r"\d{4,5}", arg)))
        log = self.work / f"{name}.log"
        handle = log.open("w")
        self._exit.callback(handle.close)
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        service = Service(name, process, port, log)
        self._exit.callback(_stop, service)
        return service

    def __enter__(self) -> Self:
        try:
            self._start_all()
        except BaseException:
            self._exit.close()
            raise
        return self

    def _start_all(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_"))}
        if self._shared_backend is not None:
            self.backend = self._shared_backend
        else:
            port = free_port()
            command = [self.python, str(BENCH_DIR / "backend.py"), "--port", str(port)]
            self.backend = self._start("backend", command, self.work, env)
            _wait_ready(self.backend, f"http://127.0.0.1:{port}/v1/models")

        port = free_port()
        proxy_env = {
            **env,
            "SESSION_SECRET": SECRET,
            "DATABASE_URL": f"sqlite:///{self.work / 'chat.db'}",
            "CUSTOM_BACKEND_URL": f"http://127.0.0.1:{self.backend.port}/v1",
            "CUSTOM_MODEL": MODEL,
            # The limiters still count every message and identity; the load, all from one
            # address and many new users, must not be refused by them.
            "RATE_LIMIT": "1000000/second",
            "ADDRESS_RATE_LIMIT": "1000000/second",
            "IDENTITY_RATE_LIMIT": "1000000/second",
            "MAX_THREADS_PER_USER": "1000000",
        }
        command = [self.python, "-m", "uvicorn", f"{package_name(self.project)}.app:app"]
        command += ["--host", "127.0.0.1", "--port", str(port), "--backlog", "4096"]
        command += proxy_log_options(self.project)
        self.proxy = self._start("proxy", command, self.work, proxy_env)
        _wait_ready(self.proxy, f"http://127.0.0.1:{port}/healthz")

        if self.web:
            port = free_port()
            web_env = {
                **env,
                "PROXY_URL": f"http://127.0.0.1:{self.proxy.port}",
                "NEXT_TELEMETRY_DISABLED": "1",
                "NODE_ENV": "production",
            }
            next_bin = str(self.project / "web" / "node_modules" / ".bin" / "next")
            self.next = self._start(
                "next",
                [next_bin, "start", "-H", "127.0.0.1", "-p", str(port)],
                self.project / "web",
                web_env,
            )
            _wait_ready(self.next, f"http://127.0.0.1:{port}/api/custom/models")

    def __exit__(self, *exc: object) -> None:
        self._exit.close()


def proxy_log_options(project: Path) -> list[str]:
    """The proxy as its README says to run it: with its own request log, uvicorn's access log
    is redundant; a project without one keeps uvicorn's defaults."""
    package = project / "proxy" / "src" / package_name(project)
    if any(package.glob("**/request_log.py")):
        return ["--no-access-log"]
    return []


def tools_present(web: bool) -> list[str]:
    needed = ["uv", "git"] + (["node", "npm"] if web else [])
    return [tool for tool in needed if shutil.which(tool) is None]
