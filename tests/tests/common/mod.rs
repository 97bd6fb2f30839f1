//! Helpers shared by the reliability and security tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use idp::{Client, DeleteReport, RetryPolicy, TransportOptions, Vendor};
use idp_sim::{Sims, Simulator};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// The simulator of `vendor`.
pub fn sim(sims: &Sims, vendor: Vendor) -> &dyn Simulator {
    let index = Vendor::ALL.iter().position(|v| *v == vendor).unwrap();
    sims.all()[index]
}

/// A client of `vendor` configured from its simulator.
pub fn client(sims: &Sims, vendor: Vendor, options: TransportOptions) -> Client {
    Client::from_lookup(vendor, sims.lookup(), options).unwrap()
}

/// Retries as the defaults say, but with a 1 ms first back-off so tests take milliseconds;
/// unpaced (the simulators enforce no budget unless a test sets one).
pub fn fast_retries(max_retries: u32) -> TransportOptions {
    unpaced().with_retry(
        RetryPolicy::default()
            .with_max_retries(max_retries)
            .with_initial_backoff(Duration::from_millis(1)),
    )
}

/// The default options without pacing: bulk tests send more than a vendor's budget allows in a
/// real five-minute window, against simulators that enforce none.
pub fn unpaced() -> TransportOptions {
    TransportOptions::default().with_rate(idp::RateSetting::Off)
}

/// Deletes one id the way a bulk run does, and returns its report (outcome and attempts).
pub async fn delete_one(client: &Client, id: &str) -> DeleteReport {
    client
        .delete_many(vec![id.to_owned()], 1)
        .next()
        .await
        .unwrap()
}

/// A listener on another loopback address (127.0.0.2), standing for a host a redirect points
/// to. It counts connections; a connection that sends anything is also counted as a request.
pub struct OtherHost {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl OtherHost {
    pub async fn start() -> OtherHost {
        let listener = TcpListener::bind("127.0.0.2:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let (c, r) = (Arc::clone(&connections), Arc::clone(&requests));
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                c.fetch_add(1, Ordering::SeqCst);
                let r = Arc::clone(&r);
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    if matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {
                        r.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        OtherHost {
            addr,
            connections,
            requests,
            task,
        }
    }

    /// A URL on this host, for a redirect's `Location`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for OtherHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}
