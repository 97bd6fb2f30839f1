//! The user list: its query (filters, `limit`, cursors, v2's `page`) and its pages, in id
//! order, with opaque cursors that point before or after a user id (so a page boundary
//! stays put when users are deleted between pages).

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use super::users::{Field, Filter, Users};

/// A page when the request names no `limit` ("up to 50 users per page").
const DEFAULT_LIMIT: usize = 50;
/// v1's largest page.
const V1_MAX_LIMIT: usize = 50;
/// v2's largest page ("limit (max 100)").
const V2_MAX_LIMIT: usize = 100;

/// Where a page starts: right after, or right before, a user id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cursor {
    After(u64),
    Before(u64),
}

impl Cursor {
    fn encode(self) -> String {
        let text = match self {
            Cursor::After(id) => format!("after:{id}"),
            Cursor::Before(id) => format!("before:{id}"),
        };
        BASE64.encode(text)
    }

    fn decode(text: &str) -> Option<Cursor> {
        let bytes = BASE64.decode(text.trim()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (direction, id) = text.split_once(':')?;
        let id = id.parse().ok()?;
        match direction {
            "after" => Some(Cursor::After(id)),
            "before" => Some(Cursor::Before(id)),
            _ => None,
        }
    }
}

/// A list request, read.
#[derive(Debug)]
pub(super) struct ListQuery {
    filters: Vec<Filter>,
    limit: Option<usize>,
    cursor: Option<Cursor>,
    /// v2's page number (from 1), when no cursor is given.
    page: Option<usize>,
    /// The parameters other than cursors, for v1's links.
    kept: Vec<(String, String)>,
}

impl ListQuery {
    /// Reads the query of a v1 (`v2` false) or v2 list request; `Err` is the message of a
    /// 400 (an unknown or repeated parameter, a bad number or cursor).
    pub(super) fn parse(v2: bool, query: Option<&str>) -> Result<ListQuery, String> {
        let mut list = ListQuery {
            filters: Vec::new(),
            limit: None,
            cursor: None,
            page: None,
            kept: Vec::new(),
        };
        let mut seen = HashSet::new();
        for (key, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let (key, value) = (key.into_owned(), value.into_owned());
            if !seen.insert(key.clone()) {
                return Err(format!("{key} is given more than once"));
            }
            let cursor_key = if v2 {
                key == "cursor"
            } else {
                key == "after_cursor" || key == "before_cursor"
            };
            if cursor_key {
                let cursor = Cursor::decode(&value).ok_or_else(|| format!("{key} is invalid"))?;
                if list.cursor.replace(cursor).is_some() {
                    return Err("only one cursor may be given".to_owned());
                }
                continue;
            }
            match (key.as_str(), Field::named(&key)) {
                (_, Some(field)) => {
                    // v1 reads a leading `!` as negation; v2 documents none.
                    let (negated, pattern) = match value.strip_prefix('!') {
                        Some(rest) if !v2 => (true, rest.to_owned()),
                        _ => (false, value.clone()),
                    };
                    list.filters.push(Filter {
                        field,
                        pattern,
                        negated,
                    });
                }
                ("limit", None) => list.limit = Some(positive(&key, &value)?),
                ("page", None) if v2 => list.page = Some(positive(&key, &value)?),
                _ => return Err(format!("{key} is not a parameter of this call")),
            }
            list.kept.push((key, value));
        }
        Ok(list)
    }
}

fn positive(key: &str, value: &str) -> Result<usize, String> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| *n >= 1 && value.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| format!("{key} must be a positive integer"))
}

/// One page of the list.
#[derive(Debug)]
pub(super) struct Listed {
    pub(super) records: Vec<Value>,
    /// The cursor of the previous page, when there is one.
    pub(super) before: Option<String>,
    /// The cursor of the next page, when there is one.
    pub(super) after: Option<String>,
    /// How many users the filters admit.
    pub(super) total: usize,
    /// The page size used.
    pub(super) size: usize,
    /// This page's number, counting from 1.
    pub(super) number: usize,
}

impl Listed {
    /// The next (`after`) or previous page's link in v1's envelope: the same query with
    /// `after_cursor` or `before_cursor`.
    pub(super) fn link(&self, base: &str, query: &ListQuery, after: bool) -> Option<String> {
        let (key, cursor) = if after {
            ("after_cursor", self.after.as_ref()?)
        } else {
            ("before_cursor", self.before.as_ref()?)
        };
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        pairs.extend_pairs(&query.kept);
        pairs.append_pair(key, cursor);
        Some(format!("{base}/api/1/users?{}", pairs.finish()))
    }
}

/// The page `query` asks for, at most `cap` users when a test set a page size.
pub(super) fn page(users: &Users, v2: bool, query: &ListQuery, cap: Option<usize>) -> Listed {
    let max = if v2 { V2_MAX_LIMIT } else { V1_MAX_LIMIT };
    let size = query
        .limit
        .unwrap_or(DEFAULT_LIMIT)
        .min(max)
        .min(cap.unwrap_or(usize::MAX))
        .max(1);
    let admitted: Vec<_> = users.admitted(&query.filters).collect();
    let start = match query.cursor {
        Some(Cursor::After(id)) => admitted.partition_point(|(other, _)| *other <= id),
        Some(Cursor::Before(id)) => admitted
            .partition_point(|(other, _)| *other < id)
            .saturating_sub(size),
        None => query.page.map_or(0, |page| (page - 1).saturating_mul(size)),
    };
    let shown = admitted.get(start..).unwrap_or_default();
    let shown = &shown[..shown.len().min(size)];
    let end = start + shown.len();
    let after = shown
        .last()
        .filter(|_| end < admitted.len())
        .map(|(id, _)| Cursor::After(*id).encode());
    let before = shown
        .first()
        .filter(|_| start > 0)
        .map(|(id, _)| Cursor::Before(*id).encode());
    Listed {
        records: shown.iter().map(|(id, user)| user.record(*id)).collect(),
        before,
        after,
        total: admitted.len(),
        size,
        number: start / size + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::super::users::User;
    use super::*;

    fn ids(listed: &Listed) -> Vec<u64> {
        listed
            .records
            .iter()
            .filter_map(|r| r["id"].as_u64())
            .collect()
    }

    #[test]
    fn cursors_walk_forward_and_back() {
        let mut users = Users::new(1);
        for n in 0..5 {
            users.insert("", User::person(&format!("u{n}@example.com")));
        }
        let query = |q: &str| ListQuery::parse(true, Some(q)).unwrap_or_else(|e| panic!("{e}"));
        let first = page(&users, true, &query("limit=2"), None);
        assert_eq!((ids(&first), first.before.is_none()), (vec![1, 2], true));
        let after = first.after.clone().unwrap_or_default();
        let second = page(
            &users,
            true,
            &query(&format!("limit=2&cursor={after}")),
            None,
        );
        assert_eq!((ids(&second), second.number), (vec![3, 4], 2));
        let back = second.before.clone().unwrap_or_default();
        let again = page(
            &users,
            true,
            &query(&format!("limit=2&cursor={back}")),
            None,
        );
        assert_eq!(ids(&again), [1, 2]);
        let last = page(&users, true, &query("limit=2&page=3"), None);
        assert_eq!((ids(&last), last.after.is_none()), (vec![5], true));
        // A user deleted between pages does not move the boundary.
        users.remove(3);
        let shifted = page(
            &users,
            true,
            &query(&format!("limit=2&cursor={after}")),
            None,
        );
        assert_eq!(ids(&shifted), [4, 5]);
        // The test's page size wins over `limit`; v1's pages hold 50 at most.
        assert_eq!(page(&users, true, &query("limit=100"), Some(1)).size, 1);
        let v1 = ListQuery::parse(false, Some("limit=100")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(page(&users, false, &v1, None).size, 50);
    }

    #[test]
    fn queries_are_read_strictly() {
        for (v2, bad) in [
            (false, "email=a&email=b"),
            (false, "cursor=x"),
            (true, "after_cursor=YWZ0ZXI6MQ=="),
            (false, "page=2"),
            (true, "limit=0"),
            (true, "limit=ten"),
            (true, "cursor=not-ours"),
            (true, "emial=a@b.c"),
        ] {
            assert!(ListQuery::parse(v2, Some(bad)).is_err(), "{v2} {bad}");
        }
        let v1 = ListQuery::parse(false, Some("email=!a%40b.c")).unwrap_or_else(|e| panic!("{e}"));
        assert!(v1.filters[0].negated);
        let v2 = ListQuery::parse(true, Some("email=!a%40b.c")).unwrap_or_else(|e| panic!("{e}"));
        assert!(!v2.filters[0].negated);
        assert_eq!(v2.filters[0].pattern, "!a@b.c");
    }
}
