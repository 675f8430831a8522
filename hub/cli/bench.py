"""``hub bench ingest``: measure the hub against a bare baseline in the same run."""

from __future__ import annotations

import argparse
import asyncio

from hub.bench.ingest import bench_ingest
from hub.broker import broker_session
from hub.cli.keys import provide_keys
from hub.cli.output import emit
from hub.config import HubSettings
from hub.connect.registry import discover, select


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``hub bench``."""
    parser = commands.add_parser("bench", help="benchmarks (hub against a baseline)")
    sub = parser.add_subparsers(dest="action", required=True)
    ingest = sub.add_parser("ingest", help="connector ingest path vs raw aiokafka")
    ingest.add_argument(
        "--records",
        type=int,
        default=20_000,
        help="citizens in the simulated province (their households are ingested too)",
    )
    ingest.add_argument("--runs", type=int, default=3, help="measured rounds (median)")
    ingest.add_argument("--json", action="store_true", help="print one JSON object")
    cross = sub.add_parser("crosscheck", help="verdict latency and materialisation vs Faust")
    cross.add_argument("--citizens", type=int, default=3000, help="people in the province")
    cross.add_argument("--rate", type=float, default=50.0, help="dossiers offered per second")
    cross.add_argument("--seconds", type=float, default=20.0, help="how long to offer them")
    cross.add_argument("--runs", type=int, default=3, help="materialisation rounds (median)")
    cross.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: HubSettings) -> int:
    """Carry out ``hub bench ACTION``."""
    provide_keys(settings, [*discover(), "crosscheck"])  # the bench's connectors sign
    if args.action == "crosscheck":
        return _crosscheck(args, settings)
    spec = select(["population"])[0]
    with broker_session(settings) as session:
        result = asyncio.run(
            bench_ingest(settings, session.bootstrap, spec, args.records, args.runs)
        )
    result["broker"] = session.kind
    emit(
        result,
        as_json=args.json,
        human=f"ingest of {result['records']} records, median of {result['runs']} runs\n"
        f"  hub:      {result['hub_records_per_s']:>9} records/s\n"
        f"  baseline: {result['baseline_records_per_s']:>9} records/s (aiokafka send)\n"
        f"  ratio:    {result['ratio']}\n"
        f"  (aiokafka batch API: {result['baseline_batch_api_records_per_s']} records/s, "
        f"ratio {result['ratio_to_batch_api']})",
    )
    return 0


def _crosscheck(args: argparse.Namespace, settings: HubSettings) -> int:
    from hub.bench.crosscheck import bench_crosscheck  # heavy: only for this command

    with broker_session(settings) as session:
        result = asyncio.run(
            bench_crosscheck(
                settings, session.bootstrap, citizens=args.citizens, rate=args.rate,
                seconds=args.seconds, runs=args.runs,
            )
        )  # fmt: skip
    result["broker"] = session.kind
    emit(
        result,
        as_json=args.json,
        human=f"{result['dossiers']} dossiers offered at {result['rate']}/s\n"
        f"  verdict latency p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms\n"
        f"  materialisation {result['materialise_records_per_s']} records/s, bare Faust "
        f"agent {result['bare_faust_records_per_s']} records/s, ratio {result['ratio']}",
    )
    return 0
