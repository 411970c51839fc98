//! The compliance dashboard in the back office (O1, R7), the dpo's and admin's home:
//! each obligation watched with its count, the list behind it, the article and the
//! tier of Art. 83; the maximum fines for the configured turnover, or one typed in to
//! see (changing nothing); the last verification of the chains and retention run. And
//! the contacts behind the counts that name people, by id.

use super::{app_error, render_with, Chrome, Staff};
use crate::ui::i18n::{self, Texts};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use candor_app::compliance::ContactList;
use candor_app::{AppError, Candor};
use candor_domain::compliance::Item;
use serde::Deserialize;
use uuid::Uuid;

/// A whole number with its digits grouped the reader's way: 20 000 000 or 20,000,000.
pub fn grouped(t: &Texts, n: u64) -> String {
    let digits = n.to_string();
    let sep = if t.lang == "fr" { '\u{202f}' } else { ',' };
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(d);
    }
    out
}

/// An amount in euros, the reader's way.
pub fn euros(t: &Texts, n: u64) -> String {
    if t.lang == "fr" {
        format!("{}\u{a0}€", grouped(t, n))
    } else {
        format!("€{}", grouped(t, n))
    }
}

fn item_words(t: &Texts, i: Item) -> &'static str {
    match i {
        Item::NoLawfulBasis => t.co_no_basis,
        Item::PendingConsents => t.co_pending,
        Item::OverdueRequests => t.co_overdue,
        Item::RequestsDueSoon => t.co_due_soon,
        Item::BreachClocksRunning => t.co_clocks,
        Item::BreachesLate => t.co_breaches_late,
        Item::UnjustifiedFields => t.co_unjustified,
        Item::RetentionLate => t.co_retention_late,
        Item::ChainsUnverified => t.co_unverified,
    }
}

pub struct ItemRow {
    pub id: &'static str,
    pub what: &'static str,
    pub count: String,
    pub link: &'static str,
    pub article: &'static str,
    pub tier: &'static str,
    /// `ok`, `warn` or `breach`.
    pub state: &'static str,
    pub exposure: String,
}

#[derive(Template)]
#[template(path = "compliance.html")]
struct CompliancePage {
    c: Chrome,
    rows: Vec<ItemRow>,
    turnover: String,
    typed: String,
    what_if: bool,
    fine_upper: String,
    fine_lower: String,
    exposure: String,
    exposed: bool,
    verify: String,
    verify_ok: bool,
    retention: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct DashboardQuery {
    #[serde(default)]
    annual_turnover_eur: String,
}

/// The dashboard; `?annual_turnover_eur=` shows the fines for another turnover.
pub async fn index(
    State(app): State<Candor>,
    staff: Staff,
    Query(q): Query<DashboardQuery>,
) -> Response {
    let t = staff.t();
    let typed = q
        .annual_turnover_eur
        .trim()
        .replace([' ', '\u{a0}', '\u{202f}', ','], "");
    let (what_if, error) = if typed.is_empty() {
        (None, None)
    } else {
        match typed
            .parse::<i64>()
            .ok()
            .and_then(|n| u64::try_from(n).ok())
        {
            Some(n) => (Some(n), None),
            None => (
                None,
                Some(format!(
                    "{} : {}",
                    t.co_turnover,
                    i18n::field_message(t, "non_negative", "must be a whole number, 0 or more")
                )),
            ),
        }
    };
    let d = match app.compliance(&staff.actor, what_if).await {
        Ok(d) => d,
        Err(e) => return app_error(t, e),
    };
    let rows = d
        .items
        .iter()
        .map(|i| ItemRow {
            id: i.item.as_str(),
            what: item_words(t, i.item),
            count: grouped(t, u64::try_from(i.count).unwrap_or(0)),
            link: i.link,
            article: i.article,
            tier: i.tier.as_str(),
            state: match (i.count, i.warning_only) {
                (0, _) => "ok",
                (_, true) => "warn",
                _ => "breach",
            },
            exposure: i.exposure_eur.map(|e| euros(t, e)).unwrap_or_default(),
        })
        .collect();
    let when = super::contacts::when;
    let verify = match &d.last_verify {
        None => t.co_never.to_owned(),
        Some(v) if v.broken == 0 => format!(
            "{} · {} {} · {}",
            when(v.at),
            grouped(t, v.entries),
            t.co_entries,
            t.co_intact
        ),
        Some(v) => format!("{} · {} {}", when(v.at), grouped(t, v.broken), t.co_broken),
    };
    let page = CompliancePage {
        rows,
        turnover: d
            .annual_turnover_eur
            .map(|n| euros(t, n))
            .unwrap_or_else(|| t.co_no_turnover.to_owned()),
        typed: if error.is_some() {
            q.annual_turnover_eur.clone()
        } else {
            typed
        },
        what_if: what_if.is_some(),
        fine_upper: euros(t, d.max_fine_83_5_eur),
        fine_lower: euros(t, d.max_fine_83_4_eur),
        exposure: euros(t, d.exposure_eur),
        exposed: d.exposure_eur > 0,
        verify_ok: d.last_verify.as_ref().is_some_and(|v| v.broken == 0),
        verify,
        retention: d
            .last_retention
            .map(|r| when(r.finished_at))
            .unwrap_or_else(|| t.co_never.to_owned()),
        error: error.clone(),
        c: staff.chrome,
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render_with(status, &page)
}

#[derive(Template)]
#[template(path = "compliance_list.html")]
struct ListPage {
    c: Chrome,
    title: &'static str,
    count: String,
    ids: Vec<Uuid>,
    next: Option<Uuid>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    after: Option<Uuid>,
}

/// The contacts behind a count, 100 a page, each linking to their record.
pub async fn list(
    State(app): State<Candor>,
    staff: Staff,
    Path(item): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    let t = staff.t();
    let Some(list) = ContactList::parse(&item) else {
        return app_error(t, AppError::NotFound { what: "list" });
    };
    match app
        .compliance_contacts(&staff.actor, list, q.after, 100)
        .await
    {
        Ok((count, ids)) => {
            let next = (ids.len() == 100).then(|| ids.last().copied()).flatten();
            render_with(
                StatusCode::OK,
                &ListPage {
                    title: match list {
                        ContactList::NoLawfulBasis => t.co_no_basis,
                        ContactList::PendingConsents => t.co_pending,
                    },
                    count: grouped(t, u64::try_from(count).unwrap_or(0)),
                    ids,
                    next,
                    c: staff.chrome,
                },
            )
        }
        Err(e) => app_error(t, e),
    }
}
