"""Run the whole app for development: dev backend (when needed), proxy and web, together.

    uv run --project proxy python scripts/dev.py --app <package>.app:app

Reads `.env`, starts each process with its output prefixed, and stops all of them when
one exits or on Ctrl-C. A dev backend is started when CUSTOM_BACKEND_URL is unset, and, when
MODELS_FILE names a models file, for every loopback `backend_url` in it that nothing serves yet.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", required=True, help="ASGI app of the proxy, module:attribute")
    args = parser.parse_args()

    load_dotenv(ROOT / ".env")
    env = dict(os.environ)
    proxy_port = env.get("PROXY_PORT", "8000")
    web_port = env.get("WEB_PORT", "3000")
    commands: list[tuple[str, list[str], Path]] = []

    if not env.get("CUSTOM_BACKEND_URL"):
        backend_port = env.get("DEV_BACKEND_PORT", "8001")
        env["CUSTOM_BACKEND_URL"] = f"http://127.0.0.1:{backend_port}/v1"
        key, model = env.get("CUSTOM_BACKEND_KEY", ""), env.get("CUSTOM_MODEL", "dev-model")
        commands.append(_dev_backend("backend", backend_port, key, model))
    if env.get("MODELS_FILE"):
        extra = _loopback_backends(ROOT / env["MODELS_FILE"], env)
        for index, (port, key, model) in enumerate(extra, start=2):
            commands.append(_dev_backend(f"backend{index}", port, key, model))
    # The web server must reach the proxy started here, whatever .env says for deployments.
    env["PROXY_URL"] = f"http://127.0.0.1:{proxy_port}"
    commands.append(
        (
            "proxy",
            [
                sys.executable,
                "-m",
                "uvicorn",
                args.app,
                "--host",
                "127.0.0.1",
                "--port",
                proxy_port,
            ],
            ROOT,
        )
    )
    commands.append(("web", ["npm", "run", "dev", "--", "--port", web_port], ROOT / "web"))

    # `kill` or a closed terminal must stop the children too, not only Ctrl-C.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    processes = [_start(name, command, cwd, env) for name, command, cwd in commands]
    threading.Thread(
        target=_announce, args=(f"http://127.0.0.1:{proxy_port}/healthz", web_port), daemon=True
    ).start()
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        # A second signal (uv forwards the one we got) must not cut the clean-up short.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    failed = [p for p in processes if p.returncode not in (0, -signal.SIGTERM, None)]
    return 1 if failed else 0


def _dev_backend(name: str, port: str, key: str, model: str) -> tuple[str, list[str], Path]:
    command = [sys.executable, "dev_backend.py", "--port", port, "--api-key", key, "--model", model]
    return name, command, ROOT / "proxy"


def _loopback_backends(models_file: Path, env: dict[str, str]) -> list[tuple[str, str, str]]:
    """(port, key, backend model) of each loopback backend in the models file nothing serves."""
    import yaml  # installed with the proxy when the project has a models file

    entries = (yaml.safe_load(models_file.read_text(encoding="utf-8")) or {}).get("models") or []
    started = {urllib.parse.urlsplit(env["CUSTOM_BACKEND_URL"]).port}
    backends = []
    for entry in entries:
        url = urllib.parse.urlsplit(entry.get("backend_url") or env["CUSTOM_BACKEND_URL"])
        if url.hostname not in ("127.0.0.1", "localhost") or url.port in started:
            continue
        started.add(url.port)
        if _listening(url.port):
            continue
        key = env.get(entry.get("backend_key_env") or "CUSTOM_BACKEND_KEY", "")
        backends.append((str(url.port), key, entry.get("backend_model") or entry["id"]))
    return backends


def _listening(port: int | None) -> bool:
    if port is None:
        return True  # no explicit port: not something a dev backend could stand in for
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _start(name: str, command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, so children (next dev) stop with it
    )
    threading.Thread(target=_relay, args=(name, process), daemon=True).start()
    return process


def _relay(name: str, process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        print(f"{name:>7} | {line}", end="", flush=True)


def _announce(health_url: str, web_port: str) -> None:
    for _ in range(300):
        try:
            with urllib.request.urlopen(health_url, timeout=1):
                print(f"\n  Chat is ready: http://localhost:{web_port}\n", flush=True)
                return
        except OSError:
            time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
