"""``hub crosscheck worker``: run one cross-check worker (a Faust worker)."""

from __future__ import annotations

import argparse
import logging

from hub.broker import broker_session
from hub.config import HubSettings


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``hub crosscheck``."""
    parser = commands.add_parser("crosscheck", help="the cross-check service")
    sub = parser.add_subparsers(dest="action", required=True)
    worker = sub.add_parser("worker", help="run a cross-check worker until SIGTERM")
    worker.add_argument("--web-port", type=int, default=None, help="HTTP port (default 6066)")
    worker.add_argument("--web-host", default=None, help="HTTP host (default 127.0.0.1)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: HubSettings) -> int:
    """Carry out ``hub crosscheck worker``: blocks until the worker is stopped."""
    import faust  # heavy: only for this command

    from hub.crosscheck.app import CrossCheckService, CrossCheckSettings

    overrides = {
        name: value
        for name, value in (("web_port", args.web_port), ("web_host", args.web_host))
        if value is not None
    }
    options = CrossCheckSettings(**overrides)
    with broker_session(settings, start=False) as session:
        service = CrossCheckService(settings, session.bootstrap, options)
        level = logging.getLevelName(logging.getLogger().level).lower()
        worker = faust.Worker(service.app, loglevel="warn" if level == "warning" else level)
        worker.execute_from_commandline()
    return 0
