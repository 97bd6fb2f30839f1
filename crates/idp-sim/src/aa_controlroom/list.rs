//! `POST …/usermanagement/users/list`: the request's `fields`, `filter`, `sort` and `page`,
//! checked as strictly as the rest, and the page answered.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Map, Value, json};

use super::error;
use super::users::{Store, Stored, record};
use crate::answer::Answer;

/// What the Control Room does with a list request's `filter` (the `email` field is NOT
/// CONFIRMED as a filter field; the client copes with each of these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AaFilterMode {
    /// Applied as written: `eq` is equality, ASCII case ignored.
    #[default]
    Honoured,
    /// Applied loosely: `eq` matches like `substring` (case ignored), so near misses come
    /// back — the client must compare the records itself.
    Loose,
    /// Refused: any filter gets 400 (`UM1150`), so the client must scan every user.
    Refused,
    /// Ignored: every user is listed and `totalFilter` equals `total`.
    Ignored,
}

/// The page length when a request names none (not documented).
const DEFAULT_LENGTH: u64 = 100;

fn invalid(message: &str) -> Answer {
    error(400, "UM1150", Value::Null, message)
}

/// A field a filter or a sort can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Username,
    Email,
    FirstName,
    LastName,
    Domain,
    Description,
    Disabled,
}

impl Field {
    fn parse(name: &str) -> Result<Field, Answer> {
        Ok(match name {
            "id" => Field::Id,
            "username" => Field::Username,
            "email" => Field::Email,
            "firstName" => Field::FirstName,
            "lastName" => Field::LastName,
            "domain" => Field::Domain,
            "description" => Field::Description,
            "disabled" => Field::Disabled,
            other => return Err(invalid(&format!("Field '{other}' cannot be used here"))),
        })
    }

    fn of<'a>(self, id: u64, stored: &'a Stored) -> Option<Cow<'a, str>> {
        let user = &stored.user;
        Some(match self {
            Field::Id => Cow::Owned(id.to_string()),
            Field::Username => Cow::Borrowed(user.username.as_str()),
            Field::Email => Cow::Borrowed(user.email.as_str()),
            Field::FirstName => Cow::Borrowed(user.first_name.as_str()),
            Field::LastName => Cow::Borrowed(user.last_name.as_str()),
            Field::Domain => Cow::Borrowed(user.domain.as_deref()?),
            Field::Description => Cow::Borrowed(user.description.as_str()),
            Field::Disabled => Cow::Borrowed(if user.disabled { "true" } else { "false" }),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Substring,
}

/// A filter as the Control Room's grammar has it.
#[derive(Debug)]
enum Filter {
    Compare { op: Op, field: Field, value: String },
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
}

impl Filter {
    /// `None` for operator `NONE`.
    fn parse(value: &Value) -> Result<Option<Filter>, Answer> {
        let Value::Object(map) = value else {
            return Err(invalid("filter must be an object"));
        };
        if let Some(other) = map
            .keys()
            .find(|k| !matches!(k.as_str(), "operator" | "field" | "value" | "operands"))
        {
            return Err(invalid(&format!("Unknown filter property '{other}'")));
        }
        let operator = map
            .get("operator")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("filter.operator is required"))?;
        let operands = || match map.get("operands") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|item| {
                    Filter::parse(item)?.ok_or_else(|| invalid("NONE cannot be an operand"))
                })
                .collect::<Result<Vec<Filter>, Answer>>(),
            _ => Err(invalid(&format!("{operator} needs operands"))),
        };
        let op = match operator.to_ascii_lowercase().as_str() {
            "none" => return Ok(None),
            "and" => return Ok(Some(Filter::And(operands()?))),
            "or" => return Ok(Some(Filter::Or(operands()?))),
            "not" => {
                let mut inner = operands()?;
                return match (inner.pop(), inner.is_empty()) {
                    (Some(only), true) => Ok(Some(Filter::Not(Box::new(only)))),
                    _ => Err(invalid("not takes exactly one operand")),
                };
            }
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "lt" => Op::Lt,
            "le" => Op::Le,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "substring" => Op::Substring,
            other => return Err(invalid(&format!("Unknown filter operator '{other}'"))),
        };
        let field = map
            .get("field")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("filter.field is required"))
            .and_then(Field::parse)?;
        let value = match map.get("value") {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::Bool(b)) => b.to_string(),
            _ => return Err(invalid("filter.value is required")),
        };
        Ok(Some(Filter::Compare { op, field, value }))
    }

    /// Whether user `id` passes; `loose` reads `eq` as `substring`. Text compares ignore
    /// ASCII case (NOT CONFIRMED: what the Control Room does with case is not documented).
    fn passes(&self, id: u64, stored: &Stored, loose: bool) -> bool {
        match self {
            Filter::And(all) => all.iter().all(|f| f.passes(id, stored, loose)),
            Filter::Or(any) => any.iter().any(|f| f.passes(id, stored, loose)),
            Filter::Not(inner) => !inner.passes(id, stored, loose),
            Filter::Compare { op, field, value } => {
                let Some(have) = field.of(id, stored) else {
                    return *op == Op::Ne;
                };
                let contains = || {
                    have.to_ascii_lowercase()
                        .contains(&value.to_ascii_lowercase())
                };
                match op {
                    Op::Eq if loose => contains(),
                    Op::Eq => have.eq_ignore_ascii_case(value),
                    Op::Ne => !have.eq_ignore_ascii_case(value),
                    Op::Substring => contains(),
                    Op::Lt => compare(*field, &have, value) == Ordering::Less,
                    Op::Le => compare(*field, &have, value) != Ordering::Greater,
                    Op::Gt => compare(*field, &have, value) == Ordering::Greater,
                    Op::Ge => compare(*field, &have, value) != Ordering::Less,
                }
            }
        }
    }
}

/// Ids as numbers, text without ASCII case.
fn compare(field: Field, have: &str, value: &str) -> Ordering {
    if field == Field::Id
        && let (Ok(a), Ok(b)) = (have.parse::<u64>(), value.parse::<u64>())
    {
        return a.cmp(&b);
    }
    have.to_ascii_lowercase().cmp(&value.to_ascii_lowercase())
}

/// One list request, read.
struct ListRequest {
    fields: Vec<String>,
    filter: Option<Filter>,
    sort: Vec<(Field, bool)>,
    offset: u64,
    length: u64,
}

fn read(body: &Map<String, Value>) -> Result<ListRequest, Answer> {
    if let Some(other) = body
        .keys()
        .find(|k| !matches!(k.as_str(), "fields" | "filter" | "sort" | "page"))
    {
        return Err(invalid(&format!("Unknown property '{other}'")));
    }
    let fields = match body.get("fields") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<String>>>()
            .ok_or_else(|| invalid("fields must be a list of field names"))?,
        Some(_) => return Err(invalid("fields must be a list of field names")),
    };
    let filter = match body.get("filter") {
        None | Some(Value::Null) => None,
        Some(filter) => Filter::parse(filter)?,
    };
    let sort = match body.get("sort") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(sort_key).collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid("sort must be a list")),
    };
    let (offset, length) = match body.get("page") {
        None | Some(Value::Null) => (0, DEFAULT_LENGTH),
        Some(Value::Object(page)) => {
            if let Some(other) = page
                .keys()
                .find(|k| !matches!(k.as_str(), "offset" | "length"))
            {
                return Err(invalid(&format!("Unknown page property '{other}'")));
            }
            let number = |name: &str, default: u64| match page.get(name) {
                None => Ok(default),
                Some(value) => value
                    .as_u64()
                    .ok_or_else(|| invalid(&format!("page.{name} must be a whole number"))),
            };
            let length = number("length", DEFAULT_LENGTH)?;
            if length == 0 {
                return Err(invalid("page.length must be at least 1"));
            }
            (number("offset", 0)?, length)
        }
        Some(_) => return Err(invalid("page must be an object")),
    };
    Ok(ListRequest {
        fields,
        filter,
        sort,
        offset,
        length,
    })
}

fn sort_key(item: &Value) -> Result<(Field, bool), Answer> {
    let field = item
        .get("field")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("sort.field is required"))
        .and_then(Field::parse)?;
    let descending = match item.get("direction").and_then(Value::as_str) {
        None => false,
        Some(d) if d.eq_ignore_ascii_case("asc") => false,
        Some(d) if d.eq_ignore_ascii_case("desc") => true,
        Some(other) => return Err(invalid(&format!("Unknown sort direction '{other}'"))),
    };
    Ok((field, descending))
}

/// The answer to a list request: `{"page": {"offset", "total", "totalFilter"}, "list"}`.
pub(super) fn list(store: &Store, body: &Map<String, Value>) -> Answer {
    let request = match read(body) {
        Ok(request) => request,
        Err(answer) => return answer,
    };
    let mode = store.filter_mode;
    if mode == AaFilterMode::Refused && request.filter.is_some() {
        return invalid("Filtering users is not supported by this Control Room");
    }
    let applied = match mode {
        AaFilterMode::Ignored => None,
        _ => request.filter.as_ref(),
    };
    let loose = mode == AaFilterMode::Loose;
    let mut matched: Vec<(u64, &Stored)> = store
        .users
        .iter()
        .filter(|(id, stored)| applied.is_none_or(|f| f.passes(*id, stored, loose)))
        .collect();
    if !request.sort.is_empty() {
        matched.sort_by(|(a_id, a), (b_id, b)| {
            request
                .sort
                .iter()
                .map(|(field, descending)| {
                    let order = compare(
                        *field,
                        &field.of(*a_id, a).unwrap_or_default(),
                        &field.of(*b_id, b).unwrap_or_default(),
                    );
                    if *descending { order.reverse() } else { order }
                })
                .find(|order| order.is_ne())
                .unwrap_or_else(|| a_id.cmp(b_id))
        });
    }
    let length = usize::try_from(request.length)
        .unwrap_or(usize::MAX)
        .min(store.page_size);
    let offset = usize::try_from(request.offset).unwrap_or(usize::MAX);
    let page: Vec<Value> = matched
        .iter()
        .skip(offset)
        .take(length)
        .map(|(id, stored)| project(record(*id, stored), &request.fields))
        .collect();
    Answer::json(
        200,
        &json!({
            "page": {
                "offset": request.offset,
                "total": store.len(),
                "totalFilter": matched.len(),
            },
            "list": page,
        }),
    )
}

/// The record with only the `fields` asked for (and its `id`); all of it when none are.
fn project(record: Value, fields: &[String]) -> Value {
    if fields.is_empty() {
        return record;
    }
    match record {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(key, _)| key == "id" || fields.iter().any(|f| f == key))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aa_controlroom::AaUser;

    fn store() -> Store {
        let mut store = Store::new(1);
        store.insert(AaUser::new("Jane.Doe@Example.com"));
        store.insert(AaUser::new("jane.doe@example.com.evil"));
        store.insert(AaUser::new("bob@example.com").disabled());
        store
    }

    fn ask(store: &Store, body: Value) -> (u16, Value) {
        let Value::Object(body) = body else {
            return (0, Value::Null);
        };
        let answer = list(store, &body);
        let json = match &answer.body {
            crate::answer::AnswerBody::Full(bytes) => {
                serde_json::from_slice(bytes).unwrap_or(Value::Null)
            }
            _ => Value::Null,
        };
        (answer.status, json)
    }

    fn ids(answer: &Value) -> Vec<u64> {
        answer["list"]
            .as_array()
            .map(|l| l.iter().filter_map(|u| u["id"].as_u64()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn the_filter_grammar_and_modes() {
        let mut store = store();
        let eq = json!({"filter": {"operator": "eq", "field": "email", "value": "JANE.DOE@example.com"}});
        let (status, answer) = ask(&store, eq.clone());
        assert_eq!((status, ids(&answer)), (200, vec![1]));
        assert_eq!(
            answer["page"],
            json!({"offset": 0, "total": 3, "totalFilter": 1})
        );

        let either = json!({"filter": {"operator": "or", "operands": [
            {"operator": "substring", "field": "email", "value": "evil"},
            {"operator": "eq", "field": "disabled", "value": true}]}});
        assert_eq!(ids(&ask(&store, either).1), vec![2, 3]);
        let not = json!({"filter": {"operator": "not", "operands": [
            {"operator": "eq", "field": "username", "value": "bob"}]}});
        assert_eq!(ids(&ask(&store, not).1), vec![1, 2]);
        let sorted = json!({"sort": [{"field": "id", "direction": "desc"}], "page": {"offset": 1, "length": 1}});
        assert_eq!(ids(&ask(&store, sorted).1), vec![2]);

        for bad in [
            json!({"filter": {"operator": "like", "field": "email", "value": "x"}}),
            json!({"filter": {"operator": "eq", "field": "password", "value": "x"}}),
            json!({"filter": {"operator": "and", "operands": []}}),
            json!({"page": {"offset": 0, "length": 0}}),
            json!({"page": {"offset": -1, "length": 10}}),
            json!({"query": "jane"}),
        ] {
            assert_eq!(ask(&store, bad.clone()).0, 400, "{bad}");
        }

        store.filter_mode = AaFilterMode::Loose;
        assert_eq!(ids(&ask(&store, eq.clone()).1), vec![1, 2]);
        store.filter_mode = AaFilterMode::Ignored;
        let (_, ignored) = ask(&store, eq.clone());
        assert_eq!(ids(&ignored), vec![1, 2, 3]);
        assert_eq!(ignored["page"]["totalFilter"], ignored["page"]["total"]);
        store.filter_mode = AaFilterMode::Refused;
        assert_eq!(ask(&store, eq).0, 400);
        assert_eq!(
            ask(&store, json!({"page": {"offset": 0, "length": 2}})).0,
            200
        );
    }

    #[test]
    fn pages_are_capped_and_fields_projected() {
        let mut store = store();
        store.page_size = 2;
        let (_, first) = ask(&store, json!({"page": {"offset": 0, "length": 100}}));
        assert_eq!(ids(&first), vec![1, 2]);
        let (_, rest) = ask(&store, json!({"page": {"offset": 2, "length": 100}}));
        assert_eq!(ids(&rest), vec![3]);
        let (_, slim) = ask(
            &store,
            json!({"fields": ["email"], "page": {"offset": 0, "length": 1}}),
        );
        assert_eq!(slim["list"][0].as_object().map(|m| m.len()), Some(2));
    }
}
