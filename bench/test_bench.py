"""Side-by-side numbers: this integration versus a naive poller.

Run with scripts/bench. The simulator runs in its own process, so CPU time
measured here is Home Assistant's and the integration's only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import timedelta
import gc
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import tracemalloc
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient
from homeassistant.components.webhook import async_generate_path
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.parakey.api import EventLog, format_datetime
from custom_components.parakey.const import (
    EVENT_UNLOCK,
)
from custom_components.parakey.coordinator import ParakeyCoordinator
from tests.integration.helpers import WEBHOOK_AUTH, WEBHOOK_ID, add_entry

TOKEN = "bench"
AUTH = WEBHOOK_AUTH
IDLE_CYCLES = int(os.environ.get("BENCH_IDLE_CYCLES", "200"))
CATCH_UP = int(os.environ.get("BENCH_CATCH_UP", "10000"))
WEBHOOK_POSTS = int(os.environ.get("BENCH_WEBHOOK_POSTS", "1000"))
RECENT = 50  # unlocks in the last day, what a naive poller re-reads every cycle


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def sim_url() -> AsyncGenerator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", str(port), "--token", TOKEN],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(f"{url}/_sim/stats"):
                    break
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
    yield url
    process.terminate()
    process.wait(timeout=10)


async def control(url: str, method: str, path: str, body: Any = None) -> Any:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{url}/_sim/{path}", json=body) as resp,
    ):
        return await resp.json()


class Unlocks:
    """Counts parakey_unlock events without keeping them (memory is measured)."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.ids: set[str] = set()
        self.count = 0
        hass.bus.async_listen(EVENT_UNLOCK, self._seen)

    @callback
    def _seen(self, event: Event) -> None:
        self.count += 1
        self.ids.add(event.data["event_id"])

    def clear(self) -> None:
        self.ids.clear()
        self.count = 0


Row = tuple[str, str, str]


async def measure_idle(sim_url: str, coordinator: ParakeyCoordinator) -> list[Row]:
    """An idle cycle: our ETag probe versus re-reading the recent list."""
    await coordinator.async_refresh()
    await control(sim_url, "POST", "stats/reset")
    cpu = time.process_time()
    for _ in range(IDLE_CYCLES):
        await coordinator.async_refresh()
    ours_cpu = (time.process_time() - cpu) / IDLE_CYCLES
    ours = await control(sim_url, "GET", "stats")
    assert ours["not_modified"] == IDLE_CYCLES
    await control(sim_url, "POST", "stats/reset")
    since = format_datetime(dt_util.utcnow() - timedelta(days=1))
    async with aiohttp.ClientSession() as session:
        cpu = time.process_time()
        for _ in range(IDLE_CYCLES):
            async with session.get(
                f"{sim_url}/eventLogs",
                params={"startDate": since, "limit": "500"},
                headers={"access-token": TOKEN},
            ) as resp:
                logs = [EventLog.from_api(item) for item in await resp.json()]
                assert len(logs) == RECENT
        naive_cpu = (time.process_time() - cpu) / IDLE_CYCLES
    naive = await control(sim_url, "GET", "stats")

    def per_cycle(stats: dict[str, Any], key: str) -> float:
        return float(stats[key]) / IDLE_CYCLES

    ours_wire, naive_wire = (
        per_cycle(ours, "wire_bytes"),
        per_cycle(naive, "wire_bytes"),
    )
    assert per_cycle(ours, "requests") == 1
    assert per_cycle(ours, "bytes_sent") == 0
    return [
        (
            "Idle cycle: requests (ours / naive)",
            f"{per_cycle(ours, 'requests'):g} / {per_cycle(naive, 'requests'):g}",
            "1 / -",
        ),
        (
            "Idle cycle: response body bytes (ours / naive)",
            f"{per_cycle(ours, 'bytes_sent'):,.0f} / {per_cycle(naive, 'bytes_sent'):,.0f}",
            "0 / -",
        ),
        (
            "Idle cycle: response bytes with headers, approx. (ours / naive)",
            f"{ours_wire:,.0f} / {naive_wire:,.0f} ({naive_wire / ours_wire:,.0f}x)",
            "-",
        ),
        (
            "Idle cycle: CPU in Home Assistant's process (ours / naive)",
            f"{ours_cpu * 1e6:,.0f} us / {naive_cpu * 1e6:,.0f} us",
            "-",
        ),
    ]


async def measure_catch_up(
    hass: HomeAssistant, sim_url: str, entry: MockConfigEntry, unlocks: Unlocks
) -> list[Row]:
    """Home Assistant was down while CATCH_UP unlocks happened."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await control(sim_url, "POST", "unlocks", {"count": CATCH_UP})
    unlocks.clear()
    started = time.perf_counter()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    elapsed = time.perf_counter() - started
    assert unlocks.count == len(unlocks.ids) == CATCH_UP

    # Once more under tracemalloc (slower, so not timed): the peak of Python
    # allocations above what was allocated before the outage ended.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await control(sim_url, "POST", "unlocks", {"count": CATCH_UP})
    unlocks.clear()
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    growth = (tracemalloc.get_traced_memory()[1] - baseline) / 1024 / 1024
    tracemalloc.stop()
    assert unlocks.count == CATCH_UP
    assert elapsed < 5
    assert growth < 20
    return [
        (f"Catch-up of {CATCH_UP:,} unlocks: wall time", f"{elapsed:.2f} s", "< 5 s"),
        ("Catch-up: events per second", f"{CATCH_UP / elapsed:,.0f}", "-"),
        ("Catch-up: peak memory growth (tracemalloc)", f"{growth:.1f} MB", "< 20 MB"),
    ]


async def measure_webhook(
    client: TestClient, sim_url: str, unlocks: Unlocks
) -> list[Row]:
    """WEBHOOK_POSTS authenticated pushes, one after another."""
    path = async_generate_path(WEBHOOK_ID)
    created = [
        await control(sim_url, "POST", "unlocks", {"door_id": "dev_1"})
        for _ in range(WEBHOOK_POSTS)
    ]
    unlocks.clear()
    latencies = []
    started = time.perf_counter()
    for log in created:
        sent = time.perf_counter()
        resp = await client.post(
            path, data=json.dumps(log), headers={"Authorization": AUTH}
        )
        latencies.append(time.perf_counter() - sent)
        assert resp.status == 200
    total = time.perf_counter() - started
    assert unlocks.count == WEBHOOK_POSTS
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    assert p99 < 10
    return [
        (
            f"Webhook, {WEBHOOK_POSTS:,} POSTs: p50 / p99 latency",
            f"{p50:.2f} / {p99:.2f} ms",
            "p99 < 10 ms",
        ),
        ("Webhook: throughput", f"{WEBHOOK_POSTS / total:,.0f} requests/s", "-"),
    ]


async def test_bench(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    sim_url: str,
) -> None:
    # The test harness runs the loop in debug mode, which is several times
    # slower than Home Assistant in production.
    asyncio.get_running_loop().set_debug(False)
    await async_setup_component(hass, "http", {})
    await hass.config.async_update(external_url="https://ha.example.org")
    entry = add_entry(hass, sim_url, token=TOKEN, webhook=True)
    unlocks = Unlocks(hass)
    await control(sim_url, "POST", "unlocks", {"count": RECENT})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    rows = await measure_idle(sim_url, entry.runtime_data.coordinator)
    rows += await measure_catch_up(hass, sim_url, entry, unlocks)
    rows += await measure_webhook(await hass_client_no_auth(), sim_url, unlocks)
    await hass.config_entries.async_unload(entry.entry_id)

    width = max(len(name) for name, _, _ in rows)
    print(
        f"\nParakey benchmark, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}\n\n"
        f"| {'measure'.ljust(width)} | result | target |\n"
        f"| {'-' * width} | --- | --- |"
    )
    for name, value, target in rows:
        print(f"| {name.ljust(width)} | {value} | {target} |")
