"""Make a release of the template: `uv run python scripts/release.py 0.2.0`.

It refuses unless the work tree is clean, the version is a PEP 440 release that is not tagged
yet, pyproject.toml has that version, and CHANGELOG.md has a dated section for it (rename
"[Unreleased]" to "[0.2.0] - YYYY-MM-DD" and commit). Then it runs the template's test suite,
the command CI runs, and tags the commit `v0.2.0` with the section as the tag's message: the
tag is what `copier update` offers. Push it with `git push origin v0.2.0`.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION = re.compile(r"^\d+\.\d+\.\d+((a|b|rc)\d+)?$")


class Refused(Exception):
    """Why the release cannot be made, as a sentence."""


def changelog_section(changelog: str, version: str) -> str:
    """The body of `## [version] - YYYY-MM-DD`, without its heading."""
    heading = re.compile(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", re.MULTILINE)
    found = heading.search(changelog)
    if found is None:
        raise Refused(
            f"CHANGELOG.md has no '## [{version}] - YYYY-MM-DD' section: rename [Unreleased] "
            "to it and commit"
        )
    rest = changelog[found.end() :]
    following = re.search(r"^## \[", rest, re.MULTILINE)
    body = rest[: following.start() if following else len(rest)].strip()
    if not body:
        raise Refused(f"the CHANGELOG.md section of {version} is empty")
    return body


def check(root: Path, version: str) -> str:
    """The tag's message, once everything a release needs holds; else Refused."""
    if not VERSION.match(version):
        raise Refused(f"{version!r} is not a release version such as 0.2.0 or 0.2.0rc1")
    if _git(root, "status", "--porcelain"):
        raise Refused("the work tree has uncommitted changes: commit or stash them first")
    if _git(root, "tag", "--list", f"v{version}"):
        raise Refused(f"v{version} is tagged already")
    declared = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    if declared["project"]["version"] != version:
        raise Refused(
            f"pyproject.toml says version {declared['project']['version']}: set it to {version}"
        )
    body = changelog_section((root / "CHANGELOG.md").read_text(encoding="utf-8"), version)
    return f"v{version}\n\n{body}\n"


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", help="the PEP 440 version to release, e.g. 0.2.0")
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="the template's repository (default: this one)"
    )
    parser.add_argument(
        "--tested",
        action="store_true",
        help="skip the test suite: CI has just passed on this very commit",
    )
    args = parser.parse_args(argv)
    try:
        message = check(args.root, args.version)
    except Refused as refusal:
        print(f"release refused: {refusal}", file=sys.stderr)
        return 1
    if not args.tested:
        print("Running the template's test suite (uv run pytest)...", flush=True)
        if subprocess.run(["uv", "run", "pytest"], cwd=args.root, check=False).returncode:
            print("release refused: the test suite failed", file=sys.stderr)
            return 1
    # verbatim: the default cleanup would drop the changelog's "### Added" lines as comments.
    _git(args.root, "tag", "--annotate", "--cleanup=verbatim", f"v{args.version}", "-m", message)
    print(f"Tagged v{args.version}. Publish it with: git push origin v{args.version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
