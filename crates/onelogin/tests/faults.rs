//! Faults on every call added for offboarding (find, read back, logout): a 429, a 503 and a
//! dropped connection are each retried, as on delete.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use idp_core::Presence;
use idp_core::test_util::fast_options;
use idp_onelogin::{ApiVersion, Client};
use serde_json::{Value, json};

fn faults() -> Vec<(&'static str, Answer)> {
    vec![
        (
            "429",
            Answer::Json(
                429,
                v1_status(429, "too many requests", json!("Rate limit exceeded")),
            ),
        ),
        (
            "503",
            Answer::Json(503, json!({"message": "Service Unavailable"})),
        ),
        ("dropped connection", Answer::Drop),
    ]
}

async fn with_fault(fault: Answer, success: Value, version: ApiVersion) -> (Scripted, Client) {
    let server = Scripted::start(vec![fault, Answer::Json(200, success)]).await;
    let client = Client::new(config(&server.base_url, version), fast_options()).unwrap();
    (server, client)
}

#[tokio::test]
async fn find_survives_each_fault() {
    for version in [ApiVersion::V1, ApiVersion::V2] {
        let page = match version {
            ApiVersion::V1 => v1_page(vec![user(5, "jane@example.com")], None),
            _ => json!([user(5, "jane@example.com")]),
        };
        for (name, fault) in faults() {
            let (server, client) = with_fault(fault, page.clone(), version).await;

            let found = client.find_users(&email("jane@example.com")).await.unwrap();

            assert_eq!(ids(&found), ["5"], "{version} {name}");
            assert_eq!(server.requests().len(), 2, "{version} {name}");
        }
    }
}

#[tokio::test]
async fn reading_a_user_back_survives_each_fault() {
    for version in [ApiVersion::V1, ApiVersion::V2] {
        let record = match version {
            ApiVersion::V1 => v1_record(user(5, "jane@example.com")),
            _ => user(5, "jane@example.com"),
        };
        for (name, fault) in faults() {
            let (server, client) = with_fault(fault, record.clone(), version).await;

            let (presence, receipt) = client.user_presence("5").await.unwrap();

            assert_eq!(presence, Presence::Present, "{version} {name}");
            assert_eq!(receipt.attempts, 2, "{version} {name}");
            assert_eq!(server.requests().len(), 2);
        }
    }
}

#[tokio::test]
async fn logout_survives_each_fault() {
    for (name, fault) in faults() {
        let (server, client) = with_fault(fault, v1_success(), ApiVersion::V2).await;

        let receipt = client.logout_user("5").await.unwrap();

        assert_eq!(receipt.attempts, 2, "{name}");
        assert_eq!(
            server.requests(),
            ["PUT /api/1/users/5/logout"; 2],
            "{name}"
        );
    }
}
