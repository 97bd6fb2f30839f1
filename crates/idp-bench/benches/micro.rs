//! Micro benchmarks: `cargo bench -p idp-bench`.
//!
//! Goals (issue 12): one Alibaba DeleteUser signature under 5 µs; parsing any vendor's
//! success or error body under 2 µs. Where a vendor crate keeps its parser private, the
//! benchmark parses the same body into the same serde shape through public API
//! (`idp::Response::json`), and says so in its name ("shape").

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{SystemTime, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use idp::reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use idp::{Error, ErrorKind, Response, TransportOptions, Vendor};
use idp_bench::fixtures::{self, Body};
use serde::Deserialize;
use serde_json::Value;

const ALIBABA_NONCE: &str = "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf";

/// Every parameter of a DeleteUser call, the STS token included (the longest signature).
fn alibaba_params<'a>(timestamp: &'a str, user_id: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("Action", "DeleteUser"),
        ("Version", idp::alibaba_cloudsso::API_VERSION),
        ("Format", "JSON"),
        ("AccessKeyId", fixtures::ALIBABA_ACCESS_KEY_ID),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", ALIBABA_NONCE),
        ("Timestamp", timestamp),
        ("DirectoryId", fixtures::ALIBABA_DIRECTORY_ID),
        ("UserId", user_id),
        ("SecurityToken", fixtures::ALIBABA_SECURITY_TOKEN),
    ]
}

fn signing(c: &mut Criterion) {
    use idp::alibaba_cloudsso::__signing as sign;
    let mut group = c.benchmark_group("sign");
    let timestamp = sign::timestamp(SystemTime::now());
    let params = alibaba_params(&timestamp, "u-00q8wbq42wiltcrk0001");
    group.bench_function(
        "alibaba-cloudsso DeleteUser V2 (HMAC-SHA1), all parameters",
        |b| {
            b.iter(|| {
                sign::sign_v2(
                    "POST",
                    black_box(&params),
                    fixtures::ALIBABA_ACCESS_KEY_SECRET,
                )
            })
        },
    );
    // V3 as the client sends DeleteUser: parameters in the query, an empty body, the x-acs-*
    // headers and an STS token.
    let query = [
        ("DirectoryId", fixtures::ALIBABA_DIRECTORY_ID),
        ("UserId", "u-00q8wbq42wiltcrk0001"),
    ];
    let headers = [
        ("host", "cloudsso.cn-shanghai.aliyuncs.com"),
        ("x-acs-action", "DeleteUser"),
        ("x-acs-version", "2021-05-15"),
        ("x-acs-date", timestamp.as_str()),
        ("x-acs-signature-nonce", "0123456789abcdef0123456789abcdef"),
        (
            "x-acs-content-sha256",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        ("x-acs-accesskey-id", fixtures::ALIBABA_ACCESS_KEY_ID),
        ("x-acs-security-token", fixtures::ALIBABA_SECURITY_TOKEN),
    ];
    group.bench_function(
        "alibaba-cloudsso DeleteUser V3 (ACS3-HMAC-SHA256), STS",
        |b| {
            b.iter(|| {
                sign::authorization_v3(
                    "POST",
                    "/",
                    black_box(&query),
                    black_box(&headers),
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                    fixtures::ALIBABA_ACCESS_KEY_ID,
                    fixtures::ALIBABA_ACCESS_KEY_SECRET,
                )
            })
        },
    );

    let pem = idp_bench::keys::generate_rsa_pem().expect("RSA key generation");
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).expect("RSA key");
    #[derive(serde::Serialize)]
    struct Claims<'a> {
        sub: &'a str,
        aud: &'a str,
        iat: u64,
        exp: u64,
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    group.bench_function("rsa-cas RS256 JWT (2048-bit key)", |b| {
        b.iter(|| {
            let claims = Claims {
                sub: fixtures::RSA_ACCESS_ID,
                aud: fixtures::RSA_ADMIN_API_URL,
                iat: black_box(now),
                exp: now + 3300,
            };
            jsonwebtoken::encode(
                &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
                &claims,
                &key,
            )
            .expect("sign")
        })
    });
    group.finish();
}

fn response(body: Body) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::new(body.status, headers, body.body)
}

/// idp-alibaba-cloudsso's private success shape.
#[derive(Deserialize)]
struct AlibabaSuccess {
    #[serde(rename = "RequestId")]
    request_id: Option<String>,
}

/// idp-onelogin's private v1 shape.
#[derive(Deserialize)]
struct OneLoginV1 {
    status: OneLoginStatus,
}

#[derive(Deserialize)]
struct OneLoginStatus {
    #[serde(default)]
    error: Option<bool>,
    #[serde(default)]
    code: Option<u16>,
    #[serde(default)]
    message: Option<Value>,
}

/// idp-aa-controlroom's private error shape.
#[derive(Deserialize)]
struct AaError {
    #[serde(default)]
    code: Option<Value>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    details: Option<Value>,
}

fn parsing(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");

    let ok = response(fixtures::ALIBABA_SUCCESS);
    group.bench_function("alibaba-cloudsso success (shape)", |b| {
        b.iter(|| {
            let parsed: AlibabaSuccess = black_box(&ok).json().expect("parse");
            parsed.request_id
        })
    });
    let err = response(fixtures::ALIBABA_ERROR);
    group.bench_function("alibaba-cloudsso error (parse_error)", |b| {
        use idp::Api as _;
        b.iter(|| idp::alibaba_cloudsso::CloudSsoApi.parse_error(black_box(&err)))
    });

    let ok = response(fixtures::CF_SUCCESS);
    group.bench_function("cf-access success (Envelope)", |b| {
        b.iter(|| {
            let envelope: idp::cf_access::Envelope = black_box(&ok).json().expect("parse");
            envelope.success
        })
    });
    let err = response(fixtures::CF_ERROR);
    group.bench_function("cf-access error (Envelope + summary)", |b| {
        b.iter(|| {
            let envelope: idp::cf_access::Envelope = black_box(&err).json().expect("parse");
            (envelope.first_code(), envelope.error_summary())
        })
    });

    let ok = response(fixtures::ONELOGIN_SUCCESS);
    group.bench_function("onelogin success (shape)", |b| {
        b.iter(|| {
            let parsed: OneLoginV1 = black_box(&ok).json().expect("parse");
            parsed.status.error
        })
    });
    let err = response(fixtures::ONELOGIN_ERROR);
    group.bench_function("onelogin error (shape + Error)", |b| {
        b.iter(|| {
            let parsed: OneLoginV1 = black_box(&err).json().expect("parse");
            let message = match parsed.status.message {
                Some(Value::String(text)) => text,
                _ => String::new(),
            };
            err.error(ErrorKind::NotFound, message)
                .with_status(parsed.status.code.unwrap_or(err.status))
        })
    });

    let ok = response(fixtures::AA_SUCCESS);
    group.bench_function(
        "aa-controlroom success (delete_user: status, request id)",
        |b| {
            b.iter(|| {
                let answer = black_box(&ok);
                (
                    answer.is_success(),
                    answer.header("x-request-id").map(str::to_owned),
                )
            })
        },
    );
    group.bench_function(
        "aa-controlroom success (delete_user_record: DeletedUser)",
        |b| {
            b.iter(|| {
                let user: idp::aa_controlroom::DeletedUser = black_box(&ok).json().expect("parse");
                user.id
            })
        },
    );
    let err = response(fixtures::AA_ERROR);
    group.bench_function("aa-controlroom error (shape + Error)", |b| {
        b.iter(|| {
            let parsed: AaError = black_box(&err).json().expect("parse");
            let mut error = err.error(ErrorKind::NotFound, parsed.message.unwrap_or_default());
            if let Some(Value::String(code)) = parsed.code {
                error = error.with_code(code);
            }
            error
        })
    });

    let ok = response(fixtures::RSA_SUCCESS);
    group.bench_function("rsa-cas success (status, request id)", |b| {
        b.iter(|| {
            let answer = black_box(&ok);
            (
                answer.is_success(),
                ["x-request-id", "x-correlation-id", "x-amzn-requestid"]
                    .iter()
                    .find_map(|name| answer.header(name)),
            )
        })
    });
    let err = response(fixtures::RSA_ERROR);
    group.bench_function("rsa-cas error (shape: Value twice + Error)", |b| {
        b.iter(|| {
            // The crate reads the body as a JSON value for the reason, then for the code.
            let reason: Value = black_box(&err).json().expect("parse");
            let code: Value = err.json().expect("parse");
            let message = reason["message"].as_str().unwrap_or_default();
            let mut error: Error = err.error(
                ErrorKind::Conflict,
                format!("user cannot be deleted: {message}"),
            );
            if let Some(code) = code["errorCode"].as_str() {
                error = error.with_code(code);
            }
            error
        })
    });
    group.finish();
}

fn requests(c: &mut Criterion) {
    use idp::alibaba_cloudsso::__signing as sign;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let _guard = runtime.enter();
    let dir = std::env::temp_dir();
    let mut group = c.benchmark_group("request");

    let vars = fixtures::config_vars(Vendor::CfAccess, "http://127.0.0.1:9", &dir);
    let lookup = |name: &str| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    };
    let client = idp::Client::from_lookup(Vendor::CfAccess, lookup, TransportOptions::default())
        .expect("client");
    let idp::Client::CfAccess(cf) = client else {
        unreachable!("a cf-access client")
    };
    let id = fixtures::user_id(Vendor::CfAccess, 42);
    group.bench_function("cf-access DELETE (URL, headers, build)", |b| {
        b.iter(|| {
            let url = cf.user_url(black_box(&id)).expect("url");
            let mut auth = HeaderValue::try_from(format!("Bearer {}", fixtures::CF_API_TOKEN))
                .expect("header");
            auth.set_sensitive(true);
            cf.transport()
                .http()
                .delete(url)
                .header(ACCEPT, HeaderValue::from_static("application/json"))
                .header(AUTHORIZATION, auth)
                .build()
                .expect("request")
        })
    });

    let http = idp::reqwest::Client::new();
    let endpoint = idp::url::Url::parse("http://127.0.0.1:9/alibaba/").expect("url");
    let user = fixtures::user_id(Vendor::AlibabaCloudSso, 42);
    group.bench_function(
        "alibaba-cloudsso DeleteUser V2 (timestamp, sign, form body, build)",
        |b| {
            b.iter(|| {
                let timestamp = sign::timestamp(SystemTime::now());
                let params = alibaba_params(&timestamp, black_box(&user));
                let signature = sign::sign_v2("POST", &params, fixtures::ALIBABA_ACCESS_KEY_SECRET);
                let mut body = sign::canonical_query(&params);
                body.push_str("&Signature=");
                body.push_str(&sign::percent_encode(&signature));
                http.post(endpoint.clone())
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(ACCEPT, "application/json")
                    .body(body)
                    .build()
                    .expect("request")
            })
        },
    );
    group.finish();
}

criterion_group!(benches, signing, parsing, requests);
criterion_main!(benches);
