"""Forged and broken credentials the tests try, shared by the user-auth suites."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any


def unsigned(claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    """A token with `alg: none` and no signature, which must never be accepted."""

    return f"{_part({'alg': 'none', 'typ': 'JWT', **(header or {})})}.{_part(claims)}."


def hmac_signed(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """An HS256 token signed by hand (PyJWT refuses to use a PEM key as an HMAC secret)."""
    signing_input = f"{_part(header)}.{_part(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def resigned_payload(token: str, **changes: Any) -> str:
    """The token with its claims changed and the original signature kept (tampering)."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return f"{header}.{_part(claims)}.{signature}"


def now() -> int:
    return int(time.time())


def _part(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
