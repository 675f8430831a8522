"""A Kafka cluster that cannot be reached gives a one-line error, not a traceback."""

from __future__ import annotations

import pytest

from hub.cli.main import main


def test_unreachable_kafka_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HUB_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    monkeypatch.setenv("HUB_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("HUB_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("HUB_KAFKA_SASL_USERNAME", "hub-test")
    monkeypatch.setenv("HUB_KAFKA_SASL_PASSWORD", "never-printed-7c1e")
    assert main(["connectors", "status"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("hub: error: Kafka:")
    assert "HUB_KAFKA_BOOTSTRAP" in err
    assert "Traceback" not in err
    assert "never-printed-7c1e" not in err
