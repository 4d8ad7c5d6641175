"""Which backend client serves each model: one client per distinct backend, sharing one pool."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Protocol

import anyio
import httpx
from pydantic import SecretStr

from .backend_auth import ApiKeyAuth
from .conversation import ChatRequest
from .errors import BackendError
from .models import ModelCatalogue, ModelConfig
from .settings import Settings


class ChatClient(Protocol):
    def stream(self, request: ChatRequest) -> AsyncIterator[str]: ...

    async def probe(self) -> None: ...


ClientFactory = Callable[[httpx.AsyncClient, Settings, ApiKeyAuth], ChatClient]


class BackendRouter:
    def __init__(
        self,
        http: httpx.AsyncClient,
        catalogue: ModelCatalogue,
        settings: Settings,
        clients_by_protocol: Mapping[str, ClientFactory],
    ) -> None:
        """`clients_by_protocol`: the client classes this project has; the first is the default."""
        default_protocol = next(iter(clients_by_protocol))
        clients: dict[tuple[str, str, str], ChatClient] = {}
        self._by_model: dict[str, ChatClient] = {}
        for model in catalogue:
            url = model.backend_url or settings.custom_backend_url
            protocol = model.protocol or default_protocol
            key_env = model.backend_key_env or ""
            backend = (url, protocol, key_env)
            if backend not in clients:
                key = SecretStr(os.environ[key_env]) if key_env else settings.custom_backend_key
                # Each backend gets the settings with its own URL; everything else is shared.
                backend_settings = settings.model_copy(update={"custom_backend_url": url})
                clients[backend] = clients_by_protocol[protocol](
                    http, backend_settings, ApiKeyAuth(key)
                )
            self._by_model[model.id] = clients[backend]
        self._clients = list(clients.values())

    def client_for(self, model: ModelConfig) -> ChatClient:
        return self._by_model[model.id]

    async def probe(self) -> None:
        """Raise the first BackendError unless every backend answers, probed concurrently."""
        errors: list[BackendError] = []

        async def probe_one(client: ChatClient) -> None:
            try:
                await client.probe()
            except BackendError as exc:
                errors.append(exc)

        async with anyio.create_task_group() as group:
            for client in self._clients:
                group.start_soon(probe_one, client)
        if errors:
            raise errors[0]
