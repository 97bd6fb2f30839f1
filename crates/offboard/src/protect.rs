//! The protect list: accounts that never get a step (break-glass and admin accounts).

use std::collections::HashSet;

use idp::{Account, UserQuery};

/// Accounts no plan may touch: by email (any provider, case-insensitive) or by
/// `provider:user_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Protect {
    emails: HashSet<String>,
    accounts: HashSet<(String, String)>,
}

/// A protect-list line that is neither an email nor `provider:user_id`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("protect list line {line}: {reason}")]
pub struct ProtectError {
    /// The 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

impl Protect {
    /// Nothing protected.
    pub fn none() -> Self {
        Protect::default()
    }

    /// Reads the list: one entry per line, an `email` or `provider:user_id`; blank lines and
    /// `#` comments skipped. `providers` are the provider names a `provider:` prefix may use.
    pub fn parse(text: &str, providers: &[&str]) -> Result<Protect, ProtectError> {
        let mut protect = Protect::default();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim().trim_start_matches('\u{feff}');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let refuse = |reason: String| ProtectError {
                line: index + 1,
                reason,
            };
            if line.contains('@') {
                let query = UserQuery::email(line).map_err(|e| refuse(e.message().to_owned()))?;
                protect.emails.insert(query.value().to_ascii_lowercase());
                continue;
            }
            let Some((provider, user_id)) = line.split_once(':') else {
                return Err(refuse(
                    "expected an email or provider:user_id (such as rsa-cas:0a1b…)".to_owned(),
                ));
            };
            let (provider, user_id) = (provider.trim(), user_id.trim());
            if !providers.contains(&provider) {
                return Err(refuse(format!(
                    "unknown provider {:?}: expected one of {}",
                    idp::text::truncate_for_message(provider),
                    providers.join(", ")
                )));
            }
            if user_id.is_empty() {
                return Err(refuse("the user id is empty".to_owned()));
            }
            protect
                .accounts
                .insert((provider.to_owned(), user_id.to_owned()));
        }
        Ok(protect)
    }

    /// Whether the account `account` in `provider`, looked up for `query`, is protected.
    pub fn covers(&self, provider: &str, query: &UserQuery, account: &Account) -> bool {
        let email_protected =
            |email: &str| self.emails.contains(&email.trim().to_ascii_lowercase());
        self.accounts
            .contains(&(provider.to_owned(), account.user_id.clone()))
            || (query.is_email() && email_protected(query.value()))
            || account.email.as_deref().is_some_and(email_protected)
    }

    /// How many entries the list has.
    pub fn len(&self) -> usize {
        self.emails.len() + self.accounts.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp::{AccountStatus, ManagedBy};

    fn account(id: &str, email: &str) -> Account {
        Account {
            user_id: id.into(),
            email: Some(email.into()),
            username: None,
            display_name: None,
            status: AccountStatus::Enabled,
            managed_by: ManagedBy::Local,
            vendor: serde_json::Value::Null,
        }
    }

    #[test]
    fn emails_and_provider_ids_are_protected() {
        let text = "# break-glass\n\u{feff}Root@Example.com\n\nonelogin:42\n";
        let protect = Protect::parse(text, &["onelogin", "rsa-cas"]).unwrap_or_default();
        assert_eq!(protect.len(), 2);
        let query = UserQuery::email("root@example.com").unwrap_or_else(|e| panic!("{e}"));
        assert!(protect.covers("rsa-cas", &query, &account("9", "x@y.z")));
        let other = UserQuery::email("jane@example.com").unwrap_or_else(|e| panic!("{e}"));
        assert!(protect.covers("onelogin", &other, &account("42", "jane@example.com")));
        assert!(!protect.covers("rsa-cas", &other, &account("42", "jane@example.com")));
        assert!(protect.covers("rsa-cas", &other, &account("7", "ROOT@example.com")));
    }

    #[test]
    fn bad_lines_are_refused_with_their_number() {
        for (text, line) in [
            ("jane\n", 1),
            ("# x\nokta:1\n", 2),
            ("onelogin:\n", 1),
            ("a@@b\n", 1),
        ] {
            let err = Protect::parse(text, &["onelogin"]).err();
            assert_eq!(err.map(|e| e.line), Some(line), "{text:?}");
        }
    }
}
