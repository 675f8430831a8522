"""Settings for every hub process, read from ``HUB_*`` environment variables.

One model, :class:`HubSettings`, holds what is common to all commands: where Kafka is,
how to reach it securely, how topics are named, and where local state lives. The Kafka
client arguments handed to aiokafka and the credentials handed to Faust are built from it
(:meth:`HubSettings.producer_kwargs`, :meth:`HubSettings.security`, the latter in
:mod:`hub.kafka_security`) and nowhere else, so producer, consumer, admin clients and the
Faust app always agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.errors import ConfigurationError
from hub.kafka_security import KafkaSecurity

__all__ = ["REPO_ROOT", "HubSettings", "KafkaSecurity", "TrustSettings", "load_settings"]

REPO_ROOT = Path(__file__).resolve().parent.parent


class TrustSettings(BaseSettings):
    """Signatures, the access policy and the audit log (``HUB_TRUST_*``)."""

    model_config = SettingsConfigDict(env_prefix="HUB_TRUST_", extra="ignore")

    keys_dir: Path = Field(
        Path(".hub/keys"),
        description="Directory of Ed25519 key files: <principal>.<fingerprint>.key/.pub "
        "(private keys may come from HUB_TRUST_KEY_<PRINCIPAL> instead).",
    )
    verify_signatures: bool = Field(
        True, description="Consumers refuse records whose signature is missing or bad."
    )


class HubSettings(BaseSettings):
    """Settings common to every hub command (environment prefix ``HUB_``)."""

    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    kafka_bootstrap: str | None = Field(
        None,
        description="Bootstrap servers of an external Kafka cluster. When unset, the "
        "embedded broker recorded in the state directory is used (or started).",
    )
    state_dir: Path = Field(
        Path(".hub"), description="Local state: the embedded broker's pid and address."
    )
    topic_prefix: str = Field("", description="Prefix for every topic name (isolation).")
    topic_partitions: int = Field(6, ge=1, le=1000, description="Partitions per new topic.")
    topic_replication: int = Field(1, ge=1, le=10, description="Replication factor.")
    schemas_dir: Path = Field(REPO_ROOT / "schemas", description="Where the .avsc files are.")
    producer_linger_ms: int = Field(5, ge=0, le=10_000, description="Producer linger.")
    producer_batch_bytes: int = Field(
        512 * 1024, ge=16 * 1024, le=16 * 1024 * 1024, description="Producer batch size."
    )
    producer_compression: Literal["none", "gzip", "lz4", "zstd", "snappy"] = Field(
        "none", description="Producer compression codec."
    )
    encode_workers: int = Field(
        2,
        ge=0,
        le=64,
        description="Worker processes that map, encode and sign connectors' large pages "
        "while the connectors fetch and publish (0: all in the connector's process).",
    )
    encode_worker_niceness: int = Field(
        10,
        ge=0,
        le=19,
        description="Niceness added to the encoding workers (a lower scheduling priority): "
        "when they keep every core busy, the connectors' event loop and a broker on the "
        "same machine still run as soon as they have work (0: the same priority).",
    )
    enable_idempotence: bool = Field(
        False,
        description="Idempotent producer. Only for a real Kafka: the embedded broker "
        "does not support InitProducerId.",
    )

    @field_validator("topic_prefix")
    @classmethod
    def _valid_prefix(cls, value: str) -> str:
        allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        if not set(value) <= allowed:
            raise ValueError("may hold only letters, digits, '.', '_' and '-'")
        return value

    def security(self) -> KafkaSecurity:
        """The Kafka security settings, read from the same environment and checked.

        Raises:
            ConfigurationError: naming the first invalid ``HUB_KAFKA_*`` variable, one of
                an incomplete or contradictory combination (:meth:`KafkaSecurity.check`), or
                a certificate or key file that does not load.
        """
        try:
            security = KafkaSecurity()
        except ValidationError as exc:
            raise _configuration_error(exc, "HUB_KAFKA_") from exc
        security.ssl_context()  # checks the combination, then loads the files
        return security

    def trust(self) -> TrustSettings:
        """The trust settings, read from the same environment.

        Raises:
            ConfigurationError: naming the first invalid ``HUB_TRUST_*`` variable.
        """
        try:
            return TrustSettings()
        except ValidationError as exc:
            raise _configuration_error(exc, "HUB_TRUST_") from exc

    def producer_kwargs(self) -> dict[str, Any]:
        """Producer settings: acks=all always; batching tuned for bulk ingestion."""
        compression = None if self.producer_compression == "none" else self.producer_compression
        return {
            "acks": "all",
            "linger_ms": self.producer_linger_ms,
            "max_batch_size": self.producer_batch_bytes,
            "max_request_size": max(self.producer_batch_bytes * 2, 1024 * 1024),
            "compression_type": compression,
            "enable_idempotence": self.enable_idempotence,
            **self.security().client_kwargs(),
        }


def load_settings(**overrides: Any) -> HubSettings:
    """Read settings from the environment, translating errors to :class:`ConfigurationError`.

    Raises:
        ConfigurationError: naming the first invalid field and why.
    """
    try:
        return HubSettings(**overrides)
    except ValidationError as exc:
        raise _configuration_error(exc, "HUB_") from exc


def _configuration_error(exc: ValidationError, prefix: str) -> ConfigurationError:
    first = exc.errors()[0]
    field = prefix + ".".join(str(p) for p in first["loc"]).upper()
    return ConfigurationError(first["msg"], field=field)
