//! `idp delete --journal`: the same format and hash chain as the offboard journal (one intent
//! record before each delete, one outcome record after it, each synced before the line is
//! printed), and resuming: ids recorded deleted or absent are not sent again.

use std::collections::HashSet;
use std::path::Path;

use idp::Step;
use idp_offboard::journal::{Journal, JournalError};
use idp_offboard::{ErrorRecord, Record, StepKey};

use crate::exit::UsageError;
use crate::output::Line;

/// An open journal of one provider's deletes.
pub struct DeleteJournal {
    journal: Journal,
    provider: &'static str,
    /// Ids an earlier run recorded as deleted or absent.
    pub done: HashSet<String>,
}

impl DeleteJournal {
    /// Opens (and locks) the journal; refuses a journal of another provider or of an
    /// offboarding plan, and one another run holds.
    pub fn open(path: &Path, provider: &'static str) -> Result<DeleteJournal, UsageError> {
        let name = path.display().to_string();
        let opened = Journal::open(path).map_err(|e| match e {
            JournalError::Locked { .. } => UsageError(format!(
                "the journal {name} is in use by another run (locked)"
            )),
            other => UsageError(format!("cannot use the journal {name}: {other}")),
        })?;
        if let Some(torn) = &opened.torn_tail {
            tracing::warn!(
                offset = torn.offset,
                "the journal's last line was cut short by a crash; removed it"
            );
        }
        let plan = run_name(provider);
        let mut done = HashSet::new();
        for entry in &opened.entries {
            let value = serde_json::Value::Object(entry.fields.clone());
            match serde_json::from_value::<Record>(value) {
                Ok(Record::Run { plan: found, .. }) if found != plan => {
                    return Err(UsageError(format!(
                        "the journal {name} belongs to another run ({found}), not {plan}"
                    )));
                }
                Ok(Record::Outcome { key, outcome, .. })
                    if outcome == "deleted" || outcome == "absent" =>
                {
                    done.insert(key.user_id);
                }
                _ => {}
            }
        }
        let mut journal = DeleteJournal {
            journal: opened.journal,
            provider,
            done,
        };
        journal.append(&Record::Run {
            plan,
            mode: "delete".to_owned(),
        })?;
        Ok(journal)
    }

    fn key(&self, user_id: &str) -> StepKey {
        StepKey {
            provider: self.provider.to_owned(),
            user_id: user_id.to_owned(),
            step: Step::Delete,
            target: user_id.to_owned(),
        }
    }

    fn append(&mut self, record: &Record) -> Result<(), UsageError> {
        self.journal
            .append(record)
            .map(|_| ())
            .map_err(|e| UsageError(format!("the journal could not be written: {e}")))
    }

    /// Records that a delete of `user_id` is about to be sent.
    pub fn intent(&mut self, user_id: &str) -> Result<(), UsageError> {
        let key = self.key(user_id);
        self.append(&Record::Intent { key })
    }

    /// Records how a delete ended.
    pub fn outcome(&mut self, line: &Line) -> Result<(), UsageError> {
        let (request_id, error) = match &line.error {
            None => (None, None),
            Some(err) => (
                err.request_id().map(str::to_owned),
                Some(ErrorRecord::from(err)),
            ),
        };
        let key = self.key(&line.user_id);
        self.append(&Record::Outcome {
            key,
            outcome: line.outcome.as_str().to_owned(),
            attempts: line.attempts,
            request_id,
            task_id: None,
            error,
        })
    }

    /// Writes the closing record with the counts.
    pub fn close(self, counts: serde_json::Value) -> Result<(), UsageError> {
        self.journal
            .close(&serde_json::json!({ "counts": counts }))
            .map(|_| ())
            .map_err(|e| UsageError(format!("the journal could not be closed: {e}")))
    }
}

/// The `run` record's name for a provider's deletes.
fn run_name(provider: &str) -> String {
    format!("delete:{provider}")
}
