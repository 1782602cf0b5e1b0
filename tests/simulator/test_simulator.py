"""The simulator itself: the API it serves, its control API and webhook delivery."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import json
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
import pytest

from simulator import ParakeySimulator, SimulatorServer
from simulator.webhook import RETRY_DELAYS
from tests.conftest import TOKEN, FakeClock
from tests.simulator.conftest import Receiver

AUTH = {"access-token": TOKEN}


@pytest.fixture
async def base(api_server: SimulatorServer) -> str:
    return api_server.base_url


async def get(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str] | None = None
) -> tuple[int, CIMultiDict[str], Any]:
    async with http.get(url, headers={**AUTH, **(headers or {})}) as resp:
        body = await resp.read()
        return resp.status, CIMultiDict(resp.headers), body


async def test_etag_and_304(
    http: aiohttp.ClientSession, base: str, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    api_sim.create_unlock()
    status, headers, body = await get(http, f"{base}/eventLogs?limit=1")
    assert status == 200
    etag = headers["ETag"]
    assert headers["Date"] == "Sat, 14 Mar 2026 08:00:00 GMT"
    status, headers, body = await get(
        http, f"{base}/eventLogs?limit=1", {"If-None-Match": etag}
    )
    assert (status, body, headers["ETag"]) == (304, b"", etag)

    # A slow write stamped before the newest log leaves the probe unchanged...
    api_sim.create_unlock(created_at=clock.now - timedelta(seconds=30))
    status, _, _ = await get(http, f"{base}/eventLogs?limit=1", {"If-None-Match": etag})
    assert status == 304
    # ...a new newest log and a bumped salt both change it.
    clock.advance(1)
    api_sim.create_unlock()
    status, headers, _ = await get(
        http, f"{base}/eventLogs?limit=1", {"If-None-Match": etag}
    )
    assert status == 200
    etag = headers["ETag"]
    api_sim.bump_etag()
    status, headers, _ = await get(
        http, f"{base}/eventLogs?limit=1", {"If-None-Match": etag}
    )
    assert status == 200
    assert headers["ETag"] != etag


async def test_filters_order_and_paging(
    http: aiohttp.ClientSession, base: str, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    ids = []
    for _ in range(7):
        clock.advance(10)
        ids.append(api_sim.create_unlock()["id"])
    start = api_sim.logs[3]["createdAt"]

    _, _, body = await get(
        http, f"{base}/eventLogs?startDate={start}&orderBy=createdAt:ASC"
    )
    assert [log["id"] for log in parse(body)] == ids[3:]
    _, _, body = await get(http, f"{base}/eventLogs?limit=2&offset=2")
    assert [log["id"] for log in parse(body)] == [ids[4], ids[3]]
    start_offset = start.replace("Z", "+00:00").replace("+", "%2B")
    _, _, body = await get(http, f"{base}/eventLogs?startDate={start_offset}")
    assert len(parse(body)) == 4
    _, _, body = await get(http, f"{base}/eventLogs?limit=9999")
    assert len(parse(body)) == 7

    for query in ("startDate=yesterday", "limit=x", "orderBy=name", "offset=-1"):
        status, _, _ = await get(http, f"{base}/eventLogs?{query}")
        assert status == 400, query


def parse(body: bytes) -> Any:
    return json.loads(body)


async def test_single_log_devices_domains(
    http: aiohttp.ClientSession, base: str, api_sim: ParakeySimulator
) -> None:
    log = api_sim.create_unlock("dev_2", "usr_2", erase_user=True)
    status, _, body = await get(http, f"{base}/eventLogs/{log['id']}")
    assert status == 200
    assert parse(body)["user"] is None
    status, _, _ = await get(http, f"{base}/eventLogs/evl_none")
    assert status == 404
    for path in ("/devices", "/eventConfigurations"):
        _, _, body = await get(http, f"{base}{path}")
        assert [door["id"] for door in parse(body)] == ["dev_1", "dev_2"]
    _, _, body = await get(http, f"{base}/domains")
    assert parse(body) == [{"id": "dom_1", "name": "Home"}]
    api_sim.devices_endpoint = False
    for path in ("/devices", "/eventConfigurations", "/domains"):
        status, _, _ = await get(http, f"{base}{path}")
        assert status == 404


async def test_token_and_legacy_shape(
    http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    sim = ParakeySimulator(token=TOKEN, legacy=True, clock=clock, time_scale=0)
    sim.create_unlock("dev_1", "usr_2")
    async with SimulatorServer(sim) as server:
        async with http.get(f"{server.base_url}/eventLogs") as resp:
            assert resp.status == 401
        _, _, body = await get(http, f"{server.base_url}/eventLogs")
    await sim.close()
    (log,) = parse(body)
    assert log["eventConfiguration"] == {"id": "dev_1", "name": "Front door"}
    assert (log["deviceId"], log["domainId"], log["userId"]) == (
        "dev_1",
        "dom_1",
        "usr_2",
    )
    assert "device" not in log


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("server_error", 500),
        ("rate_limit", 429),
        ("unauthorized", 401),
        ("forbidden", 403),
        ("not_found", 404),
        ("malformed", 200),
        ("wrong_shape", 200),
    ],
)
async def test_faults_hit_the_next_requests(
    http: aiohttp.ClientSession,
    base: str,
    api_sim: ParakeySimulator,
    kind: str,
    status: int,
) -> None:
    api_sim.inject_fault(kind, count=2, retry_after=7)
    for _ in range(2):
        got, headers, body = await get(http, f"{base}/eventLogs")
        assert got == status
        if kind == "rate_limit":
            assert headers["Retry-After"] == "7"
        if kind == "malformed":
            with pytest.raises(ValueError, match="Expecting|Unterminated"):
                parse(body)
    got, _, body = await get(http, f"{base}/eventLogs")
    assert (got, parse(body)) == (200, [])
    with pytest.raises(ValueError, match="unknown fault"):
        api_sim.inject_fault("gremlins")


async def test_timeout_fault_holds_the_answer(
    http: aiohttp.ClientSession, base: str, api_sim: ParakeySimulator
) -> None:
    api_sim.inject_fault("timeout", delay=0.3)
    with pytest.raises(TimeoutError):
        async with http.get(
            f"{base}/eventLogs", headers=AUTH, timeout=aiohttp.ClientTimeout(total=0.02)
        ):
            pass


async def test_stats_and_async_request_hook(
    http: aiohttp.ClientSession, base: str, api_sim: ParakeySimulator
) -> None:
    seen: list[str] = []

    async def hook(request: web.Request) -> None:
        seen.append(request.path)

    remove = api_sim.add_request_hook(hook)
    api_sim.create_unlock()
    _, headers, body = await get(http, f"{base}/eventLogs")
    await get(http, f"{base}/eventLogs", {"If-None-Match": headers["ETag"]})
    remove()
    await get(http, f"{base}/domains")
    stats = api_sim.stats
    assert seen == ["/eventLogs", "/eventLogs"]
    assert stats["requests"] == 3
    assert stats["by_path"] == {"/eventLogs": 2, "/domains": 1}
    assert stats["not_modified"] == 1
    assert stats["bytes_sent"] == len(body) + len(b'[{"id":"dom_1","name":"Home"}]')
    api_sim.reset_stats()
    assert api_sim.stats["requests"] == 0


async def test_control_api(
    http: aiohttp.ClientSession, base: str, api_sim: ParakeySimulator
) -> None:
    async def call(method: str, path: str, data: Any = None) -> tuple[int, Any]:
        async with http.request(method, f"{base}/_sim/{path}", json=data) as resp:
            text = await resp.text()
            return resp.status, (
                parse(text) if resp.content_type == "application/json" else text
            )

    assert (await call("POST", "doors", {"id": "dev_3", "name": "Garage"}))[0] == 201
    assert (await call("POST", "users", {"id": "usr_3", "name": "Cleo"}))[0] == 201
    status, log = await call(
        "POST",
        "unlocks",
        {"door_id": "dev_3", "user_id": "usr_3", "timestamp": "2026-03-14T07:00:00Z"},
    )
    assert status == 201
    assert (log["device"]["name"], log["user"]["name"], log["timestamp"]) == (
        "Garage",
        "Cleo",
        "2026-03-14T07:00:00.000Z",
    )
    status, bulk = await call("POST", "unlocks", {"count": 5})
    assert (status, bulk["created"]) == (200, 5)
    assert len(api_sim.logs) == 6
    assert (await call("POST", "unlocks", {"count": 0}))[0] == 400
    assert (await call("POST", "faults", {"kind": "server_error", "count": 2}))[1] == {
        "armed": 2
    }
    assert (await call("POST", "etag/bump"))[1] == {"salt": 1}
    assert (await call("GET", "stats"))[1]["requests"] == 0
    assert (await call("POST", "stats/reset"))[0] == 200
    status, answer = await call(
        "PUT", "webhook", {"url": "http://127.0.0.1:9/hook", "enabled": False}
    )
    assert (status, answer) == (
        200,
        {"url": "http://127.0.0.1:9/hook", "enabled": False},
    )
    assert (await call("DELETE", "webhook"))[1] == {"enabled": False}
    assert (await call("GET", "webhook/deliveries"))[1] == []

    bad = [
        ("POST", "unlocks", {"door_id": "nope"}),
        ("POST", "unlocks", {"timestamp": "never"}),
        ("POST", "unlocks", [1]),
        ("POST", "doors", {"id": 1}),
        ("POST", "users", {"name": "no id"}),
        ("POST", "faults", {"kind": "gremlins"}),
        ("POST", "faults", {"kind": "server_error", "count": "x"}),
        ("PUT", "webhook", {"url": "ftp://x"}),
        ("PUT", "webhook", {"url": "http://x", "headers": {"a": 1}}),
    ]
    for method, path, data in bad:
        assert (await call(method, path, data))[0] == 400, (path, data)
    async with http.post(f"{base}/_sim/unlocks", data=b"{nope") as resp:
        assert resp.status == 400
    with pytest.raises(ValueError, match="unknown user"):
        api_sim.create_unlock("dev_1", "usr_404")
    with pytest.raises(ValueError, match="unknown access"):
        api_sim.create_unlock("dev_1", access_id="acc_404")


async def test_webhook_success_with_headers(
    api_sim: ParakeySimulator, receiver_url: tuple[Receiver, str]
) -> None:
    receiver, url = receiver_url
    api_sim.configure_webhook(url, {"Authorization": "Basic abc"})
    log = api_sim.create_unlock()
    await api_sim.wait_deliveries_idle()
    ((headers, body),) = receiver.calls
    assert body == log
    assert headers["Authorization"] == "Basic abc"
    assert headers["User-Agent"] == "Parakey-WebhookWorker/1.0"
    assert headers["Content-Type"] == "application/json"
    assert [
        (d["attempt"], d["status"], d["planned_delay"]) for d in api_sim.deliveries
    ] == [(0, 200, 0.0)]


async def test_webhook_retries_then_gives_up(
    api_sim: ParakeySimulator, receiver_url: tuple[Receiver, str]
) -> None:
    receiver, url = receiver_url
    receiver.statuses = [500] * 10
    api_sim.configure_webhook(url)
    api_sim.create_unlock()
    await api_sim.wait_deliveries_idle()
    assert [d["status"] for d in api_sim.deliveries] == [500] * 6
    assert [d["planned_delay"] for d in api_sim.deliveries] == [0.0, *RETRY_DELAYS]
    assert RETRY_DELAYS == (30.0, 60.0, 180.0, 420.0, 510.0)
    assert sum(RETRY_DELAYS) / 60 == pytest.approx(20, abs=1)


async def test_webhook_retry_succeeds(
    api_sim: ParakeySimulator, receiver_url: tuple[Receiver, str]
) -> None:
    receiver, url = receiver_url
    receiver.statuses = [503, 401]
    api_sim.configure_webhook(url)
    api_sim.create_unlock()
    await api_sim.wait_deliveries_idle()
    assert [d["status"] for d in api_sim.deliveries] == [503, 401, 200]


async def test_webhook_410_stops_delivery(
    api_sim: ParakeySimulator, receiver_url: tuple[Receiver, str]
) -> None:
    receiver, url = receiver_url
    receiver.statuses = [410]
    api_sim.configure_webhook(url)
    api_sim.create_unlock()
    await api_sim.wait_deliveries_idle()
    api_sim.create_unlock()
    await api_sim.wait_deliveries_idle()
    assert [d["status"] for d in api_sim.deliveries] == [410]
    assert not api_sim.webhook.enabled
    assert len(receiver.calls) == 1


async def test_webhook_unreachable_and_disabled(api_sim: ParakeySimulator) -> None:
    api_sim.configure_webhook("http://127.0.0.1:9/hook")
    api_sim.create_unlock()
    await api_sim.wait_deliveries_idle()
    assert [d["status"] for d in api_sim.deliveries] == [None] * 6
    api_sim.disable_webhook()
    api_sim.create_unlock()
    await api_sim.wait_deliveries_idle()
    assert len(api_sim.deliveries) == 6


async def test_close_cancels_pending_delivery(
    clock: FakeClock, receiver_url: tuple[Receiver, str]
) -> None:
    receiver, url = receiver_url
    receiver.statuses = [500]
    sim = ParakeySimulator(token=TOKEN, clock=clock, time_scale=1.0)
    sim.configure_webhook(url)
    sim.create_unlock()
    for _ in range(100):
        if sim.deliveries:
            break
        await asyncio.sleep(0.01)
    await sim.close()  # the 30 s retry wait is cancelled, not awaited
    assert [d["status"] for d in sim.deliveries] == [500]


async def test_demo_creates_unlocks(clock: FakeClock) -> None:
    sim = ParakeySimulator(token=TOKEN, clock=clock, time_scale=0)
    sim.start_demo(interval=0.001, jitter=0.0)
    sim.start_demo(interval=0.001, jitter=0.0)  # a restart replaces the loop
    for _ in range(200):
        if len(sim.logs) >= 3:
            break
        await asyncio.sleep(0.005)
    await sim.close()
    count = len(sim.logs)
    assert count >= 3
    assert {log["device"]["id"] for log in sim.logs} <= {"dev_1", "dev_2"}
    await asyncio.sleep(0.01)
    assert len(sim.logs) == count


def test_ids_differ_between_runs() -> None:
    # A restarted simulator must not reuse ids a running Home Assistant saw.
    first = ParakeySimulator(token=TOKEN).place.next_id()
    second = ParakeySimulator(token=TOKEN).place.next_id()
    assert first != second
    assert first.startswith("evl_")


async def test_bulk_doors_people_and_history(
    http: aiohttp.ClientSession,
    base: str,
    api_sim: ParakeySimulator,
    clock: FakeClock,
    receiver_url: tuple[Receiver, str],
) -> None:
    """A place of scale for benchmarks, built in three control calls."""
    receiver, url = receiver_url
    api_sim.configure_webhook(url)

    async def call(path: str, data: Any) -> tuple[int, Any]:
        async with http.post(f"{base}/_sim/{path}", json=data) as resp:
            text = await resp.text()
            return resp.status, (
                parse(text) if resp.content_type == "application/json" else text
            )

    status, doors = await call("doors", {"count": 3, "prefix": "hq-dev_"})
    assert (status, doors) == (
        201,
        {"created": 3, "first": "hq-dev_1", "last": "hq-dev_3", "doors": 5},
    )
    status, doors = await call(
        "doors", {"count": 3, "prefix": "hq-dev_", "name": "Dörr", "replace": True}
    )
    assert (status, doors["doors"]) == (201, 3)
    _, _, body = await get(http, f"{base}/devices")
    assert [(door["id"], door["name"]) for door in parse(body)] == [
        ("hq-dev_1", "Dörr 1"),
        ("hq-dev_2", "Dörr 2"),
        ("hq-dev_3", "Dörr 3"),
    ]
    status, users = await call("users", {"count": 1000})
    assert (status, users) == (
        201,
        {"created": 1000, "first": "usr_1", "last": "usr_1000", "users": 1000},
    )
    names = [name for name, _ in api_sim.place.users.values()]
    assert len(set(names)) == 1000
    assert api_sim.place.users["usr_1000"] == ("Signe Öberg", "usr_1000@example.com")

    status, history = await call(
        "history", {"count": 10_000, "days": 10, "end": "2026-03-14T07:00:00Z"}
    )
    assert (status, history["created"]) == (201, 10_000)
    assert (history["from"], history["to"]) == (
        "2026-03-04T07:01:26.400Z",
        "2026-03-14T07:00:00.000Z",
    )
    logs = api_sim.logs
    assert len(logs) == 10_000
    assert {log["device"]["id"] for log in logs} == {"hq-dev_1", "hq-dev_2", "hq-dev_3"}
    assert len({log["user"]["id"] for log in logs}) > 990
    assert logs[0]["timestamp"] == "2026-03-04T07:01:24.400Z"
    # History is stored, not pushed: the webhook delivers only what happens now.
    await api_sim.wait_deliveries_idle()
    assert receiver.calls == []

    # Later unlocks come first; a day's history by startDate, in pages.
    live = api_sim.create_unlock("hq-dev_1", "usr_1")
    _, _, body = await get(http, f"{base}/eventLogs?limit=1")
    assert [log["id"] for log in parse(body)] == [live["id"]]
    since = "2026-03-13T07%3A00%3A00Z"
    seen: list[str] = []
    for offset in range(0, 2000, 500):
        _, _, body = await get(
            http,
            f"{base}/eventLogs?startDate={since}&orderBy=createdAt:ASC"
            f"&limit=500&offset={offset}",
        )
        seen += [log["id"] for log in parse(body)]
    # 1,000 a day, one every 86.4 s: from the 9,000th on (it is on the edge).
    assert len(seen) == 1001 + 1
    assert seen[0] == logs[8999]["id"]
    assert seen[-2:] == [history["last"], live["id"]]

    # A part of the people, only in an early month (people who left).
    status, history = await call(
        "history",
        {
            "count": 10,
            "days": 30,
            "end": "2025-04-13T07:00:00Z",
            "users": ["usr_7"],
            "doors": ["hq-dev_2"],
        },
    )
    assert status == 201
    early = api_sim.logs[-10:]
    assert {(log["user"]["id"], log["device"]["id"]) for log in early} == {
        ("usr_7", "hq-dev_2")
    }
    clock.advance(60)
    assert api_sim.add_history(1, days=1)["to"] == "2026-03-14T08:01:00.000Z"

    bad = [
        ("doors", {"count": 0}),
        ("doors", {"count": 1001}),
        ("doors", {"count": True}),
        ("doors", {"count": 2, "prefix": ""}),
        ("doors", {"count": 2, "name": 3}),
        ("doors", {"count": 1, "replace": True}),  # hq-dev_2 and _3 have logs
        ("users", {"count": "x"}),
        ("history", {}),
        ("history", {"count": 5, "days": 0}),
        ("history", {"count": 5, "days": "x"}),
        ("history", {"count": 5, "doors": "hq-dev_1"}),
        ("history", {"count": 5, "users": [1]}),
        ("history", {"count": 5, "users": ["usr_nobody"]}),
        ("history", {"count": 5, "doors": ["dev_404"]}),
        ("history", {"count": 5, "doors": []}),
        ("history", {"count": 5, "end": "never"}),
    ]
    for path, data in bad:
        assert (await call(path, data))[0] == 400, (path, data)
    assert "hq-dev_3" in api_sim.place.doors


def test_query_pages_like_a_full_sort(clock: FakeClock) -> None:
    """The kept order follows every added log, in or out of createdAt order."""
    sim = ParakeySimulator(token=TOKEN, clock=clock, time_scale=0)
    place = sim.place
    sim.add_history(50, days=1)
    for step in range(60):
        created = clock.now - timedelta(minutes=(step * 37) % 1500)
        sim.create_unlock(created_at=created if step % 3 else None)
        start = clock.now - timedelta(minutes=(step * 53) % 1600)
        for descending in (True, False):
            for offset, limit in ((0, 1), (3, 7), (40, 500), (500, 5)):
                expected = sorted(
                    (log for log in place.logs if log.created_at >= start),
                    key=lambda log: (log.created_at, log.id),
                    reverse=descending,
                )[offset : offset + limit]
                assert (
                    place.query(
                        start=start, descending=descending, offset=offset, limit=limit
                    )
                    == expected
                )
        assert place.query(start=None, descending=True, offset=0, limit=1) == [
            max(place.logs, key=lambda log: (log.created_at, log.id))
        ]
