"""The models the browser may pick, how each one is called, and which one a request gets."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ..errors import UnknownModel

# Room the prompt needs at the least, beside the reply, for a context window to make sense.
MIN_PROMPT_TOKENS = 256


class ModelConfig(BaseModel):
    """One model of the catalogue: what the picker shows and how the backend is asked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=200, pattern=r"^\S+$")
    label: str = ""
    description: str = ""
    default: bool = False
    backend_url: str | None = None
    backend_model: str | None = None
    protocol: str | None = None
    backend_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    temperature: float = Field(default=0.7, ge=0, le=2)
    max_tokens: int = Field(default=1024, ge=1)
    context_window: int = Field(default=8192, ge=1)
    system_prompt: str = ""

    @field_validator("backend_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("protocol")
    @classmethod
    def _known_protocol(cls, value: str | None, info: ValidationInfo) -> str | None:
        protocols: Collection[str] = (info.context or {}).get("protocols", ())
        if value is not None and value not in protocols:
            raise ValueError(
                f"{value!r} is not a protocol this project has a client for "
                f"(available: {', '.join(sorted(protocols))}); generate the project with that "
                "backend_protocol to add its client"
            )
        return value

    @model_validator(mode="after")
    def _room_for_a_prompt(self) -> ModelConfig:
        if self.context_window < self.max_tokens + MIN_PROMPT_TOKENS:
            raise ValueError(
                f"context_window ({self.context_window}) must leave at least "
                f"{MIN_PROMPT_TOKENS} tokens for the prompt beside max_tokens ({self.max_tokens})"
            )
        return self

    @property
    def display_label(self) -> str:
        return self.label or self.id

    @property
    def upstream_name(self) -> str:
        """The name the backend knows the model by."""
        return self.backend_model or self.id


@dataclass(frozen=True, slots=True)
class BackendListing:
    """What a backend says of its models: the names it lists, and the context window (in
    tokens) it publishes for some of them."""

    names: list[str]
    windows: dict[str, int] = field(default_factory=dict)


class ModelCatalogue:
    def __init__(self, models: Iterable[ModelConfig]) -> None:
        self._by_id: dict[str, ModelConfig] = {}
        for model in models:
            if model.id in self._by_id:
                raise ValueError(f"model id {model.id!r} is listed twice")
            self._by_id[model.id] = model
        self._configured = {m.id: m for m in self._by_id.values()}
        defaults = [m.id for m in self._by_id.values() if m.default]
        if len(defaults) != 1:
            found = ", ".join(defaults) or "none"
            raise ValueError(f"exactly one model must have default: true (found: {found})")
        self.default = self._by_id[defaults[0]]

    def __iter__(self) -> Iterator[ModelConfig]:
        return iter(self._by_id.values())

    def fit_context(self, model_id: str, published: int) -> ModelConfig:
        """Model `model_id` with the smaller of its configured context window and the one its
        backend publishes, as every later request gets it."""
        configured = self._configured[model_id]
        model = configured
        if published < configured.context_window:
            model = configured.model_copy(update={"context_window": published})
        self._by_id[model_id] = model
        if model.default:
            self.default = model
        return model

    def resolve(self, requested: str | None) -> ModelConfig:
        if not requested:
            return self.default
        model = self._by_id.get(requested)
        if model is None:
            raise UnknownModel(
                f"unknown model {requested!r}",
                user_message=(
                    f"The model “{requested[:80]}” is not available. Pick another model."
                ),
            )
        return model

    def as_json(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "data": [
                {
                    "id": m.id,
                    "label": m.display_label,
                    "description": m.description,
                    "default": m.default,
                }
                for m in self._by_id.values()
            ]
        }
