//! Segments, campaigns and their recipients, and the engagement they record.

use super::{dialect, Db, Store};
use crate::bulk::Cell;
use crate::error::Result;
use crate::model::{ActivityRecord, CampaignRecord, JobRecord, Page, QueuedMail, SegmentRecord};
use crate::personal::ContactRow;
use crate::segment::{where_clause, SegmentCondition};
use crate::types::{Id, Ts};
use candor_domain::audit::AccessEvent;
use candor_domain::consent::Channel;
use candor_domain::contact::Contact;
use std::collections::HashSet;
use time::OffsetDateTime;
use uuid::Uuid;

type Args<'q> = <Db as sqlx::Database>::Arguments<'q>;
type Query<'q> = sqlx::query::Query<'q, Db, Args<'q>>;

/// Binds cells in order, each as the column type it stands for.
pub(crate) fn bind_cells(mut q: Query<'_>, cells: Vec<Cell>) -> Query<'_> {
    for c in cells {
        q = match c {
            Cell::Null => q.bind(None::<String>),
            Cell::Text(s) | Cell::Json(s) => q.bind(s),
            Cell::Int(n) => q.bind(n),
            Cell::Real(x) => q.bind(x),
            Cell::Time(t) => q.bind(Ts(t)),
            Cell::Date(d) => q.bind(d),
            Cell::Uuid(u) => q.bind(Id(u)),
        };
    }
    q
}

/// A segment's `WHERE` clause for this backend, placeholders from `first`.
pub(crate) fn where_sql(conds: &[SegmentCondition], first: usize) -> (String, Vec<Cell>) {
    where_clause(conds, dialect::ILIKE, dialect::json_text, first)
}

#[derive(sqlx::FromRow)]
struct SegmentRow {
    id: Id,
    name: String,
    conditions: String,
    created_by: String,
    created_at: Ts,
}

impl From<SegmentRow> for SegmentRecord {
    fn from(r: SegmentRow) -> Self {
        SegmentRecord {
            id: r.id.0,
            name: r.name,
            conditions: r.conditions,
            created_by: r.created_by,
            created_at: r.created_at.0,
        }
    }
}

const CAMPAIGN_COLUMNS: &str =
    "id, name, category, channel, segment_id, content, status, report, created_by, created_at, sent_at, sending_at";

#[derive(sqlx::FromRow)]
struct CampaignRow {
    id: Id,
    name: String,
    category: String,
    channel: String,
    segment_id: Id,
    content: String,
    status: String,
    report: Option<String>,
    created_by: String,
    created_at: Ts,
    sent_at: Option<Ts>,
    sending_at: Option<Ts>,
}

impl From<CampaignRow> for CampaignRecord {
    fn from(r: CampaignRow) -> Self {
        CampaignRecord {
            id: r.id.0,
            name: r.name,
            category: r.category,
            channel: r.channel,
            segment_id: r.segment_id.0,
            content: r.content,
            status: r.status,
            report: r.report,
            created_by: r.created_by,
            created_at: r.created_at.0,
            sent_at: r.sent_at.map(|t| t.0),
            sending_at: r.sending_at.map(|t| t.0),
        }
    }
}

pub(super) async fn insert_activity<'e, E>(e: E, a: &ActivityRecord) -> Result<()>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    sqlx::query(
        "INSERT INTO activity (id, contact_id, kind, at, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(Id(a.id))
    .bind(Id(a.contact_id))
    .bind(&a.kind)
    .bind(Ts(a.at))
    .bind(&a.detail)
    .execute(e)
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl crate::face::Segments for Store {
    /// How many contacts a segment holds.
    async fn count(&self, conds: &[SegmentCondition]) -> Result<i64> {
        let (w, binds) = where_sql(conds, 1);
        let sql = format!("SELECT COUNT(*) FROM contact c WHERE {w}");
        let row = bind_cells(sqlx::query(&sql), binds)
            .fetch_one(&self.reader)
            .await?;
        Ok(sqlx::Row::try_get(&row, 0)?)
    }

    /// One page of a segment's contacts, in id order.
    async fn page(&self, conds: &[SegmentCondition], page: Page) -> Result<Vec<Contact>> {
        let (w, mut binds) = where_sql(conds, 1);
        let after = match page.after {
            Some(a) => {
                binds.push(Cell::Uuid(a));
                format!(" AND c.id > ${}", binds.len())
            }
            None => String::new(),
        };
        binds.push(Cell::Int(i64::from(page.limit)));
        let cols: Vec<String> = ContactRow::COLUMNS
            .split(", ")
            .map(|c| format!("c.{c}"))
            .collect();
        let sql = format!(
            "SELECT {} FROM contact c WHERE {w}{after} ORDER BY c.id LIMIT ${}",
            cols.join(", "),
            binds.len()
        );
        let found = bind_cells(sqlx::query(&sql), binds)
            .fetch_all(&self.reader)
            .await?;
        found
            .iter()
            .map(|r| <ContactRow as sqlx::FromRow<_>>::from_row(r)?.into_contact())
            .collect()
    }

    async fn save(&self, s: &SegmentRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO segment (id, name, conditions, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(Id(s.id))
        .bind(&s.name)
        .bind(&s.conditions)
        .bind(&s.created_by)
        .bind(Ts(s.created_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn get(&self, id: Uuid) -> Result<Option<SegmentRecord>> {
        let row: Option<SegmentRow> = sqlx::query_as(
            "SELECT id, name, conditions, created_by, created_at FROM segment WHERE id = $1",
        )
        .bind(Id(id))
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(SegmentRecord::from))
    }

    /// The newest segments first.
    async fn list(&self, limit: u32) -> Result<Vec<SegmentRecord>> {
        let rows: Vec<SegmentRow> = sqlx::query_as(
            "SELECT id, name, conditions, created_by, created_at FROM segment \
             ORDER BY created_at DESC, id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(SegmentRecord::from).collect())
    }

    /// Renames a segment or changes its conditions; false when there is no such
    /// segment or a campaign of it is being sent (its audience must hold still).
    async fn update(&self, s: &SegmentRecord) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE segment SET name = $2, conditions = $3 WHERE id = $1 AND NOT EXISTS \
             (SELECT 1 FROM campaign WHERE segment_id = $1 AND status = 'draft' AND sending_at IS NOT NULL)",
        )
        .bind(Id(s.id))
        .bind(&s.name)
        .bind(&s.conditions)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes a segment no campaign uses; false when there is no such segment or a
    /// campaign uses it ([`Segments::campaigns_of`] says which).
    async fn delete(&self, id: Uuid) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM segment WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM campaign WHERE segment_id = $1)",
        )
        .bind(Id(id))
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The campaigns that use a segment, newest first.
    async fn campaigns_of(&self, id: Uuid) -> Result<Vec<CampaignRecord>> {
        let rows: Vec<CampaignRow> = sqlx::query_as(&format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaign WHERE segment_id = $1 ORDER BY created_at DESC, id DESC"
        ))
        .bind(Id(id))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(CampaignRecord::from).collect())
    }

    /// A segment's audience for one purpose × channel, read by one query in a task of
    /// its own and handed over in chunks: each contact with the states the rules read.
    /// The select list and its decoding are the backend's (`dialect::AUDIENCE_SELECT`).
    fn audience(
        &self,
        conds: &[SegmentCondition],
        purpose: &str,
        channel: Channel,
        chunk: usize,
    ) -> tokio::sync::mpsc::Receiver<Result<Vec<crate::model::AudienceRow>>> {
        use futures_util::TryStreamExt;
        let (w, mut binds) = where_sql(conds, 3);
        let mut all = vec![
            Cell::Text(purpose.to_owned()),
            Cell::Text(channel.as_str().to_owned()),
        ];
        all.append(&mut binds);
        let sql = format!(
            "{} FROM contact c \
             LEFT JOIN consent_state n ON n.subject_id = c.id AND n.purpose = $1 AND n.channel = $2 \
             LEFT JOIN consent_state g ON g.subject_id = c.id AND g.purpose = '*' AND g.channel = $2 \
             LEFT JOIN address_status a ON a.subject_id = c.id AND a.channel = $2 \
             WHERE {w}",
            dialect::AUDIENCE_SELECT
        );
        let pool = self.reader.clone();
        let purpose = purpose.to_owned();
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        tokio::spawn(async move {
            let mut rows = bind_cells(sqlx::query(&sql), all).fetch(&pool);
            let mut buf = Vec::with_capacity(chunk);
            loop {
                match rows.try_next().await {
                    Ok(Some(row)) => match dialect::audience_row(&row, &purpose, channel) {
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

#[async_trait::async_trait]
impl crate::face::Campaigns for Store {
    /// The newest campaigns first.
    async fn list(&self, limit: u32) -> Result<Vec<CampaignRecord>> {
        let rows: Vec<CampaignRow> = sqlx::query_as(&format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaign ORDER BY created_at DESC, id DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(CampaignRecord::from).collect())
    }

    /// How many people a campaign was queued for, and how many of them opened it and
    /// clicked in it (counted only where engagement tracking was consented).
    async fn results(&self, id: Uuid) -> Result<(i64, i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM campaign_recipient WHERE campaign_id = $1) AS recipients, \
             (SELECT COUNT(DISTINCT contact_id) FROM activity WHERE kind = 'email_open' AND detail = $2) AS opens, \
             (SELECT COUNT(DISTINCT contact_id) FROM activity WHERE kind = 'email_click' AND detail = $2) AS clicks",
        )
        .bind(Id(id))
        .bind(format!("campaign {id}"))
        .fetch_one(&self.reader)
        .await?)
    }

    async fn save(&self, c: &CampaignRecord) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO campaign ({CAMPAIGN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(Id(c.id))
        .bind(&c.name)
        .bind(&c.category)
        .bind(&c.channel)
        .bind(Id(c.segment_id))
        .bind(&c.content)
        .bind(&c.status)
        .bind(&c.report)
        .bind(&c.created_by)
        .bind(Ts(c.created_at))
        .bind(c.sent_at.map(Ts))
        .bind(c.sending_at.map(Ts))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn get(&self, id: Uuid) -> Result<Option<CampaignRecord>> {
        let row: Option<CampaignRow> = sqlx::query_as(&format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaign WHERE id = $1"
        ))
        .bind(Id(id))
        .fetch_optional(&self.writer)
        .await?;
        Ok(row.map(CampaignRecord::from))
    }

    /// Marks a draft campaign sent with its report; false when it was not a draft.
    async fn mark_sent(&self, id: Uuid, at: OffsetDateTime, report: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE campaign SET status = 'sent', sent_at = $2, report = $3 WHERE id = $1 AND status = 'draft'",
        )
        .bind(Id(id))
        .bind(Ts(at))
        .bind(report)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Changes a draft's name, category, segment and content; false when it is no
    /// longer a draft (sent, or being sent) or there is no such campaign.
    async fn update_draft(&self, c: &CampaignRecord) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE campaign SET name = $2, category = $3, segment_id = $4, content = $5 \
             WHERE id = $1 AND status = 'draft' AND sending_at IS NULL",
        )
        .bind(Id(c.id))
        .bind(&c.name)
        .bind(&c.category)
        .bind(Id(c.segment_id))
        .bind(&c.content)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Starts sending a draft: records when, and the audience report counted now, and
    /// schedules the job that sends it, in one transaction; false (and no job) when it
    /// was not a draft waiting to be sent.
    async fn start_sending(
        &self,
        id: Uuid,
        at: OffsetDateTime,
        report: &str,
        job: &JobRecord,
    ) -> Result<bool> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE campaign SET sending_at = $2, report = $3 \
             WHERE id = $1 AND status = 'draft' AND sending_at IS NULL",
        )
        .bind(Id(id))
        .bind(Ts(at))
        .bind(report)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        super::jobs::schedule_in(&mut tx, job).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Queues a campaign's messages with their recipients in one transaction; a
    /// recipient recorded before (a send resumed after a crash, or run twice) gets
    /// nothing more. The access-audit events of the recipients queued now commit with
    /// them. Returns how many were queued.
    async fn queue(
        &self,
        campaign: Uuid,
        mails: &[QueuedMail],
        audit: Vec<AccessEvent>,
    ) -> Result<u64> {
        let mut tx = self.write().await?;
        let mut queued = 0;
        let mut reached = HashSet::new();
        for m in mails {
            let first = sqlx::query(
                "INSERT INTO campaign_recipient (subject_id, campaign_id, outbox_id, queued_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(m.subject_id.map(Id))
            .bind(Id(campaign))
            .bind(Id(m.id))
            .bind(Ts(m.created_at))
            .execute(&mut *tx)
            .await?;
            if first.rows_affected() == 1 {
                super::outbox::queue_in(&mut tx, m).await?;
                reached.extend(m.subject_id);
                queued += 1;
            }
        }
        let audit = audit
            .into_iter()
            .filter(|e| reached.contains(&e.subject_id))
            .collect();
        super::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// How many messages a campaign queued.
    async fn recipient_count(&self, campaign: Uuid) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM campaign_recipient WHERE campaign_id = $1")
                .bind(Id(campaign))
                .fetch_one(&self.reader)
                .await?,
        )
    }
}

#[async_trait::async_trait]
impl crate::face::Activity for Store {
    /// Records a digital trace of a contact (an email opened, a link followed).
    async fn record(&self, a: &ActivityRecord) -> Result<()> {
        insert_activity(&self.writer, a).await
    }

    async fn of_subject(&self, subject: Uuid, limit: u32) -> Result<Vec<ActivityRecord>> {
        let rows: Vec<(Id, Id, String, Ts, String)> = sqlx::query_as(
            "SELECT id, contact_id, kind, at, detail FROM activity WHERE contact_id = $1 \
             ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(Id(subject))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, contact, kind, at, detail)| ActivityRecord {
                id: id.0,
                contact_id: contact.0,
                kind,
                at: at.0,
                detail,
            })
            .collect())
    }
}
