"""KeysApi against the simulator over real loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.parakey.api import (
    Access,
    AccessRef,
    Batch,
    EventLog,
    KeysApi,
    ParakeyAuthError,
    ParakeyBatchTimeoutError,
    ParakeyClient,
    ParakeyError,
    ParakeyInvalidResponseError,
    ParakeyKeyNotAllowedError,
    ParakeyNotFoundError,
    ParakeyValidationError,
    classify_webhook_payload,
    parse_webhook_payload,
)
from custom_components.parakey.api.key_requests import MISSING_FROM_ANSWER
from simulator import ParakeySimulator, SimulatorServer
from tests.conftest import TOKEN, FakeClock

GUEST = AccessRef(alias_id="ha-guest")


@pytest.fixture
def client(http: aiohttp.ClientSession, api_server: SimulatorServer) -> ParakeyClient:
    return ParakeyClient(http, TOKEN, base_url=api_server.base_url)


@pytest.fixture
def keys(client: ParakeyClient) -> KeysApi:
    return client.keys


class FakeSleep:
    """Records each wait and moves the simulator's clock by it instead of sleeping."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds)


@pytest.fixture
def sleep(clock: FakeClock) -> FakeSleep:
    return FakeSleep(clock)


# ----- listing -----


async def test_list_accesses(keys: KeysApi, api_sim: ParakeySimulator) -> None:
    assert await keys.list_accesses() == [
        Access("acc_1", "Family", api_enabled=False),
        Access("acc_2", "Guest", "ha-guest", api_enabled=True),
    ]
    api_sim.key_api.configure(accesses_endpoint=False)
    assert await keys.list_accesses() is None


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("wrong_shape", ParakeyInvalidResponseError),
        ("forbidden", ParakeyKeyNotAllowedError),
        ("unauthorized", ParakeyAuthError),
    ],
)
async def test_list_accesses_faults(
    keys: KeysApi, api_sim: ParakeySimulator, kind: str, error: type[Exception]
) -> None:
    api_sim.inject_fault(kind)
    with pytest.raises(error):
        await keys.list_accesses()


async def test_list_access_keys_and_etag(
    keys: KeysApi, api_sim: ParakeySimulator, client: ParakeyClient
) -> None:
    page = await keys.list_access_keys("dom_1")
    assert not page.not_modified
    assert page.etag
    assert page.item_count == 2
    assert [(k.access_name, k.user_email, k.start, k.end) for k in page.keys] == [
        ("Family", "alice@example.com", None, None),
        ("Family", "bob@example.com", None, None),
    ]
    again = await keys.list_access_keys("dom_1", etag=page.etag)
    assert (again.not_modified, again.etag, again.keys) == (True, page.etag, ())
    assert api_sim.stats["not_modified"] == 1

    api_sim.keys.add_key("acc_2", "usr_1")
    changed = await keys.list_access_keys("dom_1", etag=page.etag)
    assert not changed.not_modified
    assert changed.etag != page.etag
    assert changed.item_count == 3
    assert client.request_count == 3


async def test_list_access_keys_errors(
    keys: KeysApi, api_sim: ParakeySimulator
) -> None:
    with pytest.raises(ParakeyNotFoundError, match="access-keys"):
        await keys.list_access_keys("dom_other")
    api_sim.inject_fault("wrong_shape")
    with pytest.raises(ParakeyInvalidResponseError, match="not a list"):
        await keys.list_access_keys("dom_1")


# ----- grant and revoke -----


async def test_grant_wait_and_revoke(
    keys: KeysApi, api_sim: ParakeySimulator, clock: FakeClock, sleep: FakeSleep
) -> None:
    start = clock.now + timedelta(days=1)
    end = start + timedelta(hours=3)
    pending = await keys.grant_key(GUEST, "alice@example.com", start, end)
    assert pending.id
    assert pending.status == "pending"
    assert not pending.done

    done = await keys.wait_for_batch(pending, sleep=sleep)
    assert (done.id, done.status, done.done, done.failed) == (
        pending.id,
        "completed",
        True,
        False,
    )
    (item,) = done.items
    assert (item.succeeded, item.email, item.access_id, item.access_alias_id) == (
        True,
        "alice@example.com",
        "acc_2",
        "ha-guest",
    )
    # The simulator completes a batch 2 s (its clock) after it was made.
    assert sum(sleep.waits) >= 2
    assert sleep.waits[0] == 0.5

    page = await keys.list_access_keys("dom_1")
    (guest,) = [key for key in page.keys if key.access_id == "acc_2"]
    assert (guest.user_id, guest.start, guest.end) == ("usr_1", start, end)

    revoked = await keys.wait_for_batch(
        await keys.revoke_key(Access("acc_2"), "ALICE@example.com"), sleep=sleep
    )
    assert revoked.done
    assert not revoked.failed
    page = await keys.list_access_keys("dom_1")
    assert all(key.access_id != "acc_2" for key in page.keys)


async def test_item_failures_are_outcomes(
    keys: KeysApi, api_sim: ParakeySimulator, sleep: FakeSleep
) -> None:
    unknown = await keys.wait_for_batch(
        await keys.grant_key("acc_2", "stranger@example.com"), sleep=sleep
    )
    assert unknown.done
    assert unknown.failed
    assert [(i.error_code, i.email) for i in unknown.failed_items] == [
        ("USER_NOT_FOUND", "stranger@example.com")
    ]
    missing = await keys.wait_for_batch(
        await keys.revoke_key(GUEST, "bob@example.com"), sleep=sleep
    )
    assert [i.error_code for i in missing.failed_items] == ["NOT_FOUND"]


async def test_key_not_enabled_for_api_is_not_an_auth_error(
    keys: KeysApi, api_sim: ParakeySimulator
) -> None:
    with pytest.raises(ParakeyKeyNotAllowedError) as caught:
        await keys.grant_key("acc_1", "bob@example.com")
    assert not isinstance(caught.value, ParakeyAuthError)
    assert isinstance(caught.value, ParakeyError)
    assert caught.value.path == "/access-keys"
    assert "not enabled for the API" in str(caught.value)
    # The simulator's generic 403 on a key endpoint means the same.
    api_sim.inject_fault("forbidden")
    with pytest.raises(ParakeyKeyNotAllowedError):
        await keys.get_batch("bat_x")
    assert api_sim.stats["status"]["403"] == 2


async def test_wrong_token_on_key_endpoints_is_an_auth_error(
    http: aiohttp.ClientSession, api_server: SimulatorServer
) -> None:
    keys = ParakeyClient(http, "revoked", base_url=api_server.base_url).keys
    with pytest.raises(ParakeyAuthError) as caught:
        await keys.grant_key(GUEST, "alice@example.com")
    assert caught.value.status == 401


async def test_unknown_access_and_bad_window(keys: KeysApi, clock: FakeClock) -> None:
    with pytest.raises(ParakeyNotFoundError):
        await keys.grant_key(AccessRef(alias_id="no-such-key"), "alice@example.com")
    with pytest.raises(ParakeyValidationError) as caught:
        await keys.grant_key(GUEST, "alice@example.com", clock.now, clock.now)
    assert (caught.value.status, caught.value.code, caught.value.reason) == (
        422,
        "INVALID_DATE_RANGE",
        "expirationDate must be after startDate",
    )


@pytest.mark.parametrize("answer", ["batch", "id", "keys"])
async def test_each_answer_shape(
    keys: KeysApi, api_sim: ParakeySimulator, sleep: FakeSleep, answer: str
) -> None:
    api_sim.key_api.configure(answer=answer)
    first = await keys.grant_key(GUEST, "bob@example.com")
    assert first.done is (answer == "keys")
    done = await keys.wait_for_batch(first, sleep=sleep)
    assert done.done
    assert not done.failed
    assert (done.id is None) is (answer == "keys")
    if answer == "keys":
        assert sleep.waits == []  # done at once: nothing to wait for
    assert ("usr_2", "acc_2") in api_sim.keys.holders(api_sim.clock())

    failed = await keys.wait_for_batch(
        await keys.grant_key(GUEST, "stranger@example.com"), sleep=sleep
    )
    assert failed.failed
    expected = MISSING_FROM_ANSWER if answer == "keys" else "USER_NOT_FOUND"
    assert [i.error_code for i in failed.items] == [expected]


# ----- waiting for batches -----


async def test_failing_batch(
    keys: KeysApi, api_sim: ParakeySimulator, sleep: FakeSleep
) -> None:
    api_sim.batches.inject_fault("fail")
    batch = await keys.wait_for_batch(
        await keys.grant_key(GUEST, "alice@example.com"), sleep=sleep
    )
    assert (batch.status, batch.done, batch.failed) == ("failed", True, True)
    assert [i.error_code for i in batch.items] == ["INTERNAL_ERROR"]
    assert ("usr_1", "acc_2") not in api_sim.keys.holders(api_sim.clock())


async def test_batch_that_never_completes_is_bounded(
    keys: KeysApi, api_sim: ParakeySimulator, client: ParakeyClient, sleep: FakeSleep
) -> None:
    api_sim.batches.inject_fault("never_complete")
    batch = await keys.grant_key(GUEST, "alice@example.com")
    before = client.request_count
    with pytest.raises(ParakeyBatchTimeoutError) as caught:
        await keys.wait_for_batch(batch, max_wait=10, sleep=sleep)
    assert caught.value.batch.id == batch.id
    assert caught.value.batch.status == "pending"
    # 0.5 + 1 + 2 + 4 + 2.5 (what is left): the waits add up to the deadline.
    assert sleep.waits == [0.5, 1, 2, 4, 2.5]
    assert client.request_count - before == len(sleep.waits)


async def test_wait_by_id_rides_out_a_passing_outage(
    keys: KeysApi, api_sim: ParakeySimulator, sleep: FakeSleep
) -> None:
    batch = await keys.grant_key(GUEST, "alice@example.com")
    assert batch.id is not None
    api_sim.inject_fault("server_error")
    api_sim.inject_fault("rate_limit")
    done = await keys.wait_for_batch(batch.id, interval=2, sleep=sleep)
    assert done.done
    assert api_sim.stats["status"]["500"] == 1


async def test_wait_ends_at_once_on_a_lost_batch(keys: KeysApi) -> None:
    with pytest.raises(ParakeyNotFoundError):
        await keys.wait_for_batch("bat_gone", sleep=_no_sleep)
    # Pending with nothing to follow: said so at once, no request made.
    with pytest.raises(ParakeyBatchTimeoutError):
        await keys.wait_for_batch(Batch(status="pending"), sleep=_no_sleep)


async def _no_sleep(seconds: float) -> None:
    return None


async def test_done_batch_needs_no_request(
    keys: KeysApi, client: ParakeyClient
) -> None:
    batch = Batch(id="bat_1", status="completed")
    assert await keys.wait_for_batch(batch, sleep=_no_sleep) is batch
    assert client.request_count == 0


async def test_get_batch(keys: KeysApi, api_sim: ParakeySimulator) -> None:
    made = await keys.grant_key(GUEST, "alice@example.com")
    assert made.id is not None
    assert (await keys.get_batch(made.id)).id == made.id
    with pytest.raises(ParakeyNotFoundError, match="bat_missing"):
        await keys.get_batch("bat_missing")
    api_sim.inject_fault("wrong_shape")
    with pytest.raises(ParakeyInvalidResponseError, match="not a batch"):
        await keys.get_batch(made.id)


# ----- answers the simulator does not give -----


type Handler = Callable[[web.Request], web.Response]


@pytest.fixture
async def scripted(
    http: aiohttp.ClientSession,
) -> AsyncGenerator[tuple[dict[str, Handler], KeysApi]]:
    """A server answering each path with a handler the test sets."""
    handlers: dict[str, Handler] = {}

    async def dispatch(request: web.Request) -> web.Response:
        return handlers[request.path](request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", dispatch)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield handlers, ParakeyClient(http, TOKEN, base_url=f"http://127.0.0.1:{port}").keys
    await runner.cleanup()


def _json(payload: Any, status: int = 200) -> Handler:
    return lambda _: web.json_response(payload, status=status)


def _raw(body: bytes, status: int = 200) -> Handler:
    return lambda _: web.Response(body=body, status=status)


async def test_post_answers_without_a_body(
    scripted: tuple[dict[str, Handler], KeysApi],
) -> None:
    handlers, keys = scripted
    handlers["/access-keys"] = _raw(b"", 204)
    assert (await keys.revoke_key(GUEST, "a@example.com")).done
    handlers["/access-keys"] = _raw(b"  ", 201)
    assert (await keys.grant_key(GUEST, "a@example.com")).done


@pytest.mark.parametrize(
    ("handler", "error", "match"),
    [
        (_json("queued", 202), ParakeyInvalidResponseError, "neither a batch nor keys"),
        (_raw(b"<html>", 200), ParakeyInvalidResponseError, "not JSON"),
        (_json({"message": "taken"}, 409), ParakeyInvalidResponseError, "HTTP 409"),
        (
            _json({"error": {"message": "Bad e-mail"}}, 400),
            ParakeyValidationError,
            "Bad e-mail",
        ),
    ],
)
async def test_unusable_post_answers(
    scripted: tuple[dict[str, Handler], KeysApi],
    handler: Handler,
    error: type[Exception],
    match: str,
) -> None:
    handlers, keys = scripted
    handlers["/access-keys"] = handler
    with pytest.raises(error, match=match):
        await keys.grant_key(GUEST, "a@example.com")


async def test_scripted_gets(scripted: tuple[dict[str, Handler], KeysApi]) -> None:
    handlers, keys = scripted
    handlers["/accesses"] = _raw(b"", 405)
    assert await keys.list_accesses() is None
    # A batch answer that leaves out its id is still the batch asked for.
    handlers["/batches/bat_9"] = _json({"status": "Completed", "results": []})
    batch = await keys.get_batch("bat_9")
    assert (batch.id, batch.done) == ("bat_9", True)
    # A GET answering 201 is not what the API promises.
    handlers["/access-keys"] = _json([], 201)
    with pytest.raises(ParakeyInvalidResponseError, match="HTTP 201"):
        await keys.list_access_keys("dom_1")


# ----- webhook bodies -----

UNLOCK = {
    "id": "evl_1",
    "createdAt": "2026-03-14T08:02:11.512Z",
    "timestamp": "2026-03-14T08:02:09.000Z",
    "device": {"id": "dev_1", "name": "Front door"},
    "user": {"id": "usr_1"},
    "status": "success",
}


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (UNLOCK, "event_log"),
        ({"id": "evl_2", "createdAt": "2026-03-14T08:02:11Z"}, "event_log"),
        (
            {
                "id": "evl_3",
                "createdAt": "2026-03-14T08:02:11Z",
                "deviceId": "dev_1",
                "status": "ok",
            },
            "event_log",
        ),
        (
            {
                "id": "evl_4",
                "createdAt": "2026-03-14T08:02:11Z",
                "timestamp": "2026-03-14T08:02:10Z",
                "status": "ok",
            },
            "event_log",
        ),
        # Each batch below has the id and createdAt an event log needs.
        ({"id": "bat_1", "createdAt": "2026-03-14T08:02:11Z", "items": []}, "batch"),
        (
            {"id": "bat_1", "createdAt": "2026-03-14T08:02:11Z", "results": [{}]},
            "batch",
        ),
        (
            {"id": "bat_1", "createdAt": "2026-03-14T08:02:11Z", "status": "COMPLETED"},
            "batch",
        ),
        (
            {"id": "bat_1", "createdAt": "2026-03-14T08:02:11Z", "batchId": "bat_1"},
            "batch",
        ),
        (
            {"id": "bat_1", "createdAt": "2026-03-14T08:02:11Z", "type": " Batch "},
            "batch",
        ),
        ({"id": "x", "createdAt": "2026-03-14T08:02:11Z", "object": "batch"}, "batch"),
        # A batch wins even when it names a lock.
        ({**UNLOCK, "items": []}, "batch"),
        ({"status": "completed"}, "batch"),
        ({"id": "evl_5"}, None),
        ({"id": "x", "createdAt": "2026-03-14T08:02:11Z", "type": 3}, "event_log"),
        ([UNLOCK], None),
        ("evl_1", None),
        (None, None),
    ],
)
def test_classify_webhook_payload(body: Any, kind: str | None) -> None:
    assert classify_webhook_payload(body) == kind


async def test_simulator_batch_body_is_a_batch(
    keys: KeysApi, api_sim: ParakeySimulator
) -> None:
    await keys.grant_key(GUEST, "alice@example.com")
    (body,) = [api_sim.batches.render(b) for b in api_sim.batches.batches.values()]
    # The trap this guards against: as an event log the batch would parse.
    assert EventLog.from_api(body) is not None
    assert classify_webhook_payload(body) == "batch"
    parsed = parse_webhook_payload(body)
    assert isinstance(parsed, Batch)
    assert parsed.id == body["id"]
    unlock = parse_webhook_payload(api_sim.create_unlock())
    assert isinstance(unlock, EventLog)
    assert parse_webhook_payload({"id": "x"}) is None
