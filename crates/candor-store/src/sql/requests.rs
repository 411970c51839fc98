//! Data subject requests and their timelines.

use super::{Db, Store, Tx};
use crate::error::{Result, StoreError};
use crate::model::{BundleLink, QueuedMail, RequestChange, RequestFilter};
use crate::personal::corrupt;
use crate::types::{Id, Ts};
use candor_domain::audit::AccessEvent;
use candor_domain::request::{
    Extension, IdentityCheck, RefusalReason, RequestChannel, RequestEvent, RequestKind,
    RequestStatus, Requester, SubjectRequest,
};
use sqlx::types::Json;
use std::collections::HashSet;
use time::Date;
use uuid::Uuid;

const COLUMNS: &str = "id, subject_id, kind, channel, status, received_on, deadline, \
    extension_months, extension_reason, extended_at, requester, details, identity_method, \
    identity_by, identity_at, refusal_reason, refusal_note, answer, recorded_by, created_at, \
    closed_at, restriction_lifted_at, receipt, receipt_signature";

#[derive(sqlx::FromRow)]
struct Row {
    id: Id,
    subject_id: Option<Id>,
    kind: String,
    channel: String,
    status: String,
    received_on: Date,
    deadline: Date,
    extension_months: Option<i64>,
    extension_reason: Option<String>,
    extended_at: Option<Ts>,
    requester: Json<Requester>,
    details: String,
    identity_method: Option<String>,
    identity_by: Option<String>,
    identity_at: Option<Ts>,
    refusal_reason: Option<String>,
    refusal_note: Option<String>,
    answer: Option<String>,
    recorded_by: String,
    created_at: Ts,
    closed_at: Option<Ts>,
    restriction_lifted_at: Option<Ts>,
    receipt: String,
    receipt_signature: String,
}

fn request(r: Row) -> Result<SubjectRequest> {
    let extension = match (r.extension_months, r.extension_reason, r.extended_at) {
        (Some(m), Some(reason), Some(at)) => Some(Extension {
            months: u8::try_from(m).map_err(|_| corrupt("extension months"))?,
            reason,
            at: at.0,
        }),
        _ => None,
    };
    let identity = match (r.identity_method, r.identity_by, r.identity_at) {
        (Some(method), Some(by), Some(at)) => Some(IdentityCheck {
            method,
            by,
            at: at.0,
        }),
        _ => None,
    };
    let refusal = r
        .refusal_reason
        .map(|why| {
            RefusalReason::parse("refusal_reason", &why)
                .map(|why| (why, r.refusal_note.unwrap_or_default()))
                .map_err(|_| corrupt("refusal reason"))
        })
        .transpose()?;
    Ok(SubjectRequest {
        id: r.id.0,
        subject_id: r.subject_id.map(|s| s.0),
        kind: RequestKind::parse("kind", &r.kind).map_err(|_| corrupt("request kind"))?,
        channel: RequestChannel::parse("channel", &r.channel)
            .map_err(|_| corrupt("request channel"))?,
        status: RequestStatus::parse("status", &r.status).map_err(|_| corrupt("request status"))?,
        received_on: r.received_on,
        deadline: r.deadline,
        extension,
        requester: r.requester.0,
        details: r.details,
        identity,
        refusal,
        answer: r.answer,
        recorded_by: r.recorded_by,
        created_at: r.created_at.0,
        closed_at: r.closed_at.map(|t| t.0),
        restriction_lifted_at: r.restriction_lifted_at.map(|t| t.0),
        receipt: r.receipt,
        receipt_signature: r.receipt_signature,
    })
}

async fn insert_event(tx: &mut Tx<'_>, subject: Option<Uuid>, e: &RequestEvent) -> Result<()> {
    sqlx::query(
        "INSERT INTO request_event (request_id, seq, subject_id, at, actor, action, detail) \
         VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM request_event WHERE request_id = $1), \
         $2, $3, $4, $5, $6)",
    )
    .bind(Id(e.request_id))
    .bind(subject.map(Id))
    .bind(Ts(e.at))
    .bind(&e.actor)
    .bind(&e.action)
    .bind(Json(&e.detail))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The restriction condition on `subject_request r`, as `SubjectRequest::restricts`.
const RESTRICTS: &str =
    "r.kind = 'restriction' AND r.status <> 'refused' AND r.restriction_lifted_at IS NULL";

#[async_trait::async_trait]
impl crate::face::Requests for Store {
    async fn insert(
        &self,
        r: &SubjectRequest,
        event: &RequestEvent,
        mail: Option<&QueuedMail>,
        audit: Vec<AccessEvent>,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query(&format!(
            "INSERT INTO subject_request ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)"
        ))
        .bind(Id(r.id))
        .bind(r.subject_id.map(Id))
        .bind(r.kind.as_str())
        .bind(r.channel.as_str())
        .bind(r.status.as_str())
        .bind(r.received_on)
        .bind(r.deadline)
        .bind(r.extension.as_ref().map(|e| i64::from(e.months)))
        .bind(r.extension.as_ref().map(|e| e.reason.clone()))
        .bind(r.extension.as_ref().map(|e| Ts(e.at)))
        .bind(Json(&r.requester))
        .bind(&r.details)
        .bind(r.identity.as_ref().map(|i| i.method.clone()))
        .bind(r.identity.as_ref().map(|i| i.by.clone()))
        .bind(r.identity.as_ref().map(|i| Ts(i.at)))
        .bind(r.refusal.as_ref().map(|f| f.0.as_str()))
        .bind(r.refusal.as_ref().map(|f| f.1.clone()))
        .bind(&r.answer)
        .bind(&r.recorded_by)
        .bind(Ts(r.created_at))
        .bind(r.closed_at.map(Ts))
        .bind(r.restriction_lifted_at.map(Ts))
        .bind(&r.receipt)
        .bind(&r.receipt_signature)
        .execute(&mut *tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Database(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
                StoreError::MissingReference {
                    field: "contact_id",
                }
            }
            other => other,
        })?;
        insert_event(&mut tx, r.subject_id, event).await?;
        if let Some(m) = mail {
            super::outbox::queue_in(&mut tx, m).await?;
        }
        super::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update(&self, c: RequestChange<'_>) -> Result<()> {
        let r = c.request;
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE subject_request SET status = $3, deadline = $4, extension_months = $5, \
             extension_reason = $6, extended_at = $7, identity_method = $8, identity_by = $9, \
             identity_at = $10, refusal_reason = $11, refusal_note = $12, answer = $13, \
             closed_at = $14, restriction_lifted_at = $15 WHERE id = $1 AND status = $2",
        )
        .bind(Id(r.id))
        .bind(c.expected.as_str())
        .bind(r.status.as_str())
        .bind(r.deadline)
        .bind(r.extension.as_ref().map(|e| i64::from(e.months)))
        .bind(r.extension.as_ref().map(|e| e.reason.clone()))
        .bind(r.extension.as_ref().map(|e| Ts(e.at)))
        .bind(r.identity.as_ref().map(|i| i.method.clone()))
        .bind(r.identity.as_ref().map(|i| i.by.clone()))
        .bind(r.identity.as_ref().map(|i| Ts(i.at)))
        .bind(r.refusal.as_ref().map(|f| f.0.as_str()))
        .bind(r.refusal.as_ref().map(|f| f.1.clone()))
        .bind(&r.answer)
        .bind(r.closed_at.map(Ts))
        .bind(r.restriction_lifted_at.map(Ts))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let exists: Option<Id> =
                sqlx::query_scalar("SELECT id FROM subject_request WHERE id = $1")
                    .bind(Id(r.id))
                    .fetch_optional(&mut *tx)
                    .await?;
            tx.rollback().await?;
            return Err(match exists {
                Some(_) => StoreError::Conflict("the request changed meanwhile".into()),
                None => StoreError::NotFound { what: "request" },
            });
        }
        insert_event(&mut tx, r.subject_id, c.event).await?;
        if let Some(m) = c.mail {
            super::outbox::queue_in(&mut tx, m).await?;
        }
        for d in c.consents {
            super::append_consent_in(&mut tx, d).await?;
        }
        if let Some(l) = c.link {
            sqlx::query(
                "INSERT INTO bundle_link (token_hash, request_id, subject_id, created_at, expires_at, downloads) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&l.token_hash)
            .bind(Id(l.request_id))
            .bind(Id(l.subject_id))
            .bind(Ts(l.created_at))
            .bind(Ts(l.expires_at))
            .bind(l.downloads)
            .execute(&mut *tx)
            .await?;
        }
        super::append_audit_in(&mut tx, c.audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get(&self, id: Uuid) -> Result<Option<SubjectRequest>> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM subject_request WHERE id = $1"
        ))
        .bind(Id(id))
        .fetch_optional(&self.reader)
        .await?;
        row.map(request).transpose()
    }

    async fn list(&self, f: &RequestFilter) -> Result<Vec<SubjectRequest>> {
        let mut q = sqlx::QueryBuilder::<Db>::new(format!(
            "SELECT {COLUMNS} FROM subject_request WHERE 1 = 1"
        ));
        if let Some(s) = f.status {
            q.push(" AND status = ").push_bind(s.as_str());
        }
        if let Some(k) = f.kind {
            q.push(" AND kind = ").push_bind(k.as_str());
        }
        if let Some(d) = f.due_by {
            q.push(" AND status NOT IN ('answered', 'refused') AND deadline <= ")
                .push_bind(d);
        }
        if let Some(by) = &f.recorded_by {
            q.push(" AND recorded_by = ").push_bind(by.clone());
        }
        if let Some(s) = f.subject_id {
            q.push(" AND subject_id = ").push_bind(Id(s));
        }
        q.push(" ORDER BY deadline, id LIMIT ")
            .push_bind(i64::from(f.limit));
        let rows: Vec<Row> = q.build_query_as().fetch_all(&self.reader).await?;
        rows.into_iter().map(request).collect()
    }

    async fn events(&self, id: Uuid) -> Result<Vec<RequestEvent>> {
        let rows: Vec<(Id, i64, Ts, String, String, Json<serde_json::Value>)> = sqlx::query_as(
            "SELECT request_id, seq, at, actor, action, detail FROM request_event \
             WHERE request_id = $1 ORDER BY seq",
        )
        .bind(Id(id))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(request_id, seq, at, actor, action, detail)| RequestEvent {
                    request_id: request_id.0,
                    seq,
                    at: at.0,
                    actor,
                    action,
                    detail: detail.0,
                },
            )
            .collect())
    }

    async fn link(&self, token_hash: &str) -> Result<Option<BundleLink>> {
        let row: Option<(String, Id, Id, Ts, Ts, i64)> = sqlx::query_as(
            "SELECT token_hash, request_id, subject_id, created_at, expires_at, downloads \
             FROM bundle_link WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|(token_hash, r, s, c, e, downloads)| BundleLink {
            token_hash,
            request_id: r.0,
            subject_id: s.0,
            created_at: c.0,
            expires_at: e.0,
            downloads,
        }))
    }

    async fn count_download(&self, token_hash: &str) -> Result<()> {
        sqlx::query("UPDATE bundle_link SET downloads = downloads + 1 WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn restricted(&self, subject: Uuid) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM subject_request r WHERE r.subject_id = $1 AND {RESTRICTS}"
        ))
        .bind(Id(subject))
        .fetch_one(&self.reader)
        .await?;
        Ok(n > 0)
    }

    async fn restricted_subjects(&self) -> Result<HashSet<Uuid>> {
        let ids: Vec<Id> = sqlx::query_scalar(&format!(
            "SELECT DISTINCT r.subject_id FROM subject_request r WHERE {RESTRICTS} \
             AND r.subject_id IS NOT NULL"
        ))
        .fetch_all(&self.reader)
        .await?;
        Ok(ids.into_iter().map(|i| i.0).collect())
    }
}
