//! The `zkaudit` binary.

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    // arkworks gadgets open a tracing span (target "gr1cs") per gadget call;
    // formatting those makes proving orders of magnitude slower, so they are
    // always off.
    let gr1cs_off = "gr1cs=off".parse().expect("static directive");
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("ZKAUDIT_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info"))
                .add_directive(gr1cs_off),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = zkaudit_service::cli::Cli::parse();
    match zkaudit_service::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zkaudit: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
