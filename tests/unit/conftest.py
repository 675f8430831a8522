"""Fixtures shared by unit test modules (none of them autouse)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.broker import EmbeddedBroker
from hub.trust.keys import KeyStore, PublicKey
from hub.trust.signing import RecordSigner


@pytest.fixture
def without_hub_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No HUB_ variable from the caller's shell leaks into the test."""
    for name in list(os.environ):
        if name.startswith("HUB_"):
            monkeypatch.delenv(name)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A broker handle on a private state dir; stopped at the end whatever happened."""
    handle = EmbeddedBroker(tmp_path / "state")
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def keys(keys_dir: Path) -> KeyStore:
    """The test session's key pairs (one per principal), read without the environment."""
    return KeyStore(keys_dir, environ={})


@pytest.fixture(scope="module")
def signer(keys: KeyStore) -> RecordSigner:
    """The population connector's signer."""
    return RecordSigner(keys.signing_key("population"))


@pytest.fixture(scope="module")
def trusted(keys: KeyStore) -> dict[str, PublicKey]:
    """The public keys a verifier trusts: every principal's."""
    return keys.trusted_keys()
