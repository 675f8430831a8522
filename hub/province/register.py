"""The base of the province's registers: an initial load, then what the timeline adds.

A register (civil status, degrees) derives its records from the population: each
person's records of the initial load, dated with the person's initial update time, and
records that timeline changes create afterwards. :meth:`Register.since` walks them in
the register's order of entry: the initial load in groups that share an update time
(ordered by :meth:`Register.entry_key` within a group), then the timeline's records by
``(updated_at, entry_key)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from hub.province.people import TIMESTAMP_GROUP
from hub.province.province import Province
from hub.province.timeline import Change


class Dated(Protocol):
    """A register record: it knows when the register last changed it."""

    @property
    def updated_at(self) -> datetime:
        """When the register last changed the record (UTC)."""
        ...


R = TypeVar("R", bound=Dated)


class Register(ABC, Generic[R]):
    """Records of one kind derived from a synthetic province (see the module docstring).

    Args:
        province: the shared synthetic province.
    """

    def __init__(self, province: Province) -> None:
        self.province = province
        self.population = province.population
        self.seed = province.config.seed

    @abstractmethod
    def initial_of(self, index: int) -> list[R]:
        """The records of person ``index`` in the initial load."""

    @abstractmethod
    def added_by(self, change: Change) -> R | None:
        """The record a timeline change creates, if any."""

    @staticmethod
    @abstractmethod
    def entry_key(record: R) -> str:
        """The register's identity of ``record``, which orders records entered together."""

    def since(self, moment: datetime | None) -> Iterator[R]:
        """Records with ``updated_at >= moment`` (all when None), in entry order."""
        pop = self.population
        initial_end = pop.initial_load_end
        if moment is None or moment < initial_end:
            group = 0
            if moment is not None:
                group = max(0, int((moment - pop.base_updated_at(0)).total_seconds()))
            while group * TIMESTAMP_GROUP < pop.citizens:
                first = group * TIMESTAMP_GROUP
                batch = [
                    record
                    for index in range(first, min(pop.citizens, first + TIMESTAMP_GROUP))
                    for record in self.initial_of(index)
                ]
                batch.sort(key=self.entry_key)
                yield from (r for r in batch if moment is None or r.updated_at >= moment)
                group += 1
        start = initial_end if moment is None else max(moment, initial_end)
        changes = self.province.timeline.changed_since(start)
        later = [record for c in changes if (record := self.added_by(c))]
        later.sort(key=lambda r: (r.updated_at, self.entry_key(r)))
        yield from later
