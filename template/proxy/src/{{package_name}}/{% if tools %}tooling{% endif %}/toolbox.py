"""The tools of tools.py as the model sees them, and running one call of the model's.

Each tool is a plain typed function, sync or async. Its name is the tool's name, the first
paragraph of its docstring the description, and its parameters (their types, defaults and
`Annotated[..., Field(description=...)]`) the JSON schema of the arguments, through pydantic.
A call's arguments are validated against that schema before the function runs. Whatever goes
wrong (an unknown tool, arguments that do not fit, an exception, a call over
TOOL_TIMEOUT_SECONDS) becomes the call's result, worded for the model, which can then correct
itself or tell the user: a tool never fails the request.
"""

from __future__ import annotations

import functools
import inspect
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, get_type_hints

import anyio
from pydantic import BaseModel, ValidationError, create_model
from pydantic_core import to_json

from ..backend.events import ToolCall
from ..observability.logs import logger

log = logger(__name__)

# What a tool's answer may add to the conversation; the rest is cut, and the model told so.
MAX_RESULT_CHARS = 16_000


@dataclass(frozen=True, slots=True)
class ToolResult:
    call_id: str
    content: str  # what the model reads
    failed: bool = False


@dataclass(frozen=True, slots=True)
class Tool:
    function: Callable[..., Any]
    arguments: type[BaseModel]
    schema: dict[str, Any]

    @classmethod
    def of(cls, function: Callable[..., Any]) -> Tool:
        name = function.__name__
        hints = get_type_hints(function, include_extras=True)
        fields: dict[str, Any] = {}
        for parameter in inspect.signature(function).parameters.values():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                raise TypeError(f"tool {name}: *args and **kwargs cannot be described")
            if parameter.name not in hints:
                raise TypeError(f"tool {name}: parameter {parameter.name!r} needs a type")
            default = ... if parameter.default is parameter.empty else parameter.default
            fields[parameter.name] = (hints[parameter.name], default)
        arguments = create_model(f"{name}_arguments", **fields)
        parameters = arguments.model_json_schema()
        parameters.pop("title", None)
        description = inspect.cleandoc(function.__doc__ or "").split("\n\n")[0]
        schema = {
            "type": "function",
            "function": {"name": name, "description": description, "parameters": parameters},
        }
        return cls(function, arguments, schema)


class Toolbox:
    def __init__(self, functions: Sequence[Callable[..., Any]], timeout: float) -> None:
        """Refuses (TypeError, at start-up) a function that cannot be described to a model."""
        self._tools = {function.__name__: Tool.of(function) for function in functions}
        self._timeout = timeout
        self.schemas = tuple(tool.schema for tool in self._tools.values())

    async def run(self, call: ToolCall) -> ToolResult:
        """The result of `call`: the tool's answer, or what went wrong, for the model to read."""
        tool = self._tools.get(call.name)
        if tool is None:
            known = ", ".join(self._tools) or "none"
            return _failed(call, f"there is no tool named {call.name!r}; the tools are: {known}")
        try:
            raw = json.loads(call.arguments or "{}")
            arguments = tool.arguments.model_validate(raw if isinstance(raw, dict) else None)
        except (ValueError, RecursionError) as exc:  # JSON, pydantic's ValidationError, nesting
            return _failed(call, f"the arguments do not fit the tool's parameters: {_short(exc)}")
        values = {name: getattr(arguments, name) for name in type(arguments).model_fields}
        started = time.monotonic()
        try:
            with anyio.fail_after(self._timeout):
                answer = await _call(tool.function, values)
            text = answer if isinstance(answer, str) else to_json(answer).decode()
        except TimeoutError:
            log.warning("tool %s took longer than %.1f s", call.name, self._timeout)
            return _failed(call, f"the tool took longer than {self._timeout:g} s and was stopped")
        except Exception as exc:
            log.warning("tool %s failed: %s: %s", call.name, type(exc).__name__, exc)
            return _failed(call, f"{type(exc).__name__}: {exc}")
        log.info("tool %s answered in %.0f ms", call.name, (time.monotonic() - started) * 1000)
        if len(text) > MAX_RESULT_CHARS:
            text = text[:MAX_RESULT_CHARS] + f"\n(cut at {MAX_RESULT_CHARS} characters)"
        return ToolResult(call.id, text)


async def _call(function: Callable[..., Any], values: dict[str, Any]) -> Any:
    if inspect.iscoroutinefunction(function):
        return await function(**values)
    # A blocking tool runs in a worker thread; on a timeout or a stop it is left to finish
    # there, and its answer is thrown away.
    return await anyio.to_thread.run_sync(
        functools.partial(function, **values), abandon_on_cancel=True
    )


def _failed(call: ToolCall, reason: str) -> ToolResult:
    return ToolResult(call.id, f"Error: {reason}", failed=True)


def _short(error: ValueError | RecursionError) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or 'arguments'}: {e['msg']}"
            for e in error.errors(include_url=False)
        )
    return str(error)
