// Drives the public board in a real headless Chromium (puppeteer-core over
// the DevTools protocol) for service/tests/board.rs, and prints what it saw
// as one JSON object: per page, console errors and axe-core's WCAG 2.1
// A/AA violations; per check, the status the page showed and its report.
//
// Usage: node browser.mjs <plan.json>   (see board.rs for the plan)
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const require = createRequire(`${plan.tools}/node_modules/`);
const puppeteer = require("puppeteer-core");
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const browser = await puppeteer.launch({
  executablePath: plan.chromium,
  headless: true,
  protocolTimeout: 600000,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const step = (text) => console.error(`[board test] ${new Date().toISOString()} ${text}`);
const result = { pages: {}, checks: {} };

/** A fresh page (its own storage when `isolated`) that records console errors. */
const desktop = { width: 1100, height: 900 };
const phone = { width: 390, height: 844, isMobile: true, hasTouch: true };

async function open(path, errors, isolated = false, base = plan.base, viewport = desktop) {
  const context = isolated ? await browser.createBrowserContext() : browser.defaultBrowserContext();
  const page = await context.newPage();
  await page.setViewport(viewport);
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
    step(`console ${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => {
    if (!request.url().includes("/v1/log/events")) {
      errors.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
    }
  });
  await page.goto(`${base}${path}`, { waitUntil: "load" });
  return page;
}

/** Waits until the status element `id` shows a verdict; returns it and the report. */
async function verdict(page, name, timeout = 240000) {
  await page.waitForFunction(
    (id) => {
      const s = document.getElementById(`${id}-status`);
      return s && (s.classList.contains("ok") || s.classList.contains("failed") || s.classList.contains("warning"));
    },
    { timeout, polling: 200 },
    name,
  );
  return page.evaluate((id) => ({
    level: document.getElementById(`${id}-status`).className.replace("status", "").trim(),
    status: document.getElementById(`${id}-status`).textContent,
    report: [...(document.getElementById(`${id}-report`)?.querySelectorAll("li") ?? [])].map((li) => li.textContent),
  }), name);
}

async function axe(page) {
  await page.evaluate(axeSource);
  const found = await page.evaluate(() =>
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
  return found.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`);
}

/** Clicks `selector` as a user's click does (no coordinates: a layout
 *  shift between scrolling and clicking cannot make it miss). */
async function press(page, selector) {
  await page.$eval(selector, (element) => element.click());
}

async function paste(page, textarea, text, submit) {
  await page.$eval(textarea, (element, value) => { element.value = value; }, text);
  await press(page, submit);
}

// Live updates: the log page follows new checkpoints (the test appends
// while this waits) and updates its counts.
{
  const errors = [];
  step("live");
  const page = await open("/", errors);
  const before = Number(await page.$eval("#log-size", (e) => e.textContent));
  await page.waitForFunction((size) => Number(document.getElementById("log-size").textContent) > size, { timeout: 60000 }, before);
  result.checks.live = {
    before,
    after: Number(await page.$eval("#log-size", (e) => e.textContent)),
    counts: Object.fromEntries(await page.$$eval("[data-count]", (cells) => cells.map((c) => [c.dataset.count, c.textContent]))),
    errors,
  };
  await page.close();
}

// Every page: loads, checks the log's history, passes axe, is kept as a
// screenshot; where it has a verification panel named `verify`, the
// verification runs in the browser and its verdict is kept.
for (const { base, path, name, verify } of plan.pages) {
  const errors = [];
  step(`page ${path}`);
  const page = await open(path, errors, false, base);
  await page.waitForFunction(() => document.getElementById("live").textContent.length > 0, { timeout: 60000 });
  const live = await page.$eval("#live", (e) => e.textContent);
  const violations = await axe(page);
  await page.screenshot({ path: `${plan.screenshots}/${name}.png`, fullPage: true });
  const seen = { errors, violations, live };
  if (path === "/") result.checks.history = await verdict(page, "history");
  if (verify) {
    const started = Date.now();
    await press(page, `#${verify}-button`);
    seen.verified = await verdict(page, verify);
    seen.verified.millis = Date.now() - started;
    await page.screenshot({ path: `${plan.screenshots}/${name}-verified.png`, fullPage: true });
  }
  result.pages[name] = seen;
  await page.close();
}

// Verify this election: the whole bundle in the browser.
{
  const errors = [];
  const page = await open(plan.election_page, errors);
  const started = Date.now();
  step("verify the election");
  await press(page, "#election-button");
  result.checks.election = await verdict(page, "election");
  result.checks.election.millis = Date.now() - started;
  await page.screenshot({ path: `${plan.screenshots}/election-verified.png`, fullPage: true });
  step("standing");
  await paste(page, "#standing-text", plan.ballot_receipt, "#standing-form button");
  result.checks.standing = await verdict(page, "standing");
  result.checks.election.errors = errors;
  await page.close();
}

// A receipt dropped on the check form as a file: read and checked at once.
{
  const errors = [];
  const page = await open("/check", errors);
  step("drop a receipt");
  await page.evaluate((text) => {
    const files = new DataTransfer();
    files.items.add(new File([text], "receipt.json", { type: "application/json" }));
    const form = document.getElementById("check-form");
    form.dispatchEvent(new DragEvent("dragover", { dataTransfer: files, bubbles: true, cancelable: true }));
    form.dispatchEvent(new DragEvent("drop", { dataTransfer: files, bubbles: true, cancelable: true }));
  }, plan.documents.receipt);
  result.checks.dropped_receipt = await verdict(page, "check");
  result.checks.dropped_receipt.errors = errors;
  await page.close();
}

// The funds report again: the parameters derived the first time were kept.
{
  const errors = [];
  const page = await open(plan.funds_page, errors);
  step("verify the funds report again");
  await press(page, "#funds-button");
  result.checks.funds_again = await verdict(page, "funds");
  result.checks.funds_again.errors = errors;
  await page.close();
}

// Check a receipt: a good one, a tampered one, a tampered bundle.
for (const [name, text] of Object.entries(plan.documents)) {
  const errors = [];
  const page = await open("/check", errors);
  await paste(page, "#check-text", text, "#check-form button");
  result.checks[name] = await verdict(page, "check");
  result.checks[name].errors = errors;
  if (name === "tampered_bundle") await page.screenshot({ path: `${plan.screenshots}/check-tampered.png`, fullPage: true });
  await page.close();
}

// On a phone: the log and an election page at a phone's width, still
// without axe violations and without sideways scrolling.
for (const path of ["/", plan.election_page]) {
  const errors = [];
  const page = await open(path, errors, false, plan.base, phone);
  await page.waitForFunction(() => document.getElementById("live").textContent.length > 0, { timeout: 60000 });
  const name = `phone${path.replaceAll("/", "-")}`.replace(/-$/, "");
  await page.screenshot({ path: `${plan.screenshots}/${name}.png`, fullPage: true });
  result.pages[name] = {
    errors,
    violations: await axe(page),
    live: await page.$eval("#live", (e) => e.textContent),
    overflow: await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
  };
  await page.close();
}

// A browser that saw another history of the log (same key): fork, rollback.
for (const [name, seen] of Object.entries(plan.remembered)) {
  const errors = [];
  // The memory is planted from a page of the same origin that runs no
  // script (the JSON API), then the board is opened.
  const page = await open("/v1/log", errors, true);
  await page.evaluate((key, value) => localStorage.setItem(key, value), `zkaudit:checkpoint:${plan.origin}`, JSON.stringify(seen));
  errors.length = 0; // what the JSON page asked for (a favicon) is not the board's
  await page.goto(`${plan.base}/`, { waitUntil: "load" });
  result.checks[name] = await verdict(page, "history");
  result.checks[name].evidence = await page.$$eval("#history-evidence a", (links) => links.map((a) => a.download));
  result.checks[name].errors = errors;
  await page.screenshot({ path: `${plan.screenshots}/${name}.png`, fullPage: true });
  await page.close();
}

await browser.close();
console.log(JSON.stringify(result));
