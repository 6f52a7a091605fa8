"""The benchmark result as a console table and as docs/BENCHMARK.md (pure)."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from bench.targets import checks

MARK = {True: "met", False: "NOT MET", None: "-"}

# What profiling found and what changed; effects measured while developing (py-spy,
# pyinstrument, CPU per message), not by the run above.
DESIGN = """## Where the time went, and what changed

Profiled with py-spy (servers under load, `rasa train`, cold start) and pyinstrument
(turns in process). Before the changes our stack answered 10 messages/s against the
stock bot's 16 in the same run, using about 100 ms of Rasa CPU per message.

| change | where the time went | effect |
| --- | --- | --- |
| action replies checked with a schema compiled once (`serving/fixes.py`) | Rasa's `jsonschema.validate` re-checks its schema against the draft 2020-12 meta-schema on every action call: 43% of the Rasa server's CPU | about 100 ms less CPU per action call |
| event classes looked up in a table (`serving/fixes.py`) | every stored event is turned back into its class by a recursive scan of `Event` subclasses | about 5 ms less per turn |
| tracker store with one INSERT per turn (`serving/tracker_store.py`) | Rasa counts the stored events before every save, adds rows one ORM object at a time, opens a SQLite connection per query and waits for the disk on every commit | saving a turn: about 15 ms to 2 ms |
| same store: load query built once | Rasa rebuilds its ORM query on every load | about 2 ms less per turn |
| no MemoizationPolicy (`config.yml`) | with no stories it learns nothing, yet featurised the whole conversation on every prediction | about 3 ms less per turn |
| one HTTP session per worker for the action server (`serving/fixes.py`) | Rasa opens a session and a TCP connection for every action call | about 2 ms less per action call |
| escalation writes off the action server's event loop (`actions/escalation.py`) | a committed escalation (fsync) blocked every other conversation's action calls | call-back turn under load: 1.5 s to 1.0 s |
| skops imported before Rasa (`serving/preload.py`, `serving/rasa_server.py`, `make train`) | skops scans every loaded module for each numpy/scipy ufunc; after TensorFlow there are about 6,000 | cold start about 40 s to 7-12 s; training about 8 s less |
| heap frozen after the model loads (`gc.freeze`, `serving/fixes.py`) | a full garbage collection scanned the ~560,000 objects loaded at start: a 0.3 s pause for every turn in progress | no such pauses in the slowest turns |
| two Sanic workers with the Redis lock store | one Rasa process uses one core | throughput about x1.5-1.8 on 2 cores, once connections reach both workers (see `docs/DEPLOYMENT.md`) |
| the answer index's meaning view without BLAS (`meso/content/index.py`, `meso/content/meaning.py`) | a dense matrix-vector product woke OpenBLAS's threads, which spun after it and took the second core | action server 5.6 to 2.25 ms CPU per message, as before the view (2.21 ms) |

The meaning view (2026-12-03) was measured against the code before it on the same 2-core
Xeon, one run each: throughput 3.02x against 3.00x, p95 0.52x against 0.53x of the stock
bot's, the action server's peak RSS 182 MB against 124 MB (the word vectors). The p95
target, met at 0.47x on the 2-core EPYC of earlier runs, is missed on this machine with or
without the view.

Not changed, for the NLU owners: the pipeline's `LogisticRegressionClassifier` builds
its feature matrix one message at a time (9 s of a 60 s training and a large share of each parse), and its `max_iter: 300` fit takes 11 s of training.
"""


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> List[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _num(value: Any, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def load_rows(result: Dict[str, Any]) -> List[List[str]]:
    """One row per load run: who, throughput, percentiles, errors."""
    rows = []
    runs = [(f"{name} (20 conversations)", run) for name, run in (result.get("load") or {}).items()]
    runs += [(f"replicas: {name}", run) for name, run in (result.get("replicas") or {}).items()]
    if result.get("single_conversation"):
        runs.append(("ours, one conversation, idle", result["single_conversation"]))
    for name, run in runs:
        rows.append(
            [name, _num(run.get("throughput")), _num(run.get("p50_ms")), _num(run.get("p95_ms")),
             _num(run.get("p99_ms")), str(run.get("errors", "-")), str(run.get("empty", "-")),
             str(run.get("messages", "-"))]
        )  # fmt: skip
    return rows


def server_cpu_ms(processes: Dict[str, float]) -> float:
    """CPU per message of the servers of a stack (the load generator left out)."""
    return sum(value for name, value in processes.items() if name != "load generator")


def cpu_rows(result: Dict[str, Any]) -> List[List[str]]:
    """Per stack: CPU ms per message of each process, and of the servers together."""
    rows = []
    for who, processes in (result.get("cpu_ms_per_message") or {}).items():
        rows += [[who, name, _num(value, 2)] for name, value in processes.items()]
        rows.append([who, "**servers together**", f"**{_num(server_cpu_ms(processes), 2)}**"])
    return rows


def console(result: Dict[str, Any]) -> str:
    """A short plain-text summary for the terminal."""
    lines = [f"{'run':<44} {'msg/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'err':>4} {'empty':>5}"]
    for row in load_rows(result):
        lines.append(f"{row[0]:<44} {row[1]:>7} {row[2]:>7} {row[3]:>7} {row[4]:>7} {row[5]:>4} {row[6]:>5}")
    cpu = result.get("cpu_ms_per_message") or {}
    if cpu:
        lines.append("")
        lines += [f"CPU per message, servers: {who} {server_cpu_ms(p):.1f} ms" for who, p in cpu.items()]
    lines.append("")
    for check in checks(result):
        lines.append(f"{check.name:<32} {check.target:>10}  {check.measured:>14}  {MARK[check.met]}")
    return "\n".join(lines)


def markdown(result: Dict[str, Any]) -> str:
    """docs/BENCHMARK.md."""
    machine = result.get("machine", {})
    settings = result.get("settings", {})
    out = [
        "# Benchmark",
        "",
        "Written by `make bench` (`python -m bench`, code in `bench/`); the raw figures are in",
        "`results/bench/latest.json`. Load: closed-loop asyncio client over the REST channel,",
        f"{settings.get('concurrency', '-')} concurrent conversations, {settings.get('duration_s', '-')} s measured per stack "
        f"in {settings.get('rounds', 1)} interleaved rounds (ours, stock, stock, ours, ...; each after a warm-up),",
        "so that both meet the same background load; conversations of several turns drawn from",
        "`bench/mix.py` (topic questions, risk messages, chit-chat, the call-back form). The stock bot",
        "is `rasa init --no-prompt` made in a temporary folder and trained with the same Rasa, its",
        "REST channel driven with the same conversations in the same run. An error is a failed turn",
        "(HTTP error, timeout). An empty answer is a turn done with no reply: it counts in throughput",
        "and latency (the stock bot gives some: its policies predict `action_listen` for messages",
        "outside its mood-bot domain); for our stack it counts as an error against the target.",
        "",
        f"Machine: {machine.get('cpu', '-')}, {machine.get('cores', '-')} cores, "
        f"{_num(machine.get('ram_gb'))} GB RAM, {machine.get('os', '-')}; run on {result.get('date', '-')}, "
        f"load average before the run {machine.get('loadavg', '-')}.",
        "",
        f"Ours: {settings.get('ours', '-')}.",
        "",
        "## Targets",
        "",
    ]
    out += _table(
        ["target", "goal", "measured", ""],
        [[c.name, c.target, c.measured, MARK[c.met]] for c in checks(result)],
    )
    out += ["", "## Load runs", ""]
    out += _table(
        ["run", "msg/s", "p50 ms", "p95 ms", "p99 ms", "errors", "empty answers", "turns"], load_rows(result)
    )
    out += [
        "",
        "## CPU per message (ms)",
        "",
        "CPU time (user + system, from /proc) each process used during the loaded run, divided",
        "by the messages answered. It does not depend on what else the machine is running, so it",
        "is the steadiest comparison on a shared machine.",
        "",
    ]
    out += _table(["stack", "process", "CPU ms / message"], cpu_rows(result))
    out += ["", "## Peak RSS (MB, VmHWM of each process)", ""]
    rss_rows = [
        [who, name, _num(value, 0)]
        for who, processes in (result.get("rss_mb") or {}).items()
        for name, value in processes.items()
        if name != "rasa_max"
    ]
    out += _table(["stack", "process", "peak RSS"], rss_rows)
    nlu = result.get("nlu_parse_ms") or {}
    cold = result.get("cold_start") or {}
    out += [
        "",
        "## Other figures",
        "",
        *_table(
            ["what", "figure"],
            [
                ["full training (`rasa train --force`, our project)", f"{_num(result.get('training_s'))} s"],
                ["cold start: process start to REST channel up", f"{_num(cold.get('ready_s'))} s"],
                ["cold start: process start to first answer", f"{_num(cold.get('first_answer_s'))} s"],
                [
                    "stock bot cold start to first answer",
                    f"{_num((result.get('stock_cold_start') or {}).get('first_answer_s'))} s",
                ],
                [
                    "NLU parse alone, in process (p50 / p95 / mean)",
                    f"{_num(nlu.get('p50_ms'), 2)} / {_num(nlu.get('p95_ms'), 2)} / {_num(nlu.get('mean_ms'), 2)} ms",
                ],
            ],
        ),  # fmt: skip
        "",
    ]
    notes = result.get("notes") or []
    if notes:
        out += ["## Notes", "", *[f"- {note}" for note in notes], ""]
    out += [DESIGN]
    return "\n".join(out)
