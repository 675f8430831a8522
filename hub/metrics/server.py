"""Serving a process's metrics and health over HTTP: ``/metrics``, ``/health``, ``/ready``.

Every long-running hub process (connectors, cross-check workers, the demo while it runs)
serves one :class:`MetricsServer` (DESIGN decision 9):

- ``/metrics``: the Prometheus text exposition of the registry handed in (OpenMetrics
  when the scraper asks for it in ``Accept``).
- ``/health``: liveness. 200 whenever the event loop answers; a supervisor restarts the
  process when it stops answering.
- ``/ready``: readiness. 200 when every readiness check passes, else 503 with a JSON body
  naming the failing checks (``{"ready": false, "failing": [...], "checks": {...}}``).
  Checks are async callables returning ``True`` when ready: :func:`kafka_check` (the
  broker answers a metadata request) and :func:`source_check` (the connector's last
  source call succeeded). A check that raises or overruns its timeout fails; only the
  exception's class is reported, never its message, so no record content leaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any

from aiohttp import web
from aiokafka import AIOKafkaClient
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.metrics.catalogue import SOURCE_UP

log = logging.getLogger(__name__)

#: A readiness check: resolves to ``True`` when the process may be given work.
ReadinessCheck = Callable[[], Awaitable[bool]]


class MetricsSettings(BaseSettings):
    """Where a process serves its metrics (environment prefix ``HUB_METRICS_``)."""

    model_config = SettingsConfigDict(env_prefix="HUB_METRICS_", extra="ignore")

    enabled: bool = Field(True, description="Serve /metrics, /health and /ready at all.")
    host: str = Field(
        "127.0.0.1", description="Address to bind; 0.0.0.0 in containers so Prometheus reaches it."
    )
    port: int = Field(9400, ge=0, le=65535, description="TCP port; 0 picks a free one.")
    check_timeout_s: float = Field(2.0, gt=0, le=60, description="Timeout of each ready check.")


class MetricsServer:
    """An aiohttp server for one process's registry and readiness checks.

    Use as ``async with MetricsServer(registry, settings, checks) as server: ...``;
    ``server.port`` is the bound port (useful with port 0).

    Args:
        registry: the registry whose metrics ``/metrics`` exposes.
        settings: bind address, port and check timeout (default: from the environment).
        checks: readiness checks by name; more can be added with :meth:`add_check`.
    """

    def __init__(
        self,
        registry: CollectorRegistry,
        settings: MetricsSettings | None = None,
        checks: Mapping[str, ReadinessCheck] | None = None,
    ) -> None:
        self.registry = registry
        self.settings = settings or MetricsSettings()
        self.checks: dict[str, ReadinessCheck] = dict(checks or {})
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """Base URL of the running server, e.g. ``http://127.0.0.1:9400``."""
        return f"http://{self.settings.host}:{self.port}"

    def add_check(self, name: str, check: ReadinessCheck) -> None:
        """Add (or replace) the readiness check ``name``."""
        self.checks[name] = check

    async def start(self) -> None:
        """Bind and start serving.

        Raises:
            OSError: the port is taken or the address cannot be bound.
        """
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/health", self._health)
        app.router.add_get("/ready", self._ready)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.settings.host, self.settings.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        address = runner.addresses[0]
        self.port = int(address[1])
        log.info("serving /metrics, /health and /ready on %s", self.url)

    async def stop(self) -> None:
        """Stop serving (idempotent)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> MetricsServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        await self.stop()

    async def readiness(self) -> dict[str, str]:
        """Run every check concurrently; ``"ok"`` or why not, by check name."""
        names = list(self.checks)
        results = await asyncio.gather(*(self._run_check(self.checks[n]) for n in names))
        return dict(zip(names, results, strict=True))

    async def _run_check(self, check: ReadinessCheck) -> str:
        try:
            passed = await asyncio.wait_for(check(), self.settings.check_timeout_s)
        except TimeoutError:
            return "timeout"
        except Exception as exc:  # a failing check is an answer, not a server error
            return f"error: {type(exc).__name__}"
        return "ok" if passed else "not ready"

    async def _metrics(self, request: web.Request) -> web.Response:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        return web.Response(body=encoder(self.registry), headers={"Content-Type": content_type})

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"alive": True})

    async def _ready(self, request: web.Request) -> web.Response:
        checks = await self.readiness()
        failing = [name for name, result in checks.items() if result != "ok"]
        body = {"ready": not failing, "failing": failing, "checks": checks}
        return web.json_response(body, status=503 if failing else 200)


def kafka_check(bootstrap: str, client_kwargs: Mapping[str, Any] | None = None) -> ReadinessCheck:
    """A check that passes when a broker of ``bootstrap`` answers a metadata request.

    Args:
        bootstrap: ``host:port[,host:port...]``.
        client_kwargs: security arguments for aiokafka
            (``HubSettings.security().client_kwargs()``).
    """

    async def check() -> bool:
        client = AIOKafkaClient(
            bootstrap_servers=bootstrap, request_timeout_ms=2000, **dict(client_kwargs or {})
        )
        try:
            await client.bootstrap()
        finally:
            await client.close()
        return True

    return check


def source_check(registry: CollectorRegistry, connector: str) -> ReadinessCheck:
    """A check that passes once ``connector``'s last source call succeeded (``hub_source_up``)."""

    async def check() -> bool:
        return registry.get_sample_value(SOURCE_UP.name, {"connector": connector}) == 1.0

    return check


@contextlib.asynccontextmanager
async def serving(
    registry: CollectorRegistry,
    checks: Mapping[str, ReadinessCheck] | None = None,
    settings: MetricsSettings | None = None,
) -> AsyncIterator[MetricsServer | None]:
    """Serve while the block runs, for a short-lived command that must not fail for it.

    Yields ``None`` (and logs a warning) when serving is disabled or the port is taken;
    long-running services use :class:`MetricsServer` directly and fail instead.
    """
    settings = settings or MetricsSettings()
    if not settings.enabled:
        yield None
        return
    server = MetricsServer(registry, settings, checks)
    try:
        await server.start()
    except OSError as exc:
        log.warning(
            "not serving metrics: cannot bind %s:%d (%s)", settings.host, settings.port, exc
        )
        yield None
        return
    try:
        yield server
    finally:
        await server.stop()
