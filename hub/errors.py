"""The hub's exception tree, organised by what the caller should do next.

::

    HubError                      base of everything the hub raises on purpose
    ├── ConfigurationError        bad settings or connector config: fail fast, name the field
    ├── BrokerError               the embedded broker could not be started, found or stopped
    ├── SourceError               talking to a source system failed
    │   ├── RetriableSourceError  timeouts, 5xx, rate limits: retry with backoff
    │   │   └── RateLimitedError  the source asked us to slow down (may carry retry_after)
    │   └── FatalSourceError      the source refuses for good (bad credentials, gone): stop
    ├── CircuitOpenError          the breaker is open: do not call the source now
    ├── RecordError               one record is bad: dead-letter it and continue
    │   ├── NormaliseError        a field value cannot be normalised (also a ValueError)
    │   ├── MappingError          a native record cannot be mapped to a canonical record
    │   └── SchemaValidationError a canonical record does not fit its Avro schema
    ├── SchemaError               a schema file is missing, unparsable or incompatible
    ├── PublishError              the broker did not acknowledge a batch (the cursor stays put)
    └── BrokerLostError           the broker lost what the cursors point at: resync in full

Library and driver exceptions are translated at the boundary with ``raise ... from exc``
so that callers only ever handle this tree.
"""

from __future__ import annotations


class HubError(Exception):
    """Base class of every error the hub raises deliberately."""


class ConfigurationError(HubError):
    """Settings or a connector configuration are invalid.

    Attributes:
        field: dotted path of the offending field, when one can be named.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


class BrokerError(HubError):
    """The embedded broker could not be started, located or stopped."""


class SourceError(HubError):
    """Talking to a source system failed."""


class RetriableSourceError(SourceError):
    """A transient source failure (timeout, server error): retry with backoff."""


class RateLimitedError(RetriableSourceError):
    """The source answered with a rate-limit response.

    Attributes:
        retry_after: seconds the source asked us to wait, if it said.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FatalSourceError(SourceError):
    """A source failure that retrying cannot fix."""


class CircuitOpenError(HubError):
    """The circuit breaker in front of a source is open."""


class RecordError(HubError):
    """One record is bad. It is dead-lettered with ``stage`` and the message as reason.

    Attributes:
        stage: pipeline stage that rejected the record (map, validate, serialise).
    """

    stage = "map"


class NormaliseError(RecordError, ValueError):
    """A field value cannot be normalised (wrong shape, impossible date, bad check digit).

    Attributes:
        field: the field's name when known.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


class MappingError(RecordError):
    """A native record cannot be mapped to its canonical form."""

    stage = "map"


class SchemaValidationError(RecordError):
    """A canonical record does not satisfy its Avro schema."""

    stage = "validate"


class SchemaError(HubError):
    """A schema file is missing, cannot be parsed, or breaks compatibility."""


class PublishError(HubError):
    """The broker did not acknowledge a batch; the cursor is not advanced."""


class BrokerLostError(HubError):
    """The broker lost records the hub had committed cursors for (it restarted empty, or
    its topics were deleted): the connector must re-create its topics and resync in full."""
