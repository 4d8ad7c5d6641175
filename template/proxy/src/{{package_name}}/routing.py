"""Which backend client serves each model: one client per distinct backend, sharing one pool."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from typing import Protocol

import anyio
from pydantic import SecretStr

from .conversation import ChatRequest
from .errors import BackendError
from .models import ModelCatalogue, ModelConfig
from .settings import Settings


class ChatClient(Protocol):
    def stream(self, request: ChatRequest) -> AsyncIterator[str]: ...

    async def probe(self) -> None: ...


BackendFactory = Callable[[str, SecretStr], ChatClient]


class BackendRouter:
    def __init__(
        self, catalogue: ModelCatalogue, settings: Settings, make_backend: BackendFactory
    ) -> None:
        """One backend per distinct (URL, key), built by `make_backend(url, key)`."""
        backends: dict[tuple[str, str], ChatClient] = {}
        self._by_model: dict[str, ChatClient] = {}
        for model in catalogue:
            url = model.backend_url or settings.custom_backend_url
            key_env = model.backend_key_env or ""
            if (url, key_env) not in backends:
                key = SecretStr(os.environ[key_env]) if key_env else settings.custom_backend_key
                backends[url, key_env] = make_backend(url, key)
            self._by_model[model.id] = backends[url, key_env]
        self._clients = list(backends.values())

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
