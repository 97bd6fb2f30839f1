//! Cloudflare's API as the transport knows it, and the one place where its answers become
//! errors: [`CfAccessApi::parse_error`] maps every HTTP status and Cloudflare code onto
//! [`ErrorKind`], for every operation; [`success_envelope`] is the one success shape.

use std::fmt;
use std::time::Duration;

use idp_core::text::vendor_message;
use idp_core::{Api, Error, ErrorKind, Rate, Response};

use crate::VENDOR;
use crate::config::{ENV_ACCOUNT_ID, ENV_BASE_URL};
use crate::envelope::Envelope;

/// The response header Cloudflare identifies every request with; it becomes the request id of
/// errors and receipts.
pub const REQUEST_ID_HEADER: &str = "cf-ray";

/// Codes that mean the credentials were not accepted. 10000 "Authentication error" is seen
/// in the wild (also on HTTP 403, and also, reportedly, for a valid token that lacks the
/// permission). The others are not confirmed by Cloudflare's documentation: 9103 "Unknown
/// X-Auth-Key or X-Auth-Email", 9106/9107 "Missing X-Auth-Email/X-Auth-Key header",
/// 6102/6103/6111 "Invalid format for X-Auth-Email/X-Auth-Key/Authorization header" (nested
/// under 6003 "Invalid request headers").
const AUTH_CODES: [i64; 7] = [10000, 9103, 9106, 9107, 6102, 6103, 6111];

/// Codes that mean the URL did not lead to an endpoint: 7000 "No route for that URI", 7003
/// "Could not route to …, perhaps your object identifier is invalid?". Both are seen in the
/// wild. They say the base URL or the account id is wrong, not that the user is absent, so
/// they are never [`ErrorKind::NotFound`].
const ROUTE_CODES: [i64; 2] = [7000, 7003];

/// Cloudflare documents its codes as numbers of at least 1000.
const MIN_CODE: i64 = 1000;

/// Cloudflare's documented budget: 1,200 requests per five minutes per user (token or key).
const DOCUMENTED_REQUESTS: u32 = 1200;
const DOCUMENTED_WINDOW: Duration = Duration::from_secs(300);

/// The share of the documented budget a client paces to: the dashboard, Terraform and other
/// automations spend the same user's budget, and once it is spent every one of them gets 429
/// for five minutes.
const BUDGET_SHARE: f64 = 0.9;

/// The request budget a client paces to by default: 90 % of Cloudflare's 1,200 requests per
/// five minutes, that is 1,080 per 300 s.
pub(crate) fn default_rate() -> Option<Rate> {
    Rate::new(DOCUMENTED_REQUESTS, DOCUMENTED_WINDOW).map(|rate| rate.fraction(BUDGET_SHARE))
}

/// Cloudflare Zero Trust Access, as the transport needs to know it. (Bodies reach
/// `parse_error` with every configured credential already scrubbed by the transport, so the
/// envelope kept as an error's source never carries one a server echoed.)
pub(crate) struct CfAccessApi;

impl Api for CfAccessApi {
    idp_core::api_identity!(VENDOR, &[REQUEST_ID_HEADER]);

    /// Every Cloudflare answer that is not a success, first rule that applies:
    ///
    /// | answer | kind |
    /// |---|---|
    /// | an envelope with an auth code (10000, 9103, …) | `Unauthenticated` |
    /// | an envelope with a route code (7000, 7003) | `Protocol`, naming the account id and base URL variables |
    /// | 2xx: `success: false`, a status other than 200, or no envelope | `Protocol` (not confirmed) |
    /// | 404 with an envelope whose error (code ≥ 1000) says the *user* is not found | `NotFound` |
    /// | any other 404, any 410 | `Protocol`, naming the base URL and account id variables |
    /// | anything else | [`ErrorKind::from_status`] (429 `RateLimited`, 5xx `Server`, …) |
    fn parse_error(&self, response: &Response) -> Error {
        let status = response.status;
        let envelope = match serde_json::from_slice::<Envelope>(&response.body) {
            Ok(envelope) => envelope,
            Err(parse) => return not_an_envelope(response).with_source(parse),
        };
        let has = |set: &[i64]| envelope.codes().any(|code| set.contains(&code));
        let mut hint = None;
        let kind = if has(&AUTH_CODES) {
            ErrorKind::Unauthenticated
        } else if has(&ROUTE_CODES) {
            hint = Some(route_hint());
            ErrorKind::Protocol
        } else if response.is_success() && envelope.success {
            return response.unconfirmed_success(subject(response.operation));
        } else if response.is_success() {
            ErrorKind::Protocol
        } else if status == 404 && means_user_not_found(&envelope) {
            ErrorKind::NotFound
        } else if matches!(status, 404 | 410) {
            return with_envelope(
                response.unconfirmed_not_found(&base_url_hint()),
                envelope,
                status,
            );
        } else {
            ErrorKind::from_status(status)
        };
        let summary = vendor_message(&envelope.error_summary()).unwrap_or_else(|| {
            format!("Cloudflare answered HTTP {status} without an error message")
        });
        let mut message = if response.is_success() {
            format!("Cloudflare answered success: false: {summary}")
        } else {
            summary
        };
        if let Some(hint) = hint {
            message = format!("{message} ({hint})");
        }
        with_envelope(response.error(kind, message), envelope, status)
    }

    fn default_rate(&self) -> Option<Rate> {
        default_rate()
    }
}

/// The envelope of a successful answer: HTTP 200 **and** `success: true`. Anything else in
/// 2xx (another status, `success: false`, a body that is not an envelope) goes to
/// [`CfAccessApi::parse_error`] and is never taken as done.
pub(crate) fn success_envelope(api: &dyn Api, response: &Response) -> Result<Envelope, Error> {
    match serde_json::from_slice::<Envelope>(&response.body) {
        Ok(envelope) if response.status == 200 && envelope.success => Ok(envelope),
        _ => Err(api.parse_error(response)),
    }
}

/// Whether an envelope says that the *user* does not exist. Cloudflare's exact code for an
/// unknown Access user is not confirmed, so its meaning is read from the message: an error
/// with a Cloudflare code (≥ 1000) whose message has the word "user" and says "not found",
/// "does not exist" or "no such". A bare "Not Found" (a gateway's, or Cloudflare's for a
/// wrong path) is not enough, and neither is a path such as `/access/users` in a message.
fn means_user_not_found(envelope: &Envelope) -> bool {
    !envelope.success
        && envelope.errors.iter().any(|error| {
            let words = error
                .message
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|word| !word.is_empty())
                .map(str::to_ascii_lowercase)
                .collect::<Vec<_>>()
                .join(" ");
            let words = format!(" {words} ");
            let missing = [
                " not found ",
                " does not exist ",
                " doesn t exist ",
                " no such ",
            ]
            .iter()
            .any(|phrase| words.contains(phrase));
            error.code.is_some_and(|code| code >= MIN_CODE) && words.contains(" user ") && missing
        })
}

/// The error for an answer whose body is not a Cloudflare envelope (an edge HTML page, a
/// gateway's 404, a cut body).
fn not_an_envelope(response: &Response) -> Error {
    let status = response.status;
    if response.is_success() {
        response.unconfirmed_success(subject(response.operation))
    } else if matches!(status, 404 | 410) {
        response.unconfirmed_not_found(&base_url_hint())
    } else {
        response.error(
            ErrorKind::from_status(status),
            format!(
                "the answer is not a Cloudflare API envelope: {}",
                response.describe_body()
            ),
        )
    }
}

fn with_envelope(err: Error, envelope: Envelope, status: u16) -> Error {
    let err = match envelope.first_code() {
        Some(code) => err.with_code(code.to_string()),
        None => err,
    };
    err.with_source(ApiFailure { status, envelope })
}

/// What a wrong route (codes 7000, 7003) says to check.
fn route_hint() -> String {
    format!("check the account id ({ENV_ACCOUNT_ID}) and the base URL ({ENV_BASE_URL})")
}

/// What a 404 or 410 that is not Cloudflare's own "no such user" says to check.
fn base_url_hint() -> String {
    format!("the base URL ({ENV_BASE_URL}) and the account id ({ENV_ACCOUNT_ID})")
}

/// What a 2xx answer would have confirmed, by operation.
fn subject(operation: &str) -> &'static str {
    match operation {
        "delete_user" => "the delete",
        "revoke_sessions" => "the revocation",
        _ => "the answer",
    }
}

/// Everything Cloudflare said in an unsuccessful answer (with any credential a server echoed
/// removed). It is the [`source`](std::error::Error::source) of the [`Error`] when the
/// answer was an envelope, so a caller can read the documentation links and pointers:
///
/// ```
/// # fn show(err: &idp_core::Error) {
/// use std::error::Error as _;
/// if let Some(failure) = err.source().and_then(|s| s.downcast_ref::<idp_cf_access::ApiFailure>()) {
///     for e in &failure.envelope.errors {
///         eprintln!("{e} ({:?})", e.documentation_url);
///     }
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiFailure {
    /// The HTTP status of the answer.
    pub status: u16,
    /// The envelope, in full.
    pub envelope: Envelope,
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Cloudflare answered HTTP {} with success: {}",
            self.status, self.envelope.success
        )?;
        let summary = self.envelope.error_summary();
        if let Some(summary) = vendor_message(&summary) {
            write!(f, ": {summary}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiFailure {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use idp_core::reqwest::header::{HeaderMap, HeaderValue};
    use idp_core::test_util::PLAIN_STATUS_KINDS;

    fn api() -> CfAccessApi {
        CfAccessApi
    }

    fn answer(status: u16, body: &str) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert("cf-ray", HeaderValue::from_static("8a1b2c3d4e5f-LHR"));
        Response::new(status, headers, body.to_owned())
            .for_operation("delete_user", 1)
            .with_request_id_from(&[REQUEST_ID_HEADER])
    }

    fn envelope_with(code: i64) -> String {
        format!(
            r#"{{"success":false,"errors":[{{"code":{code},"message":"m{code}"}}],"messages":[],"result":null}}"#
        )
    }

    fn parse(response: &Response) -> Result<Envelope, Error> {
        success_envelope(&api(), response)
    }

    #[test]
    fn status_mapping() {
        // An error envelope with a code that says nothing more: the status decides, and
        // neither a 404 or 410 nor an error in a 200 is about a user.
        let not_about_a_user = [200, 404, 410, 418].map(|status| (status, ErrorKind::Protocol));
        let cases = PLAIN_STATUS_KINDS
            .into_iter()
            .chain([(405, ErrorKind::NotAllowed)])
            .chain(not_about_a_user);
        for (status, kind) in cases {
            let err = parse(&answer(status, &envelope_with(1000))).unwrap_err();
            assert_eq!(err.kind(), kind, "HTTP {status}");
            assert_eq!(err.status(), Some(status));
            assert_eq!(err.code(), Some("1000"));
        }
    }

    #[test]
    fn not_found_needs_the_envelope_and_a_user_not_found_meaning() {
        let user_not_found = [
            r#"{"success":false,"errors":[{"code":1001,"message":"User not found"}]}"#,
            r#"{"success":false,"errors":[{"code":1003,"message":"Access user not found"}]}"#,
            r#"{"success":false,"errors":[{"code":"12130","message":"access.api.error.user_does_not_exist: user does not exist"}]}"#,
        ];
        for body in user_not_found {
            let err = parse(&answer(404, body)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound, "{body}");
        }
        let not_a_user_answer = [
            r#"{"success":false,"errors":[{"code":1000,"message":"Not Found"}]}"#,
            r#"{"success":false,"errors":[{"code":1003,"message":"Invalid or missing account"}]}"#,
            r#"{"success":false,"errors":[{"message":"User not found"}]}"#,
            r#"{"success":false,"errors":[{"code":12,"message":"User not found"}]}"#,
            r#"{"success":false,"errors":[]}"#,
            r#"{"success":true,"errors":[{"code":1001,"message":"User not found"}]}"#,
            r#"{"success":false,"errors":[{"code":7003,"message":"Could not route to /accounts/x/access/users/y: user not found"}]}"#,
            r#"{"success":false,"errors":[{"code":1000,"message":"Route /access/users not found"}]}"#,
        ];
        for body in not_a_user_answer {
            let err = parse(&answer(404, body)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Protocol, "{body}");
            assert!(err.message().contains(ENV_BASE_URL), "{err}");
            assert!(err.message().contains(ENV_ACCOUNT_ID), "{err}");
        }
        // The right words on another status are not "absent" either.
        let body = user_not_found[0];
        for status in [400, 410] {
            let err = parse(&answer(status, body)).unwrap_err();
            assert_ne!(err.kind(), ErrorKind::NotFound, "HTTP {status}");
        }
    }

    #[test]
    fn codes_refine_the_status() {
        for status in [400, 401, 403, 404] {
            let err = parse(&answer(status, &envelope_with(10000))).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Unauthenticated, "HTTP {status}");
        }
        for (status, code) in [(400, 7003), (404, 7003), (400, 7000), (404, 7000)] {
            let err = parse(&answer(status, &envelope_with(code))).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Protocol, "HTTP {status} code {code}");
            assert!(err.message().contains("check the account id"), "{err}");
            assert!(err.message().contains(ENV_ACCOUNT_ID), "{err}");
            assert!(err.message().contains(ENV_BASE_URL), "{err}");
        }
    }

    #[test]
    fn success_needs_200_and_true() {
        let ok = r#"{"success":true,"errors":[],"messages":[],"result":{}}"#;
        assert!(parse(&answer(200, ok)).is_ok());
        for status in [201, 202, 203, 206, 207] {
            let err = parse(&answer(status, ok)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Protocol, "HTTP {status}");
            assert!(err.message().contains("not confirmed"), "{err}");
        }
        assert_eq!(
            parse(&answer(500, ok)).unwrap_err().kind(),
            ErrorKind::Server
        );
        let err = parse(&answer(200, r#"{"success":false,"errors":[]}"#)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol);
        assert!(err.message().contains("success: false"), "{err}");
    }

    #[test]
    fn non_envelopes_are_clean_errors() {
        for (status, body, kind, says) in [
            (200, "", ErrorKind::Protocol, "not confirmed"),
            (204, "", ErrorKind::Protocol, "not confirmed"),
            (
                200,
                r#"{"success":tr"#,
                ErrorKind::Protocol,
                "not confirmed",
            ),
            (200, "{}", ErrorKind::Protocol, "not confirmed"),
            (
                404,
                "<html>not here</html>",
                ErrorKind::Protocol,
                ENV_BASE_URL,
            ),
            (
                502,
                "<html>Bad gateway</html>",
                ErrorKind::Server,
                "not a Cloudflare API envelope",
            ),
            (
                403,
                "<html>Access denied | Cloudflare</html>",
                ErrorKind::PermissionDenied,
                "not a Cloudflare API envelope",
            ),
            (
                429,
                "",
                ErrorKind::RateLimited,
                "not a Cloudflare API envelope",
            ),
        ] {
            let err = parse(&answer(status, body)).unwrap_err();
            assert_eq!(err.kind(), kind, "HTTP {status} {body:?}");
            assert_eq!(err.code(), None);
            assert!(err.message().contains(says), "{err}");
        }
    }

    #[test]
    fn every_message_kept_first_code_wins() {
        let body = r#"{"success":false,"errors":[{"code":1003,"message":"Invalid or missing account"},{"code":1004,"message":"Second thing"}]}"#;
        let err = parse(&answer(400, body)).unwrap_err();
        assert_eq!(err.code(), Some("1003"));
        assert_eq!(
            err.message(),
            "Invalid or missing account (code 1003); Second thing (code 1004)"
        );
        let failure = std::error::Error::source(&err)
            .and_then(|s| s.downcast_ref::<ApiFailure>())
            .unwrap();
        assert_eq!(failure.envelope.errors.len(), 2);
        assert_eq!(failure.status, 400);
    }

    #[test]
    fn huge_messages_are_cut() {
        let long = "x".repeat(5000);
        let body = format!(r#"{{"success":false,"errors":[{{"code":1000,"message":"{long}"}}]}}"#);
        let err = parse(&answer(400, &body)).unwrap_err();
        assert!(err.message().chars().count() <= idp_core::text::MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn the_default_budget_leaves_a_tenth_to_others() {
        let rate = api().default_rate().unwrap();
        assert_eq!(rate, Rate::new(1080, Duration::from_secs(300)).unwrap());
    }
}

/// Property tests: the one error mapping never panics and never says "absent" or "done"
/// without Cloudflare's own words.
#[cfg(test)]
mod properties {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use idp_core::test_util::strategies::response;
    use proptest::prelude::*;

    /// Object keys: the envelope's, and a user record's.
    const KEYS: &[&str] = &[
        "success",
        "errors",
        "messages",
        "result",
        "code",
        "message",
        "error_chain",
        "documentation_url",
        "source",
        "pointer",
        "id",
        "email",
    ];

    const OPERATIONS: &[&str] = &[
        "delete_user",
        "revoke_sessions",
        "find_users",
        "get_user",
        "check_access",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn parse_error_never_panics_and_needs_cloudflare_words(
            response in response(KEYS, &[REQUEST_ID_HEADER], OPERATIONS),
        ) {
            let api = CfAccessApi;
            let err = api.parse_error(&response);
            prop_assert_eq!(err.status(), Some(response.status));
            let _ = format!("{err} {err:?}");
            let envelope = serde_json::from_slice::<Envelope>(&response.body).ok();
            if err.kind() == ErrorKind::NotFound {
                prop_assert_eq!(response.status, 404);
                prop_assert!(envelope.as_ref().is_some_and(means_user_not_found));
            }
            match success_envelope(&api, &response) {
                Ok(envelope) => {
                    prop_assert_eq!(response.status, 200);
                    prop_assert!(envelope.success);
                }
                Err(err) if response.is_success() => {
                    prop_assert_eq!(err.kind(), ErrorKind::Protocol);
                }
                Err(_) => {}
            }
        }

        #[test]
        fn user_not_found_envelopes_on_404_are_not_found(
            code in 1000i64..100_000,
            noun in prop::sample::select(&["User", "Access user", "user"][..]),
            phrase in prop::sample::select(&["not found", "does not exist"][..]),
        ) {
            let body = serde_json::json!({
                "success": false,
                "errors": [{"code": code, "message": format!("{noun} {phrase}")}],
            });
            let response = Response::new(404, Default::default(), body.to_string());
            let kind = CfAccessApi.parse_error(&response).kind();
            let expected = if AUTH_CODES.contains(&code) || ROUTE_CODES.contains(&code) {
                kind
            } else {
                ErrorKind::NotFound
            };
            prop_assert_eq!(kind, expected);
        }
    }
}
