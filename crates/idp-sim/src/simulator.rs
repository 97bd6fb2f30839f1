//! [`Simulator`]: the API every [`Sim`] shares, as an object-safe trait for code that runs
//! the same scenario against each vendor.

use std::net::SocketAddr;

use crate::fault::Fault;
use crate::rate::RatePolicy;
use crate::record::RecordedRequest;
use crate::sim::Sim;
use crate::vendor::Vendor;

/// What every simulator offers, for code that runs the same scenario against each vendor
/// (it is object safe: [`Sims::all`](crate::Sims::all) gives `&dyn Simulator`s).
///
/// Implemented once, for every [`Sim`]; each method is the inherent method of the same
/// name, so the trait need not be imported to call them on a `Sim`. `Sim::lookup` (the
/// variables of `env()` as a function for `Config::from_lookup`) is not here: for a
/// `dyn Simulator` use [`lookup_in`](crate::lookup_in).
pub trait Simulator: Send + Sync {
    /// The vendor name, as the client crates spell it (`"cf-access"`, `"onelogin"`, …).
    fn vendor(&self) -> &'static str;
    /// The address the simulator listens on.
    fn addr(&self) -> SocketAddr;
    /// The base URL a client is configured with.
    fn base_url(&self) -> String;
    /// The environment variables the vendor's client crate reads to talk to this simulator.
    fn env(&self) -> Vec<(&'static str, String)>;
    /// Seeds a deletable user and returns its id.
    fn add_user(&self, id: &str) -> String;
    /// Seeds `n` deletable users with generated ids and returns them.
    fn add_users(&self, n: usize) -> Vec<String>;
    /// Seeds a person with `email` in the vendor's ordinary offboardable state and returns
    /// the account's id.
    fn add_person(&self, email: &str) -> String;
    /// Whether the user exists.
    fn has_user(&self, id: &str) -> bool;
    /// How many users exist.
    fn user_count(&self) -> usize;
    /// Every request received so far, in order of arrival.
    fn requests(&self) -> Vec<RecordedRequest>;
    /// Forgets the requests received so far (counters are kept).
    fn clear_requests(&self);
    /// How many delete requests arrived (attempts, whatever their outcome).
    fn deletes_received(&self) -> usize;
    /// The next `times` requests of any kind get `fault`.
    fn inject(&self, fault: Fault, times: usize);
    /// The next `times` delete requests get `fault`.
    fn inject_on_deletes(&self, fault: Fault, times: usize);
    /// Every `every`-th delete request from now on gets `fault`, `times` times at most.
    fn inject_every(&self, every: usize, fault: Fault, times: usize);
    /// This vendor's own throttling answer, announcing a wait of `retry_after_secs`.
    fn throttle(&self, retry_after_secs: u64) -> Fault;
    /// How many requests arrived inside a `Retry-After` window this simulator announced.
    fn requests_inside_throttle_window(&self) -> usize;
    /// Enforces `policy` on every request from now on ([`Sim::set_rate_policy`]).
    fn set_rate_policy(&self, policy: RatePolicy);
    /// Stops enforcing a rate policy.
    fn clear_rate_policy(&self);
    /// How many requests a rate policy refused.
    fn rate_limited_count(&self) -> usize;
}

impl<V: Vendor> Simulator for Sim<V> {
    fn vendor(&self) -> &'static str {
        V::NAME
    }
    fn addr(&self) -> SocketAddr {
        Sim::addr(self)
    }
    fn base_url(&self) -> String {
        Sim::base_url(self)
    }
    fn env(&self) -> Vec<(&'static str, String)> {
        Sim::env(self)
    }
    fn add_user(&self, id: &str) -> String {
        Sim::add_user(self, id)
    }
    fn add_users(&self, n: usize) -> Vec<String> {
        Sim::add_users(self, n)
    }
    fn add_person(&self, email: &str) -> String {
        Sim::add_person(self, email)
    }
    fn has_user(&self, id: &str) -> bool {
        Sim::has_user(self, id)
    }
    fn user_count(&self) -> usize {
        Sim::user_count(self)
    }
    fn requests(&self) -> Vec<RecordedRequest> {
        Sim::requests(self)
    }
    fn clear_requests(&self) {
        Sim::clear_requests(self)
    }
    fn deletes_received(&self) -> usize {
        Sim::deletes_received(self)
    }
    fn inject(&self, fault: Fault, times: usize) {
        Sim::inject(self, fault, times)
    }
    fn inject_on_deletes(&self, fault: Fault, times: usize) {
        Sim::inject_on_deletes(self, fault, times)
    }
    fn inject_every(&self, every: usize, fault: Fault, times: usize) {
        Sim::inject_every(self, every, fault, times)
    }
    fn throttle(&self, retry_after_secs: u64) -> Fault {
        Sim::throttle(self, retry_after_secs)
    }
    fn requests_inside_throttle_window(&self) -> usize {
        Sim::requests_inside_throttle_window(self)
    }
    fn set_rate_policy(&self, policy: RatePolicy) {
        Sim::set_rate_policy(self, policy)
    }
    fn clear_rate_policy(&self) {
        Sim::clear_rate_policy(self)
    }
    fn rate_limited_count(&self) -> usize {
        Sim::rate_limited_count(self)
    }
}
