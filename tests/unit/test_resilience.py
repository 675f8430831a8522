"""Retry policy, circuit breaker, rate limiter and the resilient fetcher (decision 6)."""

from __future__ import annotations

import random

import pytest
from prometheus_client import CollectorRegistry

from hub.connect.contract import SourceAdapter
from hub.connect.fetcher import ResilientFetcher, failure_kind
from hub.connect.records import Cursor, NativeRecord, Page
from hub.connect.resilience import BreakerState, CircuitBreaker, RateLimiter, RetryPolicy
from hub.errors import (
    CircuitOpenError,
    FatalSourceError,
    RateLimitedError,
    RetriableSourceError,
)
from hub.metrics import HubMetrics


def state_of(breaker: CircuitBreaker) -> BreakerState:
    """The breaker's state, read through a call so type checkers do not narrow it."""
    return breaker.state


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# -- RetryPolicy -------------------------------------------------------------------------


def test_retry_delays_grow_and_are_capped() -> None:
    policy = RetryPolicy(initial_delay_s=0.1, max_delay_s=2.0, multiplier=2.0)
    rng = random.Random(1)
    ceilings = [min(2.0, 0.1 * 2 ** (n - 1)) for n in range(1, 12)]
    for attempt, ceiling in enumerate(ceilings, start=1):
        for _ in range(50):
            delay = policy.delay(attempt, rng)
            assert ceiling / 2 <= delay <= ceiling, (attempt, delay)
    # the cap holds however far the attempts go
    assert all(policy.delay(n, rng) <= 2.0 for n in range(1, 200))


def test_retry_delays_grow_on_average() -> None:
    policy = RetryPolicy(initial_delay_s=0.1, max_delay_s=100.0, multiplier=3.0)
    rng = random.Random(2)
    means = [sum(policy.delay(n, rng) for _ in range(200)) / 200 for n in range(1, 6)]
    assert means == sorted(means)
    assert means[-1] > 50 * means[0]


def test_retry_jitter_spreads_delays() -> None:
    policy = RetryPolicy(initial_delay_s=1.0, max_delay_s=10.0)
    rng = random.Random(3)
    delays = {round(policy.delay(3, rng), 6) for _ in range(50)}
    assert len(delays) > 40
    assert min(delays) >= 2.0
    assert max(delays) <= 4.0


def test_retry_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="initial_delay_s"):
        RetryPolicy(initial_delay_s=0)
    with pytest.raises(ValueError, match="multiplier"):
        RetryPolicy(multiplier=0.5)
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


# -- CircuitBreaker ----------------------------------------------------------------------


def test_breaker_opens_after_threshold() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout_s=10.0, clock=clock)
    for _ in range(2):
        breaker.before_call()
        breaker.record_failure()
        assert state_of(breaker) is BreakerState.CLOSED
    breaker.before_call()
    breaker.record_failure()
    assert state_of(breaker) is BreakerState.OPEN
    with pytest.raises(CircuitOpenError):
        breaker.before_call()
    assert breaker.remaining_open_s() == pytest.approx(10.0)
    clock.advance(4)
    assert breaker.remaining_open_s() == pytest.approx(6.0)
    with pytest.raises(CircuitOpenError):
        breaker.before_call()


def test_breaker_success_resets_the_count() -> None:
    breaker = CircuitBreaker(failure_threshold=3, clock=FakeClock())
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert state_of(breaker) is BreakerState.CLOSED


def test_breaker_half_open_then_closed_on_success() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout_s=5.0, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    assert state_of(breaker) is BreakerState.OPEN
    clock.advance(5.0)
    breaker.before_call()
    assert state_of(breaker) is BreakerState.HALF_OPEN
    assert breaker.remaining_open_s() == 0.0
    breaker.record_success()
    assert state_of(breaker) is BreakerState.CLOSED
    assert breaker.failures == 0
    breaker.before_call()  # closed: no error


def test_breaker_half_open_reopens_on_failure() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout_s=5.0, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    clock.advance(6.0)
    breaker.before_call()
    assert state_of(breaker) is BreakerState.HALF_OPEN
    breaker.record_failure()
    assert state_of(breaker) is BreakerState.OPEN
    assert breaker.remaining_open_s() == pytest.approx(5.0)  # a fresh timeout
    with pytest.raises(CircuitOpenError):
        breaker.before_call()


# -- RateLimiter -------------------------------------------------------------------------


async def test_rate_limiter_disabled() -> None:
    limiter = RateLimiter(rate=0, clock=FakeClock())
    assert [await limiter.acquire() for _ in range(100)] == [0.0] * 100


async def test_rate_limiter_burst_then_waits_on_fake_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FakeClock(0.0)
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        # a real sleep overshoots a little; without it, float rounding of the clock can
        # leave the bucket a hair short of a token forever
        slept.append(seconds)
        clock.advance(seconds + 1e-9)

    monkeypatch.setattr("hub.connect.resilience.asyncio.sleep", fake_sleep)
    limiter = RateLimiter(rate=10.0, burst=3, clock=clock)
    assert [await limiter.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    waits = [await limiter.acquire() for _ in range(5)]
    assert waits == [pytest.approx(0.1, abs=1e-6)] * 5
    assert sum(slept) == pytest.approx(0.5, abs=1e-6)
    clock.advance(10.0)  # the bucket refills, but only up to the burst
    assert [await limiter.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert await limiter.acquire() == pytest.approx(0.1, abs=1e-6)


async def test_rate_limiter_real_spacing() -> None:
    import time

    limiter = RateLimiter(rate=200.0, burst=1)
    started = time.monotonic()
    for _ in range(6):
        await limiter.acquire()
    elapsed = time.monotonic() - started
    assert elapsed >= 5 / 200 * 0.9  # 5 waits of 5 ms after the first token


# -- ResilientFetcher --------------------------------------------------------------------


class FlakyAdapter(SourceAdapter):
    """Raises the scripted errors in order, then answers with a one-record page."""

    def __init__(self, errors: list[Exception]) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def fetch(self, stream: str, cursor: Cursor | None, limit: int) -> Page:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return Page([NativeRecord({"n": self.calls})], {"after": self.calls}, has_more=False)


class Harness:
    def __init__(
        self,
        errors: list[Exception],
        *,
        max_attempts: int | None = None,
        threshold: int = 100,
        reset_s: float = 1.0,
    ) -> None:
        self.registry = CollectorRegistry()
        self.metrics = HubMetrics(self.registry)
        self.adapter = FlakyAdapter(errors)
        self.clock = FakeClock()
        self.delays: list[float] = []
        self.events: list[str] = []
        self.fetcher = ResilientFetcher(
            self.adapter,
            self.metrics.connector("x"),
            policy=RetryPolicy(initial_delay_s=0.01, max_delay_s=0.08, max_attempts=max_attempts),
            breaker=CircuitBreaker(
                failure_threshold=threshold, reset_timeout_s=reset_s, clock=self.clock
            ),
            limiter=RateLimiter(rate=0),
            on_degraded=lambda: self.events.append("degraded"),
            on_recovered=lambda: self.events.append("recovered"),
            sleep=self._sleep,
            rng=random.Random(0),
        )

    async def _sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.clock.advance(seconds)

    def value(self, name: str, **labels: str) -> float | None:
        return self.registry.get_sample_value(name, {"connector": "x", **labels})


async def test_fetcher_retries_then_returns_the_page() -> None:
    h = Harness(
        [
            RetriableSourceError("timeout calling /x"),
            RateLimitedError("429", retry_after=0.5),
            RetriableSourceError("server error 503"),
        ]
    )
    page = await h.fetcher.fetch("s", None, 10)
    assert page.records[0].payload == {"n": 4}
    assert h.adapter.calls == 4
    assert h.value("hub_connector_retries_total") == 3
    assert h.value("hub_source_failures_total", kind="timeout") == 1
    assert h.value("hub_source_failures_total", kind="rate_limit") == 1
    assert h.value("hub_source_failures_total", kind="server") == 1
    assert h.value("hub_source_up") == 1
    assert h.events == ["degraded", "recovered"]
    assert len(h.delays) == 3
    assert 0.005 <= h.delays[0] <= 0.01
    assert h.delays[1] >= 0.5  # Retry-After is honoured
    assert 0.02 <= h.delays[2] <= 0.04


async def test_fetcher_success_first_time_reports_nothing() -> None:
    h = Harness([])
    await h.fetcher.fetch("s", None, 10)
    assert h.events == []
    assert h.delays == []
    assert not h.value("hub_connector_retries_total")  # absent or 0
    assert h.value("hub_source_up") == 1


async def test_fetcher_degraded_and_recovered_once_each() -> None:
    h = Harness([RetriableSourceError("boom")] * 6)
    await h.fetcher.fetch("s", None, 10)
    await h.fetcher.fetch("s", None, 10)
    assert h.events == ["degraded", "recovered"]
    assert h.value("hub_connector_retries_total") == 6


async def test_fetcher_fatal_propagates_immediately() -> None:
    h = Harness([FatalSourceError("401 bad credentials")])
    with pytest.raises(FatalSourceError, match="bad credentials"):
        await h.fetcher.fetch("s", None, 10)
    assert h.adapter.calls == 1
    assert h.delays == []
    assert h.value("hub_source_failures_total", kind="fatal") == 1
    assert not h.value("hub_connector_retries_total")  # absent or 0


async def test_fetcher_gives_up_after_max_attempts() -> None:
    h = Harness([RetriableSourceError(f"fail {n}") for n in range(10)], max_attempts=3)
    with pytest.raises(RetriableSourceError, match="fail 2"):
        await h.fetcher.fetch("s", None, 10)
    assert h.adapter.calls == 3
    assert h.value("hub_connector_retries_total") == 2
    assert len(h.delays) == 2


async def test_fetcher_waits_for_open_breaker() -> None:
    h = Harness([RetriableSourceError("boom")] * 3, threshold=3, reset_s=2.0)
    page = await h.fetcher.fetch("s", None, 10)
    assert page.cursor == {"after": 4}
    assert h.fetcher.breaker.state is BreakerState.CLOSED
    assert (h.value("hub_source_failures_total", kind="circuit_open") or 0) >= 1
    # the waits after the breaker opened add up to at least its reset timeout
    assert sum(h.delays) >= 2.0


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (RateLimitedError("429"), "rate_limit"),
        (CircuitOpenError("open"), "circuit_open"),
        (FatalSourceError("gone"), "fatal"),
        (RetriableSourceError("timeout calling /a"), "timeout"),
        (RetriableSourceError("truncated answer"), "truncated"),
        (RetriableSourceError("server error 503"), "server"),
    ],
)
def test_failure_kind(exc: Exception, kind: str) -> None:
    assert failure_kind(exc) == kind
