//! Canonical JSON (RFC 8785, the JSON Canonicalization Scheme) and the plan digest built on it.
//!
//! Two plans that mean the same thing get the same bytes, whatever the order of their keys or
//! the whitespace they were written with, so a digest of those bytes names the plan:
//!
//! - **Objects**: members sorted by key, comparing keys as sequences of UTF-16 code units (as
//!   RFC 8785 §3.2.3 requires; this differs from byte or code-point order once a key holds a
//!   character above U+FFFF, such as an emoji, next to one in U+E000–U+FFFF).
//! - **Whitespace**: none.
//! - **Strings**: `\b \f \n \r \t \" \\` as two-character escapes, the other control characters
//!   U+0000–U+001F as `\u00xx` with lowercase hex, everything else (`/`, DEL, non-ASCII) as is,
//!   in UTF-8. The escaper is our own rather than `serde_json`'s, so the output cannot change
//!   with a `serde_json` release; a test checks the two agree today.
//! - **Numbers**: integers (every `i64` and `u64`) are written exactly. Other numbers are
//!   written as ECMAScript's `Number.prototype.toString` writes a double, which is what RFC
//!   8785 §3.2.2.3 asks for (shortest round-trip digits, exponent from 1e21 up and below 1e-6,
//!   `-0` as `0`); the RFC's Appendix B vectors are tests. Plans hold no floats today; they
//!   are supported rather than refused so that the function has no error case.
//!
//! One departure from RFC 8785: it models every number as an IEEE 754 double, so an
//! implementation working on doubles writes an integer beyond ±2^53 rounded (2^53 + 1 as
//! `9007199254740992`). Here integers stay exact, so the output equals RFC 8785's for every
//! integer up to 2^53 in magnitude and is still deterministic beyond. Keep identifiers that
//! may exceed 2^53 in strings if other JCS implementations must reproduce a digest.
//!
//! `serde_json::Value` cannot hold NaN, an infinity, a lone surrogate or a duplicate key, so
//! the I-JSON checks that RFC 8785 asks of a parser are `serde_json`'s job, done before a
//! value reaches this module.
//!
//! ```
//! use idp_offboard::canonical::{canonical_json, digest};
//! use serde_json::json;
//!
//! let plan = json!({"vendor": "onelogin", "users": ["u1", "u2"], "dry_run": false});
//! assert_eq!(
//!     canonical_json(&plan),
//!     r#"{"dry_run":false,"users":["u1","u2"],"vendor":"onelogin"}"#
//! );
//! assert!(digest(&plan).starts_with("sha256:"));
//! ```

mod number;

use serde_json::{Map, Number, Value};

use crate::sha256::sha256_hex;

/// The RFC 8785 canonical form of `value` (see the module docs for the exact rules).
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

/// `"sha256:"` followed by the lowercase hex SHA-256 of [`canonical_json`]`(value)` in UTF-8.
pub fn digest(value: &Value) -> String {
    format!("sha256:{}", sha256_hex(canonical_json(value).as_bytes()))
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => write_number(out, number),
        Value::String(string) => write_string(out, string),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => write_object(out, members),
    }
}

fn write_object(out: &mut String, members: &Map<String, Value>) {
    let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
    sorted.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
    out.push('{');
    for (index, (key, value)) in sorted.into_iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_string(out, key);
        out.push(':');
        write_value(out, value);
    }
    out.push('}');
}

fn write_number(out: &mut String, number: &Number) {
    if let Some(integer) = number.as_i64() {
        out.push_str(&integer.to_string());
    } else if let Some(integer) = number.as_u64() {
        out.push_str(&integer.to_string());
    } else if let Some(float) = number.as_f64() {
        number::write_ecmascript(out, float);
    } else {
        // Only reachable with serde_json's `arbitrary_precision` feature, for a number that
        // does not fit a double; its own text is the most faithful thing left to write.
        out.push_str(&number.to_string());
    }
}

fn write_string(out: &mut String, string: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in string.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{00}'..='\u{1f}' => {
                let code = u32::from(c) as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[code >> 4]));
                out.push(char::from(HEX[code & 0x0f]));
            }
            _ => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::write_string;

    fn escaped(s: &str) -> String {
        let mut out = String::new();
        write_string(&mut out, s);
        out
    }

    #[test]
    fn short_escapes_control_characters_and_literals() {
        assert_eq!(escaped("\u{08}\u{0c}\n\r\t\"\\"), r#""\b\f\n\r\t\"\\""#);
        assert_eq!(
            escaped("\u{00}\u{01}\u{0b}\u{1f}"),
            r#""\u0000\u0001\u000b\u001f""#
        );
        // `/`, DEL and non-ASCII are not escaped.
        assert_eq!(escaped("/\u{7f}é€😀"), "\"/\u{7f}é€😀\"");
    }

    #[test]
    fn agrees_with_serde_json_on_every_ascii_character_and_a_few_others() {
        let mut characters: Vec<char> = (0u8..=0x7f).map(char::from).collect();
        characters.extend([
            '\u{80}', '\u{2028}', '\u{2029}', '\u{feff}', '\u{fffd}', '😀',
        ]);
        for c in characters {
            let s = c.to_string();
            assert_eq!(
                escaped(&s),
                serde_json::to_string(&s).unwrap_or_default(),
                "U+{:04X}",
                u32::from(c)
            );
        }
    }
}
