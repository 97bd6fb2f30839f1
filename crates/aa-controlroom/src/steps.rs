//! Offboarding one Control Room user: disable (read, flip, write the whole record back),
//! delete, verify.

use idp_core::reqwest::Method;
use idp_core::{
    Account, AccountPlan, Error, ErrorKind, ManagedBy, Offboarder, PlannedStep, Presence, Receipt,
    Response, Sent, Step, StepOutcome, StepReport, UserQuery,
};
use serde_json::Value;

use crate::VENDOR;
use crate::client::{Client, user_id_of};
use crate::error::DELETE_BLOCKERS;
use crate::user::{Record, record_id};

/// A user read back by id.
enum Read {
    /// The Control Room answered with its record.
    Present(Sent<Record>),
    /// The Control Room's own "no such user", with the receipt of that answer.
    Gone(Receipt),
}

impl Client {
    /// `GET {controlRoom}/{v}/usermanagement/users/{id}`.
    async fn read(&self, id: u64) -> Result<Read, Error> {
        let url = self.endpoints().user(id);
        let result = self
            .call("get_user", Method::GET, url, None, |response| {
                parse_user(response, id)
            })
            .await;
        match result {
            Ok(sent) => Ok(Read::Present(sent)),
            Err(err) if err.kind() == ErrorKind::NotFound => {
                Ok(Read::Gone(Receipt::from_error(&err)))
            }
            Err(err) => Err(err),
        }
    }

    /// `PUT {controlRoom}/{v}/usermanagement/users/{id}` with the whole record.
    async fn write(&self, id: u64, record: Record) -> Result<Receipt, Error> {
        let url = self.endpoints().user(id);
        let body = Value::Object(record).to_string();
        let sent = self
            .call("update_user", Method::PUT, url, Some(body), |response| {
                parse_updated(response, id)
            })
            .await?;
        Ok(sent.receipt())
    }

    /// Reads the user; already disabled (or gone) ends there, otherwise the record as read,
    /// `disabled` set, goes back whole: a PUT replaces the roles wholesale.
    async fn disable_id(&self, id: u64) -> Result<StepReport, Error> {
        let sent = match self.read(id).await? {
            Read::Gone(receipt) => {
                return Ok(StepReport::from_receipt(StepOutcome::Already, receipt));
            }
            Read::Present(sent) => sent,
        };
        if sent.value.get("disabled") == Some(&Value::Bool(true)) {
            return Ok(StepReport::from_receipt(
                StepOutcome::Already,
                sent.receipt(),
            ));
        }
        let read_attempts = sent.attempts;
        let record = disabled_copy(sent.value, id).map_err(|e| e.with_attempts(read_attempts))?;
        // A user deleted meanwhile can neither sign in nor be disabled: `already`.
        StepReport::done_unless_gone(self.write(id, record).await, read_attempts)
    }

    async fn delete_step(&self, id: u64) -> Result<StepReport, Error> {
        let deleted = self.delete_id(id).await.map(|sent| sent.receipt());
        StepReport::done_unless_gone(deleted, 0)
    }

    async fn verify_step(&self, id: u64) -> Result<StepReport, Error> {
        match self.read(id).await? {
            Read::Gone(receipt) => Ok(StepReport::from_receipt(StepOutcome::Done, receipt)),
            Read::Present(sent) => Err(Error::new(
                ErrorKind::Conflict,
                format!("user {id} is still in the Control Room: the delete did not take effect"),
            )
            .with_attempts(sent.attempts)
            .with_request_id(sent.request_id)
            .with_vendor(VENDOR)
            .with_operation("get_user")),
        }
    }
}

/// The record with `disabled: true`, refused (nothing sent) when it lacks what a PUT must
/// carry: `roles` (a PUT without them would remove every role) and `username`.
fn disabled_copy(mut record: Record, id: u64) -> Result<Record, Error> {
    let complete = matches!(record.get("roles"), Some(Value::Array(_)))
        && matches!(record.get("username"), Some(Value::String(_)));
    if !complete {
        return Err(Error::protocol(format!(
            "the record of user {id} has no roles list or no username, so it cannot be written \
             back whole (a partial update would replace the roles): not disabled"
        ))
        .with_vendor(VENDOR)
        .with_operation("update_user"));
    }
    record.insert("disabled".into(), Value::Bool(true));
    Ok(record)
}

/// `GET` answers 200 with the user's record, its `id` the id asked for.
fn parse_user(response: &Response, id: u64) -> Result<Record, Error> {
    match response.json_object() {
        Some(record) if response.status == 200 && record_id(&record) == Some(id) => Ok(record),
        _ => Err(response.unconfirmed_success(&format!("reading user {id}"))),
    }
}

/// `PUT` answers 200 with the updated record (its `id` the id sent, not saying
/// `disabled: false`) or 204.
fn parse_updated(response: &Response, id: u64) -> Result<(), Error> {
    let updated = match response.status {
        204 => true,
        200 => response.json_object().is_some_and(|record| {
            record_id(&record) == Some(id) && record.get("disabled") != Some(&Value::Bool(false))
        }),
        _ => false,
    };
    if updated {
        Ok(())
    } else {
        Err(response.unconfirmed_success(&format!("disabling user {id}")))
    }
}

/// What people must know before approving a Control Room delete.
fn warnings(account: &Account) -> Vec<String> {
    let mut warnings = vec![
        "deleting a Control Room user deletes its Credential Vault variables and removes its \
         queued and scheduled automations (in-progress ones complete; its bots stay, \
         inactive): keep what must be kept first"
            .to_owned(),
        format!(
            "the Control Room refuses the delete while the user has dependencies: \
             {DELETE_BLOCKERS}; re-own its schedules (Change ownership of scheduled activity) \
             and clear the rest first"
        ),
    ];
    if account.managed_by == ManagedBy::Directory {
        let domain = account
            .vendor
            .get("domain")
            .and_then(Value::as_str)
            .unwrap_or("a directory");
        warnings.push(format!(
            "user {} comes from {domain:?}: it may come back from that directory unless the \
             person is removed there too (not confirmed)",
            account.user_id
        ));
    }
    warnings
}

impl Offboarder for Client {
    /// See the crate docs: `POST …/users/list` with an `eq` filter on `email` then on
    /// `username` (email queries) or on `username`, paged; a scan of every user when the
    /// filter is refused or ignored.
    async fn find_users(&self, query: &UserQuery) -> Result<Vec<Account>, Error> {
        crate::find::find_users(self, query).await
    }

    /// Nothing the API can clear: the Control Room's blockers (schedules, lockers, queues,
    /// device pools) are listed as plan warnings instead.
    async fn prerequisites(&self, _account: &Account) -> Result<Vec<PlannedStep>, Error> {
        Ok(Vec::new())
    }

    fn plan(&self, account: &Account, prerequisites: Vec<PlannedStep>) -> AccountPlan {
        AccountPlan::offboarding(account, &[Step::Disable], prerequisites, warnings(account))
    }

    async fn verify(&self, account: &Account) -> Result<Presence, Error> {
        let id = user_id_of(&account.user_id)?;
        Ok(match self.read(id).await? {
            Read::Gone(_) => Presence::Gone,
            Read::Present(_) => Presence::Present,
        })
    }

    fn steps(&self) -> &'static [Step] {
        &[Step::Disable, Step::Delete, Step::Verify]
    }

    /// Already disabled, or gone, ends `already`.
    async fn disable(&self, account: &Account) -> Result<StepReport, Error> {
        self.disable_id(user_id_of(&account.user_id)?).await
    }

    /// The Control Room's own not-found ends `already`.
    async fn delete_account(&self, account: &Account) -> Result<StepReport, Error> {
        self.delete_step(user_id_of(&account.user_id)?).await
    }

    /// Gone is `done`; still there is a `Conflict` error.
    async fn confirm_deleted(&self, account: &Account) -> Result<StepReport, Error> {
        self.verify_step(user_id_of(&account.user_id)?).await
    }

    /// The record's `disabled` (gone counts as disabled; no `disabled` field: `None`).
    async fn is_disabled(&self, account: &Account) -> Result<Option<bool>, Error> {
        Ok(match self.read(user_id_of(&account.user_id)?).await? {
            Read::Gone(_) => Some(true),
            Read::Present(sent) => sent.value.get("disabled").and_then(Value::as_bool),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_core::reqwest::header::HeaderMap;
    use serde_json::json;

    fn record(value: Value) -> Record {
        match value {
            Value::Object(record) => record,
            _ => Record::new(),
        }
    }

    #[test]
    fn the_whole_record_goes_back_with_disabled_set() {
        let read = record(json!({"id": 7, "username": "u", "roles": [{"id": 2}], "email": "e"}));
        let copy = disabled_copy(read.clone(), 7).unwrap_or_else(|e| panic!("{e}"));
        let mut expected = read;
        expected.insert("disabled".into(), Value::Bool(true));
        assert_eq!(copy, expected);
        for partial in [
            json!({"id": 7, "username": "u"}),
            json!({"id": 7, "roles": []}),
            json!({"id": 7, "username": "u", "roles": null}),
        ] {
            let err = disabled_copy(record(partial), 7).err();
            assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Protocol));
        }
    }

    #[test]
    fn only_documented_answers_count() {
        let response = |status, body: &'static str| Response::new(status, HeaderMap::new(), body);
        assert!(parse_user(&response(200, r#"{"id":7}"#), 7).is_ok());
        assert!(parse_user(&response(200, r#"{"id":8}"#), 7).is_err());
        assert!(parse_user(&response(204, ""), 7).is_err());
        assert!(parse_updated(&response(204, ""), 7).is_ok());
        assert!(parse_updated(&response(200, r#"{"id":7,"disabled":true}"#), 7).is_ok());
        for (status, body) in [
            (200, r#"{"id":7,"disabled":false}"#),
            (200, "{}"),
            (202, ""),
            (200, "OK"),
        ] {
            assert!(
                parse_updated(&response(status, body), 7).is_err(),
                "{status} {body}"
            );
        }
    }
}
