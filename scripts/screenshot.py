"""Screenshot a Home Assistant page as a logged-in user, with headless Chromium.

Talks the Chrome DevTools protocol over a websocket: opens Home Assistant,
stores the login in localStorage (as the web UI does after a login), opens
the page and saves a PNG.

Usage: python scripts/screenshot.py LOGIN_JSON PAGE_PATH OUT.png
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from pathlib import Path
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

import aiohttp

PORT = 9333


class Page:
    """One browser tab driven over the DevTools protocol."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self.ids)
        await self.socket.send_json(
            {"id": message_id, "method": method, "params": params}
        )
        while True:
            message = await self.socket.receive_json()
            if message.get("id") == message_id:
                return dict(message.get("result", {}))


async def shoot(login: dict[str, Any], path: str, out: Path) -> None:
    base = login["url"]
    tokens = {
        "access_token": login["token"],
        "refresh_token": login["refresh_token"],
        "token_type": "Bearer",
        "expires_in": 1800,
        "hassUrl": base,
        "clientId": f"{base}/",
        "expires": int(time.time() * 1000) + 1_800_000,
    }
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.get(f"http://127.0.0.1:{PORT}/json") as resp:
                    targets = await resp.json()
                break
            except aiohttp.ClientError:
                await asyncio.sleep(0.2)
        target = next(t for t in targets if t["type"] == "page")
        async with session.ws_connect(
            target["webSocketDebuggerUrl"], max_msg_size=0
        ) as ws:
            page = Page(ws)
            await page.call("Page.enable")
            await page.call(
                "Emulation.setDeviceMetricsOverride",
                width=1280,
                height=800,
                deviceScaleFactor=1,
                mobile=False,
            )
            await page.call("Page.navigate", url=f"{base}/auth/authorize")
            await asyncio.sleep(2)
            script = (
                f"localStorage.setItem('hassTokens', {json.dumps(json.dumps(tokens))})"
            )
            await page.call("Runtime.evaluate", expression=script)
            await page.call("Page.navigate", url=f"{base}{path}")
            await asyncio.sleep(8)  # the web UI loads, connects and renders the cards
            shot = await page.call("Page.captureScreenshot", format="png")
            out.write_bytes(base64.b64decode(shot["data"]))


def main() -> None:
    login = json.loads(sys.argv[1])
    path, out = sys.argv[2], Path(sys.argv[3])
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.exit("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        process = subprocess.Popen(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                f"--remote-debugging-port={PORT}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            asyncio.run(shoot(login, path, out))
        finally:
            process.terminate()
            process.wait(timeout=10)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
