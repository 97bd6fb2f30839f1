//! The user record the Control Room answers with: its id, and the typed record of a deleted
//! user.

use serde::Deserialize;
use serde_json::{Map, Value};

/// A JSON object as the Control Room sent it.
pub(crate) type Record = Map<String, Value>;

/// The record's `id`, when it is a positive integer (the documented shape).
pub(crate) fn record_id(record: &Record) -> Option<u64> {
    record
        .get("id")
        .and_then(Value::as_u64)
        .filter(|&id| id > 0)
}

/// The user record the Control Room returns when it deletes a user (HTTP 200).
///
/// Only `id` is required. Every other documented field is optional, and fields this crate
/// does not know are kept in [`DeletedUser::other`] rather than refused, so a newer Control
/// Room does not break parsing.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DeletedUser {
    /// The user's numeric id.
    pub id: u64,
    /// The login name.
    pub username: Option<String>,
    /// The e-mail address.
    pub email: Option<String>,
    /// The first name.
    pub first_name: Option<String>,
    /// The last name.
    pub last_name: Option<String>,
    /// Where the user comes from (`"ActiveDirectory (LDAP)"`, …).
    pub domain: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The roles the user had.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub roles: Vec<Role>,
    /// Whether the account was disabled.
    pub disabled: Option<bool>,
    /// The Control Room's `deleted` flag as it was in the answer (the sample answer says
    /// `false` for a user it has just deleted).
    pub deleted: Option<bool>,
    /// When the user was created (as the Control Room wrote it, e.g. `2019-11-18T20:48:04Z`).
    pub created_on: Option<String>,
    /// When the user was last updated.
    pub updated_on: Option<String>,
    /// Every other field of the answer, unparsed.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A role of a deleted user.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Role {
    /// The role's id.
    pub id: Option<u64>,
    /// The role's name.
    pub name: Option<String>,
    /// Every other field of the role, unparsed.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

fn null_as_empty<'de, D>(deserializer: D) -> Result<Vec<Role>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(Option::<Vec<Role>>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_documented_answer_parses() {
        let body = r#"{
          "id": 15, "email": "aa@aa.com", "username": "docbotusermd4",
          "domain": "ActiveDirectory (LDAP)", "firstName": "AAMHD4", "lastName": "AAMHD5",
          "version": 0, "principalId": 15, "deleted": false,
          "roles": [{"id": 2, "name": "AAE_Basic", "version": 0}],
          "sysAssignedRoles": [], "groupNames": [], "permissions": [], "licenseFeatures": [],
          "emailVerified": true, "passwordSet": false, "questionsSet": false,
          "enableAutoLogin": true, "disabled": false, "clientRegistered": false,
          "description": "Created a user for running bots", "createdBy": 1,
          "createdOn": "2019-11-18T20:48:04Z", "updatedBy": 1,
          "updatedOn": "2019-11-18T20:48:04Z", "publicKey": null, "appType": null,
          "routingName": null, "appUrl": null
        }"#;
        let user: DeletedUser = serde_json::from_str(body).unwrap();
        assert_eq!(user.id, 15);
        assert_eq!(user.username.as_deref(), Some("docbotusermd4"));
        assert_eq!(user.first_name.as_deref(), Some("AAMHD4"));
        assert_eq!(user.roles[0].name.as_deref(), Some("AAE_Basic"));
        assert_eq!(user.roles[0].other.get("version"), Some(&Value::from(0)));
        assert_eq!(user.other.get("principalId"), Some(&Value::from(15)));
        assert_eq!(user.created_on.as_deref(), Some("2019-11-18T20:48:04Z"));
    }

    #[test]
    fn ids_are_positive_integers() {
        let id = |body: &str| {
            serde_json::from_str::<Record>(body)
                .ok()
                .as_ref()
                .and_then(record_id)
        };
        assert_eq!(id(r#"{"id": 15}"#), Some(15));
        for body in [
            r#"{"id": 0}"#,
            r#"{"id": -1}"#,
            r#"{"id": "15"}"#,
            r#"{"id": 1.5}"#,
            "{}",
        ] {
            assert_eq!(id(body), None, "{body}");
        }
    }

    #[test]
    fn a_minimal_answer_parses() {
        let user: DeletedUser = serde_json::from_str(r#"{"id": 3, "roles": null}"#).unwrap();
        assert_eq!(user.id, 3);
        assert!(user.roles.is_empty());
        assert_eq!(user.email, None);
    }
}
