"""Short-lived signed session tokens: the `client_secret` the browser sends as a Bearer token."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from ..errors import Unauthorized
from ..state.shared import MemoryCache

_ALGORITHM = "HS256"
_AUDIENCE = "chatkit-proxy"


@dataclass(frozen=True, slots=True)
class SessionToken:
    value: str
    user_id: str
    expires_at: int


class SessionTokens:
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self._ttl = ttl_seconds
        # Tokens already verified -> their user, until the token expires: a session sends the
        # same token with every request, and checking the signature again each time is most of
        # the cost of a request's authentication.
        self._verified = MemoryCache()

    def issue(self, user_id: str, not_after: int | None = None) -> SessionToken:
        """A token for `user_id`, expiring after the TTL or at `not_after`, whichever is first."""
        now = int(time.time())
        expires_at = now + self._ttl if not_after is None else min(now + self._ttl, not_after)
        claims = {"sub": user_id, "iat": now, "exp": expires_at, "aud": _AUDIENCE}
        return SessionToken(
            jwt.encode(claims, self._secret, algorithm=_ALGORITHM), user_id, expires_at
        )

    def verify(self, token: str) -> str:
        """The user id the token was issued to; raises Unauthorized with the reason otherwise."""
        known = self._verified.peek(token)
        if known is not None:
            return known
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                audience=_AUDIENCE,
                options={"require": ["sub", "exp", "iat", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("session token expired") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(
                f"invalid session token: {exc}",
                user_message="Your session is not valid. Please reload the page.",
            ) from exc
        user_id = str(claims["sub"])
        self._verified.put(token, user_id, claims["exp"] - time.time())
        return user_id

    def from_authorization(self, header: str | None) -> str:
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(
                "missing bearer token",
                user_message="Sign-in required: send the session token as 'Authorization: Bearer'.",
            )
        return self.verify(token.strip())
