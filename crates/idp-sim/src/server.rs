//! The HTTP server under every simulator: a Tokio accept loop on loopback, hyper 1 HTTP/1.1
//! connections with keep-alive, and the path of one request from arrival to answer.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use crate::answer::Answer;
use crate::behaviour::Behaviour;
use crate::core::{Action, Core};
use crate::error::SimError;
use crate::fault::Fault;
use crate::record::RecordedRequest;
use crate::request::Request;
use crate::wire::{Body, into_response};

/// Request bodies are read up to this size; a larger one gets its connection dropped.
const MAX_REQUEST_BODY: usize = 16 * 1024 * 1024;

/// A vendor and its core, shared with the connection tasks.
struct Shared<V> {
    vendor: V,
    core: Core,
}

/// Aborts the accept loop (and with it every connection task) when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A running simulator server.
pub(crate) struct Server<V> {
    shared: Arc<Shared<V>>,
    addr: SocketAddr,
    _task: AbortOnDrop,
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

impl<V: Behaviour> Server<V> {
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

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub(crate) fn vendor(&self) -> &V {
        &self.shared.vendor
    }

    pub(crate) fn core(&self) -> &Core {
        &self.shared.core
    }
}

async fn accept_loop<V: Behaviour>(listener: TcpListener, shared: Arc<Shared<V>>) {
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

/// One request: read it, log it, decide (rate policy, faults, throttle windows), answer.
async fn serve<V: Behaviour>(
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
    let arrival = shared
        .core
        .arrive(RecordedRequest::of(&request, received_at, delete));
    let fault_answer = |fault: Fault| Answer::for_fault(fault, |status| vendor.sample_body(status));

    let answer = match arrival.action {
        Action::Handle => Some(vendor.handle(&request)),
        Action::Throttle(secs) => Some(fault_answer(vendor.throttle(secs))),
        Action::Fault(Fault::Delay(wait)) => {
            // In a task of its own, so that a client giving up (closing the connection)
            // does not stop the work: a slow real service finishes what it started.
            let worker = Arc::clone(&shared);
            let handled = tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                worker.vendor.handle(&request)
            });
            handled.await.ok()
        }
        Action::Fault(Fault::Drop) => None,
        Action::Fault(Fault::DropAfterHandling) => {
            let _ = vendor.handle(&request);
            None
        }
        Action::Fault(fault) => {
            debug_assert!(!fault.handles_request());
            Some(fault_answer(fault))
        }
    };
    let Some(mut answer) = answer else {
        shared.core.finish(arrival.index, None, None);
        return Err(Dropped);
    };
    vendor.decorate(&mut answer);
    if let Some(headers) = arrival.rate_headers {
        headers.apply(&mut answer);
    }
    shared
        .core
        .finish(arrival.index, Some(answer.status), answer.retry_after());
    Ok(into_response(answer))
}
