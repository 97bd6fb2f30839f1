//! OneLogin users: the store (integer ids, in id order), their records, and what the
//! list filters match.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::ids::parse_id;
use crate::util::rfc3339_millis;

/// OneLogin's `status` 1: Active, "only users assigned this status can log in".
pub(super) const ACTIVE: u8 = 1;

/// One OneLogin user.
#[derive(Debug, Clone)]
pub(super) struct User {
    pub(super) email: String,
    pub(super) username: String,
    pub(super) firstname: String,
    pub(super) lastname: String,
    pub(super) status: u8,
    pub(super) directory_id: Option<u64>,
    /// Whether the user has a OneLogin session (ended by a logout).
    pub(super) signed_in: bool,
    created_at: String,
    updated_at: String,
}

impl User {
    /// An active, signed-in local user: username and names from the email's local part
    /// (`jane.doe@…` → `jane.doe`, Jane, Doe).
    pub(super) fn person(email: &str) -> User {
        let local = email.split('@').next().unwrap_or(email);
        let mut names = local
            .split(['.', '_', '-', '+'])
            .filter(|part| !part.is_empty())
            .map(capitalised);
        let firstname = names.next().unwrap_or_default();
        let lastname = names.collect::<Vec<_>>().join(" ");
        let now = rfc3339_millis(SystemTime::now());
        User {
            email: email.to_owned(),
            username: local.to_owned(),
            firstname,
            lastname,
            status: ACTIVE,
            directory_id: None,
            signed_in: true,
            created_at: now.clone(),
            updated_at: now,
        }
    }

    pub(super) fn touch(&mut self) {
        self.updated_at = rfc3339_millis(SystemTime::now());
    }

    /// The record both API versions answer (the fields of OneLogin's SDK `User` models).
    pub(super) fn record(&self, id: u64) -> Value {
        let last_login = self.signed_in.then(|| self.updated_at.clone());
        json!({
            "id": id,
            "email": self.email,
            "username": self.username,
            "firstname": self.firstname,
            "lastname": self.lastname,
            "status": self.status,
            "state": 1,
            "directory_id": self.directory_id,
            "external_id": null,
            "samaccountname": null,
            "userprincipalname": null,
            "distinguished_name": null,
            "member_of": null,
            "phone": null,
            "group_id": null,
            "role_ids": [],
            "manager_user_id": null,
            "trusted_idp_id": null,
            "locked_until": null,
            "invalid_login_attempts": 0,
            "last_login": last_login,
            "activated_at": self.created_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "custom_attributes": {},
        })
    }

    /// The value of a filterable field, as text (`None` when it has none).
    fn field(&self, name: Field) -> Option<String> {
        match name {
            Field::Email => Some(self.email.clone()),
            Field::Username => Some(self.username.clone()),
            Field::Firstname => Some(self.firstname.clone()),
            Field::Lastname => Some(self.lastname.clone()),
            Field::DirectoryId => self.directory_id.map(|id| id.to_string()),
        }
    }
}

fn capitalised(part: &str) -> String {
    let mut chars = part.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The fields the user list filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Email,
    Username,
    Firstname,
    Lastname,
    DirectoryId,
}

impl Field {
    pub(super) fn named(name: &str) -> Option<Field> {
        Some(match name {
            "email" => Field::Email,
            "username" => Field::Username,
            "firstname" => Field::Firstname,
            "lastname" => Field::Lastname,
            "directory_id" => Field::DirectoryId,
            _ => return None,
        })
    }
}

/// One `field=value` filter, with OneLogin's documented semantics: an exact match, where
/// `*` stands for any run of characters (`email=katinka*`, `email=*@onelogin.com`) and, in
/// v1, a leading `!` negates. Case is ignored (ASCII; NOT CONFIRMED). An empty value is no
/// filter: it matches every user, as OneLogin's does.
#[derive(Debug, Clone)]
pub(super) struct Filter {
    pub(super) field: Field,
    pub(super) pattern: String,
    pub(super) negated: bool,
}

impl Filter {
    fn admits(&self, user: &User) -> bool {
        if self.pattern.is_empty() {
            return true;
        }
        let matched = user
            .field(self.field)
            .is_some_and(|value| wildcard_match(&self.pattern, &value));
        matched != self.negated
    }
}

/// Whether `text` matches `pattern` in full, `*` matching any run of characters, ASCII case
/// ignored.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let text = text.to_ascii_lowercase();
    let parts: Vec<&str> = pattern.split('*').collect();
    // One part: no `*`, plain equality.
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == text;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The users, in id order (the list's order), and the next id to hand out.
#[derive(Debug)]
pub(super) struct Users {
    users: BTreeMap<u64, User>,
    next: u64,
}

impl Users {
    pub(super) fn new(first: u64) -> Users {
        Users {
            users: BTreeMap::new(),
            next: first,
        }
    }

    /// Adds `user` as `wanted` when that is a free positive integer, otherwise as the next
    /// free id; returns the id.
    pub(super) fn insert(&mut self, wanted: &str, user: User) -> u64 {
        let id = match parse_id(wanted) {
            Some(id) if !self.users.contains_key(&id) => id,
            _ => {
                while self.users.contains_key(&self.next) {
                    self.next += 1;
                }
                self.next
            }
        };
        self.users.insert(id, user);
        id
    }

    pub(super) fn get(&self, id: u64) -> Option<&User> {
        self.users.get(&id)
    }

    pub(super) fn get_mut(&mut self, id: u64) -> Option<&mut User> {
        self.users.get_mut(&id)
    }

    pub(super) fn remove(&mut self, id: u64) -> Option<User> {
        self.users.remove(&id)
    }

    pub(super) fn len(&self) -> usize {
        self.users.len()
    }

    /// The ids and users every filter admits, in id order.
    pub(super) fn admitted<'a>(
        &'a self,
        filters: &'a [Filter],
    ) -> impl Iterator<Item = (u64, &'a User)> + 'a {
        self.users
            .iter()
            .filter(|(_, user)| filters.iter().all(|filter| filter.admits(user)))
            .map(|(id, user)| (*id, user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_in_full_ignoring_case() {
        for (pattern, text) in [
            ("jane@example.com", "Jane@Example.COM"),
            ("katinka*", "katinka@onelogin.com"),
            ("*@onelogin.com", "a@OneLogin.com"),
            ("j*@*.com", "jane@example.com"),
            ("*", "anything"),
            ("a**b", "ab"),
        ] {
            assert!(wildcard_match(pattern, text), "{pattern} {text}");
        }
        for (pattern, text) in [
            ("jane@example.com", "jane@example.com.evil"),
            ("jane@example.com", "xjane@example.com"),
            ("katinka*", "xkatinka"),
            ("*@onelogin.com", "a@onelogin.co"),
            ("a*a", "a"),
        ] {
            assert!(!wildcard_match(pattern, text), "{pattern} {text}");
        }
    }

    #[test]
    fn filters_are_exact_negatable_and_empty_means_all() {
        let mut users = Users::new(100);
        let jane = users.insert("", User::person("Jane.Doe@Example.com"));
        let mut synced = User::person("bob@example.com");
        synced.directory_id = Some(1234);
        let bob = users.insert("7", synced);
        assert_eq!((jane, bob), (100, 7));
        let ids = |filters: &[Filter]| {
            users
                .admitted(filters)
                .map(|(id, _)| id)
                .collect::<Vec<_>>()
        };
        let filter = |field, pattern: &str, negated| Filter {
            field,
            pattern: pattern.into(),
            negated,
        };
        assert_eq!(
            ids(&[filter(Field::Email, "jane.doe@example.com", false)]),
            [100]
        );
        assert_eq!(
            ids(&[filter(Field::Email, "jane", false)]),
            Vec::<u64>::new()
        );
        assert_eq!(ids(&[filter(Field::Email, "jane", true)]), [7, 100]);
        assert_eq!(ids(&[filter(Field::Email, "", false)]), [7, 100]);
        assert_eq!(ids(&[filter(Field::Username, "JANE.DOE", false)]), [100]);
        assert_eq!(ids(&[filter(Field::DirectoryId, "1234", false)]), [7]);
        let person = users.get(100).map(|u| u.record(100)).unwrap_or_default();
        assert_eq!(
            (
                person["firstname"].as_str(),
                person["lastname"].as_str(),
                person["status"].as_u64()
            ),
            (Some("Jane"), Some("Doe"), Some(1))
        );
        assert_eq!(users.insert("7", User::person("c@d.e")), 101, "7 is taken");
    }
}
