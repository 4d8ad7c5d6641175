"""What a backend reply is made of, as every backend client hands it up the layers.

A reply is a sequence of events: text deltas, as plain `str` (the hot path allocates nothing
per token), reasoning deltas (`Reasoning`, the model thinking before it answers), the tools the
model asks to have called (`ToolCall`, each once its arguments are complete), then at most one
`Usage` (the tokens the backend counted) and one `Finish` (why the backend stopped). Each
layer between the client and the chat server (timeouts and retries, backup backends) passes
every event on in order; only adjacent deltas of the same kind may be joined.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reasoning:
    """Some of the model's reasoning: shown apart from the answer, never part of it."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolCall:
    """The model asks for `name` to be called with `arguments` (a JSON object, as text)."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class Usage:
    """The tokens one reply took, as the backend counted them, or as the proxy estimated them
    when the backend did not say (`estimated`)."""

    prompt_tokens: int
    completion_tokens: int
    estimated: bool = False

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.estimated or other.estimated,
        )


@dataclass(frozen=True, slots=True)
class Finish:
    """How the reply ended, as the backend said (OpenAI's `finish_reason`)."""

    reason: str

    @property
    def at_length_limit(self) -> bool:
        """The reply stopped at `max_tokens`, not where the model meant to end it."""
        return self.reason == "length"


ReplyEvent = str | Reasoning | ToolCall | Usage | Finish


def usage_of(value: object) -> Usage | None:
    """OpenAI's `usage` object (`prompt_tokens`, `completion_tokens`), when it is one."""
    if not isinstance(value, dict):
        return None
    prompt, completion = value.get("prompt_tokens"), value.get("completion_tokens")
    counts = (prompt, completion)
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts):
        return None
    return Usage(prompt, completion)


def tool_calls_of(value: object) -> list[ToolCall]:
    """The calls in a complete message's `tool_calls`: `{id, function: {name, arguments}}`."""
    calls = ToolCallDeltas()
    for index, call in enumerate(value if isinstance(value, list) else ()):
        calls.add([{**call, "index": index}] if isinstance(call, dict) else [])
    return calls.complete()


class ToolCallDeltas:
    """A streamed reply's `tool_calls` deltas, put together: each call's id and name come in
    its first delta, its arguments in pieces over the following ones, keyed by `index`."""

    __slots__ = ("_calls",)

    def __init__(self) -> None:
        self._calls: dict[int, list[str]] = {}  # index: [id, name, arguments so far]

    def add(self, deltas: object) -> None:
        for delta in deltas if isinstance(deltas, list) else ():
            if not isinstance(delta, dict):
                continue
            index = delta.get("index", 0)
            call = self._calls.setdefault(index if isinstance(index, int) else 0, ["", "", ""])
            function = delta.get("function")
            function = function if isinstance(function, dict) else {}
            for slot, piece in enumerate(
                (delta.get("id"), function.get("name"), function.get("arguments"))
            ):
                if isinstance(piece, str):
                    call[slot] = call[slot] + piece if slot == 2 else call[slot] or piece
            if isinstance(function.get("arguments"), dict):  # Ollama sends an object
                call[2] = json.dumps(function["arguments"])

    def complete(self) -> list[ToolCall]:
        """The calls asked for, in order; a call without an id gets one from its place."""
        calls = [
            ToolCall(call_id or f"call_{index}", name, arguments or "{}")
            for index, (call_id, name, arguments) in sorted(self._calls.items())
        ]
        self._calls.clear()
        return calls


_THINK, _END_THINK = "<think>", "</think>"


class ThinkTags:
    """Reasoning that a model served without a reasoning parser writes into its answer, as a
    `<think>…</think>` block at the very start, turned into `Reasoning`.

    Feed it the answer's text deltas in order. Once the answer is seen not to start with
    `<think>`, or the block has ended, text passes straight through.
    """

    __slots__ = ("_held", "_state")

    def __init__(self) -> None:
        self._state = "start"  # "start": undecided; "thinking"; "answer": passing through
        self._held = ""

    @property
    def passing(self) -> bool:
        """True once text goes straight through: the caller may skip `feed`."""
        return self._state == "answer"

    def feed(self, text: str) -> list[ReplyEvent]:
        if self._state == "answer":
            return [text]
        held = self._held + text
        if self._state == "start":
            opening = held.lstrip()
            if not opening.startswith(_THINK):
                if _THINK.startswith(opening):  # could still become "<think>"
                    self._held = held
                    return []
                self._state = "answer"
                self._held = ""
                return [held]
            self._state, held = "thinking", opening.removeprefix(_THINK)
        end = held.find(_END_THINK)
        if end < 0:
            # Keep back what could be the start of "</think>".
            keep = next(
                (n for n in range(len(_END_THINK) - 1, 0, -1) if held.endswith(_END_THINK[:n])),
                0,
            )
            self._held = held[len(held) - keep :] if keep else ""
            thought = held[: len(held) - keep]
            return [Reasoning(thought)] if thought else []
        self._state, self._held = "answer", ""
        thought, answer = held[:end], held[end + len(_END_THINK) :].lstrip()
        return [event for event in (Reasoning(thought) if thought else None, answer) if event]

    def end(self) -> list[ReplyEvent]:
        """What is still held back when the reply ends."""
        held, self._held = self._held, ""
        if not held:
            return []
        return [Reasoning(held)] if self._state == "thinking" else [held]
