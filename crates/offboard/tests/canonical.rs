#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Canonical JSON against RFC 8785's examples, and its properties on arbitrary values.

use idp_offboard::canonical::{canonical_json, digest};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// RFC 8785 §3.2.3: keys sort by UTF-16 code units, so the emoji (a surrogate pair starting
/// with 0xD83D) comes before U+FB33, although its UTF-8 bytes and code point come after.
#[test]
fn rfc_8785_sorting_example() {
    let input = r#"{
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\ud83d\ude00": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis"
    }"#;
    let value: Value = serde_json::from_str(input).unwrap();
    let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\
                    \"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\
                    \"\u{1f600}\":\"Emoji: Grinning Face\",\
                    \"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}";
    assert_eq!(canonical_json(&value), expected);
}

/// RFC 8785 §3.2.2 (and the bytes of §3.2.4): numbers, string escaping, literals, no
/// whitespace.
#[test]
fn rfc_8785_serialization_example() {
    let input = r#"{
        "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
        "literals": [null, true, false]
    }"#;
    let mut value: Value = serde_json::from_str(input).unwrap();
    // serde_json's default float parser (without its `float_roundtrip` feature) reads
    // 333333333.33333329 one unit in the last place high, as 333333333.33333337; Rust's
    // parser gets the double the RFC means.
    value["numbers"][0] = Value::from("333333333.33333329".parse::<f64>().unwrap());
    let expected = r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#;
    assert_eq!(canonical_json(&value), expected);
    // §3.2.4 gives the UTF-8 bytes; spot-check the non-ASCII start of the string.
    let bytes = canonical_json(&value).into_bytes();
    let at = bytes.windows(3).position(|w| w == [0xe2, 0x82, 0xac]);
    assert!(at.is_some(), "€ is written as its UTF-8 bytes, not escaped");
}

#[test]
fn integers_are_written_exactly_even_beyond_2_to_the_53() {
    let value = json!([0, -1, 9007199254740993_u64, u64::MAX, i64::MIN]);
    assert_eq!(
        canonical_json(&value),
        "[0,-1,9007199254740993,18446744073709551615,-9223372036854775808]"
    );
}

#[test]
fn nested_objects_are_sorted_at_every_level() {
    let value = json!({"b": {"z": 1, "a": [ {"y": 2, "x": 1} ]}, "a": null});
    assert_eq!(
        canonical_json(&value),
        r#"{"a":null,"b":{"a":[{"x":1,"y":2}],"z":1}}"#
    );
}

#[test]
fn digest_is_sha256_of_the_canonical_bytes() {
    assert_eq!(
        digest(&json!({})),
        "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    );
    // Key order and whitespace of the source do not matter.
    let spaced: Value = serde_json::from_str("{ \"b\" : [ 1 , 2 ] ,\n \"a\" : 1 }").unwrap();
    let compact: Value = serde_json::from_str(r#"{"a":1,"b":[1,2]}"#).unwrap();
    assert_eq!(digest(&spaced), digest(&compact));
    assert_ne!(digest(&json!({"a": 1})), digest(&json!({"a": 2})));
    assert_eq!(
        digest(&json!({"a": 1})),
        "sha256:015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"
    );
}

/// Values without floats: those read back from JSON as exactly what they were.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// JSON text for `value` with every object's members in the order `order` picks.
fn written_in_order(value: &Value, order: &mut impl FnMut(usize) -> Vec<usize>) -> String {
    match value {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(|v| written_in_order(v, order)).collect();
            format!("[ {} ]", items.join(" , "))
        }
        Value::Object(members) => {
            let members: Vec<(&String, &Value)> = members.iter().collect();
            let written: Vec<String> = order(members.len())
                .into_iter()
                .map(|i| {
                    let (key, value) = members[i];
                    format!(
                        "{} : {}",
                        serde_json::to_string(key).unwrap(),
                        written_in_order(value, order)
                    )
                })
                .collect();
            format!("{{ {} }}", written.join(",\n"))
        }
        other => serde_json::to_string(other).unwrap(),
    }
}

proptest! {
    #[test]
    fn output_reads_back_as_the_same_value(value in value()) {
        let text = canonical_json(&value);
        let back: Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, value);
    }

    #[test]
    fn canonicalising_twice_changes_nothing(value in value()) {
        let once = canonical_json(&value);
        let twice = canonical_json(&serde_json::from_str(&once).unwrap());
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn member_order_and_whitespace_of_the_source_do_not_matter(value in value(), seed in any::<u64>()) {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut shuffled = |len: usize| {
            let mut order: Vec<usize> = (0..len).collect();
            rng.shuffle(&mut order);
            order
        };
        let mut reversed = |len: usize| (0..len).rev().collect();
        let a: Value = serde_json::from_str(&written_in_order(&value, &mut shuffled)).unwrap();
        let b: Value = serde_json::from_str(&written_in_order(&value, &mut reversed)).unwrap();
        prop_assert_eq!(canonical_json(&a), canonical_json(&value));
        prop_assert_eq!(digest(&b), digest(&value));
    }

    /// An independent oracle for a flat object: keys sorted as UTF-16 code-unit vectors,
    /// each written by serde_json (whose escaping matches JCS), no whitespace.
    #[test]
    fn keys_are_in_utf16_order(keys in prop::collection::vec(any::<String>(), 0..12)) {
        let object: Map<String, Value> = keys.iter().map(|k| (k.clone(), Value::Null)).collect();
        let mut sorted: Vec<&String> = object.keys().collect();
        sorted.sort_by_key(|k| k.encode_utf16().collect::<Vec<u16>>());
        let members: Vec<String> = sorted
            .iter()
            .map(|k| format!("{}:null", serde_json::to_string(k).unwrap()))
            .collect();
        prop_assert_eq!(canonical_json(&Value::Object(object)), format!("{{{}}}", members.join(",")));
    }

    #[test]
    fn strings_are_escaped_as_jcs_requires(s in any::<String>()) {
        let written = canonical_json(&Value::String(s.clone()));
        prop_assert_eq!(&written, &serde_json::to_string(&s).unwrap());
        // Only the JCS escapes appear: no `\/`, no `\u` for anything but U+0000–U+001F.
        let inner = &written[1..written.len() - 1];
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('b' | 'f' | 'n' | 'r' | 't' | '"' | '\\') => {}
                    Some('u') => {
                        let hex: String = chars.by_ref().take(4).collect();
                        prop_assert!(hex.starts_with("00") && hex.chars().all(|h| h.is_ascii_digit() || ('a'..='f').contains(&h)), "{}", hex);
                        let code = u32::from_str_radix(&hex, 16).unwrap();
                        prop_assert!(code < 0x20 && !matches!(code, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d));
                    }
                    other => prop_assert!(false, "unexpected escape {:?}", other),
                }
            } else {
                prop_assert!(u32::from(c) >= 0x20, "raw control character U+{:04X}", u32::from(c));
            }
        }
    }
}
