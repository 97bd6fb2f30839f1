//! Faults a test can order from a simulator, and the plan that hands them out.

use std::collections::VecDeque;
use std::time::Duration;

/// What a simulator answers instead of (or before) its normal handling.
///
/// Queue faults with `inject` (the next requests of any kind), `inject_on_deletes` (the next
/// delete requests) or `inject_every` (every k-th delete). Each simulator's `throttle(secs)`
/// builds that vendor's own throttling answer as a [`Fault::Status`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status, these headers and this body, without handling the request.
    /// Without a `Content-Type` header one is added: JSON when the body looks like JSON,
    /// otherwise plain text. The vendor's request-id header (`cf-ray`, …) is added too.
    Status {
        /// The HTTP status.
        status: u16,
        /// Extra response headers (`Retry-After`, …).
        headers: Vec<(String, String)>,
        /// The body, sent as is.
        body: String,
    },
    /// Wait this long, then handle the request normally (a delete still deletes, even if the
    /// client gave up waiting: as a slow real service would).
    Delay(Duration),
    /// Close the connection without answering and without handling the request.
    Drop,
    /// Handle the request normally (a delete deletes the user), then close the connection
    /// without answering: the client cannot know it worked, and a retry finds the user gone.
    DropAfterHandling,
    /// Answer `302 Found` with this `Location`, without handling the request.
    Redirect {
        /// Where the redirect points (for example a second listener on `127.0.0.2`).
        location: String,
    },
    /// Answer this status with an HTML error page (a proxy's or load balancer's), without
    /// handling the request.
    Html {
        /// The HTTP status (502, 503, …).
        status: u16,
    },
    /// Answer this status with the vendor's body for it, announced with its full
    /// `Content-Length` but cut in half: the connection closes after the first half. The
    /// request is not handled.
    Truncated {
        /// The HTTP status.
        status: u16,
    },
    /// Answer this status with a body of `bytes` bytes (JSON-looking, streamed without
    /// holding it in memory), for testing a client's body-size cap. The request is not
    /// handled.
    LargeBody {
        /// The HTTP status.
        status: u16,
        /// How many bytes the body has.
        bytes: u64,
    },
}

impl Fault {
    /// A [`Fault::Status`] with no extra headers.
    pub fn status(status: u16, body: impl Into<String>) -> Fault {
        Fault::Status {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a response header to a [`Fault::Status`] (other faults are returned unchanged).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Fault {
        if let Fault::Status { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }

    /// Whether the request is still handled normally under this fault.
    pub(crate) fn handles_request(&self) -> bool {
        matches!(self, Fault::Delay(_) | Fault::DropAfterHandling)
    }
}

/// One `inject_every` rule.
#[derive(Debug)]
struct Every {
    every: usize,
    fault: Fault,
    remaining: usize,
    seen: usize,
}

/// The faults still to hand out.
#[derive(Debug, Default)]
pub(crate) struct FaultPlan {
    next_any: VecDeque<(Fault, usize)>,
    next_deletes: VecDeque<(Fault, usize)>,
    every: Vec<Every>,
}

impl FaultPlan {
    pub(crate) fn inject(&mut self, fault: Fault, times: usize) {
        if times > 0 {
            self.next_any.push_back((fault, times));
        }
    }

    pub(crate) fn inject_on_deletes(&mut self, fault: Fault, times: usize) {
        if times > 0 {
            self.next_deletes.push_back((fault, times));
        }
    }

    pub(crate) fn inject_every(&mut self, every: usize, fault: Fault, times: usize) {
        if times > 0 {
            self.every.push(Every {
                every: every.max(1),
                fault,
                remaining: times,
                seen: 0,
            });
        }
    }

    pub(crate) fn clear(&mut self) {
        *self = FaultPlan::default();
    }

    /// Whether any fault is still queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.next_any.is_empty() && self.next_deletes.is_empty() && self.every.is_empty()
    }

    /// The fault for the request arriving now, if any: the `inject` queue first, then (for a
    /// delete) the `inject_on_deletes` queue, then the `inject_every` rules.
    pub(crate) fn next(&mut self, delete: bool) -> Option<Fault> {
        let mut chosen = take_front(&mut self.next_any);
        if delete {
            if chosen.is_none() {
                chosen = take_front(&mut self.next_deletes);
            }
            for rule in &mut self.every {
                rule.seen += 1;
                if chosen.is_none() && rule.remaining > 0 && rule.seen % rule.every == 0 {
                    rule.remaining -= 1;
                    chosen = Some(rule.fault.clone());
                }
            }
            self.every.retain(|rule| rule.remaining > 0);
        }
        chosen
    }
}

fn take_front(queue: &mut VecDeque<(Fault, usize)>) -> Option<Fault> {
    let (fault, left) = queue.front_mut()?;
    let fault = fault.clone();
    *left -= 1;
    if *left == 0 {
        queue.pop_front();
    }
    Some(fault)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_run_in_order_and_deletes_only_where_asked() {
        let mut plan = FaultPlan::default();
        plan.inject(Fault::Drop, 2);
        plan.inject(Fault::Html { status: 502 }, 1);
        plan.inject_on_deletes(Fault::Truncated { status: 200 }, 1);
        assert_eq!(plan.next(false), Some(Fault::Drop));
        assert_eq!(plan.next(true), Some(Fault::Drop));
        assert_eq!(plan.next(false), Some(Fault::Html { status: 502 }));
        assert_eq!(plan.next(false), None);
        assert_eq!(plan.next(true), Some(Fault::Truncated { status: 200 }));
        assert_eq!(plan.next(true), None);
        assert!(plan.is_empty());
    }

    #[test]
    fn every_kth_delete_at_most_n_times() {
        let mut plan = FaultPlan::default();
        plan.inject_every(3, Fault::Drop, 2);
        let hits: Vec<bool> = (0..12)
            .map(|i| {
                // Non-deletes do not count.
                assert_eq!(plan.next(false), None);
                let hit = plan.next(true).is_some();
                let _ = i;
                hit
            })
            .collect();
        let at: Vec<usize> = hits
            .iter()
            .enumerate()
            .filter(|(_, h)| **h)
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(at, vec![3, 6]);
    }

    #[test]
    fn with_header_only_changes_status_faults() {
        let fault = Fault::status(429, "{}").with_header("Retry-After", "1");
        assert_eq!(
            fault,
            Fault::Status {
                status: 429,
                headers: vec![("Retry-After".into(), "1".into())],
                body: "{}".into()
            }
        );
        assert_eq!(Fault::Drop.with_header("a", "b"), Fault::Drop);
    }
}
