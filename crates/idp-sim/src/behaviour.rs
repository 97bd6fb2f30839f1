//! What each vendor file implements: its routes, checks, answers and user store. The
//! server, the request log, faults, throttling and rate policies are shared; this is the
//! rest.
//!
//! The trait is public only so that the sealed [`Vendor`](crate::vendor::Vendor) can have
//! it as a supertrait; this module is private, so nothing outside the crate can name or
//! implement it.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;

use crate::answer::Answer;
use crate::error::SimError;
use crate::fault::Fault;
use crate::request::Request;

/// A vendor's state, built for a server listening on a given address, with the temporary
/// directory it wrote files into (removed when the simulator is dropped).
pub type Created<V> = Result<(V, Option<tempfile::TempDir>), SimError>;

/// One vendor's behaviour: routes, checks, user store.
pub trait Behaviour: fmt::Debug + Send + Sync + Sized + 'static {
    /// The vendor name, as the client crates spell it (`"cf-access"`, …).
    const NAME: &'static str;
    /// Builds the vendor's state (fresh credentials, no users) for a server on `local`.
    fn create(local: SocketAddr) -> impl Future<Output = Created<Self>> + Send;
    /// The URL a client is configured with.
    fn base_url(&self) -> String;
    /// The environment variables the vendor's client crate reads to use this simulator.
    fn env(&self) -> Vec<(&'static str, String)>;
    /// Whether this request is a delete (for counting and delete-only faults).
    fn is_delete(&self, request: &Request) -> bool;
    /// Sees every request as it arrives, before any fault (for per-endpoint counters).
    fn observe(&self, _request: &Request) {}
    /// The normal answer.
    fn handle(&self, request: &Request) -> Answer;
    /// Adds what every answer of this vendor carries (request-id headers), when missing.
    fn decorate(&self, answer: &mut Answer);
    /// This vendor's throttling answer.
    fn throttle(&self, retry_after_secs: u64) -> Fault;
    /// The body this vendor sends with `status` (used by [`Fault::Truncated`]).
    fn sample_body(&self, status: u16) -> (String, &'static str);
    /// Seeds a deletable user; returns its id.
    fn add_user(&self, id: &str) -> String;
    /// Seeds a deletable user with a generated id.
    fn new_user(&self) -> String;
    /// Seeds a person with `email` in the ordinary offboardable state; returns the id.
    fn add_person(&self, email: &str) -> String;
    /// Whether the user exists (in any state).
    fn has_user(&self, id: &str) -> bool;
    /// How many users exist (in any state).
    fn user_count(&self) -> usize;
}
