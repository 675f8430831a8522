"""The schema store: every canonical Avro schema in ``schemas/``, parsed once.

Layout: ``schemas/<source>/<entity>.avsc`` is the current schema of an entity; earlier
versions stay beside it as ``<entity>.v<N>.avsc`` (N = 1, 2, ...). A schema's identity on
the wire is the CRC-64-AVRO fingerprint of its parsing canonical form.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

from hub.codec.type_names import PRIMITIVES
from hub.errors import SchemaError

_VERSIONED = re.compile(r"^(?P<entity>[a-z0-9_]+)\.v(?P<version>\d+)\.avsc$")


@dataclass(frozen=True)
class SchemaVersion:
    """One version of one entity's schema.

    Attributes:
        source: the source (folder) it belongs to.
        entity: the entity name (file stem).
        version: 1, 2, ... for earlier versions; ``None`` for the current schema.
        path: the ``.avsc`` file.
        definition: the schema as JSON.
    """

    source: str
    entity: str
    version: int | None
    path: Path
    definition: dict[str, Any]

    @cached_property
    def parsed(self) -> dict[str, Any]:
        """The schema parsed by fastavro (named types resolved)."""
        parsed = parse_schema(self.definition)
        return cast("dict[str, Any]", parsed)

    @cached_property
    def nullable_records(self) -> tuple[tuple[str, str], ...]:
        """Top-level fields typed ``["null", <record>]``, with the record's full name.

        The encoder names the branch of these unions explicitly, which spares fastavro a
        trial match of the record against the union (several times faster).
        """
        found = []
        for field in self.parsed["fields"]:
            branches = field["type"] if isinstance(field["type"], list) else []
            named = [b for b in branches if isinstance(b, dict) and b.get("type") == "record"]
            refs = [b for b in branches if isinstance(b, str) and b not in PRIMITIVES]
            if len(branches) == 2 and "null" in branches and len(named) + len(refs) == 1:
                found.append((field["name"], named[0]["name"] if named else refs[0]))
        return tuple(found)

    @property
    def full_name(self) -> str:
        """Namespace-qualified record name, e.g. ``vn.gov.hub.population.Citizen``."""
        return f"{self.definition.get('namespace', '')}.{self.definition['name']}".lstrip(".")

    @cached_property
    def canonical_form(self) -> str:
        """The Avro parsing canonical form (fastavro's, which follows the specification)."""
        return str(to_parsing_canonical_form(self.parsed))

    @cached_property
    def fingerprint(self) -> bytes:
        """The 8-byte CRC-64-AVRO fingerprint, little-endian as the single-object header."""
        return bytes.fromhex(fingerprint(self.canonical_form, "CRC-64-AVRO"))


class SchemaStore:
    """All schemas under a directory, loaded once.

    Args:
        root: the ``schemas/`` directory.

    Raises:
        SchemaError: the directory is missing or a file is not a valid Avro schema.
    """

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise SchemaError(f"schema directory {root} does not exist")
        self.root = root
        self._current: dict[tuple[str, str], SchemaVersion] = {}
        self._history: dict[tuple[str, str], list[SchemaVersion]] = {}
        self._by_fingerprint: dict[bytes, SchemaVersion] = {}
        for path in sorted(root.glob("*/*.avsc")):
            self._add(path)

    def _add(self, path: Path) -> None:
        try:
            definition = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise SchemaError(f"{path}: not valid JSON: {exc}") from exc
        source = path.parent.name
        match = _VERSIONED.match(path.name)
        entity, version = (match["entity"], int(match["version"])) if match else (path.stem, None)
        schema = SchemaVersion(source, entity, version, path, definition)
        try:
            schema.parsed  # noqa: B018 - parse now so a broken file fails at load
        except Exception as exc:
            raise SchemaError(f"{path}: not a valid Avro schema: {exc}") from exc
        if version is None:
            self._current[(source, entity)] = schema
        else:
            self._history.setdefault((source, entity), []).append(schema)
            self._history[(source, entity)].sort(key=lambda s: s.version or 0)
        self._by_fingerprint[schema.fingerprint] = schema

    def get(self, source: str, entity: str) -> SchemaVersion:
        """The current schema of ``source``/``entity``.

        Raises:
            SchemaError: no such schema.
        """
        try:
            return self._current[(source, entity)]
        except KeyError:
            raise SchemaError(f"no schema {source}/{entity}.avsc in {self.root}") from None

    def history(self, source: str, entity: str) -> list[SchemaVersion]:
        """Earlier versions of an entity's schema, oldest first."""
        return list(self._history.get((source, entity), []))

    def by_fingerprint(self, fp: bytes) -> SchemaVersion | None:
        """The schema (current or earlier) whose fingerprint is ``fp``."""
        return self._by_fingerprint.get(fp)

    def current(self) -> list[SchemaVersion]:
        """Every current schema, sorted by source and entity."""
        return [self._current[k] for k in sorted(self._current)]
