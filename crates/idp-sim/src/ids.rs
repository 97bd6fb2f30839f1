//! Integer user ids, for the vendors that use them (OneLogin, Automation Anywhere).

use std::collections::BTreeMap;

/// Users keyed by a positive integer id, each with a value `T`.
#[derive(Debug)]
pub(crate) struct IntUsers<T> {
    users: BTreeMap<u64, T>,
    next: u64,
}

impl<T> IntUsers<T> {
    pub(crate) fn new(first: u64) -> Self {
        IntUsers {
            users: BTreeMap::new(),
            next: first,
        }
    }

    /// The id for a new user: `wanted` when it is a free positive integer (written without
    /// sign or leading zeros), otherwise the next free one.
    pub(crate) fn assign(&mut self, wanted: &str) -> u64 {
        if let Some(id) = parse_id(wanted)
            && !self.users.contains_key(&id)
        {
            return id;
        }
        while self.users.contains_key(&self.next) {
            self.next += 1;
        }
        let id = self.next;
        self.next += 1;
        id
    }

    pub(crate) fn insert(&mut self, id: u64, value: T) {
        self.users.insert(id, value);
    }

    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut T> {
        self.users.get_mut(&id)
    }

    pub(crate) fn get(&self, id: u64) -> Option<&T> {
        self.users.get(&id)
    }

    pub(crate) fn remove(&mut self, id: u64) -> Option<T> {
        self.users.remove(&id)
    }

    pub(crate) fn len(&self) -> usize {
        self.users.len()
    }

    /// Every user, in id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &T)> {
        self.users.iter().map(|(id, value)| (*id, value))
    }
}

/// A positive integer written with digits only, no leading zero.
pub(crate) fn parse_id(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) || text.starts_with('0') {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assigns_wanted_or_next() {
        let mut users = IntUsers::new(100);
        let a = users.assign("15");
        users.insert(a, ());
        assert_eq!(a, 15);
        let b = users.assign("15");
        users.insert(b, ());
        assert_eq!(b, 100);
        let c = users.assign("alice");
        users.insert(c, ());
        assert_eq!(c, 101);
        users.insert(102, ());
        assert_eq!(users.assign("x"), 103);
        for bad in ["", "0", "007", "-1", "+1", "1.0", "99999999999999999999999"] {
            assert_eq!(parse_id(bad), None, "{bad}");
        }
        assert!(parse_id("15").is_some_and(|id| users.get(id).is_some()));
        assert_eq!(parse_id("015"), None);
    }
}
