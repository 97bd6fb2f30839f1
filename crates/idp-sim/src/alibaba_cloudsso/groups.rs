//! A user's group memberships: `ListJoinedGroupsForUser` (paged) and `RemoveUserFromGroup`.

use serde_json::json;

use super::actions::Handled;
use super::auth::Call;
use super::paging::page_request;
use super::reply::{no_user, not_exists, ok};
use super::store::Directory;

/// `ListJoinedGroupsForUser`: `MaxResults` 1–100 (default 10), `NextToken`.
pub(super) fn list(directory: &Directory, call: &Call) -> Handled {
    let user = directory
        .user(call.require("UserId")?)
        .ok_or_else(no_user)?;
    let page = page_request(call, "groups", 100, 10, directory.settings.page_size)?;
    let groups = user
        .groups
        .iter()
        .map(|m| (m.seq, m.json(&user.id, directory.group_name(&m.group_id))));
    Ok(ok(page.answer("JoinedGroups", groups)))
}

/// `RemoveUserFromGroup` with `GroupId` and `UserId`.
pub(super) fn remove(directory: &mut Directory, call: &Call) -> Handled {
    let group = call.require("GroupId")?;
    let id = call.require("UserId")?;
    let user = directory.user_mut(id).ok_or_else(no_user)?;
    let before = user.groups.len();
    user.groups.retain(|m| m.group_id != group);
    if user.groups.len() == before {
        return Err(not_exists(
            "GroupMember",
            "The specified user is not a member of the group.",
        ));
    }
    Ok(ok(json!({})))
}
