//! A server that quotes the request's JWT back in every error field it has (message, code,
//! request id, plain text, a web page, a success-looking body): no form of it may reach an
//! error's `Display` or `Debug`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::*;
use idp_core::{Error, Offboarder, PlannedStep, Step, StepContext, UserDeleter, UserQuery};
use serde_json::json;

/// Every form of `jwt` a server could quote.
fn forms(jwt: &str) -> Vec<String> {
    vec![
        jwt.to_owned(),
        format!("Bearer {jwt}"),
        STANDARD.encode(jwt),
        URL_SAFE_NO_PAD.encode(jwt),
    ]
}

/// The answer of one echoing server: `shape` picks the field(s) the JWT is quoted in.
fn echo(shape: usize, jwt: &str) -> Reply {
    let all = forms(jwt).join(" | ");
    let reply = match shape {
        0 => Reply::json(
            409,
            json!({"code": jwt, "description": format!("refused {all}")}).to_string(),
        ),
        1 => Reply::json(
            403,
            json!({"timestamp": 1, "status": 403, "error": jwt, "message": all, "path": "/"})
                .to_string(),
        ),
        2 => Reply::json(
            500,
            json!({"errorCode": STANDARD.encode(jwt), "message": all}).to_string(),
        ),
        3 => Reply::typed(
            400,
            "text/plain",
            format!("bad header Authorization: {all}"),
        ),
        4 => Reply::typed(404, "text/plain", format!("Authorization: Bearer {jwt}")),
        5 => Reply::typed(404, "text/html", format!("<html><pre>{all}</pre></html>")),
        6 => Reply::typed(200, "text/plain", format!("OK Bearer {jwt}")),
        _ => Reply::json(418, json!({"echo": all}).to_string()),
    };
    reply
        .header("x-request-id", jwt)
        .header("x-correlation-id", &format!("Bearer {jwt}"))
}

const SHAPES: usize = 8;

fn assert_clean(err: &Error, jwt: &str, what: &str) {
    let printed = format!("{err} || {err:?}");
    let signature = jwt.rsplit('.').next().unwrap();
    for form in forms(jwt).iter().map(String::as_str).chain([signature]) {
        assert!(
            !printed.contains(form),
            "{what}: a JWT form leaked: {printed}"
        );
    }
    // Not even a piece of the signature (a cut message would leave one).
    for piece in signature.as_bytes().chunks(24) {
        let piece = std::str::from_utf8(piece).unwrap();
        assert!(
            !printed.contains(piece),
            "{what}: part of the JWT leaked: {printed}"
        );
    }
    assert_no_key(&printed);
}

#[tokio::test]
async fn echoed_jwts_never_reach_an_error() {
    for shape in 0..SHAPES {
        let server =
            Server::handler(move |_, request| echo(shape, request.bearer().unwrap_or_default()))
                .await;
        let client = client(&server.api(), &manual_clock(), 0);
        let account = account(idp_core::AccountStatus::Enabled, "Enabled", false);
        let errors = [
            ("delete", client.delete_user(USER).await.err()),
            (
                "find",
                client
                    .find_users(&UserQuery::email(EMAIL).unwrap())
                    .await
                    .err(),
            ),
            ("check_access", client.check_access().await.err()),
            (
                "disable",
                client
                    .run_step(
                        &account,
                        &PlannedStep::on(Step::Disable, USER, None),
                        &StepContext::none(),
                    )
                    .await
                    .err(),
            ),
        ];
        let jwt = server
            .requests()
            .iter()
            .find_map(|r| r.bearer().map(str::to_owned))
            .expect("requests carried a JWT");
        for (what, err) in errors {
            let err = err.unwrap_or_else(|| panic!("shape {shape}: {what} succeeded"));
            assert_clean(&err, &jwt, &format!("shape {shape}, {what}"));
            assert!(err.request_id().is_none(), "{err:?}");
        }
    }
}
