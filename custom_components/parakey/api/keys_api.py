"""The key (Access) and batch calls of the Parakey API.

They share the client's one request path, so tokens, timeouts and the error
mapping are the same as for the event log; only the key endpoints' own
meanings differ (a 403 refuses a key, not the token).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
import logging
from typing import TYPE_CHECKING, Final

from .errors import (
    ParakeyBatchTimeoutError,
    ParakeyConnectionError,
    ParakeyInvalidResponseError,
    ParakeyRateLimitedError,
    ParakeyServerError,
)
from .key_requests import (
    ACCESS_KEYS_PATH,
    ACCESSES_PATH,
    DELETE,
    INSERT,
    PLACE_QUERY,
    AccessRef,
    batch_path,
    grant_body,
    read_change_answer,
    revoke_body,
)
from .keys import Access, AccessKey, Batch, parse_access_keys
from .models import parse_list

if TYPE_CHECKING:
    from .client import ParakeyClient

_LOGGER = logging.getLogger(__name__)

type Sleep = Callable[[float], Awaitable[object]]
type AccessLike = Access | AccessRef | str

DEFAULT_BATCH_WAIT: Final = 30.0
DEFAULT_BATCH_INTERVAL: Final = 0.5
MAX_BATCH_INTERVAL: Final = 4.0
# A passing outage while following a batch says nothing about the batch; the
# wait goes on until its deadline.
_TRANSIENT: Final = (
    ParakeyConnectionError,
    ParakeyRateLimitedError,
    ParakeyServerError,
)


@dataclass(frozen=True, slots=True)
class AccessKeyPage:
    """One answer of ``GET /access-keys``."""

    not_modified: bool
    etag: str | None
    server_time: datetime | None
    keys: tuple[AccessKey, ...] = ()
    # Items in the answer, usable or not.
    item_count: int = 0


class KeysApi:
    """Lists, grants and revokes keys, and follows the batches that do it."""

    def __init__(self, client: ParakeyClient) -> None:
        """Send every request through ``client``."""
        self._client = client

    async def list_accesses(self) -> list[Access] | None:
        """The Accesses (keys) of the place, or None when no endpoint lists them.

        Parakey documents no such endpoint; without it a caller learns the
        Accesses from the keys and the event log.
        """
        resp = await self._client.request(
            ACCESSES_PATH, optional=True, key_endpoint=True
        )
        if resp.status == 404:
            return None
        items = parse_list(resp.body)
        if items is None:
            raise ParakeyInvalidResponseError(
                f"Answer of {ACCESSES_PATH} is not a list"
            )
        return [access for item in items if (access := Access.from_api(item))]

    async def list_access_keys(
        self, place_id: str, etag: str | None = None
    ) -> AccessKeyPage:
        """Who holds which key in ``place_id``; a 304 gives ``not_modified=True``."""
        resp = await self._client.request(
            ACCESS_KEYS_PATH,
            params={PLACE_QUERY: place_id},
            etag=etag,
            key_endpoint=True,
        )
        if resp.status == 304:
            return AccessKeyPage(
                not_modified=True, etag=resp.etag or etag, server_time=resp.server_time
            )
        parsed = parse_access_keys(resp.body)
        if parsed is None:
            raise ParakeyInvalidResponseError(
                f"Answer of {ACCESS_KEYS_PATH} is not a list"
            )
        keys, count = parsed
        return AccessKeyPage(
            not_modified=False,
            etag=resp.etag,
            server_time=resp.server_time,
            keys=tuple(keys),
            item_count=count,
        )

    async def grant_key(
        self,
        access: AccessLike,
        email: str,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Batch:
        """Give ``email`` the key ``access``, from ``start`` until ``end``.

        Returns the batch as Parakey first answered it: maybe done already,
        maybe pending (then ``wait_for_batch``). The person must already be
        known to the place; otherwise the batch's item fails.
        """
        ref = AccessRef.of(access)
        return await self._change(
            INSERT, ref, email, grant_body(ref, email, start, end)
        )

    async def revoke_key(self, access: AccessLike, email: str) -> Batch:
        """Take the key ``access`` from ``email``; returns the batch like grant_key."""
        ref = AccessRef.of(access)
        return await self._change(DELETE, ref, email, revoke_body(ref, email))

    async def _change(
        self, operation: str, ref: AccessRef, email: str, body: dict[str, object]
    ) -> Batch:
        resp = await self._client.request(
            ACCESS_KEYS_PATH, method="POST", json_body=body, key_endpoint=True
        )
        batch = read_change_answer(resp.body, operation, ref, email)
        if batch is None:
            raise ParakeyInvalidResponseError(
                f"Answer of POST {ACCESS_KEYS_PATH} is neither a batch nor keys"
            )
        return batch

    async def get_batch(self, batch_id: str) -> Batch:
        """``GET /batches/{id}``; ``ParakeyNotFoundError`` when there is none."""
        path = batch_path(batch_id)
        resp = await self._client.request(path, key_endpoint=True)
        batch = Batch.from_api(resp.body)
        if batch is None:
            raise ParakeyInvalidResponseError(f"Answer of {path} is not a batch")
        if batch.id is None:
            # The id was in the path; an answer that leaves it out is still this one.
            return replace(batch, id=batch_id)
        return batch

    async def wait_for_batch(
        self,
        batch: Batch | str,
        *,
        max_wait: float = DEFAULT_BATCH_WAIT,
        interval: float = DEFAULT_BATCH_INTERVAL,
        max_interval: float = MAX_BATCH_INTERVAL,
        sleep: Sleep = asyncio.sleep,
    ) -> Batch:
        """Poll ``GET /batches/{id}`` until the batch is done; return it.

        A done batch is returned as it is, failed items included: look at
        ``failed``. The waits between polls start at ``interval`` and double up
        to ``max_interval``; once they add up to ``max_wait`` the wait ends with
        ``ParakeyBatchTimeoutError`` carrying the last state seen. The deadline
        counts the waits, not the clock, so an injected ``sleep`` (a test's, or
        one that returns early when a "Batch completed" webhook arrives) keeps
        it bounded. Passing outages are retried until then; a 401, 403 or 404
        ends the wait at once.
        """
        current = batch if isinstance(batch, Batch) else Batch(id=batch)
        waited = 0.0
        delay = interval
        while not current.done:
            if current.id is None or waited >= max_wait:
                raise ParakeyBatchTimeoutError(current)
            step = min(delay, max_wait - waited)
            await sleep(step)
            waited += step
            delay = min(delay * 2, max_interval)
            try:
                current = await self.get_batch(current.id)
            except _TRANSIENT as err:
                _LOGGER.debug("Batch %s not readable yet: %s", current.id, err)
        return current
