"""A small asyncio client for the Parakey cloud API.

Nothing here imports Home Assistant, so this package could be published on
PyPI as it is.
"""

from .client import (
    DEFAULT_BASE_URL,
    ORDER_ASC,
    ORDER_DESC,
    TOKEN_HEADER,
    EventLogPage,
    ParakeyClient,
)
from .errors import (
    ParakeyAuthError,
    ParakeyConnectionError,
    ParakeyError,
    ParakeyInvalidResponseError,
    ParakeyRateLimitedError,
    ParakeyServerError,
)
from .models import Door, EventLog, Place, format_datetime, parse_datetime
from .poller import EventLogPoller, PollerState, PollResult
from .seen import SeenLogs

__all__ = [
    "DEFAULT_BASE_URL",
    "ORDER_ASC",
    "ORDER_DESC",
    "TOKEN_HEADER",
    "Door",
    "EventLog",
    "EventLogPage",
    "EventLogPoller",
    "ParakeyAuthError",
    "ParakeyClient",
    "ParakeyConnectionError",
    "ParakeyError",
    "ParakeyInvalidResponseError",
    "ParakeyRateLimitedError",
    "ParakeyServerError",
    "Place",
    "PollResult",
    "PollerState",
    "SeenLogs",
    "format_datetime",
    "parse_datetime",
]
