"""Checks a ChatKit request before the SDK sees it, so bad input is a 4xx and never a 500."""

from __future__ import annotations

import re

from chatkit.store import NotFoundError, Store
from chatkit.types import (
    AttachmentsCreateReq,
    AttachmentsDeleteReq,
    ChatKitReq,
    InputTranscribeReq,
    ItemsListReq,
    ThreadsAddClientToolOutputReq,
    ThreadsAddStructuredInputReq,
    ThreadsAddUserMessageReq,
    ThreadsCreateReq,
    ThreadsCustomActionReq,
    ThreadsListReq,
    ThreadsRetryAfterItemReq,
    ThreadsSyncCustomActionReq,
    UserMessageItem,
)
from pydantic import TypeAdapter, ValidationError

from ..chat.context import RequestContext
from ..errors import BadRequest, NotFound

_REQUEST = TypeAdapter[ChatKitReq](ChatKitReq)
# Most threads or items one list request returns; a larger (or negative) limit is clamped.
MAX_PAGE_SIZE = 100
# A JSON `\u0000` escape (not an escaped backslash before "u0000"): text no database keeps
# (PostgreSQL refuses NUL in text), so no request may carry it.
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
# How much of a client's input an error message quotes back.
_QUOTED = 100

# Operations that need tools, widgets, uploads or dictation, none of which this server offers.
UNSUPPORTED = (
    AttachmentsCreateReq,
    AttachmentsDeleteReq,
    InputTranscribeReq,
    ThreadsAddClientToolOutputReq,
    ThreadsAddStructuredInputReq,
    ThreadsCustomActionReq,
    ThreadsSyncCustomActionReq,
)


def parse(body: bytes) -> ChatKitReq:
    if not body.strip():
        raise BadRequest("empty body", user_message="The request body is empty.")
    # Checked on the raw body only when it names the escape at all: cheap for every request.
    if b"u0000" in body and _NUL_ESCAPE.search(body):
        raise BadRequest("NUL in request", user_message="The request contains a NUL character.")
    try:
        request = _REQUEST.validate_json(body)
    except ValidationError as exc:
        raise BadRequest(str(exc), user_message=_describe(exc)) from exc
    if isinstance(request, UNSUPPORTED):
        raise BadRequest(
            request.type, user_message=f"The operation '{request.type}' is not supported here."
        )
    if isinstance(request, ThreadsListReq | ItemsListReq) and request.params.limit is not None:
        request.params.limit = min(max(request.params.limit, 1), MAX_PAGE_SIZE)
    if isinstance(request, ThreadsCreateReq | ThreadsAddUserMessageReq):
        if request.params.input.attachments:
            raise BadRequest("attachments", user_message="Attachments are not supported here.")
        if not "".join(part.text for part in request.params.input.content).strip():
            raise BadRequest("empty message", user_message="The message is empty.")
    return request


async def check_access(
    request: ChatKitReq, store: Store[RequestContext], context: RequestContext
) -> None:
    """404 unless every thread and item the request names belongs to the caller."""
    thread_id = getattr(request.params, "thread_id", None)
    if thread_id is None:
        return
    try:
        await store.load_thread(thread_id, context)
        if isinstance(request, ThreadsRetryAfterItemReq):
            item = await store.load_item(thread_id, request.params.item_id, context)
            if not isinstance(item, UserMessageItem):
                raise BadRequest("retry target", user_message="Only a user message can be retried.")
    except NotFoundError as exc:
        raise NotFound(str(exc)) from exc


def _describe(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "json_invalid":
        return "The request body is not valid JSON."
    if error["type"] == "union_tag_invalid":
        return f"Unknown request type. {error['msg'][:_QUOTED]}"
    return f"Invalid request at '{where[:_QUOTED]}': {error['msg'][:_QUOTED]}"
