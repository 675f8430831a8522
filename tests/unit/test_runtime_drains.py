"""A sync cycle's cleanup: every stream's drain ends with the cycle, begun or not."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from hub.connect.runtime import ConnectorRuntime


class _Pipeline:
    """A stream's last pages: its drain never ends by itself."""

    def __init__(self) -> None:
        self.drain_began = False
        self.cancelled = False

    async def drain(self) -> None:
        self.drain_began = True
        await asyncio.Event().wait()

    def cancel(self) -> None:
        self.cancelled = True


async def test_a_drain_cancelled_before_it_began_still_cancels_its_pipeline() -> None:
    """The second stream fails before the first stream's drain ran at all: cancelling
    that drain runs none of its code, so the cycle cancels the pipeline itself (its
    pages' publishing and committing tasks would run on otherwise)."""
    first = _Pipeline()

    async def sync_stream(stream: SimpleNamespace, stop: asyncio.Event) -> _Pipeline:
        if stream.name == "households":
            raise RuntimeError("households: the source refused the first page")
        return first

    runtime = ConnectorRuntime.__new__(ConnectorRuntime)  # only what a cycle reads
    runtime.guard = SimpleNamespace(generation=0)  # type: ignore[assignment]
    runtime.spec = SimpleNamespace(  # type: ignore[assignment]
        streams=[SimpleNamespace(name="citizens"), SimpleNamespace(name="households")]
    )
    runtime._sync_stream = sync_stream  # type: ignore[assignment, method-assign]
    with pytest.raises(RuntimeError, match="households"):
        await runtime._sync_streams(asyncio.Event())
    assert not first.drain_began and first.cancelled
