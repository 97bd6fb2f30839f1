//! The notation of a direct access assignment as a step target.

use std::fmt;
use std::str::FromStr;

use idp_core::Error;

use crate::ids::check_object_id;

/// One direct access assignment of a user, as the target of a `remove_access_assignment`
/// step: `<AccessConfigurationId>/<TargetType>/<TargetId>`, for example
/// `ac-00jhtfl8thteu6uj1234/RD-Account/1234567890123456`.
///
/// The notation is unambiguous: none of the three parts may contain `/` (nor whitespace,
/// invisible characters, `,` `;` `"` `#` or `@`), and exactly three parts are accepted.
///
/// ```
/// use idp_alibaba_cloudsso::AssignmentTarget;
///
/// let target: AssignmentTarget = "ac-1/RD-Account/1234567890".parse()?;
/// assert_eq!(target.access_configuration_id(), "ac-1");
/// assert_eq!(target.target_type(), "RD-Account");
/// assert_eq!(target.target_id(), "1234567890");
/// assert_eq!(target.to_string(), "ac-1/RD-Account/1234567890");
/// assert!("ac-1/RD-Account".parse::<AssignmentTarget>().is_err());
/// # Ok::<(), idp_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AssignmentTarget {
    access_configuration_id: String,
    target_type: String,
    target_id: String,
}

impl AssignmentTarget {
    /// A target from its three parts, each checked; an
    /// [`ErrorKind::InvalidInput`](idp_core::ErrorKind::InvalidInput) error otherwise.
    pub fn new(
        access_configuration_id: &str,
        target_type: &str,
        target_id: &str,
    ) -> Result<AssignmentTarget, Error> {
        check_object_id("access configuration id", access_configuration_id)?;
        check_object_id("target type", target_type)?;
        check_object_id("target id", target_id)?;
        Ok(AssignmentTarget {
            access_configuration_id: access_configuration_id.to_owned(),
            target_type: target_type.to_owned(),
            target_id: target_id.to_owned(),
        })
    }

    /// The access configuration (`ac-…`).
    pub fn access_configuration_id(&self) -> &str {
        &self.access_configuration_id
    }

    /// The kind of target (`RD-Account`, a member account of the resource directory).
    pub fn target_type(&self) -> &str {
        &self.target_type
    }

    /// The target (the member account's id).
    pub fn target_id(&self) -> &str {
        &self.target_id
    }
}

impl fmt::Display for AssignmentTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}",
            self.access_configuration_id, self.target_type, self.target_id
        )
    }
}

impl FromStr for AssignmentTarget {
    type Err = Error;

    fn from_str(value: &str) -> Result<AssignmentTarget, Error> {
        let parts: Vec<&str> = value.split('/').collect();
        match parts.as_slice() {
            [configuration, kind, id] => AssignmentTarget::new(configuration, kind, id),
            _ => Err(Error::invalid_input(format!(
                "access assignment {:?} is not <AccessConfigurationId>/<TargetType>/<TargetId>",
                idp_core::text::truncate_for_message(value)
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_ambiguity() {
        let target =
            AssignmentTarget::new("ac-1", "RD-Account", "123").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            target.to_string().parse::<AssignmentTarget>().ok(),
            Some(target)
        );
        for bad in ["", "a/b", "a/b/c/d", "a//c", "/b/c", "a b/c/d", "a/b/c\n"] {
            assert!(bad.parse::<AssignmentTarget>().is_err(), "{bad:?}");
        }
        assert!(AssignmentTarget::new("a/x", "b", "c").is_err());
    }
}
