"""Spawned worker pools never outlive the process that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hub.worker_processes import PIPE_BYTES, spawn_pool

_ORPHAN_SCRIPT = """
import os, signal
from hub.worker_processes import spawn_pool

if __name__ == "__main__":
    pool = spawn_pool(2)
    for started in [pool.submit(int) for _ in range(2)]:
        started.result(timeout=60)
    print(" ".join(str(p) for p in pool._processes), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_workers_exit_when_their_parent_is_killed(tmp_path: Path) -> None:
    """A SIGKILLed parent cannot stop its workers: they notice and exit by themselves."""
    script = tmp_path / "parent.py"
    script.write_text(_ORPHAN_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    workers = [int(p) for p in done.stdout.split()]
    assert len(workers) == 2
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.2)
    assert not any(_alive(p) for p in workers)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _pipe_max_size() -> int:
    try:
        return int(Path("/proc/sys/fs/pipe-max-size").read_text())
    except (OSError, ValueError):
        return 0


@pytest.mark.skipif(
    sys.platform != "linux" or _pipe_max_size() < PIPE_BYTES,
    reason="pipes are widened on Linux only, up to the system's pipe-max-size",
)
def test_the_pools_pipes_hold_a_whole_page() -> None:
    """The task and result pipes are widened, so the next page waits whole in the pipe."""
    import fcntl

    pool = spawn_pool(1)
    try:
        for queue in (pool._call_queue, pool._result_queue):  # type: ignore[attr-defined]
            assert fcntl.fcntl(queue._writer.fileno(), fcntl.F_GETPIPE_SZ) == PIPE_BYTES
        assert pool.submit(int).result(timeout=60) == 0
    finally:
        pool.shutdown()
