"""``hub broker start|stop|status``: the embedded broker."""

from __future__ import annotations

import argparse

from hub.broker import EmbeddedBroker
from hub.cli.output import emit
from hub.config import HubSettings


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``hub broker``."""
    parser = commands.add_parser("broker", help="start, stop or inspect the embedded broker")
    sub = parser.add_subparsers(dest="action", required=True)
    start = sub.add_parser("start", help="start the embedded broker in the background")
    start.add_argument("--port", type=int, default=None, help="TCP port (default: a free one)")
    start.add_argument(
        "--advertised",
        default=None,
        metavar="HOST:PORT",
        help="address to advertise to clients instead of the listener "
        "(a proxy in front of the broker, e.g. one terminating TLS)",
    )
    start.add_argument("--json", action="store_true", help="print one JSON object")
    for name, text in (("stop", "stop the embedded broker"), ("status", "is it running?")):
        sub.add_parser(name, help=text).add_argument("--json", action="store_true")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: HubSettings) -> int:
    """Carry out ``hub broker ACTION``."""
    broker = EmbeddedBroker(settings.state_dir)
    if args.action == "start":
        state = broker.start(args.port, detach=True, advertised=args.advertised)
        emit(
            {"running": True, "pid": state.pid, "bootstrap": state.bootstrap},
            as_json=args.json,
            human=f"embedded broker running on {state.bootstrap} (pid {state.pid})\n"
            f"other hub commands in this directory will use it; "
            f"export HUB_KAFKA_BOOTSTRAP={state.bootstrap} for other tools",
        )
        return 0
    if args.action == "stop":
        stopped = broker.stop()
        human = "embedded broker stopped" if stopped else "no embedded broker was running"
        emit({"stopped": stopped}, as_json=args.json, human=human)
        return 0
    running = broker.status()
    if running is None:
        emit({"running": False}, as_json=args.json, human="no embedded broker is running")
        return 1
    emit(
        {"running": True, "pid": running.pid, "bootstrap": running.bootstrap},
        as_json=args.json,
        human=f"embedded broker running on {running.bootstrap} (pid {running.pid})",
    )
    return 0
