"""HTTP endpoints: thin handlers that authenticate, validate and delegate."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ..backend.events import Finish, Usage
from ..backend.request import ChatMessage
from ..chat.context import RequestContext
from ..chat.inference import (
    Overrides,
    build_request,
    header_metadata,
    merge_metadata,
    split_metadata,
)
from ..chat.usage import settle
from ..errors import SharedStateUnavailable, Unauthorized
from ..observability.metrics import exposition
from ..observability.request_log import RequestRecord, current_request, mark
from ..services import Services, services
from . import request_checks
from .responses import to_response
from .same_origin import check_same_origin

router = APIRouter()
Svc = Annotated[Services, Depends(services)]


class SessionOut(BaseModel):
    client_secret: str
    expires_at: int


class MessageIn(BaseModel):
    text: str = Field(min_length=1)
    model: str | None = None
    temperature: float | None = Field(default=None, ge=0)
    max_tokens: int | None = Field(default=None, ge=1)
    metadata: dict[str, Any] = {}


class MessageOut(BaseModel):
    text: str
    model: str
    # Why the backend stopped ("stop", "length"...), when it said.
    finish_reason: str | None = None


# Dependencies are `async def` even though they never await: FastAPI runs a plain `def`
# dependency in a worker thread, a thread hop per request for microseconds of work.
async def authenticated(request: Request, svc: Svc) -> RequestContext:
    context = RequestContext(
        user_id=svc.tokens.from_authorization(request.headers.get("authorization")),
        client_address=request.client.host if request.client else "",
    )
    mark("auth")
    return context


async def request_record() -> RequestRecord:
    record = current_request()
    if record is None:
        raise RuntimeError("the RequestLog middleware is not installed")
    return record


Ctx = Annotated[RequestContext, Depends(authenticated)]
Record = Annotated[RequestRecord, Depends(request_record)]


@router.post("/api/custom/session")
async def create_session(request: Request, response: Response, svc: Svc) -> SessionOut:
    check_same_origin(request, svc.settings.allowed_origins)
    identity = await svc.users.identify(request, response)
    # A session never outlives the sign-in it was created from.
    token = svc.tokens.issue(identity.user_id, not_after=identity.expires_at)
    return SessionOut(client_secret=token.value, expires_at=token.expires_at)


@router.post("/chatkit")
async def chatkit(request: Request, svc: Svc, context: Ctx, record: Record) -> Response:
    parsed = request_checks.parse(await request.body())
    await request_checks.check_access(parsed, svc.store, context)
    overrides, metadata = split_metadata(parsed.metadata)
    headers = header_metadata(request.headers, svc.settings.metadata_headers)
    context = replace(context, overrides=overrides, metadata=merge_metadata(metadata, headers))
    await svc.admission.chat_request(parsed, context)
    record.mark("validate")
    result = await svc.chat.process_request(parsed, context)
    return await to_response(result, record, svc.settings.heartbeat_interval_seconds)


@router.post("/api/custom/message")
async def message(payload: MessageIn, request: Request, svc: Svc, context: Ctx) -> MessageOut:
    svc.admission.message_text(payload.text)
    model = svc.models.resolve(payload.model)
    in_metadata, metadata = split_metadata(payload.metadata)
    headers = header_metadata(request.headers, svc.settings.metadata_headers)
    overrides = Overrides(
        temperature=in_metadata.temperature if payload.temperature is None else payload.temperature,
        max_tokens=in_metadata.max_tokens if payload.max_tokens is None else payload.max_tokens,
    )
    chat_request = build_request(
        model,
        [ChatMessage("user", payload.text)],
        user_id=context.user_id,
        overrides=overrides,
        metadata=merge_metadata(metadata, headers),
    )
    await svc.admission.message(context)
    backend = svc.backends.client_for(model)
    parts: list[str] = []
    finish: Finish | None = None
    usage: Usage | None = None
    with svc.backends.reply(model) as answering:
        async for event in backend.stream(chat_request):
            answering.began()
            if isinstance(event, str):
                parts.append(event)
            elif isinstance(event, Finish):
                finish = event
            elif isinstance(event, Usage):
                usage = event
    text = "".join(parts)
    await settle(svc.budget, model.id, context.user_id, usage, chat_request, text)
    reason = finish.reason if finish else None
    return MessageOut(text=text, model=model.id, finish_reason=reason)


@router.get("/api/custom/models")
async def list_models(svc: Svc) -> dict[str, list[dict[str, object]]]:
    return svc.models.as_json()


@router.get("/metrics")
async def metrics(request: Request, svc: Svc) -> Response:
    token = svc.settings.metrics_token.get_secret_value()
    presented = request.headers.get("authorization", "").removeprefix("Bearer ")
    if token and not secrets.compare_digest(presented.encode(), token.encode()):
        raise Unauthorized("no METRICS_TOKEN", user_message="The metrics need METRICS_TOKEN.")
    body, content_type = exposition()
    return Response(content=body, media_type=content_type)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(svc: Svc) -> JSONResponse:
    if not await svc.shared.counts.check():
        error = SharedStateUnavailable()
        return JSONResponse(
            {"status": "unavailable", "shared_state": error.code, "message": error.user_message},
            status_code=503,
        )
    # The backends as last probed, at most READINESS_CACHE_SECONDS ago (backend/routing.py).
    backends = await svc.backends.readiness()
    warnings = {"warnings": list(backends.warnings)} if backends.warnings else {}
    if backends.error is not None:
        return JSONResponse(
            {
                "status": "unavailable",
                "backend": backends.error.code,
                "message": backends.error.user_message,
                **warnings,
            },
            status_code=503,
        )
    return JSONResponse({"status": "ready", **warnings})
