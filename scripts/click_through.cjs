// Click through the Parakey screens of a running demo as its owner, in headless
// Chromium at 1280x900, and save a PNG of each under docs/screenshots/.
//
//   HA_PORT=18423 SIM_PORT=19010 PARAKEY_CONFIG_DIR=$(mktemp -d) setsid scripts/develop --demo &
//   (add --ha 2026.11 to click through Home Assistant 2026.11 instead of the host's 2025.4)
//   npm install --prefix /tmp/pw playwright-core      # once; never `npx playwright install`
//   NODE_PATH=/tmp/pw/node_modules node scripts/click_through.cjs http://127.0.0.1:18423
//
// Environment: CHROMIUM (/usr/bin/chromium), OUT (docs/screenshots), ONLY (a comma-separated
// list of shot names, e.g. ONLY=dashboard,event-more-info).
// Shots: options-menu, options-settings, options-webhook, options-people,
// config-flow-error, automation-who, event-more-info, dashboard.
// It changes nothing: option dialogs are closed, not submitted; the automation is not saved;
// the config flow fails on purpose (API address http://127.0.0.1:9).

"use strict";
const path = require("path");
const { chromium } = require("playwright-core");

const BASE = (process.argv[2] || "http://127.0.0.1:8123").replace(/\/$/, "");
const OUT = process.env.OUT || path.join(__dirname, "..", "docs", "screenshots");
const ONLY = process.env.ONLY ? process.env.ONLY.split(",") : null;
const USER = process.env.HA_USER || "demo";
const PASSWORD = process.env.HA_PASSWORD || "parakey-demo";

const pause = (page, ms) => page.waitForTimeout(ms);

async function shot(page, name) {
  const file = path.join(OUT, `${name}.png`);
  await page.mouse.move(1270, 890); // no hover highlight in the picture
  await pause(page, 600);
  await page.screenshot({ path: file });
  console.log(`wrote ${file}`);
}

async function login(page) {
  await page.goto(`${BASE}/`);
  await page.locator('input[name="username"]').fill(USER);
  await page.locator('input[name="password"]').fill(PASSWORD);
  await page.keyboard.press("Enter");
  await page.waitForURL((url) => !url.pathname.startsWith("/auth"), { timeout: 30000 });
  await pause(page, 3000);
}

const flowDialog = (page) => page.locator("dialog-data-entry-flow");

async function closeFlow(page) {
  await flowDialog(page).locator('[dialogaction="close"]').first().click();
  await flowDialog(page).locator("ha-dialog[open]").waitFor({ state: "detached" }).catch(() => {});
  await pause(page, 800);
}

async function openOptions(page) {
  await page.goto(`${BASE}/config/integrations/integration/parakey`);
  await pause(page, 3000);
  await page.getByText("Configure", { exact: true }).first().click();
  await page.getByText("Polling and webhook", { exact: true }).waitFor();
  await pause(page, 1000);
}

const SHOTS = {
  async "options-menu"(page) {
    await openOptions(page);
    await shot(page, "options-menu");
    await closeFlow(page);
  },

  async "options-settings"(page) {
    await openOptions(page);
    await page.getByText("Polling and webhook", { exact: true }).click();
    await page.getByText("Receive unlocks by webhook").first().waitFor();
    await pause(page, 1000);
    await shot(page, "options-settings");
    await closeFlow(page);
  },

  async "options-webhook"(page) {
    await openOptions(page);
    await page.getByText("Polling and webhook", { exact: true }).click();
    const toggle = flowDialog(page).locator("ha-switch").first();
    await toggle.waitFor();
    await pause(page, 800);
    if (!(await toggle.evaluate((el) => el.checked))) await toggle.click();
    await flowDialog(page).getByRole("button", { name: "Submit" }).click();
    await page.getByText("Make a new header value").first().waitFor();
    await pause(page, 1000);
    await shot(page, "options-webhook");
    await closeFlow(page); // not submitted: nothing changes
  },

  async "options-people"(page) {
    await openOptions(page);
    await page.getByText("People and presence", { exact: true }).click();
    await page.getByText("Home for").first().waitFor();
    await pause(page, 1500);
    await shot(page, "options-people");
    await closeFlow(page);
  },

  async "config-flow-error"(page) {
    await page.goto(`${BASE}/config/integrations/dashboard`);
    await pause(page, 3000);
    await page.getByRole("button", { name: /add integration/i }).click();
    await pause(page, 2000);
    await page.keyboard.type("Parakey");
    await pause(page, 1000);
    await page.locator("ha-integration-list-item").filter({ hasText: "Parakey" }).first().click();
    const dialog = flowDialog(page);
    await dialog.locator('input[type="password"]').waitFor();
    await pause(page, 800);
    await dialog.locator('input[type="password"]').fill("any-token");
    await dialog.getByText("Advanced", { exact: true }).click();
    await dialog.locator('input[type="url"]').fill("http://127.0.0.1:9");
    await dialog.getByRole("button", { name: "Submit" }).click();
    await dialog.locator("ha-alert").first().waitFor();
    await pause(page, 1000);
    await shot(page, "config-flow-error");
    await closeFlow(page);
  },

  async "automation-who"(page) {
    await page.goto(`${BASE}/config/automation/edit/new`);
    await pause(page, 3000);
    await page.getByRole("button", { name: /add trigger/i }).first().click();
    await pause(page, 1500);
    await page.getByText("Device", { exact: true }).first().click();
    await pause(page, 1500);
    await page.locator("ha-device-picker").first().click();
    await pause(page, 800);
    await page.keyboard.type("Front door");
    await pause(page, 1200);
    await page.keyboard.press("Enter");
    await pause(page, 2000);
    // The device's first trigger is picked by itself; make sure it is "Door unlocked".
    const editor = page.locator("ha-automation-trigger-device").first();
    if ((await editor.evaluate((el) => el.trigger?.type)) !== "unlocked") {
      await page.locator("ha-device-trigger-picker").first().click();
      await page.locator("ha-list-item, mwc-list-item").filter({ hasText: /^Door unlocked$/ }).first().click();
    }
    await editor.locator("ha-formfield").first().waitFor(); // the "Who" choices
    await pause(page, 1000);
    await shot(page, "automation-who");
  },

  async "event-more-info"(page) {
    await page.goto(`${BASE}/parakey-doors/doors`);
    await pause(page, 4000);
    await page.getByText("Front door", { exact: true }).first().click();
    await page.locator("ha-more-info-dialog").getByText("Logbook").first().waitFor();
    await pause(page, 3000);
    await shot(page, "event-more-info");
    await page.keyboard.press("Escape");
    await pause(page, 1000);
  },

  async dashboard(page) {
    await page.goto(`${BASE}/parakey-doors/doors`);
    await pause(page, 5000);
    await shot(page, "dashboard");
  },
};

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-quic",
    ],
  });
  let failed = 0;
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("dialog", (d) => d.accept()); // "leave the unsaved automation?"
    await login(page);
    for (const [name, run] of Object.entries(SHOTS)) {
      if (ONLY && !ONLY.includes(name)) continue;
      try {
        await run(page);
      } catch (err) {
        failed += 1;
        console.error(`${name} failed: ${err.message.split("\n")[0]}`);
        await page.screenshot({ path: path.join(OUT, `${name}.failed.png`) }).catch(() => {});
        await page.goto(`${BASE}/`).catch(() => {});
      }
    }
  } finally {
    await browser.close();
  }
  process.exit(failed ? 1 : 0);
})();
