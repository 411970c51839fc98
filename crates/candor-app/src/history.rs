//! A contact's history (O1): what happened with them besides their fields and
//! consents, newest first: web visits and email opens and clicks, the emails sent to
//! them, their requests, and the changes to their record (who, when, which fields).
//! Tracking events and emails are shown only to the roles the catalogue lets read the
//! data they are made of, requests as the requests queue shows them, and changes
//! (field names, never values) to whoever opens the record; reading tracking events
//! or emails is audited like any other read.

use crate::{Actor, AppError, Candor};
use candor_domain::audit::AuditAction;
use candor_domain::catalogue::Entity;
use candor_domain::request::{RequestKind, RequestStatus};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// How many of each kind the history shows.
pub const HISTORY_LIMIT: u32 = 50;

/// One thing that happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Happening {
    /// A tracked trace: `web_visit`, `email_open`, `email_click`… with its detail
    /// (the page, the link).
    Trace { kind: String, detail: String },
    /// An email to the person: its subject line and its delivery status.
    Email { subject: String, status: String },
    Request {
        id: Uuid,
        kind: RequestKind,
        status: RequestStatus,
    },
    /// Their record created, changed or deleted: by whom (a staff member's email, an
    /// API token's name, or the actor as recorded), which fields.
    Change {
        action: AuditAction,
        by: String,
        fields: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryItem {
    pub at: OffsetDateTime,
    pub what: Happening,
}

impl Candor {
    /// A contact's history, newest first, as far as the actor's role may see it.
    pub async fn contact_history(
        &self,
        actor: &Actor,
        id: Uuid,
        endpoint: &str,
    ) -> Result<Vec<HistoryItem>, AppError> {
        if self.store.contacts().get(id).await?.is_none() {
            return Err(AppError::NotFound { what: "contact" });
        }
        let cat = self.catalogue();
        let reads = |f: &str| cat.can_read(actor.role, Entity::Contact, f);
        let mut out = Vec::new();
        let mut shown: Vec<String> = Vec::new();
        // Tracking events feed the open rate: whoever may read it may read them.
        if reads("newsletter_open_rate") {
            let traces = self.store.activity().of_subject(id, HISTORY_LIMIT).await?;
            if !traces.is_empty() {
                shown.push("activity".into());
            }
            out.extend(traces.into_iter().map(|a| HistoryItem {
                at: a.at,
                what: Happening::Trace {
                    kind: a.kind,
                    detail: a.detail,
                },
            }));
        }
        // Each message holds the address it went to.
        if reads("email") {
            let mails = self.store.outbox().of_subject(id, HISTORY_LIMIT).await?;
            if !mails.is_empty() {
                shown.push("outbox".into());
            }
            out.extend(mails.into_iter().map(|m| HistoryItem {
                at: m.sent_at.unwrap_or(m.mail.created_at),
                what: Happening::Email {
                    subject: m.mail.mail_subject,
                    status: m.status,
                },
            }));
        }
        // Requests: as the queue shows them (the dpo and admin all, sales and
        // support those they recorded).
        if matches!(
            actor.role,
            candor_domain::Role::Admin
                | candor_domain::Role::Dpo
                | candor_domain::Role::Sales
                | candor_domain::Role::Support
        ) {
            let mine = !actor.role.governs_data();
            let requests = self
                .store
                .requests()
                .list(&candor_store::RequestFilter {
                    subject_id: Some(id),
                    recorded_by: mine.then(|| actor.audit_name.clone()),
                    limit: HISTORY_LIMIT,
                    ..Default::default()
                })
                .await?;
            out.extend(requests.into_iter().map(|r| HistoryItem {
                at: r.created_at,
                what: Happening::Request {
                    id: r.id,
                    kind: r.kind,
                    status: r.status,
                },
            }));
        }
        // Changes name fields, never values; who made them, by name.
        let changes = self.store.audit().changes(id, HISTORY_LIMIT).await?;
        if !changes.is_empty() {
            let names = self.actor_names().await?;
            out.extend(changes.into_iter().map(|e| HistoryItem {
                at: e.at,
                what: Happening::Change {
                    action: e.action,
                    by: names.get(&e.actor).cloned().unwrap_or(e.actor),
                    fields: e.fields,
                },
            }));
        }
        out.sort_by_key(|i| std::cmp::Reverse(i.at));
        if !shown.is_empty() {
            self.audit(vec![self.access(
                actor,
                id,
                AuditAction::Read,
                shown,
                endpoint,
            )])
            .await?;
        }
        Ok(out)
    }

    /// The audit's actors by the names people know them by: `user:<id>` as the staff
    /// member's email, `token:<id>` as the API token's name.
    pub async fn actor_names(&self) -> Result<HashMap<String, String>, AppError> {
        let mut names: HashMap<String, String> = self
            .store
            .staff()
            .list()
            .await?
            .into_iter()
            .map(|u| (format!("user:{}", u.id), u.email))
            .collect();
        for t in self.store.tokens().list().await? {
            names.insert(format!("token:{}", t.id), t.name);
        }
        Ok(names)
    }
}
