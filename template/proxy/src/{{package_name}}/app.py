"""The FastAPI application: `uvicorn <package>.app:app`."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .errors import BadRequest, ProxyError, RateLimited
from .http.body_limit import BodySizeLimit
from .http.routes import router
from .observability.logs import configure_logging, logger
from .observability.request_log import RequestLog
from .services import open_services
from .settings import Settings

log = logger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    config = settings or Settings()  # type: ignore[call-arg]  # fields come from the environment
    configure_logging(config.log_level)
    # The HTTP clients log every request's URL: keep credentials out of those lines too.
    logger("httpx")
    logger("httpx2")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_services(config) as services:
            app.state.services = services
            # What start-up built (some 0.2 M objects, most of them the SDK's and pydantic's)
            # lives as long as the process: frozen, it is left out of the collector's full
            # passes, each of which otherwise stalls every open stream for about 0.1 s. (A
            # collection first would find a few dozen unreachable objects for that same 0.1 s.)
            gc.freeze()
            try:
                yield
            finally:
                gc.unfreeze()

    app = FastAPI(title="ChatKit proxy", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=config.allowed_origins,
        allow_credentials=True,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "Accept-Language", "X-Request-ID"],
        expose_headers=["X-Request-ID", "Server-Timing"],
    )
    app.add_middleware(BodySizeLimit, max_bytes=config.max_request_bytes)
    app.add_middleware(RequestLog)  # it times and logs everything below it
    # Outermost: the client's address and scheme, as a trusted proxy (Next.js) forwards them,
    # for everything below (logs, per-address limits, the identity cookie's name).
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=config.trusted_proxy_addresses)
    app.include_router(router)

    @app.exception_handler(ProxyError)
    async def proxy_error(request: Request, exc: ProxyError) -> JSONResponse:
        if exc.status_code >= 500:
            log.warning("%s %s failed: %s", request.method, request.url.path, exc)
        headers = {}
        if exc.status_code == 401:
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
        return JSONResponse(exc.to_json(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"] if part != "body")
        reason = BadRequest(user_message=f"Invalid request at '{where}': {error['msg']}")
        return JSONResponse(reason.to_json(), status_code=400)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s crashed", request.method, request.url.path)
        return JSONResponse(ProxyError().to_json(), status_code=500)

    return app


@cache
def _default_app() -> FastAPI:
    return create_app()


def __getattr__(name: str) -> FastAPI:
    # `app` is built on first access, so importing this module never reads the environment.
    if name == "app":
        return _default_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
