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
    ParakeyBatchTimeoutError,
    ParakeyConnectionError,
    ParakeyError,
    ParakeyInvalidResponseError,
    ParakeyKeyNotAllowedError,
    ParakeyNotFoundError,
    ParakeyRateLimitedError,
    ParakeyServerError,
    ParakeyValidationError,
)
from .key_requests import AccessRef
from .keys import Access, AccessKey, Batch, BatchItem
from .keys_api import AccessKeyPage, KeysApi
from .models import (
    Door,
    EventLog,
    Place,
    format_datetime,
    parse_datetime,
    shape_of,
)
from .poller import EventLogPoller, PollerState, PollResult
from .seen import SeenLogs
from .webhook_payload import (
    WebhookKind,
    classify_webhook_payload,
    parse_webhook_payload,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "ORDER_ASC",
    "ORDER_DESC",
    "TOKEN_HEADER",
    "Access",
    "AccessKey",
    "AccessKeyPage",
    "AccessRef",
    "Batch",
    "BatchItem",
    "Door",
    "EventLog",
    "EventLogPage",
    "EventLogPoller",
    "KeysApi",
    "ParakeyAuthError",
    "ParakeyBatchTimeoutError",
    "ParakeyClient",
    "ParakeyConnectionError",
    "ParakeyError",
    "ParakeyInvalidResponseError",
    "ParakeyKeyNotAllowedError",
    "ParakeyNotFoundError",
    "ParakeyRateLimitedError",
    "ParakeyServerError",
    "ParakeyValidationError",
    "Place",
    "PollResult",
    "PollerState",
    "SeenLogs",
    "WebhookKind",
    "classify_webhook_payload",
    "format_datetime",
    "parse_datetime",
    "parse_webhook_payload",
    "shape_of",
]
