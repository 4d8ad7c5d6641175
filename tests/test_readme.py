"""The template's README stays in step with copier.yml and with CI."""

from __future__ import annotations

import re

import pytest
from conftest import REPO_ROOT, choice_values, questions

README = REPO_ROOT / "README.md"
NO_CHOICES = "—"
TEST_COMMAND = "uv run pytest"


def question_rows() -> dict[str, dict[str, str]]:
    """Rows of the table under '## Questions', keyed by the question's name."""
    text = README.read_text(encoding="utf-8")
    section = re.search(r"^## Questions\s*$(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert section, "README has no '## Questions' section"
    lines = [line.strip() for line in section.group(1).splitlines() if line.strip().startswith("|")]
    header, _separator, *body = lines
    columns = [cell.strip() for cell in header.strip("|").split("|")]
    assert columns == ["Question", "Default", "Choices", "What it decides"], columns
    rows = {}
    for line in body:
        cells = dict(
            zip(columns, (cell.strip() for cell in line.strip("|").split("|")), strict=True)
        )
        name = cells["Question"].strip("`")
        assert name not in rows, f"{name} has two rows"
        rows[name] = cells
    return rows


def backticked(cell: str) -> list[str]:
    return re.findall(r"`([^`]*)`", cell)


def test_table_lists_every_question_once_in_copier_order():
    assert list(question_rows()) == list(questions())


@pytest.mark.parametrize("name", list(questions()))
def test_row_shows_the_default(name):
    default = questions()[name].get("default")
    cell = question_rows()[name]["Default"]

    if isinstance(default, str) and "{{" in default:
        # A derived default: the row names the answers it is derived from.
        sources = [other for other in questions() if re.search(rf"\b{other}\b", default)]
        assert sources, f"{name}: derived default names no question: {default}"
        for source in sources:
            assert f"`{source}`" in cell, f"{name}: Default should mention `{source}`: {cell}"
    else:
        assert str(default) in backticked(cell), f"{name}: Default should show `{default}`: {cell}"


@pytest.mark.parametrize("name", list(questions()))
def test_row_shows_every_choice(name):
    values = [str(value) for value in choice_values(questions()[name])]
    cell = question_rows()[name]["Choices"]

    if values:
        assert sorted(backticked(cell)) == sorted(values), f"{name}: {cell} vs {values}"
    else:
        assert cell == NO_CHOICES, f"{name} is free text: its Choices cell should be {NO_CHOICES}"


@pytest.mark.parametrize("name", list(questions()))
def test_row_says_what_it_decides(name):
    assert question_rows()[name]["What it decides"], f"{name}: empty 'What it decides'"


def test_ci_runs_the_test_command_the_readme_gives():
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")

    assert TEST_COMMAND in README.read_text(encoding="utf-8")
    assert TEST_COMMAND in ci


def test_readme_says_trust_is_needed():
    assert "--trust" in README.read_text(encoding="utf-8")
