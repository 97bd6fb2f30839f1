//! Running the built `idp` binary in tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// The providers, in the order of `idp_sim::Sims::all`.
pub const PROVIDERS: [&str; 5] = [
    "rsa-cas",
    "cf-access",
    "onelogin",
    "aa-controlroom",
    "alibaba-cloudsso",
];

/// The simulator of `provider`.
pub fn sim<'a>(sims: &'a idp_sim::Sims, provider: &str) -> &'a dyn idp_sim::Simulator {
    let index = PROVIDERS.iter().position(|p| *p == provider).unwrap();
    sims.all()[index]
}

/// Runs the binary off the async runtime, so in-process simulators keep serving.
pub async fn run_with_stdin(
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    stdin: String,
) -> Run {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        idp(&args, &env, &stdin)
    })
    .await
    .unwrap()
}

/// [`run_with_stdin`] with nothing on standard input.
pub async fn run(args: Vec<String>, env: Vec<(&'static str, String)>) -> Run {
    run_with_stdin(args, env, String::new()).await
}

/// What one run of the binary printed and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout lines parsed as JSON objects.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }
}

/// Runs `idp` with exactly `env` as its environment (nothing inherited but PATH), feeding
/// `stdin`.
pub fn idp(args: &[&str], env: &[(&str, String)], stdin: &str) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_idp"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("spawn idp");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("wait for idp");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Asserts the documented shape of one JSON output line.
pub fn assert_json_shape(line: &serde_json::Value) {
    let object = line.as_object().expect("an object");
    let mut keys: Vec<_> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "attempts",
            "elapsed_ms",
            "error",
            "outcome",
            "provider",
            "user_id"
        ]
    );
    assert!(line["provider"].is_string());
    assert!(line["user_id"].is_string());
    assert!(line["attempts"].is_u64());
    assert!(line["elapsed_ms"].is_u64());
    let outcome = line["outcome"].as_str().unwrap();
    assert!(["deleted", "absent", "failed", "skipped"].contains(&outcome));
    if outcome == "failed" {
        let error = line["error"].as_object().expect("error object");
        let mut keys: Vec<_> = error.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["code", "kind", "message", "request_id", "status"]);
        assert!(error["kind"].is_string());
        assert!(error["message"].is_string());
        assert!(error["status"].is_u64() || error["status"].is_null());
        assert!(error["code"].is_string() || error["code"].is_null());
        assert!(error["request_id"].is_string() || error["request_id"].is_null());
    } else {
        assert!(line["error"].is_null());
    }
}
