#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The bulk helper: bounded concurrency, one report per id, absent distinguished from deleted.

mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use idp_core::{DeleteOutcome, Error, ErrorKind, Receipt, UserDeleter, delete_many};

/// A deleter that records its peak concurrency; ids starting with `gone` are absent and ids
/// starting with `bad` fail.
struct Counting {
    running: AtomicUsize,
    peak: AtomicUsize,
    transport: idp_core::Transport,
}

impl Default for Counting {
    fn default() -> Self {
        Counting {
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            transport: support::transport(idp_core::TransportOptions::default()),
        }
    }
}

impl UserDeleter for Counting {
    fn vendor(&self) -> &'static str {
        "counting"
    }

    fn validate_user_id(&self, _user_id: &str) -> Result<(), Error> {
        Ok(())
    }

    async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(2)).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        if user_id.starts_with("gone") {
            Err(Error::new(ErrorKind::NotFound, "no such user").with_attempts(1))
        } else if user_id.starts_with("bad") {
            Err(Error::new(ErrorKind::Conflict, "enabled").with_attempts(1))
        } else {
            Ok(Receipt::new(1, None))
        }
    }

    async fn check_access(&self) -> Result<(), Error> {
        Ok(())
    }

    fn transport(&self) -> &idp_core::Transport {
        &self.transport
    }
}

#[tokio::test]
async fn every_id_reported_once_within_the_concurrency_bound() {
    let client = Arc::new(Counting::default());
    let mut ids: Vec<String> = (0..200).map(|i| format!("u{i}")).collect();
    ids.push("gone-1".into());
    ids.push("bad-1".into());

    let reports: Vec<_> = delete_many(client.as_ref(), ids.clone(), 8).collect().await;

    assert_eq!(reports.len(), ids.len());
    let seen: HashSet<_> = reports.iter().map(|r| r.user_id.clone()).collect();
    assert_eq!(seen.len(), ids.len());
    assert!(client.peak.load(Ordering::SeqCst) <= 8);
    let absent = reports.iter().find(|r| r.user_id == "gone-1").unwrap();
    assert!(matches!(absent.outcome, Ok(DeleteOutcome::Absent)));
    let failed = reports.iter().find(|r| r.user_id == "bad-1").unwrap();
    assert_eq!(
        failed.outcome.as_ref().unwrap_err().kind(),
        ErrorKind::Conflict
    );
    let deleted = reports
        .iter()
        .filter(|r| matches!(r.outcome, Ok(DeleteOutcome::Deleted)))
        .count();
    assert_eq!(deleted, 200);
}
