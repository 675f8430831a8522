"""``hub demo``: the main job on the embedded default, end to end, with a summary."""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from prometheus_client import CollectorRegistry

from hub.broker import broker_session
from hub.cli.keys import provide_keys
from hub.cli.output import emit
from hub.codec import SchemaStore, decode_any
from hub.config import HubSettings
from hub.connect.host import ConnectorHost, ConnectorJob
from hub.connect.mock_options import shared_province
from hub.connect.reader import iter_to_end
from hub.connect.registry import select
from hub.crosscheck.demo_run import run_crosscheck
from hub.metrics import HubMetrics
from hub.metrics.server import kafka_check, serving, source_check
from hub.province import ProvinceConfig


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``hub demo``."""
    parser = commands.add_parser("demo", help="run the whole hub on a synthetic province")
    parser.add_argument("--citizens", type=int, default=3000, help="people in the province")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic province")
    parser.add_argument("--connectors", nargs="*", default=None, help="only these connectors")
    parser.add_argument("--no-crosscheck", action="store_true", help="skip the cross-check step")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: HubSettings) -> int:
    """Carry out ``hub demo``."""
    if not settings.topic_prefix:
        settings = settings.model_copy(update={"topic_prefix": f"demo-{int(time.time())}."})
    provide_keys(settings, [*(s.name for s in select(args.connectors)), "crosscheck"])
    started = time.perf_counter()
    with broker_session(settings) as session:
        summary = asyncio.run(_demo(args, settings, session.bootstrap))
    summary = {"broker": session.kind, "topic_prefix": settings.topic_prefix, **summary}
    summary["seconds"] = round(time.perf_counter() - started, 3)
    emit(summary, as_json=args.json, human=_human(summary))
    return 0


async def _demo(args: argparse.Namespace, settings: HubSettings, bootstrap: str) -> dict[str, Any]:
    specs = select(args.connectors)
    schemas = SchemaStore(settings.schemas_dir)
    config = ProvinceConfig(seed=args.seed, citizens=args.citizens)
    options = {"province": config.model_dump()}
    province = shared_province(config)  # the instance the mock sources share
    metrics = HubMetrics(CollectorRegistry())
    # /metrics, /health, /ready while the demo runs (HUB_METRICS_PORT; skipped if taken)
    checks = {"broker": kafka_check(bootstrap, settings.security().client_kwargs())}
    checks |= {f"source:{s.name}": source_check(metrics.registry, s.name) for s in specs}
    async with (
        serving(metrics.registry, checks),
        ConnectorHost(settings, bootstrap, metrics, schemas) as host,
    ):
        stats = await host.run([ConnectorJob(spec, options) for spec in specs])
        sources: dict[str, Any] = {}
        for spec in specs:
            keys: set[bytes] = set()
            decoded = 0
            topics = [host.topics.canonical(spec.name, e) for e in spec.entities]
            async for record in iter_to_end(bootstrap, settings, topics):
                if record.value is not None:
                    decode_any(schemas, record.value)
                    decoded += 1
                keys.add(record.key)
            s = stats[spec.name]
            sources[spec.name] = {
                "pulled": s.pulled,
                "published": s.published,
                "rejected": s.rejected,
                "malformed_injected": province.malformed_subjects(spec.name),
                "seconds": round(s.seconds, 3),
                "read_back": decoded,
                "distinct_keys": len(keys),
            }
    summary: dict[str, Any] = {"sources": sources}
    if not args.no_crosscheck and args.connectors is None:
        summary["crosscheck"] = await run_crosscheck(settings, bootstrap, province)
    return summary


def _human(summary: dict[str, Any]) -> str:
    lines = [f"broker: {summary['broker']}  topics: {summary['topic_prefix']}*", ""]
    lines.append(
        f"{'source':<22}{'pulled':>9}{'published':>11}{'rejected':>10}{'injected':>10}"
        f"{'seconds':>9}"
    )
    for name, s in summary["sources"].items():
        lines.append(
            f"{name:<22}{s['pulled']:>9}{s['published']:>11}{s['rejected']:>10}"
            f"{s['malformed_injected']:>10}{s['seconds']:>9.2f}"
        )
    crosscheck = summary.get("crosscheck")
    if crosscheck:
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(crosscheck["verdicts"].items()))
        lines += ["", f"cross-check: {crosscheck['dossiers']} dossiers ({statuses})", ""]
        lines.append(f"{'discrepancy':<22}{'injected':>9}{'precision':>11}{'recall':>8}")
        for kind, a in crosscheck["accuracy"].items():
            lines.append(
                f"{kind:<22}{a['injected']:>9}{_figure(a['precision']):>11}"
                f"{_figure(a['recall']):>8}"
            )
    lines.append(f"\ntotal {summary['seconds']} s")
    return "\n".join(lines)


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
