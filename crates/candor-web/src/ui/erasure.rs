//! Erasing a person from the back office (E1, E2): the dpo or an admin confirms on the
//! contact's page; the page of the erasure record then shows what was done to each
//! kind of record and what the legal holds keep, with their end.

use super::{app_error, render_with, Chrome, Posted, Staff};
use crate::ui::i18n::Texts;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use candor_app::erasure::ErasureReport;
use candor_app::{AppError, Candor};
use candor_domain::erasure::{HoldKind, Why};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "erasure.html")]
struct ErasurePage {
    c: Chrome,
    id: Uuid,
    erased_at: String,
    actor: String,
    reason: String,
    just_now: bool,
    /// Table, deleted, minimised, held, sealed ("" for none).
    counts: Vec<(String, String, String, String, String)>,
    /// Kind, kept until, ground.
    held: Vec<(String, String, String)>,
}

/// A kind of record, as staff name it.
fn table_label(t: &Texts, table: &str) -> String {
    let fr = t.lang == "fr";
    let (en, f) = match table {
        "contact" => ("Contact record", "Fiche contact"),
        "customer_order" => ("Orders", "Commandes"),
        "activity" => (
            "Web visits and email tracking",
            "Visites et suivi des emails",
        ),
        "contract" => ("Contracts", "Contrats"),
        "audit_entry" => ("Access history", "Historique des accès"),
        "audit_head" => (
            "Access history (chain head)",
            "Historique des accès (tête de chaîne)",
        ),
        "consent_event" => ("Consent history", "Historique des consentements"),
        "consent_head" => (
            "Consent history (chain head)",
            "Historique des consentements (tête de chaîne)",
        ),
        "checkpoint_head" => (
            "Heads kept by the checkpoints",
            "Têtes gardées par les points de contrôle",
        ),
        "consent_state" => ("Current consents", "Consentements en cours"),
        "consent_token" => ("Confirmation links", "Liens de confirmation"),
        "outbox" => ("Emails", "Emails"),
        "address_status" => ("Undeliverable addresses", "Adresses injoignables"),
        "campaign_recipient" => ("Campaign recipients", "Destinataires de campagnes"),
        "subject_request" => ("Requests", "Demandes"),
        "bundle_link" => ("Download links", "Liens de téléchargement"),
        "request_event" => ("Request steps", "Étapes des demandes"),
        "contact_term" => ("Search words", "Mots de recherche"),
        "breach_notice" => ("Breach notices", "Avis de violation"),
        "portal_link" => (
            "Privacy portal sign-in links",
            "Liens de connexion à l'espace confidentialité",
        ),
        "portal_session" => (
            "Privacy portal sessions",
            "Sessions de l'espace confidentialité",
        ),
        "portal_account" => (
            "Privacy portal account",
            "Compte de l'espace confidentialité",
        ),
        other => (other, other),
    };
    if fr { f } else { en }.to_owned()
}

fn page(t: &'static Texts, r: ErasureReport, just_now: bool, c: Chrome) -> ErasurePage {
    let n = |v: u64| if v == 0 { String::new() } else { v.to_string() };
    let reason = if r.record.reason.starts_with("request:") {
        t.erased_by_request.to_owned()
    } else if r.record.reason.starts_with("policy:") {
        t.erased_by_policy.to_owned()
    } else {
        t.erased_by_staff.to_owned()
    };
    ErasurePage {
        id: r.record.id,
        erased_at: candor_domain::contact::rfc3339(r.record.erased_at),
        actor: r.record.actor.clone(),
        reason,
        just_now,
        counts: r
            .record
            .counts
            .iter()
            .map(|(table, k)| {
                (
                    table_label(t, table),
                    n(k.deleted),
                    n(k.minimised),
                    n(k.held),
                    n(k.sealed),
                )
            })
            .collect(),
        held: r
            .held
            .iter()
            .map(|h| {
                (
                    match h.kind {
                        HoldKind::Order => t.hold_order,
                        HoldKind::Contract => t.hold_contract,
                    }
                    .to_owned(),
                    h.held_until.to_string(),
                    h.reason.clone(),
                )
            })
            .collect(),
        c,
    }
}

#[derive(Deserialize, Default)]
pub struct EraseForm {
    #[serde(default)]
    confirm: String,
}

/// Erases the person once the box is ticked; the contact's page again otherwise.
pub async fn erase(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Posted(f): Posted<EraseForm>,
) -> Response {
    if f.confirm != "yes" {
        let t = staff.t();
        return super::contacts::contact_page(
            &app,
            staff,
            id,
            Some(t.erase_confirm_needed),
            Vec::new(),
            Default::default(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match app.erase_contact(&staff.actor, id, Why::Staff).await {
        Ok(_) => Redirect::to(&format!("/erasures/{id}?done=1")).into_response(),
        Err(e) => app_error(staff.t(), e),
    }
}

#[derive(Deserialize, Default)]
pub struct ShowParams {
    done: Option<String>,
}

/// The record of a person's erasure (by the id they had).
pub async fn show(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Query(p): Query<ShowParams>,
) -> Response {
    let t = staff.t();
    match app.erasure_of(&staff.actor, id).await {
        Ok(Some(r)) => {
            // A staff member is shown by their account's email and role.
            let by = match r
                .record
                .actor
                .strip_prefix("user:")
                .and_then(|u| Uuid::parse_str(u).ok())
            {
                Some(u) => app
                    .staff_user(u)
                    .await
                    .ok()
                    .flatten()
                    .map(|s| format!("{} ({})", s.email, s.role.as_str())),
                None => None,
            };
            let mut page = page(t, r, p.done.is_some(), staff.chrome);
            if let Some(by) = by {
                page.actor = by;
            }
            render_with(StatusCode::OK, &page)
        }
        Ok(None) => app_error(t, AppError::NotFound { what: "erasure" }),
        Err(e) => app_error(t, e),
    }
}
