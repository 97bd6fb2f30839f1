//! What the CLI tests need from the in-process simulators: every secret a run could leak,
//! and each simulator's calls as readable labels (for asserting their order).

use idp_sim::{Sims, Simulator};

/// Every credential a run could print: the simulators' configured secrets, the RSA private
/// key's lines, and every token, key or signature the clients sent.
pub fn secrets_of(sims: &Sims) -> Vec<String> {
    let mut secrets: Vec<String> = sims
        .env()
        .into_iter()
        .filter(|(name, _)| {
            ["TOKEN", "SECRET", "KEY", "PASSWORD"]
                .iter()
                .any(|word| name.contains(word))
                && !name.ends_with("KEY_ID")
                && !name.ends_with("KEY_FILE")
        })
        .map(|(_, value)| value)
        .collect();
    if let Ok(key) = serde_json::from_str::<serde_json::Value>(sims.rsa_cas.key_file_json()) {
        let lines = key["accessKey"].as_str().unwrap_or_default().lines();
        secrets.extend(
            lines
                .filter(|line| !line.starts_with("-----") && line.len() >= 16)
                .map(str::to_owned),
        );
    }
    for sim in sims.all() {
        for request in sim.requests() {
            for name in ["authorization", "x-authorization", "x-auth-key"] {
                if let Some(value) = request.header(name) {
                    // Alibaba V3: "ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=<hex>".
                    let token = value.rsplit([' ', ':', '=']).next().unwrap_or(value);
                    secrets.push(token.to_owned());
                }
            }
            if let Some(signature) = request.param("Signature") {
                secrets.push(signature);
            }
        }
    }
    secrets.retain(|secret| secret.len() >= 8);
    secrets.sort();
    secrets.dedup();
    secrets
}

/// Panics if any of `texts` holds any of `secrets` (raw).
pub fn assert_no_secret<'a>(
    texts: impl IntoIterator<Item = (&'a str, &'a str)>,
    secrets: &[String],
) {
    for (what, text) in texts {
        for secret in secrets {
            assert!(!text.contains(secret.as_str()), "a secret in {what}");
        }
    }
}

/// The simulator's requests as labels: `METHOD last-path-segment` for REST vendors
/// (`DELETE users/{id}` → `DELETE user`), the action for Alibaba's RPC calls.
pub fn calls(sim: &dyn Simulator) -> Vec<String> {
    sim.requests()
        .into_iter()
        .map(|request| {
            if let Some(action) = request
                .header("x-acs-action")
                .map(str::to_owned)
                .or_else(|| request.param("Action"))
            {
                return action;
            }
            let segments: Vec<&str> = request.path.split('/').filter(|s| !s.is_empty()).collect();
            let tail = match segments.as_slice() {
                [.., "users", _id] => "user",
                [.., last] => last,
                [] => "",
            };
            format!("{} {tail}", request.method)
        })
        .collect()
}

/// The index of the first call labelled `label`.
pub fn first(calls: &[String], label: &str) -> Option<usize> {
    calls.iter().position(|c| c == label)
}
