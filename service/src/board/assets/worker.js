// The board's verifier, off the page's thread: zkaudit-verifier-wasm, the
// checks of `zkaudit verify` compiled to WebAssembly. One JSON request in,
// one JSON answer out (see verifier-wasm/src/lib.rs and src/abi.rs).
"use strict";

let instance = null;

// The module's only outside needs come from a randomness crate that speaks
// wasm-bindgen's calling convention: random bytes (the halo2 batch
// verifier's weights) are given from the browser's CSPRNG; everything else
// is never called by the verifier and fails loudly if it were.
function provide(wanted) {
  if (wanted.kind !== "function") {
    throw new Error(`the verifier wants ${wanted.module}.${wanted.name}, which this page lacks`);
  }
  if (wanted.name.startsWith("__wbg_getRandomValues_")) {
    return (pointer, length) => {
      crypto.getRandomValues(new Uint8Array(instance.exports.memory.buffer, pointer, length));
    };
  }
  return () => {
    throw new Error(`the verifier called ${wanted.module}.${wanted.name}, which this page does not provide`);
  };
}

async function load() {
  const module = await WebAssembly.compileStreaming(fetch("/board/assets/verifier.wasm"));
  const imports = {};
  for (const wanted of WebAssembly.Module.imports(module)) {
    imports[wanted.module] ??= {};
    imports[wanted.module][wanted.name] = provide(wanted);
  }
  instance = await WebAssembly.instantiate(module, imports);
}

function call(requestText) {
  const request = new TextEncoder().encode(requestText);
  const exports = instance.exports;
  const at = exports.request_buffer(request.length);
  new Uint8Array(exports.memory.buffer, at, request.length).set(request);
  const length = exports.run();
  const answerAt = exports.answer_buffer();
  const answer = new Uint8Array(exports.memory.buffer, answerAt, length);
  return JSON.parse(new TextDecoder().decode(answer));
}

onmessage = async (event) => {
  const { id, request } = event.data;
  const started = performance.now();
  try {
    if (instance === null) {
      await load();
    }
    const answer = call(request);
    answer.millis = performance.now() - started;
    postMessage({ id, answer });
  } catch (error) {
    // A trap leaves the instance unusable: the next request loads afresh.
    instance = null;
    postMessage({ id, answer: { ok: false, error: `the verifier stopped: ${error}` } });
  }
};
