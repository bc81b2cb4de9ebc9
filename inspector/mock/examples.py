"""``mock --asyncapi``: publish a contract's examples on a schedule, so a team can demo and test
against its own document offline (as Microcks does with its ``frequency``).

Every ``every`` seconds each topic publishes its next example (round robin), through
``MockServer.publish``: the same filters, seq counters and queues as any publisher.
"""

from __future__ import annotations

import asyncio
from itertools import count
from typing import Any


async def publish_examples(server: Any, examples: list[tuple[str, list[Any]]], every: float) -> None:
    if not every > 0:
        raise ValueError(f"the interval must be positive, not {every}")
    topics = [(topic, values) for topic, values in examples if values]
    for n in count():
        for topic, values in topics:
            server.publish(topic, values[n % len(values)])
        await asyncio.sleep(every)
