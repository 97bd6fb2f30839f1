//! Properties over arbitrary answers (the shared strategy of `idp_core::test_util`): the
//! parsers never panic, `NotFound` comes only from OneLogin's own not-found answer, and
//! success only from the documented success shape.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use idp_core::reqwest::header::HeaderMap;
use idp_core::test_util::ManualClock;
use idp_core::test_util::strategies::{json, response};
use idp_core::{Api, ErrorKind, Response};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::body::Said;
use crate::config::ApiVersion;
use crate::error::{OneLoginApi, op};
use crate::{find, success};

const KEYS: &[&str] = &[
    "status",
    "error",
    "code",
    "type",
    "message",
    "attribute",
    "description",
    "name",
    "statusCode",
    "data",
    "id",
    "pagination",
    "after_cursor",
    "access_token",
    "expires_in",
];
const HEADERS: &[&str] = &[
    "x-request-id",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "after-cursor",
];
const OPERATIONS: &[&str] = &[op::TOKEN, op::DELETE, op::FIND, op::GET, op::LOGOUT];
const VERSIONS: [ApiVersion; 2] = [ApiVersion::V1, ApiVersion::V2];

fn api(version: ApiVersion) -> OneLoginApi {
    OneLoginApi::new(version, Arc::new(ManualClock::default()), Arc::default())
}

/// Bodies in OneLogin's own shapes, with messages near and far from "user not found".
fn onelogin_body() -> impl Strategy<Value = Vec<u8>> {
    let message = prop_oneof![
        Just(json!("User for id 5 was not found")),
        Just(json!("Not Found")),
        Just(json!("user not found")),
        Just(json!("Success")),
        json(KEYS),
    ];
    let code = prop_oneof![
        Just(json!(200)),
        Just(json!(404)),
        Just(json!(401)),
        json(KEYS)
    ];
    let v1 = (
        any::<Option<bool>>(),
        code.clone(),
        message.clone(),
        json(KEYS),
    )
        .prop_map(|(error, code, message, data)| {
            json!({"status": {"error": error, "code": code, "type": "x", "message": message},
                   "data": data})
        });
    let v2 = (code, message, proptest::option::of("[A-Za-z]{0,12}")).prop_map(
        |(code, message, name)| json!({"statusCode": code, "message": message, "name": name}),
    );
    prop_oneof![v1, v2].prop_map(|v| serde_json::to_vec(&v).unwrap())
}

fn any_answer() -> impl Strategy<Value = Response> {
    prop_oneof![
        response(KEYS, HEADERS, OPERATIONS),
        (
            100u16..600,
            onelogin_body(),
            proptest::sample::select(OPERATIONS)
        )
            .prop_map(|(status, body, operation)| {
                Response::new(status, HeaderMap::new(), body).for_operation(operation, 1)
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn not_found_is_only_onelogins_own_answer(response in any_answer()) {
        for version in VERSIONS {
            let err = api(version).parse_error(&response);
            prop_assert!(err.status().is_some());
            let _ = format!("{err} {err:?}");
            if err.kind() == ErrorKind::NotFound {
                prop_assert!([op::DELETE, op::GET, op::LOGOUT].contains(&response.operation));
                let shape = if response.operation == op::LOGOUT { ApiVersion::V1 } else { version };
                let said = Said::parse(&response.body);
                prop_assert!(said.is_some_and(|s| s.is_user_not_found(shape)), "{:?}", response);
            }
            if [404, 410].contains(&response.status) && !response.is_success() {
                prop_assert!(err.kind() == ErrorKind::NotFound || err.kind() == ErrorKind::Protocol
                    || err.kind() == ErrorKind::Config);
            }
        }
    }

    #[test]
    fn success_is_only_the_documented_shape(response in any_answer(), id in 1u64..10) {
        for version in VERSIONS {
            let api = api(version);
            let said = Said::parse(&response.body);
            let v1_ok = response.status == 200 && said.as_ref().is_some_and(Said::is_v1_success);
            if success::deleted(version, &response, &api).is_ok() {
                match version {
                    ApiVersion::V1 => prop_assert!(v1_ok),
                    ApiVersion::V2 => prop_assert_eq!(response.status, 204),
                }
            }
            if success::v1_done(&response, &api, "the logout").is_ok() {
                prop_assert!(v1_ok);
            }
            if success::user_record(version, id, &response, &api).is_ok() {
                let body: Value = serde_json::from_slice(&response.body).unwrap();
                let needle = format!("\"id\":{id}");
                prop_assert!(body.to_string().contains(&needle));
            }
            let _ = find::read_page(version, &response, &api);
        }
    }
}
