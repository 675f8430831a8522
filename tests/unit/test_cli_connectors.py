"""``hub connectors validate`` and the status helpers, in process (no broker needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.cli.main import main
from hub.connect.status import cursor_timestamp, effective_state, is_live, redact_cursor

SECRET = "s3cr3t-t0ken-never-printed"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_validate_json_lists_every_error_and_exits_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        "[connectors.population]\nenabled = 3\n"
        "[connectors.population.runtime]\nbatch_size = 'many'\nunknown = 1\n"
        "[connectors.population.secrets]\napi_token = { env = 'HUB_TEST_UNSET_TOKEN' }\n"
    )
    status, out = _run(capsys, "connectors", "validate", str(path), "--json")
    assert status == 1
    result = json.loads(out.strip().splitlines()[-1])
    assert result["valid"] is False
    assert {e["path"]: e["code"] for e in result["errors"]} == {
        "connectors.population.enabled": "bool_parsing",
        "connectors.population.runtime.batch_size": "int_parsing",
        "connectors.population.runtime.unknown": "extra_forbidden",
        "connectors.population.secrets.api_token": "secret_unset",
    }


def test_validate_text_names_each_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[connectors.population.options]\npage_size = 0\n")
    status, out = _run(capsys, "connectors", "validate", str(path))
    assert status == 1
    assert "connectors.population.options.page_size: Input should be greater than" in out


def test_secrets_are_never_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_TEST_TOKEN", SECRET)
    path = tmp_path / "ok.toml"
    path.write_text("[connectors.population.secrets]\napi_token = { env = 'HUB_TEST_TOKEN' }\n")
    for extra in ([], ["--json"]):
        status, out = _run(
            capsys, "--log-level", "DEBUG", "connectors", "validate", str(path), *extra
        )
        assert status == 0
        assert SECRET not in out
    result = json.loads(out.strip().splitlines()[-1])
    assert result["connectors"][0]["secrets"] == ["api_token"]
    path.write_text(f"[connectors.population.secrets]\napi_token = '{SECRET}'\n")
    status, out = _run(capsys, "connectors", "validate", str(path), "--json")
    assert status == 1
    assert SECRET not in out


def test_cursors_are_printed_without_identifiers() -> None:
    cursor = {"updated_at": "2024-01-01T07:04:02+07:00", "key": "074201000007", "page": 3}
    shown = redact_cursor(cursor)
    assert shown["updated_at"] == cursor["updated_at"]
    assert shown["key"].startswith("sha256:") and "074201000007" not in json.dumps(shown)
    assert shown["page"].startswith("sha256:")  # numbers may be identifiers too
    assert redact_cursor(cursor) == shown  # stable, so two cursors can be compared
    assert cursor_timestamp(cursor) == pytest.approx(1704067442.0)
    assert cursor_timestamp({"key": "x"}) is None


def test_a_live_state_without_heartbeat_is_unknown() -> None:
    entry = {"state": "running", "updated_at": 1000.0, "heartbeat_s": 10.0}
    assert effective_state(entry, now=1020.0) == "running" and is_live(entry, now=1020.0)
    assert effective_state(entry, now=1031.0) == "unknown" and not is_live(entry, now=1031.0)
    assert effective_state({**entry, "state": "stopped"}, now=5000.0) == "stopped"
    assert effective_state(None) == "never_run"
