"""Runs the benchmark (see bench/__init__.py) and writes its results."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, List

from bench import phases, report
from bench.machine import describe
from meso.runenv import project_environment

RESULTS = phases.ROOT / "results" / "bench" / "latest.json"
DOC = phases.ROOT / "docs" / "BENCHMARK.md"

# Load tests send faster than a person: the per-sender and per-IP rate limits are
# off, as in devstack/stack.py (all the load comes from one loopback address).
NO_RATE_LIMITS = {"RATE_LIMIT_PER_SENDER": "0", "RATE_LIMIT_PER_IP": "0", "RATE_LIMIT_SMS_PER_IP": "0"}


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--users", type=int, default=20, help="concurrent conversations (default 20)")
    parser.add_argument("--duration", type=float, default=40, help="seconds measured per load run")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of load before measuring")
    parser.add_argument("--single", type=float, default=20, help="seconds of the one-conversation run")
    parser.add_argument("--workers", type=int, default=2, help="SANIC_WORKERS of our Rasa server")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds of ours and stock")
    parser.add_argument(
        "--quick", action="store_true", help="short runs, no training, no replicas (development)"
    )
    parser.add_argument("--skip-train", action="store_true", help="do not time a full training")
    parser.add_argument("--skip-replicas", action="store_true", help="do not compare one and two replicas")
    parser.add_argument(
        "--stock-dir", type=Path, help="reuse (or create) the stock bot here instead of a temp folder"
    )
    parser.add_argument(
        "--no-doc", action="store_true", help=f"do not rewrite {DOC.relative_to(phases.ROOT)}"
    )
    parser.add_argument("--report-only", action="store_true", help="rewrite the report from the last results")
    return parser.parse_args()


def _ours_overrides(workers: int, redis_port: int | None) -> Dict[str, str]:
    overrides = {**NO_RATE_LIMITS, "SANIC_WORKERS": str(workers)}
    if redis_port is not None:
        overrides.update(
            {"LOCK_STORE_TYPE": "redis", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(redis_port)}
        )
    return overrides


def run(args: argparse.Namespace) -> Dict[str, Any]:
    """Every phase, in order; returns the result document."""
    env = {**project_environment(phases.ROOT), **NO_RATE_LIMITS}
    if args.quick:
        args.duration, args.warmup, args.single = (
            min(args.duration, 12),
            min(args.warmup, 3),
            min(args.single, 5),
        )
        args.skip_train = args.skip_replicas = True
        args.rounds = min(args.rounds, 2)
    shape = phases.LoadShape(
        users=args.users, warmup_s=args.warmup, duration_s=args.duration, single_s=args.single
    )
    result: Dict[str, Any] = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": describe(),
        "settings": {
            "concurrency": args.users,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
            "ours": f"SQLite tracker store (WAL), SANIC_WORKERS={args.workers}"
            + (" with a Redis lock store" if args.workers > 1 else " with the in-memory lock store")
            + ", one action server",
        },
        "notes": [],
    }
    with tempfile.TemporaryDirectory(prefix="meso-bench-") as tmp_name:
        tmp = Path(tmp_name)
        logs = tmp / "logs"
        logs.mkdir()
        if not args.skip_train:
            print("timing a full training...", flush=True)
            result["training_s"] = round(phases.training_seconds(env, tmp / "train"), 1)
        print("NLU parse time...", flush=True)
        result["nlu_parse_ms"] = {k: round(v, 2) for k, v in phases.nlu_parse_ms(env).items()}

        print("stock bot (rasa init)...", flush=True)
        stock_dir = phases.make_stock_bot(env, args.stock_dir or tmp / "stock")
        redis = phases.start_redis() if args.workers > 1 else None
        stacks: List[phases.Running] = []
        try:
            print("starting the stock bot and our stack...", flush=True)
            stacks.append(phases.start_stock(env, stock_dir, logs))
            overrides = _ours_overrides(args.workers, redis.port if redis else None)
            stacks.insert(0, phases.start_ours(tmp / "ours", overrides, logs, args.single))
            print(f"load, in {args.rounds} interleaved rounds...", flush=True)
            phases.interleave(stacks, shape, args.rounds)
            ours, stock = (stack.result() for stack in stacks)
            result["single_conversation"] = stacks[0].single
            result["cold_start"] = {k: round(v, 2) for k, v in stacks[0].cold_start.items()}
            result["stock_cold_start"] = {k: round(v, 2) for k, v in stacks[1].cold_start.items()}
        finally:
            for stack in stacks:
                stack.stop()
            if redis:
                redis.stop()
        result["load"] = {"ours": ours["load"], "stock": stock["load"]}
        result["cpu_ms_per_message"] = {
            "ours": ours["cpu_ms_per_message"],
            "stock": stock["cpu_ms_per_message"],
        }
        rasa_rss = [value for name, value in ours["rss_mb"].items() if name.startswith("rasa")]
        result["rss_mb"] = {"ours": {**ours["rss_mb"], "rasa_max": max(rasa_rss)}, "stock": stock["rss_mb"]}
        if not args.skip_replicas:
            result["replicas"] = {}
            for count in (1, 2):
                print(f"scale-out profile, {count} replica(s)...", flush=True)
                replicas = phases.replicas_phase(count, tmp / f"replicas{count}", shape, logs)
                result["replicas"][f"{count} replica(s), PostgreSQL + Redis"] = replicas["load"]
        result["machine"]["loadavg_after"] = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return result


def main() -> None:
    args = _arguments()
    if args.report_only:
        result = json.loads(RESULTS.read_text())
        DOC.write_text(report.markdown(result))
        print(report.console(result))
        return
    result = run(args)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    if not args.no_doc and not args.quick:
        DOC.write_text(report.markdown(result))
    print(report.console(result))


if __name__ == "__main__":
    main()
