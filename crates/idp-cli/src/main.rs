//! `idp`: delete users in identity and admin platforms from a terminal or a script.

mod args;
mod config;
mod delete;
mod demo;
mod ids;
mod logging;
mod output;
mod sim;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use delete::RunEnd;

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return usage_error(&format!("cannot start the async runtime: {e}")),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Delete(args) => delete::run(*args).await,
            Command::Demo => demo::run().await,
            Command::Sim { users } => sim::run(users).await,
        }
    });
    match result {
        Ok(RunEnd::AllDone) => ExitCode::SUCCESS,
        Ok(RunEnd::SomeFailed) => ExitCode::from(1),
        Err(config::UsageError(message)) => usage_error(&message),
    }
}

#[allow(clippy::print_stderr)]
fn usage_error(message: &str) -> ExitCode {
    eprintln!("idp: {message}");
    ExitCode::from(2)
}
