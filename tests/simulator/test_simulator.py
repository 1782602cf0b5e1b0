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
