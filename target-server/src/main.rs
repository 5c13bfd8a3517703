//! The `target-server` binary: raise the open-files limit, parse flags, then run until
//! SIGINT/SIGTERM.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    target_server::config::raise_open_files_limit();
    target_server::cli::run(target_server::cli::Cli::parse()).await
}
