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

    /// Checks every hash chain: the access audit's and the consent ledger's.
    pub async fn verify(&self) -> Result<Vec<(&'static str, VerifyReport)>, StoreError> {
        Ok(vec![
            ("access audit", self.store.audit().verify().await?),
            ("consent ledger", self.store.consents().verify().await?),
        ])
    }
}
