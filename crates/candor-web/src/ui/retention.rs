//! Retention in the back office (E4), for the dpo and admins: the policies in force
//! and the holds in words, a preview of what would go now (changes nothing, records
//! nothing), running the policies now once a box is ticked, and the last runs.

use super::{app_error, render_with, Chrome, Posted, Staff};
use crate::ui::i18n::Texts;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use candor_app::retention::{PolicyOutcome, RetentionRun};
use candor_app::{AppError, Candor};
use candor_domain::retention::{Period, Target};
use serde::Deserialize;
use uuid::Uuid;

pub struct PolicyRow {
    pub name: String,
    pub what: &'static str,
    pub period: String,
}

pub struct PreviewRow {
    pub name: String,
    pub what: String,
    /// People who would be erased, by id (links to their records).
    pub ids: Vec<Uuid>,
    pub more: usize,
}

pub struct RunRow {
    pub id: Uuid,
    pub at: String,
    pub by: String,
    pub kind: &'static str,
    pub summary: String,
    pub fresh: bool,
}

#[derive(Template)]
#[template(path = "retention.html")]
struct RetentionPage {
    c: Chrome,
    policies: Vec<PolicyRow>,
    holds: String,
    preview: Option<Vec<PreviewRow>>,
    runs: Vec<RunRow>,
    notice: Option<&'static str>,
    error: Option<&'static str>,
}

fn target_words(t: &Texts, target: Target) -> &'static str {
    match target {
        Target::InactiveProspects => t.ret_inactive_prospects,
        Target::FormerCustomers => t.ret_former_customers,
        Target::PendingConsents => t.ret_pending_consents,
        Target::TrackingEvents => t.ret_tracking_events,
        Target::EndedHolds => t.ret_ended_holds,
        Target::AuditEntries => t.ret_audit_entries,
        Target::ClosedRequests => t.ret_closed_requests,
    }
}

fn period_words(t: &Texts, p: Period) -> String {
    match p {
        Period::Hold => t.ret_own_hold.to_owned(),
        p => {
            let (fr, en) = p.words();
            if t.lang == "en" {
                en
            } else {
                fr
            }
        }
    }
}

/// "3 people erased", "1 row deleted", in the reader's language.
fn count_words(t: &Texts, action: &str, n: u64, dry: bool) -> String {
    let fr = t.lang == "fr";
    // French counts 0 and 1 in the singular, English only 1.
    let one = n == 1 || (fr && n == 0);
    let what = match (action, fr, one) {
        ("erase", true, true) => "personne effacée",
        ("erase", true, false) => "personnes effacées",
        ("erase", false, true) => "person erased",
        ("erase", false, false) => "people erased",
        ("lapse", true, true) => "consentement en attente clos",
        ("lapse", true, false) => "consentements en attente clos",
        ("lapse", false, true) => "pending consent closed",
        ("lapse", false, false) => "pending consents closed",
        (_, true, true) => "ligne supprimée",
        (_, true, false) => "lignes supprimées",
        (_, false, true) => "row deleted",
        (_, false, false) => "rows deleted",
    };
    match (dry, fr) {
        (true, true) => format!("{n} {what} si on les applique"),
        (true, false) => format!("{n} {what} if applied"),
        _ => format!("{n} {what}"),
    }
}

async fn who(app: &Candor, t: &Texts, actor: &str) -> String {
    match actor {
        "job:retention" => t.ret_by_job.to_owned(),
        "cli" => t.ret_by_cli.to_owned(),
        a if a.starts_with("token:") => t.ret_by_api.to_owned(),
        a => match a
            .strip_prefix("user:")
            .and_then(|u| Uuid::parse_str(u).ok())
        {
            Some(u) => app
                .staff_user(u)
                .await
                .ok()
                .flatten()
                .map_or_else(|| a.to_owned(), |s| s.email),
            None => a.to_owned(),
        },
    }
}

#[derive(Deserialize, Default)]
pub struct PageParams {
    preview: Option<String>,
    ran: Option<Uuid>,
}

async fn render(
    app: &Candor,
    staff: Staff,
    preview: Option<Vec<PolicyOutcome>>,
    fresh: Option<Uuid>,
    error: Option<&'static str>,
    status: StatusCode,
) -> Response {
    let t = staff.t();
    let runs = match app.retention_runs(&staff.actor, 20).await {
        Ok(r) => r,
        Err(e) => return app_error(t, e),
    };
    let cat = app.catalogue();
    let r = cat.retention();
    let mut rows = Vec::new();
    for run in &runs {
        rows.push(run_row(app, t, run, fresh).await);
    }
    let holds = if t.lang == "en" {
        format!(
            "After a person's erasure, their orders are kept {} years from their date ({}) and their contracts {} years from their end ({}), naming no one; then they are deleted.",
            r.holds.order_years, r.holds.order_ground, r.holds.contract_years, r.holds.contract_ground
        )
    } else {
        format!(
            "Après l'effacement d'une personne, ses commandes sont conservées {} ans à compter de leur date ({}) et ses contrats {} ans après leur fin ({}), sans nommer personne ; puis ils sont supprimés.",
            r.holds.order_years, r.holds.order_ground, r.holds.contract_years, r.holds.contract_ground
        )
    };
    let page = RetentionPage {
        policies: r
            .policies
            .iter()
            .map(|p| PolicyRow {
                name: p.name.clone(),
                what: target_words(t, p.target),
                period: period_words(t, p.period),
            })
            .collect(),
        holds,
        preview: preview.map(|out| {
            out.into_iter()
                .map(|p| PreviewRow {
                    name: p.outcome.name.clone(),
                    what: count_words(t, &p.outcome.action, p.outcome.count, true),
                    more: p.ids.len().saturating_sub(50),
                    ids: p.ids.into_iter().take(50).collect(),
                })
                .collect()
        }),
        runs: rows,
        notice: fresh.map(|_| t.ret_done),
        error,
        c: staff.chrome,
    };
    render_with(status, &page)
}

async fn run_row(app: &Candor, t: &Texts, run: &RetentionRun, fresh: Option<Uuid>) -> RunRow {
    RunRow {
        id: run.id,
        at: super::contacts::when(run.started_at),
        by: who(app, t, &run.actor).await,
        kind: if run.dry_run {
            t.ret_kind_preview
        } else {
            t.ret_kind_applied
        },
        summary: run
            .outcomes
            .iter()
            .filter(|o| o.count > 0)
            .map(|o| format!("{} : {}", o.name, count_words(t, &o.action, o.count, false)))
            .collect::<Vec<_>>()
            .join(" · "),
        fresh: fresh == Some(run.id),
    }
}

/// The page; with `?preview=1`, what each policy would do now.
pub async fn index(
    State(app): State<Candor>,
    staff: Staff,
    Query(p): Query<PageParams>,
) -> Response {
    let preview = if p.preview.is_some() {
        match app.retention_preview(&staff.actor).await {
            Ok(out) => Some(out),
            Err(e) => return app_error(staff.t(), e),
        }
    } else {
        None
    };
    render(&app, staff, preview, p.ran, None, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct RunForm {
    #[serde(default)]
    confirm: String,
}

/// Runs the policies now, once the box is ticked; the page with the run marked.
pub async fn run(State(app): State<Candor>, staff: Staff, Posted(f): Posted<RunForm>) -> Response {
    let t = staff.t();
    if f.confirm != "yes" {
        if !staff.actor.role.governs_data() {
            return app_error(
                t,
                AppError::RoleForbidden {
                    role: staff.actor.role,
                    what: "run the retention policies",
                },
            );
        }
        return render(
            &app,
            staff,
            None,
            None,
            Some(t.ret_confirm_needed),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match app.run_retention_as(&staff.actor, false).await {
        Ok((id, _)) => Redirect::to(&format!("/retention?ran={id}")).into_response(),
        Err(e) => app_error(t, e),
    }
}
