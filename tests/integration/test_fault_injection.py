"""Seeded fault-injection scenarios: zero lost and zero doubled unlocks.

Each seed drives Home Assistant with the integration against the simulator
over loopback HTTP: unlocks on several doors (some uploaded late by offline
locks, some stored late with an older createdAt), webhook deliveries (with
Parakey-style duplicates, some with bad credentials, half of them written
to the socket in pieces as real networks do), poll cycles, and
faults: 5xx, timeouts, 429 with Retry-After, malformed JSON, an ETag that
changes without new logs, Home Assistant's clock ahead of or behind the
server's, reloads and restarts. After draining, every unlock must have been
fired exactly once.

Thousands, locally:

    PARAKEY_SCENARIOS=2000 scripts/test tests/integration/test_fault_injection.py
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable
from datetime import timedelta
from http import HTTPStatus
import json
import os
import random
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.webhook import async_generate_path
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.parakey.api import format_datetime, parse_datetime
from custom_components.parakey.api.poller import DEFAULT_OVERLAP
from custom_components.parakey.api.seen import DEFAULT_MAX_IDS
from custom_components.parakey.const import (
    EVENT_UNLOCK,
)
from simulator import ParakeySimulator, SimulatorServer
from tests.conftest import TOKEN

from .helpers import WEBHOOK_AUTH, WEBHOOK_ID, add_entry

SCENARIOS = int(os.environ.get("PARAKEY_SCENARIOS", "200"))
STEPS = int(os.environ.get("PARAKEY_SCENARIO_STEPS", "40"))
AUTH = WEBHOOK_AUTH
DOORS = ("dev_1", "dev_2", "dev_3")
USERS = ("usr_1", "usr_2", None)


@pytest.fixture(autouse=True)
def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A timeout fault should cost milliseconds, not the real 20 s."""
    monkeypatch.setattr("custom_components.parakey.REQUEST_TIMEOUT", 0.05)


class Scenario:
    """One seeded run and the bookkeeping its invariants need."""

    def __init__(
        self,
        seed: int,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        sim: ParakeySimulator,
        entry: MockConfigEntry,
        client: Any,
        clock_offset: dict[str, timedelta],
    ) -> None:
        self.clock_offset = clock_offset
        self.rng = random.Random(seed)  # noqa: S311 - reproducible, not secret
        self.hass = hass
        self.freezer = freezer
        self.sim = sim
        self.entry = entry
        self.client = client
        self.created: dict[str, dict[str, Any]] = {}
        self.pushed_ok: set[str] = set()
        self.steps: list[str] = []
        self.events: list[Event] = async_capture_events(hass, EVENT_UNLOCK)
        self.batch_marks: list[int] = []
        self.loaded = True

    async def settle(self, work: Awaitable[Any] | None = None) -> Any:
        """Run ``work`` and every Home Assistant task to the end.

        A held answer (the timeout fault) waits on a timer, and frozen time
        would never let it fire; real I/O needs loop iterations. So spin the
        loop, and move frozen time by 20 ms only every 100 spins, long after
        loopback I/O has had its chance, until all is done.
        """
        hass = self.hass
        task = asyncio.ensure_future(work) if work is not None else None
        for spin in range(100_000):
            if (task is None or task.done()) and not (
                hass._tasks or hass._background_tasks
            ):
                break
            if spin % 100 == 99:
                self.freezer.tick(timedelta(milliseconds=20))
            await asyncio.sleep(0)
        await hass.async_block_till_done(wait_background_tasks=True)
        return None if task is None else task.result()

    async def tick(self, seconds: float) -> None:
        self.freezer.tick(timedelta(seconds=seconds))
        async_fire_time_changed(self.hass)
        await self.settle()

    # ----- steps -----

    def unlock(self) -> None:
        door = self.rng.choice(DOORS)
        if door == "dev_3" and "dev_3" not in self.sim.place.doors:
            self.sim.add_door("dev_3", "Garage")  # a door appears mid-run
        now = self.sim.clock()
        timestamp = created_at = None
        roll = self.rng.random()
        if roll < 0.15:  # an offline lock uploads late
            timestamp = now - timedelta(minutes=self.rng.randint(11, 180))
        elif roll < 0.25:  # the cloud stored it late, stamped earlier
            created_at = now - timedelta(seconds=self.rng.randint(1, 60))
        log = self.sim.create_unlock(
            door, self.rng.choice(USERS), timestamp=timestamp, created_at=created_at
        )
        self.created[log["id"]] = log

    async def push(self) -> None:
        if not self.created:
            return
        # Setup may be waiting for a retry after a fault: then no webhook is
        # registered and Home Assistant answers 200 to any call.
        registered = self.entry.state is ConfigEntryState.LOADED
        log = self.created[self.rng.choice(list(self.created))]
        good = self.rng.random() < 0.8
        auth = AUTH if good else AUTH[:-1] + ("x" if AUTH[-1] != "x" else "y")
        for _ in range(2 if self.rng.random() < 0.3 else 1):  # Parakey retries
            if self.rng.random() < 0.5:
                # As real networks deliver it: the body in pieces.
                status = await self.push_split(json.dumps(log).encode(), auth)
            else:
                resp = await self.client.post(
                    async_generate_path(WEBHOOK_ID),
                    json=log,
                    headers={"Authorization": auth},
                )
                status = resp.status
            ok = good or not registered
            assert status == (HTTPStatus.OK if ok else HTTPStatus.UNAUTHORIZED)
        if good and registered:
            self.pushed_ok.add(log["id"])

    async def push_split(self, body: bytes, auth: str) -> int:
        """POST over a raw socket, headers and body split at random points."""
        url = self.client.make_url(async_generate_path(WEBHOOK_ID))
        reader, writer = await asyncio.open_connection(url.host, url.port)
        head = (
            f"POST {url.path} HTTP/1.1\r\nHost: ha.example.org\r\n"
            f"Content-Type: application/json\r\nAuthorization: {auth}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        first, second = sorted(self.rng.sample(range(1, len(body)), 2))
        for piece in (head + body[:first], body[first:second], body[second:]):
            writer.write(piece)
            await writer.drain()
            for _ in range(20):  # let the server read what has come so far
                await asyncio.sleep(0)
        status = int((await reader.readline()).split()[1])
        writer.close()
        return status

    def fault(self) -> None:
        kind = self.rng.choice(
            ["server_error", "rate_limit", "malformed", "wrong_shape", "timeout"]
        )
        self.sim.inject_fault(
            kind,
            self.rng.randint(1, 3),
            retry_after=self.rng.randint(60, 400),
            delay=0.1,
        )

    async def restart(self, *, reload: bool) -> None:
        entries = self.hass.config_entries
        if reload:
            await self.settle(entries.async_reload(self.entry.entry_id))
            return
        assert await self.settle(entries.async_unload(self.entry.entry_id))
        self.loaded = False
        for _ in range(self.rng.randint(0, 4)):  # unlocks while Home Assistant is down
            await self.tick(self.rng.randint(30, 900))
            self.unlock()
        await self.settle(entries.async_setup(self.entry.entry_id))
        self.loaded = True

    async def run(self, steps: int) -> None:
        actions = (
            ["unlock"] * 8 + ["poll"] * 6 + ["push"] * 3 + ["fault"] * 2
            + ["etag", "skew", "reload", "restart", "sweep"]
        )  # fmt: skip
        for _ in range(steps):
            action = self.rng.choice(actions)
            self.steps.append(action)
            self.batch_marks.append(len(self.events))
            match action:
                case "unlock":
                    self.unlock()
                case "poll":
                    await self.tick(self.rng.choice([61, 61, 120, 301]))
                case "push":
                    await self.push()
                case "fault":
                    self.fault()
                case "etag":
                    self.sim.bump_etag()
                case "skew":
                    self.skew = timedelta(
                        seconds=self.rng.choice([-180, -30, 0, 30, 180])
                    )
                case "reload":
                    await self.restart(reload=True)
                case "restart":
                    await self.restart(reload=False)
                case "sweep":
                    await self.tick(3700)
            self.check_doors_available(action)
        self.batch_marks.append(len(self.events))

    def check_doors_available(self, after: str) -> None:
        """No 429, outage or timeout makes a door unavailable while it is loaded.

        The webhook delivers meanwhile and polling retries: only a refused
        token would (no scenario refuses it).
        """
        if self.entry.state is not ConfigEntryState.LOADED:
            return
        for door in ("front_door", "back_door"):
            state = self.hass.states.get(f"event.{door}_unlock")
            assert state is not None
            assert state.state != STATE_UNAVAILABLE, f"after {after}: {self.steps}"

    async def drain(self) -> None:
        """Faults end; polling catches up, including one hourly sweep."""
        self.sim._faults.clear()
        if self.entry.state is ConfigEntryState.NOT_LOADED:
            await self.settle(self.hass.config_entries.async_setup(self.entry.entry_id))
        for seconds in (601, 61, 3700, 61):
            await self.tick(seconds)

    # ----- invariants -----

    def check(self) -> None:
        fired = Counter(event.data["event_id"] for event in self.events)
        doubled = {log_id: n for log_id, n in fired.items() if n > 1}
        lost = set(self.created) - set(fired)
        unknown = set(fired) - set(self.created)
        assert not doubled, f"doubled {doubled}; steps {self.steps}"
        assert not lost, f"lost {sorted(lost)}; steps {self.steps}"
        assert not unknown, unknown
        by_id = {event.data["event_id"]: event.data for event in self.events}
        for log_id in set(self.created) - self.pushed_ok:
            # Rejected pushes never fire; only polling may deliver these.
            assert by_id[log_id]["source"] == "poll", log_id
        for start, end in zip(self.batch_marks, self.batch_marks[1:], strict=False):
            batch = [
                e.data for e in self.events[start:end] if e.data["source"] == "poll"
            ]
            keys = [(d["created_at"], d["event_id"]) for d in batch]
            assert keys == sorted(keys), f"out of order: {keys}"
        for door in ("front_door", "back_door"):
            assert (
                self.hass.states.get(f"event.{door}_unlock").state != STATE_UNAVAILABLE
            )
        coordinator = self.entry.runtime_data.coordinator
        assert coordinator.last_update_success
        seen = self.entry.runtime_data.delivery.seen
        newest = max(at for at in seen.as_dict().values())
        in_window = sum(
            1
            for at in seen.as_dict().values()
            if at >= format_datetime(parse_datetime(newest) - DEFAULT_OVERLAP)
        )
        assert len(seen) <= max(DEFAULT_MAX_IDS, in_window)
        assert len(seen) <= len(self.created)


Parts = tuple[ParakeySimulator, MockConfigEntry, dict[str, timedelta]]


@pytest.fixture
async def scenario_parts(hass: HomeAssistant) -> AsyncGenerator[Parts]:
    await async_setup_component(hass, "http", {})
    await hass.config.async_update(external_url="https://ha.example.org")
    # The server's clock runs ahead of or behind Home Assistant's by this much.
    offset: dict[str, timedelta] = {"server": timedelta(0)}
    sim = ParakeySimulator(
        token=TOKEN, time_scale=0, clock=lambda: dt_util.utcnow() + offset["server"]
    )
    async with SimulatorServer(sim) as server:
        entry = add_entry(hass, server.base_url, webhook=True)
        yield sim, entry, offset
        await hass.config_entries.async_unload(entry.entry_id)
        await sim.close()


@pytest.mark.parametrize("seed", range(SCENARIOS))
async def test_no_unlock_lost_or_doubled(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
    scenario_parts: Parts,
    seed: int,
) -> None:
    sim, entry, offset = scenario_parts
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    client = await hass_client_no_auth()  # after the webhook view exists
    scenario = Scenario(seed, hass, freezer, sim, entry, client, offset)
    if scenario.rng.random() < 0.5:
        offset["server"] = timedelta(seconds=scenario.rng.choice([-120, 120]))
    await scenario.run(STEPS)
    await scenario.drain()
    scenario.check()
