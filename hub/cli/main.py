"""The ``hub`` command: one entry point, one module per command group."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from aiokafka.errors import KafkaError

from hub import __version__
from hub.cli import (
    asyncapi,
    audit,
    bench,
    broker,
    connectors,
    crosscheck,
    demo,
    keys,
    offsets,
    policy,
    province,
    schemas,
    topics,
)
from hub.config import HubSettings, load_settings
from hub.errors import HubError
from hub.logs import configure_logging

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="hub", description="Provincial data-sharing hub: sources → Kafka → cross-checks."
    )
    parser.add_argument("--version", action="version", version=f"hub {__version__}")
    parser.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING, ERROR")
    parser.add_argument("--log-format", choices=("plain", "json"), default="plain")
    commands = parser.add_subparsers(dest="command", required=True)
    modules = (demo, broker, connectors, offsets, topics, asyncapi, bench, schemas, province)
    for module in (*modules, keys, crosscheck, policy, audit):
        module.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``hub`` with ``argv``; returns the exit status (2 for a hub error)."""
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level, args.log_format)
    try:
        settings: HubSettings = load_settings()
        status: int = args.handler(args, settings)
    except HubError as exc:
        print(f"hub: error: {exc}", file=sys.stderr)
        return 2
    except KafkaError as exc:  # the cluster is unreachable or refused: no traceback
        print(f"hub: error: Kafka: {exc} (check HUB_KAFKA_BOOTSTRAP and HUB_KAFKA_*)",
              file=sys.stderr)  # fmt: skip
        return 2
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
