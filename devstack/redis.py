"""A throwaway redis-server on 127.0.0.1 for tests and the benchmark.

Uses the Debian `redis-server` binary (or REDIS_SERVER_BIN, or redis-server on PATH):
no persistence, no Unix socket, loopback only, its own free port.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

INSTALL_HINT = (
    "redis-server not found: install the Debian package "
    "(`apt-get install -y redis-server`; CI installs it) or set REDIS_SERVER_BIN."
)


def find_redis_server() -> Optional[str]:
    """Path of the redis-server binary, or None."""
    configured = os.environ.get("REDIS_SERVER_BIN")
    if configured and Path(configured).is_file():
        return configured
    return shutil.which("redis-server") or next(
        (path for path in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if Path(path).is_file()), None
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisServer:
    """One running redis-server: `port`, `ping`, `stop`."""

    process: subprocess.Popen
    root: Path
    port: int

    def ping(self) -> bool:
        """True when the server answers PING."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Stops the server and deletes its directory."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def start_redis(timeout: float = 10.0) -> RedisServer:
    """Starts redis-server on a free loopback port; raises RuntimeError with an install hint."""
    binary = find_redis_server()
    if binary is None:
        raise RuntimeError(INSTALL_HINT)
    root = Path(tempfile.mkdtemp(prefix="meso-redis-"))
    port = free_port()
    command = [
        binary, "--bind", "127.0.0.1", "--port", str(port), "--unixsocket", "",
        "--save", "", "--appendonly", "no", "--dir", str(root), "--protected-mode", "yes",
    ]  # fmt: skip
    with open(root / "redis.log", "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    server = RedisServer(process=process, root=root, port=port)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = (root / "redis.log").read_text(errors="replace")[-2000:]
            shutil.rmtree(root, ignore_errors=True)
            raise RuntimeError(f"redis-server exited with {process.returncode}: {output}")
        if server.ping():
            return server
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"redis-server not answering on port {port} after {timeout} s")
