"""copier.yml's questions: validators refuse bad answers by name, defaults derive as documented."""

from __future__ import annotations

import pytest
from conftest import answer_questions, choice_questions, questions, render

INVALID_ANSWERS = [
    # (question, bad answer, id)
    ("project_name", "", "empty"),
    ("project_name", "   ", "blank"),
    ("project_name", 'My "Chat"', "double-quotes"),
    ("project_name", "Bob's Chat", "single-quote"),
    ("project_name", "My {Chat}", "braces"),
    ("project_name", "My <Chat>", "angle-brackets"),
    ("project_name", "x" * 81, "too-long"),
    ("project_slug", "My-Chat", "uppercase"),
    ("project_slug", "my chat", "space"),
    ("project_slug", "1chat", "leading-digit"),
    ("project_slug", "my--chat", "double-dash"),
    ("project_slug", "my-chat-", "trailing-dash"),
    ("project_slug", "-my-chat", "leading-dash"),
    ("project_slug", "my_chat", "underscore"),
    ("project_slug", "", "empty"),
    ("package_name", "my-chat", "dash"),
    ("package_name", "1chat", "leading-digit"),
    ("package_name", "class", "keyword"),
    ("package_name", "My_Chat", "uppercase"),
    ("package_name", "café", "non-ascii"),
    ("package_name", "_chat", "leading-underscore"),
    ("package_name", "my chat", "space"),
    ("package_name", "", "empty"),
]


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        pytest.param(question, answer, id=f"{question}-{label}")
        for question, answer, label in INVALID_ANSWERS
    ],
)
def test_invalid_answer_is_refused_by_name(copie, question, answer):
    result = render(copie, **{question: answer})

    assert result.exit_code != 0, f"{question}={answer!r} was accepted"
    assert question in str(result.exception), result.exception


def _outside_choices() -> list:
    # A multiselect answer is a list: the value outside its choices goes inside one.
    return [
        pytest.param(
            name,
            ["carrier-pigeon"] if questions()[name].get("multiselect") else "carrier-pigeon",
            id=name,
        )
        for name, values in choice_questions().items()
        if "carrier-pigeon" not in values
    ]


def test_every_choice_question_gets_an_outside_value():
    assert len(_outside_choices()) == len(choice_questions())


@pytest.mark.parametrize(("question", "answer"), _outside_choices())
def test_answer_outside_choices_is_refused(copie, question, answer):
    result = render(copie, **{question: answer})

    assert result.exit_code != 0, f"{question}={answer!r} was accepted"
    assert question in str(result.exception), result.exception


@pytest.mark.parametrize(
    ("answers", "question", "value"),
    [
        pytest.param({"backend_protocol": "grpc"}, "backend_protocol", "grpc", id="protocol-grpc"),
        pytest.param({"streaming": "websocket-ish"}, "streaming", "websocket-ish", id="streaming"),
    ],
)
def test_plausible_but_unsupported_choice_is_refused(copie, answers, question, value):
    result = render(copie, **answers)

    assert result.exit_code != 0
    assert question in str(result.exception)
    assert value in str(result.exception)


@pytest.mark.parametrize(
    ("project_name", "slug", "package"),
    [
        pytest.param("My Cool Chat", "my-cool-chat", "my_cool_chat", id="spaces"),
        pytest.param("Café Übersicht", "cafe-ubersicht", "cafe_ubersicht", id="accents"),
        pytest.param(
            "Support Bot (beta) 2", "support-bot-beta-2", "support_bot_beta_2", id="punct"
        ),
        pytest.param("chat", "chat", "chat", id="one-word"),
    ],
)
def test_slug_and_package_derive_from_project_name(copie, project_name, slug, package):
    result = render(copie, project_name=project_name)

    assert result.exit_code == 0, result.exception
    assert result.answers["project_name"] == project_name
    assert result.answers["project_slug"] == slug
    assert result.answers["package_name"] == package


def test_package_name_derives_from_an_explicit_slug(copie):
    result = render(copie, project_slug="acme-helpdesk")

    assert result.exit_code == 0, result.exception
    assert result.answers["package_name"] == "acme_helpdesk"


def test_explicit_answers_override_derived_defaults(copie):
    result = render(copie, project_name="Any", project_slug="chat-ui", package_name="chatproxy")

    assert result.exit_code == 0, result.exception
    assert (result.answers["project_slug"], result.answers["package_name"]) == (
        "chat-ui",
        "chatproxy",
    )


def test_guard_refuses_answers_that_are_not_questions(copie):
    with pytest.raises(AssertionError, match="projet_name"):
        render(copie, projet_name="Typo")


@pytest.mark.parametrize("name", list(questions()))
def test_question_has_type_and_help(name):
    spec = questions()[name]

    assert spec.get("type"), f"{name} has no type"
    assert str(spec.get("help", "")).strip(), f"{name} has no help"


@pytest.mark.parametrize("name", list(choice_questions()))
def test_choice_default_is_one_of_the_choices(name):
    assert questions()[name].get("default") in answer_questions()[name]


def test_openai_with_websocket_is_refused_with_the_reason(copie):
    result = render(copie, backend_protocol="openai", streaming="websocket")

    assert result.exit_code != 0, "openai + websocket was accepted"
    assert "streaming" in str(result.exception)
    assert "no WebSocket chat API" in str(result.exception)


@pytest.mark.parametrize("streaming", ["sse", "websocket", "none"])
def test_every_streaming_mode_is_accepted_with_the_custom_protocol(copie, streaming):
    result = render(copie, backend_protocol="json_api", streaming=streaming)

    assert result.exit_code == 0, result.exception
