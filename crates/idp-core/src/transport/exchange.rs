//! One attempt on the wire: send, refuse redirects, read the body up to the cap, all within
//! the attempt timeout; and connection failures described with their cause.

use std::time::Duration;

use bytes::BytesMut;
use url::Url;

use super::response::Response;
use crate::error::{Error, ErrorKind};

/// Sends `request` and reads its answer, within `timeout`, keeping at most `cap` body bytes.
pub(crate) async fn exchange(
    http: &reqwest::Client,
    request: reqwest::Request,
    timeout: Duration,
    cap: usize,
) -> Result<Response, Error> {
    match tokio::time::timeout(timeout, exchange_unbounded(http, request, cap)).await {
        Ok(result) => result,
        Err(_) => Err(Error::new(
            ErrorKind::Timeout,
            format!("no complete answer within {timeout:?}"),
        )),
    }
}

async fn exchange_unbounded(
    http: &reqwest::Client,
    request: reqwest::Request,
    cap: usize,
) -> Result<Response, Error> {
    let origin = request.url().origin();
    let mut response = http.execute(request).await.map_err(transport_error)?;
    let status = response.status().as_u16();
    if response.url().origin() != origin {
        return Err(Error::protocol(
            "the HTTP client followed a redirect to another origin; configure it with \
             redirect::Policy::none()",
        )
        .with_status(status));
    }
    if (300..400).contains(&status) {
        let target = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| Url::parse(v).ok())
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "the same host".to_owned());
        return Err(Error::protocol(format!(
            "redirect (to {target}) refused and not followed: check the base URL"
        ))
        .with_status(status));
    }
    let mut body = BytesMut::new();
    let mut truncated = false;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(e).with_status(status))?
    {
        let room = cap - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    let mut answer = Response::new(status, response.headers().clone(), body.freeze());
    answer.truncated = truncated;
    Ok(answer)
}

/// A connection-level failure, with its whole cause chain in the message: "could not connect:
/// tcp connect error: Connection refused (os error 111)", "… dns error: failed to lookup
/// address information …", "… invalid peer certificate: UnknownIssuer".
fn transport_error(e: reqwest::Error) -> Error {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Transport
    };
    let what = if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the answer"
    } else {
        "the request failed"
    };
    // Without the URL: a query string may hold signed credentials.
    let e = e.without_url();
    let chain = cause_chain(&e);
    let message = if chain.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {chain}")
    };
    Error::new(kind, message).with_source(e)
}

/// Every cause under `err`, joined with `: `, skipping repeats and hyper's uninformative
/// "client error (Connect)" wrapper.
pub(crate) fn cause_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cause = err.source();
    while let Some(current) = cause {
        let text = current.to_string();
        let noise = text.starts_with("client error (") || text.is_empty();
        if !noise && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = current.source();
    }
    parts.join(": ")
}
