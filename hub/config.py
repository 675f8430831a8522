"""Settings for every hub process, read from ``HUB_*`` environment variables.

One model, :class:`HubSettings`, holds what is common to all commands: where Kafka is,
how to reach it securely, how topics are named, and where local state lives. The Kafka
client arguments handed to aiokafka (and later to Faust) are built here and nowhere else,
so producer, consumer and admin clients always agree.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.errors import ConfigurationError

REPO_ROOT = Path(__file__).resolve().parent.parent


class KafkaSecurity(BaseSettings):
    """How to authenticate to Kafka and encrypt the connection (``HUB_KAFKA_*``)."""

    model_config = SettingsConfigDict(env_prefix="HUB_KAFKA_", extra="ignore")

    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="Kafka security protocol."
    )
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        None, description="SASL mechanism when the protocol is SASL_*."
    )
    sasl_username: str | None = Field(None, description="SASL user name.")
    sasl_password: SecretStr | None = Field(None, description="SASL password (never printed).")
    ssl_cafile: Path | None = Field(None, description="CA bundle that signed the brokers.")
    ssl_certfile: Path | None = Field(None, description="Client certificate (mutual TLS).")
    ssl_keyfile: Path | None = Field(None, description="Client private key (mutual TLS).")

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for any aiokafka client (producer, consumer, admin)."""
        kwargs: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.security_protocol in ("SSL", "SASL_SSL"):
            context = ssl.create_default_context(
                cafile=str(self.ssl_cafile) if self.ssl_cafile else None
            )
            if self.ssl_certfile:
                context.load_cert_chain(
                    str(self.ssl_certfile), str(self.ssl_keyfile) if self.ssl_keyfile else None
                )
            kwargs["ssl_context"] = context
        if self.security_protocol.startswith("SASL"):
            if not self.sasl_mechanism or not self.sasl_username or not self.sasl_password:
                raise ConfigurationError(
                    "SASL needs sasl_mechanism, sasl_username and sasl_password",
                    field="HUB_KAFKA_SASL_MECHANISM",
                )
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            kwargs["sasl_plain_username"] = self.sasl_username
            kwargs["sasl_plain_password"] = self.sasl_password.get_secret_value()
        return kwargs


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
        """The Kafka security settings, read from the same environment.

        Raises:
            ConfigurationError: naming the first invalid ``HUB_KAFKA_*`` variable.
        """
        try:
            return KafkaSecurity()
        except ValidationError as exc:
            raise _configuration_error(exc, "HUB_KAFKA_") from exc

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
