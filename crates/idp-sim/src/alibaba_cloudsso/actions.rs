//! The CloudSSO actions the simulator serves, and the route from an authenticated call to
//! its handler. Every action takes the `DirectoryId`.

use super::auth::Call;
use super::reply::{fail, missing};
use super::store::Directory;
use super::{assignments, devices, groups, users};
use crate::answer::Answer;

/// The actions served (API version 2021-05-15).
pub(super) const ACTIONS: [&str; 12] = [
    "DeleteUser",
    "GetUser",
    "ListUsers",
    "UpdateUserStatus",
    "ListMFADevicesForUser",
    "DeleteMFADeviceForUser",
    "ListJoinedGroupsForUser",
    "RemoveUserFromGroup",
    "ListAccessAssignments",
    "DeleteAccessAssignment",
    "GetTask",
    "GetSCIMSynchronizationStatus",
];

pub(super) fn is_action(name: &str) -> bool {
    ACTIONS.contains(&name)
}

/// A handler's answer: the error answers travel as `Err` so that `?` reads parameters.
pub(super) type Handled = Result<Answer, Answer>;

/// Runs `call` against the directory `directory_id` names.
pub(super) fn dispatch(directory: &mut Directory, directory_id: &str, call: &Call) -> Answer {
    let Some(given) = call.get("DirectoryId") else {
        return missing("MissingParameter.DirectoryId", "DirectoryId");
    };
    if given != directory_id {
        return fail(
            404,
            "EntityNotExists.Directory",
            "The specified directory does not exist.",
        );
    }
    let handled = match call.action.as_str() {
        "ListUsers" => users::list(directory, call),
        "GetUser" => users::get(directory, call),
        "UpdateUserStatus" => users::update_status(directory, call),
        "DeleteUser" => users::delete(directory, call),
        "GetSCIMSynchronizationStatus" => Ok(users::scim_status(directory)),
        "ListMFADevicesForUser" => devices::list(directory, call),
        "DeleteMFADeviceForUser" => devices::delete(directory, call),
        "ListJoinedGroupsForUser" => groups::list(directory, call),
        "RemoveUserFromGroup" => groups::remove(directory, call),
        "ListAccessAssignments" => assignments::list(directory, call),
        "DeleteAccessAssignment" => assignments::delete(directory, call),
        "GetTask" => assignments::get_task(directory, call),
        _ => Err(fail(
            404,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        )),
    };
    handled.unwrap_or_else(|answer| answer)
}
