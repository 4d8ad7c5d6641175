"""HTTP endpoints: thin handlers that authenticate, validate and delegate."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from chatkit.server import StreamingResult
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from . import chatkit_requests
from .conversation import ChatMessage
from .errors import BackendError
from .heartbeat import with_heartbeat
from .inference import Overrides, build_request, header_metadata, merge_metadata, split_metadata
from .request_context import RequestContext
from .services import Services, services

router = APIRouter()
Svc = Annotated[Services, Depends(services)]

SSE_HEADERS = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"}


class SessionOut(BaseModel):
    client_secret: str
    expires_at: int


class MessageIn(BaseModel):
    text: str = Field(min_length=1, max_length=32_000)
    model: str | None = None
    temperature: float | None = Field(default=None, ge=0)
    max_tokens: int | None = Field(default=None, ge=1)
    metadata: dict[str, Any] = {}


class MessageOut(BaseModel):
    text: str
    model: str


def authenticated(request: Request, svc: Svc) -> RequestContext:
    return RequestContext(
        user_id=svc.tokens.from_authorization(request.headers.get("authorization"))
    )


Ctx = Annotated[RequestContext, Depends(authenticated)]


@router.post("/api/custom/session")
async def create_session(request: Request, response: Response, svc: Svc) -> SessionOut:
    identity = await svc.users.identify(request, response)
    # A session never outlives the sign-in it was created from.
    token = svc.tokens.issue(identity.user_id, not_after=identity.expires_at)
    return SessionOut(client_secret=token.value, expires_at=token.expires_at)


@router.post("/chatkit")
async def chatkit(request: Request, svc: Svc, context: Ctx) -> Response:
    body = await request.body()
    parsed = chatkit_requests.parse(body)
    await chatkit_requests.check_access(parsed, svc.store, context)
    overrides, metadata = split_metadata(parsed.metadata)
    headers = header_metadata(request.headers, svc.settings.metadata_headers)
    context = replace(context, overrides=overrides, metadata=merge_metadata(metadata, headers))
    result = await svc.chat.process(body, context)
    if isinstance(result, StreamingResult):
        events = with_heartbeat(result, svc.settings.heartbeat_interval_seconds)
        return StreamingResponse(events, media_type="text/event-stream", headers=SSE_HEADERS)
    return Response(content=result.json, media_type="application/json")


@router.post("/api/custom/message")
async def message(payload: MessageIn, request: Request, svc: Svc, context: Ctx) -> MessageOut:
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
    backend = svc.backends.client_for(model)
    parts = [delta async for delta in backend.stream(chat_request)]
    return MessageOut(text="".join(parts), model=model.id)


@router.get("/api/custom/models")
async def list_models(svc: Svc) -> dict[str, list[dict[str, object]]]:
    return svc.models.as_json()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(svc: Svc) -> JSONResponse:
    try:
        await svc.backends.probe()
    except BackendError as exc:
        return JSONResponse(
            {"status": "unavailable", "backend": exc.code, "message": exc.user_message},
            status_code=503,
        )
    return JSONResponse({"status": "ready"})
