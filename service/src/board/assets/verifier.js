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
