"""The webhook over a real socket: bodies split, chunked, slow, cut short, too big.

``hass_client_no_auth`` sends a body in one write; real senders and reverse
proxies split it anywhere, so these tests write the raw HTTP request by hand.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
import itertools
import json
from unittest.mock import patch

from homeassistant.core import Event, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from simulator import ParakeySimulator

from .helpers import WEBHOOK_AUTH, WEBHOOK_ID


@pytest.fixture
def entry(sim: ParakeySimulator, webhook_entry: MockConfigEntry) -> MockConfigEntry:
    # A name with multi-byte UTF-8 characters, so a split can fall inside one.
    sim.add_user("usr_1", "Åsa Öberg", "asa@example.com")
    return webhook_entry


async def settle() -> None:
    """Let the server read what has been written so far."""
    for _ in range(20):
        await asyncio.sleep(0)


class RawPost:
    """One POST to the webhook written piece by piece over a plain TCP socket."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    @staticmethod
    def head(length: int | None, *, chunked: bool = False) -> bytes:
        lines = [
            f"POST /api/webhook/{WEBHOOK_ID} HTTP/1.1",
            "Host: ha.example.org",
            "Content-Type: application/json",
            "User-Agent: Parakey-WebhookWorker/1.0",
            f"Authorization: {WEBHOOK_AUTH}",
            "Connection: close",
        ]
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        elif length is not None:
            lines.append(f"Content-Length: {length}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def send(self, pieces: list[bytes], *, hang_up: bool = False) -> int | None:
        """Write each piece, letting the server run between them; return the status."""
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            for piece in pieces:
                try:
                    writer.write(piece)
                    await writer.drain()
                except ConnectionError:
                    break  # the server answered early (413) and closed
                if hang_up and piece is pieces[-1]:
                    return None
                await settle()
            line = await reader.readline()
            return int(line.split()[1])
        finally:
            writer.close()


@pytest.fixture
async def raw(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> RawPost:
    client = await hass_client_no_auth()
    url = client.make_url("/")
    assert url.host is not None
    assert url.port is not None
    return RawPost(url.host, url.port)


def split_at(data: bytes, *points: int) -> list[bytes]:
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def chunked(data: bytes, size: int) -> list[bytes]:
    frames = [
        f"{len(data[i : i + size]):x}\r\n".encode() + data[i : i + size] + b"\r\n"
        for i in range(0, len(data), size)
    ]
    return [*frames, b"0\r\n\r\n"]


def body_of(sim: ParakeySimulator) -> tuple[dict[str, object], bytes]:
    log = sim.create_unlock("dev_1", "usr_1")
    return log, json.dumps(log, ensure_ascii=False).encode()


def inside_multibyte(body: bytes) -> int:
    """An offset between the two bytes of the first non-ASCII character."""
    return next(i for i, byte in enumerate(body) if byte >= 0xC0) + 1


@pytest.mark.parametrize("where", ["after-headers", "middle", "utf8", "last-byte"])
async def test_body_split_in_two_writes_fires_by_webhook(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    raw: RawPost,
    unlocks: list[Event],
    where: str,
) -> None:
    log, body = body_of(sim)
    point = {
        "after-headers": 0,
        "middle": len(body) // 2,
        "utf8": inside_multibyte(body),
        "last-byte": len(body) - 1,
    }[where]
    pieces = [raw.head(len(body)), *split_at(body, point)]
    assert await raw.send(pieces) == HTTPStatus.OK
    await hass.async_block_till_done()
    (event,) = unlocks
    assert event.data["event_id"] == log["id"]
    assert event.data["source"] == "webhook"
    assert event.data["user_name"] == "Åsa Öberg"


async def test_chunked_in_many_small_chunks(
    hass: HomeAssistant, sim: ParakeySimulator, raw: RawPost, unlocks: list[Event]
) -> None:
    log, body = body_of(sim)
    frames = chunked(body, 7)
    assert len(frames) > 20
    assert await raw.send([raw.head(None, chunked=True), *frames]) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [e.data["event_id"] for e in unlocks] == [log["id"]]


async def test_slow_sender_byte_by_byte(
    hass: HomeAssistant, sim: ParakeySimulator, raw: RawPost, unlocks: list[Event]
) -> None:
    log, body = body_of(sim)
    pieces = [raw.head(len(body)), *(body[i : i + 1] for i in range(len(body)))]
    assert await raw.send(pieces) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [e.data["event_id"] for e in unlocks] == [log["id"]]


async def test_sender_that_stalls_past_the_timeout_gets_no_unlock(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    raw: RawPost,
    unlocks: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, body = body_of(sim)
    with patch("custom_components.parakey.webhook.BODY_TIMEOUT", 0):
        status = await raw.send([raw.head(len(body)), body[:10]])
    assert status == HTTPStatus.REQUEST_TIMEOUT
    await hass.async_block_till_done()
    assert unlocks == []
    assert "did not arrive whole" in caplog.text
    assert "Traceback" not in caplog.text


async def test_client_hangs_up_before_content_length(
    hass: HomeAssistant,
    sim: ParakeySimulator,
    raw: RawPost,
    unlocks: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, body = body_of(sim)
    await raw.send([raw.head(len(body) + 50), body], hang_up=True)
    await settle()
    await hass.async_block_till_done()
    assert unlocks == []
    assert "Traceback" not in caplog.text
    assert "Error handling request" not in caplog.text
    # The webhook still works for the next, whole, request.
    log, body = body_of(sim)
    assert await raw.send([raw.head(len(body)), body]) == HTTPStatus.OK
    await hass.async_block_till_done()
    assert [e.data["event_id"] for e in unlocks] == [log["id"]]


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_oversize_body_is_refused_however_framed(
    hass: HomeAssistant, raw: RawPost, unlocks: list[Event], framing: str
) -> None:
    big = b'{"id": "' + b"x" * (1024 * 1024) + b'"}'
    if framing == "content-length":
        # A small first segment: the size guard must not judge by it.
        pieces = [raw.head(len(big)), big[:100], big[100:]]
    else:
        # No Content-Length at all: only counting what arrives can tell.
        pieces = [raw.head(None, chunked=True), big[:0], *chunked(big, 16 * 1024)]
    assert await raw.send(pieces) == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    await hass.async_block_till_done()
    assert unlocks == []


async def test_hang_up_after_a_whole_body_still_delivers(
    hass: HomeAssistant, sim: ParakeySimulator, raw: RawPost, unlocks: list[Event]
) -> None:
    # A caller that hangs up without reading the answer: the unlock of a new
    # door (which waits for its entities) is still delivered. Home Assistant
    # cancels handlers of callers that went away; delivery runs in a task of
    # its own for that. On loopback the hang-up could not be timed to land
    # inside the wait, so this pins the outcome, not the cancellation itself.
    sim.add_door("dev_3", "Garage")
    log = sim.create_unlock("dev_3", "usr_2")
    body = json.dumps(log).encode()
    await raw.send([raw.head(len(body)) + body], hang_up=True)
    await settle()
    await hass.async_block_till_done()
    assert [e.data["event_id"] for e in unlocks] == [log["id"]]
    assert unlocks[0].data["entity_id"] == "event.garage_unlock"
