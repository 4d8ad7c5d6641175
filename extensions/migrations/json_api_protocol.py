"""Copier migration: the `backend_protocol` answer `custom` is now called `json_api` (it names
the API a project's own backend speaks, not anything else "custom").

Run by `copier update` before each update, in the project's root, with the answers file and
the project's models file as arguments: the recorded answer, and any model of models.yaml that
names the protocol, take the new name. Only the old name is rewritten, so running it again
changes nothing.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

OLD, NEW = "custom", "json_api"
# `backend_protocol: custom` in the answers file; `protocol: custom` in a models.yaml entry.
ANSWER = re.compile(rf"^(backend_protocol:\s*)['\"]?{OLD}['\"]?(\s*(?:#.*)?)$", re.MULTILINE)
MODEL = re.compile(rf"^(\s*(?:-\s+)?protocol:\s*)['\"]?{OLD}['\"]?(\s*(?:#.*)?)$", re.MULTILINE)


def rename(path: Path, pattern: re.Pattern[str]) -> bool:
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    renamed = pattern.sub(rf"\g<1>{NEW}\g<2>", text)
    if renamed == text:
        return False
    path.write_text(renamed, encoding="utf-8")
    return True


if __name__ == "__main__":
    answers, models = Path(sys.argv[1]), Path(sys.argv[2])
    for path, pattern in ((answers, ANSWER), (models, MODEL)):
        if rename(path, pattern):
            print(f"{path}: backend protocol '{OLD}' is now called '{NEW}'")
