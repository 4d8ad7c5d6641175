"""Each (backend_protocol, streaming) pair generates only its own client and a passing proxy suite."""

from __future__ import annotations

import shutil

import pytest
from conftest import choice_questions, is_valid, questions, render_ok, run_in_project

PAIRS = [
    (protocol, streaming)
    for protocol in choice_questions()["backend_protocol"]
    for streaming in choice_questions()["streaming"]
    if is_valid({"backend_protocol": protocol, "streaming": streaming})
]
PAIR_IDS = [f"{protocol}-{streaming}" for protocol, streaming in PAIRS]

# The backend clients, in backend/: every pair has the complete-reply client, streaming pairs
# the streaming one beside it.
CLIENT_MODULES = {
    ("openai", "sse"): {"complete.py", "streaming.py"},
    ("openai", "none"): {"complete.py"},
    ("json_api", "sse"): {"complete.py", "streaming.py"},
    ("json_api", "websocket"): {"complete.py", "streaming.py"},
    ("json_api", "none"): {"complete.py"},
}
CUSTOM_ONLY = {"backend_contract.py", "backend/sessions.py"}
TIMEOUT_SECONDS = 10 * 60
# Every pair's full run has tools on, so the tool rounds run through each client without another
# render (openai+sse's run with tools is in test_auth_pairs.py).
WITH_TOOLS = {"tools": True}


def test_every_valid_pair_is_listed():
    assert set(PAIRS) == set(CLIENT_MODULES)


@pytest.mark.parametrize(("protocol", "streaming"), PAIRS, ids=PAIR_IDS)
def test_only_the_chosen_backend_code_is_generated(copie, protocol, streaming):
    project = render_ok(copie, backend_protocol=protocol, streaming=streaming)
    package = next((project / "proxy" / "src").iterdir())
    modules = {p.relative_to(package).as_posix() for p in package.rglob("*.py")}
    clients = {m.removeprefix("backend/") for m in modules} & {"complete.py", "streaming.py"}

    assert clients == CLIENT_MODULES[(protocol, streaming)]
    assert (CUSTOM_ONLY & modules) == (CUSTOM_ONLY if protocol == "json_api" else set())
    pyproject = (project / "proxy" / "pyproject.toml").read_text(encoding="utf-8")
    assert ("websockets" in pyproject) == (streaming == "websocket")


# The default pair's proxy suite runs in the default project's `make test`.
DEFAULT_PAIR = (questions()["backend_protocol"]["default"], questions()["streaming"]["default"])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("protocol", "streaming"),
    [
        pytest.param(*pair, id=pair_id)
        for pair, pair_id in zip(PAIRS, PAIR_IDS, strict=True)
        if pair != DEFAULT_PAIR
    ],
)
def test_generated_proxy_suite_passes(copie, protocol, streaming):
    if shutil.which("uv") is None:
        pytest.fail("the generated proxy suite needs uv on PATH")
    project = render_ok(copie, backend_protocol=protocol, streaming=streaming, **WITH_TOOLS)
    proxy = project / "proxy"

    for command in (["uv", "sync", "-q"], ["uv", "run", "pytest", "-q", "-p", "no:cacheprovider"]):
        run_in_project(command, proxy, timeout=TIMEOUT_SECONDS)
