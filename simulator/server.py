"""Run a simulator on a loopback port for the length of an ``async with``."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from aiohttp import web

from .app import ParakeySimulator


class SimulatorServer:
    """Serves ``simulator.app``; port 0 picks a free port."""

    def __init__(
        self, simulator: ParakeySimulator, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        """Prepare; nothing listens until ``start``."""
        self.simulator = simulator
        self.host = host
        self.port = port
        self._runner = web.AppRunner(simulator.app, access_log=None)

    @property
    def base_url(self) -> str:
        """Where the API answers."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Listen."""
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server  # noqa: SLF001 - the only way to learn the bound port
        if self.port == 0 and server is not None:
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        """Stop listening."""
        await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        """Start on enter."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop on exit."""
        await self.stop()
