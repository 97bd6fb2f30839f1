//! Finding a person's accounts by email or username.
//!
//! CloudSSO filters users only by `UserName` (`Filter=UserName eq <value>`, case-insensitive
//! on the server), so:
//! - a username query sends that filter and compares `UserName`;
//! - an email query sends the filter with the email first (a directory whose user names are
//!   emails answers it at once) and compares `Email`; when no user's `Email` matches, it pages
//!   the whole directory (`MaxResults=100`, `NextToken`) and compares `Email`. That listing is
//!   fetched at most once per client per [`DIRECTORY_MAX_AGE`] and shared by every query, so
//!   finding P people in a directory of U users costs at most ⌈U/100⌉ + P calls.
//!
//! Matching is the client's ([`idp_core::Lookup::from_candidates`]): ASCII-case-insensitive
//! equality, each user id once; partial server matches are dropped, duplicates are all
//! returned so the caller sees an ambiguous result.

use std::sync::Arc;
use std::time::Duration;

use idp_core::{Account, Error, Lookup, Response, UserQuery};
use serde_json::Value;

use crate::VENDOR;
use crate::client::{Cached, Client};
use crate::model::User;
use crate::rpc::LIST_USERS;

/// How long a listing of the whole directory is reused (on the transport's clock).
pub const DIRECTORY_MAX_AGE: Duration = Duration::from_secs(10 * 60);

fn account(item: Value, response: &Response) -> Result<Account, Error> {
    let (user, raw) = User::from_item(item, response)?;
    Ok(user.into_account(raw))
}

impl Client {
    /// The accounts matching `query`: none, one, or several (ambiguous: all are returned,
    /// none is picked).
    ///
    /// A username query sends `ListUsers` with `Filter=UserName eq <username>` and compares
    /// `UserName`. An email query sends the same filter with the email and compares `Email`;
    /// when no user's `Email` matches, it pages the whole directory (`MaxResults=100`,
    /// `NextToken`), listed at most once per client per [`DIRECTORY_MAX_AGE`] and shared by
    /// every query: P people in a directory of U users cost at most ⌈U/100⌉ + P calls.
    /// Matching is ASCII-case-insensitive equality, each user id once.
    ///
    /// The query is checked by [`UserQuery`]'s rules before anything is sent (an
    /// [`ErrorKind::InvalidInput`](idp_core::ErrorKind::InvalidInput) error otherwise).
    pub async fn find_users(&self, query: &UserQuery) -> Result<Vec<Account>, Error> {
        // The variants are public: a query built without its constructor is checked here, so
        // an empty or wildcard value never reaches the server.
        match query {
            UserQuery::Email(value) => UserQuery::email(value),
            UserQuery::Username(value) => UserQuery::username(value),
        }
        .map_err(|e| e.with_vendor(VENDOR))?;
        let filter = format!("UserName eq {}", query.value());
        let (filtered, _) = self
            .list_all(
                LIST_USERS,
                &[("Filter", &filter)],
                Some("100"),
                "Users",
                account,
            )
            .await?;
        let found = matching(query, filtered);
        if !found.is_empty() || !query.is_email() {
            return Ok(found);
        }
        let directory = self.directory().await?;
        Ok(matching(query, directory.iter().cloned().collect()))
    }

    /// Every user of the directory, listed at most once per [`DIRECTORY_MAX_AGE`]. Concurrent
    /// callers wait for one listing instead of starting their own.
    async fn directory(&self) -> Result<Arc<Vec<Account>>, Error> {
        let mut cached = self.inner.directory.lock().await;
        let clock = self.inner.transport.clock();
        if let Some(listing) = cached.as_ref()
            && clock.now().saturating_duration_since(listing.at) < DIRECTORY_MAX_AGE
        {
            return Ok(Arc::clone(&listing.value));
        }
        let at = clock.now();
        let (users, _) = self
            .list_all(LIST_USERS, &[], Some("100"), "Users", account)
            .await
            .map_err(|e| e.with_vendor(VENDOR))?;
        let users = Arc::new(users);
        *cached = Some(Cached {
            at,
            value: Arc::clone(&users),
        });
        Ok(users)
    }
}

fn matching(query: &UserQuery, candidates: Vec<Account>) -> Vec<Account> {
    Lookup::from_candidates(query, candidates)
        .accounts()
        .to_vec()
}
