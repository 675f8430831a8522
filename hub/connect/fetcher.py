"""Fetching pages from an adapter with rate limiting, retries and a circuit breaker."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

from hub.connect.contract import SourceAdapter
from hub.connect.records import Cursor, Page
from hub.connect.resilience import CircuitBreaker, RateLimiter, RetryPolicy
from hub.errors import (
    CircuitOpenError,
    FatalSourceError,
    RateLimitedError,
    RetriableSourceError,
)
from hub.metrics import ConnectorMetrics

log = logging.getLogger(__name__)


def failure_kind(exc: BaseException) -> str:
    """A bounded label for a source failure."""
    if isinstance(exc, RateLimitedError):
        return "rate_limit"
    if isinstance(exc, CircuitOpenError):
        return "circuit_open"
    if isinstance(exc, FatalSourceError):
        return "fatal"
    text = type(exc).__name__.lower() + " " + str(exc).lower()
    for kind in ("timeout", "truncated"):
        if kind in text:
            return kind
    return "server"


class ResilientFetcher:
    """Calls ``adapter.fetch`` until it succeeds, backing off between attempts.

    Retriable failures are retried forever (or up to ``policy.max_attempts``) with
    exponential backoff and jitter; after ``breaker.failure_threshold`` consecutive
    failures the breaker opens and calls pause for its reset timeout. A fatal failure
    propagates at once. ``on_degraded`` / ``on_recovered`` let the runtime report state.
    """

    def __init__(
        self,
        adapter: SourceAdapter,
        metrics: ConnectorMetrics,
        *,
        policy: RetryPolicy,
        breaker: CircuitBreaker,
        limiter: RateLimiter,
        on_degraded: Callable[[], None] = lambda: None,
        on_recovered: Callable[[], None] = lambda: None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.adapter = adapter
        self.metrics = metrics
        self.policy = policy
        self.breaker = breaker
        self.limiter = limiter
        self._on_degraded = on_degraded
        self._on_recovered = on_recovered
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._degraded = False

    async def fetch(self, stream: str, cursor: Cursor | None, limit: int) -> Page:
        """Fetch the next page of ``stream``, retrying retriable failures.

        Raises:
            FatalSourceError: the source refused for good.
            RetriableSourceError: ``policy.max_attempts`` was reached.
        """
        attempt = 0
        while True:
            throttled = await self.limiter.acquire()
            if throttled:
                self.metrics.hub.throttled_seconds.labels(self.metrics.name).inc(throttled)
            try:
                self.breaker.before_call()
                page = await self.adapter.fetch(stream, cursor, limit)
            except CircuitOpenError as exc:
                self.metrics.source_failure(failure_kind(exc))
                await self._sleep(max(self.breaker.remaining_open_s(), 0.01))
                continue
            except RetriableSourceError as exc:
                attempt += 1
                self.breaker.record_failure()
                self.metrics.source_failure(failure_kind(exc))
                if self.policy.max_attempts is not None and attempt >= self.policy.max_attempts:
                    raise
                self._mark_degraded()
                delay = self.policy.delay(attempt, self._rng)
                if isinstance(exc, RateLimitedError) and exc.retry_after:
                    delay = max(delay, exc.retry_after)
                self.metrics.hub.retries.labels(self.metrics.name).inc()
                log.warning(
                    "%s: source call failed (%s), retry %d in %.2fs",
                    self.metrics.name, failure_kind(exc), attempt, delay,
                )  # fmt: skip
                await self._sleep(delay)
                continue
            except FatalSourceError as exc:
                self.metrics.source_failure(failure_kind(exc))
                raise
            self.breaker.record_success()
            self.metrics.source_ok()
            if self._degraded:
                self._degraded = False
                self._on_recovered()
                log.info("%s: source recovered after %d retries", self.metrics.name, attempt)
            return page

    def _mark_degraded(self) -> None:
        if not self._degraded:
            self._degraded = True
            self._on_degraded()
