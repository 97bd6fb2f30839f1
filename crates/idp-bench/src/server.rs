//! The fast loopback server: answers every vendor's delete (and token or login) with a fixed
//! success body, as fast as hyper can, and checks nothing else. The strict simulator is for
//! correctness; this one is for measuring the client.
//!
//! One server serves all five vendors, each under its own path prefix
//! ([`crate::fixtures::path_prefix`]). It binds loopback addresses only.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::fixtures::{
    AA_LOGIN_BODY, ALIBABA_SUCCESS, CF_SUCCESS, ONELOGIN_SUCCESS, ONELOGIN_TOKEN_BODY, RSA_SUCCESS,
};

/// Requests served so far.
#[derive(Debug, Default)]
pub struct Stats {
    /// Every request answered.
    pub requests: AtomicU64,
    /// Requests no route matched (answered 404): a benchmark client sending these is broken.
    pub unmatched: AtomicU64,
}

/// A running in-process server (for tests and in-process benchmarks).
#[derive(Debug)]
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its counters.
    pub stats: Arc<Stats>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `addr`, which must be a loopback address (`127.0.0.1:0` for any free port).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    if !addr.ip().is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("the benchmark server binds loopback addresses only, not {addr}"),
        ));
    }
    TcpListener::bind(addr).await
}

/// Starts a server on a free loopback port in the current tokio runtime.
pub async fn spawn() -> std::io::Result<Running> {
    let listener = bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = listener.local_addr()?;
    let stats = Arc::new(Stats::default());
    let task = tokio::spawn(serve(listener, Arc::clone(&stats)));
    Ok(Running { addr, stats, task })
}

/// Accepts connections forever (HTTP/1.1, keep-alive), one task per connection.
pub async fn serve(listener: TcpListener, stats: Arc<Stats>) {
    loop {
        let Ok((stream, _peer)) = listener.accept().await else {
            // Out of file descriptors or similar: let the clients' retries see it.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let stats = Arc::clone(&stats);
        tokio::spawn(async move {
            let service = service_fn(move |request| answer(request, Arc::clone(&stats)));
            // A client closing its connection mid-request is not our problem.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// A fixed answer.
struct Answer {
    status: u16,
    body: &'static str,
    /// A request-id header, as the vendor sends it.
    request_id: Option<(&'static str, &'static str)>,
}

const fn ok(body: &'static str) -> Answer {
    Answer {
        status: 200,
        body,
        request_id: None,
    }
}

/// Which answer a request gets.
fn route(method: &Method, path: &str) -> Option<Answer> {
    let delete = method == Method::DELETE;
    let post = method == Method::POST;
    if let Some(rest) = path.strip_prefix("/cf/") {
        return (delete && rest.contains("/access/users/")).then_some(Answer {
            request_id: Some(("cf-ray", "8f1e2d3c4b5a6978-FRA")),
            ..ok(CF_SUCCESS.body)
        });
    }
    if let Some(rest) = path.strip_prefix("/onelogin/") {
        if post && rest == "auth/oauth2/v2/token" {
            return Some(ok(ONELOGIN_TOKEN_BODY));
        }
        return (delete && rest.starts_with("api/1/users/")).then_some(ok(ONELOGIN_SUCCESS.body));
    }
    if let Some(rest) = path.strip_prefix("/aa/") {
        if post && rest == "v1/authentication" {
            return Some(ok(AA_LOGIN_BODY));
        }
        // 204: the Control Room's other documented success (a 200 must carry the record of
        // the very id deleted, which a fixed body cannot).
        return (delete && rest.starts_with("v1/usermanagement/users/")).then_some(Answer {
            status: 204,
            body: "",
            request_id: Some(("x-request-id", "3f2e1d0c-bench")),
        });
    }
    if let Some(rest) = path.strip_prefix("/rsa/") {
        return (delete && rest.contains("/v1/users/")).then_some(Answer {
            status: RSA_SUCCESS.status,
            ..ok(RSA_SUCCESS.body)
        });
    }
    if path.starts_with("/alibaba") {
        // RPC style: every call is POST to the endpoint; anything is accepted.
        return Some(ok(ALIBABA_SUCCESS.body));
    }
    None
}

async fn answer(
    request: Request<Incoming>,
    stats: Arc<Stats>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    stats.requests.fetch_add(1, Ordering::Relaxed);
    let routed = route(request.method(), request.uri().path());
    // Read the request body to its end so the connection can be reused.
    let _ = request.into_body().collect().await;
    let answer = routed.unwrap_or_else(|| {
        stats.unmatched.fetch_add(1, Ordering::Relaxed);
        Answer {
            status: 404,
            body: r#"{"error":"the benchmark server has no route for this request"}"#,
            request_id: None,
        }
    });
    let mut response = Response::new(Full::new(Bytes::from_static(answer.body.as_bytes())));
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some((name, value)) = answer.request_id {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let delete = Method::DELETE;
        let post = Method::POST;
        assert!(route(&delete, "/cf/client/v4/accounts/a/access/users/u").is_some());
        assert!(route(&post, "/cf/client/v4/accounts/a/access/users/u").is_none());
        assert!(route(&post, "/onelogin/auth/oauth2/v2/token").is_some());
        assert!(route(&delete, "/onelogin/api/1/users/5").is_some());
        assert!(route(&post, "/aa/v1/authentication").is_some());
        assert!(route(&delete, "/aa/v1/usermanagement/users/5").is_some());
        assert!(route(&delete, "/rsa/AdminInterface/restapi/v1/users/x").is_some());
        assert!(route(&post, "/alibaba/").is_some());
        assert!(route(&delete, "/nowhere").is_none());
    }
}
