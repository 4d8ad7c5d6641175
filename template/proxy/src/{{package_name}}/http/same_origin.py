"""Refuses requests a browser sent from another site to the endpoints it authenticates with
cookies: a cross-site form could otherwise replace a visitor's identity (and history)."""

from __future__ import annotations

from fastapi import Request

from ..errors import CrossSiteRequest


def check_same_origin(request: Request, allowed_origins: list[str]) -> None:
    """403 when the browser says the request is cross-site, or names an origin that is not
    ALLOWED_ORIGINS. Clients that are not browsers send neither header and pass."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise CrossSiteRequest("Sec-Fetch-Site: cross-site")
    origin = request.headers.get("origin")
    if origin is not None and origin not in allowed_origins:
        raise CrossSiteRequest(f"Origin {origin!r} is not in ALLOWED_ORIGINS")
