"""A database for the browser tests, of the kind the project stores threads in.

`python -m tests.database_server` prints `DATABASE_URL=<url>` of a new, empty database and
keeps it until it is sent SIGTERM or SIGINT; then the database (for PostgreSQL, the whole
throwaway server) is deleted.
"""

from __future__ import annotations

import signal
import sys
import threading

from tests.databases import Databases


def main() -> None:
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    with Databases.start() as databases:
        print(f"DATABASE_URL={databases.create()}", flush=True)
        while not stopped.wait(1):
            pass


if __name__ == "__main__":
    sys.exit(main())
