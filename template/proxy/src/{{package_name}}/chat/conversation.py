"""A ChatKit thread turned into the messages the backend is asked with (backend/request.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

from chatkit.types import (
    AssistantMessageItem,
    HiddenContextItem,
    ThoughtTask,
    ThreadItem,
    UserMessageItem,
    WorkflowItem,
)

from ..backend.request import ChatMessage

# Lines the proxy ends an answer with when the user should know it is incomplete. They are for
# the reader: in later turns the backend gets the answer without them.
CUT_OFF_NOTE = "\n\n*(The reply was cut off: the assistant's backend stopped before the end.)*"
LENGTH_NOTE = "\n\n*(The reply stopped at the length limit. Ask to continue for more.)*"


def user_text(item: UserMessageItem) -> str:
    # Both content kinds (typed text and @-tags) carry their visible text in `text`.
    return "".join(part.text for part in item.content).strip()


def to_messages(
    items: Iterable[ThreadItem],
    *,
    with_reasoning: bool = False,
    replay: Callable[[Any], list[ChatMessage]] | None = None,
) -> list[ChatMessage]:
    """User and assistant turns in thread order; widgets and other workflows are not sent.

    `with_reasoning`: the model's thoughts go with the assistant message they led to (they are
    shown to the user either way). `replay`: the messages a hidden item's content stands for.
    """
    messages: list[ChatMessage] = []
    thought: list[str] = []
    for item in items:
        if isinstance(item, WorkflowItem):
            if with_reasoning and item.workflow.type == "reasoning":
                thought += [t.content for t in item.workflow.tasks if isinstance(t, ThoughtTask)]
            continue
        if isinstance(item, HiddenContextItem):
            found = replay(item.content) if replay is not None else []
        else:
            message = message_of(item)
            found = [message] if message is not None else []
        if found and thought and found[0].role == "assistant":
            found[0] = dataclasses.replace(found[0], reasoning="\n\n".join(thought))
        if found:
            thought = []
        messages += found
    return messages


def message_of(item: ThreadItem) -> ChatMessage | None:
    """The user or assistant message `item` is, if it is one and has text."""
    if isinstance(item, UserMessageItem):
        text = user_text(item)
        return ChatMessage("user", text) if text else None
    if isinstance(item, AssistantMessageItem):
        text = "".join(part.text for part in item.content)
        text = text.removesuffix(CUT_OFF_NOTE).removesuffix(LENGTH_NOTE)
        return ChatMessage("assistant", text) if text else None
    return None


def title_from(text: str, limit: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
