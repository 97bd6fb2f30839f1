//! Running the built `idp` binary in tests, and what they share: a loopback server for what
//! httpmock cannot do, a running child to signal, OneLogin's bodies and environment.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod child;
pub mod loopback;
pub mod onelogin;
pub mod sims;

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

    /// The text output's per-id lines as `(outcome, id)` (the summary and other lines left
    /// out).
    pub fn text_results(&self) -> Vec<(String, String)> {
        self.stdout
            .lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let outcome = words.next()?;
                let id = words.next()?;
                ["deleted", "absent", "failed", "skipped"]
                    .contains(&outcome)
                    .then(|| (outcome.to_owned(), id.to_owned()))
            })
            .collect()
    }

    /// The one JSON line of `user_id`.
    pub fn json_line(&self, user_id: &str) -> serde_json::Value {
        let lines: Vec<_> = self
            .json_lines()
            .into_iter()
            .filter(|line| line["user_id"] == user_id)
            .collect();
        assert_eq!(lines.len(), 1, "one line for {user_id:?}:\n{}", self.stdout);
        lines[0].clone()
    }

    /// The ids of the JSON lines with this outcome, sorted.
    pub fn json_ids(&self, outcome: &str) -> Vec<String> {
        let lines = self.json_lines();
        let ids = lines
            .iter()
            .filter(|line| line["outcome"] == outcome)
            .map(|line| line["user_id"].as_str().unwrap().to_owned());
        let mut ids: Vec<String> = ids.collect();
        ids.sort();
        ids
    }
}

/// Runs `idp` with exactly `env` as its environment (nothing inherited but PATH), feeding
/// `stdin`.
pub fn idp(args: &[&str], env: &[(&str, String)], stdin: &str) -> Run {
    idp_bytes(args, env, stdin.as_bytes())
}

/// [`idp`] with any bytes on standard input (not UTF-8, large).
pub fn idp_bytes(args: &[&str], env: &[(&str, String)], stdin: &[u8]) -> Run {
    child::Running::start(child::command(args, env), stdin).finish()
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
