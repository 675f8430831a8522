"""Progress of running connectors: live bars on a terminal, periodic log lines otherwise.

Bars need the optional ``rich`` package; without it, or when standard output is not a
terminal (a service, a pipe, CI), a log line per connector is written every
``interval_s`` seconds and on every state change. Sources do not say how many records
they hold, so a bar shows counts and rate rather than a percentage.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any

from hub.connect.runtime import ConnectorRuntime

log = logging.getLogger("hub.progress")


def _rich_progress() -> Any | None:
    """The ``rich.progress`` module when installed (it is optional), else None."""
    try:
        return importlib.import_module("rich.progress")
    except ImportError:
        return None


class ProgressReporter:
    """Shows how far each runtime got until stopped.

    Args:
        runtimes: the runtimes to watch.
        interactive: draw bars (needs ``rich`` and a terminal); else log lines.
        interval_s: seconds between log lines in non-interactive mode.
    """

    def __init__(
        self, runtimes: Sequence[ConnectorRuntime], *, interactive: bool, interval_s: float = 10.0
    ) -> None:
        self.runtimes = list(runtimes)
        self.interval_s = interval_s
        self._rich = _rich_progress() if interactive else None
        if log.getEffectiveLevel() > logging.INFO and logging.getLogger().level <= logging.WARNING:
            log.setLevel(logging.INFO)  # progress lines show unless logs were turned down

    @staticmethod
    def for_stdout(runtimes: Sequence[ConnectorRuntime]) -> ProgressReporter:
        """Bars when standard output is a terminal, log lines otherwise."""
        return ProgressReporter(runtimes, interactive=sys.stdout.isatty())

    async def run(self, stop: asyncio.Event) -> None:
        """Report until ``stop`` is set."""
        if self._rich is not None:
            await self._bars(stop)
        else:
            await self._lines(stop)

    async def _lines(self, stop: asyncio.Event) -> None:
        started = time.monotonic()
        states: dict[str, str] = {}
        last_line = started
        while not stop.is_set():
            now = time.monotonic()
            due = now - last_line >= self.interval_s
            for runtime in self.runtimes:
                if due or states.get(runtime.spec.name) != runtime.state:
                    states[runtime.spec.name] = runtime.state
                    log.info("%s", describe(runtime, now - started))
            if due:
                last_line = now
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)

    async def _bars(self, stop: asyncio.Event) -> None:
        rp = self._rich
        assert rp is not None
        bars = rp.Progress(
            rp.SpinnerColumn(),
            rp.TextColumn("[bold]{task.description}"),
            rp.TextColumn("{task.fields[state]}"),
            rp.TextColumn("{task.completed:>9,.0f} pulled"),
            rp.TextColumn("{task.fields[published]:>9,} published"),
            rp.TextColumn("{task.fields[rejected]:>6,} rejected"),
            rp.TextColumn("{task.fields[rate]:>8,.0f}/s"),
            rp.TimeElapsedColumn(),
            transient=True,
        )
        ids = {
            r.spec.name: bars.add_task(r.spec.name, total=None, **_fields(r, 0.0))
            for r in self.runtimes
        }
        started = time.monotonic()
        with bars:
            while not stop.is_set():
                elapsed = time.monotonic() - started
                for runtime in self.runtimes:
                    bars.update(
                        ids[runtime.spec.name],
                        completed=runtime.stats.pulled,
                        **_fields(runtime, elapsed),
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.2)


def _fields(runtime: ConnectorRuntime, elapsed: float) -> dict[str, Any]:
    stats = runtime.stats
    not_begun = runtime.state == "stopped" and not stats.seconds and not stats.pulled
    return {
        "state": "starting" if not_begun else runtime.state,
        "published": stats.published,
        "rejected": stats.rejected,
        "rate": stats.pulled / elapsed if elapsed > 0 else 0.0,
    }


def describe(runtime: ConnectorRuntime, elapsed: float) -> str:
    """One progress line: state, counters and rate (no identifiers)."""
    f = _fields(runtime, elapsed)
    return (
        f"{runtime.spec.name}: {f['state']}, {runtime.stats.pulled} pulled, "
        f"{f['published']} published, {f['rejected']} rejected, {f['rate']:.0f} records/s"
    )
