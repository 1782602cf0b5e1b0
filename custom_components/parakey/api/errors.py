"""Errors raised by the Parakey API client.

One hierarchy so callers can catch ``ParakeyError`` and still tell an expired
token (the user must act) from a passing outage (retry later).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from .keys import Batch

# A reason longer than this is not a reason but a page or a dump: dropped.
MAX_REASON: Final = 200


class ParakeyError(Exception):
    """Base class of every error the client raises."""


class ParakeyAuthError(ParakeyError):
    """The token was refused (401) or is not allowed to do this (403).

    On the key endpoints a 403 is ``ParakeyKeyNotAllowedError`` instead: there
    it names a key, not the token, and a new token would not help.
    """

    def __init__(self, status: int) -> None:
        """Remember the HTTP status; the body is never parsed or kept."""
        super().__init__(f"Parakey refused the access token (HTTP {status})")
        self.status = status


class ParakeyRateLimitedError(ParakeyError):
    """Parakey answered 429; ``retry_after`` is how long it asked us to wait."""

    def __init__(self, retry_after: float | None) -> None:
        """Keep the server's Retry-After in seconds, when it sent a usable one."""
        super().__init__(
            "Parakey rate limited the request"
            + (f", retry after {retry_after:g} s" if retry_after is not None else "")
        )
        self.retry_after = retry_after


class ParakeyConnectionError(ParakeyError):
    """The request did not get an answer: DNS, TCP, TLS or a timeout."""


class ParakeyServerError(ParakeyError):
    """Parakey answered with a 5xx status."""

    def __init__(self, status: int) -> None:
        """Remember the HTTP status."""
        super().__init__(f"Parakey answered HTTP {status}")
        self.status = status


class ParakeyInvalidResponseError(ParakeyError):
    """The answer was not what the API promises (bad JSON, wrong shape, status)."""


class ParakeyKeyNotAllowedError(ParakeyError):
    """A key endpoint answered 403: the key is not enabled for the API.

    An administrator must tick "Allow to be used with API" on that key (Access)
    in My Parakey. Deliberately not a ``ParakeyAuthError``: the token is fine.
    """

    def __init__(self, path: str) -> None:
        """Remember which endpoint refused; the body is not kept."""
        super().__init__(
            f"Parakey refused {path} (HTTP 403): the key is not enabled for the API"
        )
        self.path = path


class ParakeyNotFoundError(ParakeyError):
    """A key endpoint answered 404: no such key, batch or user."""

    def __init__(self, path: str) -> None:
        """Remember which endpoint did not find it."""
        super().__init__(f"Parakey found nothing at {path} (HTTP 404)")
        self.path = path


class ParakeyValidationError(ParakeyError):
    """A key endpoint answered 400 or 422: Parakey refused the request's content.

    ``reason`` and ``code`` are the server's, kept only when short plain text.
    """

    def __init__(
        self, status: int, reason: str | None = None, code: str | None = None
    ) -> None:
        """Remember the status and the server's short explanation, if any."""
        super().__init__(
            f"Parakey refused the request (HTTP {status})"
            + (f": {reason}" if reason else "")
        )
        self.status = status
        self.reason = reason
        self.code = code

    @classmethod
    def from_body(cls, status: int, raw: bytes) -> ParakeyValidationError:
        """Build from an error answer, keeping only a short plain reason and code.

        Accepts a JSON string or an object with ``message``/``error``/``reason``/
        ``detail`` (``error`` may itself hold ``message`` and ``code``).
        """
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return cls(status)
        if not isinstance(data, dict):
            return cls(status, _short(data))
        error = data.get("error")
        nested: dict[str, Any] = error if isinstance(error, dict) else {}
        reason = next(
            (
                text
                for value in (
                    data.get("message"),
                    error,
                    data.get("reason"),
                    data.get("detail"),
                    nested.get("message"),
                )
                if (text := _short(value))
            ),
            None,
        )
        code = _short(data.get("code")) or _short(data.get("errorCode"))
        return cls(status, reason, code or _short(nested.get("code")))


class ParakeyBatchTimeoutError(ParakeyError):
    """A batch was still not done when the wait for it ended.

    ``batch`` is the last state seen: the change may still happen later.
    """

    def __init__(self, batch: Batch) -> None:
        """Keep the batch as last seen."""
        super().__init__(
            f"Parakey batch {batch.id or '(no id)'} did not finish in time "
            f"(status {batch.status or 'unknown'})"
        )
        self.batch = batch


def _short(value: Any) -> str | None:
    """``value`` when it is short, single-line, printable text."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text if 0 < len(text) <= MAX_REASON and text.isprintable() else None
