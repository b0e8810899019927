// Runs the board's WebAssembly verifier under Node.js (V8, the engine of
// Chromium) with the board's own glue (service/src/board/assets/verifier.js)
// on one document, `runs` times, and prints the timings as JSON: what the
// board's worker does when a visitor presses "Verify".
//
// With `parts` > 1 the check is split as the board splits an election's:
// `parts` worker threads, one module each, each verifying its share of the
// ballot proofs (and everything else), combined by the board's own
// `combineShares`. The workers are started and their modules instantiated
// before the timed runs.
//
// Usage: node verify.mjs <verifier.js> <module.wasm> <document.json> <log key> <runs> [extra JSON | @file] [parts]
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";

if (!isMainThread) {
  // One worker: instantiate, then answer each request text posted to it.
  const { glue, wasmPath } = workerData;
  const { instantiate, call } = await import(pathToFileURL(glue).href);
  const instance = await instantiate(readFileSync(wasmPath));
  parentPort.on("message", (request) => parentPort.postMessage(call(instance, request)));
  parentPort.postMessage("ready");
} else {
  const [glue, wasmPath, documentPath, logKey, runs, extraArg, partsArg] = process.argv.slice(2);
  const { instantiate, call, combineShares } = await import(pathToFileURL(glue).href);
  const parts = Number(partsArg || 1);
  const extra = JSON.parse((extraArg?.startsWith("@") ? readFileSync(extraArg.slice(1), "utf8") : extraArg) || "{}");
  const documentText = readFileSync(documentPath, "utf8");
  const request = (more) => {
    const head = JSON.stringify({ op: "verify", log_key: logKey, ...extra, ...more });
    return `${head.slice(0, -1)},"document":${documentText}}`;
  };

  let started = performance.now();
  let ask;
  let workers = [];
  if (parts > 1) {
    workers = await Promise.all(Array.from({ length: parts }, () => new Promise((resolve) => {
      const worker = new Worker(new URL(import.meta.url), { workerData: { glue, wasmPath } });
      worker.once("message", () => resolve(worker));
    })));
    const texts = workers.map((_, part) => request({ share: { part, parts } }));
    ask = async () => combineShares(await Promise.all(workers.map((worker, i) => new Promise((resolve) => {
      worker.once("message", resolve);
      worker.postMessage(texts[i]);
    }))));
  } else {
    const instance = await instantiate(readFileSync(wasmPath));
    const text = request({});
    ask = async () => call(instance, text);
  }
  const instantiateMs = performance.now() - started;

  const runsMs = [];
  let answer;
  for (let i = 0; i < Number(runs); i++) {
    started = performance.now();
    answer = await ask();
    runsMs.push(performance.now() - started);
    if (!answer.ok) break;
  }
  for (const worker of workers) await worker.terminate();
  console.log(JSON.stringify({
    instantiate_ms: instantiateMs,
    runs_ms: runsMs,
    ok: answer.ok,
    error: answer.error,
    kind: answer.kind,
    lines: answer.lines?.map((line) => line.text),
  }));
}
