"""Settings from HUB_ environment variables (decision 10) and the Kafka client kwargs."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import HubSettings, KafkaSecurity, load_settings
from hub.errors import ConfigurationError

PASSWORD = "s3cr3t-Pa55w0rd-synthetic"


pytestmark = pytest.mark.usefixtures("without_hub_environment")


def test_defaults() -> None:
    settings = load_settings()
    assert settings.kafka_bootstrap is None
    assert settings.topic_prefix == ""
    assert settings.topic_partitions == 6
    assert settings.enable_idempotence is False
    assert settings.schemas_dir.name == "schemas"


def test_env_vars_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HUB_KAFKA_BOOTSTRAP", "kafka-1:9092,kafka-2:9092")
    monkeypatch.setenv("HUB_TOPIC_PREFIX", "staging.")
    monkeypatch.setenv("HUB_TOPIC_PARTITIONS", "12")
    monkeypatch.setenv("HUB_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("HUB_PRODUCER_COMPRESSION", "zstd")
    monkeypatch.setenv("HUB_PRODUCER_LINGER_MS", "20")
    monkeypatch.setenv("HUB_ENABLE_IDEMPOTENCE", "true")
    settings = load_settings()
    assert settings.kafka_bootstrap == "kafka-1:9092,kafka-2:9092"
    assert settings.topic_prefix == "staging."
    assert settings.topic_partitions == 12
    assert settings.state_dir == tmp_path
    kwargs = settings.producer_kwargs()
    assert kwargs["compression_type"] == "zstd"
    assert kwargs["linger_ms"] == 20
    assert kwargs["enable_idempotence"] is True


def test_overrides_beat_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_TOPIC_PARTITIONS", "12")
    assert load_settings(topic_partitions=3).topic_partitions == 3


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("HUB_TOPIC_PARTITIONS", "many"),
        ("HUB_TOPIC_PARTITIONS", "0"),
        ("HUB_TOPIC_REPLICATION", "11"),
        ("HUB_TOPIC_PREFIX", "bad prefix/"),
        ("HUB_PRODUCER_COMPRESSION", "brotli"),
        ("HUB_PRODUCER_BATCH_BYTES", "10"),
        ("HUB_PRODUCER_LINGER_MS", "-1"),
        ("HUB_ENABLE_IDEMPOTENCE", "perhaps"),
    ],
)
def test_invalid_env_value_names_the_field(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    assert info.value.field == var
    assert str(info.value).startswith(f"{var}: ")


def test_producer_kwargs_defaults() -> None:
    kwargs = load_settings().producer_kwargs()
    assert kwargs["acks"] == "all"
    assert kwargs["enable_idempotence"] is False
    assert kwargs["security_protocol"] == "PLAINTEXT"
    assert kwargs["compression_type"] is None
    assert kwargs["max_request_size"] >= kwargs["max_batch_size"]
    assert not any(k.startswith("sasl") for k in kwargs)


def test_acks_all_even_with_other_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_PRODUCER_COMPRESSION", "lz4")
    monkeypatch.setenv("HUB_ENABLE_IDEMPOTENCE", "1")
    assert load_settings().producer_kwargs()["acks"] == "all"


def _sasl_env(monkeypatch: pytest.MonkeyPatch, *, password: bool = True) -> None:
    monkeypatch.setenv("HUB_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("HUB_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("HUB_KAFKA_SASL_USERNAME", "hub-connector")
    if password:
        monkeypatch.setenv("HUB_KAFKA_SASL_PASSWORD", PASSWORD)


def test_sasl_settings_produce_sasl_kwargs(monkeypatch: pytest.MonkeyPatch) -> None:
    _sasl_env(monkeypatch)
    kwargs = load_settings().producer_kwargs()
    assert kwargs["security_protocol"] == "SASL_PLAINTEXT"
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert kwargs["sasl_plain_username"] == "hub-connector"
    assert kwargs["sasl_plain_password"] == PASSWORD
    assert kwargs["acks"] == "all"


def test_sasl_ssl_builds_an_ssl_context(monkeypatch: pytest.MonkeyPatch) -> None:
    import ssl

    _sasl_env(monkeypatch)
    monkeypatch.setenv("HUB_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    kwargs = KafkaSecurity().client_kwargs()
    assert isinstance(kwargs["ssl_context"], ssl.SSLContext)
    assert kwargs["sasl_plain_password"] == PASSWORD


def test_password_never_in_repr_or_str(monkeypatch: pytest.MonkeyPatch) -> None:
    _sasl_env(monkeypatch)
    settings = load_settings()
    security = settings.security()
    for text in (
        repr(security),
        str(security),
        repr(settings),
        str(settings),
        security.model_dump_json(),
        repr(security.model_dump()),
        settings.model_dump_json(),
    ):
        assert PASSWORD not in text
    assert security.sasl_password is not None
    assert security.sasl_password.get_secret_value() == PASSWORD


def test_sasl_without_password_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _sasl_env(monkeypatch, password=False)
    settings = load_settings()
    with pytest.raises(ConfigurationError, match="sasl_password") as info:
        settings.producer_kwargs()
    assert info.value.field is not None
    assert info.value.field.startswith("HUB_KAFKA_SASL")


def test_sasl_without_mechanism_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _sasl_env(monkeypatch)
    monkeypatch.delenv("HUB_KAFKA_SASL_MECHANISM")
    with pytest.raises(ConfigurationError, match="sasl_mechanism"):
        KafkaSecurity().client_kwargs()


def test_invalid_security_env_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_KAFKA_SECURITY_PROTOCOL", "SASL_TLS")
    with pytest.raises(ConfigurationError, match="HUB_KAFKA_SECURITY_PROTOCOL"):
        load_settings().producer_kwargs()


def test_settings_is_pydantic_settings() -> None:
    assert HubSettings.model_config.get("env_prefix") == "HUB_"
