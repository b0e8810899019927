//! The raw WebAssembly interface, for the board's JavaScript (no bindgen
//! step: the page's glue is twenty lines in `board.js`):
//!
//! 1. `request_buffer(len)` gives a buffer of `len` bytes in the module's
//!    memory; the caller writes the UTF-8 request JSON into it;
//! 2. `run()` answers it and returns the answer's length;
//! 3. `answer_buffer()` points at the answer, valid until the next call.
//!
//! Why by hand: `wasm-bindgen` would need its command-line tool, at the
//! exact version of the crate, to post-process every build — one more
//! thing to install before `cargo run` serves the board. Three functions
//! over bytes need none of it.

use std::sync::Mutex;

static REQUEST: Mutex<Vec<u8>> = Mutex::new(Vec::new());
static ANSWER: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// A zeroed buffer of `len` bytes for the next request.
// SAFETY: exports a plain function under its own name; no other symbol of
// the module is named so.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn request_buffer(len: usize) -> *mut u8 {
    let mut request = REQUEST.lock().unwrap_or_else(|e| e.into_inner());
    request.clear();
    request.resize(len, 0);
    request.as_mut_ptr()
}

/// Answers the request in the buffer; returns the answer's length.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn run() -> usize {
    let request = std::mem::take(&mut *REQUEST.lock().unwrap_or_else(|e| e.into_inner()));
    let answer = crate::handle(&request);
    let mut slot = ANSWER.lock().unwrap_or_else(|e| e.into_inner());
    *slot = answer;
    slot.len()
}

/// Where the last answer is.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn answer_buffer() -> *const u8 {
    ANSWER.lock().unwrap_or_else(|e| e.into_inner()).as_ptr()
}
