"""`make bench`: the assistant against the stock `rasa init` bot, under the same load.

The load generator is an asyncio client (httpx, already pinned), not Locust: on a
2-core machine the generator shares the CPUs with the servers it measures, so it
must stay small. One event loop in one process drives the 20 closed-loop
conversations; its own CPU per message is measured and reported with the servers'
(about 4 ms, the same for both bots). Locust would add gevent, greenlet, Flask and
more to the pinned packages, and its runners are more processes on the same cores.
Pure logic (the message mix, statistics, targets, report) is kept apart from
process control and I/O (`procs`, `load`, `phases`).

Usage: python -m bench [--duration S] [--rounds N] [--quick] [--stock-dir DIR] [--skip-train]
       python -m bench --report-only   (docs/BENCHMARK.md again from results/bench/latest.json)
"""
