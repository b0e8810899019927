// First load of the board in headless Chromium, with a cold cache: time
// from navigation to the page's own verdict ("verified in your browser":
// the module downloaded, compiled, and the checkpoint checked), and the
// bytes transferred. Run against any `zkaudit serve`:
//
//   node benches/board/first-load.mjs <board-tools dir> <chromium> <base URL> [runs]
import { createRequire } from "node:module";

const [tools, chromium, base, runs = "5"] = process.argv.slice(2);
const require = createRequire(`${tools}/node_modules/`);
const puppeteer = require("puppeteer-core");
const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ["--no-sandbox"] });
const results = [];
for (let i = 0; i < Number(runs); i++) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  const cdp = await page.createCDPSession();
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  let bytes = 0;
  cdp.on("Network.loadingFinished", (event) => { bytes += event.encodedDataLength; });
  const started = Date.now();
  await page.goto(`${base}/`, { waitUntil: "load" });
  const loaded = Date.now() - started;
  await page.waitForFunction(() => /verified in your browser/.test(document.getElementById("live").textContent), { timeout: 60000 });
  results.push({ loaded_ms: loaded, verified_ms: Date.now() - started, bytes });
  await context.close();
}
await browser.close();
const median = (key) => results.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
console.log(JSON.stringify({ runs: results.length, loaded_ms: median("loaded_ms"), verified_ms: median("verified_ms"), bytes: median("bytes"), results }));
