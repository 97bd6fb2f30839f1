//! The HTTP server under every simulator: a Tokio accept loop on loopback, hyper 1 HTTP/1.1
//! connections with keep-alive, the request log, the fault plan and the throttle windows.

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use crate::error::SimError;
use crate::fault::{Fault, FaultPlan};
use crate::record::RecordedRequest;
use crate::util::lock;

/// Request bodies are read up to this size; a larger one gets its connection dropped.
const MAX_REQUEST_BODY: usize = 16 * 1024 * 1024;

/// How long after a throttling answer requests are still forgiven for arriving inside its
/// window (they may have been sent before the client read the answer).
pub(crate) const DEFAULT_THROTTLE_GRACE: Duration = Duration::from_millis(250);

/// A request, read in full.
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Request {
    /// The first value of a header, when it is text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// How many values header `name` has.
    pub(crate) fn header_count(&self, name: &str) -> usize {
        self.headers.get_all(name).iter().count()
    }

    /// Query and form-body parameters, decoded.
    pub(crate) fn params(&self) -> Vec<(String, String)> {
        form_params(
            self.query.as_deref(),
            self.header("content-type"),
            &self.body,
        )
    }
}

/// Decodes the query string and, when the content type says so, a form body.
pub(crate) fn form_params(
    query: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let is_form = content_type.is_some_and(|ct| {
        ct.split(';').next().is_some_and(|t| {
            t.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    });
    if is_form {
        params.extend(url::form_urlencoded::parse(body).into_owned());
    }
    params
}

/// What to send back.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: AnswerBody,
}

pub(crate) enum AnswerBody {
    Full(Bytes),
    /// Announced in full, then cut after the first half.
    Truncated(Bytes),
    /// This many bytes, streamed.
    Large(u64),
}

impl Answer {
    pub(crate) fn new(status: u16) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: AnswerBody::Full(Bytes::new()),
        }
    }

    pub(crate) fn json(status: u16, value: &serde_json::Value) -> Answer {
        Answer::new(status)
            .header("content-type", "application/json")
            .body(value.to_string())
    }

    pub(crate) fn text(status: u16, content_type: &str, text: impl Into<String>) -> Answer {
        Answer::new(status)
            .header("content-type", content_type)
            .body(text.into())
    }

    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Answer {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub(crate) fn body(mut self, body: impl Into<Bytes>) -> Answer {
        self.body = AnswerBody::Full(body.into());
        self
    }

    pub(crate) fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    }

    fn retry_after(&self) -> Option<Duration> {
        let value = |name: &str| {
            self.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.trim().parse::<u64>().ok())
        };
        value("retry-after-ms")
            .map(Duration::from_millis)
            .or_else(|| value("retry-after").map(Duration::from_secs))
    }
}

/// One vendor's behaviour: routes, checks, user store.
pub(crate) trait Vendor: Send + Sync + 'static {
    /// The URL a client is configured with.
    fn base_url(&self) -> String;
    /// Whether this request is a delete (for counting and delete-only faults).
    fn is_delete(&self, request: &Request) -> bool;
    /// Sees every request as it arrives, before any fault (for per-endpoint counters).
    fn observe(&self, _request: &Request) {}
    /// The normal answer.
    fn handle(&self, request: &Request) -> Answer;
    /// Adds what every answer of this vendor carries (request-id headers), when missing.
    fn decorate(&self, answer: &mut Answer);
    /// This vendor's throttling answer.
    fn throttle(&self, retry_after_secs: u64) -> Fault;
    /// The body this vendor sends with `status` (used by [`Fault::Truncated`]).
    fn sample_body(&self, status: u16) -> (String, &'static str);
    /// Seeds a deletable user; returns its id.
    fn add_user(&self, id: &str) -> String;
    /// Seeds a deletable user with a generated id.
    fn new_user(&self) -> String;
    /// Whether the user exists (in any state).
    fn has_user(&self, id: &str) -> bool;
    /// How many users exist (in any state).
    fn user_count(&self) -> usize;
}

/// What every simulator keeps besides its users.
#[derive(Debug, Default)]
pub(crate) struct CoreState {
    log: Vec<RecordedRequest>,
    deletes: usize,
    faults: FaultPlan,
    /// `(announced at, open until)` of every throttling answer that named a wait.
    windows: Vec<(Instant, Instant)>,
    inside_window: usize,
    grace: Option<Duration>,
    enforce: bool,
}

impl CoreState {
    fn grace(&self) -> Duration {
        self.grace.unwrap_or(DEFAULT_THROTTLE_GRACE)
    }
}

/// What happens to an arriving request.
enum Decision {
    Normal,
    Fault(Fault),
    /// Inside an enforced throttle window: throttle for this many more seconds.
    Enforced(u64),
}

#[derive(Debug, Default)]
pub(crate) struct Core {
    state: Mutex<CoreState>,
}

impl Core {
    fn arrive(&self, record: RecordedRequest) -> (usize, Decision) {
        let mut state = lock(&self.state);
        let now = record.received_at;
        let grace = state.grace();
        if state
            .windows
            .iter()
            .any(|(at, until)| now >= *at + grace && now < *until)
        {
            state.inside_window += 1;
        }
        if record.delete {
            state.deletes += 1;
        }
        let mut decision = match state.faults.next(record.delete) {
            Some(fault) => Decision::Fault(fault),
            None => Decision::Normal,
        };
        if state.enforce && matches!(decision, Decision::Normal) {
            let left = state
                .windows
                .iter()
                .filter(|(_, until)| now < *until)
                .map(|(_, until)| *until - now)
                .max();
            if let Some(left) = left {
                let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                decision = Decision::Enforced(secs.max(1));
            }
        }
        let mut record = record;
        if let Decision::Fault(fault) = &decision {
            record.fault = Some(fault.clone());
        }
        state.log.push(record);
        (state.log.len() - 1, decision)
    }

    fn finish(&self, index: usize, status: Option<u16>, retry_after: Option<Duration>) {
        let now = Instant::now();
        let mut state = lock(&self.state);
        if let Some(record) = state.log.get_mut(index) {
            record.status = status;
            record.retry_after = retry_after;
        }
        if let Some(wait) = retry_after.filter(|w| !w.is_zero()) {
            state.windows.push((now, now + wait));
        }
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state).log.clone()
    }

    pub(crate) fn clear_requests(&self) {
        lock(&self.state).log.clear();
    }

    pub(crate) fn deletes_received(&self) -> usize {
        lock(&self.state).deletes
    }

    pub(crate) fn with_faults<T>(&self, f: impl FnOnce(&mut FaultPlan) -> T) -> T {
        f(&mut lock(&self.state).faults)
    }

    pub(crate) fn inside_window(&self) -> usize {
        lock(&self.state).inside_window
    }

    pub(crate) fn windows(&self) -> Vec<(Instant, Instant)> {
        lock(&self.state).windows.clone()
    }

    pub(crate) fn set_grace(&self, grace: Duration) {
        lock(&self.state).grace = Some(grace);
    }

    pub(crate) fn set_enforce(&self, enforce: bool) {
        lock(&self.state).enforce = enforce;
    }
}

/// A vendor and its core, shared with the connection tasks.
pub(crate) struct Shared<V> {
    pub(crate) vendor: V,
    pub(crate) core: Core,
}

/// Aborts the accept loop (and with it every connection task) when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A running simulator server.
pub(crate) struct Server<V: Vendor> {
    pub(crate) shared: Arc<Shared<V>>,
    pub(crate) addr: SocketAddr,
    _task: AbortOnDrop,
}

impl<V: Vendor> fmt::Debug for Server<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field("base_url", &self.shared.vendor.base_url())
            .finish_non_exhaustive()
    }
}

/// The loopback address with a free port.
pub(crate) const LOOPBACK: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);

/// Listens on `addr` (inside a Tokio runtime).
pub(crate) async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), SimError> {
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(SimError::NoRuntime);
    }
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| SimError::Bind { addr, source })?;
    Ok((listener, local))
}

impl<V: Vendor> Server<V> {
    /// Serves `vendor` on `listener` until dropped.
    pub(crate) fn spawn(listener: TcpListener, addr: SocketAddr, vendor: V) -> Server<V> {
        let shared = Arc::new(Shared {
            vendor,
            core: Core::default(),
        });
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Server {
            shared,
            addr,
            _task: AbortOnDrop(task),
        }
    }

    pub(crate) fn vendor(&self) -> &V {
        &self.shared.vendor
    }

    pub(crate) fn core(&self) -> &Core {
        &self.shared.core
    }
}

async fn accept_loop<V: Vendor>(listener: TcpListener, shared: Arc<Shared<V>>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // Out of file descriptors or similar: back off a little.
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let shared = Arc::clone(&shared);
                connections.spawn(async move {
                    let service = service_fn(move |request| serve(Arc::clone(&shared), request));
                    // Errors here are the faults themselves (dropped connections) or clients
                    // going away: nothing to report.
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Returned by the service to make hyper close the connection without an answer.
#[derive(Debug)]
struct Dropped;

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by the simulator")
    }
}

impl std::error::Error for Dropped {}

/// The error a cut response body ends with.
#[derive(Debug)]
pub(crate) struct Cut;

impl fmt::Display for Cut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("response body cut by the simulator")
    }
}

impl std::error::Error for Cut {}

type Body = BoxBody<Bytes, Cut>;

async fn serve<V: Vendor>(
    shared: Arc<Shared<V>>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Body>, Dropped> {
    let received_at = Instant::now();
    let (parts, body) = request.into_parts();
    let body = Limited::new(body, MAX_REQUEST_BODY)
        .collect()
        .await
        .map_err(|_| Dropped)?
        .to_bytes();
    let request = Request {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
    };
    let vendor = &shared.vendor;
    vendor.observe(&request);
    let delete = vendor.is_delete(&request);
    let record = RecordedRequest {
        method: request.method.clone(),
        path: request.path.clone(),
        query: request.query.clone(),
        headers: request
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: request.body.to_vec(),
        received_at,
        delete,
        fault: None,
        status: None,
        retry_after: None,
    };
    let (index, decision) = shared.core.arrive(record);

    let answer = match decision {
        Decision::Normal => Some(vendor.handle(&request)),
        Decision::Enforced(secs) => Some(fault_answer(vendor, vendor.throttle(secs))),
        Decision::Fault(Fault::Delay(wait)) => {
            // In a task of its own, so that a client giving up (closing the connection)
            // does not stop the work: a slow real service finishes what it started.
            let worker = Arc::clone(&shared);
            let handled = tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                worker.vendor.handle(&request)
            });
            handled.await.ok()
        }
        Decision::Fault(Fault::Drop) => None,
        Decision::Fault(Fault::DropAfterHandling) => {
            let _ = vendor.handle(&request);
            None
        }
        Decision::Fault(fault) => {
            debug_assert!(!fault.handles_request());
            Some(fault_answer(vendor, fault))
        }
    };
    let Some(mut answer) = answer else {
        shared.core.finish(index, None, None);
        return Err(Dropped);
    };
    vendor.decorate(&mut answer);
    shared
        .core
        .finish(index, Some(answer.status), answer.retry_after());
    Ok(into_response(answer))
}

/// The answer a fault that replaces handling gives.
fn fault_answer<V: Vendor>(vendor: &V, fault: Fault) -> Answer {
    match fault {
        Fault::Status {
            status,
            headers,
            body,
        } => {
            let mut answer = Answer::new(status).body(body.clone());
            answer.headers = headers;
            if !answer.has_header("content-type") {
                let trimmed = body.trim_start();
                let content_type = if trimmed.starts_with('{') || trimmed.starts_with('[') {
                    "application/json"
                } else {
                    "text/plain; charset=utf-8"
                };
                answer = answer.header("content-type", content_type);
            }
            answer
        }
        Fault::Redirect { location } => Answer::text(
            302,
            "text/html",
            format!("<html><body>Moved: <a href=\"{location}\">here</a></body></html>"),
        )
        .header("location", location),
        Fault::Html { status } => Answer::text(status, "text/html", html_page(status)),
        Fault::Truncated { status } => {
            let (body, content_type) = vendor.sample_body(status);
            let mut answer = Answer::new(status).header("content-type", content_type);
            answer.body = AnswerBody::Truncated(Bytes::from(body));
            answer
        }
        Fault::LargeBody { status, bytes } => {
            let mut answer = Answer::new(status).header("content-type", "application/json");
            answer.body = AnswerBody::Large(bytes);
            answer
        }
        // Handled before an answer is needed; answer as a server error should it happen.
        Fault::Delay(_) | Fault::Drop | Fault::DropAfterHandling => {
            Answer::text(500, "text/html", html_page(500))
        }
    }
}

/// An error page as a proxy or load balancer in front of the API would send it.
fn html_page(status: u16) -> String {
    let reason = hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    format!(
        "<!DOCTYPE html>\n<html><head><title>{status} {reason}</title></head>\n<body>\
         <center><h1>{status} {reason}</h1></center>\n<hr><center>nginx</center>\n\
         </body></html>\n"
    )
}

fn into_response(answer: Answer) -> hyper::Response<Body> {
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
