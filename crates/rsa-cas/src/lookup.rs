//! The User Details API (`POST …/v1/users/lookup`): its request body, and its one user
//! record read as an [`Account`].

use idp_core::transport::check_id;
use idp_core::{Account, AccountStatus, Error, ErrorKind, ManagedBy, Response, UserQuery};
use serde_json::{Map, Value, json};

use crate::answer::has_error_sign;
use crate::client::MAX_USER_ID_CHARS;

/// `{"email": E, "searchUnsynched": false}` or `{"username": U, "searchUnsynched": false}`.
/// Never `true`: that makes CAS synchronise a user not yet in the cloud, and nobody should be
/// synchronised in just to be deleted.
pub(crate) fn request_body(query: &UserQuery) -> Vec<u8> {
    let body = match query {
        UserQuery::Email(email) => json!({ "email": email, "searchUnsynched": false }),
        UserQuery::Username(username) => {
            json!({ "username": username, "searchUnsynched": false })
        }
    };
    body.to_string().into_bytes()
}

/// The user a 200 answer describes: one JSON object with an `id` ("This API can look up only
/// one user at a time").
pub(crate) fn record(response: &Response) -> Result<Account, Error> {
    let map = match response.json_object() {
        Some(map) if response.status == 200 && !has_error_sign(&map) => map,
        _ => return Err(not_a_record(response)),
    };
    let user_id = match map.get("id").and_then(Value::as_str) {
        Some(id) if check_id("id", id, MAX_USER_ID_CHARS).is_ok() => id.to_owned(),
        _ => return Err(not_a_record(response)),
    };
    let text = |name: &str| Account::text_field(map.get(name));
    Ok(Account {
        user_id,
        email: text("emailAddress"),
        username: text("principalUsername"),
        display_name: Account::full_name(text("firstName"), text("lastName")),
        status: status(&map),
        managed_by: text("identitySource").map_or(ManagedBy::Unknown, |s| managed_by(&s)),
        vendor: Value::Object(map),
    })
}

fn not_a_record(response: &Response) -> Error {
    response.error(
        ErrorKind::Protocol,
        format!(
            "HTTP {} without a user record (one JSON object with an \"id\"): {}",
            response.status,
            response.describe_body()
        ),
    )
}

/// `markDeleted: true` is pending deletion whatever the status; otherwise `userStatus`
/// `"Enabled"` / `"Disabled"`; anything else unknown.
fn status(map: &Map<String, Value>) -> AccountStatus {
    if map.get("markDeleted").and_then(Value::as_bool) == Some(true) {
        return AccountStatus::PendingDeletion;
    }
    match map.get("userStatus").and_then(Value::as_str) {
        Some(s) if s.eq_ignore_ascii_case("enabled") => AccountStatus::Enabled,
        Some(s) if s.eq_ignore_ascii_case("disabled") => AccountStatus::Disabled,
        _ => AccountStatus::Unknown,
    }
}

/// What can re-create the user, guessed from the *name* of its identity source (RSA's record
/// gives only the name an administrator chose; NOT CONFIRMED): SCIM or Azure AD / Entra
/// names are SCIM-provisioned, LDAP, Active Directory or directory names are synchronised
/// directories, a name saying "local" is local, anything else unknown.
pub(crate) fn managed_by(identity_source: &str) -> ManagedBy {
    let name = identity_source.to_ascii_lowercase();
    let words: Vec<&str> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |word: &str| words.contains(&word);
    if name.contains("scim") || name.contains("azure") || has("entra") || has("aad") {
        ManagedBy::Scim
    } else if name.contains("ldap")
        || name.contains("directory")
        || has("ad")
        || has("adds")
        || has("ds")
    {
        ManagedBy::Directory
    } else if has("local") {
        ManagedBy::Local
    } else {
        ManagedBy::Unknown
    }
}

/// Whether `account` is the one `query` asked for, by the client's rule (RSA's exactness
/// and case handling are NOT CONFIRMED): `emailAddress` for an email, `principalUsername`
/// for a username. A record without the field to compare cannot confirm the match either
/// way, and is an error rather than a silent "absent".
pub(crate) fn matches(query: &UserQuery, account: &Account) -> Result<bool, Error> {
    let (field, value, advice) = match query {
        UserQuery::Email(_) => ("emailAddress", &account.email, ""),
        UserQuery::Username(_) => (
            "principalUsername",
            &account.username,
            ": look the person up by email instead",
        ),
    };
    if value.is_none() {
        return Err(Error::protocol(format!(
            "RSA answered the lookup of {query} with user {:?}, whose record has no {field} to \
             confirm the match{advice}",
            account.user_id
        )));
    }
    Ok(query.matches_account(account))
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_core::reqwest::header::HeaderMap;

    fn parse(body: &str) -> Result<Account, Error> {
        record(&Response::new(200, HeaderMap::new(), body.to_owned()))
    }

    #[test]
    fn the_vendor_example_reads_as_an_account() {
        let account = parse(
            r#"{"id":"5e4b1f2a-0000-4000-8000-000000000001","emailAddress":"Jane.Doe@Example.com",
                "firstName":"Jane","lastName":"Doe","creationDate":"2018-01-01",
                "identitySource":"Corporate Active Directory","userStatus":"Enabled",
                "markDeleted":false,"highRiskUser":false,"markDeletedAt":null}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(account.user_id, "5e4b1f2a-0000-4000-8000-000000000001");
        assert_eq!(account.email.as_deref(), Some("Jane.Doe@Example.com"));
        assert_eq!(account.username, None);
        assert_eq!(account.display_name.as_deref(), Some("Jane Doe"));
        assert_eq!(account.status, AccountStatus::Enabled);
        assert_eq!(account.managed_by, ManagedBy::Directory);
        assert_eq!(account.vendor["highRiskUser"], Value::Bool(false));
    }

    #[test]
    fn statuses() {
        let of = |body: &str| parse(body).map(|a| a.status).ok();
        assert_eq!(
            of(r#"{"id":"u","userStatus":"Disabled"}"#),
            Some(AccountStatus::Disabled)
        );
        assert_eq!(
            of(r#"{"id":"u","userStatus":"Enabled","markDeleted":true}"#),
            Some(AccountStatus::PendingDeletion)
        );
        assert_eq!(
            of(r#"{"id":"u","userStatus":"Locked"}"#),
            Some(AccountStatus::Unknown)
        );
        assert_eq!(of(r#"{"id":"u"}"#), Some(AccountStatus::Unknown));
    }

    #[test]
    fn identity_source_names() {
        for (name, managed) in [
            ("SCIM Managed", ManagedBy::Scim),
            ("Azure Active Directory (SCIM)", ManagedBy::Scim),
            ("Entra ID", ManagedBy::Scim),
            ("Corp AD", ManagedBy::Directory),
            ("corp-ldap-01", ManagedBy::Directory),
            ("Active Directory", ManagedBy::Directory),
            ("Local users", ManagedBy::Local),
            ("Headquarters", ManagedBy::Unknown),
            ("Adelaide", ManagedBy::Unknown),
        ] {
            assert_eq!(managed_by(name), managed, "{name}");
        }
    }

    #[test]
    fn anything_but_one_user_object_is_refused() {
        for body in [
            "[]",
            r#"[{"id":"u"}]"#,
            "{}",
            r#"{"id":""}"#,
            r#"{"id":42}"#,
            r#"{"id":"a b"}"#,
            r#"{"id":"u","error":"x"}"#,
            "<html></html>",
            "",
        ] {
            let err = parse(body).err().map(|e| e.kind());
            assert_eq!(err, Some(ErrorKind::Protocol), "{body}");
        }
    }

    #[test]
    fn the_request_body_is_exactly_the_documented_one() {
        let email = UserQuery::email("a@b.c").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            String::from_utf8_lossy(&request_body(&email)),
            r#"{"email":"a@b.c","searchUnsynched":false}"#
        );
        let user = UserQuery::username("jdoe").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            String::from_utf8_lossy(&request_body(&user)),
            r#"{"searchUnsynched":false,"username":"jdoe"}"#
        );
    }
}
