//! Offboarding one RSA user: disable, delete, verify, in the order RSA's rules need
//! (only a disabled user can be deleted; a user pending deletion is removed by CAS itself).

use idp_core::{
    Account, AccountPlan, AccountStatus, EndState, Error, ErrorKind, ManagedBy, Offboarder,
    PlannedStep, Presence, Step, StepOutcome, StepReport, UserQuery,
};
use serde_json::Value;

use crate::VENDOR;
use crate::client::{Client, Looked};
use crate::error::is_enabled_conflict;
use crate::lookup;

impl Offboarder for Client {
    async fn find_users(&self, query: &UserQuery) -> Result<Vec<Account>, Error> {
        Client::find_users(self, query).await
    }

    /// RSA has nothing to clear besides the user's status, which is a step of its own.
    async fn prerequisites(&self, _account: &Account) -> Result<Vec<PlannedStep>, Error> {
        Ok(Vec::new())
    }

    fn plan(&self, account: &Account, prerequisites: Vec<PlannedStep>) -> AccountPlan {
        let mut steps = vec![PlannedStep::on_account(Step::Disable, account)];
        steps.extend(prerequisites);
        let mut warnings = Vec::new();
        let end = if account.status == AccountStatus::PendingDeletion {
            warnings.push(
                "the user is marked deleted: CAS removes it by itself within 7 days, and a \
                 delete now would be refused (409 pending deletion), so it is only disabled"
                    .to_owned(),
            );
            EndState::PendingDeletion
        } else {
            steps.push(PlannedStep::on_account(Step::Delete, account));
            steps.push(PlannedStep::on_account(Step::Verify, account));
            EndState::Offboarded
        };
        let source = account
            .vendor
            .get("identitySource")
            .and_then(Value::as_str)
            .unwrap_or("(not given)");
        match account.managed_by {
            ManagedBy::Scim => warnings.push(format!(
                "identity source {source:?} looks SCIM-managed (SCIM Managed or Azure AD): RSA \
                 refuses to delete such users (405); delete the user in the identity provider, \
                 which deprovisions it through SCIM"
            )),
            ManagedBy::Directory | ManagedBy::Unknown => warnings.push(format!(
                "identity source {source:?}: CAS can re-add a deleted user by resynchronising \
                 a directory (LDAP, Active Directory) source while the person is still in it; \
                 disable the person in the directory too"
            )),
            ManagedBy::Local => {}
        }
        AccountPlan {
            steps,
            end,
            warnings,
        }
    }

    async fn verify(&self, account: &Account) -> Result<Presence, Error> {
        self.presence(account).await.map(|(presence, _)| presence)
    }

    fn steps(&self) -> &'static [Step] {
        &[Step::Disable, Step::Delete, Step::Verify]
    }

    async fn disable(&self, account: &Account) -> Result<StepReport, Error> {
        self.disable_step(account).await
    }

    async fn delete_account(&self, account: &Account) -> Result<StepReport, Error> {
        self.delete_step(&account.user_id).await
    }

    async fn confirm_deleted(&self, account: &Account) -> Result<StepReport, Error> {
        self.verify_step(account).await
    }

    /// The lookup's `userStatus`; a user RSA does not know counts as disabled; `None` when
    /// the account has no address to look it up by, or the address now belongs to another
    /// id.
    async fn is_disabled(&self, account: &Account) -> Result<Option<bool>, Error> {
        let Some(query) = query_for(account) else {
            return Ok(None);
        };
        let looked = self.lookup(&query, "lookup_user").await?;
        Ok(match looked.account {
            None => Some(true),
            Some(found) if found.user_id == account.user_id => Some(is_disabled(&found)),
            Some(_) => None,
        })
    }

    /// `None` for an account without an address (RSA's lookup needs one, so its state
    /// cannot tell); otherwise whether nobody answers to the address any more.
    async fn is_deleted(&self, account: &Account) -> Result<Option<bool>, Error> {
        if query_for(account).is_none() {
            return Ok(None);
        }
        Ok(Some(self.presence(account).await?.0 == Presence::Gone))
    }
}

impl Client {
    /// Reads the status back first, so an already disabled user ends `already` without a
    /// write; then `PUT …/userStatus`. A user RSA says does not exist cannot sign in:
    /// `already`.
    async fn disable_step(&self, account: &Account) -> Result<StepReport, Error> {
        let mut attempts = 0;
        if let Some(query) = query_for(account) {
            let looked = self.lookup(&query, "lookup_user").await?;
            attempts += looked.attempts;
            if let Some(found) = &looked.account
                && found.user_id == account.user_id
                && is_disabled(found)
            {
                return Ok(StepReport::new(
                    StepOutcome::Already,
                    attempts,
                    looked.request_id,
                ));
            }
        }
        match self.disable(&account.user_id).await {
            // What a 409 means here is not documented: read the status back.
            Err(err) if err.kind() == ErrorKind::Conflict => {
                attempts += err.attempts();
                let Some(query) = query_for(account) else {
                    return Err(err.with_attempts(attempts));
                };
                let looked = self.lookup(&query, "lookup_user").await?;
                match &looked.account {
                    Some(found) if found.user_id == account.user_id && is_disabled(found) => {
                        Ok(StepReport::new(
                            StepOutcome::Already,
                            attempts + looked.attempts,
                            looked.request_id,
                        ))
                    }
                    _ => Err(err.with_attempts(attempts + looked.attempts)),
                }
            }
            other => StepReport::done_unless_gone(other, attempts),
        }
    }

    /// `DELETE`; a user RSA says does not exist is `already`. A 409 "User is in enabled
    /// state." (re-enabled since it was disabled, by a person or a directory sync) is
    /// answered by disabling once more and deleting once more, as RSA's documented sequence
    /// does; a second refusal fails.
    async fn delete_step(&self, user_id: &str) -> Result<StepReport, Error> {
        let first = self.delete_user(user_id).await;
        let (attempts, err) = match first {
            Err(err) if is_enabled_conflict(&err) => (err.attempts(), err),
            other => return StepReport::done_unless_gone(other, 0),
        };
        let disabled = match self.disable(user_id).await {
            Ok(receipt) => receipt.attempts,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return StepReport::done_unless_gone(Err(e), attempts);
            }
            Err(e) => {
                let message = format!(
                    "{} (after the delete was refused: {})",
                    e.message(),
                    err.message()
                );
                let attempts = attempts + e.attempts();
                return Err(e.with_message(message).with_attempts(attempts));
            }
        };
        StepReport::done_unless_gone(self.delete_user(user_id).await, attempts + disabled)
    }

    async fn verify_step(&self, account: &Account) -> Result<StepReport, Error> {
        let (presence, looked) = self.presence(account).await?;
        match (presence, looked.account) {
            (Presence::Gone, _) => Ok(StepReport::new(
                StepOutcome::Done,
                looked.attempts,
                looked.request_id,
            )),
            (Presence::Present, found) => {
                let found_id = found.map(|a| a.user_id).unwrap_or_default();
                let message = if found_id == account.user_id {
                    format!("user {:?} is still there", account.user_id)
                } else {
                    format!(
                        "a user with this {} is there again, under id {found_id:?} (re-added by \
                         a resynchronisation of its identity source?)",
                        query_for(account).map_or("address", |q| q.field())
                    )
                };
                Err(Error::new(ErrorKind::Conflict, message)
                    .with_vendor(VENDOR)
                    .with_operation("verify")
                    .with_attempts(looked.attempts))
            }
        }
    }

    /// Whether anyone answers to the account's email (or username): RSA's lookup works by
    /// those, not by id, so a user re-added under a new id counts as present.
    async fn presence(&self, account: &Account) -> Result<(Presence, Looked), Error> {
        let Some(query) = query_for(account) else {
            return Err(Error::invalid_input(format!(
                "account {:?} has no email or username: RSA's lookup needs one to read it back",
                account.user_id
            ))
            .with_vendor(VENDOR));
        };
        let looked = self.lookup(&query, "lookup_user").await?;
        let present = match &looked.account {
            Some(found) => lookup::matches(&query, found).map_err(|e| e.with_vendor(VENDOR))?,
            None => false,
        };
        let presence = if present {
            Presence::Present
        } else {
            Presence::Gone
        };
        Ok((presence, looked))
    }
}

/// How to look the account up: by its email, else by its username.
fn query_for(account: &Account) -> Option<UserQuery> {
    account
        .email
        .as_deref()
        .and_then(|email| UserQuery::email(email).ok())
        .or_else(|| {
            account
                .username
                .as_deref()
                .and_then(|name| UserQuery::username(name).ok())
        })
}

fn is_disabled(account: &Account) -> bool {
    account
        .vendor
        .get("userStatus")
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case("disabled"))
}
