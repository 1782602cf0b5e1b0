"""Errors raised by the Parakey API client.

One hierarchy so callers can catch ``ParakeyError`` and still tell an expired
token (the user must act) from a passing outage (retry later).
"""

from __future__ import annotations


class ParakeyError(Exception):
    """Base class of every error the client raises."""


class ParakeyAuthError(ParakeyError):
    """The token was refused (401) or is not allowed to do this (403)."""

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
