//! Finding a person's OneLogin accounts by email or username.
//!
//! v1: `GET /api/1/users?email=E` answers the `{status, pagination, data: […]}` envelope; the
//! next page is asked for with `after_cursor=<pagination.after_cursor>`. v2: `GET
//! /api/2/users?email=E&limit=100` answers a bare array; the next page is asked for with
//! `cursor=<After-Cursor header>`. The server's filter only narrows the answer: matching is
//! the client's ([`UserQuery::matches_account`]).

use std::collections::HashSet;

use idp_core::url::Url;
use idp_core::{Account, Api, Error, ErrorKind, Lookup, Response, UserQuery};
use serde_json::Value;

use crate::VENDOR;
use crate::body::Said;
use crate::client::Client;
use crate::config::{ApiVersion, ENV_API_VERSION};
use crate::error::op;
use crate::user::account_from;

/// More pages than this for one exact query is a server that does not page as documented.
const MAX_PAGES: usize = 100;

/// v2's largest page ("limit (max 100)").
const V2_PAGE_SIZE: &str = "100";

/// One page of a user list: its accounts and the cursor of the next page.
pub(crate) struct Page {
    accounts: Vec<Account>,
    next: Option<String>,
}

impl Client {
    /// The accounts whose email (or username) equals `query`'s, ignoring ASCII case: none,
    /// one, or several (ambiguous: the caller decides, nothing is picked). Every page the
    /// server offers is read; an id listed twice is returned once.
    pub async fn find_users(&self, query: &UserQuery) -> Result<Vec<Account>, Error> {
        let version = self.api_version();
        let mut candidates = Vec::new();
        let mut cursors = HashSet::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let url = self.list_url(query, cursor.as_deref());
            let api = self.transport().api();
            let page = self
                .transport()
                .send(
                    op::FIND,
                    |_attempt| Ok(self.transport().http().get(url.clone())),
                    |response| read_page(version, response, api),
                )
                .await?
                .value;
            let last = page.accounts.is_empty();
            candidates.extend(page.accounts);
            match page.next {
                Some(next) if !last => {
                    if !cursors.insert(next.clone()) {
                        return Err(list_error(
                            "the user list offered the same page cursor twice",
                        ));
                    }
                    cursor = Some(next);
                }
                _ => return Ok(matching(query, candidates)),
            }
        }
        Err(list_error(&format!(
            "the user list went on for more than {MAX_PAGES} pages for one exact query"
        )))
    }

    fn list_url(&self, query: &UserQuery, cursor: Option<&str>) -> Url {
        let mut url = self.users_url();
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair(query.field(), query.value());
            match self.api_version() {
                ApiVersion::V1 => {
                    if let Some(cursor) = cursor {
                        pairs.append_pair("after_cursor", cursor);
                    }
                }
                ApiVersion::V2 => {
                    pairs.append_pair("limit", V2_PAGE_SIZE);
                    if let Some(cursor) = cursor {
                        pairs.append_pair("cursor", cursor);
                    }
                }
            }
        }
        url
    }
}

/// The matching accounts, each user id once.
fn matching(query: &UserQuery, candidates: Vec<Account>) -> Vec<Account> {
    match Lookup::from_candidates(query, candidates) {
        Lookup::Found(account) => vec![account],
        Lookup::Absent => Vec::new(),
        Lookup::Ambiguous(accounts) => accounts,
    }
}

fn list_error(message: &str) -> Error {
    Error::new(ErrorKind::Protocol, message)
        .with_vendor(VENDOR)
        .with_operation(op::FIND)
}

pub(crate) fn read_page(
    version: ApiVersion,
    response: &Response,
    api: &dyn Api,
) -> Result<Page, Error> {
    let said = Said::parse(&response.body);
    if said.as_ref().is_some_and(Said::is_error) {
        return Err(api.parse_error(response));
    }
    let (records, next) = match (version, serde_json::from_slice::<Value>(&response.body)) {
        (ApiVersion::V1, Ok(Value::Object(mut envelope)))
            if said.as_ref().is_some_and(Said::is_v1_success) =>
        {
            let next = envelope
                .get("pagination")
                .and_then(|p| p.get("after_cursor"))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned);
            match envelope.remove("data") {
                Some(Value::Array(records)) => (records, next),
                _ => return Err(not_a_list(version, response)),
            }
        }
        (ApiVersion::V2, Ok(Value::Array(records))) => {
            let next = response
                .header("after-cursor")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned);
            (records, next)
        }
        _ => return Err(not_a_list(version, response)),
    };
    let accounts = records
        .iter()
        .map(account_from)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.with_status(response.status))?;
    Ok(Page { accounts, next })
}

fn not_a_list(version: ApiVersion, response: &Response) -> Error {
    let shape = match version {
        ApiVersion::V1 => "the {status, pagination, data} envelope",
        ApiVersion::V2 => "a JSON array of users",
    };
    response.error(
        ErrorKind::Protocol,
        format!(
            "the user list answer is not API {version}'s {shape}: {}; check {ENV_API_VERSION}",
            response.describe_body()
        ),
    )
}
