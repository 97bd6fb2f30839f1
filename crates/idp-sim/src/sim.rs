//! [`Sim`]: a running simulator of one vendor, and the API every simulator shares.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::behaviour::Created;
use crate::error::SimError;
use crate::fault::Fault;
use crate::rate::{RatePolicy, RateUsage};
use crate::record::RecordedRequest;
use crate::server::{LOOPBACK, Server, bind};
use crate::vendor::Vendor;

/// A strict simulator of vendor `V`'s delete-user API, on loopback HTTP; dropping it stops
/// the server.
///
/// Use it through its aliases: [`RsaCasSim`](crate::RsaCasSim),
/// [`CfAccessSim`](crate::CfAccessSim), [`OneLoginSim`](crate::OneLoginSim),
/// [`AaControlRoomSim`](crate::AaControlRoomSim),
/// [`AlibabaCloudSsoSim`](crate::AlibabaCloudSsoSim). The methods here are the same for
/// every vendor; each alias's page lists what that vendor checks and its own methods
/// (credentials, user states, token expiry). [`Simulator`](crate::Simulator) offers the
/// same as a trait object.
pub struct Sim<V> {
    server: Server<V>,
    /// Files the vendor wrote (rsa-cas's key file): removed once the server is stopped.
    _files: Option<tempfile::TempDir>,
}

impl<V: Vendor> fmt::Debug for Sim<V> {
    // The vendor's Debug shows no credential.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sim")
            .field("addr", &self.server.addr())
            .field("base_url", &self.base_url())
            .field("vendor", self.server.vendor())
            .finish()
    }
}

impl<V: Vendor> Sim<V> {
    /// Starts on a free loopback port (inside a Tokio runtime), with fresh credentials and
    /// no users.
    pub async fn start() -> Result<Sim<V>, SimError> {
        Sim::start_on(LOOPBACK).await
    }

    /// Starts on `addr` (port 0 for a free one).
    pub async fn start_on(addr: SocketAddr) -> Result<Sim<V>, SimError> {
        Sim::launch(addr, V::create).await
    }

    /// Listens on `addr`, builds the vendor's state for the address it got, and serves it.
    pub(crate) async fn launch<F, Fut>(addr: SocketAddr, create: F) -> Result<Sim<V>, SimError>
    where
        F: FnOnce(SocketAddr) -> Fut,
        Fut: Future<Output = Created<V>>,
    {
        let (listener, local) = bind(addr).await?;
        let (vendor, files) = create(local).await?;
        Ok(Sim {
            server: Server::spawn(listener, local, vendor),
            _files: files,
        })
    }

    /// The vendor's state, for the vendor-specific methods.
    pub(crate) fn state(&self) -> &V {
        self.server.vendor()
    }

    /// The address the simulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The base URL a client is configured with.
    pub fn base_url(&self) -> String {
        self.state().base_url()
    }

    /// Exactly the environment variables the vendor's idp client crate (and the `idp` CLI)
    /// reads to talk to this simulator (each alias's page names them).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        self.state().env()
    }

    /// The same variables as [`Sim::env`], as a lookup function for the client crate's
    /// `Config::from_lookup` (no process environment is touched).
    pub fn lookup(&self) -> impl Fn(&str) -> Option<String> + Clone + Send + Sync + 'static {
        crate::util::lookup_in(self.env())
    }

    /// Seeds a deletable user and returns its id (see the alias's page for how ids are
    /// assigned).
    pub fn add_user(&self, id: &str) -> String {
        self.state().add_user(id)
    }

    /// Seeds `n` deletable users with generated ids and returns them.
    pub fn add_users(&self, n: usize) -> Vec<String> {
        (0..n).map(|_| self.state().new_user()).collect()
    }

    /// Seeds a person with `email` in the vendor's ordinary offboardable state (see the
    /// alias's page for what that is per vendor) and returns the account's id.
    pub fn add_person(&self, email: &str) -> String {
        self.state().add_person(email)
    }

    /// Whether the user exists (in any state).
    pub fn has_user(&self, id: &str) -> bool {
        self.state().has_user(id)
    }

    /// How many users exist (in any state).
    pub fn user_count(&self) -> usize {
        self.state().user_count()
    }

    /// Every request received so far, in order of arrival, with how it was answered.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.core().requests()
    }

    /// Forgets the requests received so far (counters such as [`Sim::deletes_received`]
    /// are kept).
    pub fn clear_requests(&self) {
        self.server.core().clear_requests()
    }

    /// How many delete requests arrived: attempts, whatever their outcome (faults and
    /// refusals included).
    pub fn deletes_received(&self) -> usize {
        self.server.core().deletes_received()
    }

    /// The next `times` requests of any kind (deletes, token requests, logins) get `fault`
    /// instead of normal handling. Queued after earlier `inject` calls.
    pub fn inject(&self, fault: Fault, times: usize) {
        self.server
            .core()
            .with_faults(|plan| plan.inject(fault, times))
    }

    /// The next `times` delete requests get `fault`; other requests are not affected.
    /// Applies when no `inject` fault is queued.
    pub fn inject_on_deletes(&self, fault: Fault, times: usize) {
        self.server
            .core()
            .with_faults(|plan| plan.inject_on_deletes(fault, times))
    }

    /// Every `every`-th delete request from now on (counting all deletes that arrive) gets
    /// `fault`, `times` times at most: "a fraction of requests".
    pub fn inject_every(&self, every: usize, fault: Fault, times: usize) {
        self.server
            .core()
            .with_faults(|plan| plan.inject_every(every, fault, times))
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        self.server.core().with_faults(|plan| plan.clear())
    }

    /// Whether every queued fault has been handed out.
    pub fn faults_exhausted(&self) -> bool {
        self.server.core().with_faults(|plan| plan.is_empty())
    }

    /// This vendor's own throttling answer, announcing a wait of `retry_after_secs` seconds
    /// (see the crate documentation for each vendor's shape).
    pub fn throttle(&self, retry_after_secs: u64) -> Fault {
        self.state().throttle(retry_after_secs)
    }

    /// How many requests arrived while a `Retry-After` window this simulator had announced
    /// was still open. Requests arriving within the grace period after the announcement
    /// (250 ms unless set by [`Sim::set_throttle_grace`]) are not counted: they may have
    /// been sent before the client could read the answer.
    pub fn requests_inside_throttle_window(&self) -> usize {
        self.server.core().with_throttle(|windows| windows.inside())
    }

    /// Every window announced so far: `(when the answer was sent, until when the client was
    /// asked to wait)`.
    pub fn throttle_windows(&self) -> Vec<(Instant, Instant)> {
        self.server
            .core()
            .with_throttle(|windows| windows.windows())
    }

    /// Sets the grace period of [`Sim::requests_inside_throttle_window`].
    pub fn set_throttle_grace(&self, grace: Duration) {
        self.server
            .core()
            .with_throttle(|windows| windows.set_grace(grace))
    }

    /// When on, a request arriving inside an announced window is answered with this
    /// vendor's throttling answer (for the rest of the window), as Cloudflare does during
    /// its five-minute block. Off by default.
    pub fn enforce_throttle_windows(&self, enforce: bool) {
        self.server
            .core()
            .with_throttle(|windows| windows.set_enforce(enforce))
    }

    /// Enforces `policy` on every request from now on (any endpoint), starting with nothing
    /// counted; replaces an earlier policy. Requests over the budget get this vendor's
    /// throttling answer. Off until called.
    pub fn set_rate_policy(&self, policy: RatePolicy) {
        self.server.core().set_rate_policy(Some(policy))
    }

    /// Stops enforcing a rate policy.
    pub fn clear_rate_policy(&self) {
        self.server.core().set_rate_policy(None)
    }

    /// How many requests a rate policy refused (answered with the throttling answer), over
    /// the simulator's life.
    pub fn rate_limited_count(&self) -> usize {
        self.server.core().rate_limited()
    }

    /// The current window's usage under the rate policy, if one is set.
    pub fn rate_usage(&self) -> Option<RateUsage> {
        self.server.core().rate_usage()
    }
}
