//! A OneLogin user record (the same fields in v1 and v2) as an [`Account`].

use idp_core::{Account, AccountStatus, Error, ErrorKind, ManagedBy};
use serde_json::Value;

/// The account a user record describes. A record without a positive integer `id` is a
/// [`ErrorKind::Protocol`] error: it could not be offboarded, and skipping it would hide an
/// account.
pub(crate) fn account_from(record: &Value) -> Result<Account, Error> {
    let id = record_id(record).ok_or_else(|| {
        Error::new(
            ErrorKind::Protocol,
            "a user record without a positive integer id",
        )
    })?;
    let text = |field: &str| Account::text_field(record.get(field));
    Ok(Account {
        user_id: id.to_string(),
        email: text("email"),
        username: text("username"),
        display_name: Account::full_name(text("firstname"), text("lastname")),
        status: status(record.get("status")),
        managed_by: if directory_id(record).is_some() {
            ManagedBy::Directory
        } else {
            ManagedBy::Local
        },
        vendor: record.clone(),
    })
}

/// The record's `id`, when it is a positive integer.
pub(crate) fn record_id(record: &Value) -> Option<u64> {
    record
        .get("id")
        .and_then(Value::as_u64)
        .filter(|&id| id > 0)
}

/// The directory a user is synchronised from (`directory_id` set), as text.
pub(crate) fn directory_id(record: &Value) -> Option<String> {
    match record.get("directory_id")? {
        Value::Number(n) if n.as_u64() != Some(0) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// OneLogin's `status` table (its SDKs' constants): 1 Active ("only users assigned this
/// status can log in"), 2 Suspended, 3 Locked. 0 UnActivated, 4 PasswordExpired,
/// 5 AwaitingPasswordReset, 7 PasswordPending, 8 SecurityQuestionsRequired say nothing about
/// whether an administrator disabled the account, so they are `Unknown`, like any value the
/// table does not list.
fn status(value: Option<&Value>) -> AccountStatus {
    match value.and_then(Value::as_u64) {
        Some(1) => AccountStatus::Enabled,
        Some(2) => AccountStatus::Suspended,
        Some(3) => AccountStatus::Locked,
        _ => AccountStatus::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_become_accounts() {
        let record = json!({"id": 42, "email": " Jane@Example.com ", "username": "jdoe",
            "firstname": "Jane", "lastname": "Doe", "status": 1, "directory_id": null});
        let account = account_from(&record).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(account.user_id, "42");
        assert_eq!(account.email.as_deref(), Some("Jane@Example.com"));
        assert_eq!(account.display_name.as_deref(), Some("Jane Doe"));
        assert_eq!(account.status, AccountStatus::Enabled);
        assert_eq!(account.managed_by, ManagedBy::Local);
        assert_eq!(account.vendor, record);
        let synced = json!({"id": 7, "status": 3, "directory_id": 1234, "lastname": "Roe"});
        let account = account_from(&synced).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(account.managed_by, ManagedBy::Directory);
        assert_eq!(account.status, AccountStatus::Locked);
        assert_eq!(account.display_name.as_deref(), Some("Roe"));
        for bad in [
            json!({"id": 0}),
            json!({"id": "42"}),
            json!({"email": "a@b.c"}),
            json!([]),
        ] {
            assert!(account_from(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn statuses_come_from_the_vendors_table() {
        let of = |v: Value| status(Some(&v));
        assert_eq!(of(json!(1)), AccountStatus::Enabled);
        assert_eq!(of(json!(2)), AccountStatus::Suspended);
        assert_eq!(of(json!(3)), AccountStatus::Locked);
        for other in [
            json!(0),
            json!(4),
            json!(5),
            json!(6),
            json!(7),
            json!(8),
            json!(99),
            json!("1"),
        ] {
            assert_eq!(of(other.clone()), AccountStatus::Unknown, "{other}");
        }
        assert_eq!(status(None), AccountStatus::Unknown);
    }
}
