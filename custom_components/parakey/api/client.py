"""An asyncio client for the Parakey cloud API.

It knows HTTP and Parakey, nothing of Home Assistant: the aiohttp session is
injected, so Home Assistant can share its own and tests can use any.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
import json
import logging
from typing import Any, Final

import aiohttp

from .errors import (
    ParakeyAuthError,
    ParakeyConnectionError,
    ParakeyInvalidResponseError,
    ParakeyKeyNotAllowedError,
    ParakeyNotFoundError,
    ParakeyRateLimitedError,
    ParakeyServerError,
    ParakeyValidationError,
)
from .keys_api import KeysApi
from .models import Door, EventLog, Place, format_datetime, parse_list, shape_of

_LOGGER = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://api.parakey.co"
TOKEN_HEADER: Final = "access-token"  # noqa: S105 - a header name
DEFAULT_TIMEOUT: Final = 20.0
ORDER_DESC: Final = "createdAt:DESC"
ORDER_ASC: Final = "createdAt:ASC"
# A wrong base URL can point at anything; never read an unbounded body into memory.
MAX_BODY_BYTES: Final = 16 * 1024 * 1024
# An error answer is read only for its short reason.
MAX_REASON_BYTES: Final = 4096


@dataclass(frozen=True, slots=True)
class Response:
    """What a request returned, before interpretation."""

    status: int
    etag: str | None
    server_time: datetime | None
    body: Any = None


@dataclass(frozen=True, slots=True)
class EventLogPage:
    """One answer of ``GET /eventLogs``."""

    not_modified: bool
    etag: str | None
    server_time: datetime | None
    logs: tuple[EventLog, ...] = ()
    # Items in the answer, usable or not: a page is "short" by this count,
    # otherwise one damaged log would end paging early.
    item_count: int = 0
    ids: frozenset[str] = field(default_factory=frozenset)


def _server_time(headers: Mapping[str, str]) -> datetime | None:
    value = headers.get("Date")
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 86400 else None


class ParakeyClient:
    """Talks to one Parakey manual integration with its access token."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        request_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Use ``session`` for every request; the caller owns its lifetime."""
        self._session = session
        self._token = token
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self.request_count = 0
        self.unreadable_door_shape: Any = None
        # The key and batch calls live beside, on this client's request path.
        self.keys = KeysApi(self)

    @property
    def base_url(self) -> str:
        """The API root this client talks to."""
        return self._base_url

    async def request(
        self,
        path: str,
        *,
        method: str = "GET",
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        etag: str | None = None,
        optional: bool = False,
        key_endpoint: bool = False,
    ) -> Response:
        """Send one request and map every failure onto the ParakeyError hierarchy.

        With ``optional`` a 404/405 answers ``Response(status=404)`` instead of
        raising: some endpoints do not exist on every API version. With
        ``key_endpoint`` a 403 refuses a key, not the token
        (``ParakeyKeyNotAllowedError``, never reauthentication), a 404 is
        ``ParakeyNotFoundError`` and a 400/422 ``ParakeyValidationError``.
        """
        headers = {TOKEN_HEADER: self._token, "Accept": "application/json"}
        if etag:
            headers["If-None-Match"] = etag
        self.request_count += 1
        try:
            async with self._session.request(
                method,
                f"{self._base_url}{path}",
                params=params,
                json=json_body,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as resp:
                meta = (resp.headers.get("ETag"), _server_time(resp.headers))
                status = resp.status
                if status == 304:
                    return Response(304, *meta)
                if status == 401 or (status == 403 and not key_endpoint):
                    raise ParakeyAuthError(status)
                if status == 403:
                    raise ParakeyKeyNotAllowedError(path)
                if status == 429:
                    raise ParakeyRateLimitedError(_retry_after(resp.headers))
                if status >= 500:
                    raise ParakeyServerError(status)
                if optional and status in (404, 405):
                    return Response(404, *meta)
                if key_endpoint and status == 404:
                    raise ParakeyNotFoundError(path)
                if key_endpoint and status in (400, 422):
                    raw = await resp.content.read(MAX_REASON_BYTES)
                    raise ParakeyValidationError.from_body(status, raw)
                if status not in ((200,) if method == "GET" else (200, 201, 202, 204)):
                    raise ParakeyInvalidResponseError(
                        f"Unexpected HTTP {status} from {path}"
                    )
                raw = await resp.content.read(MAX_BODY_BYTES + 1)
        except TimeoutError as err:
            raise ParakeyConnectionError(
                f"Timeout talking to Parakey ({path})"
            ) from err
        except aiohttp.ClientError as err:
            raise ParakeyConnectionError(
                f"Cannot reach Parakey ({path}): {type(err).__name__}"
            ) from err
        if len(raw) > MAX_BODY_BYTES:
            raise ParakeyInvalidResponseError(f"Answer of {path} is too large")
        if method != "GET" and not raw.strip():
            # A change may be acknowledged with no body at all (204).
            return Response(status, *meta)
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as err:
            raise ParakeyInvalidResponseError(f"Answer of {path} is not JSON") from err
        return Response(status, *meta, body=body)

    async def list_event_logs(
        self,
        *,
        limit: int | None = None,
        offset: int | None = None,
        start_date: datetime | None = None,
        order_by: str | None = ORDER_DESC,
        etag: str | None = None,
    ) -> EventLogPage:
        """``GET /eventLogs``; a 304 for ``etag`` gives ``not_modified=True``."""
        params: dict[str, str] = {}
        if limit is not None:
            params["limit"] = str(limit)
        if offset:
            params["offset"] = str(offset)
        if start_date is not None:
            params["startDate"] = format_datetime(start_date)
        if order_by:
            params["orderBy"] = order_by
        resp = await self.request("/eventLogs", params=params, etag=etag)
        if resp.status == 304:
            return EventLogPage(
                not_modified=True, etag=resp.etag or etag, server_time=resp.server_time
            )
        items = parse_list(resp.body)
        if items is None:
            raise ParakeyInvalidResponseError("Event logs answer is not a list")
        logs = tuple(log for item in items if (log := EventLog.from_api(item)))
        return EventLogPage(
            not_modified=False,
            etag=resp.etag,
            server_time=resp.server_time,
            logs=logs,
            item_count=len(items),
            ids=frozenset(log.id for log in logs),
        )

    async def get_event_log(self, log_id: str) -> EventLog | None:
        """``GET /eventLogs/{id}``; None when it does not exist or is unusable."""
        resp = await self.request(f"/eventLogs/{log_id}", optional=True)
        return None if resp.status == 404 else EventLog.from_api(resp.body)

    async def list_doors(self) -> list[Door] | None:
        """The locks of the place, or None when no endpoint lists them."""
        for path in ("/devices", "/eventConfigurations"):
            resp = await self.request(path, optional=True)
            if resp.status == 404:
                continue
            items = parse_list(resp.body)
            if items is None:
                raise ParakeyInvalidResponseError(f"Answer of {path} is not a list")
            doors = [door for item in items if (door := Door.from_api(item))]
            unread = [item for item in items if Door.from_api(item) is None]
            # Kept for a bug report: what a lock looked like that had no id.
            self.unreadable_door_shape = shape_of(unread[0]) if unread else None
            return doors
        return None

    async def list_places(self) -> list[Place] | None:
        """The domains this token sees, or None when the endpoint is missing."""
        resp = await self.request("/domains", optional=True)
        if resp.status == 404:
            return None
        items = parse_list(resp.body)
        if items is None:
            raise ParakeyInvalidResponseError("Answer of /domains is not a list")
        return [place for item in items if (place := Place.from_api(item))]
