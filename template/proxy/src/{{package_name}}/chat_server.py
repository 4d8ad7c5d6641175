"""The ChatKit server: answers each user message by streaming the backend's reply."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Protocol

import anyio
from chatkit.errors import CustomStreamError
from chatkit.server import ChatKitServer
from chatkit.store import Store
from chatkit.types import (
    AssistantMessageContent,
    AssistantMessageContentPartAdded,
    AssistantMessageContentPartDone,
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    ThreadItem,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemUpdatedEvent,
    ThreadMetadata,
    ThreadStreamEvent,
    UserMessageItem,
)

from .conversation import title_from, to_messages, user_text
from .errors import ProxyError
from .inference import build_request
from .models import ModelCatalogue, ModelConfig
from .redaction import logger
from .request_context import RequestContext
from .routing import ChatClient

log = logger(__name__)


class ChatBackends(Protocol):
    def client_for(self, model: ModelConfig) -> ChatClient: ...


class ProxyChatServer(ChatKitServer[RequestContext]):
    def __init__(
        self,
        store: Store[RequestContext],
        backends: ChatBackends,
        models: ModelCatalogue,
        history_max_items: int,
    ) -> None:
        super().__init__(store)
        self._backends = backends
        self._models = models
        self._history_max_items = history_max_items

    async def respond(
        self,
        thread: ThreadMetadata,
        input_user_message: UserMessageItem | None,
        context: RequestContext,
    ) -> AsyncIterator[ThreadStreamEvent]:
        if input_user_message is None:
            return
        if not thread.title:
            # The SDK saves the thread and tells the client once the stream moves on.
            thread.title = title_from(user_text(input_user_message)) or "New chat"
        history = to_messages(await self._history(thread, context))
        try:
            model = self._models.resolve(input_user_message.inference_options.model)
            request = build_request(
                model,
                history,
                user_id=context.user_id,
                overrides=context.overrides,
                metadata=context.metadata,
                thread_id=thread.id,
            )
        except ProxyError as exc:
            raise CustomStreamError(exc.user_message, allow_retry=False) from exc
        backend = self._backends.client_for(model)
        message = AssistantMessageItem(
            id=self.store.generate_item_id("message", thread, context),
            thread_id=thread.id,
            created_at=datetime.now(),
            content=[],
        )
        parts: list[str] = []
        try:
            async for delta in backend.stream(request):
                if not parts:
                    yield ThreadItemAddedEvent(item=message)
                    yield ThreadItemUpdatedEvent(
                        item_id=message.id,
                        update=AssistantMessageContentPartAdded(
                            content_index=0, content=AssistantMessageContent(text="")
                        ),
                    )
                parts.append(delta)
                yield ThreadItemUpdatedEvent(
                    item_id=message.id,
                    update=AssistantMessageContentPartTextDelta(content_index=0, delta=delta),
                )
        except ProxyError as exc:
            log.warning("reply to thread %s failed: %s", thread.id, exc)
            if parts:
                # Keep what the user has already read; the error below offers a retry.
                for event in self._finish(message, "".join(parts)):
                    yield event
            raise CustomStreamError(exc.user_message, allow_retry=exc.allow_retry) from exc

        if not parts:
            raise CustomStreamError(
                "The assistant returned an empty reply. Please try again.", allow_retry=True
            )
        for event in self._finish(message, "".join(parts)):
            yield event

    @staticmethod
    def _finish(message: AssistantMessageItem, text: str) -> list[ThreadStreamEvent]:
        content = AssistantMessageContent(text=text)
        return [
            ThreadItemUpdatedEvent(
                item_id=message.id,
                update=AssistantMessageContentPartDone(content_index=0, content=content),
            ),
            ThreadItemDoneEvent(item=message.model_copy(update={"content": [content]})),
        ]

    async def _history(self, thread: ThreadMetadata, context: RequestContext) -> list[ThreadItem]:
        page = await self.store.load_thread_items(
            thread.id, None, self._history_max_items, "desc", context
        )
        return list(reversed(page.data))

    async def handle_stream_cancelled(
        self, thread: ThreadMetadata, pending_items: list[ThreadItem], context: RequestContext
    ) -> None:
        # Under uvicorn the disconnect cancels this coroutine at its first await, so the
        # partial answer would be lost without the shield.
        with anyio.CancelScope(shield=True):
            await super().handle_stream_cancelled(thread, pending_items, context)
