//! The DPO's and the admin's reading desk: the access audit, searched by contact, user
//! and dates, and the emails the default transport kept.

use super::{app_error, render, Chrome, Staff};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use candor_app::AuditFilter;
use candor_app::Candor;
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

pub struct AuditRow {
    at: String,
    contact: String,
    actor: String,
    action: String,
    fields: String,
    endpoint: String,
}

pub struct UserChoice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    q_contact: String,
    q_user: String,
    q_from: String,
    q_until: String,
    users: Vec<UserChoice>,
    rows: Vec<AuditRow>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct AuditParams {
    contact: Option<String>,
    user: Option<String>,
    from: Option<String>,
    until: Option<String>,
}

fn date(field: &str, s: &str) -> Result<time::Date, String> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("{field}: must be a date (YYYY-MM-DD)"))
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub async fn audit(
    State(app): State<Candor>,
    staff: Staff,
    Query(p): Query<AuditParams>,
) -> Response {
    let t = staff.t();
    if !matches!(
        staff.actor.role,
        candor_domain::Role::Dpo | candor_domain::Role::Admin
    ) {
        return super::message_page(axum::http::StatusCode::FORBIDDEN, t, t.forbidden);
    }
    let users = match app.list_staff_users().await {
        Ok(u) => u,
        Err(e) => return app_error(t, e),
    };
    let names: HashMap<String, String> = users
        .iter()
        .map(|u| (format!("user:{}", u.id), u.email.clone()))
        .collect();
    let mut filter = AuditFilter::default();
    let mut errors = Vec::new();
    if let Some(c) = blank(&p.contact) {
        match Uuid::parse_str(c) {
            Ok(id) => filter.subject_id = Some(id),
            Err(_) => errors.push("contact: must be a contact id (UUID)".to_owned()),
        }
    }
    if let Some(u) = blank(&p.user) {
        filter.actor = Some(u.to_owned());
    }
    if let Some(d) = blank(&p.from) {
        match date("from", d) {
            Ok(d) => filter.from = Some(d.midnight().assume_utc()),
            Err(e) => errors.push(e),
        }
    }
    if let Some(d) = blank(&p.until) {
        match date("until", d) {
            Ok(d) => filter.until = d.next_day().map(|n| n.midnight().assume_utc()),
            Err(e) => errors.push(e),
        }
    }
    let rows = if errors.is_empty() {
        match app.search_audit(&staff.actor, &filter, 200).await {
            Ok(found) => found
                .iter()
                .map(|e| AuditRow {
                    at: super::contacts::when(e.at),
                    contact: e.subject_id.to_string(),
                    actor: names
                        .get(&e.actor)
                        .cloned()
                        .unwrap_or_else(|| e.actor.clone()),
                    action: e.action.as_str().to_owned(),
                    fields: e.fields.join(", "),
                    endpoint: e.endpoint.clone(),
                })
                .collect(),
            Err(e) => return app_error(t, e),
        }
    } else {
        Vec::new()
    };
    render(&AuditPage {
        q_contact: p.contact.clone().unwrap_or_default(),
        q_user: p.user.clone().unwrap_or_default(),
        q_from: p.from.clone().unwrap_or_default(),
        q_until: p.until.clone().unwrap_or_default(),
        users: users
            .iter()
            .map(|u| UserChoice {
                value: format!("user:{}", u.id),
                label: format!("{} ({})", u.email, u.role.as_str()),
            })
            .collect(),
        rows,
        error: (!errors.is_empty()).then(|| errors.join("; ")),
        c: staff.chrome,
    })
}

pub struct MailRow {
    id: String,
    at: String,
    to: String,
    subject: String,
    category: String,
    status: String,
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct OutboxPage {
    c: Chrome,
    rows: Vec<MailRow>,
}

pub async fn outbox(State(app): State<Candor>, staff: Staff) -> Response {
    let entries = match app.outbox(&staff.actor, 200, "GET /outbox").await {
        Ok(e) => e,
        Err(e) => return app_error(staff.t(), e),
    };
    render(&OutboxPage {
        rows: entries
            .iter()
            .map(|e| MailRow {
                id: e.mail.id.to_string(),
                at: super::contacts::when(e.mail.created_at),
                to: e.mail.recipient.clone(),
                subject: e.mail.mail_subject.clone(),
                category: e.mail.category.clone(),
                status: e.status.clone(),
            })
            .collect(),
        c: staff.chrome,
    })
}

#[derive(Template)]
#[template(path = "outbox_mail.html")]
struct MailPage {
    c: Chrome,
    row: MailRow,
    body: String,
    unsubscribe: String,
}

pub async fn outbox_mail(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> Response {
    let t = staff.t();
    let e = match app.outbox_mail(&staff.actor, id, "GET /outbox/{id}").await {
        Ok(e) => e,
        Err(e) => return app_error(t, e),
    };
    render(&MailPage {
        row: MailRow {
            id: e.mail.id.to_string(),
            at: super::contacts::when(e.mail.created_at),
            to: e.mail.recipient.clone(),
            subject: e.mail.mail_subject.clone(),
            category: e.mail.category.clone(),
            status: e.status.clone(),
        },
        body: e.mail.body_text.clone(),
        unsubscribe: e.mail.list_unsubscribe.clone().unwrap_or_default(),
        c: staff.chrome,
    })
}
