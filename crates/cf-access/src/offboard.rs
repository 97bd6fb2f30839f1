//! Offboarding one Access user: revoke its sessions, delete it, verify that it is gone.

use idp_core::{
    Account, AccountPlan, Error, ErrorKind, Offboarder, PlannedStep, Presence, Step, StepOutcome,
    StepReport, UserQuery,
};

use crate::VENDOR;
use crate::client::Client;

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
        let containment: &[Step] = match account.email {
            Some(_) => &[Step::RevokeSessions],
            None => {
                warnings.push(NO_EMAIL_WARNING.to_owned());
                &[]
            }
        };
        AccountPlan::offboarding(account, containment, prerequisites, warnings)
    }

    /// `GET …/access/users/{id}`: [`Presence::Gone`] only on Cloudflare's own "user not
    /// found"; anything but that and a user record is an error (not verified).
    async fn verify(&self, account: &Account) -> Result<Presence, Error> {
        self.user_presence(&account.user_id).await
    }

    fn steps(&self) -> &'static [Step] {
        &[Step::RevokeSessions, Step::Delete, Step::Verify]
    }

    /// `POST …/access/organizations/revoke_user` with the account's email; always `done`
    /// (Cloudflare's state cannot be read back; revoking again is harmless).
    async fn revoke_sessions(&self, account: &Account) -> StepResult {
        let email = account.email.as_deref().ok_or_else(|| {
            Error::invalid_input("the account has no email: Cloudflare revokes sessions by email")
                .with_vendor(VENDOR)
        })?;
        let receipt = Client::revoke_sessions(self, email).await?;
        Ok(StepReport::from_receipt(StepOutcome::Done, receipt))
    }

    /// `done`, or `already` when Cloudflare says the user does not exist.
    async fn delete_account(&self, account: &Account) -> StepResult {
        StepReport::done_unless_gone(self.delete_user(&account.user_id).await, 0)
    }

    /// `done` when Cloudflare says the user does not exist; a [`ErrorKind::Conflict`] error
    /// while it is still there.
    async fn confirm_deleted(&self, account: &Account) -> StepResult {
        match self.presence(&account.user_id).await? {
            (Presence::Gone, receipt) => Ok(StepReport::from_receipt(StepOutcome::Done, receipt)),
            (Presence::Present, receipt) => Err(Error::new(
                ErrorKind::Conflict,
                "the Access user is still there: Cloudflare answered its record",
            )
            .with_attempts(receipt.attempts)
            .with_request_id(receipt.request_id)
            .with_vendor(VENDOR)
            .with_operation("verify")),
        }
    }
}
