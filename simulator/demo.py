"""Demo mode: random unlocks by the people holding a key, and the demo's keys."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, time, timedelta
import logging
import random
from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from .app import ParakeySimulator

_LOGGER = logging.getLogger(__name__)

# The demo's home is in Sweden: "Tuesday 09:00" means Swedish time.
DEMO_ZONE: Final = ZoneInfo("Europe/Stockholm")


def seed_demo_keys(simulator: ParakeySimulator) -> None:
    """Add the demo's people and keys beyond the default place.

    A cleaner who holds the API-enabled "Guest" key next Tuesday 09:00-12:00,
    and a guest who holds nothing yet: the one to give a key from Home
    Assistant (Parakey only grants keys to people it knows).
    """
    simulator.add_user("usr_3", "Cleo Cleaner", "cleaner@example.com")
    simulator.add_user("usr_4", "Gustav Guest", "guest@example.com")
    local = simulator.clock().astimezone(DEMO_ZONE)
    tuesday = local.date() + timedelta(days=(1 - local.weekday()) % 7 or 7)
    start = datetime.combine(tuesday, time(9), DEMO_ZONE)
    simulator.keys.add_key("acc_2", "usr_3", start, start + timedelta(hours=3))


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
            # Only someone whose key opens now comes in, with that key: a
            # guest given a key from Home Assistant shows up in its window.
            if holders := self._simulator.keys.holders(self._simulator.clock()):
                user, access = self._random.choice(holders)
                log = self._simulator.create_unlock(door, user, access_id=access)
            else:
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
