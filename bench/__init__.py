"""`make bench`: the assistant against the stock `rasa init` bot, under the same load.

The load generator is an asyncio client (httpx, already pinned), not Locust: on a
2-core machine the generator shares the CPUs with the servers it measures, and one
event loop driving 20 closed-loop conversations costs a few percent of one core,
while Locust's gevent workers and web UI cost more and would add pinned packages
(gevent, greenlet, Flask...). Pure logic (the message mix, statistics, targets,
report) is kept apart from process control and I/O (`procs`, `load`, `phases`).

Usage: python -m bench [--duration S] [--quick] [--stock-dir DIR] [--skip-train]
"""
