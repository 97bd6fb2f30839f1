//! Finding a person's users: `POST …/usermanagement/users/list` with an `eq` filter, paged by
//! offset, falling back to a scan of every user when the Control Room refuses or ignores the
//! filter. Matching is always the client's.

use std::collections::HashSet;

use idp_core::reqwest::Method;
use idp_core::{Account, Error, ErrorKind, Response, UserQuery};
use serde_json::{Value, json};

use crate::account::{account, matches};
use crate::client::Client;

/// Users asked for per page of the user list.
pub const PAGE_LENGTH: u64 = 100;

/// The most pages read for one search (a million users): a Control Room that keeps answering
/// beyond that is not paging.
const MAX_PAGES: u64 = 10_000;

/// One page of the user list.
struct Page {
    accounts: Vec<Account>,
    /// `page.total`: every user.
    total: Option<u64>,
    /// `page.totalFilter`: the users the filter matched.
    total_filter: Option<u64>,
}

/// What a filtered search came to.
enum Search {
    /// The users the filter returned (to be matched by the client).
    Listed(Vec<Account>),
    /// The Control Room refused the filter (400) or ignored it (`totalFilter == total`, more
    /// users than one page): scan everyone instead.
    Unfiltered,
}

/// The users matching `query`: an email query filters on `email`, then on `username` (AD and
/// SSO usernames are often the email); a username query on `username`. Each match once.
pub(crate) async fn find_users(client: &Client, query: &UserQuery) -> Result<Vec<Account>, Error> {
    let fields: &[&str] = if query.is_email() {
        &["email", "username"]
    } else {
        &["username"]
    };
    let mut candidates = Vec::new();
    for field in fields {
        match search(client, field, query.value()).await? {
            Search::Listed(accounts) => candidates.extend(accounts),
            Search::Unfiltered => {
                tracing::debug!(
                    vendor = crate::VENDOR,
                    field,
                    "the user list's filter was refused or ignored; scanning every user"
                );
                candidates = list(client, None).await?.accounts;
                break;
            }
        }
    }
    let mut found: Vec<Account> = Vec::new();
    for candidate in candidates {
        if matches(query, &candidate) && !found.iter().any(|a| a.user_id == candidate.user_id) {
            found.push(candidate);
        }
    }
    Ok(found)
}

/// A one-user list: what a dry run with an explicit token checks.
pub(crate) async fn probe(client: &Client) -> Result<(), Error> {
    let body = json!({ "page": { "offset": 0, "length": 1 } });
    send_page(client, &body, false).await.map(|_| ())
}

async fn search(client: &Client, field: &str, value: &str) -> Result<Search, Error> {
    match list(client, Some((field, value))).await {
        Ok(listing) if listing.filter_ignored => Ok(Search::Unfiltered),
        Ok(listing) => Ok(Search::Listed(listing.accounts)),
        Err(err) if err.status() == Some(400) => Ok(Search::Unfiltered),
        Err(err) => Err(err),
    }
}

/// What one listing returned.
struct Listing {
    accounts: Vec<Account>,
    /// The first page of a filtered listing showed the filter ignored; the listing stopped
    /// there.
    filter_ignored: bool,
}

/// Every page of one listing, stopping after the first when a filter is ignored.
async fn list(client: &Client, filter: Option<(&str, &str)>) -> Result<Listing, Error> {
    let mut accounts: Vec<Account> = Vec::new();
    let mut seen = HashSet::new();
    let mut offset = 0u64;
    for page_number in 0..MAX_PAGES {
        let mut body = json!({ "page": { "offset": offset, "length": PAGE_LENGTH } });
        if let Some((field, value)) = filter {
            body["filter"] = json!({ "operator": "eq", "field": field, "value": value });
        }
        let page = send_page(client, &body, filter.is_some()).await?;
        if page_number == 0
            && filter.is_some()
            && page.total_filter.is_some()
            && page.total_filter == page.total
            && page.total > Some(page.accounts.len() as u64)
        {
            return Ok(Listing {
                accounts: Vec::new(),
                filter_ignored: true,
            });
        }
        let received = page.accounts.len() as u64;
        let fresh = page
            .accounts
            .into_iter()
            .filter(|a| seen.insert(a.user_id.clone()));
        let before = accounts.len();
        accounts.extend(fresh);
        if received == 0 {
            return Ok(Listing {
                accounts,
                filter_ignored: false,
            });
        }
        if accounts.len() == before {
            return Err(Error::protocol(format!(
                "the user list answered the same users again at offset {offset}: it does not \
                 page, so the search cannot be completed"
            ))
            .with_vendor(crate::VENDOR)
            .with_operation("list_users"));
        }
        offset += received;
        // Pages shorter than asked end the listing, unless the total says more are left (a
        // Control Room may cap the page length).
        let total = if filter.is_some() {
            page.total_filter
        } else {
            page.total
        };
        if received < PAGE_LENGTH && total.is_none_or(|total| offset >= total) {
            return Ok(Listing {
                accounts,
                filter_ignored: false,
            });
        }
    }
    Err(Error::protocol(format!(
        "the user list did not end after {MAX_PAGES} pages of {PAGE_LENGTH}"
    ))
    .with_vendor(crate::VENDOR)
    .with_operation("list_users"))
}

async fn send_page(client: &Client, body: &Value, filtered: bool) -> Result<Page, Error> {
    let url = client.endpoints().list();
    let body = Some(body.to_string());
    let sent = client
        .call("list_users", Method::POST, url, body, |response| {
            parse_page(response, filtered)
        })
        .await?;
    Ok(sent.value)
}

/// `{"page": {"offset", "total", "totalFilter"}, "list": [user, …]}`; every user needs a
/// positive integer `id`.
fn parse_page(response: &Response, filtered: bool) -> Result<Page, Error> {
    let what = if filtered {
        "the filtered user list"
    } else {
        "the user list"
    };
    let refuse = || response.unconfirmed_success(what);
    if response.status != 200 {
        return Err(refuse());
    }
    let mut body = response.json_object().ok_or_else(refuse)?;
    let Some(Value::Array(list)) = body.remove("list") else {
        return Err(refuse());
    };
    let accounts = list
        .into_iter()
        .map(|item| match item {
            Value::Object(record) => account(record),
            _ => None,
        })
        .collect::<Option<Vec<Account>>>()
        .ok_or_else(|| {
            response.error(
                ErrorKind::Protocol,
                format!("{what} holds a user without a positive integer id"),
            )
        })?;
    let page = body.get("page");
    let count = |key: &str| page.and_then(|p| p.get(key)).and_then(Value::as_u64);
    Ok(Page {
        accounts,
        total: count("total"),
        total_filter: count("totalFilter"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_core::reqwest::header::HeaderMap;

    fn page(status: u16, body: &'static str) -> Result<Page, Error> {
        parse_page(&Response::new(status, HeaderMap::new(), body), true)
    }

    #[test]
    fn pages_are_read_strictly() {
        let ok = page(
            200,
            r#"{"page":{"offset":0,"total":310,"totalFilter":2},"list":[{"id":1},{"id":2}]}"#,
        );
        let ok = ok.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ok.accounts.len(), 2);
        assert_eq!((ok.total, ok.total_filter), (Some(310), Some(2)));
        for (status, body) in [
            (200, "{}"),
            (200, r#"{"list":{}}"#),
            (200, r#"{"list":[{"id":"1"}]}"#),
            (200, r#"{"list":[7]}"#),
            (200, "<html>"),
            (204, ""),
            (202, r#"{"list":[]}"#),
        ] {
            let err = page(status, body).err();
            assert_eq!(
                err.map(|e| e.kind()),
                Some(ErrorKind::Protocol),
                "{status} {body}"
            );
        }
    }
}
