"""The per-request context handed to the ChatKit server and the store."""

from __future__ import annotations

from dataclasses import dataclass, field

from .inference import Overrides


@dataclass(frozen=True, slots=True)
class RequestContext:
    user_id: str
    # The browser's address (through TRUSTED_PROXY_ADDRESSES), for the per-address limits.
    client_address: str = ""
    # From the request's `metadata` and allow-listed headers (see inference.py).
    overrides: Overrides = field(default_factory=Overrides)
    metadata: dict[str, str] = field(default_factory=dict)
