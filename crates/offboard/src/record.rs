//! The records an apply writes to its journal and the lines it reports. No secret, token or
//! signature is ever part of them: errors are the transport's, already scrubbed.

use idp::Step;
use serde::{Deserialize, Serialize};

use crate::plan::ErrorRecord;

/// Identifies one step of one target across runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StepKey {
    /// The provider.
    pub provider: String,
    /// The account's user id.
    pub user_id: String,
    /// The step.
    pub step: Step,
    /// The step's target (the account, or a device, group or assignment id).
    pub target: String,
}

/// One journal record of an apply (or of `idp delete --journal`), tagged by `"type"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// A run starts: which plan, in which mode.
    Run {
        /// The plan's digest (or `"delete:<provider>"` for `idp delete`).
        plan: String,
        /// `"apply"`, `"contain_only"` or `"delete"`.
        mode: String,
    },
    /// About to send a step: written (and synced) before the request.
    Intent {
        /// Which step.
        #[serde(flatten)]
        key: StepKey,
    },
    /// The vendor started an asynchronous task for a step (Alibaba): a resumed run polls it
    /// instead of starting it again.
    Task {
        /// Which step.
        #[serde(flatten)]
        key: StepKey,
        /// The vendor's task id.
        task_id: String,
    },
    /// How a step ended: written (and synced) before it is reported.
    Outcome {
        /// Which step.
        #[serde(flatten)]
        key: StepKey,
        /// `"done"`, `"already"` or `"failed"` (for `idp delete`: `"deleted"`, `"absent"`,
        /// `"failed"`).
        outcome: String,
        /// Requests sent.
        attempts: u32,
        /// The vendor's request id of the last answer.
        request_id: Option<String>,
        /// The vendor's task id, for an asynchronous step.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        task_id: Option<String>,
        /// The error, for a failed step.
        error: Option<ErrorRecord>,
    },
    /// Where a target ended in this run.
    Final {
        /// The provider.
        provider: String,
        /// The account's user id, when there is one.
        user_id: Option<String>,
        /// The final outcome (`"offboarded"`, `"drift"`, …).
        outcome: String,
    },
}

/// One JSON line of `idp offboard apply --output json`: a step as it ends, or (with `step`
/// null) where a target ended. The field order is the documented contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// The person's email.
    pub email: Option<String>,
    /// The provider.
    pub provider: String,
    /// The account's user id, when there is one.
    pub user_id: Option<String>,
    /// The step, or `None` on a target's final line.
    pub step: Option<Step>,
    /// The step's target, or the account on a final line.
    pub target: Option<String>,
    /// `done`, `already`, `failed`, `skipped`; on a final line `offboarded`, `absent`,
    /// `contained`, `pending_deletion`, `managed_elsewhere`, `drift`, `protected` or `failed`.
    pub outcome: String,
    /// Requests sent (for a final line: for the whole target in this run).
    pub attempts: u32,
    /// Time taken, in milliseconds.
    pub elapsed_ms: u64,
    /// The vendor's request id of the last answer.
    pub request_id: Option<String>,
    /// The error, when failed or skipped.
    pub error: Option<ErrorRecord>,
    /// The vendor's task id, for an asynchronous step (added field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// Whether the outcome was read from the journal of an earlier run (added field).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resumed: bool,
}
