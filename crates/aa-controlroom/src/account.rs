//! A Control Room user record as an [`Account`].

use idp_core::{Account, AccountStatus, ManagedBy, UserQuery};
use serde_json::Value;

use crate::user::{Record, record_id};

/// The account a user record describes; `None` when the record has no positive integer `id`.
///
/// - `status`: `disabled: true` → disabled, `false` → enabled, missing → unknown.
/// - `managed_by`: a non-empty `domain` (`"ActiveDirectory (LDAP)"`) → directory; `domain`
///   null or empty → local; no `domain` field → unknown. What `domain` holds for SSO users
///   is not confirmed.
/// - `display_name`: `firstName` and `lastName`.
pub(crate) fn account(record: Record) -> Option<Account> {
    let id = record_id(&record)?;
    let text = |key: &str| Account::text_field(record.get(key));
    let status = match record.get("disabled") {
        Some(Value::Bool(true)) => AccountStatus::Disabled,
        Some(Value::Bool(false)) => AccountStatus::Enabled,
        _ => AccountStatus::Unknown,
    };
    let managed_by = match record.get("domain") {
        None => ManagedBy::Unknown,
        Some(_) if text("domain").is_some() => ManagedBy::Directory,
        Some(Value::Null | Value::String(_)) => ManagedBy::Local,
        Some(_) => ManagedBy::Unknown,
    };
    Some(Account {
        user_id: id.to_string(),
        email: text("email"),
        username: text("username"),
        display_name: Account::full_name(text("firstName"), text("lastName")),
        status,
        managed_by,
        vendor: Value::Object(record),
    })
}

/// Whether `account` matches `query`: an email query compares the `email` **and** the
/// `username` (AD and SSO usernames are often the email address); a username query compares
/// the `username`. Exact, ASCII-case-insensitive, as [`UserQuery::matches`].
pub(crate) fn matches(query: &UserQuery, account: &Account) -> bool {
    query.matches_account(account)
        || (query.is_email() && query.matches(account.username.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn from(value: Value) -> Option<Account> {
        match value {
            Value::Object(record) => account(record),
            _ => None,
        }
    }

    #[test]
    fn records_become_accounts() {
        let found = from(json!({
            "id": 15, "email": "Jane@Example.com", "username": "jdoe",
            "firstName": "Jane", "lastName": "Doe", "disabled": false,
            "domain": "ActiveDirectory (LDAP)"
        }));
        let account = found.unwrap_or_else(|| panic!("an account"));
        assert_eq!(account.user_id, "15");
        assert_eq!(account.display_name.as_deref(), Some("Jane Doe"));
        assert_eq!(account.status, AccountStatus::Enabled);
        assert_eq!(account.managed_by, ManagedBy::Directory);
        assert_eq!(account.vendor["domain"], "ActiveDirectory (LDAP)");

        let local = from(json!({"id": 2, "domain": null, "disabled": true}));
        assert_eq!(local.as_ref().map(|a| a.managed_by), Some(ManagedBy::Local));
        assert_eq!(
            local.as_ref().map(|a| a.status),
            Some(AccountStatus::Disabled)
        );
        let bare = from(json!({"id": 3}));
        assert_eq!(
            bare.as_ref().map(|a| a.managed_by),
            Some(ManagedBy::Unknown)
        );
        assert_eq!(
            bare.as_ref().map(|a| a.status),
            Some(AccountStatus::Unknown)
        );
        assert!(from(json!({"id": "3"})).is_none());
    }

    #[test]
    fn an_email_query_compares_the_email_and_the_username() {
        let query = UserQuery::email("jane@example.com").unwrap_or_else(|e| panic!("{e}"));
        let by_username = from(json!({"id": 1, "username": "JANE@example.com", "email": null}));
        assert!(by_username.is_some_and(|a| matches(&query, &a)));
        let partial = from(json!({"id": 2, "username": "jane", "email": "jane@example.com.evil"}));
        assert!(partial.is_some_and(|a| !matches(&query, &a)));
        let username = UserQuery::username("jane@example.com").unwrap_or_else(|e| panic!("{e}"));
        let by_email = from(json!({"id": 3, "username": "jdoe", "email": "jane@example.com"}));
        assert!(by_email.is_some_and(|a| !matches(&username, &a)));
    }
}
