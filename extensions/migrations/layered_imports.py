"""Copier migration: the proxy's modules moved from one flat package into layers (backend/,
chat/, state/, ...). The files a project owns, which `copier update` never rewrites, keep
working once their imports of the proxy's modules name the new places.

Run by `copier update` after each update, in the project's root, with the package's folder as
argument. It rewrites only imports of the old module names (and of a name that moved on its
own), keeps the rewritten imports in the order ruff's isort wants, and says what it could not
resolve; running it again changes nothing.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

# Each module that moved: its old name at the package's root -> its place now.
MOVED = {
    "access_tokens": "auth.access_tokens",
    "admission": "chat.admission",
    "backend_auth": "backend.auth",
    "backend_checks": "checks.protocol",
    "backend_http": "backend.connections",
    "backend_sessions": "backend.sessions",
    "body_limit": "http.body_limit",
    "chat_server": "chat.server",
    "chat_store": "state.store",
    "chatkit_requests": "http.request_checks",
    "check_backend": "checks.command",
    "checking": "checks.findings",
    "context_window": "chat.context_window",
    "conversation": "chat.conversation",
    "custom_complete_client": "backend.complete",
    "custom_sse_client": "backend.streaming",
    "custom_ws_client": "backend.streaming",
    "failover": "backend.failover",
    "heartbeat": "http.heartbeat",
    "inference": "chat.inference",
    "metrics": "observability.metrics",
    "model_source": "backend.model_source",
    "models": "backend.models",
    "openai_client": "backend.streaming",
    "openai_complete_client": "backend.complete",
    "postgres_migrations": "state.postgres_migrations",
    "postgres_store": "state.postgres_store",
    "rate_limit": "state.rate_limit",
    "redaction": "observability.redaction",
    "reply_events": "backend.events",
    "request_context": "chat.context",
    "request_log": "observability.request_log",
    "resilience": "backend.resilience",
    "responses": "http.responses",
    "retention": "state.retention",
    "routes": "http.routes",
    "routing": "backend.routing",
    "same_origin": "http.same_origin",
    "session_tokens": "auth.session_tokens",
    "shared_state": "state.shared",
    "sqlite_store": "state.sqlite_store",
    "thoughts": "chat.thoughts",
    "tool_loop": "tooling.loop",
    "tool_rounds": "chat.tool_rounds",
    "toolbox": "tooling.toolbox",
    "usage": "chat.usage",
    "user_auth": "auth.user_auth",
}
# Names that did not follow their module: (old module, name) -> (new module, new name). A
# renamed one is imported under its old name, so the code using it needs no change.
NAMES = {
    ("conversation", "ChatMessage"): ("backend.request", "ChatMessage"),
    ("conversation", "ChatRequest"): ("backend.request", "ChatRequest"),
    ("redaction", "logger"): ("observability.logs", "logger"),
    ("request_log", "JsonFormatter"): ("observability.logs", "JsonFormatter"),
    ("request_log", "configure_logging"): ("observability.logs", "configure_logging"),
    ("resilience", "ChatClient"): ("backend.client", "ChatClient"),
    ("routing", "ChatClient"): ("backend.client", "ChatClient"),
    ("resilience", "RenewableAuth"): ("backend.client", "BackendAuth"),
    ("backend_http", "BackendAuth"): ("backend.client", "BackendAuth"),
    ("openai_complete_client", "OpenAICompleteClient"): ("backend.complete", "CompleteClient"),
    ("custom_complete_client", "CustomCompleteClient"): ("backend.complete", "CompleteClient"),
    ("openai_client", "OpenAIChatClient"): ("backend.streaming", "StreamingClient"),
    ("custom_sse_client", "CustomSSEClient"): ("backend.streaming", "StreamingClient"),
    ("custom_ws_client", "CustomWebSocketClient"): ("backend.streaming", "StreamingClient"),
}
# The modules a project owns, at the package's root.
OWNED = ("backend_contract.py", "tools.py")
LINE_LENGTH = 100


def migrate(package: Path) -> tuple[list[Path], list[str]]:
    """Rewrite the owned modules' imports; the files changed, and what needs a look by hand."""
    changed, problems = [], []
    for name in OWNED:
        path = package / name
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        moved = _sorted_imports(_rewritten(text, package))
        if moved != text:
            path.write_text(moved, encoding="utf-8")
            changed.append(path)
        problems += [f"{path}: {problem}" for problem in _unresolved(moved, package)]
    problems += _old_names_elsewhere(package)
    return changed, problems


def _rewritten(text: str, package: Path) -> str:
    lines = text.splitlines(keepends=True)
    for node in sorted(_relative_imports(text), key=lambda n: n.lineno, reverse=True):
        old = node.module or ""
        if node.level != 1 or old not in MOVED or (package / f"{old}.py").exists():
            continue  # not a moved module (a module of the user's own may have an old name)
        targets: dict[str, list[str]] = {}
        for alias in node.names:
            module, new_name = NAMES.get((old, alias.name), (MOVED[old], alias.name))
            shown = alias.asname or (alias.name if new_name != alias.name else None)
            targets.setdefault(module, []).append(f"{new_name} as {shown}" if shown else new_name)
        first, last = node.lineno - 1, node.end_lineno or node.lineno
        indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
        after = lines[last - 1][node.end_col_offset :].rstrip("\n")  # a trailing comment
        statements = [_statement(indent, module, names) for module, names in targets.items()]
        statements[-1] += after
        lines[first:last] = [statement + "\n" for statement in statements]
    return "".join(lines)


def _statement(indent: str, module: str, names: list[str]) -> str:
    line = f"{indent}from .{module} import {', '.join(names)}"
    if len(line) <= LINE_LENGTH:
        return line
    inner = "".join(f"{indent}    {name},\n" for name in names)
    return f"{indent}from .{module} import (\n{inner}{indent})"


def _sorted_imports(text: str) -> str:
    """Each run of adjacent module-level relative imports in isort's order (farthest first,
    then by module), as ruff wants them."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    runs: list[list[ast.ImportFrom]] = []
    for node in tree.body:
        if not (isinstance(node, ast.ImportFrom) and node.level):
            runs.append([])
            continue
        if runs and runs[-1] and runs[-1][-1].end_lineno == node.lineno - 1:
            runs[-1].append(node)
        else:
            runs.append([node])
    for run in reversed([run for run in runs if len(run) > 1]):
        first, last = run[0].lineno - 1, run[-1].end_lineno or run[-1].lineno
        blocks = [lines[n.lineno - 1 : n.end_lineno] for n in run]
        keyed = sorted(
            zip(run, blocks, strict=True), key=lambda p: (-p[0].level, p[0].module or "")
        )
        lines[first:last] = [line for _, block in keyed for line in block]
    return "".join(lines)


def _relative_imports(text: str) -> list[ast.ImportFrom]:
    return [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.ImportFrom) and n.level]


def _unresolved(text: str, package: Path) -> list[str]:
    """Names a relative import asks of a module of the package that it does not define."""
    problems = []
    for node in _relative_imports(text):
        if node.level != 1 or not node.module:
            continue
        module = package.joinpath(*node.module.split("."))
        source = module.with_suffix(".py")
        if not source.is_file():
            if not (module / "__init__.py").is_file():
                problems.append(f"line {node.lineno}: no module .{node.module}")
            continue
        defined = _defined(source.read_text(encoding="utf-8"))
        problems += [
            f"line {node.lineno}: .{node.module} has no {alias.name}"
            for alias in node.names
            if alias.name != "*" and alias.name not in defined
        ]
    return problems


def _defined(source: str) -> set[str]:
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _old_names_elsewhere(package: Path) -> list[str]:
    """Files of the project beside the owned ones that still import a module by its old name."""
    old = "|".join(name for name in MOVED if not (package / f"{name}.py").exists())
    # A relative import names an old module only at the package's root (a subpackage's
    # `from .models import` is its own sibling); an absolute one anywhere.
    relative = re.compile(rf"^\s*from \.({old}) import ", re.MULTILINE)
    absolute = re.compile(rf"\b{re.escape(package.name)}\.({old})\b")
    found = []
    roots = [package, package.parent.parent / "tests"]
    for path in sorted(p for root in roots if root.is_dir() for p in root.rglob("*.py")):
        if path.parent == package and path.name in OWNED:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if absolute.search(text) or (path.parent == package and relative.search(text)):
            found.append(f"{path}: imports a module by its old name (see MOVED in this script)")
    return found


if __name__ == "__main__":
    changed, problems = migrate(Path(sys.argv[1]))
    for path in changed:
        print(f"{path}: imports now name the proxy's modules where they moved")
    for problem in problems:
        print(f"warning: {problem}: fix this by hand", file=sys.stderr)
