"""Fixtures of the simulator tests: a webhook receiver."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from aiohttp import web
import pytest


class Receiver:
    """A webhook receiver answering a scripted list of statuses."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.calls: list[tuple[dict[str, str], Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append((dict(request.headers), await request.json()))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
async def receiver_url() -> AsyncGenerator[tuple[Receiver, str]]:
    receiver = Receiver([])
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield receiver, f"http://127.0.0.1:{port}/hook"
    await runner.cleanup()
