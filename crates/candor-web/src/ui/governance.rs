//! The DPO's and the admin's reading desk: the access audit, searched by contact, user
//! and dates, and the emails the default transport kept.

use super::{app_error, render, Chrome, Staff};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use candor_app::AuditFilter;
use candor_app::Candor;
use serde::Deserialize;
use uuid::Uuid;

pub struct AuditRow {
    at: String,
    contact: String,
    contact_short: String,
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
    /// Contacts the search words found, when they found several: the reader picks one.
    matches: Vec<(String, String)>,
    errors: Vec<String>,
    /// The query string of the search (without the page), for the CSV and next links.
    query: String,
    next: Option<String>,
    paged: bool,
}

#[derive(Deserialize, Default)]
pub struct AuditParams {
    contact: Option<String>,
    user: Option<String>,
    from: Option<String>,
    until: Option<String>,
    after: Option<String>,
}

/// Audit rows per page.
const AUDIT_PAGE: u32 = 100;
/// Rows of a CSV export, at most.
const AUDIT_CSV_ROWS: u32 = 10_000;

fn date(s: &str) -> Option<time::Date> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A page's end as the next link carries it: `<unix nanos>.<subject>.<seq>`.
fn cursor_text(c: &candor_app::AuditCursor) -> String {
    format!("{}.{}.{}", c.at.unix_timestamp_nanos(), c.subject_id, c.seq)
}

fn cursor_of(s: &str) -> Option<candor_app::AuditCursor> {
    let mut parts = s.splitn(3, '.');
    let at = parts.next()?.parse::<i128>().ok()?;
    let subject_id = Uuid::parse_str(parts.next()?).ok()?;
    let seq = parts.next()?.parse().ok()?;
    Some(candor_app::AuditCursor {
        at: time::OffsetDateTime::from_unix_timestamp_nanos(at).ok()?,
        subject_id,
        seq,
    })
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The filter the page's fields say, the errors in the reader's words, and the
/// contacts found when the contact box held words that found several.
async fn audit_filter(
    app: &Candor,
    staff: &Staff,
    p: &AuditParams,
) -> Result<(AuditFilter, Vec<String>, Vec<(String, String)>), Response> {
    let t = staff.t();
    let mut filter = AuditFilter::default();
    let mut errors = Vec::new();
    let mut matches = Vec::new();
    let say = |field: &str, rule: &str, msg: &str| {
        format!(
            "{}{}{}",
            field,
            t.colon(),
            super::i18n::field_message(t, rule, msg)
        )
    };
    if let Some(c) = blank(&p.contact) {
        match Uuid::parse_str(c) {
            Ok(id) => filter.subject_id = Some(id),
            // Words: the contacts they find, in the fields the role may read.
            Err(_) => match app.search_contacts(&staff.actor, c, 20, "GET /audit").await {
                Ok(found) if found.len() == 1 => {
                    filter.subject_id = found[0]
                        .get("id")
                        .and_then(|v| v.as_str())
                        .and_then(|s| Uuid::parse_str(s).ok());
                }
                Ok(found) if found.is_empty() => {
                    errors.push(format!("{}{}{}", t.audit_contact, t.colon(), t.no_results))
                }
                Ok(found) => {
                    matches = found
                        .iter()
                        .map(|v| {
                            let name = format!(
                                "{} {}",
                                super::contacts::show_value(v.get("first_name")),
                                super::contacts::show_value(v.get("last_name"))
                            );
                            let email = super::contacts::show_value(v.get("email"));
                            (
                                super::contacts::show_value(v.get("id")),
                                format!("{} {}", name.trim(), email).trim().to_owned(),
                            )
                        })
                        .collect();
                }
                Err(candor_app::AppError::Invalid(errs)) => {
                    errors.extend(super::field_errors(t, &errs))
                }
                Err(e) => return Err(app_error(t, e)),
            },
        }
    }
    if let Some(u) = blank(&p.user) {
        filter.actor = Some(u.to_owned());
    }
    if let Some(d) = blank(&p.from) {
        match date(d) {
            Some(d) => filter.from = Some(d.midnight().assume_utc()),
            None => errors.push(say(
                t.from_date,
                "date_format",
                "must be a date (YYYY-MM-DD)",
            )),
        }
    }
    if let Some(d) = blank(&p.until) {
        match date(d) {
            Some(d) => filter.until = d.next_day().map(|n| n.midnight().assume_utc()),
            None => errors.push(say(
                t.until_date,
                "date_format",
                "must be a date (YYYY-MM-DD)",
            )),
        }
    }
    filter.after = blank(&p.after).and_then(cursor_of);
    Ok((filter, errors, matches))
}

fn audit_role(staff: &Staff) -> Option<Response> {
    let t = staff.t();
    (!matches!(
        staff.actor.role,
        candor_domain::Role::Dpo | candor_domain::Role::Admin
    ))
    .then(|| super::message_page(axum::http::StatusCode::FORBIDDEN, t, t.forbidden))
}

pub async fn audit(
    State(app): State<Candor>,
    staff: Staff,
    Query(p): Query<AuditParams>,
) -> Response {
    if let Some(refused) = audit_role(&staff) {
        return refused;
    }
    let t = staff.t();
    let names = match app.actor_names().await {
        Ok(n) => n,
        Err(e) => return app_error(t, e),
    };
    let (filter, errors, matches) = match audit_filter(&app, &staff, &p).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let searched = errors.is_empty() && matches.is_empty();
    let found = if searched {
        match app.search_audit(&staff.actor, &filter, AUDIT_PAGE).await {
            Ok(found) => found,
            Err(e) => return app_error(t, e),
        }
    } else {
        Vec::new()
    };
    let next = (found.len() == AUDIT_PAGE as usize)
        .then(|| found.last())
        .flatten()
        .map(|e| {
            cursor_text(&candor_app::AuditCursor {
                at: e.at,
                subject_id: e.subject_id,
                seq: e.seq,
            })
        });
    let rows = found
        .iter()
        .map(|e| {
            let contact = e.subject_id.to_string();
            AuditRow {
                at: super::i18n::moment(t, &candor_domain::contact::rfc3339(e.at)),
                contact_short: contact.chars().take(8).collect(),
                contact,
                actor: names
                    .get(&e.actor)
                    .cloned()
                    .unwrap_or_else(|| e.actor.clone()),
                action: e.action.as_str().to_owned(),
                fields: e.fields.join(", "),
                endpoint: e.endpoint.clone(),
            }
        })
        .collect();
    let contact_q = match filter.subject_id {
        Some(id) => id.to_string(),
        None => p.contact.clone().unwrap_or_default(),
    };
    let query = [
        ("contact", contact_q.as_str()),
        ("user", p.user.as_deref().unwrap_or_default()),
        ("from", p.from.as_deref().unwrap_or_default()),
        ("until", p.until.as_deref().unwrap_or_default()),
    ]
    .iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| format!("{k}={}", encode(v.trim())))
    .collect::<Vec<_>>()
    .join("&");
    let mut users: Vec<UserChoice> = names
        .iter()
        .map(|(value, label)| UserChoice {
            value: value.clone(),
            label: label.clone(),
        })
        .collect();
    users.sort_by(|a, b| a.label.cmp(&b.label));
    render(&AuditPage {
        q_contact: p.contact.clone().unwrap_or_default(),
        q_user: p.user.clone().unwrap_or_default(),
        q_from: p.from.clone().unwrap_or_default(),
        q_until: p.until.clone().unwrap_or_default(),
        users,
        rows,
        matches,
        errors,
        query,
        next,
        paged: filter.after.is_some(),
        c: staff.chrome,
    })
}

/// The audit search as a CSV file (the newest 10,000 rows at most).
pub async fn audit_csv(
    State(app): State<Candor>,
    staff: Staff,
    Query(p): Query<AuditParams>,
) -> Response {
    if let Some(refused) = audit_role(&staff) {
        return refused;
    }
    let t = staff.t();
    let (mut filter, errors, matches) = match audit_filter(&app, &staff, &p).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !errors.is_empty() || !matches.is_empty() {
        let msg = if errors.is_empty() {
            t.audit_pick_contact.to_owned()
        } else {
            errors.join("; ")
        };
        return super::message_page(axum::http::StatusCode::UNPROCESSABLE_ENTITY, t, &msg);
    }
    filter.after = None;
    match app.audit_csv(&staff.actor, &filter, AUDIT_CSV_ROWS).await {
        Ok(bytes) => (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "text/csv; charset=utf-8".to_owned(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"candor-audit-{}.csv\"",
                        app.now().date()
                    ),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => app_error(t, e),
    }
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
    let t = staff.t();
    // The list cuts the addresses and reads no body: no audit entry per message (the
    // page of one message reads it, and is audited).
    let entries = match app.outbox_summary(&staff.actor, 200).await {
        Ok(e) => e,
        Err(e) => return app_error(staff.t(), e),
    };
    render(&OutboxPage {
        rows: entries
            .iter()
            .map(|e| MailRow {
                id: e.mail.id.to_string(),
                at: super::i18n::moment(t, &candor_domain::contact::rfc3339(e.mail.created_at)),
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
