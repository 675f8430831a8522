"""What a connector runtime is told (:class:`RuntimeOptions`, the ``runtime`` block of a
connector's configuration) and what it counts (:class:`StreamStats`)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from hub.connect.resilience import RetryPolicy

__all__ = ["RuntimeOptions", "StreamStats"]


class RuntimeOptions(BaseModel):
    """How the runtime drives one connector (the ``runtime`` block of its config)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    batch_size: int = Field(2000, ge=1, le=100_000, description="Records asked per fetch.")
    max_in_flight: int = Field(4, ge=1, le=64, description="Pages awaiting acks at once.")
    poll_interval_s: float = Field(5.0, gt=0, description="Pause when caught up (follow).")
    rate_limit_per_s: float = Field(0, ge=0, description="Source calls per second; 0 = none.")
    retry: RetryPolicy = Field(default_factory=RetryPolicy, description="Backoff policy.")
    breaker_failures: int = Field(5, ge=1, description="Failures that open the circuit.")
    breaker_reset_s: float = Field(5.0, gt=0, description="Open time before a trial call.")


@dataclass
class StreamStats:
    """Counters of one run, per connector (summed over its streams)."""

    pulled: int = 0
    published: int = 0
    rejected: int = 0
    seconds: float = 0.0
    newest_update: float = 0.0
