"""Tolerant parsing of Parakey's JSON."""

from __future__ import annotations

from datetime import UTC, datetime
import logging

import pytest

from custom_components.parakey.api import Door, EventLog, Place, parse_datetime
from custom_components.parakey.api.models import parse_list

FULL = {
    "id": "evl_01HV6X",
    "createdAt": "2026-03-14T08:02:11.512Z",
    "timestamp": "2026-03-14T08:02:09.000Z",
    "domain": {"id": "dom_1", "name": "Home"},
    "device": {"id": "dev_1", "name": "Front door"},
    "access": {"id": "acc_1", "name": "Family"},
    "user": {"id": "usr_1", "name": "Alice Andersson", "email": "alice@example.com"},
    "type": "unlock",
    "somethingNew": {"nested": [1, 2]},
}


def test_full_log() -> None:
    log = EventLog.from_api(FULL)
    assert log == EventLog(
        id="evl_01HV6X",
        created_at=datetime(2026, 3, 14, 8, 2, 11, 512000, tzinfo=UTC),
        timestamp=datetime(2026, 3, 14, 8, 2, 9, tzinfo=UTC),
        door_id="dev_1",
        door_name="Front door",
        place_id="dom_1",
        place_name="Home",
        user_id="usr_1",
        user_name="Alice Andersson",
        user_email="alice@example.com",
        access_id="acc_1",
        access_name="Family",
        type="unlock",
    )


def test_legacy_names_and_bare_ids() -> None:
    log = EventLog.from_api(
        {
            "id": 42,
            "createdAt": "2026-03-14T08:02:11+01:00",
            "eventConfiguration": {"id": "dev_1"},
            "domainId": "dom_1",
            "userId": "usr_1",
            "activity": "remoteUnlock",
        }
    )
    assert log is not None
    assert (log.id, log.door_id, log.place_id, log.user_id) == (
        "42",
        "dev_1",
        "dom_1",
        "usr_1",
    )
    assert log.created_at == datetime(2026, 3, 14, 7, 2, 11, tzinfo=UTC)
    assert log.timestamp == log.created_at  # no timestamp: best guess
    assert log.type == "remoteUnlock"
    assert log.door == Door(id="dev_1", name=None, place_id="dom_1")
    assert log.place == Place(id="dom_1")


def test_nested_object_without_id_falls_back_to_bare_id() -> None:
    log = EventLog.from_api(
        {
            "id": "e",
            "createdAt": "2026-03-14T08:02:11Z",
            "device": {"name": "X"},
            "deviceId": "d",
        }
    )
    assert log is not None
    assert (log.door_id, log.door_name) == ("d", "X")


def test_erased_user_and_odd_values() -> None:
    log = EventLog.from_api(
        {
            **FULL,
            "user": None,
            "device": "dev_9",
            "access": {"id": True, "name": "x" * 1000},
            "type": ["?"],
        }
    )
    assert log is not None
    assert (log.user_id, log.user_name, log.user_email) == (None, None, None)
    assert log.door_id == "dev_9"
    assert (log.access_id, log.access_name, log.type) == (None, None, None)
    assert log.place is not None


@pytest.mark.parametrize(
    "data",
    [
        None,
        "evl_1",
        [],
        {"createdAt": "2026-03-14T08:02:11Z"},
        {"id": "", "createdAt": "2026-03-14T08:02:11Z"},
        {"id": "evl_1"},
        {"id": "evl_1", "createdAt": "yesterday"},
        {"id": "evl_1", "createdAt": 1710403331},
        {"id": {"x": 1}, "createdAt": "2026-03-14T08:02:11Z"},
    ],
)
def test_unusable_logs_are_skipped_with_a_debug_line(
    data: object, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert EventLog.from_api(data) is None
    assert "Skipping event log" in caplog.text


def test_naive_timestamp_is_utc() -> None:
    assert parse_datetime("2026-03-14T08:02:11") == datetime(
        2026, 3, 14, 8, 2, 11, tzinfo=UTC
    )
    assert parse_datetime("x" * 100) is None
    assert parse_datetime("") is None


def test_from_dict_rejects_damage() -> None:
    assert Door.from_dict(None) is None
    assert Door.from_dict({"id": "d", "name": "N", "place_id": "p"}) == Door(
        "d", "N", "p"
    )
    assert Door.from_dict({"id": "d"}) == Door("d")


def test_doors_and_places() -> None:
    assert Door.from_api(
        {"id": "dev_1", "name": "Front", "domain": {"id": "dom_1"}}
    ) == Door("dev_1", "Front", "dom_1")
    assert Door.from_api({"name": "no id"}) is None
    assert Place.from_api({"id": "dom_1", "name": "Home"}) == Place("dom_1", "Home")
    assert Place.from_api([]) is None


def test_parse_list_accepts_wrappers() -> None:
    assert parse_list([1]) == [1]
    assert parse_list({"data": [2]}) == [2]
    assert parse_list({"items": [3]}) == [3]
    assert parse_list({"other": []}) is None
    assert parse_list("x") is None
