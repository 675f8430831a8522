"""Retrying a failing source: exponential backoff with jitter, circuit breaker, rate limit.

These are small, clock-injectable pieces; :class:`ResilientFetcher` in ``fetcher.py``
composes them around an adapter.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from hub.errors import CircuitOpenError


class RetryPolicy(BaseModel):
    """Exponential backoff with full jitter for retriable source errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    initial_delay_s: float = Field(0.2, gt=0, description="First backoff delay.")
    max_delay_s: float = Field(30.0, gt=0, description="Cap on one backoff delay.")
    multiplier: float = Field(2.0, ge=1.0, description="Growth factor per attempt.")
    max_attempts: int | None = Field(
        None, ge=1, description="Give up after this many attempts; None retries forever."
    )

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """The delay before retry number ``attempt`` (1-based), with full jitter."""
        ceiling = min(self.max_delay_s, self.initial_delay_s * self.multiplier ** (attempt - 1))
        return (rng or random).uniform(ceiling / 2, ceiling)


class BreakerState(StrEnum):
    """Circuit breaker states."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class CircuitBreaker:
    """Opens after ``failure_threshold`` consecutive failures; lets one trial call through
    after ``reset_timeout_s``; closes again on a success.

    Attributes:
        failure_threshold: consecutive failures that open the circuit.
        reset_timeout_s: how long it stays open before a trial call.
        clock: monotonic clock (injectable for tests).
    """

    failure_threshold: int = 5
    reset_timeout_s: float = 5.0
    clock: Callable[[], float] = time.monotonic
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    opened_at: float = 0.0

    def before_call(self) -> None:
        """Raise :class:`CircuitOpenError` while open; move to half-open when due."""
        if self.state is BreakerState.OPEN:
            if self.clock() - self.opened_at < self.reset_timeout_s:
                raise CircuitOpenError("circuit open: the source failed repeatedly")
            self.state = BreakerState.HALF_OPEN

    def remaining_open_s(self) -> float:
        """Seconds until a trial call is allowed (0 when not open)."""
        if self.state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self.reset_timeout_s - (self.clock() - self.opened_at))

    def record_success(self) -> None:
        """A call succeeded: close the circuit."""
        self.state = BreakerState.CLOSED
        self.failures = 0

    def record_failure(self) -> None:
        """A call failed: count it, and open the circuit at the threshold."""
        self.failures += 1
        if self.state is BreakerState.HALF_OPEN or self.failures >= self.failure_threshold:
            self.state = BreakerState.OPEN
            self.opened_at = self.clock()


@dataclass
class RateLimiter:
    """Token bucket: at most ``rate`` calls per second on average, bursts of ``burst``.

    Attributes:
        rate: calls per second; 0 or less disables the limit.
        burst: bucket size.
    """

    rate: float
    burst: int = 1
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)
        self._last = self.clock()

    async def acquire(self) -> float:
        """Wait for a token. Returns the seconds spent waiting (throttled time)."""
        if self.rate <= 0:
            return 0.0
        waited = 0.0
        while True:
            now = self.clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return waited
            pause = (1 - self._tokens) / self.rate
            await asyncio.sleep(pause)
            waited += pause
