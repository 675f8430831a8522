"""Planned source outages (mock sources) and which failures a following connector waits out."""

from __future__ import annotations

import time

from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    TopicAuthorizationFailedError,
    UnknownError,
)

from hub.connect.broker_guard import is_broker_failure
from hub.errors import BrokerLostError, PublishError, RetriableSourceError
from hub.province.faults import FaultInjector, FaultKind, FaultPlan


def test_a_planned_outage_begins_after_the_calls_answered_and_lasts_its_seconds() -> None:
    plan = FaultPlan(outage_after_calls=2, outage_s=0.2, outage_kind=FaultKind.RATE_LIMIT)
    faults = FaultInjector(plan)
    assert [faults.next_fault() for _ in range(2)] == [None, None]
    assert [faults.next_fault() for _ in range(3)] == [FaultKind.RATE_LIMIT] * 3
    time.sleep(0.25)
    assert faults.next_fault() is None
    assert faults.injected == 3 and faults.calls == 6


def test_no_outage_is_planned_by_default() -> None:
    faults = FaultInjector(FaultPlan())
    assert all(faults.next_fault() is None for _ in range(50))


def _published(cause: Exception) -> PublishError:
    try:
        raise PublishError("the broker did not acknowledge a batch") from cause
    except PublishError as exc:
        return exc


def test_a_following_connector_waits_out_the_broker_not_refusals_or_sources() -> None:
    assert is_broker_failure(KafkaConnectionError("refused"))
    assert is_broker_failure(_published(KafkaTimeoutError()))
    assert is_broker_failure(BrokerLostError("the offsets topic went back"))
    assert is_broker_failure(_published(UnknownError()))  # a topic being re-created
    assert not is_broker_failure(_published(MessageSizeTooLargeError()))
    assert not is_broker_failure(TopicAuthorizationFailedError())
    assert not is_broker_failure(RetriableSourceError("timeout"))
    assert not is_broker_failure(ValueError("a bug"))
