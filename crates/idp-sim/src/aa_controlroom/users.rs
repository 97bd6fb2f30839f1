//! Control Room users: what a test seeds ([`AaUser`]), how they are stored, the record every
//! call answers with, and the whole-record update a `PUT` must be.

use std::time::SystemTime;

use serde_json::{Map, Value, json};

use super::error;
use super::list::AaFilterMode;
use crate::answer::Answer;
use crate::ids::IntUsers;
use crate::util::{names_from_email, rfc3339_seconds};

/// A role of a Control Room user (`{"id", "name"}` in the record).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AaRole {
    /// The role's id.
    pub id: u64,
    /// The role's name.
    pub name: String,
}

impl AaRole {
    /// A role.
    pub fn new(id: u64, name: &str) -> AaRole {
        AaRole {
            id,
            name: name.to_owned(),
        }
    }
}

/// A Control Room user, as a test seeds it ([`AaControlRoomSim::seed_user`]) and reads it
/// back ([`AaControlRoomSim::user`]).
///
/// [`AaControlRoomSim::seed_user`]: crate::AaControlRoomSim::seed_user
/// [`AaControlRoomSim::user`]: crate::AaControlRoomSim::user
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AaUser {
    /// The id: when seeding, used if it is a free positive integer, otherwise the next free
    /// id is assigned (use the returned one).
    pub id: String,
    /// `username`.
    pub username: String,
    /// `email`, stored as given (mixed case stays mixed).
    pub email: String,
    /// `firstName`.
    pub first_name: String,
    /// `lastName`.
    pub last_name: String,
    /// `domain`: `None` (null) for a local user, a directory's name (`"ActiveDirectory
    /// (LDAP)"`) for an AD / SSO one.
    pub domain: Option<String>,
    /// `roles`: a `PUT` replaces them wholesale.
    pub roles: Vec<AaRole>,
    /// `licenseFeatures`.
    pub license_features: Vec<String>,
    /// `disabled`.
    pub disabled: bool,
    /// Has dependencies (schedules, lockers, queues, device pools): its delete gets 409.
    pub in_use: bool,
    /// `description`.
    pub description: String,
}

impl AaUser {
    /// An enabled local user with `email` and two roles (`AAE_Basic` and a bot runners'
    /// role); the username and the names come from the part before the `@`.
    pub fn new(email: &str) -> AaUser {
        let local = email.split('@').next().unwrap_or(email);
        let (first_name, last_name) = names_from_email(email);
        let username = if local.is_empty() { email } else { local };
        AaUser {
            id: String::new(),
            username: username.to_owned(),
            email: email.to_owned(),
            first_name,
            last_name,
            domain: None,
            roles: vec![
                AaRole::new(2, "AAE_Basic"),
                AaRole::new(101, "Finance Bot Runners"),
            ],
            license_features: vec!["RUNTIME".to_owned()],
            disabled: false,
            in_use: false,
            description: "Seeded by idp-sim".to_owned(),
        }
    }

    /// With this id (used when it is a free positive integer).
    pub fn with_id(mut self, id: &str) -> AaUser {
        self.id = id.to_owned();
        self
    }

    /// With this username (AD and SSO users often have their email as the username).
    pub fn with_username(mut self, username: &str) -> AaUser {
        self.username = username.to_owned();
        self
    }

    /// With these names.
    pub fn with_name(mut self, first: &str, last: &str) -> AaUser {
        self.first_name = first.to_owned();
        self.last_name = last.to_owned();
        self
    }

    /// From this directory (`domain`).
    pub fn with_domain(mut self, domain: &str) -> AaUser {
        self.domain = Some(domain.to_owned());
        self
    }

    /// With these roles instead of the two default ones.
    pub fn with_roles(mut self, roles: Vec<AaRole>) -> AaUser {
        self.roles = roles;
        self
    }

    /// `disabled: true`.
    pub fn disabled(mut self) -> AaUser {
        self.disabled = true;
        self
    }

    /// With dependencies: its delete gets 409.
    pub fn in_use(mut self) -> AaUser {
        self.in_use = true;
        self
    }
}

/// A stored user, with what the record shows besides the seed.
#[derive(Debug)]
pub(super) struct Stored {
    pub(super) user: AaUser,
    version: u64,
    created: SystemTime,
    updated: SystemTime,
}

impl Stored {
    fn new(user: AaUser) -> Stored {
        let now = SystemTime::now();
        Stored {
            user,
            version: 0,
            created: now,
            updated: now,
        }
    }
}

/// Every user, keyed by id (listings page in id order), and the listing's switches.
#[derive(Debug)]
pub(super) struct Store {
    pub(super) users: IntUsers<Stored>,
    /// The most users a page holds, whatever length is asked for.
    pub(super) page_size: usize,
    pub(super) filter_mode: AaFilterMode,
    /// Deletes answer 204 instead of 200 with the record.
    pub(super) delete_no_content: bool,
}

impl Store {
    pub(super) fn new(first: u64) -> Store {
        Store {
            users: IntUsers::new(first),
            page_size: usize::MAX,
            filter_mode: AaFilterMode::default(),
            delete_no_content: false,
        }
    }

    /// The id for a new user: `wanted` when it is a free positive integer, otherwise the
    /// next free one.
    pub(super) fn assign(&mut self, wanted: &str) -> u64 {
        self.users.assign(wanted)
    }

    /// Stores `user` under its id when that is a free positive integer, otherwise under the
    /// next free one; returns the id.
    pub(super) fn insert(&mut self, mut user: AaUser) -> u64 {
        let id = self.users.assign(&user.id);
        user.id = id.to_string();
        self.users.insert(id, Stored::new(user));
        id
    }

    pub(super) fn get(&self, id: u64) -> Option<&Stored> {
        self.users.get(id)
    }

    pub(super) fn get_mut(&mut self, id: u64) -> Option<&mut Stored> {
        self.users.get_mut(id)
    }

    pub(super) fn remove(&mut self, id: u64) -> Option<Stored> {
        self.users.remove(id)
    }

    pub(super) fn len(&self) -> usize {
        self.users.len()
    }

    /// A `PUT` of `body` over user `id`: refused unless it is the whole record (every field
    /// the record has, `roles` a non-empty list, the same `id` and `username`); then
    /// applied, the version bumped. The answer is the updated record.
    pub(super) fn update(&mut self, id: u64, body: &Map<String, Value>) -> Result<Value, Answer> {
        let Some(stored) = self.users.get_mut(id) else {
            return Err(user_not_found());
        };
        let current = record(id, stored);
        let missing: Vec<&str> = current
            .as_object()
            .map(|map| {
                map.keys()
                    .map(String::as_str)
                    .filter(|key| !body.contains_key(*key))
                    .collect()
            })
            .unwrap_or_default();
        if !missing.is_empty() {
            // A PUT replaces the user: what it leaves out (roles above all) would be lost.
            return Err(error(
                400,
                "UM1131",
                json!(format!("Missing fields: {}", missing.join(", "))),
                "The request must carry the whole user: a PUT replaces the user, and fields \
                 it leaves out would be lost",
            ));
        }
        let change = Change::read(id, &stored.user, body)?;
        change.apply(&mut stored.user);
        stored.version += 1;
        stored.updated = SystemTime::now();
        Ok(record(id, stored))
    }
}

/// What a valid `PUT` body changes.
struct Change {
    email: String,
    first_name: String,
    last_name: String,
    description: String,
    roles: Vec<AaRole>,
    license_features: Vec<String>,
    disabled: bool,
}

fn invalid(code: &str, message: &str) -> Answer {
    error(400, code, Value::Null, message)
}

impl Change {
    fn read(id: u64, user: &AaUser, body: &Map<String, Value>) -> Result<Change, Answer> {
        if body.get("id") != Some(&json!(id)) {
            return Err(invalid(
                "UM1016",
                "The user id in the body is not the user id in the path",
            ));
        }
        if body.get("username").and_then(Value::as_str) != Some(user.username.as_str()) {
            return Err(invalid("UM1132", "The username cannot be changed"));
        }
        let text = |name: &str| match body.get(name) {
            Some(Value::String(text)) => Ok(text.clone()),
            Some(Value::Null) => Ok(String::new()),
            _ => Err(invalid("UM1133", &format!("{name} must be a string"))),
        };
        let email = match body.get("email") {
            Some(Value::String(email)) => email.clone(),
            _ => return Err(invalid("UM1133", "email must be a string")),
        };
        let Some(disabled) = body.get("disabled").and_then(Value::as_bool) else {
            return Err(invalid("UM1133", "disabled must be true or false"));
        };
        if body.get("enableAutoLogin").is_some_and(|v| !v.is_boolean()) {
            return Err(invalid("UM1133", "enableAutoLogin must be true or false"));
        }
        let roles = roles(body.get("roles"), &user.roles)?;
        let license_features = match body.get("licenseFeatures") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect::<Option<Vec<String>>>()
                .ok_or_else(|| invalid("UM1133", "licenseFeatures must be a list of names"))?,
            _ => return Err(invalid("UM1133", "licenseFeatures must be a list of names")),
        };
        Ok(Change {
            email,
            first_name: text("firstName")?,
            last_name: text("lastName")?,
            description: text("description")?,
            roles,
            license_features,
            disabled,
        })
    }

    fn apply(self, user: &mut AaUser) {
        user.email = self.email;
        user.first_name = self.first_name;
        user.last_name = self.last_name;
        user.description = self.description;
        user.roles = self.roles;
        user.license_features = self.license_features;
        user.disabled = self.disabled;
    }
}

/// The `roles` of a `PUT`: a non-empty list of `{"id", "name"?}` (11.3 marks roles
/// mandatory; a PUT replaces them wholesale).
fn roles(value: Option<&Value>, had: &[AaRole]) -> Result<Vec<AaRole>, Answer> {
    let refused = || invalid("UM1134", "At least one role is required");
    let Some(Value::Array(items)) = value else {
        return Err(refused());
    };
    if items.is_empty() {
        return Err(refused());
    }
    items
        .iter()
        .map(|item| {
            let id = item.get("id").and_then(Value::as_u64).ok_or_else(refused)?;
            let name = match item.get("name").and_then(Value::as_str) {
                Some(name) => name.to_owned(),
                None => had
                    .iter()
                    .find(|role| role.id == id)
                    .map_or_else(|| format!("Role {id}"), |role| role.name.clone()),
            };
            Ok(AaRole { id, name })
        })
        .collect()
}

/// The Control Room's 404 for an unknown user, in its own `{code, details, message}`.
pub(super) fn user_not_found() -> Answer {
    error(404, "UM1009", Value::Null, "User not found")
}

/// The user record, shaped as the vendor's documentation shows it (the delete answer's
/// example, which is also what `GET`, `PUT` and the list carry).
pub(super) fn record(id: u64, stored: &Stored) -> Value {
    let user = &stored.user;
    let roles: Vec<Value> = user
        .roles
        .iter()
        .map(|role| json!({ "id": role.id, "name": role.name, "version": 0 }))
        .collect();
    json!({
        "id": id,
        "email": user.email,
        "username": user.username,
        "domain": user.domain,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "version": stored.version,
        "principalId": id,
        "deleted": false,
        "roles": roles,
        "sysAssignedRoles": [],
        "groupNames": [],
        "permissions": [],
        "licenseFeatures": user.license_features,
        "emailVerified": true,
        "passwordSet": user.domain.is_none(),
        "questionsSet": false,
        "enableAutoLogin": false,
        "disabled": user.disabled,
        "clientRegistered": false,
        "description": user.description,
        "createdBy": 1,
        "createdOn": rfc3339_seconds(stored.created),
        "updatedBy": 1,
        "updatedOn": rfc3339_seconds(stored.updated),
        "publicKey": null,
        "appType": null,
        "routingName": null,
        "appUrl": null,
    })
}

/// A record for a sample answer (what a truncated 200 cuts).
pub(super) fn sample_record() -> Value {
    let user = AaUser::new("aa@aa.com")
        .with_username("docbotusermd4")
        .with_roles(vec![AaRole::new(2, "AAE_Basic")]);
    record(15, &Stored::new(user))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn ids_are_the_wanted_one_when_free_else_the_next() {
        let mut store = Store::new(100);
        assert_eq!(store.insert(AaUser::new("a@b.c").with_id("15")), 15);
        assert_eq!(store.insert(AaUser::new("a@b.c").with_id("15")), 100);
        assert_eq!(store.insert(AaUser::new("a@b.c").with_id("jane")), 101);
        assert_eq!(store.get(15).map(|s| s.user.id.as_str()), Some("15"));
    }

    #[test]
    fn a_put_must_carry_the_whole_record() {
        let mut store = Store::new(1);
        let id = store.insert(AaUser::new("Jane.Doe@Example.com"));
        let whole = store.get(id).map(|s| record(id, s)).unwrap_or_default();

        let mut no_roles = object(whole.clone());
        no_roles.remove("roles");
        let refused = store.update(id, &no_roles).err().map(|a| a.status);
        assert_eq!(refused, Some(400));

        let mut empty_roles = object(whole.clone());
        empty_roles.insert("roles".into(), json!([]));
        assert!(store.update(id, &empty_roles).is_err());

        let mut renamed = object(whole.clone());
        renamed.insert("username".into(), json!("someone-else"));
        assert!(store.update(id, &renamed).is_err());

        let mut disabled = object(whole);
        disabled.insert("disabled".into(), json!(true));
        let updated = store.update(id, &disabled).unwrap_or_default();
        assert_eq!(updated["disabled"], json!(true));
        assert_eq!(updated["version"], json!(1));
        let user = store.get(id).map(|s| s.user.clone());
        assert_eq!(user.map(|u| (u.disabled, u.roles.len())), Some((true, 2)));
        assert!(store.update(999, &disabled).is_err());
    }
}
