"""The one interface of a backend client, and of the credentials it sends: what the layers above
rely on, whatever the protocol or transport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from typing import Protocol

from .events import ReplyEvent
from .models import BackendListing
from .request import ChatRequest


class BackendAuth(Protocol):
    """The credentials of one backend, per user; `backend/auth.py` implements it."""

    async def headers(self, user_id: str) -> dict[str, str]: ...

    async def invalidate(self, rejected: dict[str, str]) -> bool:
        """True when fresh credentials are worth one more try."""
        ...


class ChatClient(Protocol):
    """What every backend client offers: the events of one reply, and a readiness probe."""

    def stream(self, request: ChatRequest) -> AsyncIterator[ReplyEvent]: ...

    async def probe(self, models: Collection[str]) -> BackendListing | None:
        """Raise a BackendError unless the backend answers; what it says of its models (and of
        `models`, the names we use), if it says anything."""
        ...
