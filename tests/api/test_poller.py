"""The ETag poll flow against the simulator over real loopback HTTP."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
import json

import aiohttp
from aiohttp import web
import pytest

from custom_components.parakey.api import (
    EventLogPage,
    EventLogPoller,
    ParakeyClient,
    ParakeyServerError,
    PollerState,
    PollResult,
    SeenLogs,
)
from simulator import ParakeySimulator, SimulatorServer
from tests.conftest import TOKEN, FakeClock


@pytest.fixture
def client(http: aiohttp.ClientSession, api_server: SimulatorServer) -> ParakeyClient:
    return ParakeyClient(http, TOKEN, base_url=api_server.base_url)


def settle(poller: EventLogPoller, result: PollResult) -> None:
    """What the coordinator does once delivery handed the logs on."""
    poller._seen.mark(result.logs)
    poller._seen.mark_ids(result.baseline_ids)
    poller.commit(result)


async def cycle(poller: EventLogPoller) -> list[str]:
    """One poll, handed on and committed; the new ids in order."""
    result = await poller.poll()
    settle(poller, result)
    return [log.id for log in result.logs]


async def test_first_poll_only_stores_the_etag(
    client: ParakeyClient, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    api_sim.create_unlock()  # history from before the integration existed
    clock.advance(10)
    poller = EventLogPoller(client, SeenLogs())

    result = await poller.poll()
    settle(poller, result)

    assert result.logs == ()
    assert poller.state.etag is not None
    assert poller.state.watermark == clock.now.replace(microsecond=0)
    # Nothing from before the start is handed on later either.
    clock.advance(60)
    assert await cycle(poller) == []


async def test_idle_cycle_is_one_request_without_body(
    client: ParakeyClient, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    poller = EventLogPoller(client, SeenLogs())
    await cycle(poller)
    if_none_match: list[str | None] = []
    api_sim.add_request_hook(
        lambda request: if_none_match.append(request.headers.get("If-None-Match"))
    )
    api_sim.reset_stats()

    result = await poller.poll()

    assert result.not_modified
    assert result.requests == 1
    assert if_none_match == [poller.state.etag]
    stats = api_sim.stats
    assert stats["requests"] == 1
    assert stats["not_modified"] == 1
    assert stats["bytes_sent"] == 0


async def test_new_logs_once_oldest_first(
    client: ParakeyClient, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    poller = EventLogPoller(client, SeenLogs())
    await cycle(poller)
    ids = []
    for door in ("dev_1", "dev_2", "dev_1"):
        clock.advance(3)
        ids.append(api_sim.create_unlock(door)["id"])
    clock.advance(60)

    assert await cycle(poller) == ids
    clock.advance(60)
    assert await cycle(poller) == []


async def test_log_stored_during_fetch_is_not_lost(
    client: ParakeyClient, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    poller = EventLogPoller(client, SeenLogs())
    await cycle(poller)
    first = api_sim.create_unlock()["id"]
    late: list[str] = []

    def store_while_in_flight(request: web.Request) -> None:
        if "startDate" in request.query and not late:
            clock.advance(1)
            late.append(api_sim.create_unlock("dev_2")["id"])

    remove = api_sim.add_request_hook(store_while_in_flight)
    clock.advance(60)
    got = await cycle(poller)
    remove()
    clock.advance(60)
    got += await cycle(poller)

    assert got == [first, *late]


async def test_slow_write_with_older_created_at_is_found(
    client: ParakeyClient, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    poller = EventLogPoller(client, SeenLogs())
    await cycle(poller)
    clock.advance(60)
    newest = api_sim.create_unlock()["id"]
    assert await cycle(poller) == [newest]
    # Stored now, stamped 30 s ago: the limit=1 probe cannot see it...
    slow = api_sim.create_unlock("dev_2", created_at=clock.now - timedelta(seconds=30))[
        "id"
    ]
    clock.advance(60)
    assert await cycle(poller) == []
    # ...but the next real change fetches the overlap window, which holds it.
    clock.advance(1)
    nxt = api_sim.create_unlock()["id"]
    assert await cycle(poller) == [slow, nxt]


async def test_hourly_sweep_finds_what_the_probe_cannot(
    client: ParakeyClient, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    poller = EventLogPoller(client, SeenLogs(), sweep_interval=timedelta(minutes=10))
    await cycle(poller)
    clock.advance(60)
    api_sim.create_unlock()
    await cycle(poller)
    slow = api_sim.create_unlock("dev_2", created_at=clock.now - timedelta(seconds=20))[
        "id"
    ]
    found: list[str] = []
    for _ in range(12):
        clock.advance(60)
        found += await cycle(poller)
    assert found == [slow]


async def test_failure_after_probe_loses_nothing(
    client: ParakeyClient, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    poller = EventLogPoller(client, SeenLogs())
    await cycle(poller)
    etag_before = poller.state.etag
    created = api_sim.create_unlock()["id"]
    clock.advance(60)
    # The probe passes; the fault it arms hits the fetch right behind it.
    armed: list[bool] = []

    def fail_next(request: web.Request) -> None:
        if request.query.get("limit") == "1" and not armed:
            armed.append(True)
            api_sim.inject_fault("server_error")

    remove = api_sim.add_request_hook(fail_next)
    with pytest.raises(ParakeyServerError):
        await poller.poll()
    remove()
    assert armed
    assert poller.state.etag == etag_before

    clock.advance(60)
    assert await cycle(poller) == [created]


async def test_uncommitted_result_is_fetched_again(
    client: ParakeyClient, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    poller = EventLogPoller(client, SeenLogs())
    await cycle(poller)
    created = api_sim.create_unlock()["id"]
    clock.advance(60)
    lost = await poller.poll()  # e.g. Home Assistant stopped before handing it on
    assert [log.id for log in lost.logs] == [created]
    assert await cycle(poller) == [created]


async def test_restored_state_resumes_without_loss_or_repeat(
    client: ParakeyClient, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    poller = EventLogPoller(client, SeenLogs())
    await cycle(poller)
    clock.advance(10)
    handled = api_sim.create_unlock()["id"]
    assert await cycle(poller) == [handled]
    saved = json.dumps(poller.state.as_dict())
    saved_seen = json.dumps(poller._seen.as_dict())

    # Home Assistant is down for an hour; three unlocks happen meanwhile.
    downtime = []
    for _ in range(3):
        clock.advance(1200)
        downtime.append(api_sim.create_unlock("dev_2")["id"])

    restored = EventLogPoller(
        client,
        SeenLogs.from_dict(json.loads(saved_seen)),
        PollerState.from_dict(json.loads(saved)),
    )
    assert restored.state.etag == poller.state.etag
    assert await cycle(restored) == downtime
    clock.advance(60)
    assert await cycle(restored) == []


async def test_paging_across_several_pages(
    client: ParakeyClient, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    poller = EventLogPoller(client, SeenLogs(), page_size=5)
    await cycle(poller)
    ids = []
    for _ in range(12):
        clock.advance(1)
        ids.append(api_sim.create_unlock()["id"])
    api_sim.reset_stats()

    result = await poller.poll()
    settle(poller, result)

    assert [log.id for log in result.logs] == ids
    # Probe plus pages of 5, 5 and 2.
    assert result.requests == 4
    assert api_sim.stats["requests"] == 4


async def test_paging_stops_on_page_without_unseen_ids(
    client: ParakeyClient, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    poller = EventLogPoller(client, SeenLogs(), page_size=3, overlap=timedelta(hours=1))
    await cycle(poller)
    for _ in range(6):
        clock.advance(1)
        api_sim.create_unlock()
    await cycle(poller)
    clock.advance(1)
    newest = api_sim.create_unlock()["id"]
    result = await poller.poll()
    # Probe, a first page with the new log, a second page of known logs only.
    assert [log.id for log in result.logs] == [newest]
    assert result.requests == 3


async def test_etag_change_without_new_logs(
    client: ParakeyClient, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    poller = EventLogPoller(client, SeenLogs())
    await cycle(poller)
    api_sim.create_unlock()
    clock.advance(60)
    await cycle(poller)
    api_sim.bump_etag()
    clock.advance(60)
    result = await poller.poll()
    settle(poller, result)
    assert result.logs == ()
    assert not result.not_modified
    clock.advance(60)
    assert (await poller.poll()).not_modified


async def test_seen_ids_stay_bounded(
    client: ParakeyClient, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    seen = SeenLogs(max_ids=10, keep_window=timedelta(seconds=30))
    poller = EventLogPoller(client, seen, overlap=timedelta(seconds=30), page_size=50)
    await cycle(poller)
    total = 0
    for _ in range(5):
        for _ in range(8):
            clock.advance(20)
            api_sim.create_unlock()
        total += len(await cycle(poller))
    assert total == 40
    assert len(seen) <= 10


def test_state_from_damaged_data() -> None:
    assert PollerState.from_dict("nonsense") == PollerState()
    state = PollerState.from_dict(
        {
            "etag": 5,
            "watermark": "yesterday",
        }
    )
    assert state.etag is None
    assert state.watermark is None
    seen = SeenLogs.from_dict({"a": "2026-01-01T00:00:00Z", "b": 3, 4: "x"})
    assert "a" in seen
    assert len(seen) == 1
    assert SeenLogs.from_dict("nonsense").as_dict() == {}


async def test_history_within_the_date_headers_second_is_not_replayed(
    client: ParakeyClient, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    # Found by scripts/bench: Date has whole seconds, so logs stored in the
    # same second as the first probe looked newer than the baseline and were
    # replayed as new unlocks on the next change.
    clock.advance(0.3)
    history = [api_sim.create_unlock()["id"]]
    clock.advance(0.3)
    history.append(api_sim.create_unlock()["id"])
    poller = EventLogPoller(client, SeenLogs())
    await cycle(poller)
    clock.advance(61)
    new = api_sim.create_unlock()["id"]
    assert await cycle(poller) == [new]


async def test_first_poll_without_date_or_logs_uses_local_clock(
    client: ParakeyClient, api_sim: ParakeySimulator
) -> None:
    poller = EventLogPoller(client, SeenLogs())
    original = client.list_event_logs

    async def no_date(**kwargs: object) -> EventLogPage:
        page = await original(**kwargs)  # type: ignore[arg-type]
        return dataclasses.replace(page, server_time=None)

    client.list_event_logs = no_date  # type: ignore[method-assign]
    before = datetime.now(UTC)
    await cycle(poller)
    assert poller.state.watermark is not None
    assert poller.state.watermark >= before
