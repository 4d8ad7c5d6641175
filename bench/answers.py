"""Answer sets for the render-time benchmark, read from copier.yml so they follow new choices."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml


def questions(template: Path) -> dict[str, dict[str, Any]]:
    spec = yaml.safe_load((template / "copier.yml").read_text(encoding="utf-8"))
    return {name: q for name, q in spec.items() if not name.startswith("_")}


def choice_values(question: dict[str, Any]) -> list[Any]:
    choices = question.get("choices") or []
    items = list(choices.values()) if isinstance(choices, dict) else list(choices)
    values = [item[1] if isinstance(item, list | tuple) else item for item in items]
    return [value["value"] if isinstance(value, dict) else value for value in values]


def _size(project: Path) -> int:
    return sum(path.stat().st_size for path in project.rglob("*") if path.is_file())


def largest_answers(template: Path, render) -> dict[str, Any]:
    """The answer set that renders the most: every bool true (unless refused together with the
    answers before it), every multiselect option, and for a single choice the value whose render
    is largest, given the answers picked before it.

    `render(destination, answers)` renders the template and raises RuntimeError for answers
    copier refuses (a validator may reject a value in combination with an earlier answer: such
    a value is skipped). It is only called for questions that offer more than one value.
    """
    answers: dict[str, Any] = {}
    for name, question in questions(template).items():
        values = choice_values(question)
        if question.get("type") == "bool":
            with tempfile.TemporaryDirectory() as scratch:
                try:
                    render(Path(scratch) / "project", {**answers, name: True})
                    answers[name] = True
                except RuntimeError:
                    answers[name] = False
        elif values and question.get("multiselect"):
            answers[name] = values
        elif len(values) == 1:
            answers[name] = values[0]
        elif values:
            sizes = {}
            for value in values:
                with tempfile.TemporaryDirectory() as scratch:
                    destination = Path(scratch) / "project"
                    try:
                        render(destination, {**answers, name: value})
                    except RuntimeError:
                        continue  # refused together with an earlier answer
                    sizes[_size(destination)] = value
            if not sizes:
                raise RuntimeError(f"no value of {name!r} renders with {answers}")
            answers[name] = sizes[max(sizes)]
    return answers
