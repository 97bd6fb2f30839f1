//! A small HTTP/1.1 server on loopback for what httpmock cannot do: answer slowly or only when
//! a test says so, log every request with the time it arrived and whether its answer was
//! written, count connections (a proxy that must see none), and see `CONNECT` requests.
//!
//! One thread per connection; keep-alive as HTTP/1.1 has it. The handler runs on the
//! connection's thread, so it may sleep or wait on a [`Latch`].

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target: a path (`/api/1/users/7`), or `host:port` for `CONNECT`.
    pub target: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When its head was read.
    pub at: Instant,
}

impl Request {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The request line and headers as text (for "the proxy saw no secret" checks).
    pub fn head_text(&self) -> String {
        let mut text = format!("{} {}\n", self.method, self.target);
        for (name, value) in &self.headers {
            text.push_str(&format!("{name}: {value}\n"));
        }
        text
    }
}

/// What the handler answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Close the connection after this answer.
    pub close: bool,
}

impl Reply {
    /// An answer with a JSON body.
    pub fn json(status: u16, body: &serde_json::Value) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
            close: false,
        }
    }

    /// An answer with a plain-text body.
    pub fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: body.to_owned(),
            close: false,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Closes the connection after the answer.
    pub fn closing(mut self) -> Reply {
        self.close = true;
        self
    }
}

/// A request and how it was answered.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub request: Request,
    /// The status answered, once the handler returned.
    pub status: Option<u16>,
    /// Whether the whole answer was written to the socket.
    pub written: bool,
}

struct State {
    log: Mutex<Vec<Exchange>>,
    changed: Condvar,
    connections: AtomicUsize,
    stop: AtomicBool,
}

impl State {
    fn log(&self) -> std::sync::MutexGuard<'_, Vec<Exchange>> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// The server; it stops accepting when dropped.
pub struct Server {
    addr: SocketAddr,
    state: Arc<State>,
}

impl Server {
    /// Starts a server answering every request with `handler`.
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(State {
            log: Mutex::new(Vec::new()),
            changed: Condvar::new(),
            connections: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let handler: Arc<Handler> = Arc::new(handler);
        {
            let state = Arc::clone(&state);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if state.stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let _ = stream.set_nodelay(true);
                    state.connections.fetch_add(1, Ordering::SeqCst);
                    state.changed.notify_all();
                    let state = Arc::clone(&state);
                    let handler = Arc::clone(&handler);
                    std::thread::spawn(move || serve(stream, &state, &*handler));
                }
            });
        }
        Server { addr, state }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every request so far, in arrival order.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.state.log().clone()
    }

    /// How many connections were accepted.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// The requests so far with this method whose target starts with `prefix`.
    pub fn requests(&self, method: &str, prefix: &str) -> Vec<Request> {
        self.state
            .log()
            .iter()
            .filter(|e| e.request.method == method && e.request.target.starts_with(prefix))
            .map(|e| e.request.clone())
            .collect()
    }

    /// Waits until `ready` holds for the log (re-checked on every change), at most `timeout`.
    pub fn wait_until(&self, timeout: Duration, ready: impl Fn(&[Exchange]) -> bool) -> bool {
        let end = Instant::now() + timeout;
        let mut log = self.state.log();
        loop {
            if ready(&log) {
                return true;
            }
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            log = self
                .state
                .changed
                .wait_timeout(log, left.min(Duration::from_millis(50)))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(stream: TcpStream, state: &State, handler: &Handler) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        let index = {
            let mut log = state.log();
            log.push(Exchange {
                request: request.clone(),
                status: None,
                written: false,
            });
            log.len() - 1
        };
        state.changed.notify_all();
        let reply = handler(&request);
        let mut head = format!(
            "HTTP/1.1 {} {}\r\ncontent-length: {}\r\n",
            reply.status,
            reason(reply.status),
            reply.body.len()
        );
        for (name, value) in &reply.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if reply.close {
            head.push_str("connection: close\r\n");
        }
        head.push_str("\r\n");
        // One write: a head and a body in two small segments would wait on delayed ACKs.
        let answer = [head.as_bytes(), reply.body.as_bytes()].concat();
        let written = writer
            .write_all(&answer)
            .and_then(|()| writer.flush())
            .is_ok();
        {
            let mut log = state.log();
            log[index].status = Some(reply.status);
            log[index].written = written;
        }
        state.changed.notify_all();
        if !written || reply.close {
            return;
        }
    }
}

/// Reads one request; `None` at the end of the connection or on anything unreadable.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let at = Instant::now();
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body,
        at,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// A gate handlers wait on until the test lets them through (answers held back on purpose).
#[derive(Clone, Default)]
pub struct Latch {
    inner: Arc<(Mutex<Passes>, Condvar)>,
}

#[derive(Default)]
struct Passes {
    open: bool,
    left: usize,
}

impl Latch {
    /// A closed latch.
    pub fn new() -> Latch {
        Latch::default()
    }

    /// Opens it for good, waking every waiter.
    pub fn open(&self) {
        let (passes, changed) = &*self.inner;
        passes.lock().unwrap_or_else(PoisonError::into_inner).open = true;
        changed.notify_all();
    }

    /// Lets `n` more waiters through.
    pub fn let_through(&self, n: usize) {
        let (passes, changed) = &*self.inner;
        passes.lock().unwrap_or_else(PoisonError::into_inner).left += n;
        changed.notify_all();
    }

    /// Waits until it is open or a pass is left (at most a minute, so a failed test cannot
    /// hang for ever).
    pub fn wait(&self) {
        let (passes, changed) = &*self.inner;
        let guard = passes.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut guard, _) = changed
            .wait_timeout_while(guard, Duration::from_secs(60), |p| !p.open && p.left == 0)
            .unwrap_or_else(PoisonError::into_inner);
        if !guard.open {
            guard.left = guard.left.saturating_sub(1);
        }
    }
}
