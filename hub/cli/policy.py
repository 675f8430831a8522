"""``hub policy check [FILE]``: validate an access policy and summarise what it grants.

The file is checked as a worker checks it at start (:func:`hub.trust.policy.load_policy`:
the schemas in ``HUB_SCHEMAS_DIR``, the known procedures, sensitive fields and their
legal bases, mandatory sources). Valid: a summary (consumers, procedures, grants, the
sensitive grants with their legal bases, the hash a worker will log and audit), exit 0.
Invalid: every problem with its place, exit 2. Without FILE, the worker's policy
(``HUB_CROSSCHECK_POLICY_FILE``, else ``deploy/policy.toml``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from hub.cli.output import emit
from hub.codec import SchemaStore
from hub.config import HubSettings
from hub.trust.policy import (
    DEFAULT_POLICY_FILE,
    AccessPolicy,
    PolicyError,
    load_policy,
    policy_hash,
)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``hub policy``."""
    parser = commands.add_parser("policy", help="the purpose-bound access policy")
    sub = parser.add_subparsers(dest="action", required=True)
    check = sub.add_parser("check", help="validate a policy file and summarise it")
    check.add_argument("file", nargs="?", type=Path, default=None, help="the policy (TOML)")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def default_file() -> Path:
    """The policy a worker would apply."""
    return Path(os.environ.get("HUB_CROSSCHECK_POLICY_FILE") or DEFAULT_POLICY_FILE)


def summary(policy: AccessPolicy) -> dict[str, Any]:
    """The policy as ``hub policy check --json`` prints it."""
    consumers = {}
    for name, consumer in sorted(policy.consumers.items()):
        procedures: dict[str, list[dict[str, Any]]] = {}
        for g in consumer.grants:
            procedures.setdefault(g.procedure.value, []).append(
                {"source": g.source, "entity": g.entity, "fields": sorted(g.fields)}
            )
        consumers[name] = {"grants": len(consumer.grants), "procedures": procedures}
    sensitive = [
        {"consumer": name, "procedure": g.procedure.value, "source": g.source,
         "entity": g.entity, "fields": list(fields), "legal_basis": g.legal_basis}
        for name, g, fields in policy.sensitive_grants()
    ]  # fmt: skip
    return {"valid": True, "version": policy.version, "hash": policy_hash(policy),
            "consumers": consumers, "sensitive": sensitive}  # fmt: skip


def _human(path: Path, result: dict[str, Any]) -> str:
    lines = [f"{path}: valid, version {result['version']}", f"hash {result['hash']}"]
    for name, consumer in result["consumers"].items():
        lines.append(f"consumer {name}: {consumer['grants']} grants, "
                     f"{len(consumer['procedures'])} procedures")  # fmt: skip
        for procedure, grants in consumer["procedures"].items():
            lines.append(f"  {procedure}")
            for g in grants:
                fields = ", ".join(g["fields"]) or "(existence only)"
                lines.append(f"    {g['source']}.{g['entity']}: {fields}")
    lines.append(f"sensitive grants: {len(result['sensitive'])}")
    for s in result["sensitive"]:
        lines.append(f"  {s['consumer']} {s['procedure']} {s['source']}.{s['entity']} "
                     f"({', '.join(s['fields'])}): {s['legal_basis']}")  # fmt: skip
    return "\n".join(lines)


def run(args: argparse.Namespace, settings: HubSettings) -> int:
    """Carry out ``hub policy check``: 0 when valid, 2 when not."""
    path: Path = args.file or default_file()
    try:
        policy = load_policy(path, SchemaStore(settings.schemas_dir))
    except PolicyError as exc:
        problems = [{"field": place, "message": message} for place, message in exc.problems]
        human = [f"{path}: invalid policy ({len(problems)} problems)"]
        human += [f"  {p['field']}: {p['message']}" for p in problems]
        result = {"valid": False, "file": str(path), "error": str(exc), "field": exc.field,
                  "problems": problems}  # fmt: skip
        emit(result, as_json=args.json, human="\n".join(human))
        return 2
    result = {"file": str(path), **summary(policy)}
    emit(result, as_json=args.json, human=_human(path, result))
    return 0
