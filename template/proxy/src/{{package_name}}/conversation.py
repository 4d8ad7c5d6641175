"""What the backend is asked: a ChatKit thread turned into chat messages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from chatkit.types import AssistantMessageItem, ThreadItem, UserMessageItem

Role = Literal["system", "user", "assistant"]

# Lines the proxy ends an answer with when the user should know it is incomplete. They are for
# the reader: in later turns the backend gets the answer without them.
CUT_OFF_NOTE = "\n\n*(The reply was cut off: the assistant's backend stopped before the end.)*"
LENGTH_NOTE = "\n\n*(The reply stopped at the length limit. Ask to continue for more.)*"


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class ChatRequest:
    model: str  # the name the backend knows
    messages: list[ChatMessage]  # a system prompt, if any, comes first
    user_id: str
    thread_id: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    # Request metadata and allow-listed headers, passed to backends that accept it.
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def prompt(self) -> str:
        """The latest user message."""
        return next((m.content for m in reversed(self.messages) if m.role == "user"), "")


def user_text(item: UserMessageItem) -> str:
    # Both content kinds (typed text and @-tags) carry their visible text in `text`.
    return "".join(part.text for part in item.content).strip()


def to_messages(items: Iterable[ThreadItem]) -> list[ChatMessage]:
    """User and assistant turns in thread order; widgets, tools and hidden items are not sent."""
    messages: list[ChatMessage] = []
    for item in items:
        if isinstance(item, UserMessageItem):
            text = user_text(item)
            if text:
                messages.append(ChatMessage("user", text))
        elif isinstance(item, AssistantMessageItem):
            text = "".join(part.text for part in item.content)
            text = text.removesuffix(CUT_OFF_NOTE).removesuffix(LENGTH_NOTE)
            if text:
                messages.append(ChatMessage("assistant", text))
    return messages


def title_from(text: str, limit: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
