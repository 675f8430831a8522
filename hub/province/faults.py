"""Faults a mock source can be told to produce: timeouts, server errors, rate limits,
truncated answers. Faults are drawn at a configured rate (seeded), scripted one by one,
or forced for an outage window (started by a test, or planned: after the source has
answered a given number of calls, every call fails for so many seconds).
"""

from __future__ import annotations

import random
import time
from collections import deque
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class FaultKind(StrEnum):
    """What goes wrong with one source call."""

    TIMEOUT = "timeout"
    SERVER_ERROR = "server_error"
    RATE_LIMIT = "rate_limit"
    TRUNCATED = "truncated"


class FaultPlan(BaseModel):
    """Random faults: each call fails with probability ``rate``, kind drawn from ``kinds``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rate: float = Field(0.0, ge=0, le=1, description="Probability that a call fails.")
    kinds: tuple[FaultKind, ...] = Field(
        tuple(FaultKind), min_length=1, description="Kinds to draw from."
    )
    seed: int = Field(0, description="Seed of the fault draws.")
    script: tuple[FaultKind, ...] = Field(
        (), description="Faults of the first calls, in order, before any random one."
    )
    outage_after_calls: int | None = Field(
        None, ge=0, description="Begin an outage after this many calls; None: no outage."
    )
    outage_s: float = Field(0.0, ge=0, le=3600, description="Length of the planned outage.")
    outage_kind: FaultKind = Field(
        FaultKind.SERVER_ERROR, description="What every call fails with during the outage."
    )


class FaultInjector:
    """Decides, per call, whether and how a mock source fails.

    Args:
        plan: random faults; scripted faults and outages come on top.
    """

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self.plan = plan or FaultPlan()
        self._rng = random.Random(self.plan.seed)
        self._script: deque[FaultKind] = deque(self.plan.script)
        self._outage_until = 0.0
        self._outage_kind = FaultKind.SERVER_ERROR
        self.injected = 0
        self.calls = 0

    def script(self, *kinds: FaultKind) -> None:
        """Make the next calls fail with ``kinds``, in order."""
        self._script.extend(kinds)

    def outage(self, seconds: float, kind: FaultKind = FaultKind.SERVER_ERROR) -> None:
        """Make every call fail with ``kind`` for the next ``seconds``."""
        self._outage_until = time.monotonic() + seconds
        self._outage_kind = kind

    def next_fault(self) -> FaultKind | None:
        """The fault for this call, or None for a normal answer."""
        self.calls += 1
        if self.calls - 1 == self.plan.outage_after_calls and self.plan.outage_s:
            self.outage(self.plan.outage_s, self.plan.outage_kind)
        fault: FaultKind | None = None
        if time.monotonic() < self._outage_until:
            fault = self._outage_kind
        elif self._script:
            fault = self._script.popleft()
        elif self.plan.rate and self._rng.random() < self.plan.rate:
            fault = self._rng.choice(self.plan.kinds)
        if fault is not None:
            self.injected += 1
        return fault
