"""How the proxy logs: every logger of the package redacts secrets, and each record is one JSON
line on stdout carrying the id of the request it was logged in."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from .redaction import RedactingFilter
from .request_log import current_request


def logger(name: str) -> logging.Logger:
    """`logging.getLogger(name)`, with secrets redacted from everything it logs."""
    log = logging.getLogger(name)
    if not any(isinstance(f, RedactingFilter) for f in log.filters):
        log.addFilter(RedactingFilter())
    return log


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extra `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request = current_request()
        if request is not None:
            entry["request_id"] = request.id
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


JsonFormatter.converter = time.gmtime


def configure_logging(level: str) -> None:
    """JSON lines on stdout for this package's loggers and the ChatKit SDK's."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    for name in (__name__.partition(".")[0], "chatkit"):
        package_log = logging.getLogger(name)
        # Idempotent: an app built twice in one process (tests) must not log twice.
        package_log.handlers = [
            h for h in package_log.handlers if not isinstance(h.formatter, JsonFormatter)
        ]
        package_log.addHandler(handler)
        package_log.setLevel(level)
        package_log.propagate = False
