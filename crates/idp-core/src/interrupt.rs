//! A run-wide stop request: set on the first Ctrl-C or SIGTERM, or when output can no longer
//! be written. Once set, no transport starts another attempt and every wait (back-off, the
//! gate, pacing) ends at once; requests already on the wire finish, bounded by the attempt
//! timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// A one-way stop flag that can be waited for. Cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    requested: AtomicBool,
    notify: Notify,
}

impl Interrupt {
    /// Not requested.
    pub fn new() -> Self {
        Interrupt::default()
    }

    /// Requests the stop (idempotent) and wakes every waiter.
    pub fn request(&self) {
        self.inner.requested.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    /// Whether the stop was requested.
    pub fn is_requested(&self) -> bool {
        self.inner.requested.load(Ordering::SeqCst)
    }

    /// Completes when the stop is requested.
    pub async fn requested(&self) {
        loop {
            let notified = self.inner.notify.notified();
            if self.is_requested() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiters_wake_when_requested() {
        let interrupt = Interrupt::new();
        let waiter = {
            let interrupt = interrupt.clone();
            tokio::spawn(async move { interrupt.requested().await })
        };
        tokio::task::yield_now().await;
        assert!(!interrupt.is_requested());
        interrupt.request();
        assert!(waiter.await.is_ok());
        interrupt.requested().await;
    }
}
