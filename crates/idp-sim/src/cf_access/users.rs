//! Cloudflare Access users: the store, their records, the listing's filters and pages, and
//! what a session revocation changes.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::util::{random_hex, rfc3339_seconds, uuid};

/// Cloudflare's largest `per_page` for its paged listings (NOT CONFIRMED for this one).
pub(super) const MAX_PER_PAGE: usize = 1000;

/// `per_page` when the request names none (NOT CONFIRMED: Cloudflare's listings differ).
pub(super) const DEFAULT_PER_PAGE: usize = 25;

/// One Access user, as Cloudflare's list and get answers describe it.
#[derive(Debug, Clone)]
pub(super) struct AccessUser {
    id: String,
    email: String,
    name: String,
    seat_uid: String,
    uid: String,
    active_device_count: u64,
    created_at: String,
    updated_at: String,
}

impl AccessUser {
    /// A user with this id (a lower-case UUID), email (kept as given, case included) and
    /// name, with an Access seat and one device, as a person who has signed in.
    pub(super) fn new(id: String, email: &str, name: &str) -> AccessUser {
        let now = rfc3339_seconds(SystemTime::now());
        AccessUser {
            id,
            email: email.to_owned(),
            name: name.to_owned(),
            seat_uid: random_hex(32),
            uid: uuid(),
            active_device_count: 1,
            created_at: now.clone(),
            updated_at: now,
        }
    }

    /// The record the list and get answers carry (cloudflare-go's `AccessUserListResponse`
    /// fields).
    pub(super) fn record(&self) -> Value {
        json!({
            "id": self.id,
            "access_seat": true,
            "active_device_count": self.active_device_count,
            "created_at": self.created_at,
            "email": self.email,
            "gateway_seat": false,
            "last_successful_login": self.updated_at,
            "name": self.name,
            "seat_uid": self.seat_uid,
            "uid": self.uid,
            "updated_at": self.updated_at,
        })
    }
}

/// What the listing's query narrows the users to. Every filter matches partially, ignoring
/// ASCII case: a user whose email *contains* `email=` is listed (exactness is NOT
/// CONFIRMED; a partial match is the answer that proves a client compares for itself).
#[derive(Debug, Default)]
pub(super) struct Filter {
    pub(super) email: Option<String>,
    pub(super) name: Option<String>,
    /// Matches email or name.
    pub(super) search: Option<String>,
}

impl Filter {
    fn admits(&self, user: &AccessUser) -> bool {
        let has = |field: &str, needle: &Option<String>| {
            needle
                .as_deref()
                .is_none_or(|needle| contains_ignoring_case(field, needle))
        };
        has(&user.email, &self.email)
            && has(&user.name, &self.name)
            && self.search.as_deref().is_none_or(|needle| {
                contains_ignoring_case(&user.email, needle)
                    || contains_ignoring_case(&user.name, needle)
            })
    }
}

fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    haystack
        .to_ascii_lowercase()
        .contains(&needle.to_ascii_lowercase())
}

/// The users of the account, in the order they were created (the listing's order).
#[derive(Debug, Default)]
pub(super) struct Users {
    by_seq: BTreeMap<u64, AccessUser>,
    seq_of: HashMap<String, u64>,
    next_seq: u64,
    /// The largest page the listing answers, when a test set one.
    page_size: Option<usize>,
    /// The email of every accepted `revoke_user`, in order.
    revocations: Vec<String>,
}

impl Users {
    /// Adds `user` (replacing one with the same id); returns its id.
    pub(super) fn insert(&mut self, user: AccessUser) -> String {
        let id = user.id.clone();
        self.remove(&id);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.seq_of.insert(id.clone(), seq);
        self.by_seq.insert(seq, user);
        id
    }

    pub(super) fn remove(&mut self, id: &str) -> bool {
        match self.seq_of.remove(&id.to_ascii_lowercase()) {
            Some(seq) => self.by_seq.remove(&seq).is_some(),
            None => false,
        }
    }

    pub(super) fn get(&self, id: &str) -> Option<&AccessUser> {
        let seq = self.seq_of.get(&id.to_ascii_lowercase())?;
        self.by_seq.get(seq)
    }

    pub(super) fn len(&self) -> usize {
        self.by_seq.len()
    }

    pub(super) fn set_page_size(&mut self, size: usize) {
        self.page_size = Some(size.max(1));
    }

    /// The records of page `page` (from 1) of the users `filter` admits, `per_page` asked
    /// for (capped by the page size a test set); with the page size used and how many the
    /// filter admits in all.
    pub(super) fn page(&self, filter: &Filter, page: usize, per_page: usize) -> Page {
        let size = self.page_size.map_or(per_page, |cap| per_page.min(cap));
        let admitted: Vec<&AccessUser> =
            self.by_seq.values().filter(|u| filter.admits(u)).collect();
        let records = admitted
            .iter()
            .skip((page - 1).saturating_mul(size))
            .take(size)
            .map(|user| user.record())
            .collect();
        Page {
            records,
            per_page: size,
            total: admitted.len(),
        }
    }

    /// Records a revocation for `email`; with `devices`, the devices of every user with that
    /// email (ASCII case ignored) are signed out.
    pub(super) fn revoke(&mut self, email: &str, devices: bool) {
        self.revocations.push(email.to_owned());
        if devices {
            for user in self.by_seq.values_mut() {
                if user.email.eq_ignore_ascii_case(email) {
                    user.active_device_count = 0;
                    user.updated_at = rfc3339_seconds(SystemTime::now());
                }
            }
        }
    }

    pub(super) fn revocations(&self) -> Vec<String> {
        self.revocations.clone()
    }
}

/// One page of the listing.
pub(super) struct Page {
    pub(super) records: Vec<Value>,
    pub(super) per_page: usize,
    pub(super) total: usize,
}

/// Whether `text` is a UUID: `8-4-4-4-12` hex digits, any case.
pub(super) fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// A display name from an email's local part: `jane.doe` → `Jane Doe`.
pub(super) fn name_from_email(email: &str) -> String {
    let local = email.split('@').next().unwrap_or(email);
    local
        .split(['.', '_', '-', '+'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(email: &str) -> AccessUser {
        AccessUser::new(uuid(), email, &name_from_email(email))
    }

    #[test]
    fn the_filter_matches_partially_ignoring_case_and_pages_in_creation_order() {
        let mut users = Users::default();
        let ids: Vec<String> = [
            "Jane.Doe@Example.com",
            "xjane.doe@example.com",
            "bob@example.com",
            "jane.doe@example.com.evil",
        ]
        .iter()
        .map(|email| users.insert(user(email)))
        .collect();
        let filter = Filter {
            email: Some("jane.doe@EXAMPLE.com".into()),
            ..Filter::default()
        };
        let first = users.page(&filter, 1, 2);
        assert_eq!(
            (first.records.len(), first.total, first.per_page),
            (2, 3, 2)
        );
        assert_eq!(first.records[0]["id"], ids[0].as_str());
        assert_eq!(first.records[0]["email"], "Jane.Doe@Example.com");
        assert_eq!(first.records[0]["name"], "Jane Doe");
        let second = users.page(&filter, 2, 2);
        assert_eq!(second.records[0]["id"], ids[3].as_str());
        assert!(users.page(&filter, 3, 2).records.is_empty());
        users.set_page_size(1);
        assert_eq!(users.page(&filter, 1, 50).per_page, 1);
        let search = Filter {
            search: Some("BOB".into()),
            ..Filter::default()
        };
        assert_eq!(users.page(&search, 1, 50).total, 1);
    }

    #[test]
    fn ids_are_uuids_found_in_any_case() {
        let mut users = Users::default();
        let id = users.insert(user("a@b.c"));
        assert!(is_uuid(&id));
        assert!(users.get(&id.to_ascii_uppercase()).is_some());
        for bad in [
            "",
            "alice",
            "f174e90a-fafe-4643-bbbc-4a0ed4fc841",
            "f174e90a_fafe-4643-bbbc-4a0ed4fc8415",
        ] {
            assert!(!is_uuid(bad), "{bad}");
        }
        assert!(users.remove(&id));
        assert!(!users.remove(&id));
        assert_eq!(name_from_email("mary-ann.o_neil@x.y"), "Mary Ann O Neil");
    }

    #[test]
    fn revoking_signs_out_the_devices_of_every_user_with_the_email() {
        let mut users = Users::default();
        let a = users.insert(user("Jane@Example.com"));
        let b = users.insert(user("jane@example.com"));
        let c = users.insert(user("janet@example.com"));
        users.revoke("JANE@example.com", true);
        let devices = |id: &str| users.get(id).map(|u| u.active_device_count);
        assert_eq!(
            (devices(&a), devices(&b), devices(&c)),
            (Some(0), Some(0), Some(1))
        );
        assert_eq!(users.revocations(), ["JANE@example.com"]);
    }
}
