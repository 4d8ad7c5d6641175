"""The ChatKit server: answers each user message by streaming the backend's reply."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Protocol

import anyio
from chatkit.errors import CustomStreamError
from chatkit.server import ChatKitServer, NonStreamingResult, StreamingResult
from chatkit.types import (
    AssistantMessageContent,
    AssistantMessageContentPartAdded,
    AssistantMessageContentPartDone,
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    ChatKitReq,
    StreamOptions,
    Thread,
    ThreadItem,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemUpdatedEvent,
    ThreadMetadata,
    ThreadStreamEvent,
    UserMessageItem,
    is_streaming_req,
)

from .chat_store import ChatStore
from .conversation import (
    CUT_OFF_NOTE,
    LENGTH_NOTE,
    ChatRequest,
    title_from,
    to_messages,
    user_text,
)
from .errors import ProxyError
from .inference import build_request
from .metrics import STREAMED_DELTAS, TIME_TO_FIRST_TOKEN
from .models import ModelCatalogue, ModelConfig
from .redaction import logger
from .reply_events import Finish, Reasoning, Usage
from .request_context import RequestContext
from .request_log import PERSISTED, current_request, mark
from .routing import Answering, ChatClient
from .thoughts import ThoughtStream
from .usage import TokenBudget, settle

log = logger(__name__)


def _is_text_delta(event: ThreadStreamEvent) -> bool:
    return isinstance(event, ThreadItemUpdatedEvent) and isinstance(
        event.update, AssistantMessageContentPartTextDelta
    )


def _first_token() -> None:
    record = current_request()
    if record is not None:
        TIME_TO_FIRST_TOKEN.observe(record.elapsed())


class ChatBackends(Protocol):
    def client_for(self, model: ModelConfig) -> ChatClient: ...

    def reply(self, model: ModelConfig) -> Answering: ...


class ProxyChatServer(ChatKitServer[RequestContext]):
    def __init__(
        self,
        store: ChatStore,
        backends: ChatBackends,
        models: ModelCatalogue,
        budget: TokenBudget,
        history_max_items: int,
    ) -> None:
        super().__init__(store)
        self._store = store
        self._backends = backends
        self._models = models
        self._budget = budget
        self._history_max_items = history_max_items

    async def process_request(
        self, request: ChatKitReq, context: RequestContext
    ) -> StreamingResult | NonStreamingResult:
        """`process()` for a request `chatkit_requests.parse` has already parsed and checked.

        The SDK's `process(body)` parses the body again with a `TypeAdapter` it builds on every
        call: pydantic schema generation for the whole request union, several milliseconds of
        CPU per request. The dispatch below is the one `process()` does (openai-chatkit 1.6.5).
        """
        if is_streaming_req(request):
            return StreamingResult(self._process_streaming(request, context))
        return NonStreamingResult(await self._process_non_streaming(request, context))

    def get_stream_options(self, thread: ThreadMetadata, context: RequestContext) -> StreamOptions:
        # The SDK asks right before respond(): the thread and the user's message are stored.
        mark(PERSISTED)
        return super().get_stream_options(thread, context)

    async def respond(
        self,
        thread: ThreadMetadata,
        input_user_message: UserMessageItem | None,
        context: RequestContext,
    ) -> AsyncIterator[ThreadStreamEvent]:
        if input_user_message is None:
            return
        # Set once the first delta is out: the SDK saves a changed thread (and tells the client)
        # before it asks for the next event, which would otherwise delay the first token.
        title = None if thread.title else title_from(user_text(input_user_message)) or "New chat"
        try:
            async for event in self._reply(thread, input_user_message, context):
                yield event
                if title and _is_text_delta(event):
                    thread.title, title = title, None
        finally:
            if title:
                thread.title = title

    async def _reply(
        self, thread: ThreadMetadata, input_user_message: UserMessageItem, context: RequestContext
    ) -> AsyncIterator[ThreadStreamEvent]:
        history = to_messages(await self._history(thread, input_user_message, context))
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
        thought: ThoughtStream | None = None
        usage: Usage | None = None
        finish: Finish | None = None
        try:
            with self._backends.reply(model) as answering:
                async for delta in backend.stream(request):
                    if not isinstance(delta, str):  # text, the hot path, is checked once
                        if isinstance(delta, Reasoning):
                            if thought is None:
                                answering.began()
                                workflow_id = self.store.generate_item_id(
                                    "workflow", thread, context
                                )
                                thought = ThoughtStream(workflow_id, thread.id)
                            for event in thought.add(delta.text):
                                yield event
                        elif isinstance(delta, Usage):
                            usage = delta
                        else:
                            finish = delta
                        continue
                    if not parts:
                        answering.began()
                        if thought is not None:  # the answer starts: the reasoning folds up
                            for event in thought.finish():
                                yield event
                            message.created_at = datetime.now()
                        _first_token()
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
            # Keep what the user has already read (reasoning, and text marked as incomplete);
            # the error below offers a retry.
            for event in thought.finish() if thought is not None else ():
                yield event
            if parts:
                for event in self._finish(message, parts, CUT_OFF_NOTE):
                    yield event
                await self._account(model, request, message.id, parts, usage, context)
            raise CustomStreamError(exc.user_message, allow_retry=exc.allow_retry) from exc
        finally:
            STREAMED_DELTAS.inc(len(parts))

        for event in thought.finish() if thought is not None else ():
            yield event
        if not parts:
            raise CustomStreamError(
                "The assistant returned an empty reply. Please try again.", allow_retry=True
            )
        if finish is not None and finish.at_length_limit:
            log.info("reply to thread %s stopped at the length limit", thread.id)
            note = LENGTH_NOTE
        else:
            note = ""
        for event in self._finish(message, parts, note):
            yield event
        await self._account(model, request, message.id, parts, usage, context)

    async def _account(
        self,
        model: ModelConfig,
        request: ChatRequest,
        item_id: str,
        parts: list[str],
        reported: Usage | None,
        context: RequestContext,
    ) -> None:
        """What the reply stored as `item_id` took: counted and charged (usage.settle), and kept
        beside it. The SDK has stored the item by now (at its `thread.item.done`)."""
        used = await settle(
            self._budget, model.id, context.user_id, reported, request, "".join(parts)
        )
        await self._store.record_usage(item_id, used, context)

    @staticmethod
    def _finish(
        message: AssistantMessageItem, parts: list[str], note: str
    ) -> list[ThreadStreamEvent]:
        """The events that end `message`, its text `parts` followed by `note`, if any."""
        events: list[ThreadStreamEvent] = []
        if note:
            events.append(
                ThreadItemUpdatedEvent(
                    item_id=message.id,
                    update=AssistantMessageContentPartTextDelta(content_index=0, delta=note),
                )
            )
        content = AssistantMessageContent(text="".join(parts) + note)
        return [
            *events,
            ThreadItemUpdatedEvent(
                item_id=message.id,
                update=AssistantMessageContentPartDone(content_index=0, content=content),
            ),
            ThreadItemDoneEvent(item=message.model_copy(update={"content": [content]})),
        ]

    async def _history(
        self, thread: ThreadMetadata, message: UserMessageItem, context: RequestContext
    ) -> list[ThreadItem]:
        if isinstance(thread, Thread) and not thread.items.data:
            # A thread created by this request (the SDK passes it whole, with no items): its
            # history is the message just stored, no need to read it back.
            return [message]
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
