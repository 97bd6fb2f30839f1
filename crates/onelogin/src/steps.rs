//! Offboarding a OneLogin account: log out, delete, verify.
//!
//! - `logout`: `PUT /api/1/users/{id}/logout` (v1 only; answers the v1 `status` object). It
//!   ends the OneLogin session, **not** sessions already opened in third-party applications.
//!   Its effect cannot be read back: run again, it is `done` again; on a user that is gone
//!   it is `already`.
//! - `delete`: [`Client::delete_user`]; a user already gone is `already`.
//! - `verify`: `GET /api/{1,2}/users/{id}` must be OneLogin's not-found answer.

use idp_core::{
    Account, AccountPlan, Error, ErrorKind, ManagedBy, Offboarder, PlannedStep, Presence, Receipt,
    Step, StepOutcome, StepReport, UserQuery,
};

use crate::VENDOR;
use crate::client::{Client, user_id_of};
use crate::config::ApiVersion;
use crate::error::op;
use crate::success;
use crate::user::directory_id;

/// The steps of every OneLogin plan, in order.
const STEPS: [Step; 3] = [Step::Logout, Step::Delete, Step::Verify];

impl Client {
    /// Ends the user's OneLogin session (`PUT /api/1/users/{id}/logout`).
    pub async fn logout_user(&self, user_id: &str) -> Result<Receipt, Error> {
        let url = self.user_url(ApiVersion::V1, user_id_of(user_id)?, &["logout"]);
        let sent = self
            .transport()
            .send(
                op::LOGOUT,
                |_attempt| Ok(self.transport().http().put(url.clone())),
                |response| success::v1_done(response, self.transport().api(), "the logout"),
            )
            .await?;
        Ok(sent.receipt())
    }

    /// Reads the user back (`GET /api/{1,2}/users/{id}`): [`Presence::Gone`] only on
    /// OneLogin's own not-found answer.
    pub async fn user_presence(&self, user_id: &str) -> Result<(Presence, Receipt), Error> {
        let id = user_id_of(user_id)?;
        let version = self.api_version();
        let url = self.user_url(version, id, &[]);
        let read = self
            .transport()
            .send(
                op::GET,
                |_attempt| Ok(self.transport().http().get(url.clone())),
                |response| success::user_record(version, id, response, self.transport().api()),
            )
            .await;
        Presence::from_read(read)
    }
}

impl Offboarder for Client {
    async fn find_users(&self, query: &UserQuery) -> Result<Vec<idp_core::Account>, Error> {
        Client::find_users(self, query).await
    }

    /// OneLogin has nothing to clear before a delete.
    async fn prerequisites(&self, _account: &Account) -> Result<Vec<PlannedStep>, Error> {
        Ok(Vec::new())
    }

    fn plan(&self, account: &Account, _prerequisites: Vec<PlannedStep>) -> AccountPlan {
        let mut warnings = vec![
            "logout ends the OneLogin session only: sessions already opened in third-party \
             applications through SSO stay alive until they expire"
                .to_owned(),
        ];
        if account.managed_by == ManagedBy::Directory {
            let directory = directory_id(&account.vendor).unwrap_or_else(|| "?".to_owned());
            warnings.push(format!(
                "synchronised from directory {directory}: directory sync can re-create the \
                 account while the person is still in the directory; disable them there too"
            ));
        }
        AccountPlan::offboarding(account, &[Step::Logout], [], warnings)
    }

    async fn verify(&self, account: &Account) -> Result<Presence, Error> {
        Ok(self.user_presence(&account.user_id).await?.0)
    }

    fn steps(&self) -> &'static [Step] {
        &STEPS
    }

    /// No account, no session: a logout of a user that is gone is `already`.
    async fn logout(&self, account: &Account) -> Report {
        StepReport::done_unless_gone(self.logout_user(&account.user_id).await, 0)
    }

    async fn delete_account(&self, account: &Account) -> Report {
        StepReport::done_unless_gone(self.delete_user(&account.user_id).await, 0)
    }

    async fn confirm_deleted(&self, account: &Account) -> Report {
        match self.user_presence(&account.user_id).await? {
            (Presence::Gone, receipt) => Ok(StepReport::from_receipt(StepOutcome::Done, receipt)),
            (Presence::Present, receipt) => Err(still_present(&account.user_id, receipt.attempts)),
        }
    }
}

/// What a step ends in, when it does not fail.
type Report = Result<StepReport, Error>;

fn still_present(user_id: &str, attempts: u32) -> Error {
    Error::new(
        ErrorKind::Conflict,
        format!(
            "user {user_id} is still there after the delete (OneLogin can keep a deleted user \
             in \"(Deleting)\" while app deprovisioning runs): verify again later"
        ),
    )
    .with_vendor(VENDOR)
    .with_operation(op::GET)
    .with_attempts(attempts)
}
