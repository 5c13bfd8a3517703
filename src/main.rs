//! loadgate's entry point: parse the command line, run the subcommand, exit with its code.

use clap::Parser;
use loadgate::cli::{Cli, Command};
use loadgate::exit::{AppError, Exit};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    loadgate::engine::quiet::install_logger();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("loadgate: cannot start the async runtime: {err}");
            return Exit::Internal.into();
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(exit) => exit.into(),
        Err(err) => {
            eprintln!("loadgate: {err}");
            err.exit().into()
        }
    }
}

async fn dispatch(cli: Cli) -> Result<Exit, AppError> {
    match cli.command {
        Command::Run(args) => loadgate::run::run(&args).await,
        Command::Validate { file } => loadgate::validate::validate(&file),
        Command::Report { dir } => loadgate::rerender::rerender(&dir),
        Command::Merge(args) => loadgate::merge::merge(&args),
        Command::Compare {
            baseline,
            json,
            current,
            tolerance,
        } => loadgate::baseline::compare_command(&baseline, &current, &tolerance, json),
    }
}
