#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The CLI as a newcomer meets it: logs without colour codes unless a person watches (and
//! never with NO_COLOR), completion scripts for every shell, one version text, examples in
//! every subcommand's help, the providers listed once in `idp delete -h`, an `idp sim` script
//! a shell can source, whose key folder goes away on SIGTERM.

mod support;

use std::io::Read;
use std::process::Stdio;

use support::child::{Running, command};
use support::idp;
use support::onelogin::env;

/// A OneLogin configuration whose every request fails (nobody listens on the port), so a
/// `-v` run has warnings to log.
fn failing_env() -> Vec<(&'static str, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    env(&format!("http://127.0.0.1:{port}"))
}

const FAILING_RUN: [&str; 6] = ["delete", "onelogin", "1", "-v", "--max-retries", "0"];

/// Runs a failing `-v` run with stderr on a pseudo-terminal and returns what it showed.
fn stderr_on_a_terminal(extra_env: &[(&'static str, String)]) -> String {
    let pty = nix::pty::openpty(None, None).unwrap();
    let mut env = failing_env();
    env.extend_from_slice(extra_env);
    let mut command = command(&FAILING_RUN, &env);
    command.stderr(Stdio::from(pty.slave));
    let mut terminal = std::fs::File::from(pty.master);
    // The command (and with it this process's copy of the terminal's other end) is gone
    // once the child runs, so reading ends when the child exits.
    let running = Running::start(command, b"");
    let reader = std::thread::spawn(move || {
        let mut shown = Vec::new();
        let _ = terminal.read_to_end(&mut shown);
        String::from_utf8_lossy(&shown).into_owned()
    });
    let run = running.finish();
    assert_eq!(run.code, 1, "{}", run.stdout);
    reader.join().unwrap()
}

#[test]
fn logs_are_coloured_on_a_terminal_only_and_never_with_no_color() {
    let coloured = stderr_on_a_terminal(&[]);
    assert!(
        coloured.contains("\u{1b}["),
        "a terminal shows colours: {coloured:?}"
    );
    for value in ["1", "true"] {
        let plain = stderr_on_a_terminal(&[("NO_COLOR", value.into())]);
        assert!(plain.contains("INFO"), "{plain:?}");
        assert!(!plain.contains('\u{1b}'), "NO_COLOR={value}: {plain:?}");
    }
}

#[test]
fn logs_written_to_a_file_have_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    for extra in [None, Some(("NO_COLOR", "1".to_owned()))] {
        let path = dir.path().join("stderr.log");
        let mut env = failing_env();
        env.extend(extra.clone());
        let mut command = command(&FAILING_RUN, &env);
        command.stderr(Stdio::from(std::fs::File::create(&path).unwrap()));
        let run = Running::start(command, b"").finish();
        assert_eq!(run.code, 1, "{}", run.stdout);
        let log = std::fs::read_to_string(&path).unwrap();
        assert!(log.contains("INFO"), "{extra:?}: {log}");
        assert!(!log.contains('\u{1b}'), "{extra:?}: {log:?}");
    }
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let run = idp(&["completions", shell], &[], "");
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(
            run.stdout.contains("idp") && run.stdout.contains("delete"),
            "{shell}: {}",
            run.stdout
        );
        assert!(run.stdout.lines().count() > 10, "{shell}: {}", run.stdout);
    }
}

#[test]
fn every_version_flag_prints_idp_and_the_version() {
    let expected = format!("idp {}\n", env!("CARGO_PKG_VERSION"));
    for args in [
        &["--version"][..],
        &["-V"],
        &["delete", "--version"],
        &["offboard", "plan", "--version"],
        &["journal", "verify", "-V"],
    ] {
        let run = idp(args, &[], "");
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, expected, "{args:?}");
    }
}

/// The subcommand names listed under `Commands:` in a help text (`help` left out).
fn listed_subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        // Wrapped descriptions are indented deeper than the names.
        .filter(|line| !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_subcommand_has_examples_in_its_long_help() {
    let mut pending: Vec<Vec<String>> = listed_subcommands(&idp(&["--help"], &[], "").stdout)
        .into_iter()
        .map(|name| vec![name])
        .collect();
    assert!(pending.len() >= 5, "{pending:?}");
    let mut checked = 0;
    while let Some(path) = pending.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = idp(&args, &[], "");
        assert_eq!(help.code, 0, "{path:?}: {}", help.stderr);
        assert!(
            help.stdout.contains("Examples:"),
            "{path:?} --help has no examples:\n{}",
            help.stdout
        );
        for name in listed_subcommands(&help.stdout) {
            let mut deeper = path.clone();
            deeper.push(name);
            pending.push(deeper);
        }
        checked += 1;
    }
    assert!(checked >= 9, "only {checked} subcommands");
}

#[test]
fn delete_short_help_lists_the_providers_once() {
    let help = idp(&["delete", "-h"], &[], "");
    assert_eq!(help.code, 0, "{}", help.stderr);
    let flat = help.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    let list = "rsa-cas, cf-access, onelogin, aa-controlroom, alibaba-cloudsso";
    assert_eq!(flat.matches(list).count(), 1, "{}", help.stdout);
    let arguments: String = help
        .stdout
        .lines()
        .skip_while(|line| !line.starts_with("Arguments:"))
        .take_while(|line| !line.starts_with("Options:"))
        .collect::<Vec<_>>()
        .join("\n");
    for provider in list.split(", ") {
        assert_eq!(
            arguments.matches(provider).count(),
            1,
            "{provider}:\n{arguments}"
        );
    }
}

#[test]
fn idp_sim_prints_a_sourceable_script_and_removes_its_key_folder_on_sigterm() {
    use std::os::unix::fs::PermissionsExt;
    use std::time::Duration;

    let mut running = Running::start(command(&["sim", "--users", "2"], &[]), b"");
    assert!(
        running.wait_for_stdout_closed(Duration::from_secs(60)),
        "{}",
        running.stderr()
    );
    let script = running.stdout();
    for line in script.lines() {
        assert!(
            line.is_empty() || line.starts_with('#') || line.starts_with("export "),
            "neither a comment nor an export: {line:?}"
        );
    }
    // The shell takes it as it is, as `source <(idp sim)` would.
    let shell = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -eu\n{script}\nprintf '%s' \"$RSA_CAS_KEY_FILE\""
        ))
        .output()
        .unwrap();
    assert!(
        shell.status.success(),
        "{}",
        String::from_utf8_lossy(&shell.stderr)
    );
    let key_file = std::path::PathBuf::from(String::from_utf8(shell.stdout).unwrap());
    assert!(key_file.is_file(), "{}", key_file.display());
    let folder = key_file.parent().unwrap().to_path_buf();
    let mode = std::fs::metadata(&folder).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{} is mode {mode:o}", folder.display());

    running.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(
        running.wait_timeout(Duration::from_secs(30)).is_some(),
        "idp sim did not end on SIGTERM"
    );
    assert!(
        !folder.exists(),
        "{} is left behind with a test private key",
        folder.display()
    );
}
