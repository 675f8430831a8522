"""Progress of running connectors: log lines when standard output is not a terminal."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any

import pytest

from hub.cli.progress import ProgressReporter
from hub.connect.runtime_options import StreamStats


def _runtime(state: str = "running") -> Any:
    return SimpleNamespace(
        spec=SimpleNamespace(name="population"), state=state, stats=StreamStats()
    )


async def test_log_lines_on_state_changes_and_periodically(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runtime = _runtime("stopped")
    view = ProgressReporter([runtime], interactive=False, interval_s=0.3)
    stop = asyncio.Event()
    with caplog.at_level(logging.INFO, logger="hub.progress"):
        task = asyncio.create_task(view.run(stop))
        await asyncio.sleep(0.05)
        runtime.state = "running"
        runtime.stats.pulled, runtime.stats.published, runtime.stats.rejected = 1200, 1190, 10
        await asyncio.sleep(1.2)
        stop.set()
        await task
    lines = [r.getMessage() for r in caplog.records if r.name == "hub.progress"]
    assert lines[0].startswith("population: starting, 0 pulled")
    assert any("running, 1200 pulled, 1190 published, 10 rejected" in line for line in lines)
    assert len(lines) >= 3  # the first, the state change, at least one periodic line


def test_bars_only_when_asked_for() -> None:
    assert ProgressReporter([_runtime()], interactive=False)._rich is None
