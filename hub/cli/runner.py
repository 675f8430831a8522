"""Running connectors as a service: signals, graceful shutdown, status and progress.

``hub connectors run`` (and ``hub resync``) call :func:`run_jobs`. On the first SIGTERM
or SIGINT the stop event is set: every runtime stops fetching (an in-progress source
call is abandoned, since nothing of it was published), waits for the acknowledgement of
every page in flight, commits the cursor of what was acknowledged and returns; the
worker then writes ``stopped`` to the status topic and the process exits 0. A second
signal cancels at once (exit 1): the cursor stays at the last acknowledged page, so the
next run repeats at most the pages that were in flight.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry

from hub.cli.progress import ProgressReporter
from hub.codec import SchemaStore
from hub.config import HubSettings
from hub.connect.cursor_store import cursor_key
from hub.connect.host import ConnectorHost, ConnectorJob
from hub.connect.runtime import ConnectorRuntime
from hub.connect.status import StatusReporter, status_topic, status_topic_spec
from hub.metrics import HubMetrics
from hub.metrics.server import kafka_check, serving, source_check

log = logging.getLogger(__name__)


@dataclass
class RunOutcome:
    """What a run did, per connector, and why it ended."""

    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    signal: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "sources": self.sources,
            "failed": self.failed,
            "stopped_by": self.signal,
            "seconds": round(self.seconds, 3),
        }


async def run_jobs(
    settings: HubSettings,
    bootstrap: str,
    jobs: Sequence[ConnectorJob],
    *,
    follow: bool,
    heartbeat_s: float = 10.0,
    progress: bool = True,
) -> RunOutcome:
    """Run ``jobs`` until caught up (or, with ``follow``, until a signal); see the module."""
    outcome = RunOutcome()
    started = time.perf_counter()
    stop = asyncio.Event()
    _install_signal_handlers(stop, outcome)
    metrics = HubMetrics(CollectorRegistry())
    checks = {"broker": kafka_check(bootstrap, settings.security().client_kwargs())}
    checks |= {f"source:{j.spec.name}": source_check(metrics.registry, j.spec.name) for j in jobs}
    try:
        async with (
            serving(metrics.registry, checks),
            ConnectorHost(settings, bootstrap, metrics, SchemaStore(settings.schemas_dir)) as host,
        ):
            await host.prepare((job.spec for job in jobs), [status_topic_spec(host.topics)])
            committed = await host.cursors.load_all()
            runtimes = [host.runtime(job) for job in jobs]
            reporter = StatusReporter(
                host.producer,
                status_topic(host.topics),
                runtimes,
                metrics.registry,
                heartbeat_s=heartbeat_s,
            )
            watchers_stop = asyncio.Event()
            watchers = [asyncio.create_task(reporter.run(watchers_stop))]
            if progress:
                view = ProgressReporter.for_stdout(runtimes)
                watchers.append(asyncio.create_task(view.run(watchers_stop)))
            try:
                await asyncio.gather(
                    *(_run_one(r, reporter, outcome, follow=follow, stop=stop) for r in runtimes)
                )
            finally:
                watchers_stop.set()
                await asyncio.gather(*watchers, return_exceptions=True)
            for runtime in runtimes:
                if runtime.spec.name not in outcome.failed:
                    await reporter.publish(runtime, "stopped")
                outcome.sources[runtime.spec.name] = _summary(runtime, committed)
    finally:
        _remove_signal_handlers()
    outcome.seconds = time.perf_counter() - started
    return outcome


async def _run_one(
    runtime: ConnectorRuntime,
    reporter: StatusReporter,
    outcome: RunOutcome,
    *,
    follow: bool,
    stop: asyncio.Event,
) -> None:
    """Run one connector; a failure is reported and recorded, never spread to the others."""
    try:
        await runtime.run(follow=follow, stop=stop)
    except Exception as exc:
        outcome.failed.append(runtime.spec.name)
        log.error("%s: failed (%s): %s", runtime.spec.name, type(exc).__name__, exc)
        await reporter.publish(runtime, "failed", exc)


def _summary(runtime: ConnectorRuntime, committed: dict[str, Any]) -> dict[str, Any]:
    name = runtime.spec.name
    return {
        "pulled": runtime.stats.pulled,
        "published": runtime.stats.published,
        "rejected": runtime.stats.rejected,
        "seconds": round(runtime.stats.seconds, 3),
        "resumed": {s.name: cursor_key(name, s.name) in committed for s in runtime.spec.streams},
    }


_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _install_signal_handlers(stop: asyncio.Event, outcome: RunOutcome) -> None:
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()

    def on_signal(signum: signal.Signals) -> None:
        if not stop.is_set():
            outcome.signal = signum.name
            log.warning(
                "%s received: stopping after in-flight records are acknowledged "
                "(send it again to stop at once)",
                signum.name,
            )
            stop.set()
        elif main is not None:
            log.warning("%s received again: stopping at once", signum.name)
            main.cancel()

    for signum in _SIGNALS:
        loop.add_signal_handler(signum, on_signal, signum)


def _remove_signal_handlers() -> None:
    loop = asyncio.get_running_loop()
    for signum in _SIGNALS:
        loop.remove_signal_handler(signum)
