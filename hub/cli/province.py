"""``hub province manifest``: the synthetic province's ground truth of injected discrepancies."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from hub.cli.output import emit
from hub.config import HubSettings
from hub.province import Province, ProvinceConfig


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``hub province``."""
    parser = commands.add_parser("province", help="the synthetic province behind the mocks")
    sub = parser.add_subparsers(dest="action", required=True)
    manifest = sub.add_parser("manifest", help="every injected discrepancy (ground truth)")
    manifest.add_argument("--citizens", type=int, default=3000, help="people in the province")
    manifest.add_argument("--seed", type=int, default=7, help="seed of the synthetic province")
    manifest.add_argument("--output", type=Path, default=None, help="write the entries here")
    manifest.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: HubSettings) -> int:
    """Carry out ``hub province manifest``: write the entries, print the counts per type.

    The entries name synthetic people's PINs, so they go to a file, not to the terminal.
    """
    province = Province(ProvinceConfig(seed=args.seed, citizens=args.citizens))
    entries = province.manifest()
    counts = Counter(entry.type.value for entry in entries)
    if args.output is not None:
        document = {
            "province": province.config.model_dump(),
            "discrepancies": [entry.to_json() for entry in entries],
        }
        args.output.write_text(json.dumps(document, ensure_ascii=False, indent=1))
    lines = [f"{kind:<22}{count:>6}" for kind, count in sorted(counts.items())]
    written = f"\nwritten to {args.output}" if args.output else ""
    emit(
        {"citizens": args.citizens, "seed": args.seed, "total": len(entries),
         "by_type": dict(sorted(counts.items())),
         "output": str(args.output) if args.output else None},
        as_json=args.json,
        human="\n".join(lines) + f"\n{'total':<22}{len(entries):>6}{written}",
    )  # fmt: skip
    return 0
