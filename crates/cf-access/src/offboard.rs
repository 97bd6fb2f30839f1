//! Offboarding one Access user: revoke its sessions, delete it, verify that it is gone.

use idp_core::{
    Account, AccountPlan, EndState, Error, ErrorKind, Offboarder, PlannedStep, Presence, Receipt,
    Step, StepContext, StepOutcome, StepReport, UserQuery,
};

use crate::VENDOR;
use crate::client::{Client, receipt_of};

/// What every Cloudflare plan says: Access only sees what the identity provider lets in.
pub const DOWNSTREAM_WARNING: &str = "Cloudflare Access is downstream of the identity \
     provider: revoking and deleting the Access user does not lock the person out; a user \
     who can still sign in at the identity provider comes back (and takes a seat again) at \
     the next login if the Access policies allow them. Disable the person in the identity \
     provider too.";

/// How one step ended.
type StepResult = Result<StepReport, Error>;

const NO_EMAIL_WARNING: &str = "the account has no email on record, so its sessions cannot \
     be revoked first (Cloudflare revokes by email; the delete still revokes its seats and \
     tokens)";

impl Offboarder for Client {
    /// Email queries only: `GET …/access/users?email=E&page=N&per_page=50`, page after page
    /// until an empty `result`, keeping the users whose `email` equals the query (ASCII case
    /// ignored; the server's filter may match partially). A username query is refused
    /// (`invalid_input`, nothing sent): Access users have no username.
    async fn find_users(&self, query: &UserQuery) -> Result<Vec<Account>, Error> {
        self.find(query)
            .await
            .map_err(|e| e.with_vendor(VENDOR).with_operation("find_users"))
    }

    /// Nothing blocks a Cloudflare delete: always empty, nothing sent.
    async fn prerequisites(&self, _account: &Account) -> Result<Vec<PlannedStep>, Error> {
        Ok(Vec::new())
    }

    /// `revoke_sessions` (when the account has an email), `delete`, `verify`; always with
    /// [`DOWNSTREAM_WARNING`].
    fn plan(&self, account: &Account, prerequisites: Vec<PlannedStep>) -> AccountPlan {
        let mut warnings = vec![DOWNSTREAM_WARNING.to_owned()];
        let revoke = match account.email {
            Some(_) => Some(PlannedStep::on_account(Step::RevokeSessions, account)),
            None => {
                warnings.push(NO_EMAIL_WARNING.to_owned());
                None
            }
        };
        let removal =
            [Step::Delete, Step::Verify].map(|step| PlannedStep::on_account(step, account));
        AccountPlan {
            warnings,
            end: EndState::Offboarded,
            steps: revoke
                .into_iter()
                .chain(prerequisites)
                .chain(removal)
                .collect(),
        }
    }

    /// - `revoke_sessions`: `POST …/access/organizations/revoke_user` with the account's
    ///   email; always `done` (Cloudflare's state cannot be read back; revoking again is
    ///   harmless).
    /// - `delete`: `done`, or `already` when Cloudflare says the user does not exist.
    /// - `verify`: `done` when Cloudflare says the user does not exist; a
    ///   [`ErrorKind::Conflict`] error while it is still there.
    async fn run_step(
        &self,
        account: &Account,
        step: &PlannedStep,
        _: &StepContext<'_>,
    ) -> StepResult {
        let user_id = step_target(self, account, step)?;
        let report = match step.step {
            Step::RevokeSessions => {
                let email = account.email.as_deref().ok_or_else(|| {
                    Error::invalid_input(
                        "the account has no email: Cloudflare revokes sessions by email",
                    )
                    .with_vendor(VENDOR)
                })?;
                report(StepOutcome::Done, self.revoke_sessions(email).await?)
            }
            Step::Delete => match self.delete_user(user_id).await {
                Ok(receipt) => report(StepOutcome::Done, receipt),
                Err(err) if err.kind() == ErrorKind::NotFound => {
                    report(StepOutcome::Already, receipt_of(&err))
                }
                Err(err) => return Err(err),
            },
            Step::Verify => match self.presence(user_id).await? {
                (Presence::Gone, receipt) => report(StepOutcome::Done, receipt),
                (Presence::Present, receipt) => {
                    return Err(Error::new(
                        ErrorKind::Conflict,
                        "the Access user is still there: Cloudflare answered its record",
                    )
                    .with_attempts(receipt.attempts)
                    .with_request_id(receipt.request_id)
                    .with_vendor(VENDOR)
                    .with_operation("verify"));
                }
            },
            other => return Err(unsupported(other)),
        };
        Ok(report)
    }

    /// `delete` and `verify`: whether Cloudflare says the user does not exist (`GET` the
    /// user); `revoke_sessions`: `None` (its state cannot be read back).
    async fn step_done(
        &self,
        account: &Account,
        step: &PlannedStep,
    ) -> Result<Option<bool>, Error> {
        let user_id = step_target(self, account, step)?;
        match step.step {
            Step::RevokeSessions => Ok(None),
            Step::Delete | Step::Verify => {
                let (presence, _) = self.presence(user_id).await?;
                Ok(Some(presence == Presence::Gone))
            }
            other => Err(unsupported(other)),
        }
    }

    /// `GET …/access/users/{id}`: [`Presence::Gone`] only on Cloudflare's own "user not
    /// found"; anything but that and a user record is an error (not verified).
    async fn verify(&self, account: &Account) -> Result<Presence, Error> {
        self.user_presence(&account.user_id).await
    }
}

// CORE-CANDIDATE: "a step on the account targets the account" is the same rule in every
// vendor whose steps all act on the account itself.
/// The account's user id, checked, after making sure the step is about this account.
fn step_target<'a>(
    client: &Client,
    account: &'a Account,
    step: &PlannedStep,
) -> Result<&'a str, Error> {
    if step.target != account.user_id {
        return Err(Error::invalid_input(format!(
            "the {} step targets {:?}, not the account {:?}: Cloudflare steps act on the account",
            step.step,
            idp_core::text::truncate_for_message(&step.target),
            idp_core::text::truncate_for_message(&account.user_id)
        ))
        .with_vendor(VENDOR));
    }
    client.validate_user_id(&account.user_id)?;
    Ok(&account.user_id)
}

fn report(outcome: StepOutcome, receipt: Receipt) -> StepReport {
    StepReport::new(outcome, receipt.attempts, receipt.request_id)
}

fn unsupported(step: Step) -> Error {
    Error::invalid_input(format!(
        "cf-access has no {step} step: its steps are revoke_sessions, delete and verify"
    ))
    .with_vendor(VENDOR)
}
