"""Build the web app with marker values for every server-side setting, then prove that none
of them reached the browser bundle (`web/.next/static`).

    uv run --project proxy python scripts/check_bundle.py

Every variable in `.env.example` except NEXT_PUBLIC_* gets a unique marker value for the
build; a marker found in a static file means a backend URL or secret would ship to browsers.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "web" / ".next" / "static"
# The domain key is public by design: finding it shows the scan reads the client code.
PUBLIC_PROBE = "NEXT_PUBLIC_CHATKIT_DOMAIN_KEY"


def server_side_names() -> list[str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    names = re.findall(r"(?m)^#?\s*([A-Z][A-Z0-9_]*)=", text)
    return sorted({name for name in names if not name.startswith("NEXT_PUBLIC_")})


def marker(name: str) -> str:
    token = f"{name.lower().replace('_', '-')}-{secrets.token_hex(6)}"
    return f"https://{token}.invalid/v1" if name.endswith("_URL") else f"marker-{token}"


def main() -> int:
    markers = {name: marker(name) for name in server_side_names()}
    probe = os.environ.get(PUBLIC_PROBE) or "domain_pk_localhost_dev"
    env = {**os.environ, **markers, PUBLIC_PROBE: probe}
    subprocess.run(["npm", "run", "build"], cwd=ROOT / "web", env=env, check=True)

    files = [path for path in STATIC.rglob("*") if path.is_file()]
    texts = {path: path.read_text(encoding="utf-8", errors="replace") for path in files}
    if not any(probe in text for text in texts.values()):
        print(f"check_bundle: {PUBLIC_PROBE} is not in {STATIC}: the scan reads the wrong files")
        return 1
    leaks = [
        f"{name} in {path.relative_to(ROOT)}"
        for name, value in markers.items()
        for path, text in texts.items()
        if value in text
    ]
    if leaks:
        print("check_bundle: server-side settings in the browser bundle:\n  " + "\n  ".join(leaks))
        return 1
    print(f"check_bundle: {len(markers)} server-side settings, none in {len(files)} static files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
