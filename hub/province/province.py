"""The synthetic province: configuration, population, timeline and injected faults."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field

from hub.province.discrepancies import (
    HOUSEHOLD_TYPES,
    Discrepancy,
    DiscrepancyType,
    draw,
    eligible,
    manifest,
)
from hub.province.people import BASE_TIME, TIMESTAMP_GROUP, Population, derive_seed
from hub.province.timeline import Timeline


class ProvinceConfig(BaseModel):
    """What the synthetic province looks like."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = Field(7, description="Everything derives from it: same seed, same province.")
    citizens: int = Field(3000, ge=1, le=1_000_000, description="Number of people.")
    province_code: str = Field("74", description="Old-list province code (Binh Duong).")
    malformed_rate: float = Field(
        0.002, ge=0, le=1, description="Share of native records a source sends malformed."
    )
    change_rate: float = Field(0.01, ge=0, le=1, description="Share changed per time step.")
    discrepancy_rate: float = Field(
        0.01, ge=0, le=1 / 14, description="Share of people with each discrepancy type."
    )


class Province:
    """One coherent synthetic province shared by every mock source.

    Args:
        config: its configuration.
    """

    def __init__(self, config: ProvinceConfig | None = None) -> None:
        self.config = config or ProvinceConfig()
        self._malformed: dict[str, set[int]] = {}
        start = BASE_TIME + timedelta(seconds=self.config.citizens // TIMESTAMP_GROUP + 1)
        self._timeline = Timeline(
            self.config.seed, self.config.citizens, start, self.config.change_rate
        )

    @cached_property
    def population(self) -> Population:
        """The people and households."""
        return Population(
            self.config.seed,
            self.config.citizens,
            self.config.province_code,
            self._timeline,
            self.config.discrepancy_rate,
        )

    def discrepancy_of(self, index: int) -> DiscrepancyType | None:
        """The discrepancy injected for person ``index`` (see :mod:`.discrepancies`).

        Address types belong to households: only a household head carries one, and all
        the household's members live at the affected address.
        """
        kind = draw(self.config.seed, self.config.discrepancy_rate, index)
        if kind is None:
            return None
        population = self.population
        if kind in HOUSEHOLD_TYPES:
            if population.household(population.household_of(index)).first != index:
                return None
        elif not eligible(kind, population.initial(index)):
            return None
        return kind

    def manifest(self) -> list[Discrepancy]:
        """Every injected discrepancy: the ground truth of the cross-checker."""
        return list(manifest(self))

    @property
    def timeline(self) -> Timeline:
        """Changes over time."""
        return self._timeline

    def malformed(self, source: str, index: int) -> bool:
        """Whether ``source`` sends its record of subject ``index`` malformed.

        Deterministic in (seed, source, index): the ground truth for dead-letter counts.
        Mock sources ask when they render a record; each subject answered True is
        remembered (see :meth:`malformed_subjects`).
        """
        hit = self.is_malformed(source, index)
        if hit:
            self._malformed.setdefault(source, set()).add(index)
        return hit

    def is_malformed(self, source: str, index: int) -> bool:
        """:meth:`malformed` without remembering the answer (for ground-truth readers)."""
        rate = self.config.malformed_rate
        if rate <= 0:
            return False
        return derive_seed(self.config.seed, "malformed", source, index) % 1_000_000 < rate * 1e6

    def malformed_subjects(self, source: str) -> int:
        """How many distinct subjects ``source`` has rendered malformed so far."""
        return len(self._malformed.get(source, ()))
