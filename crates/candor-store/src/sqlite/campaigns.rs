//! Segments and campaigns on SQLite.

use super::rows::{self, uuid, CONTACT_COLUMNS};
use super::SqliteStore;
use crate::bulk::Cell;
use crate::error::Result;
use crate::model::{CampaignRecord, Page, QueuedMail, SegmentRecord};
use crate::segment::{where_clause, Dialect, SegmentCondition};
use candor_domain::contact::Contact;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Row, Sqlite};
use std::collections::HashSet;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

type Query<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>;

fn bind_cells(mut q: Query<'_>, cells: Vec<Cell>) -> Query<'_> {
    for c in cells {
        q = match c {
            Cell::Null => q.bind(None::<String>),
            Cell::Text(s) | Cell::Json(s) => q.bind(s),
            Cell::Int(n) => q.bind(n),
            Cell::Real(x) => q.bind(x),
            Cell::Time(t) => q.bind(t),
            Cell::Date(d) => q.bind(d),
            Cell::Uuid(u) => q.bind(u.to_string()),
        };
    }
    q
}

fn segment(row: &SqliteRow) -> Result<SegmentRecord> {
    Ok(SegmentRecord {
        id: uuid(row, "id")?,
        name: row.try_get("name")?,
        conditions: row.try_get("conditions")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
    })
}

fn campaign(row: &SqliteRow) -> Result<CampaignRecord> {
    Ok(CampaignRecord {
        id: uuid(row, "id")?,
        name: row.try_get("name")?,
        category: row.try_get("category")?,
        channel: row.try_get("channel")?,
        segment_id: uuid(row, "segment_id")?,
        content: row.try_get("content")?,
        status: row.try_get("status")?,
        report: row.try_get("report")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        sent_at: row.try_get("sent_at")?,
    })
}

const CAMPAIGN_COLUMNS: &str =
    "id, name, category, channel, segment_id, content, status, report, created_by, created_at, sent_at";

impl SqliteStore {
    pub async fn segment_count(&self, conds: &[SegmentCondition]) -> Result<i64> {
        let (w, binds) = where_clause(conds, Dialect::Sqlite, 1);
        let sql = format!("SELECT COUNT(*) FROM contact c WHERE {w}");
        let row = bind_cells(sqlx::query(&sql), binds)
            .fetch_one(&self.reader)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// One page of the segment's contacts in id order.
    pub async fn segment_page(
        &self,
        conds: &[SegmentCondition],
        page: Page,
    ) -> Result<Vec<Contact>> {
        let (w, mut binds) = where_clause(conds, Dialect::Sqlite, 1);
        let n = binds.len();
        let after = match page.after {
            Some(a) => {
                binds.push(Cell::Uuid(a));
                format!(" AND c.id > ?{}", n + 1)
            }
            None => String::new(),
        };
        binds.push(Cell::Int(i64::from(page.limit)));
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contact c WHERE {w}{after} ORDER BY c.id LIMIT ?{}",
            binds.len()
        );
        let found = bind_cells(sqlx::query(&sql), binds)
            .fetch_all(&self.reader)
            .await?;
        found.iter().map(rows::contact).collect()
    }

    pub async fn save_segment(&self, s: &SegmentRecord) -> Result<()> {
        sqlx::query("INSERT INTO segment (id, name, conditions, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(s.id.to_string())
            .bind(&s.name)
            .bind(&s.conditions)
            .bind(&s.created_by)
            .bind(s.created_at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn get_segment(&self, id: Uuid) -> Result<Option<SegmentRecord>> {
        let row = sqlx::query(
            "SELECT id, name, conditions, created_by, created_at FROM segment WHERE id = ?1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(segment).transpose()
    }

    /// The newest segments first.
    pub async fn list_segments(&self, limit: u32) -> Result<Vec<SegmentRecord>> {
        let rows = sqlx::query(
            "SELECT id, name, conditions, created_by, created_at FROM segment \
             ORDER BY created_at DESC LIMIT ?1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(segment).collect()
    }

    /// The newest campaigns first.
    pub async fn list_campaigns(&self, limit: u32) -> Result<Vec<CampaignRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaign ORDER BY created_at DESC LIMIT ?1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(campaign).collect()
    }

    /// How many people a campaign was queued for, and how many of them opened it and
    /// clicked in it (counted only where engagement tracking was consented).
    pub async fn campaign_results(&self, id: Uuid) -> Result<(i64, i64, i64)> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM campaign_recipient WHERE campaign_id = ?1) AS recipients, \
             (SELECT COUNT(DISTINCT contact_id) FROM activity WHERE kind = 'email_open' AND detail = ?2) AS opens, \
             (SELECT COUNT(DISTINCT contact_id) FROM activity WHERE kind = 'email_click' AND detail = ?2) AS clicks",
        )
        .bind(id.to_string())
        .bind(format!("campaign {id}"))
        .fetch_one(&self.reader)
        .await?;
        Ok((
            row.try_get("recipients")?,
            row.try_get("opens")?,
            row.try_get("clicks")?,
        ))
    }

    pub async fn save_campaign(&self, c: &CampaignRecord) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO campaign ({CAMPAIGN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        ))
        .bind(c.id.to_string())
        .bind(&c.name)
        .bind(&c.category)
        .bind(&c.channel)
        .bind(c.segment_id.to_string())
        .bind(&c.content)
        .bind(&c.status)
        .bind(&c.report)
        .bind(&c.created_by)
        .bind(c.created_at)
        .bind(c.sent_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn get_campaign(&self, id: Uuid) -> Result<Option<CampaignRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaign WHERE id = ?1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.writer)
        .await?;
        row.as_ref().map(campaign).transpose()
    }

    /// Marks a draft campaign sent with its report; false when it was not a draft.
    pub async fn mark_campaign_sent(
        &self,
        id: Uuid,
        at: OffsetDateTime,
        report: &str,
    ) -> Result<bool> {
        let done = sqlx::query("UPDATE campaign SET status = 'sent', sent_at = ?2, report = ?3 WHERE id = ?1 AND status = 'draft'")
            .bind(id.to_string())
            .bind(at)
            .bind(report)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Which of these (contact, company) pairs have a contract running on `on`.
    pub async fn active_contracts_for(
        &self,
        pairs: &[(Uuid, Option<Uuid>)],
        on: Date,
    ) -> Result<HashSet<Uuid>> {
        let mut out = HashSet::new();
        for chunk in pairs.chunks(900) {
            let ps: Vec<String> = (2..=chunk.len() + 1).map(|i| format!("?{i}")).collect();
            let sql = format!(
                "SELECT c.id FROM contact c WHERE c.id IN ({}) AND EXISTS (SELECT 1 FROM contract k \
                 WHERE (k.contact_id = c.id OR k.company_id = c.company_id) AND k.status = 'active' \
                 AND k.starts_on <= ?1 AND (k.ends_on IS NULL OR k.ends_on >= ?1))",
                ps.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(on);
            for (id, _) in chunk {
                q = q.bind(id.to_string());
            }
            for row in q.fetch_all(&self.reader).await? {
                out.insert(uuid(&row, "id")?);
            }
        }
        Ok(out)
    }

    /// Queues a campaign's messages and records their recipients, in one transaction.
    /// A recipient recorded before (a send resumed after a crash, or run twice) gets
    /// nothing more. Returns how many were queued.
    pub async fn queue_campaign(&self, campaign: Uuid, mails: &[QueuedMail]) -> Result<u64> {
        let mut tx = self.writer.begin().await?;
        let mut queued = 0;
        for m in mails {
            let first = sqlx::query("INSERT INTO campaign_recipient (subject_id, campaign_id, outbox_id, queued_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")
                .bind(m.subject_id.map(|s| s.to_string()))
                .bind(campaign.to_string())
                .bind(m.id.to_string())
                .bind(m.created_at)
                .execute(&mut *tx)
                .await?;
            if first.rows_affected() == 1 {
                super::outbox::queue_in(&mut tx, m).await?;
                queued += 1;
            }
        }
        tx.commit().await?;
        Ok(queued)
    }

    /// How many messages a campaign queued.
    pub async fn campaign_recipient_count(&self, campaign: Uuid) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM campaign_recipient WHERE campaign_id = ?1")
                .bind(campaign.to_string())
                .fetch_one(&self.reader)
                .await?,
        )
    }
}

fn audience_row(
    row: &SqliteRow,
    purpose: &str,
    channel: candor_domain::consent::Channel,
) -> Result<crate::model::AudienceRow> {
    use candor_domain::consent::{ConsentState, Source, Status};
    let corrupt = |w: &str| crate::error::StoreError::Corrupt(format!("unreadable audience {w}"));
    // Two columns, the id and everything else packed in one text (see `audience_chunks`):
    // each column crosses from SQLite's thread on its own, the main cost of this read.
    let packed: &str = row.try_get(1)?;
    let f: Vec<&str> = packed.splitn(9, '|').collect();
    let [locale, company, n_status, n_source, n_since, g_status, g_source, g_since, email] =
        f.as_slice()
    else {
        return Err(corrupt("row"));
    };
    let mut states = Vec::with_capacity(2);
    for (status, source, since, p) in [
        (n_status, n_source, n_since, purpose),
        (
            g_status,
            g_source,
            g_since,
            candor_domain::communication::ALL_PURPOSES,
        ),
    ] {
        if status.is_empty() {
            continue;
        }
        states.push(ConsentState {
            purpose: p.to_owned(),
            channel,
            status: Status::parse("status", status).map_err(|_| corrupt("status"))?,
            reason: None,
            source: Source::parse("source", source).map_err(|_| corrupt("source"))?,
            since: time::OffsetDateTime::parse(
                since,
                &time::format_description::well_known::Rfc3339,
            )
            .map_err(|_| corrupt("date"))?,
            first_opt_in_at: None,
            first_opt_in_source: None,
        });
    }
    Ok(crate::model::AudienceRow {
        id: uuid(row, "id")?,
        email: (!email.is_empty()).then(|| (*email).to_owned()),
        locale: (*locale).to_owned(),
        company_id: if company.is_empty() {
            None
        } else {
            Some(Uuid::parse_str(company).map_err(|_| corrupt("company"))?)
        },
        states,
    })
}

impl SqliteStore {
    /// A segment's audience for one purpose × channel, read by one query in a task of
    /// its own and handed over in chunks: each contact with the states the rules read.
    pub fn audience_chunks(
        &self,
        conds: &[SegmentCondition],
        purpose: &str,
        channel: candor_domain::consent::Channel,
        chunk: usize,
    ) -> tokio::sync::mpsc::Receiver<Result<Vec<crate::model::AudienceRow>>> {
        use futures_util::TryStreamExt;
        let (w, mut binds) = where_clause(conds, Dialect::Sqlite, 3);
        let mut all = vec![
            Cell::Text(purpose.to_owned()),
            Cell::Text(channel.as_str().to_owned()),
        ];
        all.append(&mut binds);
        let sql = format!(
            "SELECT c.id, c.locale || '|' || COALESCE(c.company_id, '') || '|' || \
             COALESCE(n.status, '') || '|' || COALESCE(n.source, '') || '|' || COALESCE(n.since, '') || '|' || \
             COALESCE(g.status, '') || '|' || COALESCE(g.source, '') || '|' || COALESCE(g.since, '') || '|' || \
             COALESCE(c.email, '') FROM contact c \
             LEFT JOIN consent_state n ON n.subject_id = c.id AND n.purpose = ?1 AND n.channel = ?2 \
             LEFT JOIN consent_state g ON g.subject_id = c.id AND g.purpose = '*' AND g.channel = ?2 \
             WHERE {w}"
        );
        let pool = self.reader.clone();
        let purpose = purpose.to_owned();
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        tokio::spawn(async move {
            let mut rows = bind_cells(sqlx::query(&sql), all).fetch(&pool);
            let mut buf = Vec::with_capacity(chunk);
            loop {
                match rows.try_next().await {
                    Ok(Some(row)) => match audience_row(&row, &purpose, channel) {
                        Ok(r) => buf.push(r),
                        Err(e) => {
                            let _ = tx.send(Err(e)).await;
                            return;
                        }
                    },
                    Ok(None) => break,
                    Err(e) => {
                        let _ = tx.send(Err(e.into())).await;
                        return;
                    }
                }
                if buf.len() >= chunk && tx.send(Ok(std::mem::take(&mut buf))).await.is_err() {
                    return;
                }
            }
            if !buf.is_empty() {
                let _ = tx.send(Ok(buf)).await;
            }
        });
        rx
    }
}

impl SqliteStore {
    /// Records a digital trace of a contact (an email opened, a link followed).
    pub async fn record_activity(&self, a: &crate::model::ActivityRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO activity (id, contact_id, kind, at, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(a.id.to_string())
        .bind(a.contact_id.to_string())
        .bind(&a.kind)
        .bind(a.at)
        .bind(&a.detail)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Which of these subjects have an effective consent to `purpose` on `channel`.
    pub async fn effective_consents(
        &self,
        ids: &[Uuid],
        purpose: &str,
        channel: candor_domain::consent::Channel,
    ) -> Result<HashSet<Uuid>> {
        let mut out = HashSet::new();
        for chunk in ids.chunks(900) {
            let ps: Vec<String> = (3..=chunk.len() + 2).map(|i| format!("?{i}")).collect();
            let sql = format!(
                "SELECT subject_id FROM consent_state WHERE purpose = ?1 AND channel = ?2 \
                 AND status = 'effective' AND subject_id IN ({})",
                ps.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(purpose).bind(channel.as_str());
            for id in chunk {
                q = q.bind(id.to_string());
            }
            for row in q.fetch_all(&self.reader).await? {
                out.insert(uuid(&row, "subject_id")?);
            }
        }
        Ok(out)
    }
}
