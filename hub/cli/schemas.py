"""``hub schemas check``: every schema must read the data its previous version wrote."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hub.cli.output import emit
from hub.codec.compatibility import check_compatibility
from hub.codec.schema_store import SchemaStore
from hub.config import HubSettings


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``hub schemas``."""
    parser = commands.add_parser("schemas", help="canonical Avro schemas")
    sub = parser.add_subparsers(dest="action", required=True)
    check = sub.add_parser(
        "check", help="backward compatibility of each schema with its previous version"
    )
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument(
        "--schemas-dir", type=Path, default=None, help="schema directory (default: settings)"
    )
    parser.set_defaults(handler=run)


def check_store(store: SchemaStore) -> list[dict[str, Any]]:
    """One result per current schema: its previous version and the problems found.

    A schema without earlier versions is reported with ``previous`` None and no problems.
    """
    results = []
    for current in store.current():
        history = store.history(current.source, current.entity)
        previous = history[-1] if history else None
        problems = check_compatibility(current.definition, previous.definition) if previous else []
        results.append(
            {
                "schema": f"{current.source}/{current.entity}",
                "previous": previous.path.name if previous else None,
                "compatible": not problems,
                "problems": [{"field": p.path, "reason": p.reason} for p in problems],
            }
        )
    return results


def run(args: argparse.Namespace, settings: HubSettings) -> int:
    """Carry out ``hub schemas check``; exit 1 when any schema breaks compatibility."""
    store = SchemaStore(args.schemas_dir or settings.schemas_dir)
    results = check_store(store)
    broken = [r for r in results if not r["compatible"]]
    lines = []
    for r in results:
        against = f"against {r['previous']}" if r["previous"] else "(no previous version)"
        lines.append(f"{'ok  ' if r['compatible'] else 'FAIL'} {r['schema']} {against}")
        lines += [f"       {p['field'] or '<record>'}: {p['reason']}" for p in r["problems"]]
    checked = sum(1 for r in results if r["previous"])
    lines.append(f"{len(results)} schemas, {checked} with a previous version, {len(broken)} broken")
    emit(
        {"compatible": not broken, "checked": checked, "schemas": results},
        as_json=args.json,
        human="\n".join(lines),
    )
    return 1 if broken else 0
