"""Time in the synthetic province: what changes after the initial load.

The province starts at its initial state. Each :meth:`Timeline.advance` moves the clock
one step (a day) and draws, deterministically from the seed and the step number, a few
people who move house or die. Sources that serve "changed since" queries read
:meth:`Timeline.changed_since`; :meth:`Timeline.changes_of` tells a person's history and
:meth:`Timeline.death_of` the change in which a person died.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hub.normalise.dates import PartialDate

if TYPE_CHECKING:
    from hub.province.people import Population


@dataclass(frozen=True, slots=True)
class Change:
    """One change to one person: ``kind`` is "move" or "death"."""

    kind: str
    index: int
    at: datetime


class Timeline:
    """The changes applied so far, indexed by person and by time.

    Args:
        seed: the province seed.
        citizens: population size (changes pick among them).
        start: the clock's initial value (after the initial load).
        rate: share of the population changed per step.
    """

    def __init__(self, seed: int, citizens: int, start: datetime, rate: float = 0.01) -> None:
        self.seed = seed
        self.citizens = citizens
        self.now = start
        self.rate = rate
        self.steps = 0
        self._by_person: dict[int, list[Change]] = {}
        self._times: list[datetime] = []
        self._log: list[Change] = []

    def advance(self, steps: int = 1) -> list[Change]:
        """Move the clock ``steps`` days; return the changes made, oldest first."""
        made: list[Change] = []
        for _ in range(steps):
            self.steps += 1
            rng = random.Random(f"{self.seed}/timeline/{self.steps}")
            count = max(1, int(self.citizens * self.rate))
            base = self.now + timedelta(days=1)
            for n, index in enumerate(sorted(rng.sample(range(self.citizens), count))):
                kind = "death" if rng.random() < 0.2 else "move"
                change = Change(kind, index, base + timedelta(seconds=n // 3))
                self._by_person.setdefault(index, []).append(change)
                self._times.append(change.at)
                self._log.append(change)
                made.append(change)
            self.now = base + timedelta(seconds=count)
        return made

    def changes_of(self, index: int) -> list[Change]:
        """Every change to person ``index``, oldest first (empty when none)."""
        return self._by_person.get(index, [])

    def last_change(self, index: int) -> Change | None:
        """The newest change to person ``index``."""
        changes = self._by_person.get(index)
        return changes[-1] if changes else None

    def changed_since(self, moment: datetime) -> list[Change]:
        """Changes at or after ``moment``, oldest first (ties in index order)."""
        return self._log[bisect.bisect_left(self._times, moment) :]

    def death_of(self, index: int, population: Population) -> Change | None:
        """The change in which person ``index`` of ``population`` died, if the timeline killed them.

        A person already dead before the timeline started (or a repeated "death" drawn for
        someone dead) yields None: sources had recorded that death in their initial state.
        """
        for change in self.changes_of(index):
            if change.kind == "death":
                death = population.person(index).death
                at = change.at
                return change if death == PartialDate(at.year, at.month, at.day) else None
        return None
