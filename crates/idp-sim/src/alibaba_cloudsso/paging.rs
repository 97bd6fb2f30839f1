//! CloudSSO's token paging: `MaxResults` (bounded per action) and an opaque `NextToken`, given
//! only while the listing is truncated. A token names the last record handed out, so records
//! added or removed between pages move nothing.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::auth::Call;
use super::reply::invalid;
use crate::answer::Answer;

/// The page a request asked for: how many, and after which record.
pub(super) struct PageRequest {
    max_results: usize,
    limit: usize,
    after: Option<u64>,
    listing: &'static str,
}

/// Reads `MaxResults` (`1..=max`, `default` when absent) and `NextToken` (one this listing
/// handed out) of `call`; `page_size` caps the page further.
pub(super) fn page_request(
    call: &Call,
    listing: &'static str,
    max: usize,
    default: usize,
    page_size: usize,
) -> Result<PageRequest, Answer> {
    let max_results = match call.get("MaxResults") {
        None => default,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => return Err(invalid("MaxResults")),
        },
    };
    let after = match call.get("NextToken") {
        None => None,
        Some(token) => Some(decode(listing, token).ok_or_else(|| invalid("NextToken"))?),
    };
    Ok(PageRequest {
        max_results,
        limit: max_results.min(page_size).max(1),
        after,
        listing,
    })
}

fn encode(listing: &str, seq: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{listing}:{seq}"))
}

fn decode(listing: &str, token: &str) -> Option<u64> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
    text.strip_prefix(listing)?.strip_prefix(':')?.parse().ok()
}

impl PageRequest {
    /// The page of `items` (in sequence order, all that match) as CloudSSO answers it, the
    /// list under `field`.
    pub(super) fn answer(&self, field: &str, items: impl Iterator<Item = (u64, Value)>) -> Value {
        let items: Vec<(u64, Value)> = items.collect();
        let total = items.len();
        let rest: Vec<&(u64, Value)> = items
            .iter()
            .filter(|(seq, _)| self.after.is_none_or(|after| *seq > after))
            .collect();
        let truncated = rest.len() > self.limit;
        let page: Vec<Value> = rest
            .iter()
            .take(self.limit)
            .map(|(_, v)| v.clone())
            .collect();
        let mut body = json!({
            field: page,
            "IsTruncated": truncated,
            "MaxResults": self.max_results,
            "TotalCounts": total,
        });
        if truncated && let Some((last, _)) = rest.get(self.limit - 1) {
            body["NextToken"] = json!(encode(self.listing, *last));
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_belong_to_their_listing() {
        let token = encode("users", 42);
        assert_eq!(decode("users", &token), Some(42));
        assert_eq!(decode("groups", &token), None);
        assert_eq!(decode("users", "not a token"), None);
    }
}
