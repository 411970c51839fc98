//! The batching audit writer (S4): requests hand their access events to one task, which
//! commits whatever has queued up in one transaction and answers each request only
//! after that commit. One commit serves many requests; no request answers before its
//! audit entry is durable.

use crate::{Actor, AppError, Candor};
use candor_domain::audit::{AccessEvent, AuditEntry};
use candor_domain::Role;
use candor_store::{Store, StoreError, VerifyReport};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// The most events one transaction takes; more wait for the next.
const MAX_BATCH: usize = 2048;

struct Job {
    events: Vec<AccessEvent>,
    done: oneshot::Sender<Result<(), String>>,
}

#[derive(Clone)]
pub struct AuditWriter {
    tx: mpsc::Sender<Job>,
}

impl AuditWriter {
    pub fn spawn(store: Store) -> Self {
        let (tx, rx) = mpsc::channel(8192);
        tokio::spawn(run(store, rx));
        Self { tx }
    }

    /// Queues `events` and waits until they are committed.
    pub async fn record(&self, events: Vec<AccessEvent>) -> Result<(), AppError> {
        if events.is_empty() {
            return Ok(());
        }
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Job { events, done })
            .await
            .map_err(|_| AppError::Internal("audit writer stopped".into()))?;
        wait.await
            .map_err(|_| AppError::Internal("audit writer stopped".into()))?
            .map_err(AppError::Internal)
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Job>) {
    let mut jobs: Vec<Job> = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut count = first.events.len();
        jobs.push(first);
        while count < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => {
                    count += j.events.len();
                    jobs.push(j);
                }
                Err(_) => break,
            }
        }
        let events: Vec<AccessEvent> = jobs.iter_mut().flat_map(|j| j.events.drain(..)).collect();
        let result = store.audit().append(events).await.map(drop).map_err(|e| {
            tracing::error!(error = %e, "audit batch failed");
            e.to_string()
        });
        for j in jobs.drain(..) {
            let _ = j.done.send(result.clone());
        }
    }
}

impl Candor {
    /// Queues access events and waits for their commit.
    pub(crate) async fn audit(&self, events: Vec<AccessEvent>) -> Result<(), AppError> {
        self.audit.record(events).await
    }

    /// A contact's audit entries, newest first (dpo and admin only).
    pub async fn contact_audit(
        &self,
        actor: &Actor,
        id: Uuid,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, AppError> {
        if !matches!(actor.role, Role::Dpo | Role::Admin) {
            return Err(AppError::RoleForbidden {
                role: actor.role,
                what: "read the access audit",
            });
        }
        Ok(self.store.audit().list(id, limit.clamp(1, 1000)).await?)
    }

    /// Access-audit entries by contact, actor and dates, newest first (dpo and admin).
    pub async fn search_audit(
        &self,
        actor: &Actor,
        filter: &candor_store::AuditFilter,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, AppError> {
        if !matches!(actor.role, Role::Dpo | Role::Admin) {
            return Err(AppError::RoleForbidden {
                role: actor.role,
                what: "read the access audit",
            });
        }
        Ok(self
            .store
            .audit()
            .search(filter, limit.clamp(1, 1000))
            .await?)
    }

    /// The audit search as CSV (dpo and admin), newest first, at most `limit` rows:
    /// the instant (RFC 3339, UTC), the contact's id, who (their audit name, and the
    /// staff member's email or the token's name), the action, the fields, where. Cells
    /// a spreadsheet would run as a formula are neutralised.
    pub async fn audit_csv(
        &self,
        actor: &Actor,
        filter: &candor_store::AuditFilter,
        limit: u32,
    ) -> Result<Vec<u8>, AppError> {
        if !matches!(actor.role, Role::Dpo | Role::Admin) {
            return Err(AppError::RoleForbidden {
                role: actor.role,
                what: "read the access audit",
            });
        }
        let names = self.actor_names().await?;
        let mut filter = filter.clone();
        let mut w = csv::Writer::from_writer(Vec::new());
        let fail = |e: csv::Error| AppError::Internal(format!("writing the audit CSV: {e}"));
        w.write_record([
            "at",
            "contact_id",
            "actor",
            "actor_name",
            "action",
            "fields",
            "endpoint",
        ])
        .map_err(fail)?;
        let mut left = limit;
        while left > 0 {
            let page = self.search_audit(actor, &filter, left.min(1000)).await?;
            let Some(last) = page.last() else { break };
            filter.after = Some(candor_store::AuditCursor {
                at: last.at,
                subject_id: last.subject_id,
                seq: last.seq,
            });
            for e in &page {
                let cell = |s: &str| crate::export::csv_cell(&serde_json::Value::String(s.into()));
                w.write_record([
                    candor_domain::contact::rfc3339(e.at),
                    e.subject_id.to_string(),
                    cell(&e.actor),
                    cell(names.get(&e.actor).map_or("", String::as_str)),
                    e.action.as_str().to_owned(),
                    cell(&e.fields.join(" ")),
                    cell(&e.endpoint),
                ])
                .map_err(fail)?;
            }
            left = left.saturating_sub(u32::try_from(page.len()).unwrap_or(u32::MAX));
        }
        w.into_inner()
            .map_err(|e| AppError::Internal(format!("writing the audit CSV: {e}")))
    }

    /// Makes a checkpoint of every chain's head now, signed with the checkpoint key, and
    /// adds it to the anchor file (one line per checkpoint, outside the database).
    /// `None` when nothing changed since the newest checkpoint.
    pub async fn checkpoint(
        &self,
    ) -> Result<Option<candor_domain::checkpoint::Checkpoint>, AppError> {
        // Whole seconds: the time reads back the same from both backends.
        let at = time::OffsetDateTime::from_unix_timestamp(self.now().unix_timestamp())
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let keys = &self.keys;
        let made = self
            .store
            .checkpoints()
            .checkpoint(at, &keys.checkpoint_public_key(), &|h| {
                keys.sign_checkpoint(h)
            })
            .await?;
        if let (Some(c), Some(path)) = (&made, &self.settings.anchor) {
            use std::io::Write;
            let line = format!("{} {} {}\n", c.seq, c.hash, c.signature);
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| f.write_all(line.as_bytes()))
                .map_err(|e| AppError::Internal(format!("writing the checkpoint anchor: {e}")))?;
        }
        Ok(made)
    }

    /// Checks the global chain of checkpoints: each follows the previous one and is
    /// signed by this installation's checkpoint key; the heads kept for the newest one
    /// still give its root; every chain it covered still holds the entry it saw; every
    /// checkpoint the anchor file lists is in the database.
    pub async fn verify_checkpoints(&self) -> Result<CheckpointReport, AppError> {
        use candor_domain::checkpoint::{verify_global, CheckpointBreak};
        let all = self.store.checkpoints().checkpoints().await?;
        let mut breaks = verify_global(
            &all,
            &self.keys.checkpoint_public_key(),
            crate::keys::checkpoint_signature_ok,
        );
        if let Some(newest) = all.last() {
            let (chains, root) = self.store.checkpoints().kept_root().await?;
            if root != newest.root || i64::try_from(chains).ok() != Some(newest.chains) {
                breaks.push(CheckpointBreak::Root { seq: newest.seq });
            }
        }
        breaks.extend(self.store.checkpoints().kept_heads_broken().await?);
        let key = self.keys.checkpoint_public_key();
        for e in self.store.erasures().chain().await? {
            if !crate::keys::checkpoint_signature_ok(&key, &e.hash, &e.signature) {
                breaks.push(CheckpointBreak::ErasureSignature { seq: e.seq });
            }
        }
        for (subject, seq, hash, signature) in self.store.audit().bases().await? {
            let digest = candor_domain::audit::base_digest(subject, seq, &hash);
            if !crate::keys::checkpoint_signature_ok(&key, &digest, &signature) {
                breaks.push(CheckpointBreak::AuditBaseSignature { subject });
            }
        }
        if let Some(path) = &self.settings.anchor {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                Err(e) => {
                    return Err(AppError::Internal(format!(
                        "reading the checkpoint anchor: {e}"
                    )))
                }
            };
            for line in text.lines() {
                let mut parts = line.split(' ');
                let (Some(seq), Some(hash)) = (parts.next(), parts.next()) else {
                    continue;
                };
                let Ok(seq) = seq.parse::<i64>() else {
                    continue;
                };
                if !all.iter().any(|c| c.seq == seq && c.hash == hash) {
                    breaks.push(CheckpointBreak::Anchor { seq });
                }
            }
        }
        Ok(CheckpointReport {
            checkpoints: all.len() as u64,
            newest: all.last().cloned(),
            breaks,
        })
    }

    /// Checks every hash chain: the access audit's and the consent ledger's.
    pub async fn verify(&self) -> Result<Vec<(&'static str, VerifyReport)>, StoreError> {
        Ok(vec![
            ("access audit", self.store.audit().verify().await?),
            ("consent ledger", self.store.consents().verify().await?),
            ("erasure records", self.store.erasures().verify().await?),
        ])
    }
}

/// What `verify_checkpoints` found.
#[derive(Debug, Clone)]
pub struct CheckpointReport {
    pub checkpoints: u64,
    pub newest: Option<candor_domain::checkpoint::Checkpoint>,
    pub breaks: Vec<candor_domain::checkpoint::CheckpointBreak>,
}
