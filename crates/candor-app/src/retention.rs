//! Retention (SPEC E4): the policies run every day by a job, by a dpo or admin in the
//! back office, or by hand (`candor retention run [--dry-run]`). A prospect or a former
//! customer past their period is erased through the one erasure use case (reason
//! `policy:<name>`); a B2C grant never confirmed lapses by an event in the person's
//! chain; tracking events and records whose legal hold ended are deleted in chunks, one
//! transaction each. Every run, dry or not, is recorded with its counts.

use crate::{Actor, AppError, Candor};
use candor_domain::erasure::Why;
use candor_domain::retention::{Policy, Target};
pub use candor_store::{RetentionOutcome, RetentionRun};
use uuid::Uuid;

/// Rows per transaction when a policy deletes.
const CHUNK: u32 = 5_000;
/// People erased between two looks for more.
const ERASE_BATCH: u32 = 500;
/// Pending grants looked up at a time (each closed in its own transaction).
const LAPSE_CHUNK: u32 = 200;

/// What one policy did, or would do in a dry run, with the people it erased or
/// would erase.
#[derive(Debug, Clone)]
pub struct PolicyOutcome {
    pub outcome: RetentionOutcome,
    /// The people erased, or to be erased (a dry run lists them; the run's record
    /// keeps only counts).
    pub ids: Vec<Uuid>,
}

impl Candor {
    /// The policies in force (the configuration's, checked with the catalogue).
    pub fn retention_policies(&self) -> Vec<Policy> {
        self.catalogue().retention().policies.clone()
    }

    /// Runs every policy as the retention job, or (`dry_run`) says what each would do
    /// and changes nothing; `progress` hears of each person erased. The run is
    /// recorded under `by` (`job:retention`, `cli`, or a staff member's audit name).
    pub async fn run_retention(
        &self,
        by: &str,
        dry_run: bool,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Vec<PolicyOutcome>, AppError> {
        Ok(self.recorded_run(by, dry_run, progress).await?.1)
    }

    /// A run and the id of its record.
    async fn recorded_run(
        &self,
        by: &str,
        dry_run: bool,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<(Uuid, Vec<PolicyOutcome>), AppError> {
        let started_at = self.now();
        let out = self.apply_retention(dry_run, progress).await?;
        let id = Uuid::now_v7();
        self.store
            .erasures()
            .record_run(&RetentionRun {
                id,
                started_at,
                finished_at: self.now(),
                dry_run,
                actor: by.to_owned(),
                outcomes: out.iter().map(|o| o.outcome.clone()).collect(),
            })
            .await?;
        Ok((id, out))
    }

    /// What the policies would do now, unrecorded (a progress bar's total).
    pub async fn retention_plan(&self) -> Result<Vec<PolicyOutcome>, AppError> {
        self.apply_retention(true, &mut |_| {}).await
    }

    async fn apply_retention(
        &self,
        dry_run: bool,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Vec<PolicyOutcome>, AppError> {
        let started_at = self.now();
        let mut out = Vec::new();
        let mut erased = 0u64;
        for p in self.retention_policies() {
            let cutoff = p.cutoff(started_at);
            let (action, count, ids) = match p.target {
                Target::InactiveProspects | Target::FormerCustomers => {
                    let find = |limit| {
                        let erasures = self.store.erasures();
                        async move {
                            match p.target {
                                Target::InactiveProspects => {
                                    erasures.inactive_prospects(cutoff, limit).await
                                }
                                _ => erasures.former_customers(cutoff, limit).await,
                            }
                        }
                    };
                    let mut ids = Vec::new();
                    if dry_run {
                        ids = find(u32::MAX).await?;
                    } else {
                        loop {
                            let batch = find(ERASE_BATCH).await?;
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
                            if batch.len() < ERASE_BATCH as usize || done == 0 {
                                break;
                            }
                        }
                    }
                    ("erase", ids.len() as u64, ids)
                }
                Target::PendingConsents => {
                    let n = self
                        .store
                        .erasures()
                        .lapse_pending(
                            cutoff,
                            started_at,
                            &format!("policy:{}", p.name),
                            !dry_run,
                            LAPSE_CHUNK,
                        )
                        .await?;
                    ("lapse", n, Vec::new())
                }
                Target::TrackingEvents => {
                    let n = self
                        .store
                        .erasures()
                        .tracking_before(cutoff, !dry_run, CHUNK)
                        .await?;
                    ("delete", n, Vec::new())
                }
                Target::AuditEntries => {
                    let keys = self.keys.clone();
                    let n = self
                        .store
                        .audit()
                        .trim_before(
                            cutoff,
                            !dry_run,
                            &move |digest| keys.sign_checkpoint(digest),
                            ERASE_BATCH,
                        )
                        .await?;
                    ("delete", n, Vec::new())
                }
                Target::ClosedRequests => {
                    let n = self
                        .store
                        .erasures()
                        .requests_closed_before(cutoff, !dry_run, CHUNK)
                        .await?;
                    ("delete", n, Vec::new())
                }
                Target::EndedHolds => {
                    let n = self
                        .store
                        .erasures()
                        .holds_ended(started_at.date(), !dry_run, CHUNK)
                        .await?;
                    ("delete", n, Vec::new())
                }
            };
            out.push(PolicyOutcome {
                outcome: RetentionOutcome {
                    name: p.name.clone(),
                    target: p.target.as_str().to_owned(),
                    action: action.to_owned(),
                    cutoff: (p.target != Target::EndedHolds).then_some(cutoff),
                    count,
                },
                ids,
            });
        }
        Ok(out)
    }

    /// A dpo's or admin's run from the back office or the API: a dry run (`dry_run`)
    /// or the policies applied now, as the daily job would; recorded, with its id.
    pub async fn run_retention_as(
        &self,
        actor: &Actor,
        dry_run: bool,
    ) -> Result<(Uuid, Vec<PolicyOutcome>), AppError> {
        Self::may_govern(actor, "run the retention policies")?;
        self.recorded_run(&actor.audit_name, dry_run, &mut |_| {})
            .await
    }

    /// What the policies would do now, with the people each would erase; changes and
    /// records nothing (the back office's preview; dpo and admin).
    pub async fn retention_preview(&self, actor: &Actor) -> Result<Vec<PolicyOutcome>, AppError> {
        Self::may_govern(actor, "preview the retention policies")?;
        self.retention_plan().await
    }

    fn may_govern(actor: &Actor, what: &'static str) -> Result<(), AppError> {
        if actor.role.governs_data() {
            Ok(())
        } else {
            Err(AppError::RoleForbidden {
                role: actor.role,
                what,
            })
        }
    }

    /// The last runs of the retention policies, newest first (dpo and admin).
    pub async fn retention_runs(
        &self,
        actor: &Actor,
        limit: u32,
    ) -> Result<Vec<RetentionRun>, AppError> {
        Self::may_govern(actor, "read the retention runs")?;
        Ok(self.store.erasures().runs(limit.clamp(1, 200)).await?)
    }
}
