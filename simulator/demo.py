"""Demo mode: random unlocks across the place's doors and people."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app import ParakeySimulator

_LOGGER = logging.getLogger(__name__)


class DemoRunner:
    """Creates an unlock every ``interval`` +- ``jitter`` seconds."""

    def __init__(self, simulator: ParakeySimulator) -> None:
        """Attach to ``simulator``."""
        self._simulator = simulator
        self._task: asyncio.Task[None] | None = None
        # Not for security: a demo only needs variety.
        self._random = random.Random()  # noqa: S311

    def start(self, interval: float, jitter: float) -> None:
        """Start (or restart) the background loop."""
        if self._task is not None:
            self._task.cancel()
        self._task = asyncio.get_running_loop().create_task(self._run(interval, jitter))

    async def _run(self, interval: float, jitter: float) -> None:
        place = self._simulator.place
        while True:
            await asyncio.sleep(
                max(0.0, interval + self._random.uniform(-jitter, jitter))
            )
            door = self._random.choice(sorted(place.doors))
            user = self._random.choice(sorted(place.users))
            log = self._simulator.create_unlock(door, user)
            _LOGGER.info("Demo unlock %s: %s by %s", log["id"], door, user)

    async def stop(self) -> None:
        """Stop the loop."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
