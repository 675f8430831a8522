"""``hub topics``: the topic catalogue (key, schema, partitions, retention, owner)."""

from __future__ import annotations

import argparse
from pathlib import Path

from hub.catalogue import CatalogueTopic, build_catalogue
from hub.cli.output import emit
from hub.codec import SchemaStore
from hub.config import HubSettings
from hub.connect.config_file import load_file
from hub.connect.registry import discover


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``hub topics``."""
    parser = commands.add_parser("topics", help="the topic catalogue")
    parser.add_argument("--config", type=Path, default=None, help="apply owner overrides")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def catalogue(settings: HubSettings, config: Path | None) -> list[CatalogueTopic]:
    """The catalogue of every registered connector, with a config file's owner overrides."""
    known = discover()
    owners = {} if config is None else {c.spec.name: c.owner for c in load_file(config, known)}
    return build_catalogue(known.values(), SchemaStore(settings.schemas_dir), settings, owners)


def run(args: argparse.Namespace, settings: HubSettings) -> int:
    """Carry out ``hub topics``."""
    topics = catalogue(settings, args.config)
    lines = [f"{'topic':<40}{'kind':<13}{'parts':>5}  {'policy':<8} schema / key"]
    for t in topics:
        schema = f"{t.schema.full_name} ({t.schema.fingerprint})" if t.schema else t.value_format
        lines.append(
            f"{t.topic:<40}{t.kind:<13}{t.partitions:>5}  {t.config['cleanup.policy']:<8} "
            f"{schema}\n{'':<68}key: {t.key}; owner: {t.owner}"
        )
    emit({"topics": [t.as_dict() for t in topics]}, as_json=args.json, human="\n".join(lines))
    return 0
