"""Builds the long-lived parts of the proxy once and hands them to the routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import httpx
from fastapi import Request, Response
from pydantic import SecretStr

from .backend_auth import open_backend_auth
from .chat_server import ProxyChatServer
from .models import ModelCatalogue
from .openai_client import OpenAIChatClient
from .rate_limit import MessageRateLimit, RateLimitedBackend
from .redaction import REDACTOR
from .session_tokens import SessionTokens
from .settings import Settings
from .sqlite_store import SQLiteStore
from .user_auth import UserIdentity, open_user_auth


class UserAuth(Protocol):
    async def identify(self, request: Request, response: Response) -> UserIdentity: ...


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    tokens: SessionTokens
    users: UserAuth
    store: SQLiteStore
    backend: RateLimitedBackend
    models: ModelCatalogue
    chat: ProxyChatServer


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    REDACTOR.add(
        *(value.get_secret_value() for _, value in settings if isinstance(value, SecretStr))
    )
    async with AsyncExitStack() as stack:
        # One pool for the process: upstream connections are reused across requests.
        http = await stack.enter_async_context(
            httpx.AsyncClient(
                timeout=httpx.Timeout(
                    settings.backend_read_timeout_seconds,
                    connect=settings.backend_connect_timeout_seconds,
                ),
                limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100),
            )
        )
        store = await SQLiteStore.open(settings.sqlite_path)
        stack.push_async_callback(store.close)
        users = await stack.enter_async_context(open_user_auth(settings))
        backend_auth = await stack.enter_async_context(open_backend_auth(settings))
        backend = RateLimitedBackend(
            OpenAIChatClient(
                http,
                settings.custom_backend_url,
                backend_auth,
                max_reply_bytes=settings.backend_max_reply_bytes,
            ),
            MessageRateLimit(settings.rate_limit),
        )
        models = ModelCatalogue.single(settings.custom_model)
        yield Services(
            settings=settings,
            tokens=SessionTokens(
                settings.session_secret.get_secret_value(), settings.session_ttl_seconds
            ),
            users=users,
            store=store,
            backend=backend,
            models=models,
            chat=ProxyChatServer(store, backend, models, settings.history_max_items),
        )


def services(request: Request) -> Services:
    return request.app.state.services
