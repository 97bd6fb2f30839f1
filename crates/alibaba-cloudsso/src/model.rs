//! CloudSSO's answers: the one success shape every call shares, and the records this crate
//! reads out of them (field names from the official SDK models).

use idp_core::transport::clean_request_id;
use idp_core::{Account, AccountStatus, Error, ErrorKind, ManagedBy, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A successful answer: HTTP 200 with a JSON object that carries a `RequestId` and no `Code`.
/// Anything else in 2xx (`{}`, an empty 204, a 202, an HTML page, an error body) is not
/// CloudSSO's success shape: [`ErrorKind::Protocol`], so nothing is reported done that may not
/// have happened.
pub(crate) struct Answer {
    /// The body: a JSON object.
    body: Value,
    /// The body's `RequestId`, when it has the shape of one.
    pub(crate) request_id: Option<String>,
}

impl Answer {
    /// Checks `response` for the success shape; `what` names what would be confirmed
    /// ("the delete", "the user list").
    pub(crate) fn read(response: &Response, what: &str) -> Result<Answer, Error> {
        let body = match response.json_object() {
            Some(body) if response.status == 200 => body,
            _ => return Err(response.unconfirmed_success(what)),
        };
        let request_id = match body.get("RequestId") {
            Some(Value::String(id)) if !id.trim().is_empty() => clean_request_id(id),
            _ => return Err(response.unconfirmed_success(what)),
        };
        if body.contains_key("Code") {
            return Err(response.unconfirmed_success(what));
        }
        Ok(Answer {
            body: Value::Object(body),
            request_id,
        })
    }

    /// The body read as `T`; a body that is not `T` is a [`ErrorKind::Protocol`] error.
    pub(crate) fn parse<T: DeserializeOwned>(
        &self,
        response: &Response,
        what: &str,
    ) -> Result<T, Error> {
        T::deserialize(&self.body).map_err(|e| shape_error(response, what, e))
    }

    /// The array under `field` (missing or `null` is empty) and the paging fields.
    pub(crate) fn page(&self, response: &Response, field: &str) -> Result<Page, Error> {
        let what = format!("the {field} list");
        let items = match self.body.get(field) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.clone(),
            Some(_) => {
                return Err(response.error(
                    ErrorKind::Protocol,
                    format!(
                        "{what}: {field} is not an array: {}",
                        response.describe_body()
                    ),
                ));
            }
        };
        let paging: Paging = self.parse(response, &what)?;
        Ok(Page {
            items,
            truncated: paging.is_truncated.unwrap_or(false),
            next_token: paging.next_token.filter(|t| !t.is_empty()),
        })
    }
}

fn shape_error(response: &Response, what: &str, e: serde_json::Error) -> Error {
    response.error(
        ErrorKind::Protocol,
        format!(
            "{what}: unexpected answer ({e}): {}",
            response.describe_body()
        ),
    )
}

/// One page of a list.
pub(crate) struct Page {
    pub(crate) items: Vec<Value>,
    pub(crate) truncated: bool,
    pub(crate) next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Paging {
    is_truncated: Option<bool>,
    next_token: Option<String>,
}

/// A user record (`ListUsers`, `GetUser`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct User {
    user_id: String,
    user_name: Option<String>,
    display_name: Option<String>,
    email: Option<String>,
    status: Option<String>,
    provision_type: Option<String>,
}

impl User {
    /// Reads one record of a list.
    pub(crate) fn from_item(item: Value, response: &Response) -> Result<(User, Value), Error> {
        let user = User::deserialize(&item).map_err(|e| shape_error(response, "a user", e))?;
        if user.user_id.trim().is_empty() {
            return Err(response.error(ErrorKind::Protocol, "a user without a UserId"));
        }
        Ok((user, item))
    }

    pub(crate) fn is_disabled(&self) -> bool {
        self.status.as_deref() == Some("Disabled")
    }

    /// The account as every vendor describes it; `raw` is the record as it came.
    pub(crate) fn into_account(self, raw: Value) -> Account {
        let status = match self.status.as_deref() {
            Some("Enabled") => AccountStatus::Enabled,
            Some("Disabled") => AccountStatus::Disabled,
            _ => AccountStatus::Unknown,
        };
        // Only a synchronised user can be re-created (by the identity provider).
        let managed_by = match self.provision_type.as_deref() {
            Some("Synchronized") => ManagedBy::Scim,
            Some("Manual") => ManagedBy::Local,
            _ => ManagedBy::Unknown,
        };
        Account {
            user_id: self.user_id,
            email: self.email,
            username: self.user_name,
            display_name: self.display_name,
            status,
            managed_by,
            vendor: raw,
        }
    }
}

/// `GetUser`'s answer.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetUser {
    pub(crate) user: User,
}

/// An MFA device (`ListMFADevicesForUser`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct MfaDevice {
    pub(crate) device_id: String,
    pub(crate) device_name: Option<String>,
    pub(crate) device_type: Option<String>,
}

/// A group the user is in (`ListJoinedGroupsForUser`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct JoinedGroup {
    pub(crate) group_id: String,
    pub(crate) group_name: Option<String>,
}

/// An access assignment (`ListAccessAssignments`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Assignment {
    pub(crate) access_configuration_id: String,
    pub(crate) access_configuration_name: Option<String>,
    pub(crate) target_type: String,
    pub(crate) target_id: String,
    pub(crate) target_name: Option<String>,
    pub(crate) principal_type: Option<String>,
    pub(crate) principal_id: Option<String>,
}

/// An asynchronous task (`DeleteAccessAssignment`, `GetTask`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Task {
    pub(crate) task_id: String,
    pub(crate) status: String,
    pub(crate) failure_reason: Option<String>,
}

/// `DeleteAccessAssignment`'s and `GetTask`'s answers.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TaskAnswer {
    pub(crate) task: Task,
}

/// `GetSCIMSynchronizationStatus`'s answer.
#[derive(Deserialize)]
pub(crate) struct ScimStatus {
    #[serde(rename = "SCIMSynchronizationStatus")]
    pub(crate) status: String,
}

/// Reads one item of a list as `T` (a converter for [`Client::list_all`](crate::Client)).
pub(crate) fn item<T: DeserializeOwned>(item: Value, response: &Response) -> Result<T, Error> {
    T::deserialize(item).map_err(|e| shape_error(response, "a list item", e))
}
