//! Turns an [`Answer`] into a hyper response: headers, and full, cut or streamed bodies.

use std::convert::Infallible;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

use crate::answer::{Answer, AnswerBody};

/// The error a cut response body ends with.
#[derive(Debug)]
pub(crate) struct Cut;

impl fmt::Display for Cut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("response body cut by the simulator")
    }
}

impl std::error::Error for Cut {}

/// A response body as the server sends it.
pub(crate) type Body = BoxBody<Bytes, Cut>;

/// The hyper response for `answer` (headers that are not valid HTTP are left out).
pub(crate) fn into_response(answer: Answer) -> hyper::Response<Body> {
    let status = hyper::StatusCode::from_u16(answer.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let mut headers = HeaderMap::new();
    for (name, value) in &answer.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    let body: Body = match answer.body {
        AnswerBody::Full(bytes) => Full::new(bytes)
            .map_err(|never: Infallible| match never {})
            .boxed(),
        AnswerBody::Truncated(full) => {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(full.len()));
            StreamBody::new(truncated_body(full)).boxed()
        }
        AnswerBody::Large(total) => {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(total));
            if !headers.contains_key(CONTENT_TYPE) {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            StreamBody::new(large_body(total)).boxed()
        }
    };
    let mut response = hyper::Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// The first half of `full`, then (after a pause that lets the headers and that half reach
/// the client) an error that makes hyper close the connection.
fn truncated_body(full: Bytes) -> impl futures_util::Stream<Item = Result<Frame<Bytes>, Cut>> {
    futures_util::stream::unfold(0u8, move |step| {
        let full = full.clone();
        async move {
            match step {
                0 => Some((Ok(Frame::data(full.slice(..full.len() / 2))), 1)),
                1 => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Some((Err(Cut), 2))
                }
                _ => None,
            }
        }
    })
}

/// `total` bytes of `{"message":"xxxx…`, in 64 KiB chunks.
fn large_body(total: u64) -> impl futures_util::Stream<Item = Result<Frame<Bytes>, Cut>> {
    const CHUNK: usize = 64 * 1024;
    let filler = Bytes::from(vec![b'x'; CHUNK]);
    let head = Bytes::from_static(br#"{"message":""#);
    futures_util::stream::unfold(0u64, move |sent| {
        let filler = filler.clone();
        let head = head.clone();
        async move {
            if sent >= total {
                return None;
            }
            let left = total - sent;
            let chunk = if sent == 0 { head } else { filler };
            let take = usize::try_from(left).unwrap_or(usize::MAX).min(chunk.len());
            let piece = chunk.slice(..take);
            Some((Ok(Frame::data(piece)), sent + take as u64))
        }
    })
}
