//! `idp`: offboard people from identity and admin platforms, from a terminal or a script.

mod args;
mod delete;
mod delete_journal;
#[cfg(feature = "demo")]
mod demo;
#[cfg(feature = "demo")]
mod demo_offboard;
mod exit;
mod find;
mod help;
mod ids;
mod lines;
mod logging;
mod offboard;
mod out;
mod output;
mod progress;
mod queries;
mod settings;
mod signals;
#[cfg(feature = "demo")]
mod sim;
mod stderr;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use idp::Interrupt;

use args::{Cli, Command, JournalCommand, OffboardCommand};
use exit::{RunEnd, UsageError};

fn main() -> ExitCode {
    // A core dump of this process could hold the credentials it read.
    let _ = nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0);
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if err.kind() == clap::error::ErrorKind::DisplayVersion => return version(),
        Err(err) => err.exit(),
    };
    logging::init(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return usage_error(&UsageError(format!("cannot start the async runtime: {e}"))),
    };
    let interrupt = Interrupt::new();
    let result = runtime.block_on(async {
        match cli.command {
            Command::Delete(args) => delete::run(*args, interrupt).await,
            Command::Find(args) => find::run(*args, interrupt).await,
            Command::Offboard(OffboardCommand::Plan(args)) => {
                offboard::plan(*args, interrupt).await
            }
            Command::Offboard(OffboardCommand::Apply(args)) => {
                offboard::apply_plan(*args, interrupt).await
            }
            Command::Offboard(OffboardCommand::Verify(args)) => {
                offboard::verify_plan(*args, interrupt).await
            }
            Command::Journal(JournalCommand::Verify { file }) => offboard::journal_verify(&file),
            Command::Completions { shell } => completions(shell),
            Command::Man { out } => man_pages(&out),
            #[cfg(feature = "demo")]
            Command::Demo => demo::run().await,
            #[cfg(feature = "demo")]
            Command::Sim { users } => sim::run(users).await,
        }
    });
    // Requests still in flight after a second signal are not waited for.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match result {
        Ok(end) => end.code(),
        Err(err) => usage_error(&err),
    }
}

/// `--version`, the same for every subcommand: clap would print `idp-delete 0.1.0` for
/// `idp delete --version` (the subcommand's display name, which also names its man page).
fn version() -> ExitCode {
    let mut out = out::Out::new();
    if out.line(&format!("idp {}", env!("CARGO_PKG_VERSION"))) && out.flush() {
        RunEnd::AllDone.code()
    } else {
        RunEnd::OutputIncomplete.code()
    }
}

fn usage_error(err: &UsageError) -> ExitCode {
    stderr::line(&format!("idp: {}", err.0));
    ExitCode::from(2)
}

fn man_pages(folder: &std::path::Path) -> Result<RunEnd, UsageError> {
    std::fs::create_dir_all(folder)
        .map_err(|e| UsageError(format!("cannot create {}: {e}", folder.display())))?;
    clap_mangen::generate_to(Cli::command(), folder)
        .map_err(|e| UsageError(format!("cannot write the man pages: {e}")))?;
    Ok(RunEnd::AllDone)
}

fn completions(shell: clap_complete::Shell) -> Result<RunEnd, UsageError> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "idp", &mut script);
    let mut out = out::Out::new();
    let text = String::from_utf8_lossy(&script);
    if !out.line(text.trim_end()) || !out.flush() {
        return Ok(RunEnd::OutputIncomplete);
    }
    Ok(RunEnd::AllDone)
}
