"""Starts the real staff console (uvicorn, `python -m staff`) on a free loopback port."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict

from devstack.stack import ROOT, free_port, wait_until


@dataclass
class StaffServer:
    """A running console: its URL, its process and its log."""

    url: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        """Stops the console."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_staff(env: Dict[str, str], log: Path, overrides: Dict[str, str]) -> StaffServer:
    """Starts `python -m staff` with `env` (a stack's) plus `overrides` and waits for /healthz."""
    port = free_port()
    merged = {**env, "STAFF_HOST": "127.0.0.1", "STAFF_PORT": str(port), "STAFF_COOKIE_SECURE": "false", **overrides}
    handle = open(log, "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "staff"], cwd=ROOT, env=merged, stdout=handle, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    wait_until(f"{url}/healthz", 60, process)
    return StaffServer(url=url, process=process, log=log)
