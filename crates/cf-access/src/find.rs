//! Finding a person's Access user by email: the account's user listing, filtered by the
//! server, matched by the client.

use std::collections::HashSet;

use idp_core::reqwest::Method;
use idp_core::transport::check_uuid;
use idp_core::{
    Account, AccountStatus, Api, Error, ErrorKind, Lookup, ManagedBy, Response, UserQuery,
};
use serde_json::Value;

use crate::client::Client;
use crate::error::success_envelope;

/// Users asked for per page of a lookup.
pub const PAGE_SIZE: u32 = 50;

/// Pages read at most for one lookup (50,000 users sharing one `email` filter is not a
/// lookup any more, it is a server ignoring the filter).
const MAX_PAGES: u32 = 1000;

impl Client {
    /// The accounts matching `query`; see [`Offboarder::find_users`](idp_core::Offboarder).
    pub(crate) async fn find(&self, query: &UserQuery) -> Result<Vec<Account>, Error> {
        let UserQuery::Email(email) = query else {
            return Err(Error::invalid_input(
                "Cloudflare Access users have no username: an Access user is known by the \
                 email it signed in with (its `name` is a display name, neither unique nor a \
                 login); look the person up by email",
            ));
        };
        let mut candidates = Vec::new();
        let mut seen = HashSet::new();
        for page in 1..=MAX_PAGES {
            let url = self.users_query(&[
                ("email", email),
                ("page", &page.to_string()),
                ("per_page", &PAGE_SIZE.to_string()),
            ]);
            let users = self
                .call("find_users", Method::GET, &url, None, page_of_users)
                .await?
                .value;
            // The SDKs page until an empty `result`; `result_info` totals are not confirmed
            // for this endpoint and never read.
            if users.is_empty() {
                return Ok(matching(query, candidates));
            }
            let before = seen.len();
            seen.extend(users.iter().map(|user| user.user_id.clone()));
            if seen.len() == before {
                return Err(Error::protocol(format!(
                    "Cloudflare's page {page} of users listed only users of earlier pages: \
                     the listing does not advance (is `page` ignored on the way?), so the \
                     lookup cannot be completed"
                )));
            }
            candidates.extend(users);
        }
        Err(Error::protocol(format!(
            "Cloudflare listed more than {MAX_PAGES} pages of users for one email: the \
             `email` filter is not applied, so the lookup is not completed"
        )))
    }
}

// CORE-CANDIDATE: `Lookup::into_accounts`, for every vendor's `find_users`.
/// The accounts that match `query` by the client's rule (ASCII-case-insensitive equality on
/// `email`; the server may return partial matches), each user id once.
fn matching(query: &UserQuery, candidates: Vec<Account>) -> Vec<Account> {
    match Lookup::from_candidates(query, candidates) {
        Lookup::Found(account) => vec![account],
        Lookup::Absent => Vec::new(),
        Lookup::Ambiguous(accounts) => accounts,
    }
}

/// One page of the listing: the success envelope whose `result` is a list of user records.
fn page_of_users(api: &dyn Api, response: &Response) -> Result<Vec<Account>, Error> {
    let envelope = success_envelope(api, response)?;
    let Some(Value::Array(records)) = envelope.result else {
        return Err(response.error(
            ErrorKind::Protocol,
            format!(
                "the user listing's result is not a list: {}",
                response.describe_body()
            ),
        ));
    };
    records
        .into_iter()
        .map(|record| {
            account(record).ok_or_else(|| {
                response.error(
                    ErrorKind::Protocol,
                    "the user listing holds a record without a UUID `id`, so its users \
                     cannot be told apart",
                )
            })
        })
        .collect()
}

/// An Access user record (`id`, `email`, `name`, seats, …) as an [`Account`]; `None` when it
/// has no UUID `id`.
///
/// Access has no account state (seats are licences, not sign-in rights), so the status is
/// [`AccountStatus::Unknown`]; every Access user is made by a sign-in through the identity
/// provider (or its SCIM), which brings it back while the person can still sign in there,
/// so it is [`ManagedBy::Directory`].
fn account(record: Value) -> Option<Account> {
    let id = record.get("id")?.as_str()?.to_owned();
    check_uuid("id", &id).ok()?;
    let text = |key: &str| record.get(key).and_then(Value::as_str).map(str::to_owned);
    Some(Account {
        user_id: id,
        email: text("email"),
        username: None,
        display_name: text("name"),
        status: AccountStatus::Unknown,
        managed_by: ManagedBy::Directory,
        vendor: record,
    })
}
