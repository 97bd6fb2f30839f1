//! The shapes of CloudSSO ids, checked before anything is sent.
//!
//! CloudSSO ids are a type prefix, `-`, and letters and digits: users `u-00q8wbq42wiltcrk****`,
//! directories `d-00fc2p61****` (the API reference's examples), groups `g-…`, MFA devices
//! `mfa-…`, access configurations `ac-…`, tasks `t-…`. Only lower case has been seen; upper
//! case is accepted too (NOT CONFIRMED either way), anything else is refused.

use idp_core::Error;
use idp_core::text::truncate_for_message;
use idp_core::transport::check_id;

use crate::config::MAX_ID_CHARS;

/// Whether `value` is `prefix` followed by 1 or more ASCII letters and digits, at most
/// [`MAX_ID_CHARS`] characters in all.
fn has_shape(value: &str, prefix: &str) -> bool {
    value.len() <= MAX_ID_CHARS
        && value
            .strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Checks a user id (`u-…`): first the checks every vendor applies (whitespace, invisible
/// characters, CSV noise, emails), then the shape. An
/// [`ErrorKind::InvalidInput`](idp_core::ErrorKind::InvalidInput) error otherwise.
pub(crate) fn check_user_id(user_id: &str) -> Result<(), Error> {
    check_id("user id", user_id, MAX_ID_CHARS)?;
    if has_shape(user_id, "u-") {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "user id {:?} is not a CloudSSO user id (u- followed by letters and digits, like \
             u-00q8wbq42wiltcrk1234)",
            truncate_for_message(user_id)
        )))
    }
}

/// Whether `value` is a directory id (`d-…`).
pub(crate) fn is_directory_id(value: &str) -> bool {
    has_shape(value, "d-")
}

/// Checks the id of a sub-object a step targets (an MFA device, a group, a task, a part of an
/// assignment target): the common checks, and no `/` (the separator of assignment targets).
pub(crate) fn check_object_id(field: &str, value: &str) -> Result<(), Error> {
    check_id(field, value, MAX_ID_CHARS)?;
    if value.contains('/') {
        return Err(Error::invalid_input(format!(
            "{field} {:?} contains '/'",
            truncate_for_message(value)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_have_the_vendor_shape() {
        for good in ["u-00q8wbq42wiltcrk1234", "u-1", "u-ABC123"] {
            assert!(check_user_id(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "u-",
            "u",
            "00q8wbq42wiltcrk1234",
            "d-00fc2p61abcd",
            "u-a&b",
            "u-a_b",
            "u-ü",
            "U-abc",
            "u-1 # left",
            "\u{feff}u-1",
            "u-\u{200b}1",
            "jane@example.com",
        ] {
            assert!(check_user_id(bad).is_err(), "{bad:?}");
        }
        assert!(check_user_id(&format!("u-{}", "a".repeat(62))).is_ok());
        assert!(check_user_id(&format!("u-{}", "a".repeat(63))).is_err());
    }

    #[test]
    fn directory_ids() {
        assert!(is_directory_id("d-00fc2p61abcd"));
        for bad in [
            "",
            "d-",
            "d-1\n",
            "u-1",
            "d-a.b",
            &format!("d-{}", "d".repeat(63)),
        ] {
            assert!(!is_directory_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn object_ids() {
        assert!(check_object_id("group id", "g-00jhtfl8thteu6uj1234").is_ok());
        assert!(check_object_id("group id", "a/b").is_err());
        assert!(check_object_id("group id", "a b").is_err());
    }
}
