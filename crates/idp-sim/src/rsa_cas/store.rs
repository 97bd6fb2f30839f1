//! Cloud Access Service's users: what a test seeds ([`RsaUser`]), how they are stored, and
//! the record the User Details lookup answers with.

use std::collections::HashMap;
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::util::{names_from_email, rfc3339_millis, uuid};

/// Where a Cloud Access Service user comes from. RSA's record gives only the source's
/// *name* (administrators choose it); these are the names the simulator uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RsaIdentitySource {
    /// A local source: `"Local Users"`.
    Local,
    /// A synchronised LDAP / Active Directory source: `"Corporate Active Directory"`. CAS
    /// can re-add a deleted user by resynchronising
    /// ([`RsaCasSim::set_directory_resync`](crate::RsaCasSim::set_directory_resync)).
    Directory,
    /// A SCIM-managed source: `"SCIM Managed"`. Deleting its users gets 405.
    Scim,
    /// Azure AD through SCIM: `"Azure Active Directory (SCIM)"`. Deleting its users gets
    /// 405.
    AzureScim,
}

impl RsaIdentitySource {
    /// The `identitySource` name the record carries.
    pub fn name(self) -> &'static str {
        match self {
            RsaIdentitySource::Local => "Local Users",
            RsaIdentitySource::Directory => "Corporate Active Directory",
            RsaIdentitySource::Scim => "SCIM Managed",
            RsaIdentitySource::AzureScim => "Azure Active Directory (SCIM)",
        }
    }

    /// Whether RSA refuses to delete its users (405): they are deleted through SCIM.
    pub fn is_scim(self) -> bool {
        matches!(self, RsaIdentitySource::Scim | RsaIdentitySource::AzureScim)
    }
}

/// A Cloud Access Service user, as a test seeds it ([`RsaCasSim::seed_user`]) and reads it
/// back ([`RsaCasSim::user`]).
///
/// [`RsaCasSim::seed_user`]: crate::RsaCasSim::seed_user
/// [`RsaCasSim::user`]: crate::RsaCasSim::user
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RsaUser {
    /// The id (`""` when seeding: a UUID is generated).
    pub id: String,
    /// `emailAddress`, stored as given (mixed case stays mixed).
    pub email: String,
    /// `principalUsername`; `None` leaves the field out of the record.
    pub username: Option<String>,
    /// `firstName`.
    pub first_name: String,
    /// `lastName`.
    pub last_name: String,
    /// `userStatus`: `"Enabled"` when true, `"Disabled"` when false.
    pub enabled: bool,
    /// `markDeleted`: pending deletion (CAS removes it within 7 days; delete now gets 409).
    pub mark_deleted: bool,
    /// `identitySource`.
    pub identity_source: RsaIdentitySource,
}

impl RsaUser {
    /// An enabled local user with `email`; the username and the names come from the part
    /// before the `@` (`jane.doe` → Jane Doe).
    pub fn new(email: &str) -> RsaUser {
        let local = email.split('@').next().unwrap_or(email);
        let (first_name, last_name) = names_from_email(email);
        RsaUser {
            id: String::new(),
            email: email.to_owned(),
            username: (!local.is_empty()).then(|| local.to_owned()),
            first_name,
            last_name,
            enabled: true,
            mark_deleted: false,
            identity_source: RsaIdentitySource::Local,
        }
    }

    /// With this id instead of a generated one.
    pub fn with_id(mut self, id: &str) -> RsaUser {
        self.id = id.to_owned();
        self
    }

    /// With this `principalUsername`.
    pub fn with_username(mut self, username: &str) -> RsaUser {
        self.username = Some(username.to_owned());
        self
    }

    /// Without `principalUsername` (the 2018 vendor example has none).
    pub fn without_username(mut self) -> RsaUser {
        self.username = None;
        self
    }

    /// With these names.
    pub fn with_name(mut self, first: &str, last: &str) -> RsaUser {
        self.first_name = first.to_owned();
        self.last_name = last.to_owned();
        self
    }

    /// `userStatus: "Disabled"`.
    pub fn disabled(mut self) -> RsaUser {
        self.enabled = false;
        self
    }

    /// `markDeleted: true`.
    pub fn pending_deletion(mut self) -> RsaUser {
        self.mark_deleted = true;
        self
    }

    /// From this identity source.
    pub fn from_source(mut self, source: RsaIdentitySource) -> RsaUser {
        self.identity_source = source;
        self
    }
}

/// A stored user, with what the record shows besides the seed.
#[derive(Debug)]
struct Stored {
    user: RsaUser,
    /// Order of creation: the lookup answers the oldest of several matches.
    seq: u64,
    created: SystemTime,
    marked_at: Option<SystemTime>,
}

/// How the lookup compares the address or username it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Matching {
    /// Equal, ASCII case ignored (RSA's exactness is NOT CONFIRMED).
    Exact,
    /// The stored value contains the query (case ignored), as RSA's substring search does:
    /// a server answering a near miss, to prove the client compares.
    Fuzzy,
}

/// Every user, and the store's switches.
#[derive(Debug)]
pub(super) struct Store {
    users: HashMap<String, Stored>,
    seq: u64,
    pub(super) matching: Matching,
    /// Deleting a directory user re-adds it under a new id, as a resynchronisation does.
    pub(super) directory_resync: bool,
}

impl Store {
    pub(super) fn new() -> Store {
        Store {
            users: HashMap::new(),
            seq: 0,
            matching: Matching::Exact,
            directory_resync: false,
        }
    }

    /// Inserts (or replaces) `user`; an empty id gets a generated UUID. Returns the id.
    pub(super) fn insert(&mut self, mut user: RsaUser) -> String {
        if user.id.is_empty() {
            user.id = uuid();
        }
        let id = user.id.clone();
        self.seq += 1;
        let now = SystemTime::now();
        let marked_at = user.mark_deleted.then_some(now);
        self.users.insert(
            id.clone(),
            Stored {
                user,
                seq: self.seq,
                created: now,
                marked_at,
            },
        );
        id
    }

    /// A generated address for users seeded without one (`add_user`).
    pub(super) fn generated_email(&self) -> String {
        format!("Seeded.User{}@Example.com", self.seq + 1)
    }

    pub(super) fn get(&self, id: &str) -> Option<&RsaUser> {
        self.users.get(id).map(|s| &s.user)
    }

    /// Changes a user; `false` when there is no such user.
    pub(super) fn update(&mut self, id: &str, change: impl FnOnce(&mut RsaUser)) -> bool {
        let Some(stored) = self.users.get_mut(id) else {
            return false;
        };
        let was_marked = stored.user.mark_deleted;
        change(&mut stored.user);
        stored.user.id = id.to_owned();
        if stored.user.mark_deleted && !was_marked {
            stored.marked_at = Some(SystemTime::now());
        } else if !stored.user.mark_deleted {
            stored.marked_at = None;
        }
        true
    }

    pub(super) fn remove(&mut self, id: &str) -> Option<RsaUser> {
        self.users.remove(id).map(|s| s.user)
    }

    pub(super) fn contains(&self, id: &str) -> bool {
        self.users.contains_key(id)
    }

    pub(super) fn len(&self) -> usize {
        self.users.len()
    }

    /// The ids of every user whose address equals `email` (ASCII case ignored), oldest
    /// first.
    pub(super) fn ids_with_email(&self, email: &str) -> Vec<String> {
        let mut found: Vec<&Stored> = self
            .users
            .values()
            .filter(|s| s.user.email.eq_ignore_ascii_case(email))
            .collect();
        found.sort_by_key(|s| s.seq);
        found.into_iter().map(|s| s.user.id.clone()).collect()
    }

    /// The record of the one user the lookup answers: the oldest whose email (or username)
    /// matches `value`. RSA looks up "only one user at a time"; what it does with two users
    /// of one address is NOT CONFIRMED.
    pub(super) fn lookup(&self, field: Field, value: &str) -> Option<Value> {
        let wanted = value.to_ascii_lowercase();
        self.users
            .values()
            .filter(|s| {
                let stored = match field {
                    Field::Email => Some(s.user.email.as_str()),
                    Field::Username => s.user.username.as_deref(),
                };
                stored.is_some_and(|stored| match self.matching {
                    Matching::Exact => stored.eq_ignore_ascii_case(value),
                    Matching::Fuzzy => stored.to_ascii_lowercase().contains(&wanted),
                })
            })
            .min_by_key(|s| s.seq)
            .map(record)
    }
}

/// What the lookup is by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Email,
    Username,
}

/// The User Details record: the fields of the 2018 vendor example, then those of a 2025
/// capture (`markDeletedBy`, the lock flags, `principalUsername`, …).
fn record(stored: &Stored) -> Value {
    let user = &stored.user;
    let directory = user.identity_source == RsaIdentitySource::Directory;
    let mut record = json!({
        "id": user.id,
        "emailAddress": user.email,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "creationDate": rfc3339_millis(stored.created),
        "identitySource": user.identity_source.name(),
        "userStatus": if user.enabled { "Enabled" } else { "Disabled" },
        "markDeleted": user.mark_deleted,
        "highRiskUser": false,
        "markDeletedAt": stored.marked_at.map(rfc3339_millis),
        "markDeletedBy": stored.marked_at.map(|_| "admin@idp-sim.example"),
        "isTokenLocked": false,
        "isSmsLocked": false,
        "isVoiceLocked": false,
        "isFingerprintLocked": false,
        "isApproveLocked": false,
        "lastSyncTime": directory.then(|| rfc3339_millis(stored.created)),
        "emergencyAccessStatus": "DISABLED",
        "alternateUsername": null,
    });
    if let (Some(username), Value::Object(map)) = (&user.username, &mut record) {
        map.insert("principalUsername".into(), json!(username));
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_user_is_an_enabled_local_one_named_after_its_address() {
        let user = RsaUser::new("Mary-Ann.Smith@Example.com");
        assert_eq!(user.username.as_deref(), Some("Mary-Ann.Smith"));
        assert_eq!(
            (user.first_name.as_str(), user.last_name.as_str()),
            ("Mary", "Ann Smith")
        );
        assert!(user.enabled && !user.mark_deleted && user.id.is_empty());
        assert_eq!(user.identity_source, RsaIdentitySource::Local);
    }

    #[test]
    fn the_lookup_answers_the_oldest_match_by_its_matching_rule() {
        let mut store = Store::new();
        let first = store.insert(RsaUser::new("Jane.Doe@Example.com"));
        let second = store.insert(RsaUser::new("jane.doe@example.com").with_username("jd2"));
        let other = store.insert(RsaUser::new("jane.doe@example.com.evil"));
        let found = store.lookup(Field::Email, "JANE.DOE@example.com");
        assert_eq!(found.as_ref().map(|r| r["id"].clone()), Some(json!(first)));
        assert_eq!(store.ids_with_email("jane.doe@EXAMPLE.com").len(), 2);
        assert!(store.lookup(Field::Email, "jane.doe@example.co").is_none());
        store.matching = Matching::Fuzzy;
        store.remove(&first);
        store.remove(&second);
        let near = store.lookup(Field::Email, "jane.doe@example.com");
        assert_eq!(near.map(|r| r["id"].clone()), Some(json!(other)));
        assert!(store.lookup(Field::Username, "nobody").is_none());
    }

    #[test]
    fn records_carry_the_documented_fields() {
        let mut store = Store::new();
        store.insert(
            RsaUser::new("a@b.c")
                .without_username()
                .pending_deletion()
                .from_source(RsaIdentitySource::Directory),
        );
        let record = store.lookup(Field::Email, "a@b.c").unwrap_or_default();
        assert_eq!(record["markDeleted"], json!(true));
        assert!(record["markDeletedAt"].is_string());
        assert_eq!(record["identitySource"], "Corporate Active Directory");
        assert!(record.get("principalUsername").is_none());
        assert_eq!(record["userStatus"], "Enabled");
    }
}
