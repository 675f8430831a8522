"""How a following connector runtime waits out a broker failure.

A failure is a *broker failure* (:func:`is_broker_failure`) when waiting may cure it: any
Kafka error while the broker is away, restarting or re-creating topics, but not a refusal
that no retry cures (:data:`PERMANENT_REFUSALS`), nor anything the source did. The
:class:`BrokerGuard` is what the runtime asks to wait; the connector host implements it
for the runtimes it runs, re-creating their topics when the broker lost its data.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka import errors as kafka

from hub.errors import BrokerError, BrokerLostError, PublishError

__all__ = ["PERMANENT_REFUSALS", "BrokerGuard", "is_broker_failure"]


#: Kafka refusals that no retry cures: a following runtime fails on them.
PERMANENT_REFUSALS: tuple[type[kafka.KafkaError], ...] = (
    kafka.MessageSizeTooLargeError, kafka.RecordListTooLargeError,
    kafka.TopicAuthorizationFailedError, kafka.ClusterAuthorizationFailedError,
    kafka.InvalidTopicError, kafka.PolicyViolationError, kafka.UnsupportedVersionError,
    kafka.UnsupportedForMessageFormatError, kafka.UnsupportedCodecError,
    kafka.InvalidRequiredAcksError, kafka.IllegalOperation, kafka.ProducerClosed,
)  # fmt: skip


def is_broker_failure(exc: BaseException) -> bool:
    """Whether a following runtime waits ``exc`` out rather than fails: any Kafka error
    while the broker is away, restarting or re-creating topics (the embedded broker
    answers UnknownError to a write into a topic it is re-creating), but not a refusal that
    no retry cures (:data:`PERMANENT_REFUSALS`), nor anything the source did."""
    if isinstance(exc, BrokerLostError | BrokerError):
        return True
    cause = exc.__cause__ if isinstance(exc, PublishError) else exc
    return isinstance(cause, kafka.KafkaError) and not isinstance(cause, PERMANENT_REFUSALS)


class BrokerGuard:
    """How a following runtime waits out a broker failure and learns of a lost broker.

    :class:`~hub.connect.host.ConnectorHost` implements it for the runtimes it runs
    (re-creating their topics once per loss); this default, for a runtime run alone, only
    pauses and reports what the runtime saw.

    Attributes:
        generation: bumped each time the broker is found to have lost its data; a runtime
            whose cycle began in an older generation must not commit another cursor.
    """

    generation: int = 0

    async def recover(self, stop: asyncio.Event, *, lost: bool, since: int) -> bool:
        """Wait until the broker serves again; return whether it lost its data.

        Args:
            stop: set to give up waiting.
            lost: the caller saw the broker lose its data.
            since: the generation the caller's cycle began in.
        """
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
        return lost or since != self.generation
