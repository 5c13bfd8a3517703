//! The `target-server` binary: parse flags, then run until SIGINT/SIGTERM.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    target_server::cli::run(target_server::cli::Cli::parse()).await
}
