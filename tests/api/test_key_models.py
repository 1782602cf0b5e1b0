"""Tolerant parsing of keys, key holders and batches, and the request shapes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.parakey.api import (
    Access,
    AccessKey,
    AccessRef,
    Batch,
    BatchItem,
    ParakeyBatchTimeoutError,
    ParakeyValidationError,
)
from custom_components.parakey.api.key_requests import (
    MISSING_FROM_ANSWER,
    batch_path,
    grant_body,
    read_change_answer,
    revoke_body,
)
from custom_components.parakey.api.keys import parse_access_keys

T9 = datetime(2026, 12, 1, 9, tzinfo=UTC)
T12 = datetime(2026, 12, 1, 12, tzinfo=UTC)


# ----- Access -----


def test_access_full_and_round_trip() -> None:
    access = Access.from_api(
        {"id": "acc_2", "name": "Guest", "aliasId": "ha-guest", "apiEnabled": True}
    )
    assert access == Access("acc_2", "Guest", "ha-guest", api_enabled=True)
    assert Access.from_dict(access.as_dict()) == access


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"id": 7, "allowApi": False}, Access("7", api_enabled=False)),
        ({"id": "a", "isApiEnabled": True, "alias": "x"}, Access("a", None, "x", True)),
        ({"id": "a", "allowedForApi": "yes"}, Access("a")),  # not a bool: unknown
        ({"id": "a", "name": "", "alias_id": "  y "}, Access("a", alias_id="y")),
    ],
)
def test_access_variants(data: dict[str, object], expected: Access) -> None:
    assert Access.from_api(data) == expected


@pytest.mark.parametrize("data", [None, [], "acc_1", {"name": "No id"}, {"id": True}])
def test_access_unusable(data: object) -> None:
    assert Access.from_api(data) is None
    assert Access.from_dict(data) is None


# ----- AccessKey -----

SIM_KEY = {
    "id": "ak_1",
    "domainId": "dom_1",
    "access": {"id": "acc_2", "name": "Guest", "aliasId": "ha-guest"},
    "user": {"id": "usr_3", "name": "Cleo", "email": "cleaner@example.com"},
    "startDate": "2026-12-01T09:00:00.000Z",
    "expirationDate": "2026-12-01T12:00:00.000Z",
}


def test_access_key_full() -> None:
    key = AccessKey.from_api(SIM_KEY)
    assert key == AccessKey(
        id="ak_1",
        access_id="acc_2",
        access_name="Guest",
        access_alias_id="ha-guest",
        user_id="usr_3",
        user_name="Cleo",
        user_email="cleaner@example.com",
        start=T9,
        end=T12,
    )
    assert key.time_limited
    assert not key.valid_at(datetime(2026, 12, 1, 8, 59, tzinfo=UTC))
    assert key.valid_at(T9)
    assert not key.valid_at(T12)
    assert key.as_dict()["start"] == "2026-12-01T09:00:00.000Z"
    assert key.as_dict()["end"] == "2026-12-01T12:00:00.000Z"
    assert AccessKey.from_dict(key.as_dict()) == key
    # What the key directory stores, and a store damaged by hand.
    assert AccessKey.from_dict({**key.as_dict(), "start": "x"}) == AccessKey(
        **{**key.as_dict(), "start": None, "end": T12}
    )
    assert AccessKey.from_dict({"access_id": "acc_2"}) is None  # nobody
    assert AccessKey.from_dict({"user_id": "usr_3"}) is None  # no Access
    assert AccessKey.from_dict(None) is None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"accessId": "acc_2", "userId": "usr_1", "validFrom": "2026-12-01T09:00Z"},
            AccessKey(access_id="acc_2", user_id="usr_1", start=T9),
        ),
        (
            {
                "access": {"aliasId": "ha-guest"},
                "member": {"id": "mem_1"},
                "validTo": "2026-12-01T12:00:00Z",
            },
            AccessKey(access_alias_id="ha-guest", user_id="mem_1", end=T12),
        ),
        (
            {
                "access": "acc_2",
                "email": "g@example.com",
                "endDate": "2026-12-01T12:00Z",
            },
            AccessKey(access_id="acc_2", user_email="g@example.com", end=T12),
        ),
        (
            {"accessAliasId": "ha-guest", "userEmail": "g@example.com"},
            AccessKey(access_alias_id="ha-guest", user_email="g@example.com"),
        ),
        (
            {"access": {"id": "a"}, "user": {"id": "u"}, "startDate": "soon"},
            AccessKey(access_id="a", user_id="u"),
        ),
    ],
)
def test_access_key_variants(data: dict[str, object], expected: AccessKey) -> None:
    assert AccessKey.from_api(data) == expected


def test_open_ended_key() -> None:
    key = AccessKey(access_id="acc_1", user_id="usr_1")
    assert not key.time_limited
    assert key.valid_at(T9)
    assert key.as_dict()["start"] is None


@pytest.mark.parametrize(
    "data",
    [
        None,
        ["x"],
        {"user": {"id": "usr_1"}},  # no access
        {"access": {"id": "acc_1"}},  # nobody
        {"access": {"name": "Family"}, "user": {"name": "Alice"}},
    ],
)
def test_access_key_unusable(data: object) -> None:
    assert AccessKey.from_api(data) is None


def test_parse_access_keys_counts_unusable_items() -> None:
    assert parse_access_keys({"data": [SIM_KEY, {"id": "broken"}]}) == (
        [AccessKey.from_api(SIM_KEY)],
        2,
    )
    assert parse_access_keys("not a list") is None


# ----- BatchItem and Batch -----

SIM_BATCH = {
    "id": "bat_1",
    "type": "accessKeys",
    "status": "completed",
    "createdAt": "2026-12-01T08:00:00.000Z",
    "completedAt": "2026-12-01T08:00:02.000Z",
    "items": [
        {
            "operation": "insert",
            "status": "succeeded",
            "access": {"id": "acc_2", "name": "Guest", "aliasId": "ha-guest"},
            "user": {"email": "alice@example.com"},
            "startDate": None,
            "expirationDate": None,
        },
        {
            "operation": "insert",
            "status": "failed",
            "access": {"id": "acc_2", "name": "Guest"},
            "user": {"email": "nobody@example.com"},
            "error": {"code": "USER_NOT_FOUND", "message": "No user with that e-mail"},
        },
    ],
}


def test_batch_full() -> None:
    batch = Batch.from_api(SIM_BATCH)
    assert batch is not None
    assert (batch.id, batch.status, batch.done, batch.failed) == (
        "bat_1",
        "completed",
        True,
        True,
    )
    assert batch.created_at == datetime(2026, 12, 1, 8, tzinfo=UTC)
    ok, bad = batch.items
    assert ok == BatchItem(
        status="succeeded",
        operation="insert",
        email="alice@example.com",
        access_id="acc_2",
        access_alias_id="ha-guest",
        access_name="Guest",
    )
    assert (ok.succeeded, ok.done, ok.failed) == (True, True, False)
    assert (bad.failed, bad.error_code, bad.error_message) == (
        True,
        "USER_NOT_FOUND",
        "No user with that e-mail",
    )
    assert batch.failed_items == (bad,)
    data = batch.as_dict()
    assert data["status"] == "completed"
    assert data["done"] is True
    assert data["failed"] is True
    assert data["created_at"] == "2026-12-01T08:00:00.000Z"
    assert data["completed_at"] == "2026-12-01T08:00:02.000Z"
    assert data["items"][1]["error_code"] == "USER_NOT_FOUND"


@pytest.mark.parametrize(
    ("data", "status", "done", "failed"),
    [
        ({"id": "b", "status": "COMPLETED"}, "completed", True, False),
        ({"id": "b", "state": "Finished"}, "finished", True, False),
        ({"id": "b", "status": "In-Progress"}, "in_progress", False, False),
        ({"id": "b", "status": "Partially Failed"}, "partially_failed", True, True),
        ({"batchId": "b", "status": "ERROR"}, "error", True, True),
        # A pending status wins over items that look done.
        (
            {"id": "b", "status": "pending", "items": [{"status": "ok"}]},
            "pending",
            False,
            False,
        ),
        # An unknown (or missing) status falls back on the items.
        (
            {"id": "b", "status": "weird", "results": [{"status": "OK"}]},
            "weird",
            True,
            False,
        ),
        (
            {"id": "b", "results": [{"status": "Success"}, {"error": "boom"}]},
            None,
            True,
            True,
        ),
        (
            {"id": "b", "results": [{"status": "Success"}, {"status": "queued"}]},
            None,
            False,
            False,
        ),
        ({"id": "b"}, None, False, False),  # only an id: pending
        ({"id": "b", "items": "nope"}, None, False, False),
    ],
)
def test_batch_status_variants(
    data: dict[str, object], status: str | None, done: bool, failed: bool
) -> None:
    batch = Batch.from_api(data)
    assert batch is not None
    assert (batch.id, batch.status, batch.done, batch.failed) == (
        "b",
        status,
        done,
        failed,
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"status": "FAILED", "errorCode": "NOT_FOUND", "errorMessage": "No key"},
            BatchItem(status="failed", error_code="NOT_FOUND", error_message="No key"),
        ),
        (
            {"code": "X", "message": "went wrong"},  # an error without a status
            BatchItem(status="failed", error_code="X", error_message="went wrong"),
        ),
        (
            {"error": "User unknown", "type": "Insert", "accessId": "acc_2"},
            BatchItem(
                status="failed",
                operation="insert",
                access_id="acc_2",
                error_message="User unknown",
            ),
        ),
        (
            {"result": "Deleted", "error": None, "userEmail": "a@example.com"},
            BatchItem(status="deleted", email="a@example.com"),
        ),
        (
            {"status": "done", "error": False, "user": {"id": "usr_1"}},
            BatchItem(status="done", user_id="usr_1"),
        ),
        (
            {"status": "failed", "error": {"type": "RULE", "reason": "no"}},
            BatchItem(status="failed", error_code="RULE", error_message="no"),
        ),
    ],
)
def test_batch_item_variants(data: dict[str, object], expected: BatchItem) -> None:
    assert BatchItem.from_api(data) == expected


def test_batch_unusable_parts() -> None:
    assert Batch.from_api(["not", "an", "object"]) is None
    assert BatchItem.from_api("failed") is None
    batch = Batch.from_api({"id": "b", "items": [None, 3, {"status": "ok"}]})
    assert batch is not None
    assert len(batch.items) == 1
    empty = Batch(status="pending").as_dict()
    assert empty["created_at"] is None
    assert empty["completed_at"] is None


# ----- request shapes -----


def test_access_ref() -> None:
    assert AccessRef(id="acc_2").to_api() == {"id": "acc_2"}
    assert AccessRef(alias_id="ha-guest").to_api() == {"aliasId": "ha-guest"}
    assert AccessRef.of("acc_2") == AccessRef(id="acc_2")
    assert AccessRef.of(Access("acc_2", alias_id="ha-guest")) == AccessRef(id="acc_2")
    ref = AccessRef(alias_id="ha-guest")
    assert AccessRef.of(ref) is ref
    for bad in ({}, {"id": "a", "alias_id": "b"}):
        with pytest.raises(ValueError, match="exactly one"):
            AccessRef(**bad)
    with pytest.raises(ValueError, match="non-empty"):
        AccessRef.of("  ")


def test_bodies() -> None:
    assert grant_body(AccessRef(id="acc_2"), " guest@example.com ", T9, T12) == {
        "insert": [
            {
                "access": {"id": "acc_2"},
                "user": {"email": "guest@example.com"},
                "startDate": "2026-12-01T09:00:00.000Z",
                "expirationDate": "2026-12-01T12:00:00.000Z",
            }
        ]
    }
    assert grant_body(AccessRef(alias_id="g"), "a@example.com") == {
        "insert": [{"access": {"aliasId": "g"}, "user": {"email": "a@example.com"}}]
    }
    assert revoke_body(AccessRef(id="acc_2"), "a@example.com") == {
        "delete": [{"access": {"id": "acc_2"}, "user": {"email": "a@example.com"}}]
    }
    with pytest.raises(ValueError, match="e-mail"):
        revoke_body(AccessRef(id="acc_2"), " ")
    assert batch_path("bat/1 2") == "/batches/bat%2F1%202"


REF = AccessRef(id="acc_2")


@pytest.mark.parametrize(
    ("body", "batch_id", "status"),
    [
        (SIM_BATCH, "bat_1", "completed"),
        ({"batch": {"id": "bat_2", "status": "PENDING"}}, "bat_2", "pending"),
        ({"id": "bat_3"}, "bat_3", None),
        ({"batchId": "bat_4"}, "bat_4", None),
    ],
)
def test_change_answer_batch(body: object, batch_id: str, status: str | None) -> None:
    batch = read_change_answer(body, "insert", REF, "alice@example.com")
    assert batch is not None
    assert (batch.id, batch.status) == (batch_id, status)


@pytest.mark.parametrize(
    ("body", "operation", "ok"),
    [
        ([SIM_KEY], "insert", False),  # someone else's key only
        ([{**SIM_KEY, "user": {"email": "Guest@Example.com"}}], "insert", True),
        ({"data": [{"access": {"id": "acc_2"}, "user": {"id": "u"}}]}, "insert", True),
        ([], "insert", False),
        ([], "delete", True),
        ([SIM_KEY], "delete", True),
        (None, "insert", True),  # 204: accepted, nothing to check
    ],
)
def test_change_answer_keys(body: object, operation: str, ok: bool) -> None:
    batch = read_change_answer(body, operation, REF, "guest@example.com")
    assert batch is not None
    assert (batch.id, batch.status, batch.done) == (None, "completed", True)
    (item,) = batch.items
    assert (item.operation, item.email, item.access_id) == (
        operation,
        "guest@example.com",
        "acc_2",
    )
    assert item.succeeded is ok
    assert item.error_code == (None if ok else MISSING_FROM_ANSWER)


@pytest.mark.parametrize("body", ["queued", 42, {"unknown": True}])
def test_change_answer_unusable(body: object) -> None:
    assert read_change_answer(body, "insert", REF, "guest@example.com") is None


# ----- errors -----


@pytest.mark.parametrize(
    ("raw", "reason", "code"),
    [
        (
            b'{"message": "expirationDate must be after startDate", "code": "X"}',
            "expirationDate must be after startDate",
            "X",
        ),
        (b'"Bad dates"', "Bad dates", None),
        (
            b'{"error": "Invalid e-mail", "errorCode": "EMAIL"}',
            "Invalid e-mail",
            "EMAIL",
        ),
        (b'{"error": {"message": "Nope", "code": "N"}}', "Nope", "N"),
        (b'{"detail": "Detail"}', "Detail", None),
        (b'{"message": "' + b"x" * 201 + b'"}', None, None),
        (b'{"message": "two\\nlines"}', None, None),
        (b"<html>Bad Request</html>", None, None),
        (b"", None, None),
        (b"[1, 2]", None, None),
    ],
)
def test_validation_error_reason(
    raw: bytes, reason: str | None, code: str | None
) -> None:
    error = ParakeyValidationError.from_body(422, raw)
    assert (error.status, error.reason, error.code) == (422, reason, code)
    assert str(error).startswith("Parakey refused the request (HTTP 422)")


def test_batch_timeout_error_message() -> None:
    assert "(no id)" in str(ParakeyBatchTimeoutError(Batch()))
    error = ParakeyBatchTimeoutError(Batch(id="bat_1", status="pending"))
    assert "bat_1" in str(error)
    assert "pending" in str(error)
    assert error.batch.id == "bat_1"
