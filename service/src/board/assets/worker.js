// The board's verifier, off the page's thread: zkaudit-verifier-wasm, the
// checks of `zkaudit verify` compiled to WebAssembly. One JSON request in,
// one JSON answer out (glue in verifier.js).
import { call, instantiate } from "./verifier.js";

let instance = null;

onmessage = async (event) => {
  const { id, request } = event.data;
  const started = performance.now();
  try {
    if (instance === null) {
      instance = await instantiate(await fetch("/board/assets/verifier.wasm"));
    }
    const answer = call(instance, request);
    answer.millis = performance.now() - started;
    postMessage({ id, answer });
  } catch (error) {
    // A trap leaves the instance unusable: the next request loads afresh.
    instance = null;
    postMessage({ id, answer: { ok: false, unavailable: true, error: `the verifier stopped: ${error}` } });
  }
};
