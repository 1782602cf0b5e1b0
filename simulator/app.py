"""A local Parakey cloud: the public API, a control API, faults and stats."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
import hashlib
import inspect
import json
import logging
from typing import Any, Final

from aiohttp import web

from .batches import BatchRunner
from .demo import DemoRunner
from .key_api import KeyEndpoints, Plumbing
from .keys import KeyStore
from .state import Clock, PlaceState, generated_name, iso, parse_iso
from .webhook import BatchWebhook, WebhookDelivery

_LOGGER = logging.getLogger(__name__)

TOKEN_HEADER: Final = "access-token"  # noqa: S105 - a header name
DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 500
# Bounds of the bulk control calls (benchmarks: 50 doors, 1,000 people, a year).
MAX_BULK_DOORS: Final = 1000
MAX_BULK_USERS: Final = 10_000
MAX_HISTORY: Final = 1_000_000
FAULT_KINDS: Final = frozenset(
    {
        "server_error",
        "rate_limit",
        "timeout",
        "malformed",
        "wrong_shape",
        "unauthorized",
        "forbidden",
        "not_found",
    }
)
# "Unlock event" and "Batch completed", the two webhook types Parakey offers.
WEBHOOK_TYPES: Final = ("unlock", "batch_completed")

type RequestHook = Callable[[web.Request], Awaitable[None] | None]


@dataclass(slots=True)
class Fault:
    """One armed failure for the next public request."""

    kind: str
    # None: a 429 without a Retry-After header.
    retry_after: int | None = 30
    delay: float = 30.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ParakeySimulator:
    """The Parakey cloud of one place, served by ``self.app``."""

    def __init__(
        self,
        token: str = "demo",  # noqa: S107 - the simulator's demo token
        *,
        place_id: str = "dom_1",
        place_name: str = "Home",
        legacy: bool = False,
        devices_endpoint: bool = True,
        time_scale: float = 1.0,
        clock: Clock | None = None,
    ) -> None:
        """Start with two doors, two people, two keys and who holds which.

        "Family" is not enabled for the API; "Guest" (alias id ``ha-guest``)
        is, and nobody holds it yet.
        """
        self.token = token
        self.devices_endpoint = devices_endpoint
        self.clock: Clock = clock or _utcnow
        self.place = PlaceState(place_id=place_id, place_name=place_name, legacy=legacy)
        self.webhook = WebhookDelivery(time_scale=time_scale)
        self.batch_webhook = BatchWebhook(time_scale=time_scale)
        self.keys = KeyStore(self.place)
        self.batches = BatchRunner(
            self.keys,
            self.clock,
            time_scale=time_scale,
            on_complete=self.batch_webhook.announce,
        )
        self.add_door("dev_1", "Front door")
        self.add_door("dev_2", "Back door")
        self.add_user("usr_1", "Alice Andersson", "alice@example.com")
        self.add_user("usr_2", "Bob Berg", "bob@example.com")
        self.add_access("acc_1", "Family")
        self.add_access("acc_2", "Guest", api_enabled=True, alias_id="ha-guest")
        self.keys.add_key("acc_1", "usr_1")
        self.keys.add_key("acc_1", "usr_2")
        self._faults: deque[Fault] = deque()
        self._hooks: list[RequestHook] = []
        self._etag_salt = 0
        self._demo = DemoRunner(self)
        self.reset_stats()
        self.app = web.Application(client_max_size=256 * 1024)
        self.app.router.add_get("/eventLogs", self._event_logs)
        self.app.router.add_get("/eventLogs/{log_id}", self._event_log)
        self.app.router.add_get("/devices", self._devices)
        self.app.router.add_get("/eventConfigurations", self._devices)
        self.app.router.add_get("/domains", self._domains)
        self.app.router.add_post("/_sim/unlocks", self._control_unlock)
        self.app.router.add_post("/_sim/doors", self._control_door)
        self.app.router.add_post("/_sim/users", self._control_user)
        self.app.router.add_post("/_sim/history", self._control_history)
        self.app.router.add_post("/_sim/faults", self._control_fault)
        self.app.router.add_post("/_sim/etag/bump", self._control_bump)
        self.app.router.add_get("/_sim/stats", self._control_stats)
        self.app.router.add_post("/_sim/stats/reset", self._control_reset_stats)
        self.app.router.add_put("/_sim/webhook", self._control_webhook)
        self.app.router.add_delete("/_sim/webhook", self._control_webhook_delete)
        self.app.router.add_get("/_sim/webhook/deliveries", self._control_deliveries)
        self.key_api = KeyEndpoints(
            self.keys,
            self.batches,
            Plumbing(self._guard, self._respond, self._plain, self._json_object),
        )
        self.key_api.register(self.app.router)

    # ----- Python API -----

    def add_door(self, door_id: str, name: str) -> dict[str, Any]:
        """Add (or rename) a lock."""
        self.place.doors[door_id] = name
        return self._door_json(door_id)

    def add_user(
        self, user_id: str, name: str, email: str | None = None
    ) -> dict[str, Any]:
        """Add (or rename) a person."""
        self.place.users[user_id] = (name, email)
        return {"id": user_id, "name": name, "email": email}

    def add_doors(
        self,
        count: int,
        *,
        prefix: str = "dev_",
        name: str = "Door",
        replace: bool = False,
    ) -> list[str]:
        """Add (or rename) doors ``{prefix}1`` .. ``{prefix}{count}``, "Door 1" ...

        ``replace`` removes every other door first; refused (ValueError) when
        one of those has logs.
        """
        ids = [f"{prefix}{n}" for n in range(1, count + 1)]
        if replace:
            wanted = set(ids)
            gone = {door for door in self.place.doors if door not in wanted}
            if used := sorted(gone & {log.door_id for log in self.place.logs}):
                raise ValueError(f"door {used[0]!r} has logs")
            for door in gone:
                del self.place.doors[door]
        for n, door_id in enumerate(ids, 1):
            self.add_door(door_id, f"{name} {n}")
        return ids

    def add_users(self, count: int, *, prefix: str = "usr_") -> list[str]:
        """Add (or rename) people ``{prefix}1`` .. ``{prefix}{count}``, named apart."""
        ids = [f"{prefix}{n}" for n in range(1, count + 1)]
        for index, user_id in enumerate(ids):
            self.add_user(user_id, generated_name(index), f"{user_id}@example.com")
        return ids

    def add_history(
        self,
        count: int,
        *,
        days: float = 365.0,
        end: datetime | None = None,
        door_ids: list[str] | None = None,
        user_ids: list[str] | None = None,
    ) -> dict[str, Any]:
        """``count`` past unlocks spread over the ``days`` before ``end`` (now).

        Random doors and people (every one by default), key ``acc_1``; stored
        only: the webhook does not deliver history.
        """
        end = end or self.clock()
        logs = self.place.add_history(
            count,
            start=end - timedelta(days=days),
            end=end,
            door_ids=sorted(self.place.doors) if door_ids is None else door_ids,
            user_ids=sorted(self.place.users) if user_ids is None else user_ids,
            access_id="acc_1" if "acc_1" in self.place.accesses else None,
        )
        return {
            "created": count,
            "first": logs[0].id,
            "last": logs[-1].id,
            "from": iso(logs[0].created_at),
            "to": iso(logs[-1].created_at),
        }

    def add_access(
        self,
        access_id: str,
        name: str,
        *,
        api_enabled: bool = False,
        alias_id: str | None = None,
    ) -> dict[str, Any]:
        """Add (or change) a key, which Parakey calls an Access."""
        return self.keys.add_access(
            access_id, name, api_enabled=api_enabled, alias_id=alias_id
        )

    def create_unlock(
        self,
        door_id: str = "dev_1",
        user_id: str | None = "usr_1",
        *,
        access_id: str | None = "acc_1",
        timestamp: datetime | None = None,
        created_at: datetime | None = None,
        log_type: str = "unlock",
        erase_user: bool = False,
    ) -> dict[str, Any]:
        """Store an unlock, start its webhook delivery, return its JSON."""
        log = self.place.add(
            self.clock,
            door_id,
            None if erase_user else user_id,
            access_id=access_id,
            timestamp=timestamp,
            created_at=created_at,
            log_type=log_type,
        )
        data = self.place.render(log)
        self.webhook.deliver(data)
        return data

    @property
    def logs(self) -> list[dict[str, Any]]:
        """Every log as the API renders it, oldest first."""
        return [self.place.render(log) for log in self.place.logs]

    def inject_fault(
        self,
        kind: str,
        count: int = 1,
        *,
        retry_after: int | None = 30,
        delay: float = 30.0,
    ) -> None:
        """Make the next ``count`` public requests fail as ``kind``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}")
        for _ in range(count):
            self._faults.append(Fault(kind, retry_after, delay))

    def bump_etag(self) -> None:
        """Change every ETag without changing data (as a cloud deploy does)."""
        self._etag_salt += 1

    def add_request_hook(self, hook: RequestHook) -> Callable[[], None]:
        """Run ``hook`` for each public request just before its data is read."""
        self._hooks.append(hook)
        return lambda: self._hooks.remove(hook)

    @property
    def stats(self) -> dict[str, Any]:
        """Requests, 304s and body bytes served by the public API."""
        return {
            "requests": self._requests,
            "by_path": dict(self._by_path),
            "not_modified": self._status.get("304", 0),
            "bytes_sent": self._bytes_sent,
            "wire_bytes": self._wire_bytes,
            "status": dict(self._status),
        }

    def reset_stats(self) -> None:
        """Start counting afresh."""
        self._requests = 0
        self._bytes_sent = 0
        self._wire_bytes = 0
        self._by_path: dict[str, int] = {}
        self._status: dict[str, int] = {}

    def configure_webhook(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        *,
        enabled: bool = True,
        webhook_type: str = "unlock",
        only_on_item_failures: bool = False,
    ) -> None:
        """Deliver each new log (or each completed batch) to ``url`` with ``headers``.

        ``webhook_type`` is ``"unlock"`` or ``"batch_completed"``; each type has
        its own target, and both may be the same URL, as in My Parakey.
        """
        if webhook_type not in WEBHOOK_TYPES:
            raise ValueError(f"unknown webhook type {webhook_type!r}")
        if webhook_type == "unlock":
            self.webhook.configure(url, headers or {}, enabled=enabled)
            return
        self.batch_webhook.configure(url, headers or {}, enabled=enabled)
        self.batch_webhook.only_on_item_failures = only_on_item_failures

    def disable_webhook(self, webhook_type: str | None = None) -> None:
        """Stop delivering (one type, or both)."""
        if webhook_type is not None and webhook_type not in WEBHOOK_TYPES:
            raise ValueError(f"unknown webhook type {webhook_type!r}")
        if webhook_type in (None, "unlock"):
            self.webhook.disable()
        if webhook_type in (None, "batch_completed"):
            self.batch_webhook.disable()

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        """Every unlock delivery attempt so far."""
        return self.webhook.deliveries

    @property
    def batch_deliveries(self) -> list[dict[str, Any]]:
        """Every "Batch completed" delivery attempt so far (``log_id``: batch id)."""
        return self.batch_webhook.deliveries

    async def wait_deliveries_idle(self) -> None:
        """Wait until no delivery of either type is pending."""
        await self.webhook.wait_idle()
        await self.batch_webhook.wait_idle()

    def settle_batches(self) -> list[str]:
        """Complete the batches that are due by the simulator's clock; their ids."""
        return [batch.id for batch in self.batches.settle()]

    def start_demo(self, interval: float = 25.0, jitter: float = 5.0) -> None:
        """Create random unlocks every ``interval`` +- ``jitter`` seconds."""
        self._demo.start(interval, jitter)

    async def close(self) -> None:
        """Stop background work and release the HTTP client."""
        await self._demo.stop()
        self.batches.close()
        await self.webhook.close()
        await self.batch_webhook.close()

    # ----- public API -----

    def _door_json(self, door_id: str) -> dict[str, Any]:
        return {
            "id": door_id,
            "name": self.place.doors[door_id],
            "domainId": self.place.place_id,
        }

    def _respond(self, request: web.Request, status: int, payload: Any) -> web.Response:
        """Serve JSON with ETag and Date; 304 when the client has it already."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        digest = hashlib.sha256(body + str(self._etag_salt).encode()).hexdigest()[:32]
        headers = {
            "ETag": f'"{digest}"',
            "Date": format_datetime(self.clock(), usegmt=True),
        }
        if status == 200 and request.headers.get("If-None-Match") == headers["ETag"]:
            return self._count(web.Response(status=304, headers=headers), 0)
        return self._count(
            web.Response(
                status=status,
                body=body,
                headers=headers,
                content_type="application/json",
            ),
            len(body),
        )

    def _count(self, response: web.Response, size: int) -> web.Response:
        self._bytes_sent += size
        # Status line, headers (aiohttp adds Server, Content-Length, Connection
        # later; counted at a typical 80 bytes) and body: what the wire carries.
        headers = sum(len(k) + len(v) + 4 for k, v in response.headers.items())
        self._wire_bytes += 17 + headers + 80 + 2 + size
        key = str(response.status)
        self._status[key] = self._status.get(key, 0) + 1
        return response

    async def _guard(self, request: web.Request) -> web.Response | None:
        """Count, check the token, apply an armed fault, run hooks."""
        self._requests += 1
        self._by_path[request.path] = self._by_path.get(request.path, 0) + 1
        if request.headers.get(TOKEN_HEADER) != self.token:
            return self._plain(401, {"message": "Unauthorized"})
        if self._faults:
            fault = self._faults.popleft()
            if (response := await self._apply_fault(fault)) is not None:
                return response
        for hook in list(self._hooks):
            result = hook(request)
            if inspect.isawaitable(result):
                await result
        return None

    async def _apply_fault(self, fault: Fault) -> web.Response | None:
        match fault.kind:
            case "server_error":
                return self._plain(500, {"message": "Internal Server Error"})
            case "rate_limit":
                response = self._plain(429, {"message": "Too Many Requests"})
                if fault.retry_after is not None:
                    response.headers["Retry-After"] = str(fault.retry_after)
                return response
            case "unauthorized":
                return self._plain(401, {"message": "Unauthorized"})
            case "forbidden":
                return self._plain(403, {"message": "Forbidden"})
            case "not_found":
                return self._plain(404, {"message": "Not Found"})
            case "malformed":
                return self._count(
                    web.Response(
                        status=200,
                        text='[{"id": "evl_',
                        content_type="application/json",
                    ),
                    13,
                )
            case "wrong_shape":
                return self._count(web.json_response("not a list"), 12)
        # "timeout": hold the answer longer than any sane client waits.
        await asyncio.sleep(fault.delay)
        return None

    def _plain(self, status: int, payload: Any) -> web.Response:
        body = json.dumps(payload).encode()
        return self._count(
            web.Response(status=status, body=body, content_type="application/json"),
            len(body),
        )

    async def _event_logs(self, request: web.Request) -> web.Response:
        if (denied := await self._guard(request)) is not None:
            return denied
        query = request.query
        try:
            limit = min(int(query.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)
            offset = int(query.get("offset", 0))
            start = parse_iso(query["startDate"]) if "startDate" in query else None
        except ValueError:
            return self._plain(400, {"message": "Bad query"})
        order = query.get("orderBy", "createdAt:DESC")
        if order not in ("createdAt:DESC", "createdAt:ASC") or limit < 0 or offset < 0:
            return self._plain(400, {"message": "Bad query"})
        logs = self.place.query(
            start=start, descending=order.endswith("DESC"), offset=offset, limit=limit
        )
        return self._respond(request, 200, [self.place.render(log) for log in logs])

    async def _event_log(self, request: web.Request) -> web.Response:
        if (denied := await self._guard(request)) is not None:
            return denied
        log = self.place.find(request.match_info["log_id"])
        if log is None:
            return self._plain(404, {"message": "Not Found"})
        return self._respond(request, 200, self.place.render(log))

    async def _devices(self, request: web.Request) -> web.Response:
        if (denied := await self._guard(request)) is not None:
            return denied
        if not self.devices_endpoint:
            return self._plain(404, {"message": "Not Found"})
        return self._respond(
            request, 200, [self._door_json(d) for d in self.place.doors]
        )

    async def _domains(self, request: web.Request) -> web.Response:
        if (denied := await self._guard(request)) is not None:
            return denied
        if not self.devices_endpoint:
            return self._plain(404, {"message": "Not Found"})
        place = self.place
        return self._respond(
            request, 200, [{"id": place.place_id, "name": place.place_name}]
        )

    # ----- control API (loopback tools; no token) -----

    @staticmethod
    async def _json_object(request: web.Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except ValueError as err:
            raise web.HTTPBadRequest(text="body must be JSON") from err
        if not isinstance(data, dict):
            raise web.HTTPBadRequest(text="body must be a JSON object")
        return data

    async def _control_unlock(self, request: web.Request) -> web.Response:
        data = await self._json_object(request)
        if "count" in data:
            return self._bulk_unlocks(data["count"])
        try:
            log = self.create_unlock(
                str(data.get("door_id", "dev_1")),
                data.get("user_id", "usr_1"),
                timestamp=parse_iso(data["timestamp"])
                if data.get("timestamp")
                else None,
                created_at=parse_iso(data["created_at"])
                if data.get("created_at")
                else None,
                erase_user=bool(data.get("erase_user", False)),
            )
        except (TypeError, ValueError, AttributeError) as err:
            raise web.HTTPBadRequest(text=str(err)) from err
        return web.json_response(log, status=201)

    def _bulk_unlocks(self, count: Any) -> web.Response:
        """Many unlocks at once, across every door and person (benchmarks)."""
        if not isinstance(count, int) or not 0 < count <= 100_000:
            raise web.HTTPBadRequest(text="count must be 1..100000")
        doors, users = sorted(self.place.doors), sorted(self.place.users)
        ids = [
            self.create_unlock(doors[i % len(doors)], users[i % len(users)])["id"]
            for i in range(count)
        ]
        return web.json_response({"created": count, "first": ids[0], "last": ids[-1]})

    @staticmethod
    def _bulk_count(data: dict[str, Any], most: int) -> int:
        count = data.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise web.HTTPBadRequest(text=f"count must be 1..{most}")
        if count > most:
            raise web.HTTPBadRequest(text=f"count must be 1..{most}")
        return count

    @staticmethod
    def _text(data: dict[str, Any], key: str, default: str) -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or not value:
            raise web.HTTPBadRequest(text=f"{key} must be a non-empty string")
        return value

    async def _control_door(self, request: web.Request) -> web.Response:
        data = await self._json_object(request)
        if "count" in data:
            count = self._bulk_count(data, MAX_BULK_DOORS)
            try:
                ids = self.add_doors(
                    count,
                    prefix=self._text(data, "prefix", "dev_"),
                    name=self._text(data, "name", "Door"),
                    replace=data.get("replace") is True,
                )
            except ValueError as err:
                raise web.HTTPBadRequest(text=str(err)) from err
            return web.json_response(
                {"created": count, "first": ids[0], "last": ids[-1]}
                | {"doors": len(self.place.doors)},
                status=201,
            )
        if not isinstance(data.get("id"), str) or not isinstance(data.get("name"), str):
            raise web.HTTPBadRequest(text="id and name are required strings")
        return web.json_response(self.add_door(data["id"], data["name"]), status=201)

    async def _control_user(self, request: web.Request) -> web.Response:
        data = await self._json_object(request)
        if "count" in data:
            count = self._bulk_count(data, MAX_BULK_USERS)
            ids = self.add_users(count, prefix=self._text(data, "prefix", "usr_"))
            return web.json_response(
                {"created": count, "first": ids[0], "last": ids[-1]}
                | {"users": len(self.place.users)},
                status=201,
            )
        if not isinstance(data.get("id"), str) or not isinstance(data.get("name"), str):
            raise web.HTTPBadRequest(text="id and name are required strings")
        email = data.get("email")
        return web.json_response(
            self.add_user(
                data["id"], data["name"], email if isinstance(email, str) else None
            ),
            status=201,
        )

    async def _control_history(self, request: web.Request) -> web.Response:
        data = await self._json_object(request)
        count = self._bulk_count(data, MAX_HISTORY)
        days = data.get("days", 365)
        if isinstance(days, bool) or not isinstance(days, int | float) or days <= 0:
            raise web.HTTPBadRequest(text="days must be a positive number")
        chosen: dict[str, list[str] | None] = {}
        for key in ("doors", "users"):
            value = data.get(key)
            if value is not None and (
                not isinstance(value, list)
                or not all(isinstance(item, str) for item in value)
            ):
                raise web.HTTPBadRequest(text=f"{key} must be a list of ids")
            chosen[key] = value
        try:
            end = parse_iso(data["end"]) if data.get("end") else None
            summary = self.add_history(
                count,
                days=float(days),
                end=end,
                door_ids=chosen["doors"],
                user_ids=chosen["users"],
            )
        except (TypeError, ValueError, AttributeError) as err:
            raise web.HTTPBadRequest(text=str(err)) from err
        return web.json_response(summary, status=201)

    async def _control_fault(self, request: web.Request) -> web.Response:
        data = await self._json_object(request)
        try:
            self.inject_fault(
                str(data.get("kind")),
                int(data.get("count", 1)),
                retry_after=(
                    None if (wait := data.get("retry_after", 30)) is None else int(wait)
                ),
                delay=float(data.get("delay", 30.0)),
            )
        except (TypeError, ValueError) as err:
            raise web.HTTPBadRequest(text=str(err)) from err
        return web.json_response({"armed": len(self._faults)})

    async def _control_bump(self, request: web.Request) -> web.Response:
        self.bump_etag()
        return web.json_response({"salt": self._etag_salt})

    async def _control_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats)

    async def _control_reset_stats(self, request: web.Request) -> web.Response:
        self.reset_stats()
        return web.json_response(self.stats)

    async def _control_webhook(self, request: web.Request) -> web.Response:
        data = await self._json_object(request)
        url, headers = data.get("url"), data.get("headers") or {}
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise web.HTTPBadRequest(text="url must be an http(s) URL")
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise web.HTTPBadRequest(text="headers must map strings to strings")
        kind = str(data.get("type", "unlock"))
        try:
            self.configure_webhook(
                url,
                headers,
                enabled=bool(data.get("enabled", True)),
                webhook_type=kind,
                only_on_item_failures=bool(data.get("only_on_item_failures", False)),
            )
        except ValueError as err:
            raise web.HTTPBadRequest(text=str(err)) from err
        if kind == "unlock":
            return web.json_response({"url": url, "enabled": self.webhook.enabled})
        batch = self.batch_webhook
        return web.json_response(
            {"type": kind, "url": url, "enabled": batch.enabled}
            | {"only_on_item_failures": batch.only_on_item_failures}
        )

    async def _control_webhook_delete(self, request: web.Request) -> web.Response:
        try:
            self.disable_webhook(request.query.get("type"))
        except ValueError as err:
            raise web.HTTPBadRequest(text=str(err)) from err
        return web.json_response({"enabled": False})

    async def _control_deliveries(self, request: web.Request) -> web.Response:
        if request.query.get("type") == "batch_completed":
            return web.json_response(self.batch_deliveries)
        return web.json_response(self.deliveries)
