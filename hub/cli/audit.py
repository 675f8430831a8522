"""``hub audit verify`` and ``hub audit who-accessed SUBJECT``: the audit log, read back.

- ``verify``: reads ``<prefix>hub.audit`` from start to end, recomputes every chain and
  checkpoint signature (:class:`hub.trust.audit_verify.ChainVerifier`, record by record:
  the log is never held in memory) with the public keys of
  ``HUB_TRUST_KEYS_DIR``; prints each chain and the first broken link (writer,
  sequence, partition and offset, why). Exit 0 when intact, 1 when a link is broken.
- ``who-accessed SUBJECT``: every access to records looked up by that identifier (a
  PIN; a plate, parcel id, enterprise code or licence number works too): when, which
  officer, for which procedure and dossier, which sources and fields were read, and
  the verdict; with whether the log verified intact. The data subject's question
  (Estonia's Data Tracker). Exit 0.

``--topic`` reads another topic (a copy of the log, e.g. an off-cluster backup).
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from hub.broker import broker_session
from hub.cli.output import emit
from hub.config import HubSettings
from hub.connect.topics import TopicNames
from hub.trust.audit_log import audit_topic, iter_audit
from hub.trust.audit_verify import ChainVerifier, Verification, access_naming, oldest_first
from hub.trust.keys import KeyStore


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``hub audit``."""
    parser = commands.add_parser("audit", help="the tamper-evident audit log")
    sub = parser.add_subparsers(dest="action", required=True)
    check = sub.add_parser("verify", help="recompute every chain; exit 1 at a broken link")
    who = sub.add_parser("who-accessed", help="who looked at a subject's records, when, why")
    who.add_argument("subject", help="the subject's identifier (a PIN)")
    for command in (check, who):
        command.add_argument("--topic", default=None, help="read this topic instead")
        command.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


async def verify_log(
    settings: HubSettings, bootstrap: str, topic: str | None = None
) -> Verification:
    """Verify the audit topic (or ``topic``) with the keys directory's public keys."""
    checked, _ = await _read_log(settings, bootstrap, topic, subject=None)
    return checked


async def accesses_of(
    settings: HubSettings, bootstrap: str, subject: str, topic: str | None = None
) -> dict[str, Any]:
    """Every access naming ``subject``, and whether the log verified intact."""
    checked, accesses = await _read_log(settings, bootstrap, topic, subject=subject)
    return {"subject": subject, "log_intact": checked.intact, "accesses": accesses}


async def _read_log(
    settings: HubSettings, bootstrap: str, topic: str | None, *, subject: str | None
) -> tuple[Verification, list[dict[str, Any]]]:
    """Verify the log in one pass, keeping the accesses naming ``subject`` (if any): the
    log is never held in memory, only its chains' summaries."""
    name = topic or audit_topic(TopicNames(settings.topic_prefix))
    verifier = ChainVerifier(KeyStore(settings.trust().keys_dir).trusted_keys())
    accesses = []
    async for record in iter_audit(bootstrap, settings, name):
        verifier.add(record)
        if subject is not None and (access := access_naming(record, subject)) is not None:
            accesses.append(access)
    return verifier.result(), oldest_first(accesses)


def _verify_text(topic: str, result: dict[str, Any]) -> str:
    state = "intact" if result["intact"] else f"BROKEN ({result['breaks']} broken links)"
    lines = [f"audit log {topic}: {result['records']} records, "
             f"{len(result['chains'])} chains: {state}"]  # fmt: skip
    first = result["first_break"]
    if first:
        lines.append(f"first broken link: partition {first['partition']} offset "
                     f"{first['offset']} (writer {first['writer']}, seq {first['seq']}): "
                     f"{first['reason']}")  # fmt: skip
    for c in result["chains"]:
        state = "closed" if c["closed"] else "open"
        lines.append(f"  {c['writer']}: {c['entries']} entries ({c['accesses']} accesses), "
                     f"{c['checkpoints']} checkpoints, {c['unsealed']} unsealed, {state}, "
                     f"policy {c['policy_hash']}")  # fmt: skip
    return "\n".join(lines)


def _who_text(result: dict[str, Any]) -> str:
    accesses = result["accesses"]
    intact = "intact" if result["log_intact"] else "NOT intact: see `hub audit verify`"
    lines = [f"{len(accesses)} accesses to {result['subject']}'s records (audit log {intact})"]
    for a in accesses:
        lines.append(f"{a['at']}  officer {a['officer']}  {a['procedure']}  dossier "
                     f"{a['dossier_id']}  verdict {a['status']}")  # fmt: skip
        for r in a["reads"]:
            fields = ", ".join(r["fields"]) or "existence only"
            lines.append(f"    read {r['source']}.{r['entity']}: {fields}")
    return "\n".join(lines)


def run(args: argparse.Namespace, settings: HubSettings) -> int:
    """Carry out ``hub audit verify`` (0 intact, 1 broken) or ``who-accessed`` (0)."""
    topic = args.topic or audit_topic(TopicNames(settings.topic_prefix))
    with broker_session(settings, start=False) as session:
        if args.action == "verify":
            result = asyncio.run(verify_log(settings, session.bootstrap, topic)).to_json()
            emit({"topic": topic, **result}, as_json=args.json, human=_verify_text(topic, result))
            return 0 if result["intact"] else 1
        found = asyncio.run(accesses_of(settings, session.bootstrap, args.subject, topic))
        emit({"topic": topic, **found}, as_json=args.json, human=_who_text(found))
        return 0
