//! The user actions: `ListUsers` (with its `Filter` grammar), `GetUser`, `UpdateUserStatus`,
//! `DeleteUser` (refused while anything blocks it), and the directory's
//! `GetSCIMSynchronizationStatus`.

use serde_json::json;

use super::actions::Handled;
use super::auth::Call;
use super::paging::page_request;
use super::reply::{fail, invalid, no_user, ok};
use super::seed::Blocker;
use super::store::Directory;
use crate::answer::Answer;

/// A `Filter` of `ListUsers`: `UserName eq <value>` or `UserName sw <value>`, the value
/// compared without regard to case.
enum Filter {
    Equals(String),
    StartsWith(String),
}

impl Filter {
    /// The documented grammar only: the attribute `UserName`, the operator `eq` or `sw`, one
    /// space between the three, a value without whitespace (quoting is not documented).
    fn parse(text: &str) -> Option<Filter> {
        let mut parts = text.splitn(3, ' ');
        let (attribute, operator, value) = (parts.next()?, parts.next()?, parts.next()?);
        if attribute != "UserName" || value.is_empty() || value.contains(char::is_whitespace) {
            return None;
        }
        let value = value.to_lowercase();
        match operator {
            "eq" => Some(Filter::Equals(value)),
            "sw" => Some(Filter::StartsWith(value)),
            _ => None,
        }
    }

    fn matches(&self, user_name: &str) -> bool {
        let name = user_name.to_lowercase();
        match self {
            Filter::Equals(value) => name == *value,
            Filter::StartsWith(value) => name.starts_with(value.as_str()),
        }
    }
}

/// `ListUsers`: `Filter`, `Status`, `ProvisionType`, `MaxResults` (1–100, default 10),
/// `NextToken`.
pub(super) fn list(directory: &Directory, call: &Call) -> Handled {
    let filter = match call.get("Filter") {
        None => None,
        Some(text) => Some(Filter::parse(text).ok_or_else(|| {
            fail(
                400,
                "InvalidParameter.Filter",
                "The specified parameter Filter is not valid: only \"UserName eq <value>\" and \
                 \"UserName sw <value>\" are supported.",
            )
        })?),
    };
    let status = match call.get("Status") {
        None => None,
        Some("Enabled") => Some(false),
        Some("Disabled") => Some(true),
        Some(_) => return Err(invalid("Status")),
    };
    let synchronized = match call.get("ProvisionType") {
        None => None,
        Some("Manual") => Some(false),
        Some("Synchronized") => Some(true),
        Some(_) => return Err(invalid("ProvisionType")),
    };
    let page = page_request(call, "users", 100, 10, directory.settings.page_size)?;
    let matching = directory
        .users
        .iter()
        .filter(|(_, user)| {
            filter.as_ref().is_none_or(|f| f.matches(&user.user_name))
                && status.is_none_or(|disabled| user.disabled == disabled)
                && synchronized.is_none_or(|s| user.synchronized == s)
        })
        .map(|(seq, user)| (*seq, user.json()));
    Ok(ok(page.answer("Users", matching)))
}

/// `GetUser`.
pub(super) fn get(directory: &Directory, call: &Call) -> Handled {
    let user = directory
        .user(call.require("UserId")?)
        .ok_or_else(no_user)?;
    Ok(ok(json!({ "User": user.json() })))
}

/// `UpdateUserStatus` with `NewStatus` `Enabled` or `Disabled`.
pub(super) fn update_status(directory: &mut Directory, call: &Call) -> Handled {
    let id = call.require("UserId")?;
    let disabled = match call.require("NewStatus")? {
        "Enabled" => false,
        "Disabled" => true,
        _ => return Err(invalid("NewStatus")),
    };
    let user = directory.user_mut(id).ok_or_else(no_user)?;
    user.set_disabled(disabled);
    Ok(ok(json!({})))
}

/// `DeleteUser`: refused for a SCIM-synchronised user while SCIM synchronisation is on, and
/// with the matching `DeletionConflict.User.*` while a device, group or assignment remains
/// (or while CloudSSO is still catching up with removed assignments).
pub(super) fn delete(directory: &mut Directory, call: &Call) -> Handled {
    let id = call.require("UserId")?;
    let user = directory.user(id).ok_or_else(no_user)?;
    if user.synchronized && directory.settings.scim_enabled {
        return Err(fail(
            400,
            "OperationNotSupported.SCIMSynchronizedUser",
            "The user is synchronized by SCIM and cannot be deleted while SCIM synchronization \
             is enabled.",
        ));
    }
    if let Some(blocker) = directory.blocker(user) {
        return Err(conflict(blocker));
    }
    if let Some(user) = directory.user_mut(id)
        && user.lag > 0
    {
        user.lag -= 1;
        return Err(conflict(Blocker::AccessAssignment));
    }
    directory.remove_user(id);
    Ok(ok(json!({})))
}

fn conflict(blocker: Blocker) -> Answer {
    fail(409, blocker.code(), blocker.message())
}

/// `GetSCIMSynchronizationStatus`.
pub(super) fn scim_status(directory: &Directory) -> Answer {
    let status = if directory.settings.scim_enabled {
        "Enabled"
    } else {
        "Disabled"
    };
    ok(json!({ "SCIMSynchronizationStatus": status }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_grammar_and_nothing_else() {
        let eq = Filter::parse("UserName eq Jane@Example.com").unwrap_or_else(|| panic!());
        assert!(eq.matches("jane@example.COM"));
        assert!(!eq.matches("jane@example.com.evil"));
        let sw = Filter::parse("UserName sw ja").unwrap_or_else(|| panic!());
        assert!(sw.matches("JANE") && !sw.matches("xjane"));
        for bad in [
            "",
            "UserName",
            "UserName eq",
            "UserName eq ",
            "UserName  eq x",
            "UserName co x",
            "UserName EQ x",
            "username eq x",
            "Email eq x@y.z",
            "DisplayName eq x",
            "UserName eq a b",
            "UserName eq a\tb",
        ] {
            assert!(Filter::parse(bad).is_none(), "{bad:?}");
        }
    }
}
