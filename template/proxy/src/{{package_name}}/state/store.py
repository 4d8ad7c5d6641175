"""What the proxy needs of a store beyond ChatKit's `Store`: ids nobody can guess, the counts
the quotas are checked against, and the deletion of threads past their retention."""

from __future__ import annotations

import secrets
from abc import abstractmethod
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from chatkit.store import Store, StoreItemType, default_generate_id
from chatkit.types import Page, ThreadMetadata

from ..backend.events import Usage
from ..chat.context import RequestContext


def _new_id(kind: StoreItemType) -> str:
    # The SDK's prefix ("thr", "msg", ...) with 128 random bits instead of its 32.
    prefix = default_generate_id(kind).partition("_")[0]
    return f"{prefix}_{secrets.token_hex(16)}"


T = TypeVar("T")


def order_by(order: str) -> tuple[str, str]:
    """(comparison for the cursor, ORDER BY direction) of a page in `order`."""
    return (">", "ASC") if order == "asc" else ("<", "DESC")


def page_of(rows: Sequence[Sequence[Any]], limit: int, parse: Callable[[str], T]) -> Page[T]:
    """The page of (id, data) rows fetched with one more than `limit`, which says there is more."""
    has_more = len(rows) > limit
    shown = rows[:limit]
    return Page(
        data=[parse(data) for _, data in shown],
        has_more=has_more,
        after=shown[-1][0] if has_more else None,
    )


class ChatStore(Store[RequestContext]):
    def generate_thread_id(self, context: RequestContext) -> str:
        return _new_id("thread")

    def generate_item_id(
        self, item_type: StoreItemType, thread: ThreadMetadata, context: RequestContext
    ) -> str:
        return _new_id(item_type)

    def generate_attachment_id(self, mime_type: str, context: RequestContext) -> str:
        return _new_id("attachment")

    @abstractmethod
    async def count_threads(self, context: RequestContext) -> int:
        """How many threads the user has."""

    @abstractmethod
    async def count_items(self, thread_id: str, context: RequestContext) -> int:
        """How many items (hidden ones included) the user's thread holds."""

    @abstractmethod
    async def record_usage(self, item_id: str, usage: Usage, context: RequestContext) -> None:
        """Keep the tokens the reply stored as `item_id` took, beside it (ChatKit's items have
        no field for them)."""

    @abstractmethod
    async def delete_threads_idle_since(self, cutoff: datetime) -> int:
        """Delete every user's threads created before `cutoff` that have no item from
        `cutoff` on, with their items; return how many threads went."""
