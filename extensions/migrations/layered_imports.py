"""Copier migration: the proxy's modules moved from one flat package into layers (backend/,
chat/, state/, ...). The files a project owns, which `copier update` never rewrites, keep
working once their imports of the proxy's modules name the new places.

Run by `copier update` after each update, in the project's root, with the package's folder as
argument. It only rewrites imports of the old module names, so running it again changes nothing.
"""

from __future__ import annotations

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
# The modules a project owns, at the package's root.
OWNED = ("backend_contract.py", "tools.py")
IMPORT = re.compile(r"^(\s*from \.)(" + "|".join(MOVED) + r")( import )", re.MULTILINE)
# The logger factory left the redaction module for observability/logs.py.
LOGGER = re.compile(r"^(\s*from \.)redaction( import logger\s*)$", re.MULTILINE)


def migrate(package: Path) -> list[Path]:
    changed = []
    for name in OWNED:
        path = package / name
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        moved = LOGGER.sub(r"\1observability.logs\2", text)
        moved = IMPORT.sub(lambda m: m[1] + MOVED[m[2]] + m[3], moved)
        if moved != text:
            path.write_text(moved, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    for path in migrate(Path(sys.argv[1])):
        print(f"{path}: imports now name the proxy's modules where they moved")
