"""Keeps secrets and tokens out of the logs.

Every logger of this package redacts its records with `RedactingFilter` (`logs.logger()` adds
it), before any handler sees them: configured secret values, bearer tokens, JWTs, credentials
in URLs and key-like query parameters are replaced by `[redacted]`.
"""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    (re.compile(r"(?i)\b(bearer|basic)\s+[\w.~+/=-]+"), r"\1 [redacted]"),
    (re.compile(r"\beyJ[\w-]*\.[\w-]+\.[\w-]*"), "[redacted]"),
    (re.compile(r"(?i)(\w+://)[^/\s:@]+:[^/\s@]+@"), r"\1[redacted]@"),
    (
        re.compile(r"(?i)([?&][\w-]*(?:key|token|secret|password|sig)[\w-]*=)[^&\s\"']+"),
        r"\1[redacted]",
    ),
]
# Shorter values are too likely to occur by chance ("true", a port number...).
_MIN_SECRET_LENGTH = 8


class Redactor:
    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, *values: str) -> None:
        self._secrets.update(v for v in values if len(v) >= _MIN_SECRET_LENGTH)

    def __call__(self, text: str) -> str:
        # Longest first, so a secret containing another one is replaced whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "[redacted]")
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


# One per process: the values come from the Settings when the app starts.
REDACTOR = Redactor()


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = REDACTOR(message), None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = REDACTOR(text), None
        return True
