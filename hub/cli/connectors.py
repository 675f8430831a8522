"""``hub connectors list|validate|run|status``: the connector lifecycle.

- ``list``: what the hub can pull, from whom, and where it publishes.
- ``validate CONFIG``: check a connector config file (``docs/connectors.md``), reporting
  every invalid field with its dotted path; exit 1 when any is invalid.
- ``run [NAMES] [--config FILE] [--once]``: run connectors continuously until SIGTERM or
  SIGINT (graceful: in-flight pages are acknowledged and their cursor committed), or
  with ``--once`` until caught up.
- ``status [NAMES]``: per connector and stream, state, cursor, commit time, freshness.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub.broker import broker_session
from hub.cli.output import emit
from hub.cli.runner import run_jobs
from hub.config import HubSettings
from hub.connect.config_file import load_file, validate_file
from hub.connect.cursor_store import cursor_key
from hub.connect.host import ConnectorJob
from hub.connect.registry import discover, select
from hub.connect.status import (
    cursor_timestamp,
    effective_state,
    read_cursors,
    read_statuses,
    redact_cursor,
    status_topic,
)
from hub.connect.topics import TopicNames
from hub.errors import ConfigurationError


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``hub connectors``."""
    parser = commands.add_parser("connectors", help="list, validate, run and inspect connectors")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("list", help="every connector").add_argument("--json", action="store_true")
    validate = sub.add_parser("validate", help="check a connector config file (TOML)")
    validate.add_argument("config", type=Path, help="the connector config file")
    validate.add_argument("--json", action="store_true", help="print one JSON object")
    run = sub.add_parser("run", help="run connectors until SIGTERM/SIGINT (or --once)")
    run.add_argument("names", nargs="*", help="connectors to run (default: all enabled)")
    run.add_argument("--config", type=Path, default=None, help="connector config file")
    run.add_argument("--once", action="store_true", help="stop when caught up")
    run.add_argument("--heartbeat", type=float, default=10.0, help="status heartbeat, seconds")
    run.add_argument("--json", action="store_true", help="print one JSON object at the end")
    status = sub.add_parser("status", help="state, cursors and freshness per connector")
    status.add_argument("names", nargs="*", help="connectors (default: all)")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace, settings: HubSettings) -> int:
    """Carry out ``hub connectors ACTION``."""
    actions = {"list": _list, "validate": _validate, "run": _run, "status": _status}
    return actions[args.action](args, settings)


def _list(args: argparse.Namespace, settings: HubSettings) -> int:
    topics = TopicNames(settings.topic_prefix)
    rows = [
        {
            "name": spec.name,
            "source": spec.title,
            "owner": spec.owner,
            "interface": spec.interface,
            "key": spec.key_name,
            "entities": list(spec.entities),
            "topics": [topics.canonical(spec.name, e) for e in spec.entities],
            "dead_letter_topic": topics.dead_letter(spec.name),
        }
        for spec in discover().values()
    ]
    human = "\n".join(
        f"{r['name']:<14} {r['source']} ({r['owner']})\n{'':<14} {r['interface']}\n"
        f"{'':<14} → {', '.join(r['topics'])}"
        for r in rows
    )
    emit({"connectors": rows}, as_json=args.json, human=human)
    return 0


def _validate(args: argparse.Namespace, settings: HubSettings) -> int:
    report = validate_file(args.config, discover())
    connectors = [
        {
            "name": c.name,
            "type": c.spec.name,
            "enabled": c.enabled,
            "owner": c.owner,
            "secrets": sorted(c.secrets),  # names only, never values
        }
        for c in report.connectors
    ]
    result = {
        "file": str(args.config),
        "valid": report.valid,
        "connectors": connectors,
        "errors": [i.as_dict() for i in report.issues],
    }
    if report.valid:
        human = f"{args.config}: valid, {len(connectors)} connector(s): " + ", ".join(
            f"{c['name']}{'' if c['enabled'] else ' (disabled)'}" for c in connectors
        )
    else:
        lines = [f"{args.config}: {len(report.issues)} invalid field(s)"]
        lines += [f"  {i.path or '(file)'}: {i.reason} [{i.code}]" for i in report.issues]
        human = "\n".join(lines)
    emit(result, as_json=args.json, human=human)
    return 0 if report.valid else 1


def _jobs(names: list[str], config: Path | None) -> list[ConnectorJob]:
    """The jobs to run: from the config file (enabled ones), else every named connector."""
    if config is None:
        return [ConnectorJob(spec, {}) for spec in select(names)]
    configured = {c.name: c for c in load_file(config, discover())}
    unknown = [n for n in names if n not in configured]
    if unknown:
        raise ConfigurationError(f"not in {config}: {', '.join(unknown)}", field="names")
    chosen = [configured[n] for n in names] or [c for c in configured.values() if c.enabled]
    if not chosen:
        raise ConfigurationError(f"no enabled connector in {config}", field="enabled")
    return [c.job() for c in chosen]


def _run(args: argparse.Namespace, settings: HubSettings) -> int:
    jobs = _jobs(args.names, args.config)
    with broker_session(settings) as session:
        try:
            outcome = asyncio.run(
                run_jobs(
                    settings, session.bootstrap, jobs, follow=not args.once,
                    heartbeat_s=args.heartbeat,
                )
            )  # fmt: skip
        except asyncio.CancelledError:
            return 1
    result = {"broker": session.kind, "topic_prefix": settings.topic_prefix, **outcome.as_dict()}
    human = "\n".join(
        f"{name}: {s['pulled']} pulled, {s['published']} published, {s['rejected']} rejected"
        for name, s in outcome.sources.items()
    )
    emit(result, as_json=args.json, human=human or "nothing ran")
    return 1 if outcome.failed else 0


def _status(args: argparse.Namespace, settings: HubSettings) -> int:
    specs = select(args.names)
    with broker_session(settings, start=False) as session:
        statuses, cursors = asyncio.run(_read_state(settings, session.bootstrap))
    now = time.time()
    rows = []
    for spec in specs:
        entry = statuses.get(spec.name)
        streams = []
        for stream in spec.streams:
            committed = cursors.get(cursor_key(spec.name, stream.name))
            streams.append(_stream_row(stream.name, committed, now))
        newest = (entry or {}).get("newest_update") or max(
            (s["_source_time"] for s in streams if s["_source_time"]), default=None
        )
        for s in streams:
            del s["_source_time"]
        rows.append(
            {
                "name": spec.name,
                "state": effective_state(entry, now),
                "worker": (entry or {}).get("worker"),
                "state_updated_at": _iso((entry or {}).get("updated_at")),
                "freshness_s": None if newest is None else round(max(0.0, now - newest), 1),
                **{
                    k: (entry or {}).get(k)
                    for k in ("pulled", "published", "rejected", "retries", "error")
                },
                "errors": (entry or {}).get("errors", {}),
                "source_failures": (entry or {}).get("source_failures", {}),
                "streams": streams,
            }
        )
    emit({"connectors": rows}, as_json=args.json, human=_status_text(rows))
    return 0


async def _read_state(
    settings: HubSettings, bootstrap: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    topics = TopicNames(settings.topic_prefix)
    statuses = await read_statuses(bootstrap, settings, status_topic(topics))
    return statuses, await read_cursors(bootstrap, settings, topics.offsets())


def _stream_row(stream: str, committed: dict[str, Any] | None, now: float) -> dict[str, Any]:
    at = None if committed is None else committed.get("committed_at")
    return {
        "stream": stream,
        "cursor": None if committed is None else redact_cursor(committed.get("cursor")),
        "committed_at": _iso(at),
        "commit_age_s": None if at is None else round(now - float(at), 1),
        "_source_time": None if committed is None else cursor_timestamp(committed.get("cursor")),
    }


def _iso(epoch: Any) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(float(epoch), UTC).isoformat(timespec="seconds")


def _status_text(rows: list[dict[str, Any]]) -> str:
    lines = []
    for r in rows:
        fresh = "-" if r["freshness_s"] is None else f"{r['freshness_s']:.0f} s"
        lines.append(f"{r['name']:<16} {r['state']:<10} freshness {fresh}  errors {r['errors']}")
        for s in r["streams"]:
            lines.append(f"  {s['stream']:<14} committed {s['committed_at'] or 'never'}")
    return "\n".join(lines)
