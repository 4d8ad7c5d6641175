"""Which backend client serves each model, and whether the backends are ready.

One client per distinct backend, sharing one pool. Readiness is what the backends answered
when last probed, at most READINESS_CACHE_SECONDS ago: a probe is a request the backend must
serve, and some servers (llama-cpp-python's, by default) cut a running generation for any new
request. A backend that is answering (a reply has begun arriving from it) is up by evidence and
is not probed at all; one that has not begun any reply is asked, so a backend that accepts
requests and never answers is still found out.

A probe also reads what the backend says of its models: a model it does not list is a
warning, and a context window it publishes that is smaller than the configured one is used.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio
from pydantic import SecretStr

from ..errors import BackendError
from ..observability.logs import logger
from ..observability.metrics import target
from ..settings import Settings
from .client import ChatClient
from .models import BackendListing, ModelCatalogue, ModelConfig

log = logger(__name__)


BackendFactory = Callable[[str, SecretStr | None], ChatClient]


@dataclass(frozen=True, slots=True)
class Readiness:
    error: BackendError | None = None
    # Things worth an operator's look that do not stop the chat, e.g. a model not listed.
    warnings: tuple[str, ...] = ()


@dataclass(slots=True)
class _Backend:
    url: str
    client: ChatClient
    models: list[ModelConfig] = field(default_factory=list)  # as configured
    replies: int = 0  # replies arriving from it now
    warnings: tuple[str, ...] = ()
    published: dict[str, int] = field(default_factory=dict)  # context windows, by model id

    def unlisted(self, listed: list[str]) -> tuple[str, ...]:
        """A warning per model of ours that the backend's model list leaves out."""
        if not listed:  # an empty list says nothing
            return ()
        shown = ", ".join(listed[:5]) + (", …" if len(listed) > 5 else "")
        return tuple(
            f"model '{model.upstream_name}' is not in the model list of {target(self.url)} "
            f"({shown}): the backend may answer with another model or refuse; check the "
            "model's name in your settings"
            for model in self.models
            if model.upstream_name not in listed
        )


class Answering:
    __slots__ = ("_backend", "_began")

    def __init__(self, backend: _Backend) -> None:
        self._backend = backend
        self._began = False

    def began(self) -> None:
        """The reply's first event has arrived: its backend is answering."""
        if not self._began:
            self._began = True
            self._backend.replies += 1

    def __enter__(self) -> Answering:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._began:
            self._backend.replies -= 1
            self._began = False


class BackendRouter:
    def __init__(
        self, catalogue: ModelCatalogue, settings: Settings, make_backend: BackendFactory
    ) -> None:
        """One backend per distinct (URL, key), built by `make_backend(url, key)`.

        `key` is the model's own API key (backend_key_env), or None for the project's credentials.
        """
        backends: dict[tuple[str, str], _Backend] = {}
        self._by_model: dict[str, _Backend] = {}
        for model in catalogue:
            url = model.backend_url or settings.custom_backend_url
            key_env = model.backend_key_env or ""
            if (url, key_env) not in backends:
                key = SecretStr(os.environ[key_env]) if key_env else None
                backends[url, key_env] = _Backend(url, make_backend(url, key))
            backends[url, key_env].models.append(model)
            self._by_model[model.id] = backends[url, key_env]
        self._backends = list(backends.values())
        self._catalogue = catalogue
        self._cache_seconds = settings.readiness_cache_seconds
        self._readiness = Readiness()
        self._checked_at: float | None = None
        self._checking = asyncio.Lock()

    def client_for(self, model: ModelConfig) -> ChatClient:
        return self._by_model[model.id].client

    def reply(self, model: ModelConfig) -> Answering:
        """For one reply from `model`'s backend: marks the backend as answering from the
        reply's first event (`Answering.began`) until the block ends."""
        return Answering(self._by_model[model.id])

    async def readiness(self) -> Readiness:
        """The backends' state, probed again once the last probe is READINESS_CACHE_SECONDS
        old; concurrent callers share one probe."""
        async with self._checking:
            now = asyncio.get_running_loop().time()
            if self._checked_at is None or now - self._checked_at >= self._cache_seconds:
                self._readiness = await self._probe_all()
                self._checked_at = asyncio.get_running_loop().time()
        return self._readiness

    async def _probe_all(self) -> Readiness:
        """Every idle backend probed concurrently: the first error, and every warning."""
        errors: list[BackendError] = []

        async def probe_one(backend: _Backend) -> None:
            if backend.replies:
                return  # serving a reply right now: up, and better left alone
            try:
                listing = await backend.client.probe([m.upstream_name for m in backend.models])
            except BackendError as exc:
                errors.append(exc)
                return
            if listing is None:
                return
            warnings = backend.unlisted(listing.names)
            for warning in set(warnings) - set(backend.warnings):
                log.warning("%s", warning)
            backend.warnings = warnings
            self._fit_context_windows(backend, listing)

        async with anyio.create_task_group() as group:
            for backend in self._backends:
                group.start_soon(probe_one, backend)
        warnings = tuple(w for backend in self._backends for w in backend.warnings)
        return Readiness(errors[0] if errors else None, warnings)

    def _fit_context_windows(self, backend: _Backend, listing: BackendListing) -> None:
        """Each model gets the smaller of its configured context window and the one its backend
        publishes; the log says which, whenever what the backend publishes changes."""
        for configured in backend.models:
            published = listing.windows.get(configured.upstream_name)
            if published is None or backend.published.get(configured.id) == published:
                continue
            backend.published[configured.id] = published
            used = self._catalogue.fit_context(configured.id, published)
            log.info(
                "model '%s': context window %d tokens, the %s (the backend publishes %d, the "
                "settings say %d)",
                configured.id,
                used.context_window,
                "backend's" if used.context_window < configured.context_window else "settings'",
                published,
                configured.context_window,
            )
