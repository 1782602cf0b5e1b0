"""Fuzzing the two doors bad input comes through: the log parser and the webhook.

Generated payloads: wrong types, huge strings, deep nesting, unicode, missing
and extra fields, near-miss credentials. Nothing may raise, no
unauthenticated call may reach ingest, no secret may reach a log line.
"""

from __future__ import annotations

import asyncio
import json
import logging
from types import SimpleNamespace
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.parakey.api import Batch, EventLog
from custom_components.parakey.api.models import parse_list
from custom_components.parakey.webhook import WebhookEndpoint
from custom_components.parakey.webhook_url import authorization_value

USERNAME, PASSWORD = "ha-fuzz", "Pa55-w0rd_fuzz"
AUTH = authorization_value(USERNAME, PASSWORD)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=50),
    st.text(min_size=300, max_size=2000),
    st.sampled_from(["2026-03-14T08:02:11.512Z", "2026-13-40T99:99:99Z", "", "Z"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=12), children, max_size=6),
    max_leaves=40,
)
KEYS = [
    "id",
    "createdAt",
    "timestamp",
    "device",
    "eventConfiguration",
    "deviceId",
    "domain",
    "domainId",
    "user",
    "userId",
    "access",
    "type",
    "activity",
]
log_like = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=len(KEYS))


def deep(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"device": value, "id": [value]}
    return value


@settings(max_examples=600, deadline=None)
@given(data=st.one_of(json_values, log_like))
def test_parser_never_raises(data: Any) -> None:
    log = EventLog.from_api(data)
    if log is not None:
        assert isinstance(log.id, str)
        assert log.id
        assert log.created_at.tzinfo is not None
        assert log.timestamp.tzinfo is not None
        for value in (log.door_id, log.user_name, log.user_email, log.type):
            assert value is None or (isinstance(value, str) and len(value) <= 256)
        json.dumps(log.as_dict())  # what diagnostics show of it
    parse_list(data)


def test_parser_survives_deep_nesting() -> None:
    assert EventLog.from_api(deep(5000)) is None


class FakeDelivery:
    """Stands in for the delivery and the webhook monitor at once."""

    def __init__(self) -> None:
        self.ingested: list[EventLog] = []
        self.batches: list[Batch] = []
        self.notes = 0
        self.started = SimpleNamespace(is_set=lambda: True)

    async def async_ingest(self, logs: list[EventLog], source: str) -> int:
        assert source == "webhook"
        assert all(isinstance(log, EventLog) for log in logs)
        self.ingested.extend(logs)
        return len(logs)

    def async_note_call(self) -> None:
        self.notes += 1


class FakeContent:
    """A body that arrives in pieces of up to 1,000 bytes, like a socket's."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def read(self, limit: int) -> bytes:
        piece, self.body = self.body[: min(limit, 1000)], self.body[min(limit, 1000) :]
        return piece


def call(handler: WebhookEndpoint, body: bytes, auth: str | None) -> int:
    headers = {} if auth is None else {"Authorization": auth}
    request = SimpleNamespace(
        headers=headers,
        remote="203.0.113.9",
        content=FakeContent(body),
        content_length=None,
    )
    # A loop of its own rather than asyncio.run(): asyncio.run() leaves the thread
    # without a current event loop, and the Home Assistant test plugin's autouse
    # fixtures call asyncio.get_event_loop() for every later synchronous test
    # ("There is no current event loop" on newer releases).
    loop = asyncio.new_event_loop()
    try:
        response = loop.run_until_complete(
            handler.async_handle(None, "id", request)  # type: ignore[arg-type]
        )
    finally:
        loop.close()
    return response.status


def make_handler() -> tuple[WebhookEndpoint, FakeDelivery]:
    fake = FakeDelivery()
    entry = SimpleNamespace(
        data={"webhook_username": USERNAME, "webhook_password": PASSWORD},
        async_create_background_task=lambda _hass, coro, _name: asyncio.ensure_future(
            coro
        ),
    )
    return (
        WebhookEndpoint(None, entry, fake, fake, fake.batches.append),  # type: ignore[arg-type]
        fake,
    )


credentials = st.one_of(
    st.none(),
    st.text(max_size=80),
    st.just(AUTH),
    st.just(AUTH.lower()),
    st.builds(
        lambda i, c: AUTH[:i] + c + AUTH[i + 1 :],
        st.integers(0, len(AUTH) - 1),
        st.characters(),
    ),
    st.builds(lambda s: f"Basic {s}", st.text(max_size=40)),
)  # fmt: skip
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    log_like.map(lambda v: json.dumps(v).encode()),
    st.integers(64 * 1024 - 2, 64 * 1024 + 2).map(lambda n: b"x" * n),
)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=bodies, auth=credentials)
def test_webhook_never_raises_and_never_trusts_strangers(
    body: bytes, auth: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    handler, coordinator = make_handler()
    status = call(handler, body, auth)
    scheme, _, token = (auth or "").strip().partition(" ")
    trusted = scheme.lower() == "basic" and token.strip() == AUTH.partition(" ")[2]
    if not trusted:
        assert status == 401
        assert coordinator.ingested == []
        assert coordinator.notes == 0
    else:
        assert status == (413 if len(body) > 64 * 1024 else 200)
        # Whatever reaches delivery is an event log, parsed from this body; a
        # batch goes to the keys instead, never both.
        assert len(coordinator.ingested) + len(coordinator.batches) <= 1
    for secret in (PASSWORD, AUTH.partition(" ")[2]):
        assert secret not in caplog.text
    caplog.clear()
