//! What the compliance dashboard counts (O1) that no other area does: the contacts
//! with no lawful basis left, those whose B2C consent waits too long for its
//! confirmation, and the runs of the chains' verification.

use super::campaigns::bind_cells;
use super::Store;
use crate::bulk::Cell;
use crate::error::Result;
use crate::model::{Page, VerifyRun};
use crate::types::{Id, Ts};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// Contacts with no consent in force for a purpose (the global opt-out `*` is not a
/// purpose), no contract running on `$1` (their own or their company's) and no
/// request open: nothing left that allows keeping them.
const WITHOUT_BASIS: &str = "FROM contact c WHERE \
    NOT EXISTS (SELECT 1 FROM consent_state s WHERE s.subject_id = c.id \
      AND s.status = 'effective' AND s.purpose <> '*') \
    AND NOT EXISTS (SELECT 1 FROM contract k WHERE (k.contact_id = c.id OR k.company_id = c.company_id) \
      AND k.status = 'active' AND k.starts_on <= $1 AND (k.ends_on IS NULL OR k.ends_on >= $1)) \
    AND NOT EXISTS (SELECT 1 FROM subject_request r WHERE r.subject_id = c.id \
      AND r.status NOT IN ('answered', 'refused'))";

/// Contacts with a B2C grant waiting for its confirmation since before `$1`.
const PENDING_SINCE: &str = "FROM contact c WHERE EXISTS (SELECT 1 FROM consent_state s \
    WHERE s.subject_id = c.id AND s.status = 'pending' AND s.reason = 'double_opt_in' \
    AND s.since < $1)";

type VerifyRow = (Id, Ts, String, i64, i64, String);

async fn count_and_page(
    store: &Store,
    from: &str,
    bind: Cell,
    page: Page,
) -> Result<(i64, Vec<Uuid>)> {
    let count = bind_cells(
        sqlx::query(&format!("SELECT COUNT(*) {from}")),
        vec![bind.clone()],
    )
    .fetch_one(&store.reader)
    .await?;
    let count: i64 = sqlx::Row::try_get(&count, 0)?;
    if page.limit == 0 {
        // The count alone (the dashboard's).
        return Ok((count, Vec::new()));
    }
    let mut binds = vec![bind];
    let after = match page.after {
        Some(a) => {
            binds.push(Cell::Uuid(a));
            " AND c.id > $2"
        }
        None => "",
    };
    binds.push(Cell::Int(i64::from(page.limit)));
    let sql = format!(
        "SELECT c.id {from}{after} ORDER BY c.id LIMIT ${}",
        binds.len()
    );
    let rows = bind_cells(sqlx::query(&sql), binds)
        .fetch_all(&store.reader)
        .await?;
    rows.iter()
        .map(|r| Ok(sqlx::Row::try_get::<Id, _>(r, 0)?.0))
        .collect::<Result<Vec<Uuid>>>()
        .map(|ids| (count, ids))
}

#[async_trait::async_trait]
impl crate::face::Compliance for Store {
    async fn without_basis(&self, today: Date, page: Page) -> Result<(i64, Vec<Uuid>)> {
        count_and_page(self, WITHOUT_BASIS, Cell::Date(today), page).await
    }

    async fn pending_since(&self, before: OffsetDateTime, page: Page) -> Result<(i64, Vec<Uuid>)> {
        count_and_page(self, PENDING_SINCE, Cell::Time(before), page).await
    }

    async fn record_verify(&self, run: &VerifyRun) -> Result<()> {
        sqlx::query(
            "INSERT INTO verify_run (id, at, actor, entries, broken, summary) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Id(run.id))
        .bind(Ts(run.at))
        .bind(&run.actor)
        .bind(i64::try_from(run.entries).unwrap_or(i64::MAX))
        .bind(i64::try_from(run.broken).unwrap_or(i64::MAX))
        .bind(&run.summary)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn last_verify(&self) -> Result<Option<VerifyRun>> {
        let row: Option<VerifyRow> = sqlx::query_as(
            "SELECT id, at, actor, entries, broken, summary FROM verify_run \
             ORDER BY at DESC, id DESC LIMIT 1",
        )
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|r| VerifyRun {
            id: r.0 .0,
            at: r.1 .0,
            actor: r.2,
            entries: u64::try_from(r.3).unwrap_or(0),
            broken: u64::try_from(r.4).unwrap_or(0),
            summary: r.5,
        }))
    }
}
