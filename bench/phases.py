"""The benchmark's phases: start a stack, measure it (alone or interleaved with another), stop it."""

from __future__ import annotations

import glob
import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from bench.load import Tally, run_load
from bench.mix import Conversation, conversations
from bench.procs import Process, environment, first_answer, spawn, wait_answering
from devstack.postgres import start_postgres
from devstack.redis import start_redis
from devstack.stack import free_port, make_stack

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "meso.tar.gz"
REST = "/webhooks/rest"
START_TIMEOUT = 300.0


@dataclass(frozen=True)
class LoadShape:
    """How hard and how long each load run is."""

    users: int
    warmup_s: float
    duration_s: float
    single_s: float


@dataclass
class Running:
    """A started stack, and what its measured load runs added up to."""

    label: str
    urls: List[str]
    processes: List[Process]
    cold_start: Dict[str, float] = field(default_factory=dict)
    single: Optional[Dict[str, Any]] = None
    tally: Tally = field(default_factory=Tally)
    cpu_s: Dict[str, float] = field(default_factory=dict)
    load_generator_cpu_s: float = 0.0
    stream: Iterator[Conversation] = field(default_factory=lambda: iter(()))

    def measure(self, users: int, warmup_s: float, seconds: float) -> None:
        """One load run; its figures and CPU time are added to the stack's."""
        before = self._cpu()
        own_before = _own_cpu()
        webhooks = [f"{url}{REST}/webhook" for url in self.urls]
        self.tally.add(run_load(webhooks, self.stream, users, warmup_s, seconds))
        self.load_generator_cpu_s += _own_cpu() - own_before
        for name, value in self._cpu().items():
            self.cpu_s[name] = self.cpu_s.get(name, 0.0) + value - before.get(name, 0.0)

    def result(self) -> Dict[str, Any]:
        """Load summary, CPU per message (every turn sent, warm-ups included) and peak RSS."""
        turns = max(1, self.tally.turns)
        cpu = {name: round(value * 1000 / turns, 2) for name, value in self.cpu_s.items()}
        cpu["load generator"] = round(self.load_generator_cpu_s * 1000 / turns, 2)
        rss = {name: round(value) for process in self.processes for name, value in process.peak_rss().items()}
        return {"load": self.tally.summary().as_dict(), "cpu_ms_per_message": cpu, "rss_mb": rss}

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def _cpu(self) -> Dict[str, float]:
        return {name: value for process in self.processes for name, value in process.cpu().items()}


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rasa_command() -> List[str]:
    # The Procfile's launcher; RASA_MODEL, RASA_HOST and RASA_PORT come from the environment.
    return [sys.executable, "-m", "serving.rasa_server"]


def training_seconds(base_env: Dict[str, str], out_dir: Path) -> float:
    """Wall time of a full, forced training of our project as `make train` runs it (model thrown away)."""
    began = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "serving", "train", "--force", "--quiet", "--out", str(out_dir), "--fixed-model-name", "bench"],
        cwd=ROOT, env=environment(base_env), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return time.monotonic() - began


def make_stock_bot(base_env: Dict[str, str], folder: Path) -> Path:
    """`rasa init --no-prompt` in `folder` (it trains the model); returns the folder."""
    if not glob.glob(str(folder / "models" / "*.tar.gz")):
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "rasa", "init", "--no-prompt", "--init-dir", str(folder)],
            cwd=folder, env=environment(base_env), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    return folder


def _cold_start(process: Process, url: str) -> Dict[str, float]:
    return {
        "ready_s": wait_answering(f"{url}{REST}/", process, START_TIMEOUT),
        "first_answer_s": first_answer(f"{url}{REST}/webhook", process),
    }


def _start_rasa(name: str, env: Dict[str, str], log_dir: Path) -> Tuple[Process, str, Dict[str, float]]:
    """Starts one of our Rasa servers; returns it, its URL and its cold start times."""
    process = spawn(name, _rasa_command(), ROOT, env, log_dir)
    url = f"http://127.0.0.1:{env['RASA_PORT']}"
    return process, url, _cold_start(process, url)


def start_stock(base_env: Dict[str, str], folder: Path, log_dir: Path) -> Running:
    """The stock bot: its own `rasa run` (REST channel, in-memory stores, 1 worker)."""
    port = free_port()
    env = environment(base_env, RASA_TELEMETRY_ENABLED="false")
    command = [sys.executable, "-m", "rasa", "run", "--interface", "127.0.0.1", "--port", str(port)]
    process = spawn("stock-rasa", command, folder, env, log_dir)
    url = f"http://127.0.0.1:{port}"
    try:
        cold = _cold_start(process, url)
    except BaseException:
        process.stop()
        raise
    return Running("stock", [url], [process], cold_start=cold, stream=conversations(1, "stock"))


def _start_actions(env: Dict[str, str], log_dir: Path) -> Process:
    actions = spawn("actions", [sys.executable, "-m", "actions"], ROOT, env, log_dir)
    wait_answering(f"http://127.0.0.1:{env['ACTION_SERVER_PORT']}/health", actions, START_TIMEOUT)
    return actions


def start_ours(data_dir: Path, overrides: Dict[str, str], log_dir: Path, single_s: float) -> Running:
    """Our stack (action server + Rasa server) as configured plus `overrides`.

    Right after the start, one conversation alone measures the idle server.
    """
    env = environment(make_stack(data_dir, overrides).env)
    running = Running("ours", [], [], stream=conversations(1, "ours"))
    try:
        running.processes.append(_start_actions(env, log_dir))
        rasa, url, running.cold_start = _start_rasa("rasa", env, log_dir)
        running.processes.insert(0, rasa)
        running.urls.append(url)
        if single_s > 0:
            alone = run_load([f"{url}{REST}/webhook"], conversations(2, "single"), 1, 2.0, single_s)
            running.single = alone.summary().as_dict()
    except BaseException:
        running.stop()
        raise
    return running


def interleave(stacks: Sequence[Running], shape: LoadShape, rounds: int) -> None:
    """Measures the stacks in turns (A B B A ...), so each meets the same background load.

    A shared machine's other work comes and goes; stacks measured one after the other
    minutes apart would not compare. Each turn warms up again before measuring.
    """
    seconds = shape.duration_s / rounds
    for number in range(rounds):
        for stack in stacks if number % 2 == 0 else list(reversed(stacks)):
            warmup = shape.warmup_s if number < 2 else min(2.0, shape.warmup_s)
            stack.measure(shape.users, warmup, seconds)


def replicas_phase(replicas: int, data_dir: Path, shape: LoadShape, log_dir: Path) -> Dict[str, Any]:
    """The scale-out profile: PostgreSQL, Redis, one action server, `replicas` Rasa servers.

    The load generator alternates the turns of every conversation between replicas.
    """
    postgres, redis = start_postgres(), start_redis()
    running = Running(f"replicas{replicas}", [], [], stream=conversations(3, f"replicas{replicas}"))
    try:
        overrides = {
            "TRACKER_DB_DIALECT": "postgresql",
            "TRACKER_DB_URL": postgres.new_database(),
            "ESCALATION_DB_URL": postgres.new_database(),
            "LOCK_STORE_TYPE": "redis",
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(redis.port),
            "SANIC_WORKERS": "1",
        }
        env = environment(make_stack(data_dir, overrides).env)
        running.processes.append(_start_actions(env, log_dir))
        for number in range(replicas):
            process, url, _ = _start_rasa(
                f"rasa-{number + 1}", environment(env, RASA_PORT=str(free_port())), log_dir
            )
            running.processes.insert(0, process)
            running.urls.append(url)
        running.measure(shape.users, shape.warmup_s, shape.duration_s)
        return running.result()
    finally:
        running.stop()
        redis.stop()
        postgres.destroy()


def nlu_parse_ms(base_env: Dict[str, str], model: Path = MODEL) -> Dict[str, float]:
    """NLU parse time alone, in a separate process (`bench.nlu`)."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.nlu", str(model)],
        cwd=ROOT, env=environment(base_env), check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(output.stdout.strip().splitlines()[-1])
