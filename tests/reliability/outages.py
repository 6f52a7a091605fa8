"""Real outages for the reliability tests: locked SQLite files and hung listeners."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List

# Another process opens the file and holds an exclusive lock until its stdin closes.
_LOCKER = (
    "import sqlite3, sys\n"
    "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "db.execute('BEGIN EXCLUSIVE')\n"
    "print('locked', flush=True)\n"
    "sys.stdin.read()\n"
)


@contextmanager
def sqlite_locked(path: Path) -> Iterator[subprocess.Popen]:
    """Another process holds an exclusive lock on the SQLite file while the block runs."""
    locker = subprocess.Popen(
        [sys.executable, "-c", _LOCKER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert locker.stdout is not None and locker.stdout.readline().strip() == b"locked"
        yield locker
    finally:
        if locker.stdin is not None:
            locker.stdin.close()
        locker.wait(timeout=10)


@contextmanager
def hung_listener() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts every connection and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: List[socket.socket] = []

    def accept_forever() -> None:
        while True:
            try:
                held.append(server.accept()[0])  # kept open, never read, never written
            except OSError:
                return

    threading.Thread(target=accept_forever, daemon=True).start()
    try:
        yield int(server.getsockname()[1])
    finally:
        try:
            server.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        except OSError:
            pass
        server.close()
        for connection in held:
            connection.close()
