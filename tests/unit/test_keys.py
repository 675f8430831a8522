"""Key pairs: files and environment, rotation, ``hub keys``, and no key material anywhere."""

from __future__ import annotations

import base64
import json
import logging
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.cli.keys import ensure_keys, list_keys
from hub.cli.main import main
from hub.errors import ConfigurationError
from hub.trust.keys import KeyStore, env_variable, generate_key_pair, key_id_of


def _pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()  # fmt: skip


def _raw_b64(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode()


def _secrets(directory: Path) -> list[str]:
    """Every private key in ``directory`` in each form it could leak in."""
    found = []
    for path in directory.glob("*.key"):
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(private, Ed25519PrivateKey)
        pem = _pem(private)
        body = "".join(pem.strip().splitlines()[1:-1])
        found += [body, body[:24], _raw_b64(private)]
    return found


def test_a_generated_pair_is_named_by_its_key_id_and_private_is_0600(tmp_path: Path) -> None:
    pair = generate_key_pair("population", tmp_path / "keys")
    assert pair.key_id.startswith("population.") and len(pair.key_id) == len("population.") + 16
    assert pair.private_path.name == f"{pair.key_id}.key"
    assert pair.public_path.name == f"{pair.key_id}.pub"
    assert stat.S_IMODE(pair.private_path.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in pair.private_path.read_bytes()
    assert b"PUBLIC KEY" in pair.public_path.read_bytes()
    key = KeyStore(tmp_path / "keys", environ={}).signing_key("population")
    assert key.key_id == pair.key_id == key_id_of("population", key.key.public_key())


def test_a_missing_key_names_the_directory_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        KeyStore(tmp_path / "nowhere", environ={}).signing_key("population")
    assert caught.value.field == "HUB_TRUST_KEYS_DIR"
    assert "hub keys generate population" in str(caught.value)
    with pytest.raises(ConfigurationError):
        KeyStore(tmp_path, environ={}).signing_key("Not A Name")


@pytest.mark.parametrize("form", ["pem", "base64-raw"])
def test_a_key_from_the_environment_wins_over_files(tmp_path: Path, form: str) -> None:
    generate_key_pair("population", tmp_path)
    private = Ed25519PrivateKey.generate()
    text = _pem(private) if form == "pem" else _raw_b64(private)
    store = KeyStore(tmp_path, environ={env_variable("population"): text})
    key = store.signing_key("population")
    assert key.key_id == key_id_of("population", private.public_key())
    assert key.sign(b"x") == private.sign(b"x")


@pytest.mark.parametrize(
    "text",
    ["c2VjcmV0LW5vdC1hLWtleQ==", "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----",
     "not base64 at all: s3cr3t"],
)  # fmt: skip
def test_a_bad_key_in_the_environment_names_the_variable_not_the_value(
    tmp_path: Path, text: str
) -> None:
    variable = env_variable("population")
    with pytest.raises(ConfigurationError) as caught:
        KeyStore(tmp_path, environ={variable: text}).signing_key("population")
    assert caught.value.field == variable
    message = str(caught.value)
    assert variable in message
    assert text not in message and "c2VjcmV0" not in message and "s3cr3t" not in message


def test_repr_str_and_logs_never_show_private_key_material(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    generate_key_pair("population", tmp_path)
    store = KeyStore(tmp_path, environ={})
    key = store.signing_key("population")
    shown = " ".join([repr(key), str(key), repr(key.public()), repr(store.trusted_keys()),
                      caplog.text])  # fmt: skip
    assert key.key_id in shown
    for secret in _secrets(tmp_path):
        assert secret not in shown
    assert "PRIVATE" not in shown


def test_hub_keys_generate_and_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    directory = tmp_path / "keys"
    assert main(["keys", "generate", "population", "--dir", str(directory), "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    private, public = Path(made["private_key"]), Path(made["public_key"])
    assert made["principal"] == "population"
    assert private == directory / f"{made['key_id']}.key"
    assert public == directory / f"{made['key_id']}.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert main(["keys", "generate", "population", "--dir", str(directory)]) == 0
    human = capsys.readouterr().out
    assert "population." in human and "0600" in human
    assert main(["keys", "list", "--dir", str(directory), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    entry = listed["principals"]["population"]
    assert len(entry["public_keys"]) == 2 and entry["signing_key"] in entry["public_keys"]
    assert entry["signing_key_from"] == "file"
    assert main(["keys", "list", "--dir", str(directory)]) == 0
    everything = human + json.dumps(made) + json.dumps(listed) + capsys.readouterr().out
    for secret in _secrets(directory):
        assert secret not in everything and secret not in caplog.text
    assert main(["keys", "generate", "Bad-Name", "--dir", str(directory)]) == 2


def test_list_reports_an_unreadable_key_without_its_content(tmp_path: Path) -> None:
    generate_key_pair("population", tmp_path)
    variable = env_variable("tax")
    listed = list_keys(KeyStore(tmp_path, environ={variable: "garbage"}), {variable: "garbage"})
    assert listed["principals"]["population"]["signing_key"].startswith("population.")
    tax = listed["principals"]["tax"]
    assert tax["signing_key"] is None and variable in tax["error"]
    assert "garbage" not in json.dumps(listed)


def test_ensure_keys_generates_only_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = generate_key_pair("population", tmp_path)
    monkeypatch.setenv(env_variable("tax"), _raw_b64(Ed25519PrivateKey.generate()))
    made = ensure_keys(tmp_path, ["population", "tax", "crosscheck"])
    assert [p.key_id.split(".")[0] for p in made] == ["crosscheck"]
    assert ensure_keys(tmp_path, ["population", "crosscheck"]) == []
    assert KeyStore(tmp_path, environ={}).signing_key("population").key_id == existing.key_id
