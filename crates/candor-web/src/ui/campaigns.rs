//! Campaigns (M3, M4): a segment builder over the fields the role may read, the
//! audience report rule by rule, sending, and the results.

use super::contacts::show_value;
use super::i18n::Texts;
use super::{app_error, render, render_with, Choice, Chrome, Posted, Staff};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use candor_app::campaigns::{AudienceReport, CampaignInput, CampaignView, Content};
use candor_app::{AppError, Candor};
use candor_domain::catalogue::Entity;
use candor_domain::communication::Category;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

pub struct SegmentRow {
    id: String,
    name: String,
}

pub struct CampaignRow {
    id: String,
    name: String,
    category: String,
    status: String,
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct CampaignsPage {
    c: Chrome,
    segments: Vec<SegmentRow>,
    campaigns: Vec<CampaignRow>,
    fields: Vec<Choice>,
    purposes: Vec<Choice>,
    categories: Vec<Choice>,
    errors: Vec<String>,
    preview: Option<(String, i64, Vec<String>)>,
}

#[derive(Deserialize, Default)]
pub struct IndexParams {
    segment: Option<Uuid>,
}

pub async fn index(
    State(app): State<Candor>,
    staff: Staff,
    Query(p): Query<IndexParams>,
) -> Response {
    // The role is checked before a preview reads (and audits) anyone.
    if !candor_app::campaigns::may_run_campaigns(staff.actor.role) {
        return super::message_page(StatusCode::FORBIDDEN, staff.t(), staff.t().forbidden);
    }
    let mut preview = None;
    if let Some(id) = p.segment {
        match app
            .preview_segment(&staff.actor, id, 10, "GET /campaigns")
            .await
        {
            Ok((count, first)) => {
                let names = first
                    .iter()
                    .map(|v| {
                        format!(
                            "{} {}",
                            show_value(v.get("first_name")),
                            show_value(v.get("last_name"))
                        )
                        .trim()
                        .to_owned()
                    })
                    .collect();
                preview = Some((id.to_string(), count, names));
            }
            Err(e) => return app_error(staff.t(), e),
        }
    }
    page(&app, staff, Vec::new(), preview, StatusCode::OK).await
}

async fn page(
    app: &Candor,
    staff: Staff,
    errors: Vec<String>,
    preview: Option<(String, i64, Vec<String>)>,
    status: StatusCode,
) -> Response {
    let t = staff.t();
    let (segments, campaigns) = match app.list_campaigns(&staff.actor, 50).await {
        Ok(x) => x,
        Err(e) => return app_error(t, e),
    };
    let cat = app.catalogue();
    let role = staff.actor.role;
    let fields = cat
        .entity_fields(Entity::Contact)
        .filter(|f| f.can_read(role))
        .map(|f| Choice {
            value: f.key(),
            label: t.pick(&f.label).to_owned(),
        })
        .collect();
    let purposes = super::consent_purposes(&cat, t);
    render_with(
        status,
        &CampaignsPage {
            segments: segments
                .iter()
                .map(|s| SegmentRow {
                    id: s.id.to_string(),
                    name: s.name.clone(),
                })
                .collect(),
            campaigns: campaigns.iter().map(|c| row(t, c)).collect(),
            fields,
            purposes,
            categories: candor_app::campaigns::campaign_categories(role)
                .iter()
                .map(|c| Choice {
                    value: c.as_str().to_owned(),
                    label: explained(&app.catalogue(), t, *c),
                })
                .collect(),
            errors,
            preview,
            c: staff.chrome,
        },
    )
}

/// A category's name for people.
pub fn category_label(t: &Texts, c: Category) -> &'static str {
    let en = t.lang == "en";
    match c {
        Category::Newsletter => {
            if en {
                "Newsletter"
            } else {
                "Lettre d'information"
            }
        }
        Category::Marketing => {
            if en {
                "Marketing offers"
            } else {
                "Offres commerciales"
            }
        }
        Category::Commercial => {
            if en {
                "Sales follow-up"
            } else {
                "Suivi commercial"
            }
        }
        Category::ContractService => {
            if en {
                "Contract service notice"
            } else {
                "Information sur le contrat"
            }
        }
        Category::ContractRenewal => {
            if en {
                "Contract renewal offer"
            } else {
                "Offre de renouvellement"
            }
        }
        Category::Security => {
            if en {
                "Security notice"
            } else {
                "Alerte de sécurité"
            }
        }
        Category::ConsentRequest => {
            if en {
                "Consent request"
            } else {
                "Demande de consentement"
            }
        }
        Category::LegalNotice => {
            if en {
                "Legal notice"
            } else {
                "Information légale"
            }
        }
    }
}

/// A category's name with the consent it needs, named as the catalogue names the
/// purpose (the one people gave or refused): "Offres commerciales · consentement
/// requis : « Offres commerciales »".
fn explained(cat: &candor_domain::catalogue::Catalogue, t: &Texts, c: Category) -> String {
    let name = category_label(t, c);
    match c.purpose().and_then(|p| cat.consent_purpose(p)) {
        Some(p) => format!(
            "{name} · {} {}",
            t.needs_consent,
            t.quoted(t.pick(&p.label))
        ),
        None => name.to_owned(),
    }
}

fn label_of(cat: &candor_domain::catalogue::Catalogue, t: &Texts, category: &str) -> String {
    Category::parse("category", category)
        .map(|c| explained(cat, t, c))
        .unwrap_or_else(|_| category.to_owned())
}

fn row(t: &Texts, c: &CampaignView) -> CampaignRow {
    CampaignRow {
        id: c.id.to_string(),
        name: c.name.clone(),
        category: Category::parse("category", &c.category)
            .map(|k| category_label(t, k).to_owned())
            .unwrap_or_else(|_| c.category.clone()),
        status: if c.status == "sent" { t.sent } else { t.draft }.to_owned(),
    }
}

/// The builder's form: up to three field conditions, a consent condition, and
/// whether a running contract is required.
#[derive(Deserialize, Default)]
pub struct SegmentForm {
    name: String,
    #[serde(default)]
    field1: String,
    #[serde(default)]
    op1: String,
    #[serde(default)]
    value1: String,
    #[serde(default)]
    field2: String,
    #[serde(default)]
    op2: String,
    #[serde(default)]
    value2: String,
    #[serde(default)]
    consent_purpose: String,
    #[serde(default)]
    active_contract: String,
}

pub async fn create_segment(
    State(app): State<Candor>,
    staff: Staff,
    Posted(f): Posted<SegmentForm>,
) -> Response {
    let mut conditions: Vec<Value> = Vec::new();
    for (field, op, value) in [
        (&f.field1, &f.op1, &f.value1),
        (&f.field2, &f.op2, &f.value2),
    ] {
        if field.is_empty() {
            continue;
        }
        let op = if op.is_empty() { "equals" } else { op.as_str() };
        conditions.push(json!({"field": field, "op": op, "value": value}));
    }
    if !f.consent_purpose.is_empty() {
        conditions.push(json!({"consent": {"purpose": f.consent_purpose, "channel": "email", "status": "effective"}}));
    }
    if f.active_contract == "yes" {
        conditions.push(json!({"has_active_contract": true}));
    }
    match app.create_segment(&staff.actor, &f.name, conditions).await {
        Ok(s) => Redirect::to(&format!("/campaigns?segment={}", s.id)).into_response(),
        Err(AppError::Invalid(errs)) => {
            let errors = super::field_errors(staff.t(), &errs);
            page(&app, staff, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(staff.t(), e),
    }
}

#[derive(Deserialize, Default)]
pub struct CampaignForm {
    name: String,
    category: String,
    segment_id: String,
    #[serde(default)]
    subject_fr: String,
    #[serde(default)]
    body_fr: String,
    #[serde(default)]
    subject_en: String,
    #[serde(default)]
    body_en: String,
}

pub async fn create_campaign(
    State(app): State<Candor>,
    staff: Staff,
    Posted(f): Posted<CampaignForm>,
) -> Response {
    let Ok(segment_id) = Uuid::parse_str(&f.segment_id) else {
        let t = staff.t();
        let error = format!(
            "{}{} {}",
            super::i18n::field_label(t, "segment_id"),
            if t.lang == "fr" { " :" } else { ":" },
            t.pick_segment
        );
        return page(
            &app,
            staff,
            vec![error],
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let mut content = BTreeMap::new();
    for (lang, subject, body) in [
        ("fr", &f.subject_fr, &f.body_fr),
        ("en", &f.subject_en, &f.body_en),
    ] {
        if !subject.trim().is_empty() || !body.trim().is_empty() {
            content.insert(
                lang.to_owned(),
                Content {
                    subject: subject.clone(),
                    body: body.clone(),
                },
            );
        }
    }
    let input = CampaignInput {
        name: f.name.clone(),
        category: f.category.clone(),
        channel: "email".into(),
        segment_id,
        content,
    };
    match app.create_campaign(&staff.actor, input).await {
        Ok(c) => Redirect::to(&format!("/campaigns/{}", c.id)).into_response(),
        Err(AppError::Invalid(errs)) => {
            let errors = super::field_errors(staff.t(), &errs);
            page(&app, staff, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(staff.t(), e),
    }
}

pub struct ExclusionRow {
    rule: String,
    count: u64,
    explanation: String,
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    c: Chrome,
    id: String,
    name: String,
    category: String,
    sent: bool,
    sent_at: String,
    segment_size: u64,
    allowed: u64,
    locales: Vec<(String, u64)>,
    exclusions: Vec<ExclusionRow>,
    recipients: i64,
    opens: i64,
    clicks: i64,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ShowParams {
    queued: Option<u64>,
    again: Option<String>,
}

fn report_rows(t: &Texts, r: &AudienceReport) -> Vec<ExclusionRow> {
    r.excluded
        .iter()
        .map(|x| ExclusionRow {
            rule: x.rule.clone(),
            count: x.count,
            explanation: x.explanation.get(t.lang).cloned().unwrap_or_default(),
        })
        .collect()
}

pub async fn show(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Query(p): Query<ShowParams>,
) -> Response {
    let t = staff.t();
    let campaign = match app.get_campaign(&staff.actor, id).await {
        Ok(c) => c,
        Err(e) => return app_error(t, e),
    };
    let sent = campaign.status == "sent";
    // A sent campaign shows the report it was sent with; a draft, the audience now.
    let report = match (&campaign.report, sent) {
        (Some(r), true) => r.clone(),
        _ => match app.campaign_audience(&staff.actor, id).await {
            Ok(r) => r,
            Err(e) => return app_error(t, e),
        },
    };
    let (recipients, opens, clicks) = match app.campaign_results(&staff.actor, id).await {
        Ok(x) => x,
        Err(e) => return app_error(t, e),
    };
    let notice = match (p.queued, p.again) {
        (_, Some(_)) => Some(t.already_sent.to_owned()),
        (Some(n), None) => Some(format!("{}: {n}", t.queued)),
        _ => None,
    };
    render(&CampaignPage {
        id: id.to_string(),
        name: campaign.name.clone(),
        category: label_of(&app.catalogue(), t, &campaign.category),
        sent,
        sent_at: campaign
            .sent_at
            .as_deref()
            .and_then(|s| {
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
            })
            .map(super::contacts::when)
            .unwrap_or_default(),
        segment_size: report.segment_size,
        allowed: report.allowed,
        locales: report
            .locales
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
        exclusions: report_rows(t, &report),
        recipients,
        opens,
        clicks,
        notice,
        error: None,
        c: staff.chrome,
    })
}

#[derive(Deserialize)]
pub struct SendForm {
    #[serde(default)]
    confirm: String,
}

pub async fn send(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Posted(f): Posted<SendForm>,
) -> Response {
    if f.confirm != "yes" {
        let t = staff.t();
        return super::message_page(StatusCode::UNPROCESSABLE_ENTITY, t, t.confirm_send);
    }
    match app.send_campaign(&staff.actor, id).await {
        Ok(o) if o.already_sent => {
            Redirect::to(&format!("/campaigns/{id}?again=1")).into_response()
        }
        Ok(o) => Redirect::to(&format!("/campaigns/{id}?queued={}", o.queued)).into_response(),
        Err(AppError::Invalid(errs)) => {
            let msg = super::field_errors(staff.t(), &errs).join("; ");
            super::message_page(StatusCode::UNPROCESSABLE_ENTITY, staff.t(), &msg)
        }
        Err(e) => app_error(staff.t(), e),
    }
}
