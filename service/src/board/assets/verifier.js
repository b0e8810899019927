// The WebAssembly verifier's glue: instantiate zkaudit-verifier-wasm and
// ask it one JSON request (see verifier-wasm/src/abi.rs). Shared by the
// board's worker (worker.js) and the benchmark that runs the same module
// under Node.js (benches/benches/board.rs), so both measure one thing.

/**
 * Instantiates the module from `source` (a fetch Response, or its bytes).
 * Its only outside needs come from a randomness crate that speaks
 * wasm-bindgen's calling convention: random bytes (the halo2 batch
 * verifier's weights) come from the platform's CSPRNG; everything else is
 * never called by the verifier and fails loudly if it were.
 */
export async function instantiate(source) {
  const module = source instanceof Response
    ? await WebAssembly.compileStreaming(source)
    : await WebAssembly.compile(source);
  let instance = null;
  const provide = (wanted) => {
    if (wanted.kind !== "function") {
      throw new Error(`the verifier wants ${wanted.module}.${wanted.name}, which this page lacks`);
    }
    if (wanted.name.startsWith("__wbg_getRandomValues_")) {
      return (pointer, length) => {
        crypto.getRandomValues(new Uint8Array(instance.exports.memory.buffer, pointer, length));
      };
    }
    return () => {
      throw new Error(`the verifier called ${wanted.module}.${wanted.name}, which is not provided`);
    };
  };
  const imports = {};
  for (const wanted of WebAssembly.Module.imports(module)) {
    imports[wanted.module] ??= {};
    imports[wanted.module][wanted.name] = provide(wanted);
  }
  instance = await WebAssembly.instantiate(module, imports);
  return instance;
}

/** Asks `instance` the request `requestText` (JSON); returns the answer, parsed. */
export function call(instance, requestText) {
  const request = new TextEncoder().encode(requestText);
  const exports = instance.exports;
  const at = exports.request_buffer(request.length);
  new Uint8Array(exports.memory.buffer, at, request.length).set(request);
  const length = exports.run();
  const answer = new Uint8Array(exports.memory.buffer, exports.answer_buffer(), length);
  return JSON.parse(new TextDecoder().decode(answer));
}

/**
 * Combines the answers of the parts of one election bundle's check, split
 * over several workers (each asked with `share: {part, parts}`): it holds
 * only if every part does — else the first failing part's answer. The
 * report is the first part's (each part checks everything but the ballot
 * proofs in full) with the line of each other part saying which ballots'
 * proofs it verified.
 */
export function combineShares(answers) {
  const failed = answers.find((answer) => !answer.ok);
  if (failed) return failed;
  const [first, ...rest] = answers;
  const lines = [...first.lines];
  const at = lines.findIndex((line) => line.text === first.share_line.text) + 1;
  lines.splice(at, 0, ...rest.map((answer) => answer.share_line), {
    level: "ok",
    text: `all ${answers.length} parts hold: every ballot proof verified, the parts in ${answers.length} workers in parallel`,
  });
  return { ok: true, kind: first.kind, lines };
}
