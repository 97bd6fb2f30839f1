//! The plan a person approves: per person and provider, the account found (or why there is
//! none), the steps with their targets, where it ends, and what to know; bound to its content
//! by a digest.

use std::fmt;

use idp::{Account, EndState, Error, PlannedStep, UserQuery};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::canonical;

/// The plan format version this crate writes and reads.
pub const PLAN_VERSION: u32 = 1;

/// An offboarding plan: what `idp offboard plan` writes and `idp offboard apply` carries out.
///
/// `digest` is `"sha256:<hex>"` of the `people` array in canonical JSON (RFC 8785): any change
/// to what will be done changes it, so an edited plan is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// [`PLAN_VERSION`].
    pub version: u32,
    /// When the plan was made (RFC 3339, UTC); not covered by the digest.
    pub created_at: String,
    /// `"sha256:<hex>"` of the canonical JSON of `people`.
    pub digest: String,
    /// Every person, in the order given.
    pub people: Vec<Person>,
}

/// One person and what happens to them in each provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    /// Who: `{"email": …}` or `{"username": …}`.
    pub query: UserQuery,
    /// One entry per provider looked in.
    pub targets: Vec<Target>,
}

impl Person {
    /// The person's email as the JSON lines show it: the query's, or for a username query the
    /// account's (when there is one).
    pub fn email_for(&self, target: &Target) -> Option<String> {
        match &self.query {
            UserQuery::Email(email) => Some(email.clone()),
            UserQuery::Username(_) => target.account.as_ref().and_then(|a| a.email.clone()),
        }
    }
}

/// What the lookup in one provider found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// One account: it has steps.
    Found,
    /// No account: nothing to do.
    Absent,
    /// Several accounts match: nothing is done until a person decides.
    Ambiguous,
    /// The lookup failed: nothing is done.
    Failed,
    /// The account is on the protect list: it never gets a step.
    Protected,
}

impl Resolution {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Found => "found",
            Resolution::Absent => "absent",
            Resolution::Ambiguous => "ambiguous",
            Resolution::Failed => "failed",
            Resolution::Protected => "protected",
        }
    }
}

/// One person in one provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// The provider (`"rsa-cas"`, …).
    pub provider: String,
    /// What the lookup found.
    pub resolution: Resolution,
    /// The account, when found (or protected).
    #[serde(default)]
    pub account: Option<Account>,
    /// The accounts that matched, when ambiguous.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Account>,
    /// The steps, in order (containment, prerequisites, delete, verify).
    #[serde(default)]
    pub steps: Vec<PlannedStep>,
    /// Where the account ends when every step succeeds.
    #[serde(default)]
    pub end: Option<EndState>,
    /// What people should know before approving.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Why the lookup failed.
    #[serde(default)]
    pub error: Option<ErrorRecord>,
}

impl Target {
    /// The account's user id, when there is one.
    pub fn user_id(&self) -> Option<&str> {
        self.account.as_ref().map(|a| a.user_id.as_str())
    }
}

/// An error as plans, journals and JSON lines record it (the same shape as `idp delete`'s).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRecord {
    /// The error kind (`"rate_limited"`, …).
    pub kind: String,
    /// The HTTP status, if any.
    pub status: Option<u16>,
    /// The vendor's code, if any.
    pub code: Option<String>,
    /// The message.
    pub message: String,
    /// The vendor's request id, if any.
    pub request_id: Option<String>,
}

impl From<&Error> for ErrorRecord {
    fn from(err: &Error) -> Self {
        ErrorRecord {
            kind: err.kind().as_str().to_owned(),
            status: err.status(),
            code: err.code().map(str::to_owned),
            message: err.message().to_owned(),
            request_id: err.request_id().map(str::to_owned),
        }
    }
}

impl fmt::Display for ErrorRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)?;
        match (self.status, self.code.as_deref()) {
            (Some(status), Some(code)) => write!(f, " (HTTP {status}, code {code})")?,
            (Some(status), None) => write!(f, " (HTTP {status})")?,
            (None, Some(code)) => write!(f, " (code {code})")?,
            (None, None) => {}
        }
        write!(f, ": {}", self.message)
    }
}

/// Why a plan file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// Not JSON, or not a plan.
    #[error("the plan is not a valid plan file: {0}")]
    Invalid(String),
    /// Written by another version of the format.
    #[error("the plan has format version {found}, this idp reads version {PLAN_VERSION}")]
    Version {
        /// The version in the file.
        found: u64,
    },
    /// The digest does not match the content: the plan was edited after it was made.
    #[error(
        "the plan's digest does not match its content (it says {stated}, the content hashes to \
         {actual}): it was changed after it was made; nothing was sent"
    )]
    Tampered {
        /// The digest the file states.
        stated: String,
        /// The digest of what it holds.
        actual: String,
    },
}

impl Plan {
    /// A plan of `people`, made at `created_at`, with its digest computed.
    pub fn new(people: Vec<Person>, created_at: String) -> Plan {
        let digest = people_digest(&people);
        Plan {
            version: PLAN_VERSION,
            created_at,
            digest,
            people,
        }
    }

    /// Reads a plan and checks its digest against the content exactly as written: anything in
    /// `people` that changed since the plan was made (a step, a target id, a field this
    /// version does not know) makes it [`PlanError::Tampered`].
    pub fn from_json(text: &str) -> Result<Plan, PlanError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| PlanError::Invalid(e.to_string()))?;
        let version = value.get("version").and_then(Value::as_u64).unwrap_or(0);
        if version != u64::from(PLAN_VERSION) {
            return Err(PlanError::Version { found: version });
        }
        let people = value
            .get("people")
            .ok_or_else(|| PlanError::Invalid("no \"people\"".to_owned()))?;
        let actual = canonical::digest(people);
        let stated = value
            .get("digest")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if stated != actual {
            return Err(PlanError::Tampered { stated, actual });
        }
        serde_json::from_value(value).map_err(|e| PlanError::Invalid(e.to_string()))
    }

    /// The plan as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Every target with an account and steps, with its person.
    pub fn actionable(&self) -> impl Iterator<Item = (&Person, &Target)> {
        self.people.iter().flat_map(|person| {
            person
                .targets
                .iter()
                .filter(|t| t.resolution == Resolution::Found && !t.steps.is_empty())
                .map(move |t| (person, t))
        })
    }

    /// The providers the plan names, each once, in order of appearance.
    pub fn providers(&self) -> Vec<String> {
        let mut providers: Vec<String> = Vec::new();
        for target in self.people.iter().flat_map(|p| &p.targets) {
            if !providers.contains(&target.provider) {
                providers.push(target.provider.clone());
            }
        }
        providers
    }
}

/// The digest of `people` (see [`Plan`]).
pub fn people_digest(people: &[Person]) -> String {
    let value = serde_json::to_value(people).unwrap_or(Value::Null);
    canonical::digest(&value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp::{AccountStatus, ManagedBy, Step};

    fn plan() -> Plan {
        let account = Account {
            user_id: "u-1".into(),
            email: Some("jane@example.com".into()),
            username: None,
            display_name: None,
            status: AccountStatus::Enabled,
            managed_by: ManagedBy::Local,
            vendor: serde_json::json!({"id": "u-1"}),
        };
        let steps = vec![
            PlannedStep::on_account(Step::Disable, &account),
            PlannedStep::on_account(Step::Delete, &account),
        ];
        let person = Person {
            query: UserQuery::email("jane@example.com").unwrap_or_else(|e| panic!("{e}")),
            targets: vec![Target {
                provider: "rsa-cas".into(),
                resolution: Resolution::Found,
                account: Some(account),
                candidates: vec![],
                steps,
                end: Some(EndState::Offboarded),
                warnings: vec![],
                error: None,
            }],
        };
        Plan::new(vec![person], "2026-12-01T00:00:00Z".into())
    }

    #[test]
    fn a_plan_reads_back_and_any_edit_is_refused() {
        let plan = plan();
        let text = plan.to_json();
        assert_eq!(Plan::from_json(&text).ok(), Some(plan.clone()));
        assert!(plan.digest.starts_with("sha256:"));
        for (from, to) in [
            ("\"disable\"", "\"delete\""),
            ("\"u-1\"", "\"u-2\""),
            ("jane@example.com", "john@example.com"),
        ] {
            let edited = text.replacen(from, to, 1);
            assert!(
                matches!(Plan::from_json(&edited), Err(PlanError::Tampered { .. })),
                "{from} -> {to}"
            );
        }
        // Outside `people`, nothing is covered: the timestamp may be reformatted.
        let retimed = text.replace("2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z");
        assert!(Plan::from_json(&retimed).is_ok());
        assert!(matches!(Plan::from_json("{"), Err(PlanError::Invalid(_))));
    }
}
