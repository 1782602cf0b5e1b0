"""Set up a fresh Home Assistant as a new owner would, over its HTTP APIs.

Onboards a demo owner, adds Parakey through the real config flow against
the simulator, switches the webhook on through the options flow and points
the simulator's webhook delivery at it, and saves a door-activity dashboard.
Idempotent: on an onboarded instance it only logs in and checks the entry.

Usage: python scripts/demo_setup.py [--ha URL] [--sim URL] [--token TOKEN]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
from typing import Any

import aiohttp

USERNAME = "demo"
PASSWORD = "parakey-demo"  # a throwaway local demo account, printed on purpose


class HomeAssistant:
    """A tiny client for the REST and websocket APIs."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url.rstrip("/")
        self.client_id = f"{self.url}/"
        self.token = ""
        self.refresh_token = ""
        self._ids = itertools.count(1)

    async def wait_until_up(self, seconds: float = 180) -> None:
        for _ in range(int(seconds * 2)):
            try:
                async with self.session.get(f"{self.url}/api/onboarding") as resp:
                    if resp.status in (200, 401, 404):
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
        sys.exit(f"Home Assistant did not answer at {self.url}")

    async def login(self, *, default_integrations: bool = True) -> None:
        """Onboard the demo owner, or log in as it once onboarding is done.

        ``default_integrations=False`` leaves out the core_config step, which sets
        up Home Assistant's own picks (met, radio_browser, google_translate,
        shopping_list) and installs their requirements.
        """
        async with self.session.get(f"{self.url}/api/onboarding") as resp:
            steps = await resp.json() if resp.status == 200 else []
        if any(s["step"] == "user" and not s["done"] for s in steps):
            async with self.session.post(
                f"{self.url}/api/onboarding/users",
                json={
                    "client_id": self.client_id,
                    "name": "Demo Owner",
                    "username": USERNAME,
                    "password": PASSWORD,
                    "language": "en",
                },
            ) as resp:
                code = (await resp.json())["auth_code"]
        else:
            code = await self._login_flow()
        async with self.session.post(
            f"{self.url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
        ) as resp:
            tokens = await resp.json()
            self.token = tokens["access_token"]
            self.refresh_token = tokens.get("refresh_token", "")
        for step, body in (
            *((("core_config", {}),) if default_integrations else ()),
            ("analytics", {}),
            (
                "integration",
                {"client_id": self.client_id, "redirect_uri": self.client_id},
            ),
        ):
            if any(s["step"] == step and not s["done"] for s in steps):
                await self.post(f"/api/onboarding/{step}", body)

    async def _login_flow(self) -> str:
        async with self.session.post(
            f"{self.url}/auth/login_flow",
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
        ) as resp:
            flow = await resp.json()
        async with self.session.post(
            f"{self.url}/auth/login_flow/{flow['flow_id']}",
            json={
                "client_id": self.client_id,
                "username": USERNAME,
                "password": PASSWORD,
            },
        ) as resp:
            result = await resp.json()
        if "result" not in result:
            sys.exit(
                "Could not log in as the demo owner; "
                "delete config/.storage to start over"
            )
        return str(result["result"])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path: str) -> Any:
        async with self.session.get(
            f"{self.url}{path}", headers={"Authorization": f"Bearer {self.token}"}
        ) as resp:
            resp.raise_for_status()
            return await resp.json()

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        async with self.session.post(
            f"{self.url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
        ) as resp:
            if resp.status >= 400:
                sys.exit(f"POST {path} answered {resp.status}: {await resp.text()}")
            return await resp.json()

    async def ws_answers(self, *messages: dict[str, Any]) -> list[dict[str, Any]]:
        """Send each message on one websocket; return the raw answers."""
        answers = []
        async with self.session.ws_connect(f"{self.url}/api/websocket") as socket:
            await socket.receive_json()
            await socket.send_json({"type": "auth", "access_token": self.token})
            await socket.receive_json()
            for message in messages:
                await socket.send_json({**message, "id": next(self._ids)})
                answers.append(await socket.receive_json())
        return answers

    async def ws(self, *messages: dict[str, Any]) -> list[Any]:
        """Send each message; stop with a message unless every one succeeds."""
        results = []
        for message, answer in zip(
            messages, await self.ws_answers(*messages), strict=True
        ):
            if not answer.get("success"):
                sys.exit(f"websocket {message['type']} failed: {answer}")
            results.append(answer.get("result"))
        return results

    async def promote_http_config(self) -> bool:
        """Confirm the YAML ``http:`` settings (2026.x moves them to storage).

        From 2026.x Home Assistant runs an ``http:`` section as a trial and reverts
        it, with a restart, after five minutes unless confirmed. Older releases do
        not know the command; there is nothing to confirm once it was promoted.
        """
        (answer,) = await self.ws_answers({"type": "http/config/promote"})
        return bool(answer.get("success"))

    async def use_own_url_as_external(self) -> None:
        """Make this address Home Assistant's external URL.

        The webhook URL is built from it. Set at every start, so a demo restarted
        on another port still gets its pushes.
        """
        await self.ws({"type": "config/core/update", "external_url": self.url})


DOORS = (("front_door", "Front door"), ("back_door", "Back door"))


def last_unlock_rows(door: str, name: str) -> list[dict[str, Any]]:
    """Who opened the door last and when: attributes of its event entity."""
    entity = f"event.{door}_unlock"
    return [
        {"entity": entity, "name": name},
        {"type": "attribute", "entity": entity, "attribute": "user_name",
         "name": "Last unlocked by", "icon": "mdi:account"},
        {"type": "attribute", "entity": entity, "attribute": "timestamp",
         "name": "Door opened", "format": "relative", "icon": "mdi:clock-outline"},
    ]  # fmt: skip


LOGBOOK_CARD = {
    "type": "logbook",
    "title": "Unlocks",
    "hours_to_show": 24,
    "target": {"entity_id": [f"event.{door}_unlock" for door, _ in DOORS]},
}
TODAY = [f"sensor.{door}_unlocks_today" for door, _ in DOORS]
KEYS_CALENDAR = "calendar.home_keys"
DOOR_ROWS = [row for door, name in DOORS for row in last_unlock_rows(door, name)]

# Made by link_demo_person on the first start, not by the integration.
DEMO_PERSON = "Alice Andersson"
DEMO_PERSON_ENTITY = "person.alice_andersson"
DEMO_TRACKER = "device_tracker.alice_andersson_at_the_door"
# Alice's phone, as the Companion app would report it: home.
DEMO_PHONE = "alice_phone"
PEOPLE_CARD = {
    "type": "entities",
    "title": "People",
    "entities": [
        {"entity": DEMO_PERSON_ENTITY, "secondary_info": "last-changed"},
        {"entity": DEMO_TRACKER, "name": "Unlocked the door just now"},
    ],
}

DASHBOARD = {
    "title": "Doors",
    "views": [
        {
            "title": "Door activity",
            "path": "doors",
            "cards": [
                {
                    "type": "entities",
                    "title": "Doors",
                    "entities": DOOR_ROWS,
                },
                PEOPLE_CARD,
                LOGBOOK_CARD,
            ],
        },
        {
            "title": "Keys",
            "path": "keys",
            "cards": [
                {"type": "calendar", "title": "Keys", "initial_view": "listWeek",
                 "entities": [KEYS_CALENDAR]},
            ],
        },
        {
            "title": "Today",
            "path": "today",
            "cards": [
                {"type": "entities", "title": "Unlocks today", "entities": TODAY},
                {"type": "history-graph", "title": "Unlocks today",
                 "hours_to_show": 24, "entities": TODAY},
                {"type": "statistics-graph", "title": "Unlocks per hour",
                 "entities": TODAY, "stat_types": ["change"], "period": "hour",
                 "chart_type": "bar", "days_to_show": 2},
                LOGBOOK_CARD,
            ],
        },
    ],
}  # fmt: skip


async def enable_webhook(
    session: aiohttp.ClientSession, ha: HomeAssistant, entry_id: str, sim: str
) -> dict[str, str]:
    """Switch the webhook on in the options flow; point the simulator at it."""
    options = await ha.post(
        "/api/config/config_entries/options/flow", {"handler": entry_id}
    )
    flow = f"/api/config/config_entries/options/flow/{options['flow_id']}"
    await ha.post(flow, {"next_step_id": "settings"})
    shown = await ha.post(
        flow, {"poll_interval": 60, "max_event_age": 10, "webhook_enabled": True}
    )
    placeholders = shown["description_placeholders"]
    await finish_options(ha, flow, await ha.post(flow, {}))
    await point_simulator_webhook(session, sim, placeholders)
    print(f"Parakey webhook: {placeholders['url']}", file=sys.stderr)
    return dict(placeholders)


async def finish_options_flow(
    ha: HomeAssistant, flow: str, result: dict[str, Any]
) -> dict[str, Any]:
    """Close an options flow whose page was saved: its menu comes back with "Done"."""
    if result.get("type") == "menu" and "done" in result.get("menu_options", ()):
        result = await ha.post(flow, {"next_step_id": "done"})
    return result


async def finish_options(ha: HomeAssistant, flow: str, saved: dict[str, Any]) -> None:
    """A page was submitted (and saved): close the flow, or stop the demo."""
    done = await finish_options_flow(ha, flow, saved)
    if done.get("type") != "create_entry":
        sys.exit(f"Options flow did not finish: {done}")


async def point_simulator_webhook(
    session: aiohttp.ClientSession, sim: str, placeholders: dict[str, str]
) -> None:
    """Make the simulator deliver as My Parakey would, with the header.

    Two webhooks to the same URL, as a user adds them in My Parakey: "Unlock
    event" and "Batch completed" (key changes made from Home Assistant).
    """
    for kind in ("unlock", "batch_completed"):
        async with session.put(
            f"{sim}/_sim/webhook",
            json={
                "url": placeholders["url"],
                "headers": {placeholders["header_name"]: placeholders["header_value"]},
                "type": kind,
            },
        ) as resp:
            resp.raise_for_status()


async def add_parakey(ha: HomeAssistant, token: str, sim: str) -> str:
    """Add Parakey through the config flow, as a user would; return the entry id."""
    flow = await ha.post("/api/config/config_entries/flow", {"handler": "parakey"})
    result = await ha.post(
        f"/api/config/config_entries/flow/{flow['flow_id']}",
        {"access_token": token, "advanced": {"base_url": sim}},
    )
    if result.get("type") != "create_entry":
        sys.exit(f"Config flow did not create the entry: {result}")
    return str(result["result"]["entry_id"])


async def link_demo_person(
    session: aiohttp.ClientSession, ha: HomeAssistant, entry_id: str, sim: str
) -> None:
    """Make Alice a person, let her unlock once, link her as a user would.

    The People step fills in the person whose name matches; the demo submits
    that suggestion, with presence on, and adds the tracker to the person.
    """
    (person,) = await ha.ws({"type": "person/create", "name": DEMO_PERSON})
    async with session.post(
        f"{sim}/_sim/unlocks", json={"door_id": "dev_1", "user_id": "usr_1"}
    ) as resp:
        resp.raise_for_status()
    for _ in range(120):
        options = await ha.post(
            "/api/config/config_entries/options/flow", {"handler": entry_id}
        )
        flow = f"/api/config/config_entries/options/flow/{options['flow_id']}"
        form = await ha.post(flow, {"next_step_id": "people"})
        fields = {f["name"]: f for f in form["data_schema"]}
        suggestions = fields.get("suggested_links", {}).get("description", {})
        if "usr_1" in (suggestions.get("suggested_value") or []):
            break
        async with ha.session.delete(f"{ha.url}{flow}", headers=ha.headers):
            pass  # close the empty form, then look again
        await asyncio.sleep(0.5)
    else:
        sys.exit("The demo unlock by Alice never reached Home Assistant")
    # Confirm the name match the page suggests, with presence on; the rest as
    # the form fills it in (the zone, on 2026.7 and newer).
    prefilled = {
        name: field["description"]["suggested_value"]
        for name, field in fields.items()
        if (field.get("description") or {}).get("suggested_value") is not None
    }
    saved = await ha.post(
        flow,
        {
            **prefilled,
            "suggested_links": ["usr_1"],
            "presence": True,
            "presence_minutes": 10,
        },
    )
    await finish_options(ha, flow, saved)
    suggested = DEMO_PERSON_ENTITY
    tracker = DEMO_TRACKER
    await phone_at_home(ha)
    await ha.ws(
        {
            "type": "person/update",
            "person_id": person["id"],
            "name": person["name"],
            "device_trackers": [f"device_tracker.{DEMO_PHONE}", tracker],
        }
    )
    print(f"Linked Parakey user {DEMO_PERSON} to {suggested}, tracked by {tracker}")


async def phone_at_home(ha: HomeAssistant) -> None:
    """Alice's phone says home: the door tracker only adds to what it knows.

    A state as the Companion app would report it, set at every start (it is
    not kept across restarts); not device_tracker.see, which 2026.x reports as
    a deprecated action in the repairs.
    """
    await ha.post(
        f"/api/states/device_tracker.{DEMO_PHONE}",
        {
            "state": "home",
            "attributes": {"friendly_name": "Alice's phone", "source_type": "router"},
        },
    )


async def main(args: argparse.Namespace) -> None:
    async with aiohttp.ClientSession() as session:
        ha = HomeAssistant(session, args.ha)
        await ha.wait_until_up()
        await ha.login()
        await ha.promote_http_config()
        await ha.use_own_url_as_external()
        entries = await ha.get("/api/config/config_entries/entry?domain=parakey")
        first_start = False
        if entries:
            entry_id = entries[0]["entry_id"]
        else:
            entry_id = await add_parakey(ha, args.token, args.sim)
            await ha.ws(
                {"type": "lovelace/dashboards/create", "url_path": "parakey-doors",
                 "title": "Doors", "icon": "mdi:door", "mode": "storage",
                 "show_in_sidebar": True, "require_admin": False},
            )  # fmt: skip
            # Where the demo's place is (Home Assistant asks for a country).
            await ha.ws({"type": "config/core/update", "country": "SE"})
            first_start = True
        # Saved at every start, so a config from an older version loses the
        # sensors that no longer exist and gains the new views.
        await ha.ws(
            {"type": "lovelace/config/save", "url_path": "parakey-doors",
             "config": DASHBOARD},
        )  # fmt: skip
        # The simulator starts empty each time: tell it again where to push.
        await enable_webhook(session, ha, entry_id, args.sim)
        if first_start:
            await link_demo_person(session, ha, entry_id, args.sim)
        else:
            await phone_at_home(ha)
        print(
            json.dumps(
                {
                    "url": ha.url,
                    "username": USERNAME,
                    "password": PASSWORD,
                    "dashboard": f"{ha.url}/parakey-doors/doors",
                    "token": ha.token,
                    "refresh_token": ha.refresh_token,
                }
            )  # fmt: skip
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ha", default="http://127.0.0.1:8123")
    parser.add_argument("--sim", default="http://127.0.0.1:8710")
    parser.add_argument("--token", default="demo")
    asyncio.run(main(parser.parse_args()))
