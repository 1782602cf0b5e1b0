"""Run a real Home Assistant with this integration against the simulator and check it.

Drives Home Assistant as a user would, with scripts/demo_setup.py's pieces: onboarding,
the config flow, the webhook options flow, the simulator's webhook pointed at Home
Assistant. Then checks that:

- the doors are devices with event entities;
- an unlock found by poll and one pushed by webhook each reach an automation exactly
  once, with the right ``source``;
- unlocks made while Home Assistant is stopped each reach the automation exactly once
  after it starts again (the simulator keeps retrying its webhook meanwhile), and the
  webhook works again after the restart;
- no ERROR line from custom_components.parakey and no deprecation report
  ("Detected that custom integration 'parakey' ...") in the log.

People, the editor's trigger and condition, presence, Activity (issue 19): Alice
Andersson becomes a person, linked to her Parakey user on the options' People page
(the suggestion by name), with presence on for one minute and her tracker added to
her person. Then Bob, a late upload by Alice (an hour old) and a timely unlock by
Alice open the front door, and:

- an automation on ``trigger: parakey.unlocked`` (target the front door's event
  entity, ``options: {who: [<Alice's person>]}``) runs once per timely unlock by
  Alice, also across the restart, never for Bob nor for the late upload;
- the condition ``parakey.unlocked_recently`` (the front door, within 5 minutes,
  who Alice) lets an automation through after her timely unlock, not before;
- her person is ``home`` after her unlock; with zone membership (``in_zones``,
  2026.7+) her tracker and person are in ``zone.home`` and ``zone.home`` counts her;
  after the window this tracker no longer makes her home nor counts her;
- the logbook holds at most two lines for her unlock: Parakey's ("Alice Andersson
  unlocked Front door", at the door's time, no entity) and the event entity's, whose
  context names her; over the whole run every line of an event entity is caused by
  an unlock (none at start-up or restart), one per timely unlock, and Parakey's line
  is there once for every unlock; saving the options unchanged changes no state and
  writes no line.

Where Home Assistant lacks an API (2025.4: trigger, condition, zone membership) those
checks are skipped with a note, and the new trigger must be refused with a clear
message; the person-home and logbook checks run everywhere. The API is detected by
validating the trigger and condition (websocket ``validate_config``) and by the
``in_zones`` attribute; from 2026.7 a missing API is a failure, not a skip.

The automations write log lines (``system_log.write``); the lines are counted.
Only documented names are used: ``event.<door>_unlock``, the ``parakey_unlock`` event's
data, ``sensor.<place>_last_webhook``, the options flow's pages and fields, the
tracker's ``person_entity_id`` attribute.

Usage: python scripts/live_check.py [--hass PATH] [--ha-port N] [--sim-port N]
       [--keep DIR]
Exit status 0 when every check passed; the last line printed is a one-line summary.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import os
from pathlib import Path
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_setup import (
    HomeAssistant,
    add_parakey,
    enable_webhook,
    finish_options_flow,
)

REPO = Path(__file__).resolve().parent.parent
SIM_TOKEN = "live-check"
MARK = "parakey-live-check"
DEVICE_MARK = "parakey-live-check-device"
DEVICE_LINE = re.compile(rf"{DEVICE_MARK} event_id=(?P<id>\S+)")
UNLOCK_LINE = re.compile(
    rf"{MARK} event_id=(?P<id>\S+) source=(?P<source>\S+) delayed=(?P<delayed>\S+)"
)
# The editor's trigger (parakey.unlocked with who) and condition probes.
WHO_MARK = "parakey-live-check-who"
WHO_LINE = re.compile(rf"{WHO_MARK} event_id=(?P<id>\S+) entity=(?P<entity>\S*)")
PROBE_EVENT = "parakey_live_check_probe"
PROBE_LINE = re.compile(
    r"parakey-live-check-probe-(?P<what>seen|passed) probe=(?P<probe>\S+)"
)
# The simulator's people and doors.
ALICE, BOB = "usr_1", "usr_2"
ALICE_NAME = "Alice Andersson"
FRONT, BACK = "dev_1", "dev_2"
DOOR_NAMES = {FRONT: "Front door", BACK: "Back door"}
DOOR_EVENTS = {FRONT: "event.front_door_unlock", BACK: "event.back_door_unlock"}
FRONT_EVENT = DOOR_EVENTS[FRONT]
# Presence window (the options' minimum) and the age of a late upload.
PRESENCE_MINUTES = 1
LATE = timedelta(hours=1)
ZONE_HOME = "zone.home"
# Zone membership, the editor's triggers and this condition API: all there from 2026.7.
NEW_API_SINCE = (2026, 7)
BAD_LINES = (
    # An error logged by the integration itself.
    re.compile(r"\b(ERROR|CRITICAL)\b.*\[custom_components\.parakey\b"),
    # Home Assistant's report of a deprecated call by this integration.
    re.compile(r"Detected that custom integration 'parakey'"),
    # Its other deprecation warnings name our module or ask to tell our author
    # (e.g. "custom_components.parakey.x::Class is overriding the deprecated ...").
    re.compile(r"custom_components\.parakey\S*::.*deprecated", re.IGNORECASE),
    re.compile(r"report it to the author of the 'parakey' custom integration"),
    re.compile(r"Setup failed for custom integration '?parakey"),
    re.compile(r"Error setting up entry .* for parakey"),
    re.compile(r"Error (doing job|running job|in|executing).*parakey", re.IGNORECASE),
    re.compile(r'File ".*custom_components/parakey/'),
)
# The longest wait for an unlock: one poll interval (60 s) and some.
POLL_WAIT = 90
# Webhook retries of the simulator at time scale 0.1: 3, 6, 18, 42, 51 s.
SIM_TIME_SCALE = 0.1
SIM_ATTEMPTS = 6

CONFIGURATION = """\
homeassistant:
  name: Parakey live check
  time_zone: UTC
  country: SE

http:
  server_host: 127.0.0.1
  server_port: {port}
api:
config:
webhook:
automation: !include automations.yaml
logbook:
recorder:
  db_url: sqlite:///{config}/home-assistant_v2.db
  commit_interval: 1
system_log:
live_check_slow_start:

logger:
  default: warning
  logs:
    custom_components.parakey: debug
    homeassistant.setup: info
    homeassistant.bootstrap: info
"""

AUTOMATIONS = f"""\
- id: parakey_live_check
  alias: Parakey live check
  mode: parallel
  max: 1000
  triggers:
    - trigger: event
      event_type: parakey_unlock
  actions:
    - action: system_log.write
      data:
        level: warning
        logger: parakey_live_check
        message: >-
          {MARK} event_id={{{{ trigger.event.data.event_id }}}}
          source={{{{ trigger.event.data.source }}}}
          delayed={{{{ trigger.event.data.delayed }}}}
"""


# A helper integration for the check's own Home Assistant: it holds the start-up phase
# (after the HTTP server and the webhooks are up, before automations arm their
# triggers) for a few seconds, as a real installation's slower integrations do, so a
# webhook push lands in that window every time.
SLOW_START_MANIFEST = """\
{"domain": "live_check_slow_start", "name": "Live check: slow start",
 "codeowners": [], "documentation": "https://example.invalid",
 "iot_class": "local_push", "requirements": [], "version": "1.0.0"}
"""
SLOW_START_SECONDS = 6
SLOW_START = f"""\
\"\"\"Hold Home Assistant's start-up phase a few seconds (live_check.py).\"\"\"

import asyncio

from homeassistant.const import EVENT_HOMEASSISTANT_START
from homeassistant.core import callback


async def async_setup(hass, config):
    async def hold():
        await asyncio.sleep({SLOW_START_SECONDS})

    @callback
    def at_start(_):
        # Home Assistant waits for the tasks made at "start" before it arms
        # automations and fires "started".
        hass.async_create_task(hold())

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_START, at_start)
    return True
"""


class CheckFailedError(Exception):
    """A check did not hold."""


@dataclass(frozen=True)
class Made:
    """An unlock made in the simulator."""

    door: str
    user: str | None
    delayed: bool
    timestamp: datetime

    def __str__(self) -> str:
        late = ", a late upload" if self.delayed else ""
        return f"{self.user} at {DOOR_NAMES.get(self.door, self.door)}{late}"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def when_of(row: dict[str, Any]) -> datetime:
    """A logbook line's time (a timestamp over the websocket, else ISO text)."""
    when = row.get("when")
    if isinstance(when, (int, float)):
        return datetime.fromtimestamp(when, UTC)
    return datetime.fromisoformat(str(when))


def show_row(row: dict[str, Any]) -> str:
    """One logbook line, compactly."""
    keys = (
        *("name", "message", "entity_id", "state", "domain", "context_event_type"),
        *("context_domain", "context_name", "context_message", "context_entity_id"),
    )
    shown = " ".join(f"{k}={row[k]!r}" for k in keys if row.get(k) is not None)
    return f"{when_of(row).strftime('%H:%M:%S.%f')[:-3]} {shown}"


def step(message: str) -> None:
    print(f"live_check [{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Process:
    """A child process in its own session, with its output in a file."""

    def __init__(self, name: str, args: list[str], output: Path, **kwargs: Any) -> None:
        self.name = name
        self._file = output.open("ab")
        self.proc = subprocess.Popen(
            args,
            stdout=self._file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **kwargs,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, as a supervisor stops Home Assistant; SIGKILL after a timeout."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                step(f"{self.name} did not stop in {timeout:.0f} s; killing it")
                self.proc.kill()
                self.proc.wait()
        self._file.close()
        return self.proc.returncode


async def eventually[T](
    probe: Callable[[], Awaitable[T | None]], seconds: float
) -> T | None:
    """Poll ``probe`` until it returns something truthy; None after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not (result := await probe()):
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(0.5)
    return result


async def wait_for[T](
    what: str, probe: Callable[[], Awaitable[T | None]], seconds: float
) -> T:
    """Poll ``probe`` until it returns something truthy."""
    deadline = time.monotonic() + seconds
    while True:
        if result := await probe():
            return result
        if time.monotonic() > deadline:
            raise CheckFailedError(
                f"timed out after {seconds:.0f} s waiting for {what}"
            )
        await asyncio.sleep(0.5)


class LiveCheck:
    """One run: simulator, Home Assistant twice, the checks."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.config = work / "config"
        self.ha_url = f"http://127.0.0.1:{args.ha_port}"
        self.sim_url = f"http://127.0.0.1:{args.sim_port}"
        self.hass: Process | None = None
        self.sim: Process | None = None
        self.hass_logs: list[Path] = []
        self.expected: dict[str, str | None] = {}  # event id -> source (None: any)
        self.door_of: dict[str, str] = {}  # event id -> door id
        self.device_door = ""  # the door of the device-trigger automation
        self.webhook: dict[str, str] = {}  # the options flow's URL and header
        self.early_push: dict[str, Any] = {}
        self.version = "?"
        self.made: dict[str, Made] = {}  # every unlock made, by event id
        self.who_armed = False  # the parakey.unlocked automation is saved
        self.who_expected: dict[str, int] = {}  # event id -> runs wanted
        self.has_trigger = self.has_condition = self.has_zones = False
        self.person = ""  # Alice's person
        self.tracker = ""  # her presence tracker
        self.run_start = datetime.now(UTC)
        self.passed: list[str] = []
        self.skipped: list[str] = []
        self.problems: list[str] = []

    # ----- processes -----

    def write_config(self) -> None:
        self.config.mkdir(parents=True, exist_ok=True)
        (self.config / "configuration.yaml").write_text(
            CONFIGURATION.format(port=self.args.ha_port, config=self.config)
        )
        (self.config / "automations.yaml").write_text(AUTOMATIONS)
        custom = self.config / "custom_components"
        custom.mkdir(exist_ok=True)
        link = custom / "parakey"
        if not link.exists():
            link.symlink_to(REPO / "custom_components" / "parakey")
        helper = custom / "live_check_slow_start"
        helper.mkdir(exist_ok=True)
        (helper / "manifest.json").write_text(SLOW_START_MANIFEST)
        (helper / "__init__.py").write_text(SLOW_START)

    def start_simulator(self) -> None:
        self.sim = Process(
            "simulator",
            [
                sys.executable,
                "-m",
                "simulator",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.args.sim_port),
                "--token",
                SIM_TOKEN,
                "--time-scale",
                str(SIM_TIME_SCALE),
            ],  # fmt: skip
            self.work / "simulator.log",
            cwd=REPO,
        )

    def start_hass(self) -> None:
        number = len(self.hass_logs) + 1
        log = self.work / f"home-assistant-{number}.log"
        self.hass_logs.append(log)
        env = dict(os.environ)
        certs = "/etc/ssl/certs/ca-certificates.crt"
        if Path(certs).exists():
            # Home Assistant installs requirements with uv, which otherwise rejects
            # the registry's certificate in a fresh chroot.
            env.setdefault("SSL_CERT_FILE", certs)
            env.setdefault("UV_NATIVE_TLS", "1")
        self.hass = Process(
            f"hass (start {number})",
            [self.args.hass, "-c", str(self.config), "--log-file", str(log)],
            self.work / f"hass-console-{number}.log",
            env=env,
        )

    def stop_hass(self) -> None:
        if self.hass is not None:
            code = self.hass.stop()
            self.hass = None
            if code not in (0, -signal.SIGTERM):
                raise CheckFailedError(f"hass exited with {code} on SIGTERM")

    def stop_all(self) -> None:
        with contextlib.suppress(CheckFailedError):
            self.stop_hass()
        if self.sim is not None:
            self.sim.stop()
            self.sim = None

    # ----- reading the log -----

    def log_text(self) -> str:
        # Home Assistant may roll a log file over (to .1) when it opens it.
        return "\n".join(
            path.read_text(errors="replace")
            for log in self.hass_logs
            for path in sorted(log.parent.glob(f"{log.name}*"), reverse=True)
        )

    def unlock_lines(self) -> list[re.Match[str]]:
        return list(UNLOCK_LINE.finditer(self.log_text()))

    def bad_lines(self) -> list[str]:
        return [
            line
            for line in self.log_text().splitlines()
            if any(pattern.search(line) for pattern in BAD_LINES)
        ]

    async def wait_unlock(self, event_id: str, seconds: float) -> re.Match[str]:
        async def seen() -> re.Match[str] | None:
            if self.hass is not None and not self.hass.alive():
                raise CheckFailedError("hass stopped unexpectedly")
            return next((m for m in self.unlock_lines() if m["id"] == event_id), None)

        return await wait_for(f"unlock {event_id} in the log", seen, seconds)

    # ----- talking to the simulator -----

    async def sim_unlock(
        self,
        session: aiohttp.ClientSession,
        door_id: str,
        user_id: str,
        *,
        late: bool = False,
    ) -> str:
        log = await self.sim_unlock_log(session, door_id, user_id, late=late)
        return str(log["id"])

    async def sim_unlock_log(
        self,
        session: aiohttp.ClientSession,
        door_id: str,
        user_id: str,
        *,
        late: bool = False,
    ) -> dict[str, Any]:
        """Unlock now; ``late``: an unlock an hour old, uploaded now."""
        body: dict[str, Any] = {"door_id": door_id, "user_id": user_id}
        if late:
            body["timestamp"] = iso(datetime.now(UTC) - LATE)
        async with session.post(f"{self.sim_url}/_sim/unlocks", json=body) as resp:
            resp.raise_for_status()
            log = dict(await resp.json())
        event_id = str(log["id"])
        self.door_of[event_id] = door_id
        self.made[event_id] = Made(
            door_id, user_id, late, datetime.fromisoformat(log["timestamp"])
        )
        if self.who_armed:
            self.who_expected[event_id] = int(
                door_id == FRONT and user_id == ALICE and not late
            )
        return log

    async def push_as_soon_as_possible(
        self, session: aiohttp.ClientSession, log: dict[str, Any]
    ) -> str:
        """POST ``log`` the moment the integration's webhook answers, as Parakey would.

        That is while Home Assistant is still starting (its HTTP server opens
        before automations attach their triggers): the push must still reach
        them, once. Until the integration has registered its webhook, Home
        Assistant answers 200 to any call; the integration answers a wrong
        password with 401, so a wrong one tells when it listens.
        """

        async def status(authorization: str) -> int | None:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.post(
                    self.webhook["url"],
                    json=log,
                    headers={self.webhook["header_name"]: authorization},
                ) as resp:
                    return resp.status
            return None

        async def listening() -> bool:
            return await status("Basic bm9ib2R5Om5vdGhpbmc=") == 401

        await wait_for("the integration's webhook", listening, 300)
        if (answer := await status(self.webhook["header_value"])) != 200:
            raise CheckFailedError(f"the webhook answered {answer} while starting")
        return time.strftime("%H:%M:%S")

    async def deliveries_settled(
        self, session: aiohttp.ClientSession, ids: list[str]
    ) -> bool:
        """True once the simulator has stopped (re)trying to deliver each of ``ids``."""
        async with session.get(f"{self.sim_url}/_sim/webhook/deliveries") as resp:
            deliveries = await resp.json()
        for event_id in ids:
            mine = [d for d in deliveries if d["log_id"] == event_id]
            done = any(d["status"] and 200 <= d["status"] < 300 for d in mine)
            if not done and len(mine) < SIM_ATTEMPTS:
                return False
        return True

    # ----- Home Assistant -----

    async def connect(self, session: aiohttp.ClientSession) -> HomeAssistant:
        ha = HomeAssistant(session, self.ha_url)
        await ha.wait_until_up(seconds=self.args.start_timeout)
        await ha.login(default_integrations=False)
        if await ha.promote_http_config():
            step("confirmed the http: settings (http/config/promote)")

        async def running() -> dict[str, Any] | None:
            config = await ha.get("/api/config")
            return config if config.get("state") == "RUNNING" else None

        # Its API answers while it still starts; a user adds integrations later.
        config = await wait_for("Home Assistant to finish starting", running, 120)
        self.version = config["version"]
        return ha

    async def states(self, ha: HomeAssistant) -> dict[str, dict[str, Any]]:
        return {s["entity_id"]: s for s in await ha.get("/api/states")}

    async def check_doors(self, ha: HomeAssistant, entry_id: str) -> list[str]:
        """Door devices of the entry, each with its unlock event entity."""

        async def doors() -> list[str] | None:
            entities, devices = await ha.ws(
                {"type": "config/entity_registry/list"},
                {"type": "config/device_registry/list"},
            )
            # 2026.x: one config entry per device (config_entry_id).
            ours = {
                d["id"]
                for d in devices
                if d.get("config_entry_id") == entry_id
                or entry_id in d.get("config_entries", ())
            }
            events = [
                e
                for e in entities
                if e["platform"] == "parakey"
                and e["entity_id"].startswith("event.")
                and e["entity_id"].endswith("_unlock")
                and e["device_id"] in ours
            ]
            found = sorted(e["entity_id"] for e in events)
            return found if len(found) >= 2 else None

        return await wait_for("two door devices with event entities", doors, 60)

    async def add_device_trigger_automation(
        self, ha: HomeAssistant, entity_id: str, door_id: str
    ) -> None:
        """Save an automation on the door's "Door unlocked" trigger (as the editor)."""
        entities = (await ha.ws({"type": "config/entity_registry/list"}))[0]
        device_id = next(
            e["device_id"] for e in entities if e["entity_id"] == entity_id
        )
        (triggers,) = await ha.ws(
            {"type": "device_automation/trigger/list", "device_id": device_id}
        )
        offered = [
            t
            for t in triggers
            if t.get("domain") == "parakey" and t.get("type") == "unlocked"
        ]
        if len(offered) != 1:
            raise CheckFailedError(f"device triggers offered: {triggers}")
        trigger = {k: v for k, v in offered[0].items() if k != "metadata"}
        result = await ha.post(
            "/api/config/automation/config/parakey_live_check_device",
            {
                "alias": "Parakey live check: door unlocked",
                "mode": "parallel",
                "max": 1000,
                "triggers": [trigger],
                "actions": [
                    {
                        "action": "system_log.write",
                        "data": {
                            "level": "warning",
                            "logger": "parakey_live_check",
                            "message": f"{DEVICE_MARK} event_id="
                            "{{ trigger.event.data.event_id }}",
                        },
                    }
                ],
            },
        )
        if result.get("result") != "ok":
            raise CheckFailedError(f"saving the device automation: {result}")

        async def armed() -> bool:
            return any(
                state["entity_id"].startswith("automation.")
                and state["attributes"].get("id") == "parakey_live_check_device"
                and state["state"] == "on"
                for state in (await self.states(ha)).values()
            )

        await wait_for("the device automation", armed, 30)
        self.device_door = door_id
        step(f"device trigger 'Door unlocked' of {entity_id}: automation saved")

    async def check_entity(
        self, ha: HomeAssistant, entity_id: str, event_id: str, source: str | None
    ) -> None:
        async def updated() -> bool:
            state = (await self.states(ha)).get(entity_id)
            return state is not None and state["attributes"].get("event_id") == event_id

        await wait_for(f"{entity_id} to show {event_id}", updated, 10)
        attributes = (await self.states(ha))[entity_id]["attributes"]
        if source is not None and attributes.get("source") != source:
            raise CheckFailedError(f"{entity_id} has source {attributes.get('source')}")

    # ----- checks that record a result and go on -----

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        if ok:
            self.passed.append(what)
            step(f"ok: {what}")
        else:
            self.problems.append(f"{what}: {detail}" if detail else what)
            step(f"FAIL: {what}{f' ({detail})' if detail else ''}")
        return ok

    def skip(self, what: str, why: str) -> None:
        self.skipped.append(what)
        step(f"skipped on {self.version}: {what} ({why})")

    def new_api_expected(self) -> bool:
        parts = re.findall(r"\d+", self.version)[:2]
        return tuple(int(p) for p in parts) >= NEW_API_SINCE

    # ----- Home Assistant: automations, options, logbook -----

    async def save_automation(
        self, ha: HomeAssistant, automation_id: str, config: dict[str, Any]
    ) -> None:
        """Save an automation as the editor does and wait until it is on."""
        result = await ha.post(
            f"/api/config/automation/config/{automation_id}",
            {"mode": "parallel", "max": 1000, **config},
        )
        if result.get("result") != "ok":
            raise CheckFailedError(f"saving automation {automation_id}: {result}")

        async def armed() -> bool:
            return any(
                state["entity_id"].startswith("automation.")
                and state["attributes"].get("id") == automation_id
                and state["state"] == "on"
                for state in (await self.states(ha)).values()
            )

        await wait_for(f"automation {automation_id}", armed, 30)

    @staticmethod
    def log_action(message: str) -> dict[str, Any]:
        return {
            "action": "system_log.write",
            "data": {
                "level": "warning",
                "logger": "parakey_live_check",
                "message": message,
            },
        }

    def who_trigger(self, person: str) -> dict[str, Any]:
        return {
            "trigger": "parakey.unlocked",
            "target": {"entity_id": FRONT_EVENT},
            "options": {"who": [person]},
        }

    def recently_condition(self, person: str) -> dict[str, Any]:
        return {
            "condition": "parakey.unlocked_recently",
            "target": {"entity_id": FRONT_EVENT},
            "options": {"within": {"minutes": 5}, "who": [person]},
        }

    async def options_page(
        self, ha: HomeAssistant, entry_id: str, page: str
    ) -> tuple[str, dict[str, Any]]:
        """Open the options and one page of its menu; the flow and the form."""
        options = await ha.post(
            "/api/config/config_entries/options/flow", {"handler": entry_id}
        )
        flow = f"/api/config/config_entries/options/flow/{options['flow_id']}"
        form = await ha.post(flow, {"next_step_id": page})
        if form.get("type") != "form":
            raise CheckFailedError(f"options page {page}: {form}")
        return flow, form

    async def device_filter(
        self, ha: HomeAssistant, entity_id: str
    ) -> dict[str, list[str]]:
        """A door's device and its entities: its activity, as its device page asks."""
        (entities,) = await ha.ws({"type": "config/entity_registry/list"})
        device = next(e["device_id"] for e in entities if e["entity_id"] == entity_id)
        return {
            "device_ids": [device],
            "entity_ids": [
                e["entity_id"] for e in entities if e["device_id"] == device
            ],
        }

    async def logbook(
        self, ha: HomeAssistant, start: datetime, **filters: list[str]
    ) -> list[dict[str, Any]]:
        """The logbook from ``start`` until now, as the Activity panel reads it."""
        (rows,) = await ha.ws(
            {"type": "logbook/get_events", "start_time": iso(start), **filters}
        )
        return list(rows)

    # ----- the editor's trigger and condition, presence, Activity -----

    async def detect_features(self, ha: HomeAssistant) -> None:
        """Which of the new APIs this Home Assistant has."""
        (answer,) = await ha.ws_answers(
            {
                "type": "validate_config",
                "triggers": [self.who_trigger("person.nobody")],
                "conditions": [self.recently_condition("person.nobody")],
            }
        )
        if not answer.get("success"):
            self.problems.append(f"validate_config of the new trigger: {answer}")
            return
        result = answer["result"]
        self.has_trigger = bool(result["triggers"]["valid"])
        self.has_condition = bool(result["conditions"]["valid"])
        expected = self.new_api_expected()
        for name, has, error in (
            ("trigger parakey.unlocked", self.has_trigger, result["triggers"]["error"]),
            (
                "condition parakey.unlocked_recently",
                self.has_condition,
                result["conditions"]["error"],
            ),
        ):
            step(f"{name}: {'valid' if has else f'refused: {error}'}")
            if expected:
                self.check(has, f"{name} validates on {self.version}", str(error))
        if not self.has_trigger:
            # 2025.4 loads trigger.py as an old-style platform: a clear refusal.
            self.check(
                "needs Home Assistant" in str(result["triggers"]["error"]),
                f"{self.version} refuses trigger parakey.unlocked with a clear message",
                str(result["triggers"]["error"]),
            )

    async def find_person(self, ha: HomeAssistant, person_id: str) -> str:
        async def found() -> str | None:
            return next(
                (
                    entity_id
                    for entity_id, state in (await self.states(ha)).items()
                    if entity_id.startswith("person.")
                    and state["attributes"].get("id") == person_id
                ),
                None,
            )

        return await wait_for("Alice's person", found, 30)

    async def link_alice(self, ha: HomeAssistant, entry_id: str) -> str:
        """Link Alice on the People page with presence on; return her tracker."""
        flow, form = await self.options_page(ha, entry_id, "people")
        fields = {f["name"]: f for f in form["data_schema"]}
        suggested = fields.get("suggested_links", {})
        offered = [
            o["value"] if isinstance(o, dict) else o
            for o in suggested.get("selector", {}).get("select", {}).get("options", [])
        ]
        values: dict[str, Any] = {
            "presence": True,
            "presence_minutes": PRESENCE_MINUTES,
        }
        if "presence_zone" in fields:
            values["presence_zone"] = ZONE_HOME
        zone_field = "presence_zone" in fields
        if self.new_api_expected() or zone_field:
            self.check(
                zone_field == self.new_api_expected(),
                f"the People page has a Zone field on {self.version}",
                f"fields: {sorted(fields)}",
            )
        if self.check(
            ALICE in offered,
            "the People page suggests linking Alice to her person",
            f"suggested: {offered}",
        ):
            values["suggested_links"] = [ALICE]
            result = await ha.post(flow, values)
        else:  # pick her by hand instead, to go on
            result = await ha.post(flow, {**values, "user": ALICE})
            if result.get("step_id") == "link":
                result = await ha.post(flow, {"person": self.person})
        result = await finish_options_flow(ha, flow, result)
        if result.get("type") != "create_entry":
            raise CheckFailedError(f"the People page did not save: {result}")

        async def tracker() -> str | None:
            return next(
                (
                    entity_id
                    for entity_id, state in (await self.states(ha)).items()
                    if entity_id.startswith("device_tracker.")
                    and state["attributes"].get("person_entity_id") == self.person
                ),
                None,
            )

        return await wait_for("Alice's presence tracker", tracker, 30)

    async def probe(self, ha: HomeAssistant, name: str, *, passes: bool) -> None:
        """Fire the probe event: the condition lets the automation through or not."""
        if not self.has_condition:
            return
        await ha.post(f"/api/events/{PROBE_EVENT}", {"probe": name})

        def lines(what: str) -> bool:
            return any(
                m["what"] == what and m["probe"] == name
                for m in PROBE_LINE.finditer(self.log_text())
            )

        async def seen() -> bool:
            return lines("seen")

        await wait_for(f"probe {name}", seen, 15)
        await asyncio.sleep(1)  # the other automation ran in the same breath
        passed = lines("passed")
        self.check(
            passed == passes,
            f"condition parakey.unlocked_recently {'lets' if passes else 'stops'} "
            f"the automation ({name})",
            f"it {'passed' if passed else 'did not pass'}",
        )

    async def add_editor_automations(self, ha: HomeAssistant) -> None:
        if self.has_trigger:
            await self.save_automation(
                ha,
                "parakey_live_check_who",
                {
                    "alias": "Parakey live check: Alice unlocked the front door",
                    "triggers": [self.who_trigger(self.person)],
                    "actions": [
                        self.log_action(
                            f"{WHO_MARK} event_id={{{{ trigger.event.data.event_id }}}}"
                            " entity={{ trigger.entity_id }}"
                        )
                    ],
                },
            )
            self.who_armed = True
            step(f"automation on parakey.unlocked (who: {self.person}) saved")
        else:
            self.skip("automation on parakey.unlocked", "no trigger API")
        if self.has_condition:
            probe_trigger = {"trigger": "event", "event_type": PROBE_EVENT}
            await self.save_automation(
                ha,
                "parakey_live_check_probe_seen",
                {
                    "alias": "Parakey live check: probe seen",
                    "triggers": [probe_trigger],
                    "actions": [
                        self.log_action(
                            "parakey-live-check-probe-seen"
                            " probe={{ trigger.event.data.probe }}"
                        )
                    ],
                },
            )
            await self.save_automation(
                ha,
                "parakey_live_check_probe_passed",
                {
                    "alias": "Parakey live check: Alice unlocked recently",
                    "triggers": [probe_trigger],
                    "conditions": [self.recently_condition(self.person)],
                    "actions": [
                        self.log_action(
                            "parakey-live-check-probe-passed"
                            " probe={{ trigger.event.data.probe }}"
                        )
                    ],
                },
            )
            step("automation with condition parakey.unlocked_recently saved")
        else:
            self.skip("condition parakey.unlocked_recently", "no condition API")

    async def arrive(
        self,
        session: aiohttp.ClientSession,
        door: str,
        user: str,
        *,
        late: bool = False,
    ) -> dict[str, Any]:
        """Unlock (any source) and wait until the bus event reached the automation."""
        log = await self.sim_unlock_log(session, door, user, late=late)
        event_id = str(log["id"])
        self.expected[event_id] = None
        match = await self.wait_unlock(event_id, POLL_WAIT)
        step(
            f"unlock {event_id} ({self.made[event_id]}) arrived by {match['source']}, "
            f"delayed={match['delayed']}"
        )
        return log

    async def shows(self, ha: HomeAssistant, entity_id: str, event_id: str) -> bool:
        await asyncio.sleep(1)
        state = (await self.states(ha)).get(entity_id) or {}
        return bool(state.get("attributes", {}).get("event_id") == event_id)

    async def who_ran(self, event_id: str, *, runs: bool) -> None:
        if not self.has_trigger:
            return

        async def ran() -> bool:
            return any(m["id"] == event_id for m in WHO_LINE.finditer(self.log_text()))

        seen = bool(await eventually(ran, 10 if runs else 2))
        self.check(
            seen == runs,
            f"the parakey.unlocked automation (who: Alice) "
            f"{'runs' if runs else 'does not run'} for {self.made[event_id]}",
        )

    async def people_and_editor(
        self, session: aiohttp.ClientSession, ha: HomeAssistant, entry_id: str
    ) -> None:
        """Issue 19's points 2-4, as a user of the editor, People and Activity."""
        await self.detect_features(ha)
        (person,) = await ha.ws({"type": "person/create", "name": ALICE_NAME})
        self.person = await self.find_person(ha, person["id"])
        # Her first unlock is a late upload (at the back door): the People page
        # knows her from it, and it must not make her home.
        intro = await self.arrive(session, BACK, ALICE, late=True)
        self.check(
            not await self.shows(ha, DOOR_EVENTS[BACK], str(intro["id"])),
            "a late upload does not reach the door's event entity",
        )
        self.tracker = await self.link_alice(ha, entry_id)
        await ha.ws(
            {
                "type": "person/update",
                "person_id": person["id"],
                "name": person["name"],
                "device_trackers": [self.tracker],
            }
        )
        step(f"People page: Alice linked to {self.person}, presence on; {self.tracker}")
        states = await self.states(ha)
        self.has_zones = "in_zones" in states[self.person]["attributes"]
        if self.new_api_expected():
            self.check(self.has_zones, f"persons have in_zones on {self.version}")
        self.check(
            states[self.person]["state"] != "home",
            "a late upload does not make her home",
            f"{self.person} is {states[self.person]['state']}",
        )
        await self.add_editor_automations(ha)
        await self.probe(ha, "before", passes=False)

        bob = await self.arrive(session, FRONT, BOB)
        await self.check_entity(ha, FRONT_EVENT, str(bob["id"]), None)
        await self.who_ran(str(bob["id"]), runs=False)
        await self.probe(ha, "after-bob", passes=False)

        late = await self.arrive(session, FRONT, ALICE, late=True)
        self.check(
            await self.shows(ha, FRONT_EVENT, str(bob["id"])),
            "her late upload leaves the front door's event entity alone",
        )
        await self.who_ran(str(late["id"]), runs=False)
        await self.probe(ha, "after-late", passes=False)
        state = (await self.states(ha))[self.person]["state"]
        self.check(state != "home", "her late upload does not make her home", state)

        # Her next unlock's logbook lines stand apart from the ones above.
        await asyncio.sleep(5)
        zone_before = (await self.states(ha)).get(ZONE_HOME, {})
        alice = await self.arrive(session, FRONT, ALICE)
        await self.check_entity(ha, FRONT_EVENT, str(alice["id"]), None)
        await self.who_ran(str(alice["id"]), runs=True)
        await self.probe(ha, "after-alice", passes=True)
        await self.check_home(ha, zone_before)
        await self.check_unlock_lines(ha, alice)
        await self.check_options_unchanged(ha, entry_id)
        await self.check_window_ends(ha, self.made[str(alice["id"])], zone_before)

    async def check_home(self, ha: HomeAssistant, zone_before: dict[str, Any]) -> None:
        """After her unlock: home; with zone membership, in zone.home and counted."""

        async def home() -> dict[str, dict[str, Any]] | None:
            states = await self.states(ha)
            return states if states[self.person]["state"] == "home" else None

        states = await eventually(home, 15) or await self.states(ha)
        person, tracker = states[self.person], states[self.tracker]
        zone = states.get(ZONE_HOME, {})
        step(
            f"after her unlock: {self.tracker}={tracker['state']} "
            f"in_zones={tracker['attributes'].get('in_zones')}; "
            f"{self.person}={person['state']} "
            f"in_zones={person['attributes'].get('in_zones')}; "
            f"{ZONE_HOME}={zone.get('state')} "
            f"persons={zone.get('attributes', {}).get('persons')} "
            f"(was {zone_before.get('state')})"
        )
        self.check(
            person["state"] == "home",
            f"{self.person} is home after her unlock",
            person["state"],
        )
        if not self.has_zones:
            self.skip("in_zones and zone.home's count", "no zone membership")
            return

        async def counted() -> dict[str, dict[str, Any]] | None:
            states = await self.states(ha)
            persons = states[ZONE_HOME]["attributes"].get("persons", [])
            return states if self.person in persons else None

        states = await eventually(counted, 10) or await self.states(ha)
        person, tracker, zone = (
            states[self.person],
            states[self.tracker],
            states[ZONE_HOME],
        )
        self.check(
            ZONE_HOME in (tracker["attributes"].get("in_zones") or []),
            f"{self.tracker}'s in_zones holds {ZONE_HOME}",
            str(tracker["attributes"].get("in_zones")),
        )
        self.check(
            ZONE_HOME in (person["attributes"].get("in_zones") or []),
            f"{self.person}'s in_zones holds {ZONE_HOME}",
            str(person["attributes"].get("in_zones")),
        )
        persons = zone["attributes"].get("persons", [])
        self.check(
            self.person in persons
            and zone["state"] == str(len(persons))
            and int(zone["state"]) == int(zone_before.get("state") or 0) + 1,
            f"{ZONE_HOME} counts her",
            f"state {zone['state']} (was {zone_before.get('state')}), "
            f"persons {persons}",
        )

    async def check_unlock_lines(self, ha: HomeAssistant, log: dict[str, Any]) -> None:
        """The logbook of one unlock: Parakey's line and the event entity's, no more."""
        door_time = datetime.fromisoformat(log["timestamp"])
        door = await self.device_filter(ha, FRONT_EVENT)
        start = door_time - timedelta(seconds=1)

        async def both() -> list[dict[str, Any]] | None:
            rows = await self.logbook(ha, start, **door)
            has_ours = any(r.get("domain") == "parakey" for r in rows)
            has_entity = any(r.get("entity_id") == FRONT_EVENT for r in rows)
            return rows if has_ours and has_entity else None

        await eventually(both, 15)
        await asyncio.sleep(2)  # anything else this unlock writes
        rows = await self.logbook(ha, start, **door)
        step(f"logbook of the front door since {door_time:%H:%M:%S.%f} (door time):")
        for row in rows:
            step(f"    {show_row(row)}")
        others = [
            r
            for r in await self.logbook(ha, start)
            if r.get("domain") != "parakey"
            and r.get("entity_id") not in door["entity_ids"]
        ]
        if others:
            step("the rest of the Activity since then (not the door's):")
            for row in others:
                step(f"    {show_row(row)}")
        self.check(
            len(rows) <= 2,
            "at most two logbook lines for her unlock",
            f"{len(rows)} lines",
        )
        ours = [r for r in rows if r.get("domain") == "parakey"]
        line = ours[0] if len(ours) == 1 else {}
        self.check(
            len(ours) == 1
            and "entity_id" not in line
            and line.get("name") == ALICE_NAME
            and DOOR_NAMES[FRONT] in str(line.get("message")),
            f"Parakey's line reads '{ALICE_NAME} unlocked {DOOR_NAMES[FRONT]}', "
            "no entity",
            "; ".join(show_row(r) for r in ours) or "no line",
        )
        if line:
            off = abs((when_of(line) - door_time).total_seconds())
            self.check(
                off < 1,
                "Parakey's line is at the time the door opened",
                f"{off:.1f} s off",
            )
        entity = [r for r in rows if r.get("entity_id") == FRONT_EVENT]
        self.check(
            len(entity) == 1
            and entity[0].get("context_event_type") == "parakey_unlock"
            and entity[0].get("context_name") == ALICE_NAME,
            f"the event entity's line is caused by her unlock and names {ALICE_NAME}",
            "; ".join(show_row(r) for r in entity) or "no line",
        )

    async def check_options_unchanged(self, ha: HomeAssistant, entry_id: str) -> None:
        """Saving both option pages as they are changes no state, writes no line."""
        watched = [*DOOR_EVENTS.values(), self.tracker, self.person]
        before = await self.states(ha)
        start = datetime.now(UTC)
        flow, form = await self.options_page(ha, entry_id, "people")
        fields = {f["name"] for f in form["data_schema"]}
        values: dict[str, Any] = {
            "presence": True,
            "presence_minutes": PRESENCE_MINUTES,
        }
        if "presence_zone" in fields:
            values["presence_zone"] = ZONE_HOME
        people = await finish_options_flow(ha, flow, await ha.post(flow, values))
        flow, _ = await self.options_page(ha, entry_id, "settings")
        await ha.post(
            flow, {"poll_interval": 60, "max_event_age": 10, "webhook_enabled": True}
        )
        settings = await finish_options_flow(ha, flow, await ha.post(flow, {}))
        if {people.get("type"), settings.get("type")} != {"create_entry"}:
            raise CheckFailedError(f"saving the options: {people} / {settings}")
        step("options saved unchanged (People, then polling and webhook)")
        await asyncio.sleep(4)
        after = await self.states(ha)
        changed = [
            f"{e}: {before[e]['state']} -> {after[e]['state']} "
            f"(last_changed {before[e]['last_changed']} -> {after[e]['last_changed']})"
            for e in watched
            if (before[e]["state"], before[e]["last_changed"])
            != (after[e]["state"], after[e]["last_changed"])
        ]
        self.check(
            not changed,
            "saving the options unchanged changes no door entity, tracker or person",
            "; ".join(changed),
        )
        rows = await self.logbook(ha, start, entity_ids=watched)
        self.check(
            not rows,
            "saving the options unchanged writes no logbook line",
            "; ".join(show_row(r) for r in rows),
        )

    async def check_window_ends(
        self, ha: HomeAssistant, unlock: Made, zone_before: dict[str, Any]
    ) -> None:
        """After the window this tracker no longer makes her home nor counts her."""
        until = unlock.timestamp + timedelta(minutes=PRESENCE_MINUTES)
        step(f"waiting for the presence window to end ({until:%H:%M:%S})")
        await asyncio.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 1)

        async def gone() -> dict[str, dict[str, Any]] | None:
            states = await self.states(ha)
            return states if states[self.tracker]["state"] != "home" else None

        states = await eventually(gone, 15) or await self.states(ha)
        person, tracker = states[self.person], states[self.tracker]
        zone = states.get(ZONE_HOME, {})
        step(
            f"after the window: {self.tracker}={tracker['state']} "
            f"in_zones={tracker['attributes'].get('in_zones')}; "
            f"{self.person}={person['state']} "
            f"in_zones={person['attributes'].get('in_zones')}; "
            f"{ZONE_HOME}={zone.get('state')} "
            f"persons={zone.get('attributes', {}).get('persons')}"
        )
        self.check(
            tracker["state"] != "home",
            f"{self.tracker} is no longer home",
            tracker["state"],
        )
        self.check(
            person["state"] != "home",
            f"{self.person} (only this tracker) is no longer home",
            person["state"],
        )
        if not self.has_zones:
            return
        persons = zone.get("attributes", {}).get("persons", [])
        self.check(
            self.person not in persons
            and ZONE_HOME not in (tracker["attributes"].get("in_zones") or [])
            and zone.get("state") == zone_before.get("state"),
            f"{ZONE_HOME} no longer counts her",
            f"state {zone.get('state')} (before her unlock "
            f"{zone_before.get('state')}), persons {persons}",
        )

    async def check_activity_of_run(self, ha: HomeAssistant) -> None:
        """Over the whole run: event entity lines only for unlocks, one per unlock."""
        earliest = min(
            (m.timestamp for m in self.made.values()), default=self.run_start
        )
        start = min(self.run_start, earliest) - timedelta(minutes=1)
        rows = await self.logbook(ha, start)
        for door, entity_id in DOOR_EVENTS.items():
            lines = [r for r in rows if r.get("entity_id") == entity_id]
            stray = [
                r for r in lines if r.get("context_event_type") != "parakey_unlock"
            ]
            self.check(
                not stray,
                f"every logbook line of {entity_id} over the run is an unlock's",
                "; ".join(show_row(r) for r in stray),
            )
            timely = sum(
                1 for m in self.made.values() if m.door == door and not m.delayed
            )
            self.check(
                len(lines) == timely,
                f"{entity_id} has one logbook line per timely unlock",
                f"{len(lines)} lines, {timely} timely unlocks",
            )
            name = DOOR_NAMES[door]
            ours = [
                r
                for r in rows
                if r.get("domain") == "parakey" and name in str(r.get("message"))
            ]
            made = sum(1 for m in self.made.values() if m.door == door)
            self.check(
                len(ours) == made,
                f"Parakey's logbook line once per unlock of {name}, late ones too",
                f"{len(ours)} lines, {made} unlocks",
            )

    # ----- the scenario -----

    async def first_start(self, session: aiohttp.ClientSession) -> None:
        self.start_hass()
        ha = await self.connect(session)
        step(f"Home Assistant {self.version} is up; onboarded and logged in")
        await ha.use_own_url_as_external()  # where the simulator pushes to
        entry_id = await add_parakey(ha, SIM_TOKEN, self.sim_url)
        step(f"config flow created entry {entry_id}")
        doors = await self.check_doors(ha, entry_id)
        step(f"door devices with event entities: {', '.join(doors)}")
        await self.add_device_trigger_automation(ha, "event.front_door_unlock", "dev_1")

        # The first poll sets the position from the server clock (to the second).
        await asyncio.sleep(2)
        # Bob's: Alice must not have opened the front door before her checks.
        by_poll = await self.sim_unlock(session, FRONT, BOB)
        self.expected[by_poll] = "poll"
        # The options flow switches the webhook on (in place); the unlock above
        # was made before the simulator knew the webhook: poll only.
        self.webhook = await enable_webhook(session, ha, entry_id, self.sim_url)

        async def webhook_sensor() -> str | None:
            # In the registry: the diagnostic sensor may be disabled by default.
            (entities,) = await ha.ws({"type": "config/entity_registry/list"})
            return next(
                (
                    e["entity_id"]
                    for e in entities
                    if e["platform"] == "parakey"
                    and e["entity_id"].endswith("_last_webhook")
                ),
                None,
            )

        sensor = await wait_for("the Last webhook sensor", webhook_sensor, 30)
        step(f"options flow: webhook on ({sensor} exists)")
        match = await self.wait_unlock(by_poll, POLL_WAIT)
        step(f"unlock {by_poll} arrived by {match['source']}")
        await self.check_entity(ha, "event.front_door_unlock", by_poll, "poll")

        by_webhook = await self.sim_unlock(session, "dev_2", "usr_2")
        self.expected[by_webhook] = "webhook"
        match = await self.wait_unlock(by_webhook, 30)
        step(f"unlock {by_webhook} arrived by {match['source']}")
        await self.check_entity(ha, "event.back_door_unlock", by_webhook, "webhook")
        await self.people_and_editor(session, ha, entry_id)

    async def downtime(self, session: aiohttp.ClientSession) -> list[str]:
        self.stop_hass()
        step("hass stopped; unlocking during the downtime")
        missed = [
            await self.sim_unlock(session, "dev_1", "usr_2"),
            await self.sim_unlock(session, "dev_2", "usr_1"),
            await self.sim_unlock(session, "dev_1", "usr_1"),
        ]
        # Pushed again by hand the moment Home Assistant's HTTP server opens.
        self.early_push = await self.sim_unlock_log(session, "dev_2", "usr_2")
        missed.append(str(self.early_push["id"]))
        for event_id in missed:
            # By the first poll after the start, or by a webhook retry: either.
            self.expected[event_id] = None
        await asyncio.sleep(2)
        return missed

    async def second_start(
        self, session: aiohttp.ClientSession, missed: list[str]
    ) -> None:
        self.start_hass()
        pushed = await self.push_as_soon_as_possible(session, self.early_push)
        step(
            f"pushed {self.early_push['id']} the moment the webhook answered ({pushed})"
        )
        ha = await self.connect(session)
        step(f"Home Assistant {self.version} is up again")
        for event_id in missed:
            match = await self.wait_unlock(event_id, POLL_WAIT)
            step(f"downtime unlock {event_id} arrived by {match['source']}")
        # Her downtime unlock of the front door, within five minutes.
        await self.probe(ha, "after-restart", passes=True)
        await wait_for(
            "the simulator's webhook retries to finish",
            lambda: self.deliveries_settled(session, missed),
            180,
        )
        after = await self.sim_unlock(session, "dev_2", "usr_2")
        self.expected[after] = "webhook"
        match = await self.wait_unlock(after, 30)
        step(f"unlock {after} after the restart arrived by {match['source']}")
        await self.check_entity(ha, "event.back_door_unlock", after, "webhook")
        # Anything that would arrive twice arrives within the same breath.
        await asyncio.sleep(3)
        await self.check_activity_of_run(ha)

    def verdict(self) -> list[str]:
        problems = []
        counts = Counter(m["id"] for m in self.unlock_lines())
        for match in self.unlock_lines():
            wanted = self.expected.get(match["id"], "?")
            if wanted == "?":
                problems.append(f"unexpected unlock {match['id']}")
            elif wanted is not None and match["source"] != wanted:
                problems.append(
                    f"{match['id']} came by {match['source']}, expected {wanted}"
                )
            made = self.made.get(match["id"])
            if match["delayed"] != (late := str(bool(made and made.delayed))):
                problems.append(
                    f"{match['id']} is delayed={match['delayed']}, expected {late}"
                )
        problems.extend(
            f"{event_id} reached the automation {counts[event_id]} times"
            for event_id in self.expected
            if counts[event_id] != 1
        )
        if self.device_door:
            by_device = Counter(m["id"] for m in DEVICE_LINE.finditer(self.log_text()))
            problems.extend(
                f"{event_id} reached the device-trigger automation "
                f"{by_device[event_id]} times, expected {runs}"
                for event_id in {*self.expected, *by_device}
                if by_device[event_id]
                != (
                    runs := int(
                        self.door_of.get(event_id) == self.device_door
                        and not (event_id in self.made and self.made[event_id].delayed)
                    )
                )
            )
        # The editor's trigger: once per timely unlock by Alice after it was saved.
        who = list(WHO_LINE.finditer(self.log_text()))
        by_who = Counter(m["id"] for m in who)
        problems.extend(
            f"{event_id} ({self.made.get(event_id, '?')}) reached the parakey.unlocked "
            f"automation {by_who[event_id]} times, expected {runs}"
            for event_id in sorted({*self.who_expected, *by_who})
            if by_who[event_id] != (runs := self.who_expected.get(event_id, 0))
        )
        problems.extend(
            f"parakey.unlocked gave trigger.entity_id={m['entity']!r} for {m['id']}"
            for m in who
            if m["entity"] != FRONT_EVENT
        )
        problems.extend(self.problems)
        problems.extend(f"log: {line}" for line in self.bad_lines())
        return problems

    async def run(self) -> list[str]:
        self.write_config()
        self.start_simulator()
        async with aiohttp.ClientSession() as session:

            async def sim_up() -> bool:
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{self.sim_url}/_sim/stats") as resp:
                        return resp.status == 200
                return False

            await wait_for("the simulator", sim_up, 30)
            await self.first_start(session)
            missed = await self.downtime(session)
            await self.second_start(session, missed)
        self.stop_hass()
        return self.verdict()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--hass", default=str(Path(sys.executable).with_name("hass")), help="hass"
    )
    parser.add_argument("--ha-port", type=int, default=28123)
    parser.add_argument("--sim-port", type=int, default=28710)
    parser.add_argument("--start-timeout", type=float, default=300)
    parser.add_argument("--keep", help="work in this folder and keep it")
    args = parser.parse_args()
    if args.keep:
        work = Path(args.keep)
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="parakey-live-"))
    check = LiveCheck(args, work)
    started = time.monotonic()
    try:
        problems = asyncio.run(check.run())
    except (CheckFailedError, SystemExit, aiohttp.ClientError, TimeoutError) as err:
        problems = [f"{type(err).__name__}: {err}", *check.verdict()]
    finally:
        check.stop_all()
    for problem in problems:
        print(f"live_check: FAIL {problem}")
    if problems:
        print(f"live_check: logs in {work}")
    elif not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    verdict = "FAIL" if problems else "PASS"
    for skipped in check.skipped:
        print(f"live_check: skipped on {check.version} (no API): {skipped}")
    print(
        f"live_check: {verdict} Home Assistant {check.version}: "
        f"{len(check.made)} unlocks checked, {len(check.passed)} checks passed, "
        f"{len(check.skipped)} skipped, {len(problems)} problem(s), "
        f"{time.monotonic() - started:.0f} s"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
