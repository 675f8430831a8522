"""Projected records: a canonical value holding only granted fields, and what was read.

:class:`GrantedValue` is the value a rule gets in a
:class:`~hub.crosscheck.evidence.SourceRecord` seen through the access policy
(:mod:`hub.trust.access`): only the granted fields are copied, so nothing else can reach
a reason or a citation; reading a field that is not granted raises :class:`NotEntitled`
rather than answer "absent". :class:`AccessLog` collects what one dossier's checks read
(per source and entity, the fields; and the identifiers looked up), which becomes the
dossier's audit entry.

Grants name top-level fields (taken whole, nested records included) or ``field.sub``
paths into an array of records (each element keeps only the granted sub-fields). A
container whose sub-fields are granted may be read (iterated, tested for emptiness);
the reads recorded are its sub-fields. With ``allowed=None`` everything is held and
reads are recorded down to those sub-fields: that is how the default policy is measured.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.errors import HubError

__all__ = ["AccessLog", "GrantedValue", "NotEntitled"]


class NotEntitled(HubError):
    """A rule read a field (or entity) its procedure's grants do not include.

    Attributes:
        source: the source.
        entity: the canonical entity.
        field: the field, or None for the entity as a whole.
    """

    def __init__(self, source: str, entity: str, field: str | None = None) -> None:
        self.source, self.entity, self.field = source, entity, field
        where = f"{source}.{entity}" + (f".{field}" if field else "")
        super().__init__(f"not entitled to read {where} for this procedure")

    @property
    def place(self) -> str:
        """``source.entity[.field]``."""
        return f"{self.source}.{self.entity}" + (f".{self.field}" if self.field else "")


@dataclass
class AccessLog:
    """What one dossier's checks read: entities, fields and subjects.

    Attributes:
        reads: (source, entity) → the fields read (empty: existence only).
        subjects: every identifier looked up.
    """

    reads: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    subjects: set[str] = field(default_factory=set)

    def looked_up(self, source: str, entity: str, subject: str) -> None:
        """Note a lookup of ``subject`` in ``source``/``entity``."""
        self.reads.setdefault((source, entity), set())
        self.subjects.add(subject)

    def read(self, source: str, entity: str, name: str) -> None:
        """Note that ``name`` of a ``source``/``entity`` record was read."""
        self.reads.setdefault((source, entity), set()).add(name)

    @property
    def sources(self) -> list[str]:
        """The sources read, sorted."""
        return sorted({s for s, _ in self.reads})

    def to_json(self) -> list[dict[str, Any]]:
        """The reads as JSON: ``[{source, entity, fields}]`` sorted."""
        return [
            {"source": s, "entity": e, "fields": sorted(fields)}
            for (s, e), fields in sorted(self.reads.items())
        ]


class GrantedValue(dict[str, Any]):
    """A canonical record's value holding only its granted fields; reads are recorded.

    ``allowed`` holds top-level field names (granted whole) and ``field.sub`` paths into
    an array of records (each element then holds only the granted sub-fields). Reading a
    field that is not granted raises :class:`NotEntitled` (``get`` included); iterating
    counts as reading every field held. ``allowed=None`` holds everything and records
    reads down to the sub-fields of arrays of records (measurement).
    """

    def __init__(
        self,
        value: Mapping[str, Any],
        allowed: frozenset[str] | None,
        where: tuple[str, str],
        log: AccessLog,
        prefix: str = "",
    ) -> None:
        self._where, self._log, self._prefix = where, log, prefix
        self._whole: frozenset[str] | None = None
        self._parts: dict[str, frozenset[str] | None] = {}
        if allowed is not None:
            self._whole = frozenset(f for f in allowed if "." not in f)
            for path in sorted(allowed - self._whole):
                head, _, tail = path.partition(".")
                self._parts[head] = frozenset({*(self._parts.get(head) or ()), tail})
        super().__init__(self._copy(value, allowed is None))

    def _copy(self, value: Mapping[str, Any], everything: bool) -> Iterator[tuple[str, Any]]:
        for name, item in value.items():
            if self._whole is None and everything and not self._prefix:
                yield name, self._elements(name, item, None)
            elif self._whole is None or name in self._whole:
                yield name, item
            elif name in self._parts:
                yield name, self._elements(name, item, self._parts[name])

    def _elements(self, name: str, item: Any, allowed: frozenset[str] | None) -> Any:
        if not isinstance(item, list):
            return item
        return [
            GrantedValue(e, allowed, self._where, self._log, f"{name}.")
            if isinstance(e, Mapping) else e
            for e in item
        ]  # fmt: skip

    def _check(self, name: object) -> None:
        path = f"{self._prefix}{name}"
        if self._whole is None or name in self._whole:
            self._log.read(*self._where, path)
        elif name not in self._parts:  # a container of granted parts: its parts record
            raise NotEntitled(*self._where, path)

    def __getitem__(self, name: str) -> Any:
        self._check(name)
        return super().__getitem__(name)

    def get(self, name: str, default: Any = None) -> Any:
        """See :meth:`dict.get`; a field not granted raises :class:`NotEntitled`."""
        self._check(name)
        return super().get(name, default)

    def __contains__(self, name: object) -> bool:
        self._check(name)
        return super().__contains__(name)

    def __iter__(self) -> Iterator[str]:
        for name in super().keys():  # noqa: SIM118 - super().__iter__ is what is overridden
            self._check(name)
        return super().__iter__()

    def items(self) -> Any:
        """See :meth:`dict.items`; every field held counts as read."""
        list(self.__iter__())
        return super().items()

    def values(self) -> Any:
        """See :meth:`dict.values`; every field held counts as read."""
        list(self.__iter__())
        return super().values()
