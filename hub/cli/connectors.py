"""``hub connectors list``: what the hub can pull, from whom, and where it publishes."""

from __future__ import annotations

import argparse

from hub.cli.output import emit
from hub.config import HubSettings
from hub.connect.registry import discover
from hub.connect.topics import TopicNames


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``hub connectors``."""
    parser = commands.add_parser("connectors", help="list connectors")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("list", help="every connector").add_argument("--json", action="store_true")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: HubSettings) -> int:
    """Carry out ``hub connectors ACTION``."""
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
