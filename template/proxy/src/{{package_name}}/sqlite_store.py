"""ChatKit `Store` on SQLite: threads, items and attachment metadata, scoped by user."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from sqlite3 import Row
from typing import Literal

import aiosqlite
from chatkit.store import NotFoundError, Store
from chatkit.types import Attachment, Page, ThreadItem, ThreadMetadata
from pydantic import TypeAdapter

from .request_context import RequestContext

_ITEM = TypeAdapter[ThreadItem](ThreadItem)
_ATTACHMENT = TypeAdapter[Attachment](Attachment)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS threads (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS threads_by_user ON threads (user_id, seq);
CREATE TABLE IF NOT EXISTS items (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    thread_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS items_by_thread ON items (thread_id, seq);
CREATE TABLE IF NOT EXISTS attachments (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    data TEXT NOT NULL
);
"""

Order = Literal["asc", "desc"]


def _direction(order: str) -> tuple[str, str]:
    """(comparison for the cursor, ORDER BY direction)."""
    return (">", "ASC") if order == "asc" else ("<", "DESC")


class SQLiteStore(Store[RequestContext]):
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    @classmethod
    async def open(cls, path: str) -> SQLiteStore:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: each statement is its own transaction, so a write is one trip to
        # aiosqlite's thread instead of two (execute, then commit).
        db = await aiosqlite.connect(path, isolation_level=None)
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.executescript(_SCHEMA)
        return cls(db)

    async def close(self) -> None:
        await self._db.close()

    async def _write(self, sql: str, params: tuple[object, ...]) -> int:
        cursor = await self._db.execute(sql, params)
        return cursor.rowcount

    async def _rows(self, sql: str, params: Iterable[object]) -> list[Row]:
        # One trip to aiosqlite's thread (a cursor would take three: execute, fetch, close).
        return list(await self._db.execute_fetchall(sql, params))

    # Threads

    async def load_thread(self, thread_id: str, context: RequestContext) -> ThreadMetadata:
        rows = await self._rows(
            "SELECT data FROM threads WHERE id = ? AND user_id = ?", (thread_id, context.user_id)
        )
        if not rows:
            raise NotFoundError(f"thread {thread_id} not found")
        return ThreadMetadata.model_validate_json(rows[0][0])

    async def save_thread(self, thread: ThreadMetadata, context: RequestContext) -> None:
        data = thread.model_dump_json(exclude={"items"})  # a full Thread may be passed
        changed = await self._write(
            "INSERT INTO threads (id, user_id, data) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET data = excluded.data "
            "WHERE threads.user_id = excluded.user_id",
            (thread.id, context.user_id, data),
        )
        if changed == 0:
            raise NotFoundError(f"thread {thread.id} not found")

    async def load_threads(
        self, limit: int, after: str | None, order: str, context: RequestContext
    ) -> Page[ThreadMetadata]:
        compare, direction = _direction(order)
        sql = "SELECT id, data FROM threads WHERE user_id = ?"
        params: list[object] = [context.user_id]
        if after:
            sql += f" AND seq {compare} (SELECT seq FROM threads WHERE id = ? AND user_id = ?)"
            params += [after, context.user_id]
        sql += f" ORDER BY seq {direction} LIMIT ?"
        params.append(limit + 1)
        rows = await self._rows(sql, params)
        has_more = len(rows) > limit
        rows = rows[:limit]
        return Page(
            data=[ThreadMetadata.model_validate_json(data) for _, data in rows],
            has_more=has_more,
            after=rows[-1][0] if has_more else None,
        )

    async def delete_thread(self, thread_id: str, context: RequestContext) -> None:
        await self._db.execute("BEGIN")
        try:
            await self._db.execute(
                "DELETE FROM items WHERE thread_id = ? AND user_id = ?",
                (thread_id, context.user_id),
            )
            deleted = await self._write(
                "DELETE FROM threads WHERE id = ? AND user_id = ?", (thread_id, context.user_id)
            )
        except BaseException:
            await self._db.rollback()
            raise
        await self._db.commit()
        if deleted == 0:
            raise NotFoundError(f"thread {thread_id} not found")

    # Items

    async def load_thread_items(
        self, thread_id: str, after: str | None, limit: int, order: str, context: RequestContext
    ) -> Page[ThreadItem]:
        compare, direction = _direction(order)
        sql = "SELECT id, data FROM items WHERE thread_id = ? AND user_id = ?"
        params: list[object] = [thread_id, context.user_id]
        if after:
            sql += f" AND seq {compare} (SELECT seq FROM items WHERE id = ? AND thread_id = ?)"
            params += [after, thread_id]
        sql += f" ORDER BY seq {direction} LIMIT ?"
        params.append(limit + 1)
        rows = await self._rows(sql, params)
        has_more = len(rows) > limit
        rows = rows[:limit]
        return Page(
            data=[_ITEM.validate_json(data) for _, data in rows],
            has_more=has_more,
            after=rows[-1][0] if has_more else None,
        )

    async def add_thread_item(
        self, thread_id: str, item: ThreadItem, context: RequestContext
    ) -> None:
        await self.save_item(thread_id, item, context)

    async def save_item(self, thread_id: str, item: ThreadItem, context: RequestContext) -> None:
        # Only into a thread this user owns; an existing item keeps its position (seq).
        changed = await self._write(
            "INSERT INTO items (id, thread_id, user_id, data) "
            "SELECT ?, ?, ?, ? WHERE EXISTS "
            "(SELECT 1 FROM threads WHERE id = ? AND user_id = ?) "
            "ON CONFLICT (id) DO UPDATE SET data = excluded.data "
            "WHERE items.thread_id = excluded.thread_id AND items.user_id = excluded.user_id",
            (
                item.id,
                thread_id,
                context.user_id,
                _ITEM.dump_json(item).decode(),
                thread_id,
                context.user_id,
            ),
        )
        if changed == 0:
            raise NotFoundError(f"thread {thread_id} not found")

    async def load_item(self, thread_id: str, item_id: str, context: RequestContext) -> ThreadItem:
        rows = await self._rows(
            "SELECT data FROM items WHERE id = ? AND thread_id = ? AND user_id = ?",
            (item_id, thread_id, context.user_id),
        )
        if not rows:
            raise NotFoundError(f"item {item_id} not found")
        return _ITEM.validate_json(rows[0][0])

    async def delete_thread_item(
        self, thread_id: str, item_id: str, context: RequestContext
    ) -> None:
        await self._write(
            "DELETE FROM items WHERE id = ? AND thread_id = ? AND user_id = ?",
            (item_id, thread_id, context.user_id),
        )

    # Attachment metadata (file bytes live wherever an AttachmentStore puts them)

    async def save_attachment(self, attachment: Attachment, context: RequestContext) -> None:
        await self._write(
            "INSERT INTO attachments (id, user_id, data) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET data = excluded.data "
            "WHERE attachments.user_id = excluded.user_id",
            (attachment.id, context.user_id, _ATTACHMENT.dump_json(attachment).decode()),
        )

    async def load_attachment(self, attachment_id: str, context: RequestContext) -> Attachment:
        rows = await self._rows(
            "SELECT data FROM attachments WHERE id = ? AND user_id = ?",
            (attachment_id, context.user_id),
        )
        if not rows:
            raise NotFoundError(f"attachment {attachment_id} not found")
        return _ATTACHMENT.validate_json(rows[0][0])

    async def delete_attachment(self, attachment_id: str, context: RequestContext) -> None:
        await self._write(
            "DELETE FROM attachments WHERE id = ? AND user_id = ?",
            (attachment_id, context.user_id),
        )
