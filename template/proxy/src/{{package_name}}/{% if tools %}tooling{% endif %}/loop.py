"""Where tools are called: the rounds between the model and the tools of tools.py.

The model is offered the tools with every request. When it asks for calls, they run (at the
same time, each under TOOL_TIMEOUT_SECONDS), their results go back to it as `tool` messages
with its calls before them, and it is asked again; until it answers in text. After
MAX_TOOL_ROUNDS rounds it is asked once more with `tool_choice: "none"`; a model that still
asks for tools then ends the reply with ToolRoundsExceeded.

It stands in front of a backend client (its retries, its backup backends), so each round is
one backend call with that client's protection. Besides the reply's events it hands up each
round's `ToolsCalled` and `ToolsAnswered`, for the thread (chat/tool_rounds.py); the usage of all
rounds comes at the end, summed. A reply that is stopped mid-round cancels the running tools
(a blocking one finishes in its thread, unheard) and starts nothing more.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Collection
from contextlib import aclosing
from dataclasses import dataclass

import anyio

from ..backend.client import ChatClient
from ..backend.events import Finish, ReplyEvent, ToolCall, Usage
from ..backend.models import BackendListing
from ..backend.request import ChatMessage, ChatRequest
from ..errors import BackendError
from .toolbox import Toolbox, ToolResult


class ToolRoundsExceeded(BackendError):
    code = "too_many_tool_rounds"
    user_message = (
        "The assistant kept calling tools without answering. Please try again, or ask in "
        "another way."
    )


@dataclass(frozen=True, slots=True)
class ToolsCalled:
    """The model asked for these calls; they run now."""

    calls: tuple[ToolCall, ...]


@dataclass(frozen=True, slots=True)
class ToolsAnswered:
    """The calls of a round and their results, in the same order."""

    calls: tuple[ToolCall, ...]
    results: tuple[ToolResult, ...]


ToolActivity = ToolsCalled | ToolsAnswered


class ToolLoop:
    def __init__(self, client: ChatClient, toolbox: Toolbox, max_rounds: int) -> None:
        self._client = client
        self._toolbox = toolbox
        self._max_rounds = max_rounds

    async def stream(self, request: ChatRequest) -> AsyncIterator[ReplyEvent | ToolActivity]:
        request = dataclasses.replace(request, tools=self._toolbox.schemas)
        used: Usage | None = None
        finish: Finish | None = None
        said = False  # whether any text has been handed up
        for round_number in range(self._max_rounds + 1):
            if round_number == self._max_rounds:  # the last word: text only
                request = dataclasses.replace(request, may_call_tools=False)
            calls: list[ToolCall] = []
            # Text after a round that followed some text starts a paragraph of its own.
            gap = "\n\n" if said and round_number else ""
            async with aclosing(self._client.stream(request)) as events:
                async for event in events:
                    if isinstance(event, str):
                        said = True
                        yield gap + event if gap else event
                        gap = ""
                    elif isinstance(event, ToolCall):
                        calls.append(event)
                    elif isinstance(event, Usage):
                        used = event if used is None else used + event
                    elif isinstance(event, Finish):
                        finish = event
                    else:
                        yield event
            if not calls:
                break
            if round_number == self._max_rounds:
                raise ToolRoundsExceeded(
                    f"the model asked for tools after {self._max_rounds} rounds and "
                    "tool_choice 'none'"
                )
            yield ToolsCalled(tuple(calls))
            results = await self._run(calls)
            yield ToolsAnswered(tuple(calls), results)
            request = dataclasses.replace(
                request, messages=[*request.messages, *round_messages(calls, results)]
            )
        if used is not None:
            yield used
        if finish is not None:
            yield finish

    async def _run(self, calls: list[ToolCall]) -> tuple[ToolResult, ...]:
        results: list[ToolResult | None] = [None] * len(calls)

        async def run(index: int, call: ToolCall) -> None:
            results[index] = await self._toolbox.run(call)

        async with anyio.create_task_group() as group:
            for index, call in enumerate(calls):
                group.start_soon(run, index, call)
        return tuple(result for result in results if result is not None)

    async def probe(self, models: Collection[str]) -> BackendListing | None:
        return await self._client.probe(models)


def round_messages(
    calls: Collection[ToolCall], results: Collection[ToolResult]
) -> list[ChatMessage]:
    """A round as the model reads it: its calls, then each call's result."""
    return [
        ChatMessage("assistant", "", tool_calls=tuple(calls)),
        *(ChatMessage("tool", result.content, tool_call_id=result.call_id) for result in results),
    ]
