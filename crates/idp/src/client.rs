//! What a [`Client`] does, whichever vendor it holds: each method hands the call to the
//! vendor client.

// With no vendor feature the client has no values: the dispatching matches have no arms and
// their arguments go unused.
#![cfg_attr(
    not(any(
        feature = "rsa-cas",
        feature = "cf-access",
        feature = "onelogin",
        feature = "aa-controlroom",
        feature = "alibaba-cloudsso"
    )),
    allow(unused_variables, clippy::unused_async)
)]

use futures_util::Stream;
use idp_core::{
    Account, AccountPlan, DeleteReport, Error, Offboarder, Overrides, PlannedStep, Presence,
    Receipt, Step, StepContext, StepReport, TransportOptions, UserDeleter, UserQuery,
};

use crate::vendors::{Client, Vendor, dispatch};

impl Client {
    /// A client for `vendor` configured from the process environment (each vendor crate's
    /// `VARIABLES` lists what it reads), with default transport options.
    pub fn from_env(vendor: Vendor) -> Result<Client, Error> {
        Client::from_lookup(
            vendor,
            |name| std::env::var(name).ok(),
            TransportOptions::default(),
        )
    }

    /// A client for `vendor` whose variables are read through `lookup` (the same names as the
    /// environment), with the given transport options.
    pub fn from_lookup(
        vendor: Vendor,
        lookup: impl Fn(&str) -> Option<String>,
        options: TransportOptions,
    ) -> Result<Client, Error> {
        Client::from_sources(vendor, lookup, &Overrides::none(), options)
    }

    /// Checks an id as the vendor would, without sending anything.
    pub fn validate_user_id(&self, user_id: &str) -> Result<(), Error> {
        dispatch!(self, client => client.validate_user_id(user_id))
    }

    /// Deletes one user (strict: a missing user is a `NotFound` error; see
    /// [`DeleteOutcome::from_result`](crate::DeleteOutcome::from_result) for idempotent use).
    pub async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        dispatch!(self, client => client.delete_user(user_id).await)
    }

    /// Deletes every id, at most `concurrency` at a time, yielding each report as it finishes
    /// (read it with [`StreamExt::next`](crate::stream::StreamExt::next)). One client means
    /// one token or login for the whole run.
    pub fn delete_many<'a, I>(
        &'a self,
        ids: I,
        concurrency: usize,
    ) -> impl Stream<Item = DeleteReport> + Send + 'a
    where
        I: IntoIterator<Item = String>,
        I::IntoIter: Send + 'a,
    {
        idp_core::delete_many(self, ids, concurrency)
    }

    /// One read-only call proving the configuration works (what a dry run checks).
    pub async fn check_access(&self) -> Result<(), Error> {
        dispatch!(self, client => client.check_access().await)
    }

    /// Ends the run: logs out a session token where the vendor has one (Control Room).
    /// Best effort: callers may ignore the error.
    pub async fn close(&self) -> Result<(), Error> {
        dispatch!(self, client => client.close().await)
    }

    /// The accounts matching `query`, by the client's exact rule.
    pub async fn find_users(&self, query: &UserQuery) -> Result<Vec<Account>, Error> {
        dispatch!(self, client => client.find_users(query).await)
    }

    /// What must be cleared before `account` can be deleted, as steps.
    pub async fn prerequisites(&self, account: &Account) -> Result<Vec<PlannedStep>, Error> {
        dispatch!(self, client => client.prerequisites(account).await)
    }

    /// The steps, end state and warnings for `account`.
    pub fn plan(&self, account: &Account, prerequisites: Vec<PlannedStep>) -> AccountPlan {
        dispatch!(self, client => client.plan(account, prerequisites))
    }

    /// Runs one step of a plan.
    pub async fn run_step(
        &self,
        account: &Account,
        step: &PlannedStep,
        context: &StepContext<'_>,
    ) -> Result<StepReport, Error> {
        dispatch!(self, client => client.run_step(account, step, context).await)
    }

    /// Whether `step` has already taken effect (`None`: the vendor's state cannot tell).
    pub async fn step_done(
        &self,
        account: &Account,
        step: &PlannedStep,
    ) -> Result<Option<bool>, Error> {
        dispatch!(self, client => client.step_done(account, step).await)
    }

    /// Whether the account is still there.
    pub async fn verify(&self, account: &Account) -> Result<Presence, Error> {
        dispatch!(self, client => client.verify(account).await)
    }

    /// The transport (its pacer, gate and options), for progress reports.
    pub fn transport(&self) -> &idp_core::Transport {
        dispatch!(self, client => client.transport())
    }
}

impl UserDeleter for Client {
    fn vendor(&self) -> &'static str {
        Client::vendor(self).as_str()
    }

    fn validate_user_id(&self, user_id: &str) -> Result<(), Error> {
        Client::validate_user_id(self, user_id)
    }

    async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        Client::delete_user(self, user_id).await
    }

    async fn check_access(&self) -> Result<(), Error> {
        Client::check_access(self).await
    }

    async fn close(&self) -> Result<(), Error> {
        Client::close(self).await
    }

    fn transport(&self) -> &idp_core::Transport {
        Client::transport(self)
    }
}

// Every method, `run_step` and `step_done` included, hands the call to the vendor client, so
// the vendor's own checks and overrides apply. The hooks are called by their full path: a
// vendor client's inherent method of the same name (RSA's `disable(user_id)`) would win.
impl Offboarder for Client {
    async fn find_users(&self, query: &UserQuery) -> Result<Vec<Account>, Error> {
        Client::find_users(self, query).await
    }

    async fn prerequisites(&self, account: &Account) -> Result<Vec<PlannedStep>, Error> {
        Client::prerequisites(self, account).await
    }

    fn plan(&self, account: &Account, prerequisites: Vec<PlannedStep>) -> AccountPlan {
        Client::plan(self, account, prerequisites)
    }

    async fn verify(&self, account: &Account) -> Result<Presence, Error> {
        Client::verify(self, account).await
    }

    fn steps(&self) -> &'static [Step] {
        dispatch!(self, client => Offboarder::steps(client))
    }

    async fn disable(&self, account: &Account) -> Result<StepReport, Error> {
        dispatch!(self, client => Offboarder::disable(client, account).await)
    }

    async fn revoke_sessions(&self, account: &Account) -> Result<StepReport, Error> {
        dispatch!(self, client => Offboarder::revoke_sessions(client, account).await)
    }

    async fn logout(&self, account: &Account) -> Result<StepReport, Error> {
        dispatch!(self, client => Offboarder::logout(client, account).await)
    }

    async fn remove_prerequisite(
        &self,
        account: &Account,
        step: &PlannedStep,
        context: &StepContext<'_>,
    ) -> Result<StepReport, Error> {
        dispatch!(self, client => {
            Offboarder::remove_prerequisite(client, account, step, context).await
        })
    }

    async fn delete_account(&self, account: &Account) -> Result<StepReport, Error> {
        dispatch!(self, client => Offboarder::delete_account(client, account).await)
    }

    async fn confirm_deleted(&self, account: &Account) -> Result<StepReport, Error> {
        dispatch!(self, client => Offboarder::confirm_deleted(client, account).await)
    }

    async fn is_disabled(&self, account: &Account) -> Result<Option<bool>, Error> {
        dispatch!(self, client => Offboarder::is_disabled(client, account).await)
    }

    async fn is_removed(
        &self,
        account: &Account,
        step: &PlannedStep,
    ) -> Result<Option<bool>, Error> {
        dispatch!(self, client => Offboarder::is_removed(client, account, step).await)
    }

    async fn is_deleted(&self, account: &Account) -> Result<Option<bool>, Error> {
        dispatch!(self, client => Offboarder::is_deleted(client, account).await)
    }

    async fn run_step(
        &self,
        account: &Account,
        step: &PlannedStep,
        context: &StepContext<'_>,
    ) -> Result<StepReport, Error> {
        Client::run_step(self, account, step, context).await
    }

    async fn step_done(
        &self,
        account: &Account,
        step: &PlannedStep,
    ) -> Result<Option<bool>, Error> {
        Client::step_done(self, account, step).await
    }
}
