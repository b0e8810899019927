//! The `zkaudit` binary.

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    // arkworks gadgets open a tracing span (target "gr1cs") per gadget call;
    // formatting those makes proving orders of magnitude slower, so they are
    // always off.
    let cli = zkaudit_service::cli::Cli::parse();
    // A demo prints its own story; the in-process service's per-request
    // lines would drown it (thousands of appends), so it logs warnings only
    // unless ZKAUDIT_LOG says otherwise.
    let default_level = match cli.command {
        zkaudit_service::cli::Command::Demo(_) => "warn",
        _ => "info",
    };
    let gr1cs_off = "gr1cs=off".parse().expect("static directive");
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("ZKAUDIT_LOG")
                .unwrap_or_else(|_| EnvFilter::new(default_level))
                .add_directive(gr1cs_off),
        )
        .with_writer(|| zkaudit_service::log_writer::LossyStderr)
        .init();
    match zkaudit_service::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zkaudit: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
