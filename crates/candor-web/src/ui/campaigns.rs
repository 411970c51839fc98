//! Campaigns (M3, M4): the list of campaigns and segments, a campaign written and
//! edited until it is sent, previewed in each language as recipients get it, tested
//! on the staff member's own address, checked against the languages its audience
//! reads, and sent by a job whose progress the page follows.

use super::i18n::{grouped, Texts};
use super::{app_error, render, render_with, Choice, Chrome, Posted, Staff};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use candor_app::campaigns::{
    AudienceReport, CampaignInput, CampaignView, Content, Preview, Progress,
};
use candor_app::{AppError, Candor};
use candor_domain::communication::Category;
use serde::Deserialize;
use std::collections::BTreeMap;
use uuid::Uuid;

pub struct SegmentRow {
    id: String,
    name: String,
    conditions: Vec<String>,
}

pub struct CampaignRow {
    id: String,
    name: String,
    category: String,
    state: &'static str,
    created: String,
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct CampaignsPage {
    c: Chrome,
    segments: Vec<SegmentRow>,
    campaigns: Vec<CampaignRow>,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
pub struct IndexParams {
    segment_deleted: Option<String>,
}

/// A campaign's state in words.
pub fn state_word(t: &Texts, state: &str) -> &'static str {
    match state {
        "sent" => t.sent,
        "sending" => t.sending,
        _ => t.draft,
    }
}

pub async fn index(
    State(app): State<Candor>,
    staff: Staff,
    Query(p): Query<IndexParams>,
) -> Response {
    let t = staff.t();
    let (segments, campaigns) = match app.list_campaigns(&staff.actor, 100).await {
        Ok(x) => x,
        Err(e) => return app_error(t, e),
    };
    let segments = segments
        .iter()
        .map(|s| SegmentRow {
            id: s.id.to_string(),
            name: s.name.clone(),
            conditions: super::segments::describe(
                &app,
                t,
                &serde_json::from_str::<Vec<serde_json::Value>>(&s.conditions).unwrap_or_default(),
            ),
        })
        .collect();
    render(&CampaignsPage {
        campaigns: campaigns.iter().map(|c| row(t, c)).collect(),
        segments,
        notice: p.segment_deleted.map(|_| t.seg_deleted),
        c: staff.chrome,
    })
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
        state: state_word(t, c.state()),
        created: super::i18n::day(t, &c.created_at),
    }
}

// ---------------------------------------------------------------- the campaign form

#[derive(Template)]
#[template(path = "campaign_form.html")]
struct FormPage {
    c: Chrome,
    /// The campaign edited, if any.
    id: Option<String>,
    f: CampaignForm,
    segments: Vec<Choice>,
    categories: Vec<Choice>,
    errors: Vec<String>,
    /// Each error by the form field it belongs to (`subject_fr` for
    /// `content.fr.subject`), shown next to it.
    at: BTreeMap<&'static str, String>,
}

impl FormPage {
    fn at(&self, field: &str) -> Option<&String> {
        self.at.get(field)
    }
}

/// The form field an error's path names.
fn form_field(path: &str) -> Option<&'static str> {
    Some(match path {
        "name" => "name",
        "category" => "category",
        "segment_id" | "segment" => "segment_id",
        "content.fr.subject" => "subject_fr",
        "content.fr.body" => "body_fr",
        "content.en.subject" => "subject_en",
        "content.en.body" => "body_en",
        "content" | "content.fr" => "subject_fr",
        "content.en" => "subject_en",
        _ => return None,
    })
}

/// The campaign's form, as typed.
#[derive(Deserialize, Default, Clone)]
pub struct CampaignForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
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

async fn form_page(
    app: &Candor,
    staff: Staff,
    id: Option<Uuid>,
    f: CampaignForm,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    let t = staff.t();
    let mut at = BTreeMap::new();
    for (path, msg) in &errors {
        if let Some(k) = form_field(path) {
            at.entry(k).or_insert_with(|| msg.clone());
        }
    }
    let errors = errors.into_iter().map(|(_, m)| m).collect();
    let (segments, _) = match app.list_campaigns(&staff.actor, 500).await {
        Ok(x) => x,
        Err(e) => return app_error(t, e),
    };
    let cat = app.catalogue();
    render_with(
        status,
        &FormPage {
            id: id.map(|i| i.to_string()),
            f,
            segments: segments
                .iter()
                .map(|s| Choice {
                    value: s.id.to_string(),
                    label: s.name.clone(),
                })
                .collect(),
            categories: candor_app::campaigns::campaign_categories(staff.actor.role)
                .iter()
                .map(|c| Choice {
                    value: c.as_str().to_owned(),
                    label: explained(&cat, t, *c),
                })
                .collect(),
            errors,
            at,
            c: staff.chrome,
        },
    )
}

/// A refusal's errors with the path each names, in the reader's words.
fn named_errors(t: &Texts, errs: &candor_domain::FieldErrors) -> Vec<(String, String)> {
    errs.0
        .iter()
        .zip(super::field_errors(t, errs))
        .map(|(e, m)| (e.field.clone(), m))
        .collect()
}

#[derive(Deserialize, Default)]
pub struct NewParams {
    segment: Option<String>,
}

pub async fn new_campaign(
    State(app): State<Candor>,
    staff: Staff,
    Query(p): Query<NewParams>,
) -> Response {
    let f = CampaignForm {
        segment_id: p.segment.unwrap_or_default(),
        ..CampaignForm::default()
    };
    form_page(&app, staff, None, f, Vec::new(), StatusCode::OK).await
}

pub async fn edit(State(app): State<Candor>, staff: Staff, Path(id): Path<Uuid>) -> Response {
    let c = match app.get_campaign(&staff.actor, id).await {
        Ok(c) => c,
        Err(e) => return app_error(staff.t(), e),
    };
    if c.state() != "draft" {
        return Redirect::to(&format!("/campaigns/{id}")).into_response();
    }
    let text = |l: &str| {
        c.content.get(l).cloned().unwrap_or(Content {
            subject: String::new(),
            body: String::new(),
        })
    };
    let (fr, en) = (text("fr"), text("en"));
    let f = CampaignForm {
        name: c.name.clone(),
        category: c.category.clone(),
        segment_id: c.segment_id.to_string(),
        subject_fr: fr.subject,
        body_fr: fr.body,
        subject_en: en.subject,
        body_en: en.body,
    };
    form_page(&app, staff, Some(id), f, Vec::new(), StatusCode::OK).await
}

fn input_of(f: &CampaignForm, segment_id: Uuid) -> CampaignInput {
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
    CampaignInput {
        name: f.name.clone(),
        category: f.category.clone(),
        channel: "email".into(),
        segment_id,
        content,
    }
}

async fn save(app: Candor, staff: Staff, id: Option<Uuid>, f: CampaignForm) -> Response {
    let t = staff.t();
    let Ok(segment_id) = Uuid::parse_str(&f.segment_id) else {
        let error = format!(
            "{}{}{}",
            super::i18n::field_label(t, "segment_id"),
            t.colon(),
            t.pick_segment
        );
        return form_page(
            &app,
            staff,
            id,
            f,
            vec![("segment_id".to_owned(), error)],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let input = input_of(&f, segment_id);
    let saved = match id {
        Some(id) => app.update_campaign(&staff.actor, id, input).await,
        None => app.create_campaign(&staff.actor, input).await,
    };
    let errors = match saved {
        Ok(c) => return Redirect::to(&format!("/campaigns/{}?saved=1", c.id)).into_response(),
        Err(AppError::Invalid(errs)) => named_errors(t, &errs),
        Err(AppError::NotEditable { .. }) => {
            vec![(String::new(), t.camp_not_editable.to_owned())]
        }
        Err(AppError::NotFound { what: "segment" }) => vec![(
            "segment_id".to_owned(),
            format!(
                "{}{}{}",
                super::i18n::field_label(t, "segment_id"),
                t.colon(),
                t.pick_segment
            ),
        )],
        Err(e) => return app_error(t, e),
    };
    form_page(&app, staff, id, f, errors, StatusCode::UNPROCESSABLE_ENTITY).await
}

pub async fn create_campaign(
    State(app): State<Candor>,
    staff: Staff,
    Posted(f): Posted<CampaignForm>,
) -> Response {
    save(app, staff, None, f).await
}

pub async fn update(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Posted(f): Posted<CampaignForm>,
) -> Response {
    save(app, staff, Some(id), f).await
}

// ---------------------------------------------------------------- the campaign page

pub struct ExclusionRow {
    rule: String,
    count: String,
    explanation: String,
}

pub struct PreviewRow {
    lang: String,
    lang_name: &'static str,
    subject: String,
    text: String,
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    c: Chrome,
    id: String,
    name: String,
    category: String,
    segment_id: String,
    state: &'static str,
    state_name: &'static str,
    sent_at: String,
    segment_size: String,
    allowed: u64,
    allowed_shown: String,
    locales: Vec<(&'static str, String)>,
    missing: Vec<String>,
    exclusions: Vec<ExclusionRow>,
    previews: Vec<PreviewRow>,
    progress: ProgressView,
    opens: String,
    clicks: String,
    notice: Option<String>,
}

/// The progress block (what htmx polls while the campaign is being sent).
#[derive(Template)]
#[template(path = "campaign_progress.html")]
struct ProgressFragment {
    id: String,
    progress: ProgressView,
}

pub struct ProgressView {
    state: &'static str,
    queued: i64,
    total: u64,
    line: String,
    retry: Option<String>,
}

fn progress_view(t: &Texts, p: &Progress) -> ProgressView {
    let line = match p.state {
        "sent" => format!("{}{}{}", t.camp_sent_to, t.colon(), grouped(t, p.queued)),
        "sending" => format!(
            "{}{}{} / {}",
            t.camp_sending_now,
            t.colon(),
            grouped(t, p.queued),
            grouped(t, i64::try_from(p.total).unwrap_or(i64::MAX))
        ),
        _ => String::new(),
    };
    ProgressView {
        state: p.state,
        queued: p.queued,
        total: p.total,
        line,
        retry: p.retry_at.as_ref().map(|at| {
            format!(
                "{} {} ({}{}{})",
                t.camp_retry,
                super::i18n::moment(t, at),
                t.camp_attempts,
                t.colon(),
                p.failed_attempts
            )
        }),
    }
}

fn lang_name(t: &Texts, l: &str) -> &'static str {
    match l {
        "en" => t.lang_en,
        _ => t.lang_fr,
    }
}

fn report_rows(t: &Texts, r: &AudienceReport) -> Vec<ExclusionRow> {
    r.excluded
        .iter()
        .map(|x| ExclusionRow {
            rule: x.rule.clone(),
            count: grouped(t, i64::try_from(x.count).unwrap_or(i64::MAX)),
            explanation: x.explanation.get(t.lang).cloned().unwrap_or_default(),
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub struct ShowParams {
    saved: Option<String>,
    tested: Option<String>,
    again: Option<String>,
    started: Option<String>,
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
    let state = campaign.state();
    // A campaign being sent or sent shows the report it started with; a draft, the
    // audience now.
    let report = match (&campaign.report, state) {
        (Some(r), "sent" | "sending") => r.clone(),
        _ => match app.campaign_audience(&staff.actor, id).await {
            Ok(r) => r,
            Err(e) => return app_error(t, e),
        },
    };
    let progress = match app.campaign_progress(&staff.actor, id).await {
        Ok(x) => x,
        Err(e) => return app_error(t, e),
    };
    let (_, opens, clicks) = match app.campaign_results(&staff.actor, id).await {
        Ok(x) => x,
        Err(e) => return app_error(t, e),
    };
    let previews = match app.campaign_previews(&campaign) {
        Ok(p) => p,
        Err(e) => return app_error(t, e),
    };
    let notice = if p.again.is_some() {
        Some(t.already_sent.to_owned())
    } else if p.tested.is_some() {
        Some(format!(
            "{}{}{}",
            t.camp_tested,
            t.colon(),
            staff.user.email
        ))
    } else if p.started.is_some() {
        Some(t.camp_started.to_owned())
    } else {
        p.saved.map(|_| t.saved.to_owned())
    };
    let n = |x: u64| grouped(t, i64::try_from(x).unwrap_or(i64::MAX));
    render(&CampaignPage {
        id: id.to_string(),
        name: campaign.name.clone(),
        category: label_of(&app.catalogue(), t, &campaign.category),
        segment_id: campaign.segment_id.to_string(),
        state,
        state_name: state_word(t, state),
        sent_at: campaign
            .sent_at
            .as_deref()
            .map(|s| super::i18n::moment(t, s))
            .unwrap_or_default(),
        segment_size: n(report.segment_size),
        allowed: report.allowed,
        allowed_shown: n(report.allowed),
        locales: report
            .locales
            .iter()
            .map(|(k, v)| (lang_name(t, k), n(*v)))
            .collect(),
        missing: report
            .missing_content
            .iter()
            .map(|(l, c)| {
                // "le français", "l'anglais" in French; "English" keeps its capital.
                let lang = match (t.lang, l.as_str()) {
                    ("fr", "en") => "l'anglais".to_owned(),
                    ("fr", _) => "le français".to_owned(),
                    _ => lang_name(t, l).to_owned(),
                };
                format!(
                    "{} {}{lang}{}",
                    n(*c),
                    t.camp_missing_read,
                    t.camp_missing_write
                )
            })
            .collect(),
        exclusions: report_rows(t, &report),
        previews: previews
            .into_iter()
            .map(|(lang, Preview { subject, text, .. })| PreviewRow {
                lang_name: lang_name(t, &lang),
                lang,
                subject,
                text,
            })
            .collect(),
        progress: progress_view(t, &progress),
        opens: grouped(t, opens),
        clicks: grouped(t, clicks),
        notice,
        c: staff.chrome,
    })
}

/// The progress block alone, for htmx to poll while the campaign is being sent.
pub async fn progress(State(app): State<Candor>, staff: Staff, Path(id): Path<Uuid>) -> Response {
    match app.campaign_progress(&staff.actor, id).await {
        Ok(p) => {
            let progress = progress_view(staff.t(), &p);
            render(&ProgressFragment {
                id: id.to_string(),
                progress,
            })
        }
        Err(e) => app_error(staff.t(), e),
    }
}

/// The email in one language as an HTML page of its own, as a recipient's mail
/// program shows it: nothing in it runs, loads or submits.
pub async fn preview_html(
    State(app): State<Candor>,
    staff: Staff,
    Path((id, lang)): Path<(Uuid, String)>,
) -> Response {
    let previews = match app.preview_campaign(&staff.actor, id).await {
        Ok(p) => p,
        Err(e) => return app_error(staff.t(), e),
    };
    let Some(p) = previews.get(&lang) else {
        return super::message_page(StatusCode::NOT_FOUND, staff.t(), staff.t().not_found);
    };
    let mut res = Html(p.html.clone()).into_response();
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    res
}

pub async fn test_send(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Posted(_): Posted<Vec<(String, String)>>,
) -> Response {
    match app.test_send_campaign(&staff.actor, id).await {
        Ok(_) => Redirect::to(&format!("/campaigns/{id}?tested=1")).into_response(),
        Err(e) => app_error(staff.t(), e),
    }
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
        Ok(_) => Redirect::to(&format!("/campaigns/{id}?started=1")).into_response(),
        Err(AppError::Invalid(errs)) => {
            let msg = super::field_errors(staff.t(), &errs).join("; ");
            super::message_page(StatusCode::UNPROCESSABLE_ENTITY, staff.t(), &msg)
        }
        Err(e) => app_error(staff.t(), e),
    }
}
