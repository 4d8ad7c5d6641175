"""Jinja extensions for the template: answer validation filters and derived context."""

from __future__ import annotations

import keyword
import re
import unicodedata
from functools import partial
from typing import Annotated, Any

from copier.errors import UserMessageError
from copier_template_extensions import ContextHook
from jinja2.ext import Extension
from pydantic import AfterValidator, BaseModel, ValidationError

_SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_SLUG_CHARACTERS = re.compile(r"^[a-z0-9-]*$")


def slugify(value: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


# Copier shows a validation error at the prompt on one line, after "Validation error for
# question '<name>': " (46 characters for these names): each reason fits the other 34.


def _project_name(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    if len(value) > 80:
        raise ValueError("must be at most 80 characters")
    if any(ch in value for ch in "\"'`\\{}<>\n\r"):
        raise ValueError("must not contain \" ' ` \\ { } < >")
    return value


def _project_slug(value: str) -> str:
    if not value[:1].isascii() or not value[:1].islower():
        raise ValueError("must start with a letter a-z")
    if not _SLUG_CHARACTERS.match(value):
        raise ValueError("only a-z, 0-9 and dashes")
    if not _SLUG.match(value):
        raise ValueError("no double or trailing dashes")
    return value


def _package_name(value: str) -> str:
    if not value.isidentifier() or not value.isascii():
        raise ValueError("must be an ASCII Python identifier")
    if keyword.iskeyword(value):
        raise ValueError("must not be a Python keyword")
    if value != value.lower():
        raise ValueError("must be lowercase (PEP 8)")
    if value.startswith("_"):
        raise ValueError("must not start with an underscore")
    return value


class _ProjectName(BaseModel):
    project_name: Annotated[str, AfterValidator(_project_name)]


class _ProjectSlug(BaseModel):
    project_slug: Annotated[str, AfterValidator(_project_slug)]


class _PackageName(BaseModel):
    package_name: Annotated[str, AfterValidator(_package_name)]


# (protocol, streaming) pairs that cannot work: why, what the prompt shows beside the disabled
# choice (short enough for an 80-column terminal), and the fix.
_UNSUPPORTED_STREAMING = {
    ("openai", "websocket"): (
        "an OpenAI-compatible server has no WebSocket chat API",
        "needs backend_protocol 'json_api'",
        "choose 'sse' or 'none', or backend_protocol 'json_api'",
    ),
}

# Path of the API under the backend's base URL: OpenAI-compatible servers serve it below /v1.
_BACKEND_URL_PATHS = {"openai": "/v1", "json_api": ""}


def streaming_error(streaming: str, backend_protocol: str) -> str:
    """The question's validator: why `streaming` is refused, or '' when it is valid."""
    unsupported = _UNSUPPORTED_STREAMING.get((backend_protocol, streaming))
    if unsupported is None:
        return ""
    reason, _, fix = unsupported
    return f"streaming: '{streaming}' does not work with this backend: {reason}; {fix}"


def streaming_unavailable(streaming: str, backend_protocol: str) -> str:
    """A choice's validator: the short reason shown beside it at the prompt, or '' if it can
    be picked. (Copier runs no question validator on a choice picked from a list.)"""
    unsupported = _UNSUPPORTED_STREAMING.get((backend_protocol, streaming))
    return unsupported[1] if unsupported else ""


def _refuse_unsupported_answers(context: dict[str, Any]) -> None:
    """Stop with one line, not a traceback, when answers that cannot work together come without
    a prompt to ask again: `--data`, `--defaults`, or a recorded (perhaps hand-edited) answers
    file, which `copier update` renders the project's old version with."""
    protocol, streaming = context.get("backend_protocol"), context.get("streaming")
    unsupported = _UNSUPPORTED_STREAMING.get((protocol, streaming))
    if unsupported is None:
        return
    conf = context["_copier_conf"]
    will_ask = not conf["defaults"] and "streaming" not in (conf["data"] or {})
    if context["_copier_phase"] == "prompt" and will_ask:
        return  # an earlier answer that Copier drops, asking the question anew
    reason, _, fix = unsupported
    raise UserMessageError(
        f"backend_protocol '{protocol}' with streaming '{streaming}' cannot be generated: "
        f"{reason}. Fix: {fix} (in .copier-answers.yml for `copier update`)."
    )


def _error_of(model: type[BaseModel], field: str, value: Any) -> str:
    """Why one answer is refused, or '' when valid (Copier's message names the question)."""
    try:
        model.model_validate({field: value})
    except ValidationError as exc:
        return exc.errors()[0]["msg"].removeprefix("Value error, ")
    return ""


class AnswerChecks(Extension):
    """Filters used by `validator:` in copier.yml, so answers are refused at the prompt."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["slugify"] = slugify
        environment.filters.update(
            project_name_error=partial(_error_of, _ProjectName, "project_name"),
            project_slug_error=partial(_error_of, _ProjectSlug, "project_slug"),
            package_name_error=partial(_error_of, _PackageName, "package_name"),
            streaming_error=streaming_error,
            streaming_unavailable=streaming_unavailable,
        )


# Per `store` answer: the generated Store class and the default DATABASE_URL (PostgreSQL's
# matches the database the generated compose file publishes on localhost).
_STORES = {
    "sqlite": ("SQLiteStore", "sqlite:///./data/chat.db"),
    "postgres": ("PostgresStore", "postgresql://chat:chat@127.0.0.1:5432/chat"),
}


class ContextUpdater(ContextHook):
    """Derives names used across the generated files from the answers."""

    def hook(self, context: dict[str, Any]) -> None:
        _refuse_unsupported_answers(context)
        if "project_slug" not in context:
            return
        context["web_package_name"] = f"{context['project_slug']}-web"
        context["proxy_distribution"] = f"{context['project_slug']}-proxy"
        if context.get("store") in _STORES:
            store_class, database_url = _STORES[context["store"]]
            context["store_class"] = store_class
            context["database_url_default"] = database_url
        # backend/complete.py or backend/streaming.py: how replies come from the backend.
        streams = context.get("streaming") != "none"
        context["backend_client_class"] = "StreamingClient" if streams else "CompleteClient"
        if context.get("backend_protocol") in _BACKEND_URL_PATHS:
            context["backend_url_path"] = _BACKEND_URL_PATHS[context["backend_protocol"]]
        fallback = context.get("fallback") or []
        context["has_backup_backends"] = "backup_backends" in fallback
        context["has_openai_hosted"] = "openai_hosted" in fallback
