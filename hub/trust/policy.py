"""The purpose-bound access policy: which consumer may read which fields, and why.

A policy is a TOML file (``deploy/policy.toml`` is the default)::

    version = "2026-01-01.1"
    description = "..."

    [consumers.crosscheck]
    description = "The cross-check service"

    [[consumers.crosscheck.grants]]
    procedure = "CRIMINAL_RECORD_CERTIFICATE"
    source = "judicial"
    entity = "judicial_record"
    fields = ["record_status"]
    legal_basis = "Law on Judicial Records 28/2009/QH12 ..."

A *grant* lets one consumer, for one procedure, read the named fields of one canonical
entity (``schemas/<source>/<entity>.avsc``): a top-level field (a nested record, such as
an address or a partial date, is granted whole), or ``field.sub``, one sub-field of each
element of an array of records (``convictions.execution_status`` without the offences
and courts). An empty ``fields`` list grants existence and provenance only (R3 asks
whether a death is registered, not what it says). What no grant names stays hidden.

Decisions:

* **Sensitive data** (Law 91/2025/QH15; Decree 13/2023/ND-CP) needs a named
  ``legal_basis``: every field of ``judicial`` (criminal records) and of
  ``health_insurance`` (health data: the card code encodes the beneficiary group, the
  card names a care facility), ``population.citizen`` ethnicity and religion, and
  ``social_insurance`` benefit claims (sickness, maternity, occupational disease). The
  list is :data:`SENSITIVE`; it follows the schemas' own ``doc`` strings and the DPIA.
* **Mandatory sources**: a consumer that has grants for a procedure must have a grant
  for every source that procedure may hold mandatory
  (:func:`~hub.crosscheck.procedures.possible_mandatory_sources`); a hidden mandatory
  source would read as "no record", i.e. "never convicted", "no debt".
* **Validation** (:func:`validate_policy`) checks the file against the real schemas and
  the known procedures and collects every problem, each naming its place
  (``consumers.crosscheck.grants[3].fields[1]``); :class:`PolicyError` carries the first
  as ``field`` and all of them in ``problems``.
* **Version hash** (:func:`policy_hash`): SHA-256 of the canonical JSON of the policy
  with grants and fields sorted, so reordering or reformatting the file keeps the hash
  and any change of a grant, legal basis, description or version changes it. Workers
  log it at start and record it in the audit log.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.codec import SchemaStore
from hub.config import REPO_ROOT
from hub.crosscheck.dossier import Procedure
from hub.crosscheck.procedures import possible_mandatory_sources
from hub.errors import ConfigurationError, HubError

__all__ = [
    "DEFAULT_POLICY_FILE",
    "SENSITIVE",
    "AccessPolicy",
    "Consumer",
    "Grant",
    "Grants",
    "PolicyError",
    "field_paths",
    "is_sensitive",
    "load_policy",
    "parse_policy",
    "policy_hash",
    "validate_policy",
]

#: The policy a cross-check worker applies unless ``HUB_CROSSCHECK_POLICY_FILE`` says.
DEFAULT_POLICY_FILE = REPO_ROOT / "deploy" / "policy.toml"
#: Sensitive data per (source, entity): the field names, or ``"*"`` for every field.
SENSITIVE: dict[tuple[str, str], frozenset[str]] = {
    ("judicial", "judicial_record"): frozenset({"*"}),
    ("health_insurance", "health_insurance_card"): frozenset({"*"}),
    ("population", "citizen"): frozenset({"ethnicity", "religion"}),
    ("social_insurance", "social_insurance"): frozenset({"benefit_claims"}),
}

#: What a consumer may read for one procedure: (source, entity) → granted fields.
Grants = Mapping[tuple[str, str], frozenset[str]]

_CONSUMER = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


def is_sensitive(source: str, entity: str, field: str) -> bool:
    """Whether ``field`` (or ``field.sub``) of ``source``/``entity`` is sensitive data."""
    listed = SENSITIVE.get((source, entity), frozenset())
    return "*" in listed or field.partition(".")[0] in listed


def field_paths(definition: Mapping[str, Any]) -> set[str]:
    """What a grant may name in a record schema: each top-level field, and ``field.sub``
    for each sub-field of a field that is an array of records."""
    paths = set()
    for field in definition["fields"]:
        paths.add(field["name"])
        kind = field["type"]
        if isinstance(kind, list):  # a union: the non-null branch
            kind = next((k for k in kind if k != "null"), None)
        items = kind.get("items") if isinstance(kind, dict) and kind["type"] == "array" else None
        if isinstance(items, dict) and items.get("type") == "record":
            paths.update(f"{field['name']}.{sub['name']}" for sub in items["fields"])
    return paths


class PolicyError(ConfigurationError):
    """A policy file is unreadable or invalid.

    Attributes:
        field: where the first problem is (``consumers.crosscheck.grants[3].fields[1]``).
        problems: every problem found, as (place, message), in file order.
        path: the policy file, when one was read.
    """

    def __init__(self, problems: list[tuple[str, str]], *, path: Path | None = None) -> None:
        place, message = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        prefix = f"{path}: " if path is not None else ""
        HubError.__init__(self, f"{prefix}{place}: {message}{more}")
        self.field = place
        self.problems = problems
        self.path = path


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Grant(_Strict):
    """One consumer may read ``fields`` of ``source``/``entity`` for ``procedure``."""

    procedure: Procedure
    source: str = Field(min_length=1)
    entity: str = Field(min_length=1)
    fields: tuple[str, ...] = Field(description="Top-level fields; [] for existence only.")
    legal_basis: str | None = Field(None, description="Required for sensitive fields.")


class Consumer(_Strict):
    """A consumer of canonical data and its grants."""

    description: str = ""
    grants: tuple[Grant, ...] = ()


class AccessPolicy(_Strict):
    """A whole policy file."""

    version: str = Field(min_length=1, description="The policy's own version label.")
    description: str = ""
    consumers: dict[str, Consumer]

    def grants_for(
        self, consumer: str, procedure: Procedure
    ) -> dict[tuple[str, str], frozenset[str]]:
        """What ``consumer`` may read for ``procedure`` (empty: nothing, refuse)."""
        found = self.consumers.get(consumer)
        if found is None:
            return {}
        return {
            (g.source, g.entity): frozenset(g.fields)
            for g in found.grants
            if g.procedure is procedure
        }

    def sensitive_grants(self) -> list[tuple[str, Grant, tuple[str, ...]]]:
        """(consumer, grant, its sensitive fields) for every grant of sensitive data."""
        out = []
        for name, consumer in sorted(self.consumers.items()):
            for grant in consumer.grants:
                fields = tuple(
                    f for f in grant.fields if is_sensitive(grant.source, grant.entity, f)
                )
                if fields:
                    out.append((name, grant, fields))
        return out


def policy_hash(policy: AccessPolicy) -> str:
    """The policy's content hash, ``sha256:<64 hex>`` (see the module docstring)."""
    data = policy.model_dump(mode="json")
    for consumer in data["consumers"].values():
        for grant in consumer["grants"]:
            grant["fields"] = sorted(grant["fields"])
        consumer["grants"].sort(key=lambda g: (g["procedure"], g["source"], g["entity"]))
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _place(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def _grant_problems(where: str, grant: Grant, schemas: SchemaStore) -> list[tuple[str, str]]:
    known = {(s.source, s.entity): s for s in schemas.current()}
    sources = sorted({s for s, _ in known})
    if grant.source not in sources:
        return [
            (f"{where}.source", f"unknown source {grant.source!r} (known: {', '.join(sources)})")
        ]
    schema = known.get((grant.source, grant.entity))
    if schema is None:
        entities = sorted(e for s, e in known if s == grant.source)
        return [(f"{where}.entity", f"{grant.source} has no entity {grant.entity!r} "
                 f"(known: {', '.join(entities)})")]  # fmt: skip
    names = field_paths(schema.definition)
    problems = []
    for i, field in enumerate(grant.fields):
        if field not in names:
            problems.append((f"{where}.fields[{i}]",
                             f"{grant.source}.{grant.entity} has no field {field!r}"))  # fmt: skip
        elif field in grant.fields[:i]:
            problems.append((f"{where}.fields[{i}]", f"field {field!r} is granted twice"))
    sensitive = [f for f in grant.fields if is_sensitive(grant.source, grant.entity, f)]
    if sensitive and not grant.legal_basis:
        problems.append((f"{where}.legal_basis",
                         f"sensitive field(s) {', '.join(sensitive)} of {grant.source}."
                         f"{grant.entity} granted without a legal basis"))  # fmt: skip
    return problems


def validate_policy(policy: AccessPolicy, schemas: SchemaStore) -> None:
    """Check ``policy`` against the schemas and the procedures (see the module docstring).

    Raises:
        PolicyError: naming every problem's place; the first is ``field``.
    """
    problems: list[tuple[str, str]] = []
    for name, consumer in policy.consumers.items():
        base = f"consumers.{name}"
        if not _CONSUMER.match(name):
            problems.append((base, "a consumer name is lower case letters, digits, _ and -"))
        seen: dict[tuple[Procedure, str, str], int] = {}
        for i, grant in enumerate(consumer.grants):
            where = f"{base}.grants[{i}]"
            problems += _grant_problems(where, grant, schemas)
            key = (grant.procedure, grant.source, grant.entity)
            if key in seen:
                twice = f"{grant.source}.{grant.entity} (grants[{seen[key]}])"
                problems.append((where, f"{grant.procedure.value} already has a grant for {twice}"))
            seen.setdefault(key, i)
        for procedure in dict.fromkeys(g.procedure for g in consumer.grants):
            granted = {g.source for g in consumer.grants if g.procedure is procedure}
            for source in sorted(possible_mandatory_sources(procedure) - granted):
                problems.append((f"{base}.grants", f"{procedure.value} has no grant for "
                                 f"{source}, one of its mandatory sources"))  # fmt: skip
    if problems:
        raise PolicyError(problems)


def parse_policy(data: Mapping[str, Any]) -> AccessPolicy:
    """Validate the structure of a decoded policy document.

    Raises:
        PolicyError: naming the first offending place (unknown keys, wrong types, an
            unknown procedure...).
    """
    try:
        return AccessPolicy.model_validate(data)
    except ValidationError as exc:
        problems = [(_place(e["loc"]) or "policy", e["msg"]) for e in exc.errors()]
        raise PolicyError(problems) from None


def load_policy(path: Path, schemas: SchemaStore) -> AccessPolicy:
    """Read, parse and validate a policy file.

    Raises:
        PolicyError: the file is missing, not TOML, or invalid; the message names the
            file and the place.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError([("file", f"cannot be read ({exc.strerror})")], path=path) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError([("file", f"not TOML: {exc}")], path=path) from None
    try:
        policy = parse_policy(data)
        validate_policy(policy, schemas)
    except PolicyError as exc:
        raise PolicyError(exc.problems, path=path) from None
    return policy
