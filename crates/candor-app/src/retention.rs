//! Retention (SPEC E4): the policies run every day by a job, or by hand
//! (`candor retention run [--dry-run]`). A prospect past their period is erased through
//! the one erasure use case (reason `policy:<name>`); tracking events and records whose
//! legal hold ended are deleted in chunks, one transaction each.

use crate::{AppError, Candor};
use candor_domain::erasure::Why;
use candor_domain::retention::{Policy, Target};
use time::OffsetDateTime;
use uuid::Uuid;

/// Rows per transaction when a policy deletes.
const CHUNK: u32 = 5_000;

/// What one policy did, or would do in a dry run.
#[derive(Debug, Clone)]
pub struct PolicyOutcome {
    pub name: String,
    pub target: &'static str,
    /// `erase` (people) or `delete` (rows).
    pub action: &'static str,
    /// Data older than this falls under the policy (none for ended holds).
    pub cutoff: Option<OffsetDateTime>,
    pub count: u64,
    /// The people erased, or to be erased.
    pub ids: Vec<Uuid>,
}

impl Candor {
    /// The policies in force.
    pub fn retention_policies(&self) -> &[Policy] {
        &self.settings.retention
    }

    /// Runs every policy, or (`dry_run`) says what each would do and changes nothing;
    /// `progress` hears of each person erased.
    pub async fn run_retention(
        &self,
        dry_run: bool,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Vec<PolicyOutcome>, AppError> {
        let now = self.now();
        let mut out = Vec::new();
        let mut erased = 0u64;
        for p in self.settings.retention.clone() {
            let outcome = match p.target {
                Target::InactiveProspects => {
                    let cutoff = p.cutoff(now);
                    let mut ids = Vec::new();
                    if dry_run {
                        ids = self
                            .store
                            .erasures()
                            .inactive_prospects(cutoff, u32::MAX)
                            .await?;
                    } else {
                        loop {
                            let batch = self
                                .store
                                .erasures()
                                .inactive_prospects(cutoff, 500)
                                .await?;
                            let done = self
                                .erase_batch(
                                    &format!("policy:{}", p.name),
                                    &batch,
                                    &Why::Policy(p.name.clone()),
                                    &mut |id| {
                                        ids.push(id);
                                        erased += 1;
                                        progress(erased);
                                    },
                                )
                                .await?;
                            if batch.len() < 500 || done == 0 {
                                break;
                            }
                        }
                    }
                    PolicyOutcome {
                        name: p.name.clone(),
                        target: p.target.as_str(),
                        action: "erase",
                        cutoff: Some(cutoff),
                        count: ids.len() as u64,
                        ids,
                    }
                }
                Target::TrackingEvents => {
                    let cutoff = p.cutoff(now);
                    let count = self
                        .store
                        .erasures()
                        .tracking_before(cutoff, !dry_run, CHUNK)
                        .await?;
                    PolicyOutcome {
                        name: p.name.clone(),
                        target: p.target.as_str(),
                        action: "delete",
                        cutoff: Some(cutoff),
                        count,
                        ids: Vec::new(),
                    }
                }
                Target::EndedHolds => {
                    let count = self
                        .store
                        .erasures()
                        .holds_ended(now.date(), !dry_run, CHUNK)
                        .await?;
                    PolicyOutcome {
                        name: p.name.clone(),
                        target: p.target.as_str(),
                        action: "delete",
                        cutoff: None,
                        count,
                        ids: Vec::new(),
                    }
                }
            };
            out.push(outcome);
        }
        Ok(out)
    }
}
