"""``hub offsets show|reset`` and ``hub resync``: connector cursors in the offsets topic.

- ``offsets show CONNECTOR``: each stream's committed cursor (identifiers in it are
  digested, see :func:`~hub.connect.status.redact_cursor`) and when it was committed.
- ``offsets reset CONNECTOR [--stream S]``: write tombstones, so the next run of those
  streams is a full sync. Refused while a worker runs the connector (its status topic
  entry is live), because the worker would overwrite the tombstone with its next commit;
  ``--force`` overrides.
- ``resync CONNECTOR``: re-read a source from the start while consumers keep consuming.
  Cursors are reset; the canonical topics stay; the records are published again and
  consumers, idempotent by source version, absorb the duplicates. When a worker runs the
  connector and is caught up, it re-reads on its next poll; when nothing runs it, resync
  runs the sync itself (``--no-run`` only resets). A worker in the middle of a sync is
  refused (its next commit would overwrite the reset) unless ``--force``.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from hub.broker import broker_session
from hub.cli.output import emit
from hub.cli.runner import run_jobs
from hub.config import HubSettings
from hub.connect.config_file import load_file
from hub.connect.contract import ConnectorSpec
from hub.connect.cursor_store import KafkaCursorStore, cursor_key
from hub.connect.host import ConnectorJob
from hub.connect.registry import discover, select
from hub.connect.status import (
    effective_state,
    read_cursors,
    read_statuses,
    redact_cursor,
    status_topic,
)
from hub.connect.topics import TopicNames, TopicSpec, ensure_topics
from hub.errors import ConfigurationError


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``hub offsets`` and ``hub resync``."""
    parser = commands.add_parser("offsets", help="show or reset connector cursors")
    sub = parser.add_subparsers(dest="action", required=True)
    show = sub.add_parser("show", help="committed cursors of a connector")
    show.add_argument("connector")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    reset = sub.add_parser("reset", help="forget cursors (tombstones): the next run resyncs")
    reset.add_argument("connector")
    reset.add_argument("--stream", action="append", default=None, help="only this stream")
    reset.add_argument("--force", action="store_true", help="even while a worker runs it")
    reset.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)
    resync = commands.add_parser("resync", help="re-read a source from the start")
    resync.add_argument("connector")
    resync.add_argument("--config", type=Path, default=None, help="connector config file")
    resync.add_argument("--no-run", action="store_true", help="only reset the cursors")
    resync.add_argument("--force", action="store_true", help="even while a worker syncs it")
    resync.add_argument("--json", action="store_true", help="print one JSON object")
    resync.set_defaults(handler=run, action="resync")


def run(args: argparse.Namespace, settings: HubSettings) -> int:
    """Carry out ``hub offsets ACTION`` or ``hub resync``."""
    spec = select([args.connector])[0]
    with broker_session(settings, start=args.action == "resync") as session:
        return asyncio.run(_ACTIONS[args.action](args, settings, session.bootstrap, spec))


async def _show(
    args: argparse.Namespace, settings: HubSettings, bootstrap: str, spec: ConnectorSpec
) -> int:
    topic = TopicNames(settings.topic_prefix).offsets()
    entries = await read_cursors(bootstrap, settings, topic)
    streams = []
    for stream in spec.streams:
        entry = entries.get(cursor_key(spec.name, stream.name))
        streams.append(
            {
                "stream": stream.name,
                "committed": entry is not None,
                "cursor": None if entry is None else redact_cursor(entry.get("cursor")),
                "committed_at": None if entry is None else _iso(entry.get("committed_at")),
            }
        )
    human = "\n".join(
        f"{s['stream']:<14} " + (f"{s['cursor']} at {s['committed_at']}" if s["committed"] else "-")
        for s in streams
    )
    emit({"connector": spec.name, "topic": topic, "streams": streams}, as_json=args.json,
         human=human)  # fmt: skip
    return 0


async def _reset(
    args: argparse.Namespace, settings: HubSettings, bootstrap: str, spec: ConnectorSpec
) -> int:
    known = [s.name for s in spec.streams]
    wanted = args.stream or known
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise ConfigurationError(
            f"{spec.name} has no stream {', '.join(unknown)}; streams: {', '.join(known)}",
            field="--stream",
        )
    state = await _state(settings, bootstrap, spec)
    if state in ("starting", "running", "degraded", "caught_up") and not args.force:
        return _refuse(args, spec, state, "stop it first (or --force)")
    topic = await _reset_streams(settings, bootstrap, spec, wanted)
    emit(
        {"connector": spec.name, "topic": topic, "reset": wanted, "state": state},
        as_json=args.json,
        human=f"{spec.name}: cursors of {', '.join(wanted)} reset; the next run resyncs them",
    )
    return 0


async def _resync(
    args: argparse.Namespace, settings: HubSettings, bootstrap: str, spec: ConnectorSpec
) -> int:
    state = await _state(settings, bootstrap, spec)
    if state in ("starting", "running", "degraded") and not args.force:
        return _refuse(args, spec, state, "wait until it is caught_up (or --force)")
    job = _job(spec, args.config)
    streams = [s.name for s in spec.streams]
    await _reset_streams(settings, bootstrap, spec, streams)
    result: dict[str, Any] = {"connector": spec.name, "reset": streams, "state": state}
    if state == "caught_up":
        result["mode"] = "running worker re-reads on its next poll"
    elif args.no_run:
        result["mode"] = "reset only; the next run re-reads"
    else:
        outcome = await run_jobs(settings, bootstrap, [job], follow=False)
        result["mode"] = "synced now"
        result["sync"] = outcome.sources.get(spec.name, {})
        if outcome.failed:
            emit(result, as_json=args.json, human=f"{spec.name}: resync failed")
            return 1
    emit(result, as_json=args.json, human=f"{spec.name}: resync: {result['mode']}")
    return 0


def _iso(epoch: Any) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(float(epoch), UTC).isoformat(timespec="milliseconds")


def _job(spec: ConnectorSpec, config: Path | None) -> ConnectorJob:
    if config is None:
        return ConnectorJob(spec, {})
    for connector in load_file(config, discover()):
        if connector.spec.name == spec.name:
            return connector.job()
    raise ConfigurationError(f"{spec.name} is not in {config}", field="connector")


async def _state(settings: HubSettings, bootstrap: str, spec: ConnectorSpec) -> str:
    topic = status_topic(TopicNames(settings.topic_prefix))
    return effective_state((await read_statuses(bootstrap, settings, topic)).get(spec.name))


def _refuse(args: argparse.Namespace, spec: ConnectorSpec, state: str, advice: str) -> int:
    emit(
        {"connector": spec.name, "refused": True, "state": state, "reason": advice},
        as_json=args.json,
        human=f"{spec.name} is {state} in a worker: {advice}",
    )
    return 1


async def _reset_streams(
    settings: HubSettings, bootstrap: str, spec: ConnectorSpec, streams: list[str]
) -> str:
    """Tombstone the cursors of ``streams``; returns the offsets topic."""
    topic = TopicNames(settings.topic_prefix).offsets()
    await ensure_topics(bootstrap, settings, [TopicSpec(topic, 1, {"cleanup.policy": "compact"})])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **settings.producer_kwargs())
    await producer.start()
    try:
        store = KafkaCursorStore(producer, bootstrap, settings, topic)
        for stream in streams:
            await store.reset(spec.name, stream)
    finally:
        await producer.stop()
    return topic


_ACTIONS = {"show": _show, "reset": _reset, "resync": _resync}
