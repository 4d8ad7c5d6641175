"""What one check of `make check-backend` concludes, and the observations both protocols share:
whether the backend's host can be reached at all, and what it answers to a malformed request."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from ..backend.connections import limit_replies

Status = Literal["pass", "warn", "fail"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What was seen, in one sentence, and, unless all is well, what to change."""

    status: Status
    seen: str
    change: str = ""


# A check's name, and what runs it.
Check = tuple[str, Callable[[], Awaitable[Outcome]]]


def passed(seen: str) -> Outcome:
    return Outcome("pass", seen)


def warned(seen: str, change: str) -> Outcome:
    return Outcome("warn", seen, change)


def failed(seen: str, change: str) -> Outcome:
    return Outcome("fail", seen, change)


async def reach(url: str, within: float) -> Outcome:
    """DNS, TCP and (for https) TLS to the host of `url`, each failure named."""
    parts = urlsplit(url)
    host, secure = parts.hostname or "", parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    where = f"{host}:{port}"
    try:
        async with asyncio.timeout(within):
            await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError) as exc:
        return failed(
            f"the name {host!r} does not resolve ({exc})",
            "check the host in the backend's URL, and this machine's DNS",
        )
    started = time.perf_counter()
    try:
        async with asyncio.timeout(within):
            context = ssl.create_default_context() if secure else None
            _, writer = await asyncio.open_connection(host, port, ssl=context)
    except ssl.SSLCertVerificationError as exc:
        return failed(
            f"{where} sent a TLS certificate this machine does not trust ({exc.verify_message})",
            "if the backend uses a private CA, point SSL_CERT_FILE at its certificate (PEM)",
        )
    except ssl.SSLError as exc:
        return failed(f"TLS with {where} failed ({exc.reason})", "check that the port speaks TLS")
    except TimeoutError:
        return failed(
            f"{where} did not accept a connection within {within:g} s",
            "check the port, and any firewall between this machine and the backend",
        )
    except OSError as exc:
        return failed(
            f"nothing accepts connections at {where} ({exc.strerror or exc})",
            "start the backend, or fix the port in the backend's URL",
        )
    writer.close()
    took = (time.perf_counter() - started) * 1000
    return passed(f"{where} accepts {'TLS ' if secure else ''}connections ({took:.0f} ms)")


async def error_shape(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], body: dict[str, Any]
) -> Outcome:
    """What the backend answers to a request it must refuse: a 4xx with a JSON error is what
    lets the proxy tell the user the request was refused, rather than that it is down."""
    try:
        response = await http.post(
            url, json=body, headers=headers, extensions=limit_replies(65_536)
        )
    except httpx.HTTPError as exc:
        return failed(
            f"a malformed request got no answer ({type(exc).__name__}: {exc})",
            "the backend drops the connection on a request it cannot read: check its logs",
        )
    kind = response.headers.get("content-type", "").split(";")[0] or "no content type"
    if 400 <= response.status_code < 500 and _is_json(response):
        return passed(f"a malformed request got {response.status_code} with a JSON error")
    if response.status_code < 400:
        return warned(
            f"a malformed request got {response.status_code}",
            "the backend accepts requests it cannot serve: check its request validation",
        )
    return warned(
        f"a malformed request got {response.status_code} ({kind})",
        "a backend should refuse a bad request with a 4xx and a JSON error; a 5xx reads as an "
        "outage (retried, and counted by the circuit breaker), an HTML page as a gateway's",
    )


def _is_json(response: httpx.Response) -> bool:
    try:
        json.loads(response.content)
    except ValueError:
        return False
    return True
