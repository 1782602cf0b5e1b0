"""Tell an unlock from a batch in a webhook body.

Parakey's "Unlock event" and "Batch completed" webhooks may post to the same
URL, and ``EventLog.from_api`` needs only an ``id`` and a ``createdAt``, which a
batch may carry too. A batch read as an unlock would fire a phantom unlock, so
the rule is explicit and a batch wins every tie:

1. Not a JSON object: neither (``None``).
2. A **batch** when any of these holds:
   a. ``items`` or ``results`` is a list (a batch's per-item results; an
      event log has no list of results);
   b. it has a ``batchId``, or its ``type``/``object``/``kind`` is ``batch``
      in any case;
   c. it names no lock (``device``, ``eventConfiguration``, ``deviceId``,
      ``eventConfigurationId``) and has no ``timestamp``, yet has a ``status``:
      every unlock has a lock and a time, a batch has a status.
3. Otherwise an **event log** when ``EventLog.from_api`` accepts it.
4. Otherwise neither.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from .keys import Batch
from .models import EventLog

type WebhookKind = Literal["event_log", "batch"]

_LOCK_KEYS: Final = ("device", "eventConfiguration", "deviceId", "eventConfigurationId")
_KIND_KEYS: Final = ("type", "object", "kind")


def _is_batch(data: dict[str, Any]) -> bool:
    if any(isinstance(data.get(key), list) for key in ("items", "results")):
        return True
    if data.get("batchId") is not None:
        return True
    if any(
        isinstance(data.get(key), str) and data[key].strip().casefold() == "batch"
        for key in _KIND_KEYS
    ):
        return True
    names_lock = any(data.get(key) is not None for key in _LOCK_KEYS)
    return (
        not names_lock
        and data.get("timestamp") is None
        and data.get("status") is not None
    )


def classify_webhook_payload(data: Any) -> WebhookKind | None:
    """``"event_log"``, ``"batch"`` or None for a parsed webhook body."""
    if not isinstance(data, dict):
        return None
    if _is_batch(data):
        return "batch"
    if EventLog.from_api(data) is not None:
        return "event_log"
    return None


def parse_webhook_payload(data: Any) -> EventLog | Batch | None:
    """The body as the EventLog or Batch it is, by ``classify_webhook_payload``."""
    match classify_webhook_payload(data):
        case "batch":
            return Batch.from_api(data)
        case "event_log":
            return EventLog.from_api(data)
    return None
