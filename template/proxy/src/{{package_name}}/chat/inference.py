"""What a request may ask of a model: lower temperature and max tokens, and metadata to pass on.

A request can only lower the model's configured temperature and max tokens, never exceed them.
Metadata comes from the ChatKit request's `metadata` (or the message endpoint's body) and from
the request headers named in METADATA_HEADERS; a header wins over a body key of the same name,
since the browser controls the body. It follows the limits of OpenAI's `metadata` field: at most
16 keys of up to 64 characters, string values of up to 512 characters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..backend.models import ModelConfig
from ..backend.request import ChatMessage, ChatRequest
from ..errors import BadRequest
from .context_window import estimate_prompt, fit

MAX_METADATA_KEYS = 16
MAX_METADATA_KEY_LENGTH = 64
MAX_METADATA_VALUE_LENGTH = 512
# Request metadata keys that set inference controls instead of being passed on.
CONTROL_KEYS = ("temperature", "max_tokens")

Limit = TypeVar("Limit", int, float)


@dataclass(frozen=True, slots=True)
class Overrides:
    temperature: float | None = None
    max_tokens: int | None = None


def split_metadata(raw: Mapping[str, Any]) -> tuple[Overrides, dict[str, str]]:
    """The inference controls and the metadata to pass on, from a request's `metadata`."""
    overrides = Overrides(
        temperature=_number(raw.get("temperature"), "metadata.temperature"),
        max_tokens=_whole(raw.get("max_tokens"), "metadata.max_tokens"),
    )
    passed = {key: value for key, value in raw.items() if key not in CONTROL_KEYS}
    return overrides, _strings(passed)


def header_metadata(headers: Mapping[str, str], allowed: Iterable[str]) -> dict[str, str]:
    """The allow-listed request headers, keyed by their lower-case name."""
    return {name: headers[name] for name in allowed if name in headers}


def merge_metadata(body: Mapping[str, str], headers: Mapping[str, str]) -> dict[str, str]:
    merged = _strings({**body, **headers})
    if len(merged) > MAX_METADATA_KEYS:
        raise _invalid("metadata", f"at most {MAX_METADATA_KEYS} keys are allowed")
    return merged


def build_request(
    model: ModelConfig,
    history: Sequence[ChatMessage],
    *,
    user_id: str,
    overrides: Overrides,
    metadata: dict[str, str],
    thread_id: str | None = None,
) -> ChatRequest:
    """The request for `model`: its system prompt, the history that fits, bounded controls."""
    temperature, max_tokens = _controls(model, overrides)
    system = [ChatMessage("system", model.system_prompt)] if model.system_prompt else []
    budget = model.context_window - max_tokens
    _check_fits([*system, *history[-1:]], budget, model)
    return ChatRequest(
        model=model.upstream_name,
        messages=fit([*system, *history], budget),
        user_id=user_id,
        thread_id=thread_id,
        temperature=temperature,
        max_tokens=max_tokens,
        metadata=metadata,
    )


def check_new_message(model: ModelConfig, text: str, overrides: Overrides) -> None:
    """Refuses (BadRequest) a new message that `build_request` would refuse whatever the
    history: controls over the model's limits, or a message too long for its context alone.
    So such a message can be refused before it is stored."""
    _, max_tokens = _controls(model, overrides)
    system = [ChatMessage("system", model.system_prompt)] if model.system_prompt else []
    _check_fits([*system, ChatMessage("user", text)], model.context_window - max_tokens, model)


def _controls(model: ModelConfig, overrides: Overrides) -> tuple[float, int]:
    """The temperature and max tokens for the request: the model's, or lower ones asked for."""
    return (
        _bounded(overrides.temperature, model.temperature, "temperature", model),
        _bounded(overrides.max_tokens, model.max_tokens, "max_tokens", model),
    )


def _check_fits(newest: Sequence[ChatMessage], budget: int, model: ModelConfig) -> None:
    if estimate_prompt(newest) > budget:
        raise BadRequest(
            "message over the context window",
            user_message=(
                f"This message is too long for the model “{model.display_label}”: about "
                f"{estimate_prompt(newest)} tokens, and it takes about {budget}. "
                "Shorten it or pick a model with a larger context."
            ),
        )


def _bounded(requested: Limit | None, limit: Limit, name: str, model: ModelConfig) -> Limit:
    if requested is None:
        return limit
    if requested > limit:
        raise _invalid(
            name, f"{requested} is above the limit of the model “{model.display_label}” ({limit})"
        )
    return requested


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise _invalid(where, "must be a number, 0 or more")
    return float(value)


def _whole(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _invalid(where, "must be a whole number, 1 or more")
    return value


def _strings(raw: Mapping[str, Any]) -> dict[str, str]:
    metadata: dict[str, str] = {}
    for key, value in raw.items():
        if not key or len(key) > MAX_METADATA_KEY_LENGTH:
            raise _invalid("metadata", f"keys must be 1 to {MAX_METADATA_KEY_LENGTH} characters")
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int | float):
            value = str(value)
        if not isinstance(value, str):
            raise _invalid(f"metadata.{key}", "must be a string, number or boolean")
        if len(value) > MAX_METADATA_VALUE_LENGTH:
            raise _invalid(
                f"metadata.{key}", f"must be at most {MAX_METADATA_VALUE_LENGTH} characters"
            )
        metadata[key] = value
    return metadata


def _invalid(where: str, reason: str) -> BadRequest:
    return BadRequest(f"{where}: {reason}", user_message=f"Invalid request at '{where}': {reason}.")
