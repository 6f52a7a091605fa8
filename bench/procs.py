"""Process control for the benchmark: spawn, wait until answering, peak RSS from /proc."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import httpx


def children(pid: int) -> List[int]:
    """Every descendant of `pid` (Sanic forks its workers), from /proc."""
    parents: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in parents.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def peak_rss_mb(pid: int) -> Optional[float]:
    """VmHWM (peak resident set size since start) of one process, in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> Optional[float]:
    """User + system CPU time a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Process:
    """A spawned server with its log file and start time."""

    name: str
    popen: subprocess.Popen
    log: Path
    started: float = field(default_factory=time.monotonic)

    def pids(self) -> Dict[str, int]:
        """The process and its descendants (Sanic workers), by display name."""
        pids = [self.popen.pid, *children(self.popen.pid)]
        return {self.name if i == 0 else f"{self.name} worker {i}": pid for i, pid in enumerate(pids)}

    def peak_rss(self) -> Dict[str, float]:
        """Peak RSS of the process and of each of its descendants."""
        values = {name: peak_rss_mb(pid) for name, pid in self.pids().items()}
        return {name: value for name, value in values.items() if value is not None}

    def cpu(self) -> Dict[str, float]:
        """CPU seconds used so far by the process and each of its descendants."""
        values = {name: cpu_seconds(pid) for name, pid in self.pids().items()}
        return {name: value for name, value in values.items() if value is not None}

    def stop(self, timeout: float = 20) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def spawn(name: str, command: Sequence[str], cwd: Path, env: Dict[str, str], log_dir: Path) -> Process:
    """Starts `command` with its output in `log_dir/name.log`."""
    log = log_dir / f"{name}.log"
    with open(log, "ab") as handle:
        popen = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT)
    return Process(name=name, popen=popen, log=log)


def wait_answering(url: str, process: Process, timeout: float) -> float:
    """Seconds from the process start until GET `url` answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            tail = process.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{process.name} exited with {process.popen.returncode}:\n{tail}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return time.monotonic() - process.started
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} not answering after {timeout} s")


def first_answer(webhook: str, process: Process, sender: str = "bench-cold-start") -> float:
    """Seconds from the process start until a first message gets a reply."""
    reply = httpx.post(webhook, json={"sender": sender, "message": "hello"}, timeout=60)
    reply.raise_for_status()
    if not reply.json():
        raise RuntimeError(f"{process.name}: no reply to the first message")
    return time.monotonic() - process.started


def environment(base: Dict[str, str], **overrides: str) -> Dict[str, str]:
    """A copy of `base` with overrides, never leaking pytest's variables."""
    env = {**base, **overrides}
    env.pop("PYTEST_CURRENT_TEST", None)
    env.setdefault("PATH", os.environ.get("PATH", ""))
    return env
