//! What every simulator keeps besides its users: the request log and its counters, and the
//! decision, for each arriving request, between the rate policy, the fault plan and the
//! announced throttle windows.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::fault::{Fault, FaultPlan};
use crate::rate::{RateHeaders, RateLimiter, RatePolicy, RateUsage};
use crate::record::RecordedRequest;
use crate::throttle::{ThrottleWindows, ceil_secs};
use crate::util::lock;

#[derive(Debug, Default)]
struct CoreState {
    log: Vec<RecordedRequest>,
    deletes: usize,
    faults: FaultPlan,
    throttle: ThrottleWindows,
    rate: Option<RateLimiter>,
    rate_limited: usize,
}

/// What to do with an arriving request.
pub(crate) enum Action {
    /// Handle it normally.
    Handle,
    /// Apply this fault.
    Fault(Fault),
    /// Answer the vendor's throttling answer, announcing this many seconds (an enforced
    /// throttle window, or a rate policy's refusal).
    Throttle(u64),
}

/// An arriving request's place in the log and what to do with it.
pub(crate) struct Arrival {
    pub(crate) index: usize,
    pub(crate) action: Action,
    /// Headers the rate policy adds to whatever the answer is.
    pub(crate) rate_headers: Option<RateHeaders>,
}

/// The shared state of one simulator, behind one lock.
#[derive(Debug, Default)]
pub(crate) struct Core {
    state: Mutex<CoreState>,
}

impl Core {
    /// Logs an arriving request and decides its fate: the rate policy first (a refused
    /// request takes no fault), then the fault plan, then an enforced throttle window.
    pub(crate) fn arrive(&self, mut record: RecordedRequest) -> Arrival {
        let mut state = lock(&self.state);
        let now = record.received_at;
        state.throttle.arrive(now);
        if record.delete {
            state.deletes += 1;
        }
        let verdict = state.rate.as_mut().map(|limiter| limiter.check(now));
        let rate_headers = verdict.and_then(|verdict| {
            state
                .rate
                .as_ref()
                .and_then(|limiter| limiter.headers(&verdict))
        });
        let action = if let Some(wait) = verdict.and_then(|verdict| verdict.refused) {
            state.rate_limited += 1;
            record.rate_limited = true;
            Action::Throttle(ceil_secs(wait).max(1))
        } else if let Some(fault) = state.faults.next(record.delete) {
            record.fault = Some(fault.clone());
            Action::Fault(fault)
        } else if let Some(secs) = state.throttle.enforced_wait(now) {
            Action::Throttle(secs)
        } else {
            Action::Handle
        };
        state.log.push(record);
        Arrival {
            index: state.log.len() - 1,
            action,
            rate_headers,
        }
    }

    /// Records how request `index` was answered, and the window its answer announced.
    pub(crate) fn finish(&self, index: usize, status: Option<u16>, retry_after: Option<Duration>) {
        let now = Instant::now();
        let mut state = lock(&self.state);
        if let Some(record) = state.log.get_mut(index) {
            record.status = status;
            record.retry_after = retry_after;
        }
        if let Some(wait) = retry_after {
            state.throttle.announce(now, wait);
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

    pub(crate) fn with_throttle<T>(&self, f: impl FnOnce(&mut ThrottleWindows) -> T) -> T {
        f(&mut lock(&self.state).throttle)
    }

    /// Starts enforcing `policy` afresh (nothing counted yet), or stops with `None`.
    pub(crate) fn set_rate_policy(&self, policy: Option<RatePolicy>) {
        lock(&self.state).rate = policy.map(RateLimiter::new);
    }

    pub(crate) fn rate_limited(&self) -> usize {
        lock(&self.state).rate_limited
    }

    pub(crate) fn rate_usage(&self) -> Option<RateUsage> {
        let now = Instant::now();
        lock(&self.state)
            .rate
            .as_ref()
            .map(|limiter| limiter.usage(now))
    }
}
