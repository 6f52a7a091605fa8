"""Each measured phase of the benchmark: starts what it measures, measures, stops it."""

from __future__ import annotations

import glob
import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from bench.load import run_load
from bench.mix import conversations
from bench.procs import Process, environment, first_answer, spawn, wait_answering
from tests.support.postgres import start_postgres
from tests.support.redis import start_redis
from tests.support.stack import free_port, make_stack

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
class StackRun:
    """What one started stack measured."""

    load: Dict[str, Any] = field(default_factory=dict)
    rss_mb: Dict[str, float] = field(default_factory=dict)
    cold_start: Dict[str, float] = field(default_factory=dict)
    single: Optional[Dict[str, Any]] = None
    cpu_ms_per_message: Dict[str, float] = field(default_factory=dict)


def _rasa_command() -> List[str]:
    # The Procfile's launcher; RASA_MODEL, RASA_HOST and RASA_PORT come from the environment.
    return [sys.executable, "-m", "meso.rasa_server"]


def training_seconds(base_env: Dict[str, str], out_dir: Path) -> float:
    """Wall time of a full, forced `rasa train` of our project (model thrown away)."""
    began = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "--force", "--quiet", "--out", str(out_dir), "--fixed-model-name", "bench"],
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


def _measure(
    rasa: List[Process], urls: List[str], others: List[Process], shape: LoadShape, seed: int, label: str
) -> StackRun:
    run = StackRun()
    webhooks = [f"{url}{REST}/webhook" for url in urls]
    processes = [*rasa, *others]
    before = {name: value for process in processes for name, value in process.cpu().items()}
    own_before = resource.getrusage(resource.RUSAGE_SELF)
    summary, turns = run_load(
        webhooks, conversations(seed, label), shape.users, shape.warmup_s, shape.duration_s
    )
    own_after = resource.getrusage(resource.RUSAGE_SELF)
    after = {name: value for process in processes for name, value in process.cpu().items()}
    # CPU per message does not depend on what else the machine runs: the steadiest figure.
    total = max(1, turns)
    run.cpu_ms_per_message = {
        name: round((after[name] - before.get(name, 0.0)) * 1000 / total, 2) for name in after
    }
    own = own_after.ru_utime + own_after.ru_stime - own_before.ru_utime - own_before.ru_stime
    run.cpu_ms_per_message["load generator"] = round(own * 1000 / total, 2)
    run.load = summary.as_dict()
    for process in processes:
        run.rss_mb.update(process.peak_rss())
    return run


def _start_rasa(name: str, env: Dict[str, str], log_dir: Path) -> Tuple[Process, str, Dict[str, float]]:
    """Starts one Rasa server; returns it, its URL and its cold start times."""
    process = spawn(name, _rasa_command(), ROOT, env, log_dir)
    url = f"http://127.0.0.1:{env['RASA_PORT']}"
    ready = wait_answering(f"{url}{REST}/", process, START_TIMEOUT)
    answered = first_answer(f"{url}{REST}/webhook", process)
    return process, url, {"ready_s": ready, "first_answer_s": answered}


def stock_phase(base_env: Dict[str, str], folder: Path, shape: LoadShape, log_dir: Path) -> StackRun:
    """The stock bot: its own `rasa run` (REST channel, in-memory stores, 1 worker)."""
    port = free_port()
    env = environment(base_env, RASA_TELEMETRY_ENABLED="false")
    command = [sys.executable, "-m", "rasa", "run", "--interface", "127.0.0.1", "--port", str(port)]
    process = spawn("stock-rasa", command, folder, env, log_dir)
    try:
        url = f"http://127.0.0.1:{port}"
        cold = {
            "ready_s": wait_answering(f"{url}{REST}/", process, START_TIMEOUT),
            "first_answer_s": first_answer(f"{url}{REST}/webhook", process),
        }
        run = _measure([process], [url], [], shape, seed=1, label="stock")
        run.cold_start = cold
        return run
    finally:
        process.stop()


def ours_phase(data_dir: Path, overrides: Dict[str, str], shape: LoadShape, log_dir: Path) -> StackRun:
    """Our stack (action server + Rasa server) as configured, plus `overrides`."""
    stack = make_stack(data_dir, overrides)
    env = environment(stack.env)
    processes: List[Process] = []
    try:
        actions = spawn("actions", [sys.executable, "-m", "actions"], ROOT, env, log_dir)
        processes.append(actions)
        wait_answering(f"http://127.0.0.1:{env['ACTION_SERVER_PORT']}/health", actions, START_TIMEOUT)
        rasa, url, cold = _start_rasa("rasa", env, log_dir)
        processes.append(rasa)
        single = None
        if shape.single_s > 0:
            idle, _ = run_load(
                [f"{url}{REST}/webhook"],
                conversations(2, "single"),
                1,
                min(2.0, shape.warmup_s),
                shape.single_s,
            )
            single = idle.as_dict()
        run = _measure([rasa], [url], [actions], shape, seed=1, label="ours")
        run.cold_start, run.single = cold, single
        return run
    finally:
        for process in reversed(processes):
            process.stop()


def replicas_phase(replicas: int, data_dir: Path, shape: LoadShape, log_dir: Path) -> StackRun:
    """The scale-out profile: PostgreSQL, Redis, one action server, `replicas` Rasa servers.

    The load generator alternates the turns of every conversation between replicas.
    """
    postgres, redis = start_postgres(), start_redis()
    processes: List[Process] = []
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
        stack = make_stack(data_dir, overrides)
        env = environment(stack.env)
        actions = spawn("actions", [sys.executable, "-m", "actions"], ROOT, env, log_dir)
        processes.append(actions)
        wait_answering(f"http://127.0.0.1:{env['ACTION_SERVER_PORT']}/health", actions, START_TIMEOUT)
        urls = []
        rasa = []
        for number in range(replicas):
            replica_env = environment(env, RASA_PORT=str(free_port()))
            process, url, _ = _start_rasa(f"rasa-{number + 1}", replica_env, log_dir)
            processes.append(process)
            rasa.append(process)
            urls.append(url)
        return _measure(rasa, urls, [actions], shape, seed=3, label=f"replicas{replicas}")
    finally:
        for process in reversed(processes):
            process.stop()
        redis.stop()
        postgres.destroy()


def nlu_parse_ms(base_env: Dict[str, str], model: Path = MODEL) -> Dict[str, float]:
    """NLU parse time alone, in a separate process (`bench.nlu`)."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.nlu", str(model)],
        cwd=ROOT, env=environment(base_env), check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(output.stdout.strip().splitlines()[-1])
