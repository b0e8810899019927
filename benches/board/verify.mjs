// Runs the board's WebAssembly verifier under Node.js (V8, the engine of
// Chromium) with the board's own glue (service/src/board/assets/verifier.js)
// on one document, `runs` times, and prints the timings as JSON: what the
// board's worker does when a visitor presses "Verify".
//
// Usage: node verify.mjs <verifier.js> <module.wasm> <document.json> <log key> <runs> [extra JSON]
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [glue, wasmPath, documentPath, logKey, runs, extra] = process.argv.slice(2);
const { instantiate, call } = await import(pathToFileURL(glue).href);

let started = performance.now();
const instance = await instantiate(readFileSync(wasmPath));
const instantiateMs = performance.now() - started;

const documentText = readFileSync(documentPath, "utf8");
const head = JSON.stringify({ op: "verify", log_key: logKey, ...JSON.parse(extra || "{}") });
const request = `${head.slice(0, -1)},"document":${documentText}}`;
const runsMs = [];
let answer;
for (let i = 0; i < Number(runs); i++) {
  started = performance.now();
  answer = call(instance, request);
  runsMs.push(performance.now() - started);
  if (!answer.ok) break;
}
console.log(JSON.stringify({ instantiate_ms: instantiateMs, runs_ms: runsMs, ok: answer.ok, error: answer.error, kind: answer.kind }));
