"""The HTTP side of keys and batches: public endpoints and their control calls.

The public endpoints go through the simulator's own guard (token, faults,
hooks, request counting) and answer through its ``respond`` (ETag, ``304``,
byte counts), so they behave like the event-log endpoints in every way but
their data. Every public key request first completes the batches that are due.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web

from .batches import BatchRunner, RequestRefused
from .keys import KeyStore
from .state import parse_iso

ANSWERS: Final = ("batch", "id", "keys")
NOT_FOUND: Final = {"message": "Not Found"}


@dataclass(frozen=True, slots=True)
class Plumbing:
    """The simulator's request helpers the key endpoints share."""

    guard: Callable[[web.Request], Awaitable[web.Response | None]]
    respond: Callable[[web.Request, int, Any], web.Response]
    plain: Callable[[int, Any], web.Response]
    json_object: Callable[[web.Request], Awaitable[dict[str, Any]]]


class KeyEndpoints:
    """Serves ``/accesses``, ``/access-keys`` and ``/batches`` of one place."""

    def __init__(self, store: KeyStore, runner: BatchRunner, http: Plumbing) -> None:
        """Serve ``store`` and ``runner`` through the simulator's ``http`` helpers."""
        self._store = store
        self._runner = runner
        self._http = http
        # What ``POST /access-keys`` answers, since Parakey does not document it.
        self.answer = "batch"

    def register(self, router: web.UrlDispatcher) -> None:
        """Add the public and the control routes."""
        router.add_get("/accesses", self._accesses)
        router.add_get("/access-keys", self._access_keys)
        router.add_post("/access-keys", self._change_keys)
        router.add_get("/batches/{batch_id}", self._batch)
        router.add_post("/_sim/accesses", self._control_access)
        router.add_post("/_sim/access-keys", self._control_add_key)
        router.add_delete("/_sim/access-keys/{key_id}", self._control_remove_key)
        router.add_put("/_sim/keys", self._control_settings)
        router.add_get("/_sim/batches", self._control_batches)
        router.add_post("/_sim/batches/faults", self._control_batch_fault)
        router.add_post("/_sim/batches/settle", self._control_settle)

    def configure(
        self,
        *,
        batch_delay: float | None = None,
        answer: str | None = None,
        accesses_endpoint: bool | None = None,
    ) -> dict[str, Any]:
        """Change how keys behave; returns every setting."""
        if batch_delay is not None:
            if not 0 <= batch_delay <= 86400:
                raise ValueError("batch_delay must be 0..86400 seconds")
            self._runner.batch_delay = float(batch_delay)
        if answer is not None:
            if answer not in ANSWERS:
                raise ValueError(f"answer must be one of {', '.join(ANSWERS)}")
            self.answer = answer
        if accesses_endpoint is not None:
            self._store.accesses_endpoint = accesses_endpoint
        return {
            "batch_delay": self._runner.batch_delay,
            "answer": self.answer,
            "accesses_endpoint": self._store.accesses_endpoint,
        }

    # ----- public API -----

    async def _accesses(self, request: web.Request) -> web.Response:
        if (denied := await self._http.guard(request)) is not None:
            return denied
        if not self._store.accesses_endpoint:
            return self._http.plain(404, NOT_FOUND)
        return self._http.respond(request, 200, self._store.accesses_json())

    async def _access_keys(self, request: web.Request) -> web.Response:
        if (denied := await self._http.guard(request)) is not None:
            return denied
        self._runner.settle()
        place = request.query.get("domainId")
        if not place:
            return self._http.plain(
                400, {"message": "domainId is required", "code": "INVALID_QUERY"}
            )
        if place != self._store.place.place_id:
            return self._http.plain(
                404, {"message": "Domain not found", "code": "DOMAIN_NOT_FOUND"}
            )
        return self._http.respond(request, 200, self._store.keys_json())

    async def _change_keys(self, request: web.Request) -> web.Response:
        if (denied := await self._http.guard(request)) is not None:
            return denied
        self._runner.settle()
        try:
            body = await request.json()
        except ValueError:
            return self._http.plain(
                400, {"message": "body must be JSON", "code": "INVALID_BODY"}
            )
        try:
            batch = self._runner.submit(body)
        except RequestRefused as refused:
            return self._http.plain(refused.status, refused.payload)
        match self.answer:
            case "keys":
                # Done at once: the answer lists the keys made or removed.
                self._runner.complete(batch)
                keys = [change.key for change in batch.changes if change.key]
                return self._http.respond(request, 200, keys)
            case "id":
                return self._http.respond(request, 202, {"id": batch.id})
        return self._http.respond(request, 202, self._runner.render(batch))

    async def _batch(self, request: web.Request) -> web.Response:
        if (denied := await self._http.guard(request)) is not None:
            return denied
        self._runner.settle()
        batch = self._runner.batches.get(request.match_info["batch_id"])
        if batch is None:
            return self._http.plain(404, NOT_FOUND)
        return self._http.respond(request, 200, self._runner.render(batch))

    # ----- control API (no token) -----

    async def _control_access(self, request: web.Request) -> web.Response:
        data = await self._http.json_object(request)
        access_id, name = data.get("id"), data.get("name")
        alias, enabled = data.get("alias_id"), data.get("api_enabled", False)
        if not isinstance(access_id, str) or not isinstance(name, str):
            raise web.HTTPBadRequest(text="id and name are required strings")
        if alias is not None and not isinstance(alias, str):
            raise web.HTTPBadRequest(text="alias_id must be a string")
        if not isinstance(enabled, bool):
            raise web.HTTPBadRequest(text="api_enabled must be true or false")
        access = self._store.add_access(
            access_id, name, api_enabled=enabled, alias_id=alias
        )
        return web.json_response(access, status=201)

    async def _control_add_key(self, request: web.Request) -> web.Response:
        data = await self._http.json_object(request)
        try:
            key = self._store.add_key(
                str(data.get("access_id")),
                str(data.get("user_id")),
                parse_iso(data["start"]) if data.get("start") else None,
                parse_iso(data["end"]) if data.get("end") else None,
            )
        except (TypeError, ValueError, AttributeError) as err:
            raise web.HTTPBadRequest(text=str(err)) from err
        return web.json_response(key, status=201)

    async def _control_remove_key(self, request: web.Request) -> web.Response:
        key = self._store.remove_key(request.match_info["key_id"])
        if key is None:
            raise web.HTTPNotFound(text="no such key")
        return web.json_response(key)

    async def _control_settings(self, request: web.Request) -> web.Response:
        data = await self._http.json_object(request)
        delay, answer = data.get("batch_delay"), data.get("answer")
        endpoint = data.get("accesses_endpoint")
        if delay is not None and (
            isinstance(delay, bool) or not isinstance(delay, int | float)
        ):
            raise web.HTTPBadRequest(text="batch_delay must be a number")
        if answer is not None and not isinstance(answer, str):
            raise web.HTTPBadRequest(text="answer must be a string")
        if endpoint is not None and not isinstance(endpoint, bool):
            raise web.HTTPBadRequest(text="accesses_endpoint must be true or false")
        try:
            settings = self.configure(
                batch_delay=delay, answer=answer, accesses_endpoint=endpoint
            )
        except ValueError as err:
            raise web.HTTPBadRequest(text=str(err)) from err
        return web.json_response(settings)

    async def _control_batches(self, request: web.Request) -> web.Response:
        return web.json_response(
            [self._runner.render(batch) for batch in self._runner.batches.values()]
        )

    async def _control_batch_fault(self, request: web.Request) -> web.Response:
        data = await self._http.json_object(request)
        try:
            armed = self._runner.inject_fault(
                str(data.get("kind")), int(data.get("count", 1))
            )
        except (TypeError, ValueError) as err:
            raise web.HTTPBadRequest(text=str(err)) from err
        return web.json_response({"armed": armed})

    async def _control_settle(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"completed": [batch.id for batch in self._runner.settle()]}
        )
