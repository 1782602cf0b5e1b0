"""The simulator's keys, key holders and batches, on the wire and by control call."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import json
from typing import Any

import aiohttp
from multidict import CIMultiDict
import pytest

from simulator import ParakeySimulator, SimulatorServer
from simulator.demo import DEMO_ZONE, seed_demo_keys
from simulator.webhook import RETRY_DELAYS
from tests.conftest import TOKEN, FakeClock
from tests.simulator.conftest import Receiver

AUTH = {"access-token": TOKEN}
GUEST = {"aliasId": "ha-guest"}


@pytest.fixture
async def base(api_server: SimulatorServer) -> str:
    return api_server.base_url


async def call(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    data: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, CIMultiDict[str], Any]:
    """One request with the token; the body parsed when it is JSON."""
    async with http.request(
        method, url, json=data, headers={**AUTH, **(headers or {})}
    ) as resp:
        text = await resp.text()
        body = json.loads(text) if resp.content_type == "application/json" else text
        return resp.status, CIMultiDict(resp.headers), body


def grant(email: str, access: dict[str, str] | None = None, **dates: str) -> Any:
    return {"insert": [{"access": access or GUEST, "user": {"email": email}, **dates}]}


def revoke(email: str, access: dict[str, str] | None = None) -> Any:
    return {"delete": [{"access": access or GUEST, "user": {"email": email}}]}


# ----- accesses -----


async def test_accesses(
    http: aiohttp.ClientSession, base: str, api_sim: ParakeySimulator
) -> None:
    status, _, body = await call(http, "GET", f"{base}/accesses")
    assert (status, body) == (
        200,
        [
            {"id": "acc_1", "name": "Family", "apiEnabled": False},
            {"id": "acc_2", "name": "Guest", "aliasId": "ha-guest", "apiEnabled": True},
        ],
    )
    api_sim.key_api.configure(accesses_endpoint=False)
    assert (await call(http, "GET", f"{base}/accesses"))[0] == 404
    async with http.get(f"{base}/accesses") as resp:
        assert resp.status == 401  # no token


# ----- access keys -----


async def test_access_keys_etag_and_304(
    http: aiohttp.ClientSession, base: str, api_sim: ParakeySimulator
) -> None:
    url = f"{base}/access-keys?domainId=dom_1"
    status, headers, body = await call(http, "GET", url)
    assert status == 200
    assert [(k["access"]["id"], k["user"]["email"]) for k in body] == [
        ("acc_1", "alice@example.com"),
        ("acc_1", "bob@example.com"),
    ]
    assert body[0]["startDate"] is None
    assert body[0]["domainId"] == "dom_1"
    etag = headers["ETag"]
    status, _, body = await call(http, "GET", url, headers={"If-None-Match": etag})
    assert (status, body) == (304, "")

    # A change made in My Parakey changes the ETag...
    api_sim.keys.add_key("acc_2", "usr_2", datetime(2026, 3, 20, 9, tzinfo=UTC))
    status, headers, body = await call(
        http, "GET", url, headers={"If-None-Match": etag}
    )
    assert status == 200
    assert body[-1]["startDate"] == "2026-03-20T09:00:00.000Z"
    assert body[-1]["access"] == {"id": "acc_2", "name": "Guest", "aliasId": "ha-guest"}
    assert headers["ETag"] != etag
    # ...and so does a cloud deploy.
    etag = headers["ETag"]
    api_sim.bump_etag()
    assert (await call(http, "GET", url, headers={"If-None-Match": etag}))[0] == 200

    assert (await call(http, "GET", f"{base}/access-keys"))[0] == 400
    status, _, body = await call(http, "GET", f"{base}/access-keys?domainId=dom_9")
    assert (status, body["code"]) == (404, "DOMAIN_NOT_FOUND")


# ----- changing keys -----


async def test_grant_completes_after_the_delay(
    http: aiohttp.ClientSession, base: str, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    status, _, batch = await call(
        http,
        "POST",
        f"{base}/access-keys",
        grant(
            "Alice@Example.com",
            startDate="2026-03-20T09:00:00Z",
            expirationDate="2026-03-20T12:00:00Z",
        ),
    )
    assert status == 202
    assert batch["status"] == "pending"
    assert batch["completedAt"] is None
    assert batch["createdAt"] == "2026-03-14T08:00:00.000Z"
    (item,) = batch["items"]
    assert item == {
        "operation": "insert",
        "status": "pending",
        "access": {"id": "acc_2", "name": "Guest", "aliasId": "ha-guest"},
        "user": {"email": "Alice@Example.com"},
        "startDate": "2026-03-20T09:00:00.000Z",
        "expirationDate": "2026-03-20T12:00:00.000Z",
    }
    url = f"{base}/batches/{batch['id']}"
    clock.advance(1.9)
    assert (await call(http, "GET", url))[2]["status"] == "pending"
    assert ("usr_1", "acc_2") not in [
        (k.user_id, k.access_id) for k in api_sim.keys.keys.values()
    ]
    clock.advance(0.1)
    _, _, done = await call(http, "GET", url)
    assert done["status"] == "completed"
    assert done["completedAt"] == "2026-03-14T08:00:02.000Z"
    assert done["items"][0]["status"] == "succeeded"
    # The e-mail matched in any case; the key is Alice's, for that window.
    assert ("usr_1", "acc_2") in api_sim.keys.holders(
        datetime(2026, 3, 20, 10, tzinfo=UTC)
    )
    assert ("usr_1", "acc_2") not in api_sim.keys.holders(clock.now)
    assert api_sim.stats["by_path"][f"/batches/{batch['id']}"] == 2


async def test_item_rules(
    http: aiohttp.ClientSession, base: str, api_sim: ParakeySimulator
) -> None:
    api_sim.key_api.configure(batch_delay=0)
    body = {
        "insert": [
            {"access": {"id": "acc_2"}, "user": {"email": "bob@example.com"}},
            {"access": GUEST, "user": {"email": "stranger@example.com"}},
            {
                "access": GUEST,
                "user": {"email": "bob@example.com"},
                "expirationDate": "2026-03-15T00:00:00Z",
            },
        ],
        "delete": [
            {"access": GUEST, "user": {"email": "alice@example.com"}},
            {"access": GUEST, "user": {"email": "nobody@example.com"}},
        ],
    }
    _, _, batch = await call(http, "POST", f"{base}/access-keys", body)
    _, _, batch = await call(http, "GET", f"{base}/batches/{batch['id']}")
    assert batch["status"] == "completed"  # even with failed items
    assert [(i["operation"], i["status"], i.get("error")) for i in batch["items"]] == [
        ("insert", "succeeded", None),
        (
            "insert",
            "failed",
            {"code": "USER_NOT_FOUND", "message": "No user with that e-mail"},
        ),
        ("insert", "succeeded", None),  # the same key again: a new window
        ("delete", "failed", {"code": "NOT_FOUND", "message": "No such key"}),
        ("delete", "failed", {"code": "NOT_FOUND", "message": "No such key"}),
    ]
    (bob,) = [k for k in api_sim.keys.keys.values() if k.access_id == "acc_2"]
    assert (bob.user_id, bob.start, bob.end) == (
        "usr_2",
        None,
        datetime(2026, 3, 15, tzinfo=UTC),
    )

    _, _, batch = await call(
        http, "POST", f"{base}/access-keys", revoke("BOB@example.com")
    )
    api_sim.settle_batches()
    assert api_sim.batches.batches[batch["id"]].changes[0].status == "succeeded"
    assert all(k.access_id != "acc_2" for k in api_sim.keys.keys.values())
    # A revoke's item carries no window.
    assert "startDate" not in batch["items"][0]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ([1], 400, "INVALID_BODY"),
        ({}, 400, "INVALID_BODY"),
        ({"insert": []}, 400, "INVALID_BODY"),
        ({"delete": {"access": GUEST}}, 400, "INVALID_BODY"),
        ({"insert": ["acc_2"]}, 400, "INVALID_BODY"),
        (
            {"insert": [{"access": GUEST, "user": {"email": "nope"}}]},
            400,
            "INVALID_BODY",
        ),
        (grant("a@example.com", startDate="tomorrow"), 400, "INVALID_DATE"),
        (grant("a@example.com", expirationDate=5), 400, "INVALID_DATE"),  # type: ignore[arg-type]
        (grant("a@example.com", {"id": "acc_9"}), 404, "ACCESS_NOT_FOUND"),
        (grant("a@example.com", {"aliasId": "nope"}), 404, "ACCESS_NOT_FOUND"),
        (grant("a@example.com", {"name": "Guest"}), 404, "ACCESS_NOT_FOUND"),
        (grant("a@example.com", {"id": "acc_1"}), 403, "ACCESS_NOT_ALLOWED"),
        (revoke("alice@example.com", {"id": "acc_1"}), 403, "ACCESS_NOT_ALLOWED"),
        (
            grant(
                "a@example.com",
                startDate="2026-03-20T12:00:00Z",
                expirationDate="2026-03-20T09:00:00Z",
            ),
            422,
            "INVALID_DATE_RANGE",
        ),
    ],
)
async def test_request_refusals(
    http: aiohttp.ClientSession,
    base: str,
    api_sim: ParakeySimulator,
    body: Any,
    status: int,
    code: str,
) -> None:
    got, _, answer = await call(http, "POST", f"{base}/access-keys", body)
    assert (got, answer["code"]) == (status, code)
    assert answer["message"]
    assert api_sim.batches.batches == {}


async def test_refusals_are_whole_requests(
    http: aiohttp.ClientSession, base: str, api_sim: ParakeySimulator
) -> None:
    # One item on a key not enabled for the API refuses the good item too.
    body = {
        "insert": [grant("a@example.com")["insert"][0]],
        "delete": revoke("alice@example.com", {"id": "acc_1"})["delete"],
    }
    assert (await call(http, "POST", f"{base}/access-keys", body))[0] == 403
    async with http.post(f"{base}/access-keys", data=b"{nope", headers=AUTH) as resp:
        assert resp.status == 400
    # A revoke ignores dates, even unusable ones.
    body = revoke("alice@example.com")
    body["delete"][0]["startDate"] = "whenever"
    assert (await call(http, "POST", f"{base}/access-keys", body))[0] == 202


async def test_answer_shapes(
    http: aiohttp.ClientSession, base: str, api_sim: ParakeySimulator
) -> None:
    api_sim.key_api.configure(answer="id")
    status, _, body = await call(
        http, "POST", f"{base}/access-keys", grant("bob@example.com")
    )
    assert status == 202
    assert list(body) == ["id"]
    assert api_sim.batches.batches[body["id"]].status == "pending"

    api_sim.key_api.configure(answer="keys")
    status, _, body = await call(
        http, "POST", f"{base}/access-keys", grant("alice@example.com")
    )
    assert status == 200
    assert [(k["access"]["id"], k["user"]["email"]) for k in body] == [
        ("acc_2", "alice@example.com")
    ]
    status, _, body = await call(
        http, "POST", f"{base}/access-keys", revoke("alice@example.com")
    )
    assert [k["user"]["email"] for k in body] == ["alice@example.com"]
    _, _, body = await call(http, "POST", f"{base}/access-keys", grant("x@example.com"))
    assert body == []  # failed items are left out
    # Done at once: the completion timer finds nothing left to do.
    await asyncio.sleep(0)
    assert [b.status for b in api_sim.batches.batches.values()] == [
        "pending",
        "completed",
        "completed",
        "completed",
    ]


async def test_batch_faults(
    http: aiohttp.ClientSession, base: str, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    assert api_sim.batches.inject_fault("fail") == 1
    assert api_sim.batches.inject_fault("never_complete") == 2
    _, _, failing = await call(
        http, "POST", f"{base}/access-keys", grant("alice@example.com")
    )
    _, _, stuck = await call(
        http, "POST", f"{base}/access-keys", grant("bob@example.com")
    )
    _, _, fine = await call(
        http, "POST", f"{base}/access-keys", grant("bob@example.com")
    )
    clock.advance(3600)
    _, _, failing = await call(http, "GET", f"{base}/batches/{failing['id']}")
    assert failing["status"] == "failed"
    assert failing["items"][0]["error"]["code"] == "INTERNAL_ERROR"
    assert (await call(http, "GET", f"{base}/batches/{stuck['id']}"))[2][
        "status"
    ] == "pending"
    assert (await call(http, "GET", f"{base}/batches/{fine['id']}"))[2][
        "status"
    ] == "completed"
    # Only the batch without a fault changed anything.
    assert ("usr_2", "acc_2") in api_sim.keys.holders(clock.now)
    assert ("usr_1", "acc_2") not in api_sim.keys.holders(clock.now)
    assert (await call(http, "GET", f"{base}/batches/bat_nope"))[0] == 404
    with pytest.raises(ValueError, match="unknown batch fault"):
        api_sim.batches.inject_fault("explode")
    with pytest.raises(ValueError, match="at least 1"):
        api_sim.batches.inject_fault("fail", 0)


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("server_error", 500),
        ("rate_limit", 429),
        ("not_found", 404),
        ("wrong_shape", 200),
    ],
)
async def test_faults_and_stats_cover_key_endpoints(
    http: aiohttp.ClientSession,
    base: str,
    api_sim: ParakeySimulator,
    kind: str,
    status: int,
) -> None:
    paths = ["/accesses", "/access-keys?domainId=dom_1", "/batches/bat_x"]
    for path in paths:
        api_sim.inject_fault(kind)
        assert (await call(http, "GET", f"{base}{path}"))[0] == status
    api_sim.inject_fault(kind)
    assert (await call(http, "POST", f"{base}/access-keys", grant("a@example.com")))[
        0
    ] == status
    assert api_sim.batches.batches == {}  # a faulted request changes nothing
    stats = api_sim.stats
    assert stats["requests"] == 4
    assert stats["by_path"] == {"/accesses": 1, "/access-keys": 2, "/batches/bat_x": 1}
    assert stats["status"] == {str(status): 4}


# ----- timers and the "Batch completed" webhook -----


async def test_batches_complete_on_their_own_and_are_announced(
    receiver_url: tuple[Receiver, str],
) -> None:
    receiver, url = receiver_url
    sim = ParakeySimulator(token=TOKEN, time_scale=1.0)  # the real clock
    sim.key_api.configure(batch_delay=0.01)
    sim.configure_webhook(
        url, {"Authorization": "Basic abc"}, webhook_type="batch_completed"
    )
    batch = sim.batches.submit(grant("alice@example.com"))
    for _ in range(200):
        if receiver.calls:
            break
        await asyncio.sleep(0.01)
    await sim.wait_deliveries_idle()
    await sim.close()
    ((headers, body),) = receiver.calls
    assert body == sim.batches.render(batch)
    assert body["status"] == "completed"
    assert headers["Authorization"] == "Basic abc"
    assert headers["User-Agent"] == "Parakey-WebhookWorker/1.0"
    assert [(d["log_id"], d["status"]) for d in sim.batch_deliveries] == [
        (batch.id, 200)
    ]
    assert sim.deliveries == []  # the unlock webhook saw nothing


async def test_a_fake_clock_keeps_the_timer_waiting(clock: FakeClock) -> None:
    sim = ParakeySimulator(token=TOKEN, clock=clock, time_scale=0.001)
    sim.key_api.configure(batch_delay=5)  # 5 ms of real time per check
    batch = sim.batches.submit(grant("alice@example.com"))
    await asyncio.sleep(0.03)
    assert batch.status == "pending"  # checked, not due, checked again
    clock.advance(5)
    for _ in range(100):
        if batch.status != "pending":
            break
        await asyncio.sleep(0.005)
    assert batch.status == "completed"
    never = sim.batches.inject_fault("never_complete")
    assert never == 1
    sim.batches.submit(grant("bob@example.com"))
    slow = sim.batches.submit(grant("bob@example.com"))
    await sim.close()  # cancels the pending timer
    clock.advance(10)
    await asyncio.sleep(0.02)
    assert slow.status == "pending"


async def test_batch_webhook_retries_like_unlocks(
    api_sim: ParakeySimulator, receiver_url: tuple[Receiver, str]
) -> None:
    receiver, url = receiver_url
    receiver.statuses = [500, 503]
    api_sim.configure_webhook(url, webhook_type="batch_completed")
    api_sim.configure_webhook(url)  # unlocks to the same URL
    api_sim.key_api.configure(batch_delay=0)
    api_sim.batches.submit(grant("alice@example.com"))
    api_sim.settle_batches()
    await api_sim.wait_deliveries_idle()
    api_sim.create_unlock()
    await api_sim.wait_deliveries_idle()
    assert [
        (d["attempt"], d["status"], d["planned_delay"])
        for d in api_sim.batch_deliveries
    ] == [
        (0, 500, 0.0),
        (1, 503, RETRY_DELAYS[0]),
        (2, 200, RETRY_DELAYS[1]),
    ]
    assert [d["status"] for d in api_sim.deliveries] == [200]
    kinds = sorted("items" in body for _, body in receiver.calls)
    assert kinds == [False, True, True, True]


async def test_only_on_item_failures(
    api_sim: ParakeySimulator, receiver_url: tuple[Receiver, str]
) -> None:
    receiver, url = receiver_url
    api_sim.configure_webhook(
        url, webhook_type="batch_completed", only_on_item_failures=True
    )
    api_sim.key_api.configure(batch_delay=0)
    api_sim.batches.submit(grant("alice@example.com"))
    failing = api_sim.batches.submit(grant("stranger@example.com"))
    api_sim.settle_batches()
    await api_sim.wait_deliveries_idle()
    assert [body["id"] for _, body in receiver.calls] == [failing.id]
    api_sim.disable_webhook("batch_completed")
    api_sim.batches.submit(grant("stranger@example.com"))
    api_sim.settle_batches()
    await api_sim.wait_deliveries_idle()
    assert len(receiver.calls) == 1
    with pytest.raises(ValueError, match="unknown webhook type"):
        api_sim.configure_webhook(url, webhook_type="door_opened")
    with pytest.raises(ValueError, match="unknown webhook type"):
        api_sim.disable_webhook("door_opened")


# ----- control API -----


async def test_control_api(
    http: aiohttp.ClientSession, base: str, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    async def control(method: str, path: str, data: Any = None) -> tuple[int, Any]:
        status, _, body = await call(http, method, f"{base}/_sim/{path}", data)
        return status, body

    status, access = await control(
        "POST",
        "accesses",
        {"id": "acc_3", "name": "Staff", "api_enabled": True, "alias_id": "ha-staff"},
    )
    assert (status, access) == (
        201,
        {"id": "acc_3", "name": "Staff", "aliasId": "ha-staff", "apiEnabled": True},
    )
    status, key = await control(
        "POST",
        "access-keys",
        {"access_id": "acc_3", "user_id": "usr_1", "start": "2026-03-20T09:00:00Z"},
    )
    assert status == 201
    assert (key["access"]["aliasId"], key["startDate"], key["expirationDate"]) == (
        "ha-staff",
        "2026-03-20T09:00:00.000Z",
        None,
    )
    assert (await control("DELETE", f"access-keys/{key['id']}"))[1]["id"] == key["id"]
    assert (await control("DELETE", f"access-keys/{key['id']}"))[0] == 404

    assert (await control("PUT", "keys", {"batch_delay": 60, "answer": "id"}))[1] == {
        "batch_delay": 60,
        "answer": "id",
        "accesses_endpoint": True,
    }
    assert (await control("PUT", "keys", {"accesses_endpoint": False}))[1][
        "accesses_endpoint"
    ] is False
    assert (await control("POST", "batches/faults", {"kind": "fail", "count": 2}))[
        1
    ] == {"armed": 2}
    _, _, made = await call(
        http, "POST", f"{base}/access-keys", grant("bob@example.com")
    )
    assert (await control("POST", "batches/settle"))[1] == {"completed": []}
    clock.advance(60)
    assert (await control("POST", "batches/settle"))[1] == {"completed": [made["id"]]}
    status, batches = await control("GET", "batches")
    assert [(b["id"], b["status"]) for b in batches] == [(made["id"], "failed")]

    status, hook = await control(
        "PUT",
        "webhook",
        {
            "url": "http://127.0.0.1:9/hook",
            "type": "batch_completed",
            "only_on_item_failures": True,
        },
    )
    assert (status, hook) == (
        200,
        {
            "type": "batch_completed",
            "url": "http://127.0.0.1:9/hook",
            "enabled": True,
            "only_on_item_failures": True,
        },
    )
    assert api_sim.batch_webhook.enabled
    assert (await control("DELETE", "webhook?type=batch_completed"))[1] == {
        "enabled": False
    }
    assert not api_sim.batch_webhook.enabled
    api_sim.configure_webhook("http://127.0.0.1:9/a")
    api_sim.configure_webhook("http://127.0.0.1:9/b", webhook_type="batch_completed")
    assert (await control("DELETE", "webhook"))[0] == 200  # both
    assert not api_sim.webhook.enabled
    assert not api_sim.batch_webhook.enabled
    assert (await control("GET", "webhook/deliveries?type=batch_completed"))[1] == []

    bad = [
        ("POST", "accesses", {"id": "acc_4"}),
        ("POST", "accesses", {"id": "acc_4", "name": "X", "alias_id": 4}),
        ("POST", "accesses", {"id": "acc_4", "name": "X", "api_enabled": "yes"}),
        ("POST", "access-keys", {"access_id": "acc_9", "user_id": "usr_1"}),
        ("POST", "access-keys", {"access_id": "acc_1", "user_id": "usr_9"}),
        ("POST", "access-keys", {"access_id": "acc_1", "user_id": "usr_1", "end": "x"}),
        ("PUT", "keys", {"batch_delay": True}),
        ("PUT", "keys", {"batch_delay": -1}),
        ("PUT", "keys", {"answer": "teapot"}),
        ("PUT", "keys", {"answer": 3}),
        ("PUT", "keys", {"accesses_endpoint": "no"}),
        ("POST", "batches/faults", {"kind": "explode"}),
        ("POST", "batches/faults", {"kind": "fail", "count": "x"}),
        ("PUT", "webhook", {"url": "http://x", "type": "door_opened"}),
        ("DELETE", "webhook?type=door_opened", None),
    ]
    for method, path, data in bad:
        assert (await control(method, path, data))[0] == 400, (path, data)


# ----- demo -----


async def test_demo_keys(clock: FakeClock) -> None:
    clock.now = datetime(2026, 3, 17, 10, tzinfo=UTC)  # a Tuesday
    sim = ParakeySimulator(token=TOKEN, clock=clock, time_scale=0)
    seed_demo_keys(sim)
    cleaner = next(k for k in sim.keys.keys.values() if k.user_id == "usr_3")
    assert cleaner.access_id == "acc_2"
    assert cleaner.start == datetime(2026, 3, 24, 9, tzinfo=DEMO_ZONE)  # next week
    assert cleaner.end is not None
    assert cleaner.end - cleaner.start == timedelta(hours=3)
    assert sim.place.users["usr_4"] == ("Gustav Guest", "guest@example.com")
    assert not any(k.user_id == "usr_4" for k in sim.keys.keys.values())
    # Only key holders come in, with their key: the cleaner on Tuesday morning.
    assert ("usr_3", "acc_2") in sim.keys.holders(cleaner.start)
    assert ("usr_3", "acc_2") not in sim.keys.holders(cleaner.end)
    clock.now = cleaner.start.astimezone(UTC)
    for key_id in [k.id for k in sim.keys.keys.values() if k.user_id != "usr_3"]:
        sim.keys.remove_key(key_id)
    sim.start_demo(interval=0.001, jitter=0.0)
    for _ in range(200):
        if len(sim.logs) >= 2:
            break
        await asyncio.sleep(0.005)
    await sim.close()
    assert {(log["user"]["id"], log["access"]["id"]) for log in sim.logs} == {
        ("usr_3", "acc_2")
    }


async def test_demo_without_key_holders_falls_back_to_everyone(
    clock: FakeClock,
) -> None:
    sim = ParakeySimulator(token=TOKEN, clock=clock, time_scale=0)
    sim.keys.keys.clear()
    sim.start_demo(interval=0.001, jitter=0.0)
    for _ in range(200):
        if sim.logs:
            break
        await asyncio.sleep(0.005)
    await sim.close()
    assert sim.logs
    assert {log["access"]["id"] for log in sim.logs} == {"acc_1"}
