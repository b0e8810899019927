//! The `zkaudit` binary.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = zkaudit_service::cli::Cli::parse();
    // A demo prints its own story; the in-process service's per-request
    // lines would drown it (thousands of appends), so it logs warnings only
    // unless ZKAUDIT_LOG says otherwise.
    let default_level = match cli.command {
        zkaudit_service::cli::Command::Demo(_) => "warn",
        _ => "info",
    };
    zkaudit_service::log_writer::install(default_level, || {
        zkaudit_service::log_writer::LossyStderr
    });
    match zkaudit_service::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zkaudit: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
