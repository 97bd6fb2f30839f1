//! Direct access assignments and the asynchronous tasks that remove them:
//! `ListAccessAssignments`, `DeleteAccessAssignment`, `GetTask`.

use serde_json::json;

use super::actions::Handled;
use super::auth::Call;
use super::paging::page_request;
use super::reply::{invalid, not_exists, ok};
use super::store::Directory;

/// `PrincipalType`, which must be `User` or `Group`.
fn principal_type(call: &Call) -> Result<&str, crate::answer::Answer> {
    match call.require("PrincipalType")? {
        kind @ ("User" | "Group") => Ok(kind),
        _ => Err(invalid("PrincipalType")),
    }
}

/// `ListAccessAssignments`: both `PrincipalType` and `PrincipalId` (CloudSSO filters by the
/// principal only when both are given; the simulator requires them), optionally
/// `AccessConfigurationId`, `TargetType`, `TargetId`; `MaxResults` 1–20 (default 10),
/// `NextToken`.
pub(super) fn list(directory: &Directory, call: &Call) -> Handled {
    let kind = principal_type(call)?;
    let principal = call.require("PrincipalId")?;
    let configuration = call.get("AccessConfigurationId");
    let target_type = call.get("TargetType");
    let target = call.get("TargetId");
    let page = page_request(call, "assignments", 20, 10, directory.settings.page_size)?;
    let listed = directory
        .assignments
        .iter()
        .filter(|(_, a)| {
            a.principal_type == kind
                && a.principal_id == principal
                && configuration.is_none_or(|c| a.configuration_id == c)
                && target_type.is_none_or(|t| a.target_type == t)
                && target.is_none_or(|t| a.target_id == t)
        })
        .map(|(seq, a)| (*seq, a.json()));
    Ok(ok(page.answer("AccessAssignments", listed)))
}

/// `DeleteAccessAssignment`: starts the removal task (`DeprovisionStrategy` `None`, the
/// default, or `DeprovisionForLastAccessAssignmentOnAccount`); the assignment goes when the
/// task succeeds.
pub(super) fn delete(directory: &mut Directory, call: &Call) -> Handled {
    let configuration = call.require("AccessConfigurationId")?;
    let target_type = call.require("TargetType")?;
    let target = call.require("TargetId")?;
    let kind = principal_type(call)?;
    let principal = call.require("PrincipalId")?;
    match call.get("DeprovisionStrategy") {
        None | Some("None" | "DeprovisionForLastAccessAssignmentOnAccount") => {}
        Some(_) => return Err(invalid("DeprovisionStrategy")),
    }
    let seq = directory
        .assignments
        .iter()
        .find(|(_, a)| {
            a.configuration_id == configuration
                && a.target_type == target_type
                && a.target_id == target
                && a.principal_type == kind
                && a.principal_id == principal
        })
        .map(|(seq, _)| *seq)
        .ok_or_else(|| {
            not_exists(
                "AccessAssignment",
                "The specified access assignment does not exist.",
            )
        })?;
    let task = directory
        .start_removal(seq)
        .map(|task| task.json())
        .unwrap_or_default();
    Ok(ok(json!({ "Task": task })))
}

/// `GetTask`: each poll brings the task nearer its end.
pub(super) fn get_task(directory: &mut Directory, call: &Call) -> Handled {
    let id = call.require("TaskId")?;
    let task = directory
        .poll(id)
        .ok_or_else(|| not_exists("Task", "The specified task does not exist."))?;
    Ok(ok(json!({ "Task": task.json() })))
}
