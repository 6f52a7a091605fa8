"""A throwaway PostgreSQL cluster on 127.0.0.1 for tests, with stop/start for outages.

Uses the server binaries of the Debian `postgresql` package (or PG_BIN_DIR, or pg_ctl on
PATH). initdb refuses to run as root, so as root the cluster belongs to the `postgres` OS
user and every server command runs through `runuser -u postgres --`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

import psycopg2

INSTALL_HINT = (
    "PostgreSQL server binaries not found: install the Debian package "
    "(`apt-get install -y postgresql`; CI installs it) or set PG_BIN_DIR."
)


def find_bin_dir() -> Optional[Path]:
    """The directory holding initdb and pg_ctl, newest version first."""
    candidates: List[str] = []
    if os.environ.get("PG_BIN_DIR"):
        candidates.append(os.environ["PG_BIN_DIR"])
    # Debian's layout: /usr/lib/postgresql/<major>/bin.
    debian = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(
        debian,
        key=lambda path: int(Path(path).parent.name) if Path(path).parent.name.isdigit() else 0,
        reverse=True,
    )
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for candidate in candidates:
        if (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """One cluster: `start`, `stop`, `new_database`, `destroy`."""

    bin_dir: Path
    root: Path
    port: int = field(default_factory=free_port)
    user: Optional[str] = None  # OS user running the server (None: the current user)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def _command(self, tool: str, *args: str) -> List[str]:
        command = [str(self.bin_dir / tool), *args]
        return ["runuser", "-u", self.user, "--", *command] if self.user else command

    def _run(self, tool: str, *args: str) -> None:
        result = subprocess.run(self._command(tool, *args), capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            log = self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""
            raise RuntimeError(f"{tool} failed ({result.returncode}): {result.stderr.strip()}\n{log}")

    def init(self) -> None:
        """Creates the cluster (trust auth on loopback only, no Unix socket)."""
        self._run(
            "initdb", "-D", str(self.data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"
        )

    def start(self) -> None:
        """Starts the server and waits until it accepts connections."""
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "start",
        )

    def stop(self) -> None:
        """Stops the server (fast shutdown: open connections are cut)."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "30", "stop")

    def running(self) -> bool:
        """True while the server accepts TCP connections."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of `database` on this server."""
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """Creates an empty database and returns its SQLAlchemy URL."""
        name = f"test_{uuid.uuid4().hex[:12]}"
        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
        return self.url(name)

    def destroy(self) -> None:
        """Stops the server if running and deletes the cluster."""
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """Creates and starts a throwaway cluster; raises RuntimeError with an install hint."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError(INSTALL_HINT)
    root = Path(tempfile.mkdtemp(prefix="meso-pg-"))
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        try:
            owner = pwd.getpwnam(user)
        except KeyError as exc:
            raise RuntimeError(f"running as root needs the `postgres` OS user. {INSTALL_HINT}") from exc
        os.chown(root, owner.pw_uid, owner.pw_gid)
    server = PostgresServer(bin_dir=bin_dir, root=root, user=user)
    try:
        server.init()
        server.start()
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server
