"""Run the whole app for development: dev backend (when needed), proxy and web, together.

    uv run --project proxy python scripts/dev.py --app <package>.app:app

Reads `.env`, starts each process with its output prefixed, and stops all of them when
one exits or on Ctrl-C. The dev backend is started only when CUSTOM_BACKEND_URL is unset.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
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
        commands.append(
            (
                "backend",
                [
                    sys.executable,
                    "dev_backend.py",
                    "--port",
                    backend_port,
                    "--api-key",
                    env.get("CUSTOM_BACKEND_KEY", ""),
                    "--model",
                    env.get("CUSTOM_MODEL", "dev-model"),
                ],
                ROOT / "proxy",
            )
        )
    env.setdefault("PROXY_URL", f"http://127.0.0.1:{proxy_port}")
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
                "--no-access-log",  # the proxy logs each request itself, as JSON
            ],
            ROOT,
        )
    )
    commands.append(("web", ["npm", "run", "dev", "--", "--port", web_port], ROOT / "web"))

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
