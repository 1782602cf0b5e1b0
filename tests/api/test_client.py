"""ParakeyClient against the simulator over real loopback HTTP."""

from __future__ import annotations

import aiohttp
import pytest

from custom_components.parakey.api import (
    ParakeyAuthError,
    ParakeyClient,
    ParakeyConnectionError,
    ParakeyInvalidResponseError,
    ParakeyRateLimitedError,
    ParakeyServerError,
)
from simulator import ParakeySimulator, SimulatorServer
from tests.conftest import TOKEN, FakeClock


@pytest.fixture
def client(http: aiohttp.ClientSession, api_server: SimulatorServer) -> ParakeyClient:
    return ParakeyClient(http, TOKEN, base_url=api_server.base_url + "/")


async def test_sends_token_and_parses_logs(
    client: ParakeyClient, api_sim: ParakeySimulator, clock: FakeClock
) -> None:
    seen_tokens: list[str | None] = []
    api_sim.add_request_hook(
        lambda request: seen_tokens.append(request.headers.get("access-token"))
    )
    created = api_sim.create_unlock("dev_1", "usr_1")
    clock.advance(5)
    api_sim.create_unlock("dev_2", "usr_2")

    page = await client.list_event_logs(limit=10)

    assert seen_tokens == [TOKEN]
    assert [log.door_id for log in page.logs] == ["dev_2", "dev_1"]
    first = page.logs[1]
    assert first.id == created["id"]
    assert first.user_name == "Alice Andersson"
    assert first.user_email == "alice@example.com"
    assert first.place_id == "dom_1"
    assert first.access_name == "Family"
    assert page.etag
    assert page.server_time == clock.now.replace(microsecond=0)
    assert page.item_count == 2
    assert client.request_count == 1


async def test_etag_gives_not_modified(
    client: ParakeyClient, api_sim: ParakeySimulator
) -> None:
    api_sim.create_unlock()
    first = await client.list_event_logs(limit=1)
    again = await client.list_event_logs(limit=1, etag=first.etag)
    assert again.not_modified
    assert again.etag == first.etag
    assert again.logs == ()


async def test_get_one_log(client: ParakeyClient, api_sim: ParakeySimulator) -> None:
    created = api_sim.create_unlock("dev_2", None)
    log = await client.get_event_log(created["id"])
    assert log is not None
    assert log.door_name == "Back door"
    assert log.user_id is None
    assert await client.get_event_log("evl_missing") is None


async def test_doors_and_places(client: ParakeyClient) -> None:
    doors = await client.list_doors()
    places = await client.list_places()
    assert doors is not None
    assert {(door.id, door.name, door.place_id) for door in doors} == {
        ("dev_1", "Front door", "dom_1"),
        ("dev_2", "Back door", "dom_1"),
    }
    assert places is not None
    assert [(place.id, place.name) for place in places] == [("dom_1", "Home")]


async def test_missing_endpoints_are_not_errors(
    http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    sim = ParakeySimulator(
        token=TOKEN, clock=clock, devices_endpoint=False, time_scale=0
    )
    async with SimulatorServer(sim, host="127.0.0.1", port=0) as server:
        client = ParakeyClient(http, TOKEN, base_url=server.base_url)
        assert await client.list_doors() is None
        assert await client.list_places() is None
    await sim.close()


async def test_legacy_shape(http: aiohttp.ClientSession, clock: FakeClock) -> None:
    sim = ParakeySimulator(token=TOKEN, clock=clock, legacy=True, time_scale=0)
    sim.create_unlock("dev_2", "usr_2")
    async with SimulatorServer(sim, host="127.0.0.1", port=0) as server:
        client = ParakeyClient(http, TOKEN, base_url=server.base_url)
        page = await client.list_event_logs(limit=5)
    await sim.close()
    (log,) = page.logs
    assert (log.door_id, log.place_id, log.user_id) == ("dev_2", "dom_1", "usr_2")


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("unauthorized", ParakeyAuthError),
        ("forbidden", ParakeyAuthError),
        ("server_error", ParakeyServerError),
        ("malformed", ParakeyInvalidResponseError),
        ("wrong_shape", ParakeyInvalidResponseError),
        ("not_found", ParakeyInvalidResponseError),
    ],
)
async def test_fault_maps_to_error(
    client: ParakeyClient, api_sim: ParakeySimulator, kind: str, error: type[Exception]
) -> None:
    api_sim.inject_fault(kind)
    with pytest.raises(error):
        await client.list_event_logs(limit=1)
    # The fault is spent: the next request works.
    assert not (await client.list_event_logs(limit=1)).not_modified


async def test_rate_limit_carries_retry_after(
    client: ParakeyClient, api_sim: ParakeySimulator
) -> None:
    api_sim.inject_fault("rate_limit", retry_after=42)
    with pytest.raises(ParakeyRateLimitedError) as caught:
        await client.list_event_logs(limit=1)
    assert caught.value.retry_after == 42
    assert "42" in str(caught.value)


async def test_wrong_token(
    http: aiohttp.ClientSession, api_server: SimulatorServer
) -> None:
    client = ParakeyClient(http, "not-the-token", base_url=api_server.base_url)
    with pytest.raises(ParakeyAuthError) as caught:
        await client.list_places()
    assert caught.value.status == 401


async def test_timeout(
    http: aiohttp.ClientSession, api_server: SimulatorServer, api_sim: ParakeySimulator
) -> None:
    client = ParakeyClient(
        http, TOKEN, base_url=api_server.base_url, request_timeout=0.05
    )
    api_sim.inject_fault("timeout", delay=0.5)
    with pytest.raises(ParakeyConnectionError, match="Timeout"):
        await client.list_event_logs(limit=1)


async def test_connection_refused(http: aiohttp.ClientSession) -> None:
    client = ParakeyClient(http, TOKEN, base_url="http://127.0.0.1:9")
    with pytest.raises(ParakeyConnectionError):
        await client.list_event_logs(limit=1)
