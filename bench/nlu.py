"""NLU parse time alone, in process: `python -m bench.nlu MODEL` prints JSON (ms).

Loads the model with Rasa's Agent and times `parse_message` (tokenizer to risk
screen, no tracker, no policies, no HTTP) over every message of the mix.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from typing import Dict, List

from bench.mix import all_messages
from bench.stats import percentile

ROUNDS = 20


async def parse_times(model: str, rounds: int = ROUNDS) -> List[float]:
    """Milliseconds per parse, after one warm-up round."""
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    messages = all_messages()
    for text in messages:
        await agent.parse_message(text)
    times = []
    for _ in range(rounds):
        for text in messages:
            began = time.perf_counter()
            await agent.parse_message(text)
            times.append((time.perf_counter() - began) * 1000)
    return times


def main() -> None:
    logging.disable(logging.WARNING)
    times = asyncio.run(parse_times(sys.argv[1]))
    result: Dict[str, float] = {
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "mean_ms": sum(times) / len(times),
        "parses": len(times),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
