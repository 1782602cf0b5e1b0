"""Constants of the Parakey integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "parakey"
LOGGER = logging.getLogger(__package__)
MANUFACTURER: Final = "Parakey"

CONF_BASE_URL: Final = "base_url"
CONF_ADVANCED: Final = "advanced"
CONF_POLL_INTERVAL: Final = "poll_interval"
CONF_MAX_EVENT_AGE: Final = "max_event_age"
CONF_WEBHOOK_ENABLED: Final = "webhook_enabled"
CONF_WEBHOOK_USERNAME: Final = "webhook_username"
CONF_WEBHOOK_PASSWORD: Final = "webhook_password"  # noqa: S105 - a key name
CONF_CLOUDHOOK_URL: Final = "cloudhook_url"
# Options: {Parakey user id: person entity id}; presence from unlocks.
CONF_PEOPLE: Final = "people"
CONF_PRESENCE: Final = "presence"
CONF_PRESENCE_MINUTES: Final = "presence_minutes"
# Home Assistant 2026.7+: the zone an unlock puts the person in.
CONF_PRESENCE_ZONE: Final = "presence_zone"
DEFAULT_PRESENCE_ZONE: Final = "zone.home"
DEFAULT_PRESENCE_MINUTES: Final = 10
MAX_PRESENCE_MINUTES: Final = 120

# Parakey asks integrations not to poll more often than once a minute.
DEFAULT_POLL_INTERVAL: Final = 60
MIN_POLL_INTERVAL: Final = 60
MAX_POLL_INTERVAL: Final = 3600
DEFAULT_MAX_EVENT_AGE: Final = 10
MAX_MAX_EVENT_AGE: Final = 24 * 60

EVENT_UNLOCK: Final = "parakey_unlock"
# A key given or taken from Home Assistant (the audit trail).
EVENT_KEY_CHANGED: Final = "parakey_key_changed"
EVENT_TYPE_UNLOCKED: Final = "unlocked"
SOURCE_POLL: Final = "poll"
SOURCE_WEBHOOK: Final = "webhook"

# Unique id of an entry whose place is not known yet (no /domains, no log).
TOKEN_UNIQUE_ID_PREFIX: Final = "token-"  # noqa: S105 - not a secret
# How far back setup looks for doors when Parakey has no /devices endpoint.
DOOR_DISCOVERY_WINDOW: Final = timedelta(days=30)
DOOR_DISCOVERY_MAX_PAGES: Final = 10
# How long ingest waits for the entities of a door it just discovered.
NEW_DOOR_ENTITY_TIMEOUT: Final = 10.0
RECENT_LOGS: Final = 20
INGEST_CHUNK: Final = 100
# Seconds one request to Parakey may take; well under the poll interval.
REQUEST_TIMEOUT = 20.0
# A polled log older than this that no push brought counts as missed by the
# webhook; this many in a row raise the "webhook not delivering" repair issue.
WEBHOOK_MISSED_GRACE: Final = timedelta(minutes=2)
WEBHOOK_MISSED_THRESHOLD: Final = 3
