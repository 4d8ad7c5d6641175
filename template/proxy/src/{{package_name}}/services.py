"""Builds the long-lived parts of the proxy once and hands them to the routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import Request

from .chat_server import ProxyChatServer
from .model_source import load_models
from .models import ModelCatalogue
from .routing import CLIENTS, BackendRouter
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
    backends: BackendRouter
    models: ModelCatalogue
    chat: ProxyChatServer


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    secret = settings.session_secret.get_secret_value()
    models = load_models(settings, protocols=CLIENTS.keys())  # a bad catalogue stops start-up
    # One pool for the process: upstream connections are reused across requests.
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.backend_read_timeout_seconds, connect=settings.backend_connect_timeout_seconds
        ),
        limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100),
    )
    store = await SQLiteStore.open(settings.sqlite_path)
    try:
        backends = BackendRouter(http, models, settings)
        yield Services(
            settings=settings,
            tokens=SessionTokens(secret, settings.session_ttl_seconds),
            users=AnonymousUsers(secret, secure_cookie=settings.session_cookie_secure),
            store=store,
            backends=backends,
            models=models,
            chat=ProxyChatServer(store, backends, models, settings.history_max_items),
        )
    finally:
        await store.close()
        await http.aclose()


def services(request: Request) -> Services:
    return request.app.state.services
