"""What the backend is asked: the messages and settings of one request, whatever the protocol."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .events import ToolCall

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str
    # An assistant message that asks for tools to be called, and a tool message's answer to one.
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    # What the model thought before this assistant message (SEND_REASONING_HISTORY).
    reasoning: str = ""


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
    # The tools the model may ask for, as OpenAI's `tools` (function JSON schemas).
    tools: tuple[dict[str, Any], ...] = ()
    # False: the model must answer in text now (OpenAI's `tool_choice: "none"`).
    may_call_tools: bool = True

    @property
    def prompt(self) -> str:
        """The latest user message."""
        return next((m.content for m in reversed(self.messages) if m.role == "user"), "")
