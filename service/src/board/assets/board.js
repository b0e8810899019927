// zkaudit public board: verifies what the page shows, in this browser,
// with the WebAssembly build of `zkaudit verify` (worker.js). Nothing here
// decides whether anything verifies: the verifier does (a check split over
// several workers holds only if each says so); this script fetches, asks
// and shows the answers.
"use strict";

import { combineShares } from "./verifier.js";

const config = JSON.parse(document.getElementById("board-config").textContent);
const storageKey = `zkaudit:checkpoint:${config.origin}`;
const $ = (id) => document.getElementById(id);

// --- the verifier, in workers ------------------------------------------------

/** One Web Worker running the verifier, and the requests it owes answers to. */
class VerifierWorker {
  constructor() {
    this.pending = new Map();
    this.nextId = 0;
    // A worker that cannot start (no module workers, a blocked script)
    // answers every request with this, never leaving the page waiting.
    this.broken = null;
    this.worker = new Worker("/board/assets/worker.js", { type: "module" });
    this.worker.onmessage = (event) => {
      const { id, answer } = event.data;
      this.pending.get(id)?.(answer);
      this.pending.delete(id);
    };
    this.worker.onerror = (event) => {
      this.broken = `the verifier could not run in this browser: ${event.message || "its script or WebAssembly module did not load"}`;
      for (const resolve of this.pending.values()) resolve({ ok: false, unavailable: true, error: this.broken });
      this.pending.clear();
    };
  }

  ask(text) {
    if (this.broken) return Promise.resolve({ ok: false, unavailable: true, error: this.broken });
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.pending.set(id, resolve);
      this.worker.postMessage({ id, request: text });
    });
  }
}

// One worker answers everything; an election's ballot proofs are split
// over up to four (one per core), started when first needed.
const PARTS = Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 4));
const workers = [new VerifierWorker()];
const workerAt = (i) => {
  while (workers.length <= i) workers.push(new VerifierWorker());
  return workers[i];
};

/** Asks the verifier (worker `at`); `document` (text) is passed as it is, unparsed. */
function verify(request, documentText, at = 0) {
  let text = JSON.stringify(request);
  if (documentText !== undefined) {
    text = `${text.slice(0, -1)},"document":${documentText}}`;
  }
  return workerAt(at).ask(text);
}

const ELECTION_BUNDLE_FORMAT = "zkaudit-election-bundle/v1";

/** An election bundle, its ballot proofs split over `PARTS` workers in
 *  parallel: each verifies everything else and its share of the proofs;
 *  the bundle holds only if every part does. */
async function verifyElection(request, documentText, bar) {
  const started = performance.now();
  let done = 0;
  const answers = await Promise.all(
    Array.from({ length: PARTS }, async (_, part) => {
      const answer = await verify({ ...request, share: { part, parts: PARTS } }, documentText, part);
      // The bar shows the parts done (indeterminate until the first).
      if (bar) bar.value = (100 * ++done) / PARTS;
      return answer;
    }),
  );
  const answer = combineShares(answers);
  answer.millis = performance.now() - started;
  return answer;
}

// --- IPA parameters, kept between visits ------------------------------------
// A funds bundle's halo2 proofs are checked with IPA parameters that need no
// setup: the verifier derives them (a minute and more in a browser) and
// hands them back; this browser keeps them (IndexedDB) and offers them the
// next time. The verifier only ever gains speed from them: a check that
// fails with kept parameters is repeated with freshly derived ones.

const FUNDS_BUNDLE_FORMAT = "zkaudit-funds-bundle/v1";

function paramsStore(mode, use) {
  return new Promise((resolve, reject) => {
    const opening = indexedDB.open("zkaudit-board", 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore("funds-params");
    opening.onerror = () => reject(opening.error);
    opening.onsuccess = () => {
      const db = opening.result;
      const transaction = db.transaction("funds-params", mode);
      const result = use(transaction.objectStore("funds-params"));
      transaction.oncomplete = () => { db.close(); resolve(result.result); };
      transaction.onerror = () => { db.close(); reject(transaction.error); };
    };
  });
}

/** The parameters kept here, by k (none when storage is unavailable). */
async function keptParams() {
  try {
    const [keys, values] = await Promise.all([
      paramsStore("readonly", (store) => store.getAllKeys()),
      paramsStore("readonly", (store) => store.getAll()),
    ]);
    return Object.fromEntries(keys.map((k, i) => [k, values[i]]));
  } catch (_) {
    return {};
  }
}

async function keepParams(derived) {
  for (const [k, params] of Object.entries(derived ?? {})) {
    try {
      await paramsStore("readwrite", (store) => store.put(params, k));
    } catch (_) { /* private browsing, full storage: derived again next time */ }
  }
}

// --- small helpers ---------------------------------------------------------

async function fetchJson(url) {
  const response = await fetch(url, { headers: { accept: "application/json" } });
  if (!response.ok) {
    let message = `${response.status}`;
    try { message = (await response.json()).error.message; } catch (_) { /* not JSON */ }
    throw new Error(`${url}: ${message}`);
  }
  return response.json();
}

/** Downloads `url` as text, reporting progress on `bar`. */
async function fetchText(url, bar) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  const total = Number(response.headers.get("content-length")) || 0;
  if (!response.body || !total) return response.text();
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    bar.value = Math.min(100, (100 * received) / total);
  }
  return new TextDecoder().decode(await new Blob(chunks).arrayBuffer());
}

function setStatus(element, level, text) {
  if (!element) return;
  element.className = `status ${level}`;
  element.textContent = text;
}

const levelWords = { ok: "ok", note: "note", warning: "WARNING", failed: "FAILED", detail: "" };

function showLines(list, lines) {
  list.replaceChildren();
  for (const line of lines) {
    const item = document.createElement("li");
    item.className = line.level;
    if (line.level !== "detail") {
      const level = document.createElement("span");
      level.className = "level";
      level.textContent = levelWords[line.level];
      item.append(level, " ");
    }
    item.append(line.text);
    list.append(item);
  }
}

function downloadLink(name, text, label) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
  link.download = name;
  link.textContent = label;
  return link;
}

function remembered() {
  try { return JSON.parse(localStorage.getItem(storageKey)); } catch (_) { return null; }
}

// --- the log's history, as this browser saw it -----------------------------

/** What the last history check found, for the header line. */
function announce(level, text) {
  const live = $("live");
  if (live) {
    live.textContent = text;
    live.className = `live ${level}`;
  }
}

/** Shows a rollback or fork with both signed checkpoints as evidence. */
function reportSplit(text, earlier, later) {
  announce("failed", "The log showed you two different histories — see the log page.");
  setStatus($("history-status"), "failed", text);
  const evidence = $("history-evidence");
  if (evidence) {
    evidence.className = "evidence";
    evidence.replaceChildren(
      downloadLink(`checkpoint-earlier-${earlier.size}.txt`, earlier.note, "Download the checkpoint you saw earlier"),
      downloadLink(`checkpoint-now-${later.size}.txt`, later.note, "Download the checkpoint the log shows now"),
    );
  }
}

/**
 * Checks the log's newest checkpoint: its signature, its witnesses, and
 * that it extends the one this browser saw last (remembered only when it
 * does, so the evidence of a split is kept).
 */
async function checkHistory(current) {
  const opened = await verify({ op: "checkpoint", note: current.note, log_key: config.log_key, witness_keys: config.witnesses });
  if (opened.unavailable) {
    announce("warning", "Your browser could not run the verifier: nothing was checked.");
    setStatus($("history-status"), "warning", `Nothing was checked: ${opened.error}`);
    return;
  }
  if (!opened.ok) {
    announce("failed", "The log's checkpoint does NOT verify.");
    setStatus($("history-status"), "failed", `The log's current checkpoint does NOT verify against the log key this page was configured with: ${opened.error}`);
    return;
  }
  for (const cell of document.querySelectorAll("[data-witness]")) {
    cell.textContent = opened.cosigned_by.includes(cell.dataset.witness)
      ? "yes: cosignature verified in your browser"
      : "no cosignature on this checkpoint (yet)";
  }
  const seen = remembered();
  const now = { size: opened.size, root: opened.root, note: current.note, log_key: config.log_key, at: new Date().toISOString() };
  let history = "This is the first checkpoint this browser has seen of this log; later visits check the log never rewrites it.";
  if (seen && seen.log_key !== config.log_key) {
    setStatus($("history-status"), "warning", "The log's key is not the one this browser saw before: the page is configured with another log, or the log changed its key. Compare the key with the one the log's operator publishes.");
    announce("warning", "The log's key changed since your last visit.");
    return;
  }
  if (seen && seen.size > now.size) {
    reportSplit(`ROLLBACK: the log now shows ${now.size} entries, but it showed this browser ${seen.size} entries on ${seen.at}. Both checkpoints are signed by the log: keep them as evidence.`, seen, now);
    return;
  }
  if (seen && seen.size === now.size && seen.root !== now.root) {
    reportSplit(`FORK: the log shows a different history of ${now.size} entries than the one it showed this browser on ${seen.at}. Both checkpoints are signed by the log: keep them as evidence.`, seen, now);
    return;
  }
  if (seen && seen.size > 0 && seen.size < now.size) {
    let proof;
    try {
      proof = await fetchJson(`/v1/log/consistency?from=${seen.size}&to=${now.size}`);
    } catch (error) {
      setStatus($("history-status"), "warning", `Could not fetch the consistency proof: ${error.message}`);
      return;
    }
    const extension = await verify({ op: "extension", older: seen.note, newer: now.note, proof: proof.proof, log_key: config.log_key });
    if (!extension.ok) {
      reportSplit(`FORK: the log's checkpoint of ${now.size} entries does not extend the checkpoint of ${seen.size} entries it showed this browser on ${seen.at} (${extension.error}). Both are signed by the log: keep them as evidence.`, seen, now);
      return;
    }
    history = `It extends the checkpoint of ${seen.size} entries this browser saw on ${seen.at} (consistency proof verified): nothing was rewritten.`;
  } else if (seen) {
    history = `It is the checkpoint this browser saw on ${seen.at}.`;
  }
  localStorage.setItem(storageKey, JSON.stringify(seen && seen.size === now.size ? seen : now));
  const witnesses = config.witnesses.length
    ? ` ${opened.cosigned_by.length} of ${config.witnesses.length} witnesses cosigned it.`
    : "";
  setStatus($("history-status"), "ok", `Verified in your browser: the checkpoint of ${now.size} entries is signed by the log.${witnesses} ${history}`);
  announce("ok", `Log: ${now.size} entries, verified in your browser.`);
}

let checking = Promise.resolve();
let newest = null;
function scheduleHistoryCheck(current) {
  newest = current;
  checking = checking.then(async () => {
    if (newest !== current) return; // a newer one is queued
    await checkHistory(current);
  }).catch((error) => announce("warning", `Could not check the log: ${error.message}`));
}

function showCheckpoint(current) {
  for (const [domain, counts] of current.counts ?? []) {
    for (const [label, value] of counts) {
      const cell = document.querySelector(`[data-count="${CSS.escape(`${domain}/${label}`)}"]`);
      if (cell) cell.textContent = value;
    }
  }
  if ($("log-size")) $("log-size").textContent = current.size;
  if ($("log-root")) $("log-root").textContent = current.root;
  if ($("checkpoint-note")) $("checkpoint-note").textContent = current.note;
}

async function refreshElection() {
  const section = document.querySelector("[data-live-election]");
  if (!section) return;
  const election = await fetchJson(`/v1/elections/${encodeURIComponent(section.dataset.liveElection)}`);
  $("election-phase").textContent = election.phase;
  $("election-ballots").textContent = election.ballots;
  $("election-cast").textContent = election.cast;
}

function watchLog() {
  if (!window.EventSource) return;
  const events = new EventSource("/v1/log/events");
  events.addEventListener("checkpoint", (event) => {
    const current = JSON.parse(event.data);
    showCheckpoint(current);
    scheduleHistoryCheck(current);
    refreshElection().catch(() => {});
  });
}

// --- documents: bundles, receipts -------------------------------------------

/** Verifies a document's text; for a receipt, also against the newest
 *  checkpoint. `bar`, if given, shows the parts of a split check done. */
async function verifyDocument(text, extra, report, bar) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `this is not JSON: ${error.message}` };
  }
  const request = { op: "verify", log_key: config.log_key, ...extra };
  if (parsed?.format === FUNDS_BUNDLE_FORMAT) request.params = await keptParams();
  if (parsed?.format === ELECTION_BUNDLE_FORMAT && PARTS > 1) {
    return verifyElection(request, JSON.stringify(parsed), bar);
  }
  const answer = await verify(request, JSON.stringify(parsed));
  if (answer.derived_params) {
    await keepParams(answer.derived_params);
    delete answer.derived_params;
  }
  if (!answer.ok || answer.kind !== "receipt") return answer;
  showLines(report, answer.lines);
  const current = await fetchJson("/v1/log/checkpoint");
  if (answer.checkpoint_size > current.size) {
    answer.lines.push({ level: "failed", text: `the receipt's checkpoint (${answer.checkpoint_size} entries) is ahead of the log's current one (${current.size}): the log rolled back; keep the receipt as evidence` });
    answer.ok = false;
    return answer;
  }
  if (answer.checkpoint_size < current.size) {
    const proof = await fetchJson(`/v1/log/consistency?from=${answer.checkpoint_size}&to=${current.size}`);
    const extension = await verify({ op: "extension", older: answer.checkpoint, newer: current.note, proof: proof.proof, log_key: config.log_key });
    if (!extension.ok) {
      answer.lines.push({ level: "failed", text: `FORK: ${extension.error}; keep the receipt as evidence` });
      answer.ok = false;
      return answer;
    }
  }
  answer.lines.push({ level: "ok", text: `the log's current checkpoint (${current.size} entries) extends the receipt's (${answer.checkpoint_size}): the record is still in the log` });
  return answer;
}

function showAnswer(name, answer) {
  const status = $(`${name}-status`);
  const report = $(`${name}-report`);
  if (answer.lines) showLines(report, answer.lines);
  if (answer.ok) {
    const seconds = answer.millis ? ` in ${(answer.millis / 1000).toFixed(1)} s` : "";
    setStatus(status, "ok", `Verified in your browser${seconds}: ${answer.kind ?? "the document"} holds.`);
  } else if (answer.unavailable) {
    report.replaceChildren();
    setStatus(status, "warning", `Nothing was checked: ${answer.error}`);
  } else {
    if (!answer.lines) report.replaceChildren();
    setStatus(status, "failed", `Does NOT verify: ${answer.error ?? "see the report"}`);
  }
}

function wireVerifyButtons() {
  for (const button of document.querySelectorAll(".verify-button")) {
    button.addEventListener("click", async () => {
      const name = button.dataset.panel;
      const bar = $(`${name}-progress`);
      button.disabled = true;
      bar.hidden = false;
      bar.value = 0;
      try {
        setStatus($(`${name}-status`), "", "Downloading the record…");
        const text = await fetchText(button.dataset.verifyUrl, bar);
        setStatus($(`${name}-status`), "", `Verifying ${(text.length / 1e6).toFixed(1)} MB in your browser: every signature, inclusion proof and zero-knowledge proof…`);
        bar.removeAttribute("value");
        const extra = {};
        if (button.dataset.electionKey) extra.election_key = button.dataset.electionKey;
        if (button.dataset.registrar) extra.registrar = button.dataset.registrar;
        if (button.dataset.lot) extra.lot = button.dataset.lot;
        const payload = button.dataset.select ? JSON.stringify(JSON.parse(text)[button.dataset.select]) : text;
        showAnswer(name, await verifyDocument(payload, extra, $(`${name}-report`), bar));
      } catch (error) {
        showAnswer(name, { ok: false, error: error.message });
      } finally {
        bar.hidden = true;
        button.disabled = false;
      }
    });
  }
}

function wireCheckForm() {
  const form = $("check-form");
  if (!form) return;
  // A chosen or dropped file is read here (never uploaded) and checked at once.
  const take = async (file) => {
    if (!file) return;
    $("check-text").value = await file.text();
    form.requestSubmit();
  };
  $("check-file").addEventListener("change", () => take($("check-file").files[0]));
  form.addEventListener("dragover", (event) => {
    event.preventDefault();
    form.classList.add("dragging");
  });
  form.addEventListener("dragleave", () => form.classList.remove("dragging"));
  form.addEventListener("drop", (event) => {
    event.preventDefault();
    form.classList.remove("dragging");
    take(event.dataTransfer?.files[0]);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const bar = $("check-progress");
    bar.hidden = false;
    bar.removeAttribute("value");
    setStatus($("check-status"), "", "Checking in your browser…");
    try {
      showAnswer("check", await verifyDocument($("check-text").value, {}, $("check-report"), bar));
    } catch (error) {
      showAnswer("check", { ok: false, error: error.message });
    } finally {
      bar.hidden = true;
    }
  });
}

/** Where a voter's ballot stands in the election's bundle; the bundle's
 *  ballot proofs split over the workers as for "Verify this election":
 *  the first finds the ballot (and checks its share), the others check
 *  theirs, and the answer holds only if every part does. */
async function ballotStanding(receipt, bundle) {
  const request = { op: "standing", receipt, bundle, log_key: config.log_key };
  if (PARTS === 1) return verify(request);
  const text = JSON.stringify(bundle);
  const [answer, ...others] = await Promise.all([
    verify({ ...request, share: { part: 0, parts: PARTS } }),
    ...Array.from({ length: PARTS - 1 }, (_, i) =>
      verify({ op: "verify", log_key: config.log_key, share: { part: i + 1, parts: PARTS } }, text, i + 1)),
  ]);
  return others.find((other) => !other.ok) ?? answer;
}

function wireStandingForm() {
  const form = $("standing-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    setStatus($("standing-status"), "", "Downloading the election's record and checking your ballot in your browser…");
    try {
      const receipt = JSON.parse($("standing-text").value);
      const bundle = await fetchJson(form.dataset.bundleUrl);
      const answer = await ballotStanding(receipt, bundle);
      answer.kind = "your ballot's place in the record";
      showAnswer("standing", answer);
    } catch (error) {
      showAnswer("standing", { ok: false, error: error.message });
    }
  });
}

// --- start -----------------------------------------------------------------

/** A table wider than the screen scrolls inside itself (board.css); it
 *  must then take the keyboard focus, so keyboard users can scroll it. */
function focusableScrollers() {
  for (const table of document.querySelectorAll("table")) {
    if (table.scrollWidth > table.clientWidth) table.tabIndex = 0;
    else table.removeAttribute("tabindex");
  }
}
focusableScrollers();
window.addEventListener("resize", focusableScrollers);

wireVerifyButtons();
wireCheckForm();
wireStandingForm();
if (typeof WebAssembly !== "object") {
  announce("warning", "This browser cannot run WebAssembly: the page cannot verify anything itself.");
} else {
  fetchJson("/v1/log/checkpoint")
    .then((current) => { showCheckpoint(current); scheduleHistoryCheck(current); })
    .catch((error) => announce("warning", `Could not reach the log: ${error.message}`));
  watchLog();
}
