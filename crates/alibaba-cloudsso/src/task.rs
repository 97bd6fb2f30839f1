//! Waiting for an asynchronous CloudSSO task (`DeleteAccessAssignment` starts one) to end.

use std::time::Duration;

use idp_core::{Error, ErrorKind, Receipt};

use crate::VENDOR;
use crate::client::Client;
use crate::model::Task;
use crate::rpc::GET_TASK;

/// The first wait before polling a task that is still in progress; it doubles up to
/// [`POLL_MAX`]. (Terraform's provider polls every 5 s.)
const POLL_FIRST: Duration = Duration::from_secs(1);
const POLL_MAX: Duration = Duration::from_secs(5);

/// The longest a task is waited for before the step gives up (the task id is in the error,
/// so a later run can poll it instead of starting again).
pub const TASK_MAX_WAIT: Duration = Duration::from_secs(10 * 60);

/// How a task ended, once it has.
pub(crate) struct Finished {
    pub(crate) attempts: u32,
    pub(crate) request_id: Option<String>,
}

impl Client {
    /// Polls `task_id` with `GetTask` until it reports `Success` (then `Ok`) or `Failed` (an
    /// error with its `FailureReason`), waiting on the transport's clock between polls, at
    /// most [`TASK_MAX_WAIT`]. `poll_now` polls before the first wait (a resumed task may
    /// have ended long ago).
    pub(crate) async fn wait_for_task(
        &self,
        task_id: &str,
        poll_now: bool,
    ) -> Result<Finished, Error> {
        let clock = self.inner.transport.clock();
        let started = clock.now();
        let mut wait = POLL_FIRST;
        let mut attempts = 0;
        let mut poll = poll_now;
        loop {
            if poll {
                let (task, receipt) = self.get_task(task_id).await?;
                attempts += receipt.attempts;
                if ended(&task, task_id, &receipt)? {
                    return Ok(Finished {
                        attempts,
                        request_id: receipt.request_id,
                    });
                }
            }
            poll = true;
            if clock.now().saturating_duration_since(started) + wait > TASK_MAX_WAIT {
                return Err(task_error(
                    ErrorKind::Timeout,
                    format!(
                        "task {task_id} still in progress after {} minutes; a later run can \
                         resume it by its task id",
                        TASK_MAX_WAIT.as_secs() / 60
                    ),
                    attempts,
                ));
            }
            clock.sleep(wait).await;
            wait = (wait * 2).min(POLL_MAX);
        }
    }
}

/// Whether `task` has ended well; an error when it failed or says something unexpected.
pub(crate) fn ended(task: &Task, task_id: &str, receipt: &Receipt) -> Result<bool, Error> {
    let attempts = receipt.attempts;
    if task.task_id != task_id {
        return Err(task_error(
            ErrorKind::Protocol,
            format!("asked for task {task_id}, CloudSSO answered about another one"),
            attempts,
        ));
    }
    match task.status.as_str() {
        "Success" => Ok(true),
        "InProgress" => Ok(false),
        "Failed" => {
            let reason = task
                .failure_reason
                .as_deref()
                .and_then(idp_core::text::vendor_message)
                .unwrap_or_else(|| "no reason given".to_owned());
            Err(task_error(
                ErrorKind::Conflict,
                format!("task {task_id} failed: {reason}"),
                attempts,
            )
            .with_request_id(receipt.request_id.clone()))
        }
        other => Err(task_error(
            ErrorKind::Protocol,
            format!(
                "task {task_id} has the status {:?}, neither InProgress, Success nor Failed",
                idp_core::text::truncate_for_message(other)
            ),
            attempts,
        )),
    }
}

fn task_error(kind: ErrorKind, message: String, attempts: u32) -> Error {
    Error::new(kind, message)
        .with_retryable(false)
        .with_attempts(attempts)
        .with_vendor(VENDOR)
        .with_operation(GET_TASK.operation)
}
