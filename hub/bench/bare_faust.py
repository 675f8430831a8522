"""The baseline of ``hub bench crosscheck``: a bare Faust agent that only consumes a topic.

Run as ``python -m hub.bench.bare_faust`` with ``BENCH_APP_ID`` (the Faust app id, which
names the topics Faust creates), ``BENCH_BOOTSTRAP``, ``BENCH_TOPICS``, ``BENCH_RECORDS``,
``BENCH_OUTPUT`` and ``BENCH_DATADIR`` in the environment. The agent
counts records and, at the expected number, writes ``{"records", "seconds"}`` (first
record to last) to the output file; the benchmark then stops the process.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import faust

from hub.config import load_settings


def main() -> None:
    """Consume ``BENCH_RECORDS`` records of ``BENCH_TOPICS`` and report how fast."""
    expected = int(os.environ["BENCH_RECORDS"])
    output = Path(os.environ["BENCH_OUTPUT"])
    app = faust.App(
        os.environ["BENCH_APP_ID"],
        broker=f"kafka://{os.environ['BENCH_BOOTSTRAP']}",
        broker_credentials=load_settings().security().faust_credentials(),  # HUB_KAFKA_*
        store="memory://",
        web_enabled=False,
        broker_session_timeout=6.0,
        broker_heartbeat_interval=1.0,
        consumer_auto_offset_reset="earliest",
        key_serializer="raw",
        value_serializer="raw",
        datadir=os.environ["BENCH_DATADIR"],
    )
    topics = os.environ["BENCH_TOPICS"].split(",")
    topic = app.topic(*topics, key_type=bytes, value_type=bytes)
    state: dict[str, float] = {"count": 0, "first": 0.0}

    @app.agent(topic)
    async def consume(stream: Any) -> None:
        async for _ in stream:
            if not state["count"]:
                state["first"] = time.perf_counter()
            state["count"] += 1
            if state["count"] == expected:
                seconds = time.perf_counter() - state["first"]
                result = json.dumps({"records": expected, "seconds": seconds})
                output.write_text(result)  # noqa: ASYNC240 - once, at the end

    faust.Worker(app, loglevel="error", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
