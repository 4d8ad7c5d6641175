"""Builds the long-lived parts of the proxy once and hands them to the routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import Request

from .backend_auth import ApiKeyAuth
from .chat_server import ProxyChatServer
from .models import ModelCatalogue
from .openai_client import OpenAIChatClient
from .session_tokens import SessionTokens
from .settings import Settings
from .sqlite_store import SQLiteStore
from .user_auth import AnonymousUsers


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    tokens: SessionTokens
    users: AnonymousUsers
    store: SQLiteStore
    backend: OpenAIChatClient
    models: ModelCatalogue
    chat: ProxyChatServer


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    secret = settings.session_secret.get_secret_value()
    # One pool for the process: upstream connections are reused across requests.
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.backend_read_timeout_seconds, connect=settings.backend_connect_timeout_seconds
        ),
        limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100),
    )
    store = await SQLiteStore.open(settings.sqlite_path)
    try:
        backend = OpenAIChatClient(
            http, settings.custom_backend_url, ApiKeyAuth(settings.custom_backend_key)
        )
        models = ModelCatalogue.single(settings.custom_model)
        yield Services(
            settings=settings,
            tokens=SessionTokens(secret, settings.session_ttl_seconds),
            users=AnonymousUsers(secret, secure_cookie=settings.session_cookie_secure),
            store=store,
            backend=backend,
            models=models,
            chat=ProxyChatServer(store, backend, models, settings.history_max_items),
        )
    finally:
        await store.close()
        await http.aclose()


async def services(request: Request) -> Services:  # async: no worker thread per request
    return request.app.state.services
