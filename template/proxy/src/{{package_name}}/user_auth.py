"""Who the browser's user is: an anonymous identity kept in a signed, httpOnly cookie."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeSerializer

COOKIE_NAME = "chatkit_uid"
_COOKIE_MAX_AGE = 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class UserIdentity:
    user_id: str
    is_new: bool


class AnonymousUsers:
    def __init__(self, secret: str, *, secure_cookie: bool) -> None:
        self._serializer = URLSafeSerializer(secret, salt="chatkit-anonymous-user")
        self._secure = secure_cookie

    def identify(self, request: Request) -> UserIdentity:
        cookie = request.cookies.get(COOKIE_NAME)
        if cookie:
            try:
                return UserIdentity(str(self._serializer.loads(cookie)), is_new=False)
            except BadSignature:
                pass  # forged or signed with an old secret: start a fresh identity
        return UserIdentity(f"anon_{uuid.uuid4().hex}", is_new=True)

    def remember(self, response: Response, identity: UserIdentity) -> None:
        if identity.is_new:
            response.set_cookie(
                COOKIE_NAME,
                self._serializer.dumps(identity.user_id),
                max_age=_COOKIE_MAX_AGE,
                httponly=True,
                samesite="lax",
                secure=self._secure,
                path="/",
            )
