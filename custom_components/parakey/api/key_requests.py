"""The request shapes of Parakey's key endpoints, all in one place.

They come from a public 2022 client and Parakey's help articles, not from an
API reference (see ``parakey-api.md``). Whatever would change with them lives
here: paths, query names, body shapes, and how the undocumented answer of
``POST /access-keys`` is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

from .keys import Access, Batch, BatchItem, parse_access_keys
from .models import _text, format_datetime

ACCESSES_PATH: Final = "/accesses"
ACCESS_KEYS_PATH: Final = "/access-keys"
PLACE_QUERY: Final = "domainId"
INSERT: Final = "insert"
DELETE: Final = "delete"
# Written into the items this client makes up when Parakey answered with keys
# instead of a batch, so a caller can tell them from Parakey's own results.
MISSING_FROM_ANSWER: Final = "MISSING_FROM_ANSWER"


def batch_path(batch_id: str) -> str:
    """``/batches/{id}``, the id escaped: it comes from the server."""
    return f"/batches/{quote(batch_id, safe='')}"


@dataclass(frozen=True, slots=True)
class AccessRef:
    """Which Access a change is about: by its id or by its alias id.

    Parakey accepts ``{"aliasId": ...}`` wherever ``{"id": ...}`` names an
    Access [doc: "Using alias id"].
    """

    id: str | None = None
    alias_id: str | None = None

    def __post_init__(self) -> None:
        """Exactly one of the two names the Access."""
        if (self.id is None) == (self.alias_id is None):
            raise ValueError("an access reference needs exactly one of id, alias_id")

    @classmethod
    def of(cls, access: Access | AccessRef | str) -> AccessRef:
        """A reference to ``access``; a plain string is an Access id.

        An ``Access`` is named by its id, which Parakey itself returned.
        """
        if isinstance(access, AccessRef):
            return access
        if isinstance(access, Access):
            return cls(id=access.id)
        if (access_id := _text(access)) is None:
            raise ValueError("an access id must be a non-empty string")
        return cls(id=access_id)

    def to_api(self) -> dict[str, str]:
        """``{"id": ...}`` or ``{"aliasId": ...}``."""
        if self.id is not None:
            return {"id": self.id}
        assert self.alias_id is not None  # noqa: S101 - __post_init__ ensures it
        return {"aliasId": self.alias_id}


def _email(email: str) -> str:
    if not isinstance(email, str) or not (text := email.strip()):
        raise ValueError("an e-mail address is required")
    return text


def grant_body(
    access: AccessRef,
    email: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    """The body of ``POST /access-keys`` that gives ``email`` the key ``access``."""
    item: dict[str, Any] = {"access": access.to_api(), "user": {"email": _email(email)}}
    if start is not None:
        item["startDate"] = format_datetime(start)
    if end is not None:
        item["expirationDate"] = format_datetime(end)
    return {INSERT: [item]}


def revoke_body(access: AccessRef, email: str) -> dict[str, Any]:
    """The body of ``POST /access-keys`` that takes ``access`` from ``email``."""
    return {DELETE: [{"access": access.to_api(), "user": {"email": _email(email)}}]}


def read_change_answer(
    body: Any, operation: str, access: AccessRef, email: str
) -> Batch | None:
    """Read the answer of ``POST /access-keys`` for one change; None if unusable.

    Parakey does not document it, so each plausible shape is accepted:

    * a batch object (``id``/``batchId``/``status``, maybe items), also wrapped
      as ``{"batch": {...}}``: returned as it is, pending or not;
    * an object with only the batch's id: a pending batch to follow;
    * a list of keys, bare or wrapped, or no body at all: the change is done
      at once. The one item is made up here: a grant answered by an empty
      list, or by a list naming e-mails but not this one, failed
      (``MISSING_FROM_ANSWER``); anything else succeeded, a revoke always,
      because it ends with no key either way.
    """
    if isinstance(body, dict):
        nested = body.get("batch")
        if isinstance(nested, dict):
            return Batch.from_api(nested)
        if any(body.get(key) is not None for key in ("id", "batchId", "status")):
            return Batch.from_api(body)
    missing = False
    if body is not None:
        if (parsed := parse_access_keys(body)) is None:
            return None
        keys, count = parsed
        address = _email(email).casefold()
        emails = {key.user_email.casefold() for key in keys if key.user_email}
        # An empty list made nothing; a list naming e-mails but not this one
        # made someone else's key. A list without e-mails cannot tell: trust it.
        missing = operation == INSERT and (
            count == 0 or (bool(emails) and address not in emails)
        )
    return Batch(
        status="completed",
        items=(
            BatchItem(
                status="failed" if missing else "succeeded",
                operation=operation,
                email=email,
                access_id=access.id,
                access_alias_id=access.alias_id,
                error_code=MISSING_FROM_ANSWER if missing else None,
                error_message="Parakey's answer does not list the new key"
                if missing
                else None,
            ),
        ),
    )
