//! Finding a person's account: the query, the account as every vendor describes it, and the
//! client-side matching rule.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::text::truncate_for_message;

/// The longest query accepted (the longest valid email address is 320 characters).
const MAX_QUERY_CHARS: usize = 320;

/// Who to look up: an email address or a username.
///
/// Checked when made ([`UserQuery::email`], [`UserQuery::username`]), before any request:
/// trimmed; empty values, inner whitespace, control or invisible characters, `*` anywhere and
/// a leading `!` are refused (OneLogin reads `*` as a wildcard and `!` as negation, and an
/// empty `email=` returns every user); an email needs exactly one `@` with text on both
/// sides. Serialises as `{"email": "…"}` or `{"username": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserQuery {
    /// An email address.
    Email(String),
    /// A username (login name).
    Username(String),
}

impl UserQuery {
    /// An email query, checked.
    pub fn email(raw: &str) -> Result<UserQuery, Error> {
        let value = check_query("email", raw)?;
        let mut parts = value.split('@');
        let (local, domain) = (parts.next().unwrap_or(""), parts.next());
        match domain {
            Some(domain) if parts.next().is_none() && !local.is_empty() && !domain.is_empty() => {
                Ok(UserQuery::Email(value.to_owned()))
            }
            _ => Err(Error::invalid_input(format!(
                "email {:?} must have exactly one @ with text on both sides",
                truncate_for_message(value)
            ))),
        }
    }

    /// A username query, checked.
    pub fn username(raw: &str) -> Result<UserQuery, Error> {
        check_query("username", raw).map(|value| UserQuery::Username(value.to_owned()))
    }

    /// The value looked up.
    pub fn value(&self) -> &str {
        match self {
            UserQuery::Email(v) | UserQuery::Username(v) => v,
        }
    }

    /// `"email"` or `"username"`.
    pub fn field(&self) -> &'static str {
        match self {
            UserQuery::Email(_) => "email",
            UserQuery::Username(_) => "username",
        }
    }

    /// Whether this is an email query.
    pub fn is_email(&self) -> bool {
        matches!(self, UserQuery::Email(_))
    }

    /// The matching rule, the client's and no server's: ASCII-case-insensitive equality with
    /// the vendor's email field (for an email query) or username field (for a username
    /// query). A fuzzy or partial server match is never a match.
    pub fn matches(&self, candidate: Option<&str>) -> bool {
        candidate.is_some_and(|c| c.trim().eq_ignore_ascii_case(self.value()))
    }

    /// Whether `account` matches (see [`UserQuery::matches`]). An email query also matches a
    /// username that is that email address: directory and SSO accounts (Active Directory's
    /// UPN, a Control Room `domain` user) often carry the address only as their login name, and
    /// an offboarding that misses such an account leaves the person with access.
    pub fn matches_account(&self, account: &Account) -> bool {
        match self {
            UserQuery::Email(_) => {
                self.matches(account.email.as_deref())
                    || account
                        .username
                        .as_deref()
                        .is_some_and(|u| u.contains('@') && self.matches(Some(u)))
            }
            UserQuery::Username(_) => self.matches(account.username.as_deref()),
        }
    }
}

impl fmt::Display for UserQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field(), self.value())
    }
}

fn check_query<'a>(field: &str, raw: &'a str) -> Result<&'a str, Error> {
    let value = raw.trim();
    let refuse = |why: &str| {
        Err(Error::invalid_input(format!(
            "{field} {:?} {why}",
            truncate_for_message(value)
        )))
    };
    if value.is_empty() {
        return Err(Error::invalid_input(format!("{field} is empty")));
    }
    if value.chars().count() > MAX_QUERY_CHARS {
        return refuse("is too long");
    }
    if value.chars().any(char::is_control) {
        return refuse("contains control characters");
    }
    if value.chars().any(char::is_whitespace) {
        return refuse("contains whitespace");
    }
    if value.chars().any(crate::transport::is_format_char) {
        return refuse("contains invisible or formatting characters");
    }
    if value.contains('*') {
        return refuse("contains `*`, which vendors read as a wildcard");
    }
    if value.starts_with('!') {
        return refuse("starts with `!`, which OneLogin reads as negation");
    }
    Ok(value)
}

/// What can re-create an account after it is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ManagedBy {
    /// Made in the vendor's console or API: nothing re-creates it.
    Local,
    /// Synchronised from a directory (LDAP, Active Directory): the directory can bring it
    /// back while the person is still in it.
    Directory,
    /// Provisioned by SCIM from an identity provider, which can re-create it.
    Scim,
    /// The vendor's record does not say.
    Unknown,
}

/// An account's state, in the vendor's own terms mapped onto one vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Can sign in.
    Enabled,
    /// Disabled by an administrator.
    Disabled,
    /// Suspended (OneLogin).
    Suspended,
    /// Locked out.
    Locked,
    /// Marked for deletion; the vendor removes it later (RSA).
    PendingDeletion,
    /// A value the vendor documents no meaning for, or none.
    Unknown,
}

/// One account in one vendor, as a lookup found it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// The vendor's id of the account (what `delete` takes).
    pub user_id: String,
    /// The email on record.
    pub email: Option<String>,
    /// The username on record.
    pub username: Option<String>,
    /// A display name, when the vendor has one.
    pub display_name: Option<String>,
    /// Its state.
    pub status: AccountStatus,
    /// What can re-create it.
    pub managed_by: ManagedBy,
    /// The vendor's record as it came, for callers that need more.
    pub vendor: serde_json::Value,
}

impl Account {
    /// A text field of a vendor's record as an account carries it: trimmed; `None` when it is
    /// absent, not a string, or blank.
    pub fn text_field(value: Option<&serde_json::Value>) -> Option<String> {
        value
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
    }

    /// A display name from a first and a last name: both, joined by a space, or the one
    /// there is; `None` without either.
    pub fn full_name(first: Option<String>, last: Option<String>) -> Option<String> {
        match (first, last) {
            (Some(first), Some(last)) => Some(format!("{first} {last}")),
            (first, last) => first.or(last),
        }
    }
}

#[cfg(test)]
impl Account {
    /// An enabled local account with nothing but its id, for tests.
    pub(crate) fn bare(user_id: &str) -> Account {
        Account {
            user_id: user_id.into(),
            email: None,
            username: None,
            display_name: None,
            status: AccountStatus::Enabled,
            managed_by: ManagedBy::Local,
            vendor: serde_json::Value::Null,
        }
    }
}

/// What a lookup of one query in one vendor came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// Exactly one account matches.
    Found(Account),
    /// No account matches.
    Absent,
    /// More than one account matches: nothing is picked.
    Ambiguous(Vec<Account>),
}

impl Lookup {
    /// Keeps the accounts that match `query` (by the client's rule), each user id once, and
    /// says what that comes to.
    pub fn from_candidates(query: &UserQuery, candidates: Vec<Account>) -> Lookup {
        let mut matches: Vec<Account> = Vec::new();
        for account in candidates {
            if query.matches_account(&account)
                && !matches.iter().any(|m| m.user_id == account.user_id)
            {
                matches.push(account);
            }
        }
        match matches.len() {
            0 => Lookup::Absent,
            1 => Lookup::Found(matches.remove(0)),
            _ => Lookup::Ambiguous(matches),
        }
    }

    /// `"found"`, `"absent"` or `"ambiguous"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Lookup::Found(_) => "found",
            Lookup::Absent => "absent",
            Lookup::Ambiguous(_) => "ambiguous",
        }
    }

    /// The accounts (one, none, or the candidates).
    pub fn accounts(&self) -> &[Account] {
        match self {
            Lookup::Found(account) => std::slice::from_ref(account),
            Lookup::Absent => &[],
            Lookup::Ambiguous(accounts) => accounts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str, email: &str) -> Account {
        Account {
            email: Some(email.into()),
            ..Account::bare(id)
        }
    }

    #[test]
    fn queries_are_checked_before_any_request() {
        assert!(UserQuery::email("  Jane.Doe@Example.com ").is_ok());
        for bad in [
            "",
            " ",
            "jane doe@x.com",
            "*@x.com",
            "jane@x*",
            "!@x.com",
            "jane",
            "@x.com",
            "jane@",
            "a@b@c",
            "ja\u{200b}ne@x.com",
            "ja\nne@x.com",
        ] {
            assert!(UserQuery::email(bad).is_err(), "{bad:?}");
        }
        assert!(UserQuery::username("jdoe").is_ok());
        assert!(UserQuery::username("!jdoe").is_err());
        assert!(UserQuery::username("j*").is_err());
        assert_eq!(
            serde_json::to_string(&UserQuery::email("a@b.c").ok()).ok(),
            Some(r#"{"email":"a@b.c"}"#.to_owned())
        );
    }

    #[test]
    fn record_text_is_trimmed_and_names_join() {
        let record = serde_json::json!({"a": " Jane ", "b": " ", "c": 7});
        assert_eq!(
            Account::text_field(record.get("a")).as_deref(),
            Some("Jane")
        );
        for blank in ["b", "c", "d"] {
            assert_eq!(Account::text_field(record.get(blank)), None, "{blank}");
        }
        let name = |first: Option<&str>, last: Option<&str>| {
            Account::full_name(first.map(str::to_owned), last.map(str::to_owned))
        };
        assert_eq!(name(Some("Jane"), Some("Doe")).as_deref(), Some("Jane Doe"));
        assert_eq!(name(None, Some("Doe")).as_deref(), Some("Doe"));
        assert_eq!(name(Some("Jane"), None).as_deref(), Some("Jane"));
        assert_eq!(name(None, None), None);
    }

    #[test]
    fn matching_is_exact_and_case_insensitive() {
        let query = UserQuery::email("jane@example.com").unwrap_or_else(|e| panic!("{e}"));
        let found = Lookup::from_candidates(
            &query,
            vec![
                account("1", "JANE@Example.com"),
                account("2", "jane@example.com.evil"),
                account("3", "xjane@example.com"),
                account("1", "jane@example.com"),
            ],
        );
        assert!(
            matches!(&found, Lookup::Found(a) if a.user_id == "1"),
            "{found:?}"
        );
        let two = Lookup::from_candidates(
            &query,
            vec![
                account("1", "jane@example.com"),
                account("9", "Jane@example.com"),
            ],
        );
        assert_eq!(two.as_str(), "ambiguous");
        assert_eq!(two.accounts().len(), 2);
        assert_eq!(Lookup::from_candidates(&query, vec![]), Lookup::Absent);
    }
}
