//! Writing a record as one journal line.

use serde::Serialize;
use serde_json::{Map, Value};

use super::error::JournalError;
use super::{CLOSING, MAX_LINE_BYTES};

/// The caller's record as a JSON object; anything else is refused.
pub(super) fn fields_of<T: Serialize + ?Sized>(
    record: &T,
) -> Result<Map<String, Value>, JournalError> {
    match serde_json::to_value(record).map_err(JournalError::Serialize)? {
        Value::Object(fields) => Ok(fields),
        other => Err(JournalError::NotAnObject {
            found: match other {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::String(_) => "a string",
                Value::Array(_) => "an array",
                Value::Object(_) => "an object",
            },
        }),
    }
}

/// The line for record `seq` (without its newline): `seq`, `prev`, for a closing record
/// `"type": "closing"`, then the caller's fields in the order the map holds them.
///
/// `serde_json` escapes every control character inside strings, so the line holds no
/// newline of its own.
pub(super) fn render(
    seq: u64,
    prev: &str,
    closing: bool,
    fields: &Map<String, Value>,
) -> Result<String, JournalError> {
    check_reserved(closing, fields)?;
    let mut line = format!("{{\"seq\":{seq},\"prev\":\"{prev}\"");
    if closing {
        line.push_str(",\"type\":\"");
        line.push_str(CLOSING);
        line.push('"');
    }
    for (key, value) in fields {
        line.push(',');
        line.push_str(&serde_json::to_string(key).map_err(JournalError::Serialize)?);
        line.push(':');
        line.push_str(&serde_json::to_string(value).map_err(JournalError::Serialize)?);
    }
    line.push('}');
    if line.len() > MAX_LINE_BYTES {
        return Err(JournalError::RecordTooLarge {
            len: line.len(),
            limit: MAX_LINE_BYTES,
        });
    }
    Ok(line)
}

fn check_reserved(closing: bool, fields: &Map<String, Value>) -> Result<(), JournalError> {
    let reserved = |field, why| Err(JournalError::ReservedField { field, why });
    if fields.contains_key("seq") {
        return reserved("seq", "the journal numbers its lines itself");
    }
    if fields.contains_key("prev") {
        return reserved("prev", "the journal chains its lines itself");
    }
    let type_is_closing = fields.get("type").and_then(Value::as_str) == Some(CLOSING);
    if closing && fields.contains_key("type") {
        return reserved("type", "the closing record's type is always \"closing\"");
    }
    if !closing && type_is_closing {
        return reserved(
            "type",
            "\"closing\" marks the end of a run; write it with Journal::close",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use serde_json::{Value, json};

    use super::{fields_of, render};
    use crate::journal::{GENESIS, JournalError, MAX_LINE_BYTES};

    fn fields(value: Value) -> serde_json::Map<String, Value> {
        fields_of(&value).unwrap()
    }

    #[test]
    fn seq_and_prev_come_first_then_the_callers_fields() {
        let line = render(1, GENESIS, false, &fields(json!({"user": "u1", "a": 1}))).unwrap();
        assert_eq!(
            line,
            format!(r#"{{"seq":1,"prev":"{GENESIS}","a":1,"user":"u1"}}"#)
        );
    }

    #[test]
    fn a_closing_record_says_so_after_prev() {
        let line = render(2, GENESIS, true, &fields(json!({"counts": {"deleted": 3}}))).unwrap();
        assert_eq!(
            line,
            format!(r#"{{"seq":2,"prev":"{GENESIS}","type":"closing","counts":{{"deleted":3}}}}"#)
        );
    }

    #[test]
    fn newlines_inside_values_never_reach_the_line() {
        let line = render(
            1,
            GENESIS,
            false,
            &fields(json!({"note\n": "a\nb\r\u{2028}"})),
        )
        .unwrap();
        assert!(!line.contains('\n') && !line.contains('\r'));
    }

    #[test]
    fn only_objects_are_records() {
        for (value, found) in [
            (json!(null), "null"),
            (json!(true), "a boolean"),
            (json!(1), "a number"),
            (json!("x"), "a string"),
            (json!([1]), "an array"),
        ] {
            match fields_of(&value) {
                Err(JournalError::NotAnObject { found: f }) => assert_eq!(f, found),
                other => panic!("{value}: {other:?}"),
            }
        }
    }

    #[test]
    fn reserved_fields_are_refused() {
        for (closing, record, field) in [
            (false, json!({"seq": 5}), "seq"),
            (false, json!({"prev": "x"}), "prev"),
            (false, json!({"type": "closing"}), "type"),
            (true, json!({"type": "anything"}), "type"),
        ] {
            match render(1, GENESIS, closing, &fields(record.clone())) {
                Err(JournalError::ReservedField { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{record}: {other:?}"),
            }
        }
        // Any other type is the caller's business.
        assert!(render(1, GENESIS, false, &fields(json!({"type": "deleted"}))).is_ok());
    }

    #[test]
    fn a_line_over_the_limit_is_refused_before_it_is_written() {
        let big = "x".repeat(MAX_LINE_BYTES);
        match render(1, GENESIS, false, &fields(json!({ "big": big }))) {
            Err(JournalError::RecordTooLarge { len, limit }) => {
                assert!(len > limit);
                assert_eq!(limit, MAX_LINE_BYTES);
            }
            other => panic!("{other:?}"),
        }
    }
}
