//! Reading configuration variables the same way in every vendor crate.

use crate::error::Error;

/// The value of `name` through `lookup` (the process environment, or the CLI's flags over
/// it). A blank value — empty or only whitespace — counts as unset: an exported-but-empty
/// variable is a misconfiguration, never a credential or an id.
pub fn lookup_var<F>(lookup: &F, name: &str) -> Option<String>
where
    F: Fn(&str) -> Option<String> + ?Sized,
{
    lookup(name).filter(|value| !value.trim().is_empty())
}

/// Like [`lookup_var`], but an unset variable is an [`ErrorKind::Config`](crate::ErrorKind)
/// error that names it.
pub fn require_var<F>(vendor: &'static str, lookup: &F, name: &str) -> Result<String, Error>
where
    F: Fn(&str) -> Option<String> + ?Sized,
{
    lookup_var(lookup, name).ok_or_else(|| Error::missing_env(vendor, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn blank_is_unset_and_missing_is_named() {
        let lookup = |name: &str| match name {
            "SET" => Some(" value ".to_owned()),
            "BLANK" => Some(" \t".to_owned()),
            _ => None,
        };
        assert_eq!(lookup_var(&lookup, "SET").as_deref(), Some(" value "));
        assert_eq!(lookup_var(&lookup, "BLANK"), None);
        let err = require_var("v", &lookup, "BLANK").err();
        assert_eq!(err.as_ref().map(Error::kind), Some(ErrorKind::Config));
        assert!(err.is_some_and(|e| e.message().contains("BLANK")));
    }
}
