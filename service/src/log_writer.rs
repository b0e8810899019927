//! Where the service's log lines go: standard error, without ever failing.
//!
//! `tracing-subscriber` reports a failed write with `eprintln!`, which
//! panics when standard error itself cannot be written — and standard
//! error is often a file on the disk that just filled up (or past a file
//! size limit). That panic killed whichever thread was logging, the
//! sequencer included, and the log refused every write until a restart.
//! A log line that cannot be written is dropped instead.

use std::io::{self, Write};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Installs the service's log subscriber for this process: the levels
/// `ZKAUDIT_LOG` sets, else `default_level`, one line per event to
/// `writer`. arkworks gadgets open a tracing span (target `gr1cs`) per
/// gadget call; formatting those makes proving orders of magnitude slower,
/// so they are always off.
pub fn install<W>(default_level: &str, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let gr1cs_off = "gr1cs=off".parse().expect("static directive");
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("ZKAUDIT_LOG")
                .unwrap_or_else(|_| EnvFilter::new(default_level))
                .add_directive(gr1cs_off),
        )
        .with_writer(writer)
        .init();
}

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
