//! `idp offboard verify`: read-only, whether each planned account is gone.

use std::collections::HashMap;

use futures_util::stream::{self, StreamExt};
use idp::{Client, Presence};
use serde::Serialize;

use crate::plan::{ErrorRecord, Plan};

/// One target's state, as `idp offboard verify --output json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyLine {
    /// The person's email.
    pub email: Option<String>,
    /// The provider.
    pub provider: String,
    /// The account's user id.
    pub user_id: String,
    /// `"gone"`, `"present"` or `"failed"`.
    pub state: &'static str,
    /// Why the read failed.
    pub error: Option<ErrorRecord>,
}

/// Reads every account the plan names (found or protected) in its provider, at most
/// `concurrency` at a time, in plan order.
pub async fn verify(
    plan: &Plan,
    clients: &HashMap<String, Client>,
    concurrency: usize,
) -> Vec<VerifyLine> {
    let targets: Vec<_> = plan
        .people
        .iter()
        .flat_map(|person| person.targets.iter().map(move |t| (person, t)))
        .filter_map(|(person, target)| {
            let account = target.account.as_ref()?;
            Some((person, target, account))
        })
        .collect();
    stream::iter(targets)
        .map(|(person, target, account)| async move {
            let (state, error) = match clients.get(&target.provider) {
                None => (
                    "failed",
                    Some(ErrorRecord {
                        kind: "config".to_owned(),
                        status: None,
                        code: None,
                        message: format!("provider {} is not configured", target.provider),
                        request_id: None,
                    }),
                ),
                Some(client) => match client.verify(account).await {
                    Ok(Presence::Gone) => ("gone", None),
                    Ok(Presence::Present) => ("present", None),
                    Err(err) => ("failed", Some(ErrorRecord::from(&err))),
                },
            };
            VerifyLine {
                email: person.email_for(target),
                provider: target.provider.clone(),
                user_id: account.user_id.clone(),
                state,
                error,
            }
        })
        .buffered(concurrency.max(1))
        .collect()
        .await
}
