"""Starts the real action server and Rasa server on free loopback ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import httpx

from meso.runenv import project_environment

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "meso.tar.gz"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(url: str, timeout: float, process: subprocess.Popen) -> None:
    """Waits for `url` to answer 200, failing early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout} s")


@dataclass
class Stack:
    """A running assistant: its URLs, environment and processes."""

    data_dir: Path
    env: Dict[str, str]
    rasa_url: str = ""
    actions_url: str = ""
    processes: Dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: List[Path] = field(default_factory=list)

    def start_actions(self) -> None:
        """Starts (or restarts) the action server."""
        port = int(self.env["ACTION_SERVER_PORT"])
        self.processes["actions"] = self._spawn("actions", [sys.executable, "-m", "actions"])
        self.actions_url = f"http://127.0.0.1:{port}"
        wait_until(f"{self.actions_url}/health", 60, self.processes["actions"])

    def start_rasa(
        self, extra_args: Optional[List[str]] = None, name: str = "rasa", wait: bool = True
    ) -> None:
        """Starts a Rasa server with the trained model (and waits until it answers)."""
        port = int(self.env["RASA_PORT"])
        # The Procfile's launcher: RASA_MODEL, RASA_HOST and RASA_PORT come from env.
        command = [sys.executable, "-m", "serving.rasa_server", *(extra_args or [])]
        self.processes[name] = self._spawn(name, command)
        self.rasa_url = f"http://127.0.0.1:{port}"
        if wait:
            wait_until(f"{self.rasa_url}/webhooks/rest/", 120, self.processes[name])

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        """Stops one process (SIGKILL to simulate a crash)."""
        process = self.processes.pop(name, None)
        if process and process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stop_all(self) -> None:
        """Stops every process of the stack."""
        for name in list(self.processes):
            self.stop(name)

    def say(self, sender: str, text: str, timeout: float = 30) -> List[dict]:
        """Sends a message over the REST channel and returns the replies."""
        reply = httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=timeout,
        )
        reply.raise_for_status()
        return reply.json()

    def _spawn(self, name: str, command: List[str]) -> subprocess.Popen:
        log = self.data_dir / f"{name}.log"
        self.logs.append(log)
        handle = open(log, "ab")
        return subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT)


def make_stack(data_dir: Path, overrides: Optional[Dict[str, str]] = None) -> Stack:
    """A stack configuration with its own ports and databases under `data_dir`."""
    if not MODEL.exists():
        raise RuntimeError("No trained model: run `make train` (make test does it).")
    data_dir.mkdir(parents=True, exist_ok=True)
    env = project_environment(ROOT)
    actions_port, rasa_port = free_port(), free_port()
    env.update(
        {
            "DATA_DIR": str(data_dir),
            "ACTION_SERVER_PORT": str(actions_port),
            "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook",
            "RASA_PORT": str(rasa_port),
            "RASA_HOST": "127.0.0.1",
            "RASA_MODEL": str(MODEL),
            "TRACKER_DB_URL": f"sqlite:///{data_dir / 'rasa.db'}",
            "ESCALATION_DB_URL": f"sqlite:///{data_dir / 'escalations.db'}",
            "CLINIC_PHONE": "(818) 555-0100",
            "LOG_LEVEL": "INFO",
            # Rate limits off: functional and load tests send faster than a person;
            # tests/hostile and tests/fuzz set their own.
            "RATE_LIMIT_PER_SENDER": "0",
            "RATE_LIMIT_PER_IP": "0",
            "RATE_LIMIT_SMS_PER_IP": "0",
            **(overrides or {}),
        }
    )
    env.pop("PYTEST_CURRENT_TEST", None)
    os.makedirs(data_dir, exist_ok=True)
    return Stack(data_dir=data_dir, env=env)


@contextmanager
def running_stack(
    data_dir: Path, overrides: Optional[Dict[str, str]] = None, widget_page_origin: bool = False
) -> Iterator[Stack]:
    """An action server and a Rasa server on free loopback ports, stopped on exit.

    `widget_page_origin` allows the Rasa server's own origin (its /chat/ page) for socket.io.
    """
    stack = make_stack(data_dir, overrides)
    if widget_page_origin:
        stack.env["ALLOWED_ORIGINS"] = f"http://127.0.0.1:{stack.env['RASA_PORT']}"
    try:
        stack.start_actions()
        stack.start_rasa()
        yield stack
    finally:
        stack.stop_all()
