//! A user's MFA devices: `ListMFADevicesForUser` (not paged) and `DeleteMFADeviceForUser`.

use serde_json::{Value, json};

use super::actions::Handled;
use super::auth::Call;
use super::reply::{no_user, not_exists, ok};
use super::store::Directory;

/// `ListMFADevicesForUser`: every device at once, as documented (no `MaxResults`).
pub(super) fn list(directory: &Directory, call: &Call) -> Handled {
    let user = directory
        .user(call.require("UserId")?)
        .ok_or_else(no_user)?;
    let devices: Vec<Value> = user.devices.iter().map(|d| user.device_json(d)).collect();
    Ok(ok(
        json!({ "TotalCounts": devices.len(), "MFADevices": devices }),
    ))
}

/// `DeleteMFADeviceForUser` with `MFADeviceId` (the list's `DeviceId`).
pub(super) fn delete(directory: &mut Directory, call: &Call) -> Handled {
    let id = call.require("UserId")?;
    let device = call.require("MFADeviceId")?;
    let user = directory.user_mut(id).ok_or_else(no_user)?;
    let before = user.devices.len();
    user.devices.retain(|d| d.id != device);
    if user.devices.len() == before {
        return Err(not_exists(
            "MFADevice",
            "The specified MFA device does not exist.",
        ));
    }
    Ok(ok(json!({})))
}
