"""Fixtures shared by unit test modules (none of them autouse)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.broker import EmbeddedBroker


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
