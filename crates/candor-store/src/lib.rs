//! Candor's persistence. All SQL lives in this crate, written once in `sql` and
//! compiled for each backend (`sqlite`, `postgres`), which add only what their
//! dialects do differently; [`Store`] picks one at open time and hands out its areas
//! (`face`): `store.contacts()`, `store.consents()`, `store.audit()`, …. Personal data at rest
//! goes through `personal`, the column types both backends share are in `types`.

mod bulk;
mod error;
pub mod face;
pub mod model;
mod personal;
mod postgres;
pub mod registry;
pub mod segment;
mod sqlite;
pub mod testing;
mod types;
mod verify;

pub use bulk::{contract_rows, Cell, ImportBatch, Rows};
pub use error::StoreError;
pub use model::*;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use error::Result;
use std::path::Path;
use std::sync::Arc;

/// The store: one backend behind small handles, one per area of `face`.
#[derive(Clone, Debug)]
pub struct Store(Arc<dyn face::Backend>);

impl Store {
    /// Opens a SQLite file (created if needed) and migrates it.
    pub async fn open_file(path: &Path) -> Result<Self> {
        Ok(Store(Arc::new(SqliteStore::open_file(path).await?)))
    }

    /// Opens `sqlite:…` or `postgres://…` and migrates it.
    pub async fn open_url(url: &str) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Store(Arc::new(PgStore::open_url(url).await?)))
        } else {
            Ok(Store(Arc::new(SqliteStore::open_url(url).await?)))
        }
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        self.0.name()
    }

    pub async fn close(&self) {
        self.0.close().await
    }

    /// Tables, columns, keys and indexes, for the check that the backends' schemas agree.
    pub async fn schema(&self) -> Result<Schema> {
        self.0.schema().await
    }

    /// The rows an import batch would write, without the batch's reads and checkpoint:
    /// what the import benchmark's raw baseline writes.
    pub fn import_rows(batch: ImportBatch) -> Vec<Rows> {
        // Rejected rows are not part of the baseline: no job to name.
        bulk::plan(batch, "").tables
    }

    pub fn contacts(&self) -> &dyn face::Contacts {
        &*self.0
    }

    pub fn companies(&self) -> &dyn face::Companies {
        &*self.0
    }

    pub fn tokens(&self) -> &dyn face::ApiTokens {
        &*self.0
    }

    pub fn catalogue(&self) -> &dyn face::CustomFields {
        &*self.0
    }

    pub fn audit(&self) -> &dyn face::Audit {
        &*self.0
    }

    pub fn consents(&self) -> &dyn face::Consents {
        &*self.0
    }

    pub fn checkpoints(&self) -> &dyn face::Checkpoints {
        &*self.0
    }

    pub fn addresses(&self) -> &dyn face::Addresses {
        &*self.0
    }

    pub fn requests(&self) -> &dyn face::Requests {
        &*self.0
    }

    pub fn erasures(&self) -> &dyn face::Erasures {
        &*self.0
    }

    pub fn breaches(&self) -> &dyn face::Breaches {
        &*self.0
    }

    pub fn subjects(&self) -> &dyn face::Subjects {
        &*self.0
    }

    pub fn compliance(&self) -> &dyn face::Compliance {
        &*self.0
    }

    pub fn portal(&self) -> &dyn face::Portal {
        &*self.0
    }

    pub fn jobs(&self) -> &dyn face::Jobs {
        &*self.0
    }

    pub fn outbox(&self) -> &dyn face::Outbox {
        &*self.0
    }

    pub fn contracts(&self) -> &dyn face::Contracts {
        &*self.0
    }

    pub fn orders(&self) -> &dyn face::Orders {
        &*self.0
    }

    pub fn activity(&self) -> &dyn face::Activity {
        &*self.0
    }

    pub fn staff(&self) -> &dyn face::Staff {
        &*self.0
    }

    pub fn sessions(&self) -> &dyn face::Sessions {
        &*self.0
    }

    pub fn segments(&self) -> &dyn face::Segments {
        &*self.0
    }

    pub fn campaigns(&self) -> &dyn face::Campaigns {
        &*self.0
    }

    pub fn imports(&self) -> &dyn face::Imports {
        &*self.0
    }

    pub fn demo(&self) -> &dyn face::Demo {
        &*self.0
    }

    pub fn bench(&self) -> &dyn face::Bench {
        &*self.0
    }
}
