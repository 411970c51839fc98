//! The store's queries, written once.
//!
//! This module is compiled twice, once inside each backend module (`crate::sqlite`,
//! `crate::postgres`), against that backend's `Db` (the sqlx database type), its store
//! type and its `dialect` (the few SQL fragments the two dialects spell differently:
//! case-insensitive `LIKE`, row locks, the constraint names of unique keys). Queries
//! use `$N` placeholders, which both drivers accept, or a `QueryBuilder` (never both in
//! one statement: SQLite's driver numbers `push_bind` placeholders on its own), and
//! the column types of `crate::types`, so that one text reads and writes the same
//! values on both backends. What really differs (connecting, schema introspection,
//! bulk writes, the packed audience read) stays in the backend modules.

mod addresses;
mod audit;
mod breaches;
mod campaigns;
mod checkpoints;
mod compliance;
mod consent;
pub(super) mod contacts;
mod contracts;
mod demo;
mod erasures;
mod import;
mod jobs;
mod outbox;
mod portal;
mod requests;
mod staff;
mod subjects;
mod tokens;

use audit::append_in as append_audit_in;
use consent::append_in as append_consent_in;

use super::{dialect, Db, Store};
use crate::error::Result;
use crate::types::Id;
use sqlx::Transaction;

type Tx<'c> = Transaction<'c, Db>;
type Builder<'a> = sqlx::QueryBuilder<'a, Db>;

/// Ids per `IN (…)` list: well under both backends' limits on bound values.
const LIST: usize = 900;

/// Streams a ledger's entries, subject by subject, with each subject's head, and checks
/// every chain; memory holds one subject's entries at a time.
async fn verify_chains<E, R>(
    pool: &sqlx::Pool<Db>,
    (table, head): (&str, &str),
    based: bool,
    columns: &str,
    parse: fn(R) -> Result<E>,
) -> Result<crate::model::VerifyReport>
where
    E: candor_domain::chain::Chained,
    R: for<'r> sqlx::FromRow<'r, <Db as sqlx::Database>::Row> + Send + Unpin,
{
    use futures_util::TryStreamExt;
    use sqlx::Row;
    let mut v = crate::verify::Verifier::default();
    let cols: Vec<String> = columns.split(", ").map(|c| format!("e.{c}")).collect();
    // A chain whose oldest entries retention removed starts after its base.
    let base = if based {
        "h.base_seq AS base_seq, h.base_hash AS base_hash"
    } else {
        "CAST(0 AS BIGINT) AS base_seq, CAST(NULL AS TEXT) AS base_hash"
    };
    let sql = format!(
        "SELECT {}, h.seq AS head_seq, h.hash AS head_hash, {base} FROM {table} e \
         LEFT JOIN {head} h ON h.subject_id = e.subject_id ORDER BY e.subject_id, e.seq",
        cols.join(", ")
    );
    let mut rows = sqlx::query(&sql).fetch(pool);
    while let Some(row) = rows.try_next().await? {
        let hs: Option<i64> = row.try_get("head_seq")?;
        let hh: Option<String> = row.try_get("head_hash")?;
        let bs: Option<i64> = row.try_get("base_seq")?;
        let bh: Option<String> = row.try_get("base_hash")?;
        let base = bs.filter(|&n| n > 0).zip(bh);
        // A row that no longer reads (a byte changed under it) is an altered entry:
        // named by id, and the other chains are still checked.
        match R::from_row(&row).map_err(Into::into).and_then(parse) {
            Ok(e) => v.push(e, hs.zip(hh), base),
            Err(_) => {
                let subject = row.try_get::<Id, _>("subject_id").map(|i| i.0).ok();
                let id = row.try_get::<Id, _>("id").map(|i| i.0).ok();
                let seq = row.try_get::<i64, _>("seq").unwrap_or(0);
                v.unreadable(subject, id, seq);
            }
        }
    }
    drop(rows);
    // A head with no entry left: a chain removed, unless retention removed every
    // entry, leaving the head at its base (the same position and hash).
    let emptied = if based {
        " AND NOT (h.seq = h.base_seq AND h.hash = h.base_hash)"
    } else {
        ""
    };
    let orphans: Vec<(Id, i64)> = sqlx::query_as(&format!(
        "SELECT subject_id, seq FROM {head} h WHERE seq > 0{emptied} AND NOT EXISTS \
         (SELECT 1 FROM {table} e WHERE e.subject_id = h.subject_id)"
    ))
    .fetch_all(pool)
    .await?;
    for (subject, head_seq) in orphans {
        v.orphan_head(subject.0, head_seq);
    }
    Ok(v.finish())
}

impl Store {
    /// A transaction on the writer. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a transaction that reads before it writes (a chain's
    /// head, a token) cannot be overtaken by another process between the two.
    async fn write(&self) -> Result<Tx<'static>> {
        dialect::begin(&self.writer).await
    }
}
