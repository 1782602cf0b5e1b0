"""How a failed Parakey request reaches the user: one translated message per kind.

The coordinator, set-up, the repair issue and every action translate client
errors here, so "Parakey refused the token" or "wait 60 seconds" reads the same
wherever it appears.
"""

from __future__ import annotations

import math
from typing import Final

from homeassistant.exceptions import HomeAssistantError

from .api import ParakeyAuthError, ParakeyError, ParakeyRateLimitedError
from .const import DOMAIN

# Parakey asks for at least a minute between requests: the wait to assume when a
# 429 names none.
DEFAULT_RETRY_AFTER: Final = 60


def retry_after_seconds(err: ParakeyRateLimitedError) -> int:
    """The whole seconds Parakey asked to wait; never 0, never unknown."""
    if err.retry_after is None:
        return DEFAULT_RETRY_AFTER
    return max(1, math.ceil(err.retry_after))


def describe(err: ParakeyError, title: str) -> tuple[str, dict[str, str]]:
    """The translation key and placeholders (under ``exceptions``) for ``err``."""
    if isinstance(err, ParakeyAuthError):
        return "invalid_auth", {"title": title}
    if isinstance(err, ParakeyRateLimitedError):
        return "rate_limited", {"seconds": str(retry_after_seconds(err))}
    return "request_failed", {"error": str(err)}


def translated[E: HomeAssistantError](
    err: ParakeyError, title: str, kind: type[E]
) -> E:
    """``err`` as a translated Home Assistant exception of type ``kind``."""
    key, placeholders = describe(err, title)
    return kind(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )
