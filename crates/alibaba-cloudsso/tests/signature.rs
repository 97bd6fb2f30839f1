//! The signers against the independent verifiers in `common`: first the verifiers against
//! Alibaba's vectors (which validates them), then the signers against the verifiers on random
//! parameters and headers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::EMPTY_SHA256;
use idp_alibaba_cloudsso::__signing::{authorization_v3, canonical_query, percent_encode, sign_v2};
use proptest::prelude::*;

fn owned(params: &[(&str, &str)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn borrowed(params: &[(String, String)]) -> Vec<(&str, &str)> {
    params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

const V2_VECTOR: [(&str, &str); 8] = [
    ("AccessKeyId", "testid"),
    ("Action", "DescribeRegions"),
    ("Format", "XML"),
    ("SignatureMethod", "HMAC-SHA1"),
    ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
    ("SignatureVersion", "1.0"),
    ("Timestamp", "2016-02-23T12:46:24Z"),
    ("Version", "2014-05-26"),
];

#[test]
fn v2_documented_vector_reproduces_in_both() {
    assert_eq!(
        sign_v2("GET", &V2_VECTOR, "testsecret"),
        "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    );
    assert_eq!(
        common::expected_signature("GET", &owned(&V2_VECTOR), "testsecret"),
        "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    );
}

#[test]
fn v3_vectors_reproduce_in_the_verifier() {
    // A: Alibaba's published example.
    let headers = owned(&[
        ("host", "ecs.cn-shanghai.aliyuncs.com"),
        ("x-acs-action", "RunInstances"),
        ("x-acs-version", "2014-05-26"),
        ("x-acs-date", "2023-10-26T10:22:32Z"),
        ("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"),
        ("x-acs-content-sha256", EMPTY_SHA256),
    ]);
    let query = owned(&[
        (
            "ImageId",
            "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
        ),
        ("RegionId", "cn-shanghai"),
    ]);
    let a = common::expected_authorization(
        "POST",
        "/",
        &query,
        &headers,
        EMPTY_SHA256,
        "YourAccessKeyId",
        "YourAccessKeySecret",
    );
    assert!(
        a.ends_with("Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"),
        "{a}"
    );
    // B: the SDK's edge cases.
    let b = common::expected_authorization(
        "",
        "",
        &owned(&[("test", "ok"), ("empty", "")]),
        &owned(&[("x-acs-test", "http"), ("x-acs-TEST", "https")]),
        "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23",
        "acesskey",
        "secret",
    );
    assert_eq!(
        b,
        "ACS3-HMAC-SHA256 Credential=acesskey,SignedHeaders=x-acs-test,\
         Signature=4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3"
    );
    // And the signer agrees on both.
    assert_eq!(
        authorization_v3(
            "POST",
            "/",
            &borrowed(&query),
            &borrowed(&headers),
            EMPTY_SHA256,
            "YourAccessKeyId",
            "YourAccessKeySecret"
        ),
        a
    );
}

#[test]
fn special_characters_by_hand() {
    let params = owned(&[
        ("UserId", "a&b=c d*e~f+g/h%i"),
        ("Name", "ü中😀"),
        ("A b", "x"),
    ]);
    assert_eq!(
        canonical_query(&borrowed(&params)),
        "A%20b=x&Name=%C3%BC%E4%B8%AD%F0%9F%98%80&UserId=a%26b%3Dc%20d%2Ae~f%2Bg%2Fh%25i"
    );
    assert_eq!(
        sign_v2("POST", &borrowed(&params), "k"),
        common::expected_signature("POST", &params, "k")
    );
}

/// Characters the encoding must get right, plus ordinary ones.
fn tricky_text(max: usize) -> impl Strategy<Value = String> {
    let alphabet = prop::sample::select(vec![
        'a', 'Z', '0', '9', ' ', '*', '~', '&', '=', '+', '%', '/', '?', '#', '-', '_', '.', '!',
        '\'', '(', ')', ',', ';', ':', '@', '$', '"', '\\', 'é', 'ü', 'ß', '中', '文', '😀',
        '\u{7f}', '\u{a0}', '\u{2028}', '\t',
    ]);
    prop::collection::vec(alphabet, 0..=max).prop_map(|chars| chars.into_iter().collect())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        tricky_text(24),
        any::<String>(),
        "[A-Za-z][A-Za-z0-9.]{0,20}"
    ]
}

fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::btree_map(
        prop_oneof![tricky_text(12), any::<String>()]
            .prop_filter("non-empty name", |n| !n.is_empty() && n != "Signature"),
        any_text(),
        0..10,
    )
    .prop_map(|map: BTreeMap<String, String>| map.into_iter().collect::<Vec<_>>())
    .prop_shuffle()
}

/// Header names: the signed kinds in any case, and unsigned ones.
fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("host".to_owned()),
        Just("Content-Type".to_owned()),
        "[xX]-[aA][cC][sS]-[a-zA-Z0-9-]{1,12}",
        "[a-zA-Z][a-zA-Z0-9-]{0,12}",
        Just("authorization".to_owned()),
        Just("user-agent".to_owned()),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((header_name(), any_text()), 0..10)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn v3_signer_agrees_with_the_independent_verifier(
        query in params(),
        headers in headers(),
        method in prop::sample::select(vec!["GET", "POST", ""]),
        path in prop::sample::select(vec!["/", "", "/a+b*c%7E"]),
        body in any_text(),
        key_id in "[A-Za-z0-9.]{1,30}",
        secret in any_text(),
    ) {
        let payload = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body.as_bytes()));
        let signed = authorization_v3(
            method,
            path,
            &borrowed(&query),
            &borrowed(&headers),
            &payload,
            &key_id,
            &secret,
        );
        let expected =
            common::expected_authorization(method, path, &query, &headers, &payload, &key_id, &secret);
        prop_assert_eq!(signed, expected);
    }

    #[test]
    fn v2_signer_agrees_with_the_independent_verifier(
        params in params(),
        secret in any_text(),
        method in prop::sample::select(vec!["GET", "POST"]),
    ) {
        let signature = sign_v2(method, &borrowed(&params), &secret);
        prop_assert_eq!(&signature, &common::expected_signature(method, &params, &secret));
        let mut signed = params.clone();
        signed.push(("Signature".to_owned(), signature));
        prop_assert!(common::signature_ok(method, &signed, &secret));
    }

    #[test]
    fn encoding_matches_rfc3986_and_round_trips(text in any_text()) {
        let encoded = percent_encode(&text);
        prop_assert_eq!(&encoded, &common::rfc3986(&text));
        prop_assert_eq!(common::form_decode(&encoded), text);
    }

    #[test]
    fn canonical_query_carries_each_parameter_as_one_value(params in params()) {
        // What the client sends is the canonical query: decoding it gives back exactly the
        // parameters, each name and value whole, however many `&` and `=` they contain.
        let decoded = common::parse_pairs(&canonical_query(&borrowed(&params)));
        let mut expected = params.clone();
        expected.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        prop_assert_eq!(decoded, expected);
    }

    #[test]
    fn any_change_breaks_the_v2_signature(
        params in params().prop_filter("some parameter", |p| !p.is_empty()),
        secret in any_text(),
        extra in "[a-z]{1,3}",
        index in any::<prop::sample::Index>(),
    ) {
        let mut signed = params.clone();
        signed.push(("Signature".to_owned(), sign_v2("POST", &borrowed(&params), &secret)));
        let i = index.index(params.len());
        signed[i].1.push_str(&extra);
        prop_assert!(!common::signature_ok("POST", &signed, &secret));
    }
}
