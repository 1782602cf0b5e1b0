// Click through what a new user meets, in one language, on a running demo; save a PNG
// of each screen: the options menu and People page, the config flow, the repairs and a
// Parakey repair, the automation editor's Parakey trigger and condition (2026.x), and
// Activity. Selectors do not depend on the language, except the labels passed in.
//
//   PARAKEY_CONFIG_DIR=/tmp/demo HA_PORT=18423 SIM_PORT=19010 setsid scripts/develop --ha 2026.11 --demo &
//   npm install --prefix /tmp/pw playwright-core      # once
//   NODE_PATH=/tmp/pw/node_modules node scripts/click_language.cjs /tmp/demo/.demo.json
//
// Environment: LANG_UI (nb; the profile language), OUT (/tmp/shots), STEPS (a comma-
// separated subset of menu,people,config,repairs,editor,activity), and the labels to
// click in that language: CONFIGURE, PEOPLE, ADD, ISSUE, TRIGGER, CONDITION (Norwegian
// by default). Set the server language too (Settings -> System -> General) for the
// logbook lines. It changes nothing: dialogs are closed, the automation is not saved.
"use strict";
const { chromium } = require("playwright-core");
const fs = require("fs");
const login = JSON.parse(fs.readFileSync(process.argv[2] || ".demo.json", "utf8").trim().split("\n").pop());
const BASE = login.url;
const LANG = process.env.LANG_UI || "nb";
const OUT = process.env.OUT || "/tmp/shots";
const STEPS = (process.env.STEPS || "menu,people,config,repairs,editor,activity").split(",");
const pause = (p, ms) => p.waitForTimeout(ms);
async function shot(page, name) {
  await page.mouse.move(1270, 890);
  await pause(page, 700);
  const file = `${OUT}/${LANG}-${name}.png`;
  await page.screenshot({ path: file });
  console.log("wrote", file);
}
(async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("dialog", (d) => d.accept());
  const tokens = { access_token: login.token, refresh_token: login.refresh_token, token_type: "Bearer", expires_in: 1800, hassUrl: BASE, clientId: `${BASE}/`, expires: Date.now() + 1800000 };
  await page.goto(`${BASE}/auth/authorize?response_type=code`).catch(() => {});
  await page.evaluate(([t, lang]) => { localStorage.setItem("hassTokens", JSON.stringify(t)); localStorage.setItem("selectedLanguage", JSON.stringify(lang)); }, [tokens, LANG]);
  const run = async (name, fn) => { if (!STEPS.includes(name)) return; try { await fn(); } catch (e) { console.error(name, "failed:", e.message.split("\n")[0]); await page.screenshot({ path: `${OUT}/${LANG}-${name}.failed.png` }); } };
  await run("menu", async () => {
    await page.goto(`${BASE}/config/integrations/integration/parakey`); await pause(page, 4000);
    await page.getByRole("button", { name: new RegExp(process.env.CONFIGURE || "Konfigurer", "i") }).first().click(); await pause(page, 2500);
    await shot(page, "options-menu");
  });
  await run("people", async () => {
    await page.getByText(process.env.PEOPLE || "Personer og tilstedeværelse", { exact: true }).first().click(); await pause(page, 2500);
    await shot(page, "options-people");
    await page.keyboard.press("Escape"); await pause(page, 1000);
  });
  await run("config", async () => {
    await page.goto(`${BASE}/config/integrations/dashboard`); await pause(page, 3000);
    await page.getByRole("button", { name: new RegExp(process.env.ADD || "Legg til integrasjon", "i") }).first().click(); await pause(page, 2000);
    await page.keyboard.type("Parakey"); await pause(page, 1200);
    await page.locator("ha-integration-list-item").filter({ hasText: "Parakey" }).first().click(); await pause(page, 3000);
    await shot(page, "config-flow");
    await page.keyboard.press("Escape"); await pause(page, 1000);
  });
  await run("repairs", async () => {
    await page.goto(`${BASE}/config/repairs`); await pause(page, 3000);
    await shot(page, "repairs");
    await page.getByText(process.env.ISSUE || "Webhook-URL-en til Parakey er ikke HTTPS").first().click(); await pause(page, 2500);
    await shot(page, "repair-confirm");
    await page.keyboard.press("Escape"); await pause(page, 1000);
  });
  await run("editor", async () => {
    await page.goto(`${BASE}/config/automation/edit/new`); await pause(page, 4000);
    await shot(page, "editor-new");
    await page.locator("ha-automation-trigger ha-button, ha-automation-trigger mwc-button, ha-automation-trigger ha-assist-chip").first().click(); await pause(page, 2000);
    await page.keyboard.type("Parakey"); await pause(page, 2000);
    await shot(page, "editor-add-trigger");
    await page.getByText(process.env.TRIGGER || "Dør låst opp", { exact: true }).first().click(); await pause(page, 2500);
    await shot(page, "editor-trigger");
    await page.locator("ha-automation-condition ha-button, ha-automation-condition mwc-button").first().click(); await pause(page, 2000);
    await page.keyboard.type("Parakey"); await pause(page, 2000);
    await page.getByText(process.env.CONDITION || "Dør låst opp nylig", { exact: true }).first().click(); await pause(page, 2500);
    await page.mouse.wheel(0, 500); await pause(page, 1000);
    await shot(page, "editor-condition");
  });
  await run("activity", async () => {
    await page.goto(`${BASE}/logbook`); await pause(page, 5000);
    await shot(page, "activity");
  });
  await browser.close();
})();
