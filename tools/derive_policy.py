"""Derive the default access policy (``deploy/policy.toml``) from what the rules read.

Every procedure is run over synthetic provinces (honest dossiers and one per injected
discrepancy) with the evidence seen through :class:`hub.trust.access.PolicyEvidence`
granting everything, which records each (source, entity, field) a rule reads. The
policy grants the consumer ``crosscheck`` exactly those, per procedure, plus the reads
of :data:`BRANCHES` (branches no synthetic dossier reaches, found by reading the rules);
the sensitive ones get the legal basis of :data:`LEGAL_BASES`. Regenerate after changing
a rule::

    .venv/bin/python tools/derive_policy.py            # writes deploy/policy.toml
    .venv/bin/python tools/derive_policy.py --check    # exit 1 if the file differs

``tests/unit/test_policy_default.py`` proves that the file grants everything the rules
read on another province (verdicts with and without the policy are identical).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from connectors.driving_licences.licences import licence_of
from hub.codec import SchemaStore
from hub.config import REPO_ROOT
from hub.connect.mock_options import shared_province
from hub.connect.registry import discover
from hub.crosscheck.dossier import Procedure
from hub.crosscheck.evidence import InMemoryEvidence
from hub.crosscheck.generate import generate_dossiers
from hub.errors import RecordError
from hub.province import Province, ProvinceConfig
from hub.trust.access import check_with_policy
from hub.trust.policy import is_sensitive, load_policy, policy_hash

CONSUMER = "crosscheck"
SEEDS = (7, 11, 23, 101)
#: The legal basis stated for each sensitive grant, per (procedure or "*", source). [verify]
LEGAL_BASES = {
    ("CRIMINAL_RECORD_CERTIFICATE", "judicial"): (
        "Law on Judicial Records 28/2009/QH12: a criminal-record certificate states the "
        "record status of the requester, looked up by PIN only [verify]"
    ),
    ("BUSINESS_REGISTRATION", "judicial"): (
        "Law on Enterprises 59/2020/QH14, Art. 17: a person serving a sentence may not "
        "manage an enterprise; only the convictions' execution status is read [verify]"
    ),
    ("*", "health_insurance"): (
        "Law on Personal Data Protection 91/2025/QH15: processing by a competent state "
        "agency for an administrative procedure; only sex and date of birth, to "
        "corroborate the declared identity (R1) [verify]"
    ),
}
#: Reads in branches the synthetic provinces never reach, found by reading the rules.
BRANCHES: dict[tuple[Procedure, str, str], set[str]] = {
    # R6: the mother's death is registered in civil status but not in the population
    (Procedure.BIRTH_REGISTRATION, "civil_status", "death"): {"date_of_death"},
    # R7: no household relationship, but the applicant owns land at the declared address
    (Procedure.RESIDENCE_REGISTRATION, "land", "parcel"): {"address"},
}
Reads = dict[Procedure, dict[tuple[str, str], set[str]]]


async def province_evidence(config: ProvinceConfig) -> InMemoryEvidence:
    """Every connector's mock source mapped into evidence (no Kafka)."""
    evidence = InMemoryEvidence()
    options = {"province": config.model_dump()}
    for name, spec in discover().items():
        adapter, mapper = spec.make_adapter(options), spec.make_mapper()
        await adapter.open()
        try:
            for stream in spec.streams:
                cursor = None
                while True:
                    page = await adapter.fetch(stream.name, cursor, 500)
                    for native in page.records:
                        try:
                            for record in mapper.map(stream.name, native):
                                evidence.add_canonical(name, record)
                        except RecordError:
                            continue
                    cursor = page.cursor
                    if not page.has_more:
                        break
        finally:
            await adapter.close()
    return evidence


def renewable(province: Province) -> object:
    """The licence number of a person's renewable licence (for honest renewals)."""

    def number(index: int) -> str | None:
        licence = licence_of(province, index)
        ok = licence is not None and not licence.paper and licence.status == "VALID"
        return licence.number if licence is not None and ok else None

    return number


def measure(seed: int, citizens: int, into: Reads) -> int:
    """Add what the rules read on one province to ``into``; return the dossier count."""
    config = ProvinceConfig(citizens=citizens, seed=seed, malformed_rate=0.0)
    province = shared_province(config)
    evidence = asyncio.run(province_evidence(config))
    generation = generate_dossiers(province, licence_number_of=renewable(province))  # type: ignore[arg-type]
    for generated in generation.dossiers:
        _, log = check_with_policy(generated.dossier, evidence, None)
        reads = into.setdefault(generated.dossier.procedure, {})
        for where, fields in log.reads.items():
            reads.setdefault(where, set()).update(fields)
    return len(generation.dossiers)


def render(reads: Reads) -> str:
    """The policy file granting exactly ``reads``."""
    lines = [
        "# The default access policy: what the cross-check rules read, per procedure.",
        "# Generated by tools/derive_policy.py (measured over synthetic provinces); edit the",
        "# tool's LEGAL_BASES, not this file. Check with `hub policy check deploy/policy.toml`.",
        "",
        'version = "1"',
        'description = "Each procedure reads exactly the fields its cross-check rules use."',
        "",
        f"[consumers.{CONSUMER}]",
        'description = "The cross-check service (hub crosscheck worker)."',
    ]
    for procedure in Procedure:
        lines += ["", f"# {procedure.value}"]
        for (source, entity), fields in sorted(reads.get(procedure, {}).items()):
            lines += [
                f"[[consumers.{CONSUMER}.grants]]",
                f'procedure = "{procedure.value}"',
                f'source = "{source}"',
                f'entity = "{entity}"',
                f"fields = {json.dumps(sorted(fields))}",
            ]
            if any(is_sensitive(source, entity, f) for f in fields):
                basis = LEGAL_BASES.get((procedure.value, source)) or LEGAL_BASES[("*", source)]
                lines.append(f"legal_basis = {json.dumps(basis, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Measure, render, and write (or compare with) the policy file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "deploy" / "policy.toml")
    parser.add_argument("--citizens", type=int, default=3000)
    parser.add_argument("--seed", type=int, action="append", default=None)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    reads: Reads = {}
    for seed in args.seed or SEEDS:
        count = measure(seed, args.citizens, reads)
        print(f"seed {seed}: {count} dossiers", file=sys.stderr)
    for (procedure, source, entity), fields in BRANCHES.items():
        reads.setdefault(procedure, {}).setdefault((source, entity), set()).update(fields)
    for by_entity in reads.values():
        for fields in by_entity.values():  # an array read by sub-fields: grant those only
            fields -= {f.partition(".")[0] for f in fields if "." in f}
    text = render(reads)
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{args.out} differs from the measurement")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    policy = load_policy(args.out, SchemaStore(REPO_ROOT / "schemas"))
    print(f"wrote {args.out} ({policy_hash(policy)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
