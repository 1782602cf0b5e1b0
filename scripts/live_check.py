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

The automation writes one log line per ``parakey_unlock`` event; the lines are counted.
Only documented names are used: ``event.<door>_unlock``, the ``parakey_unlock`` event's
data, ``sensor.<place>_last_webhook``.

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
)

REPO = Path(__file__).resolve().parent.parent
SIM_TOKEN = "live-check"
MARK = "parakey-live-check"
DEVICE_MARK = "parakey-live-check-device"
DEVICE_LINE = re.compile(rf"{DEVICE_MARK} event_id=(?P<id>\S+)")
UNLOCK_LINE = re.compile(
    rf"{MARK} event_id=(?P<id>\S+) source=(?P<source>\S+) delayed=(?P<delayed>\S+)"
)
BAD_LINES = (
    # An error logged by the integration itself.
    re.compile(r"\b(ERROR|CRITICAL)\b.*\[custom_components\.parakey\b"),
    # Home Assistant's report of a deprecated call by this integration.
    re.compile(r"Detected that custom integration 'parakey'"),
    re.compile(r"Setup failed for custom integration '?parakey"),
    re.compile(r"Error setting up entry .* for parakey"),
    re.compile(r"Error (doing job|running job|in|executing).*parakey", re.IGNORECASE),
    re.compile(r'File ".*custom_components/parakey/'),
)
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
        self, session: aiohttp.ClientSession, door_id: str, user_id: str
    ) -> str:
        return str((await self.sim_unlock_log(session, door_id, user_id))["id"])

    async def sim_unlock_log(
        self, session: aiohttp.ClientSession, door_id: str, user_id: str
    ) -> dict[str, Any]:
        async with session.post(
            f"{self.sim_url}/_sim/unlocks",
            json={"door_id": door_id, "user_id": user_id},
        ) as resp:
            resp.raise_for_status()
            log = dict(await resp.json())
        self.door_of[str(log["id"])] = door_id
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
        offered = [t for t in triggers if t.get("domain") == "parakey"]
        if [t.get("type") for t in offered] != ["unlocked"]:
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
        self, ha: HomeAssistant, entity_id: str, event_id: str, source: str
    ) -> None:
        async def updated() -> bool:
            state = (await self.states(ha)).get(entity_id)
            return bool(state) and state["attributes"].get("event_id") == event_id

        await wait_for(f"{entity_id} to show {event_id}", updated, 10)
        attributes = (await self.states(ha))[entity_id]["attributes"]
        if attributes.get("source") != source:
            raise CheckFailedError(f"{entity_id} has source {attributes.get('source')}")

    # ----- the scenario -----

    async def first_start(self, session: aiohttp.ClientSession) -> None:
        self.start_hass()
        ha = await self.connect(session)
        step(f"Home Assistant {self.version} is up; onboarded and logged in")
        entry_id = await add_parakey(ha, SIM_TOKEN, self.sim_url)
        step(f"config flow created entry {entry_id}")
        doors = await self.check_doors(ha, entry_id)
        step(f"door devices with event entities: {', '.join(doors)}")
        await self.add_device_trigger_automation(ha, "event.front_door_unlock", "dev_1")

        # The first poll sets the position from the server clock (to the second).
        await asyncio.sleep(2)
        by_poll = await self.sim_unlock(session, "dev_1", "usr_1")
        self.expected[by_poll] = "poll"
        # The options flow switches the webhook on (and reloads the entry); the
        # unlock above was made before the simulator knew the webhook: poll only.
        self.webhook = await enable_webhook(session, ha, entry_id, self.sim_url)

        async def webhook_sensor() -> str | None:
            return next(
                (e for e in await self.states(ha) if e.endswith("_last_webhook")), None
            )

        sensor = await wait_for("the Last webhook sensor", webhook_sensor, 30)
        step(f"options flow: webhook on ({sensor} exists)")
        match = await self.wait_unlock(by_poll, 150)
        step(f"unlock {by_poll} arrived by {match['source']}")
        await self.check_entity(ha, "event.front_door_unlock", by_poll, "poll")

        by_webhook = await self.sim_unlock(session, "dev_2", "usr_2")
        self.expected[by_webhook] = "webhook"
        match = await self.wait_unlock(by_webhook, 30)
        step(f"unlock {by_webhook} arrived by {match['source']}")
        await self.check_entity(ha, "event.back_door_unlock", by_webhook, "webhook")

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
            match = await self.wait_unlock(event_id, 150)
            step(f"downtime unlock {event_id} arrived by {match['source']}")
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
            if match["delayed"] != "False":
                problems.append(f"{match['id']} is delayed={match['delayed']}")
        problems.extend(
            f"{event_id} reached the automation {counts[event_id]} times"
            for event_id in self.expected
            if counts[event_id] != 1
        )
        if self.device_door:
            by_device = Counter(m["id"] for m in DEVICE_LINE.finditer(self.log_text()))
            problems.extend(
                f"{event_id} reached the device-trigger automation "
                f"{by_device[event_id]} times, expected {wanted}"
                for event_id in {*self.expected, *by_device}
                if by_device[event_id]
                != (wanted := int(self.door_of.get(event_id) == self.device_door))
            )
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
    print(
        f"live_check: {verdict} Home Assistant {check.version}: "
        f"{len(check.expected)} unlocks checked, {len(problems)} problem(s), "
        f"{time.monotonic() - started:.0f} s"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
