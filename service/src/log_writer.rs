//! Where the service's log lines go: standard error, without ever failing.
//!
//! `tracing-subscriber` reports a failed write with `eprintln!`, which
//! panics when standard error itself cannot be written — and standard
//! error is often a file on the disk that just filled up (or past a file
//! size limit). That panic killed whichever thread was logging, the
//! sequencer included, and the log refused every write until a restart.
//! A log line that cannot be written is dropped instead.

use std::io::{self, Write};

/// Standard error that drops what it cannot write.
#[derive(Clone, Copy, Debug, Default)]
pub struct LossyStderr;

impl Write for LossyStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // Dropped on purpose: see the module documentation.
        let _ = io::stderr().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = io::stderr().flush();
        Ok(())
    }
}
