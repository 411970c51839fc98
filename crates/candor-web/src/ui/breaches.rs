//! The breach register in the back office (B1, B2), for the dpo and admins: the list
//! with each clock, a form to record a breach, and a breach's page with its clock, its
//! facts, the assessment, the notification to the authority (its content laid out to
//! copy into the CNIL's form, and the form that records it) and its history.

use super::{app_error, render_with, Chrome, Posted, Staff};
use crate::ui::i18n::{self, Texts};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use candor_app::breaches::{
    Affected, BreachInput, BreachView, NotificationInput, ScopeInput, SubjectMessageInput,
};
use candor_app::{AppError, Candor};
use candor_domain::breach::{Clock, Nature, Risk};
use serde::Deserialize;
use uuid::Uuid;

/// The clock in words: "71 h left", "late by 3 h", "notified".
fn clock_words(t: &Texts, c: Clock) -> String {
    let fr = t.lang == "fr";
    match c {
        Clock::Running { left } => {
            let h = left.whole_hours();
            let m = left.whole_minutes() % 60;
            if fr {
                format!("{h} h {m:02} restantes pour notifier la CNIL")
            } else {
                format!("{h} h {m:02} left to notify the CNIL")
            }
        }
        Clock::Late { over } => {
            if fr {
                format!(
                    "En retard de {} h : à notifier avec les raisons du retard",
                    over.whole_hours()
                )
            } else {
                format!(
                    "{} h late: notify with the reasons for the delay",
                    over.whole_hours()
                )
            }
        }
        Clock::Notified { late: false } => t.br_notified.to_owned(),
        Clock::Notified { late: true } => t.br_notified_late.to_owned(),
        Clock::NotRequired => t.br_not_required.to_owned(),
    }
}

fn nature_words(t: &Texts, n: Nature) -> &'static str {
    match n {
        Nature::Confidentiality => t.br_confidentiality,
        Nature::Integrity => t.br_integrity,
        Nature::Availability => t.br_availability,
    }
}

fn risk_words(t: &Texts, r: Option<Risk>) -> &'static str {
    match r {
        None => t.br_unassessed,
        Some(Risk::None) => t.br_risk_none,
        Some(Risk::Risk) => t.br_risk_risk,
        Some(Risk::High) => t.br_risk_high,
    }
}

/// A field of a breach as the form names it, for the list of errors.
fn field_label(t: &Texts, field: &str) -> String {
    let base = field.split('[').next().unwrap_or(field);
    match base {
        "discovered_at" => t.br_discovered,
        "occurred_from" => t.br_occurred_from,
        "occurred_until" => t.br_occurred_until,
        "natures" => t.br_natures,
        "description" => t.br_description,
        "data_categories" => t.br_data,
        "subject_categories" => t.br_subjects,
        "subjects_approx" => t.br_subjects_approx,
        "records_approx" => t.br_records_approx,
        "consequences" => t.br_consequences,
        "measures_taken" => t.br_measures_taken,
        "measures_proposed" => t.br_measures_proposed,
        "risk" => t.br_risk,
        "risk_reasoning" => t.br_risk_reasoning,
        "no_notification_reason" => t.br_no_notification,
        "at" => t.br_notified_at,
        "phase" => t.br_phase,
        "late_reason" => t.br_late_reason,
        "reference" => t.br_reference,
        "scope" => t.br_people,
        "scope.rule" => t.br_scope_rule,
        "scope.from" => t.br_scope_from,
        "scope.until" => t.br_scope_until,
        "scope.segment" => t.br_scope_segment,
        "subject_message.fr" => t.br_message_fr,
        "subject_message.en" => t.br_message_en,
        "subject_message" => t.br_message_fr,
        other => return other.to_owned(),
    }
    .to_owned()
}

fn errors_of(t: &Texts, e: &candor_domain::FieldErrors) -> Vec<String> {
    e.0.iter()
        .map(|e| {
            format!(
                "{} : {}",
                field_label(t, &e.field),
                i18n::field_message(t, e.rule, &e.message)
            )
        })
        .collect()
}

/// A date and time typed in the form (`2026-12-07T09:30`, UTC) as RFC 3339.
fn utc(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    Some(if s.len() == 16 {
        format!("{s}:00Z")
    } else {
        s.to_owned()
    })
}

fn list_of(s: &str) -> Vec<String> {
    s.split([',', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn number(s: &str) -> Result<Option<i64>, ()> {
    let s = s.trim().replace([' ', '\u{a0}'], "");
    if s.is_empty() {
        return Ok(None);
    }
    s.parse().map(Some).map_err(|_| ())
}

#[derive(Deserialize, Default, Clone)]
pub struct BreachForm {
    #[serde(default)]
    discovered_at: String,
    #[serde(default)]
    occurred_from: String,
    #[serde(default)]
    occurred_until: String,
    #[serde(default)]
    confidentiality: String,
    #[serde(default)]
    integrity: String,
    #[serde(default)]
    availability: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    cat_identifying: String,
    #[serde(default)]
    cat_transactional: String,
    #[serde(default)]
    cat_technical: String,
    #[serde(default)]
    fields: String,
    #[serde(default)]
    subject_categories: String,
    #[serde(default)]
    subjects_approx: String,
    #[serde(default)]
    records_approx: String,
    #[serde(default)]
    consequences: String,
    #[serde(default)]
    measures_taken: String,
    #[serde(default)]
    measures_proposed: String,
}

impl BreachForm {
    fn input(&self, t: &Texts) -> Result<BreachInput, Vec<String>> {
        let mut errors = Vec::new();
        let mut count = |field: &str, v: &str| match number(v) {
            Ok(n) => n,
            Err(()) => {
                errors.push(format!(
                    "{} : {}",
                    field_label(t, field),
                    i18n::field_message(t, "non_negative", "must be a whole number, 0 or more")
                ));
                None
            }
        };
        let subjects_approx = count("subjects_approx", &self.subjects_approx);
        let records_approx = count("records_approx", &self.records_approx);
        if !errors.is_empty() {
            return Err(errors);
        }
        let on = |v: &str| v == "yes";
        let natures = [
            (on(&self.confidentiality), "confidentiality"),
            (on(&self.integrity), "integrity"),
            (on(&self.availability), "availability"),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| n.to_owned())
        .collect();
        let mut data: Vec<String> = [
            (on(&self.cat_identifying), "identifying"),
            (on(&self.cat_transactional), "transactional"),
            (on(&self.cat_technical), "technical"),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| n.to_owned())
        .collect();
        data.extend(list_of(&self.fields));
        Ok(BreachInput {
            discovered_at: utc(&self.discovered_at),
            occurred_from: Some(utc(&self.occurred_from).unwrap_or_default()),
            occurred_until: Some(utc(&self.occurred_until).unwrap_or_default()),
            natures: Some(natures),
            description: Some(self.description.clone()),
            data_categories: Some(data),
            subject_categories: Some(list_of(&self.subject_categories)),
            subjects_approx,
            records_approx,
            consequences: Some(self.consequences.clone()),
            measures_taken: Some(self.measures_taken.clone()),
            measures_proposed: Some(self.measures_proposed.clone()),
            risk: None,
            risk_reasoning: None,
            no_notification_reason: None,
            scope: None,
            subject_message: None,
        })
    }
}

pub struct Row {
    pub id: Uuid,
    pub discovered: String,
    pub description: String,
    pub clock: String,
    pub status: &'static str,
    pub risk: &'static str,
}

#[derive(Template)]
#[template(path = "breaches.html")]
struct BreachesPage {
    c: Chrome,
    rows: Vec<Row>,
    form: BreachForm,
    errors: Vec<String>,
}

async fn list_page(
    app: &Candor,
    staff: Staff,
    form: BreachForm,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let t = staff.t();
    let list = match app.breaches(&staff.actor, 200).await {
        Ok(l) => l,
        Err(e) => return app_error(t, e),
    };
    let rows = list
        .into_iter()
        .map(|v| Row {
            id: v.record.id,
            discovered: super::contacts::when(v.record.facts.discovered_at),
            description: v.record.facts.description.chars().take(120).collect(),
            clock: clock_words(t, v.clock),
            status: v.clock.as_str(),
            risk: risk_words(t, v.record.facts.risk),
        })
        .collect();
    render_with(
        status,
        &BreachesPage {
            rows,
            form,
            errors,
            c: staff.chrome,
        },
    )
}

/// The register and the form to record a breach.
pub async fn index(State(app): State<Candor>, staff: Staff) -> Response {
    list_page(
        &app,
        staff,
        BreachForm::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// Records a breach; the form again with its errors, in the reader's language.
pub async fn create(
    State(app): State<Candor>,
    staff: Staff,
    Posted(f): Posted<BreachForm>,
) -> Response {
    let t = staff.t();
    let input = match f.input(t) {
        Ok(i) => i,
        Err(errors) => {
            return list_page(&app, staff, f, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    };
    match app.record_breach(&staff.actor, input).await {
        Ok(v) => Redirect::to(&format!("/breaches/{}", v.record.id)).into_response(),
        Err(AppError::Invalid(e)) => {
            let errors = errors_of(t, &e);
            list_page(&app, staff, f, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(t, e),
    }
}

#[derive(Template)]
#[template(path = "breach.html")]
struct BreachPage {
    c: Chrome,
    id: Uuid,
    clock: String,
    status: &'static str,
    deadline: String,
    facts: Vec<(&'static str, String)>,
    risk: String,
    risk_reasoning: String,
    no_notification_reason: String,
    consequences: String,
    measures_taken: String,
    measures_proposed: String,
    notifications: Vec<String>,
    notifiable: bool,
    late: bool,
    history: Vec<(String, String, String)>,
    errors: Vec<String>,
    dpo: String,
    controller: String,
    /// The version shown: a change made from it is written only over it.
    seen: String,
    scope: ScopeForm,
    segments: Vec<(String, String)>,
    affected: Option<Affected>,
    high: bool,
    told_started: bool,
}

/// Where to read a date-time back into a `datetime-local` input (UTC).
fn local(x: Option<time::OffsetDateTime>) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    x.and_then(|x| x.to_offset(time::UtcOffset::UTC).format(&f).ok())
        .unwrap_or_default()
}

fn breach_page(
    app: &Candor,
    t: &'static Texts,
    v: BreachView,
    errors: Vec<String>,
    c: Chrome,
) -> BreachPage {
    let f = &v.record.facts;
    let when = super::contacts::when;
    let opt = |x: Option<time::OffsetDateTime>| x.map(when).unwrap_or_default();
    let n = |x: Option<u64>| x.map(|n| n.to_string()).unwrap_or_default();
    let facts: Vec<(&'static str, String)> = vec![
        (t.br_discovered, when(f.discovered_at)),
        (t.br_occurred_from, opt(f.occurred_from)),
        (t.br_occurred_until, opt(f.occurred_until)),
        (
            t.br_natures,
            f.natures
                .iter()
                .map(|x| nature_words(t, *x))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (t.br_description, f.description.clone()),
        (t.br_data, f.data_categories.join(", ")),
        (t.br_subjects, f.subject_categories.join(", ")),
        (t.br_subjects_approx, n(f.subjects_approx)),
        (t.br_records_approx, n(f.records_approx)),
        (t.br_risk, risk_words(t, f.risk).to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| {
        (
            k,
            if v.is_empty() {
                t.br_unknown.to_owned()
            } else {
                v
            },
        )
    })
    .collect();
    let history = v
        .history
        .iter()
        .map(|h| {
            let what = match h.action.as_str() {
                "recorded" => t.br_h_recorded.to_owned(),
                "notified" => t.br_h_notified.to_owned(),
                "subjects_notified" => format!(
                    "{} ({} {})",
                    t.br_h_subjects,
                    h.changes["reachable"].as_i64().unwrap_or(0),
                    t.br_reachable
                ),
                _ => {
                    let fields: Vec<String> = h
                        .changes
                        .as_object()
                        .map(|m| m.keys().map(|k| field_label(t, k)).collect())
                        .unwrap_or_default();
                    format!("{} {}", t.br_h_changed, fields.join(", "))
                }
            };
            (when(h.at), h.actor.clone(), what)
        })
        .collect();
    BreachPage {
        id: v.record.id,
        clock: clock_words(t, v.clock),
        status: v.clock.as_str(),
        deadline: when(v.deadline),
        facts,
        risk: f.risk.map(|r| r.as_str().to_owned()).unwrap_or_default(),
        risk_reasoning: f.risk_reasoning.clone(),
        no_notification_reason: f.no_notification_reason.clone().unwrap_or_default(),
        consequences: f.consequences.clone(),
        measures_taken: f.measures_taken.clone(),
        measures_proposed: f.measures_proposed.clone(),
        notifications: v
            .record
            .notifications
            .iter()
            .map(|x| {
                let mut s = format!(
                    "{} · {}",
                    when(x.at),
                    if x.phase == "initial" {
                        t.br_phase_initial
                    } else {
                        t.br_phase_complement
                    }
                );
                if let Some(r) = &x.reference {
                    s.push_str(&format!(" · {r}"));
                }
                if let Some(r) = &x.late_reason {
                    s.push_str(&format!(" · {} : {r}", t.br_late_reason));
                }
                s
            })
            .collect(),
        notifiable: f.risk != Some(Risk::None),
        late: matches!(v.clock, Clock::Late { .. }),
        history,
        errors,
        seen: candor_domain::contact::rfc3339(v.record.updated_at),
        scope: ScopeForm {
            rule: f.scope.rule.as_str().to_owned(),
            from: local(f.scope.from),
            until: local(f.scope.until),
            segment: f.scope.segment.map(|s| s.to_string()).unwrap_or_default(),
            message_fr: f.subject_message.fr.clone(),
            message_en: f.subject_message.en.clone(),
            seen: String::new(),
        },
        segments: Vec::new(),
        affected: None,
        high: f.risk == Some(Risk::High),
        told_started: v.history.iter().any(|h| h.action == "subjects_notified"),
        dpo: app.settings().dpo_contact.clone(),
        controller: app.settings().organisation.clone(),
        c,
    }
}

/// The people in the breach's scope and the segments to choose from, read for the page.
async fn people(
    app: &Candor,
    actor: &candor_app::Actor,
    id: Uuid,
) -> (Option<Affected>, Vec<(String, String)>) {
    // A scope whose segment went or became unreadable shows no count rather than an
    // error page: the form says what to change.
    let affected = app.breach_subjects(actor, id).await.ok();
    let segments = app
        .breach_segments(actor)
        .await
        .map(|l| l.into_iter().map(|s| (s.id.to_string(), s.name)).collect())
        .unwrap_or_default();
    (affected, segments)
}

/// A breach's page.
pub async fn show(State(app): State<Candor>, staff: Staff, Path(id): Path<Uuid>) -> Response {
    let t = staff.t();
    match app.breach(&staff.actor, id).await {
        Ok(v) => {
            let (affected, segments) = people(&app, &staff.actor, id).await;
            let mut page = breach_page(&app, t, v, Vec::new(), staff.chrome);
            page.affected = affected;
            page.segments = segments;
            render_with(StatusCode::OK, &page)
        }
        Err(e) => app_error(t, e),
    }
}

/// The breach's page again with the errors, and what the person typed in the
/// assessment form when it was that form.
async fn again(
    app: &Candor,
    staff: Staff,
    id: Uuid,
    errors: Vec<String>,
    typed: Option<AssessForm>,
) -> Response {
    again_with(app, staff, id, errors, typed, None).await
}

async fn again_with(
    app: &Candor,
    staff: Staff,
    id: Uuid,
    errors: Vec<String>,
    typed: Option<AssessForm>,
    scope: Option<ScopeForm>,
) -> Response {
    let t = staff.t();
    match app.breach(&staff.actor, id).await {
        Ok(v) => {
            let (affected, segments) = people(app, &staff.actor, id).await;
            let mut page = breach_page(app, t, v, errors, staff.chrome);
            page.affected = affected;
            page.segments = segments;
            if let Some(f) = scope {
                page.seen = f.seen.clone();
                page.scope = f;
            }
            if let Some(f) = typed {
                page.risk = f.risk;
                page.risk_reasoning = f.risk_reasoning;
                page.no_notification_reason = f.no_notification_reason;
                page.consequences = f.consequences;
                page.measures_taken = f.measures_taken;
                page.measures_proposed = f.measures_proposed;
                page.seen = f.seen;
            }
            render_with(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => app_error(t, e),
    }
}

#[derive(Deserialize, Default)]
pub struct AssessForm {
    #[serde(default)]
    risk: String,
    #[serde(default)]
    risk_reasoning: String,
    #[serde(default)]
    no_notification_reason: String,
    #[serde(default)]
    consequences: String,
    #[serde(default)]
    measures_taken: String,
    #[serde(default)]
    measures_proposed: String,
    #[serde(default)]
    seen: String,
}

/// The assessment and the measures.
pub async fn assess(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Posted(f): Posted<AssessForm>,
) -> Response {
    let input = BreachInput {
        risk: Some(f.risk.clone()),
        risk_reasoning: Some(f.risk_reasoning.clone()),
        no_notification_reason: Some(f.no_notification_reason.clone()),
        consequences: Some(f.consequences.clone()),
        measures_taken: Some(f.measures_taken.clone()),
        measures_proposed: Some(f.measures_proposed.clone()),
        ..BreachInput::default()
    };
    let t = staff.t();
    match app
        .change_breach(&staff.actor, id, input, seen_of(&f.seen))
        .await
    {
        Ok(_) => Redirect::to(&format!("/breaches/{id}")).into_response(),
        Err(AppError::Invalid(e)) => {
            let errors = errors_of(t, &e);
            again(&app, staff, id, errors, Some(f)).await
        }
        Err(AppError::Conflict { .. }) => {
            again(
                &app,
                staff,
                id,
                vec![t.br_changed_meanwhile.to_owned()],
                None,
            )
            .await
        }
        Err(e) => app_error(t, e),
    }
}

#[derive(Deserialize, Default)]
pub struct NotifyForm {
    #[serde(default)]
    at: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    late_reason: String,
}

/// Records the notification made to the authority.
pub async fn notify(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Posted(f): Posted<NotifyForm>,
) -> Response {
    let input = NotificationInput {
        at: utc(&f.at),
        phase: None,
        reference: Some(f.reference),
        late_reason: Some(f.late_reason),
    };
    let t = staff.t();
    match app.notify_breach(&staff.actor, id, input).await {
        Ok(_) => Redirect::to(&format!("/breaches/{id}")).into_response(),
        Err(AppError::Invalid(e)) => again(&app, staff, id, errors_of(t, &e), None).await,
        Err(e) => app_error(t, e),
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct ScopeForm {
    #[serde(default)]
    rule: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    segment: String,
    #[serde(default)]
    message_fr: String,
    #[serde(default)]
    message_en: String,
    #[serde(default)]
    seen: String,
}

fn seen_of(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// The scope and the people's message.
pub async fn scope(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Posted(f): Posted<ScopeForm>,
) -> Response {
    let input = BreachInput {
        scope: Some(ScopeInput {
            from: utc(&f.from),
            until: utc(&f.until),
            rule: Some(f.rule.clone()),
            segment: Some(f.segment.clone()),
        }),
        subject_message: Some(SubjectMessageInput {
            fr: Some(f.message_fr.clone()),
            en: Some(f.message_en.clone()),
        }),
        ..BreachInput::default()
    };
    let t = staff.t();
    match app
        .change_breach(&staff.actor, id, input, seen_of(&f.seen))
        .await
    {
        Ok(_) => Redirect::to(&format!("/breaches/{id}#people")).into_response(),
        Err(AppError::Invalid(e)) => {
            let errors = errors_of(t, &e);
            again_with(&app, staff, id, errors, None, Some(f)).await
        }
        Err(AppError::Conflict { .. }) => {
            let errors = vec![t.br_changed_meanwhile.to_owned()];
            again_with(&app, staff, id, errors, None, None).await
        }
        Err(e) => app_error(t, e),
    }
}

#[derive(Deserialize, Default)]
pub struct TellForm {
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    seen: String,
}

/// Starts the people's notices (Art. 34), once the DPO ticked the box.
pub async fn tell(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Posted(f): Posted<TellForm>,
) -> Response {
    let t = staff.t();
    if f.confirm != "yes" {
        let errors = vec![format!("{} : {}", t.br_tell, t.br_confirm_needed)];
        return again(&app, staff, id, errors, None).await;
    }
    match app
        .notify_breach_subjects(&staff.actor, id, seen_of(&f.seen))
        .await
    {
        Ok(_) => Redirect::to(&format!("/breaches/{id}#people")).into_response(),
        Err(AppError::Invalid(e)) => again(&app, staff, id, errors_of(t, &e), None).await,
        Err(AppError::Conflict { .. }) => {
            let errors = vec![t.br_changed_meanwhile.to_owned()];
            again(&app, staff, id, errors, None).await
        }
        Err(e) => app_error(t, e),
    }
}

/// The authority's notification as the printable page lays it out.
pub struct NotificationView {
    pub id: Uuid,
    pub controller: String,
    pub dpo: String,
    pub phase: String,
    pub late_reason: String,
    pub from: String,
    pub until: String,
    pub discovered: String,
    pub deadline: String,
    pub natures: Vec<&'static str>,
    pub description: String,
    pub data: String,
    pub records: String,
    pub subjects: String,
    pub subjects_approx: String,
    pub consequences: String,
    pub risk: &'static str,
    pub risk_reasoning: String,
    pub measures_taken: String,
    pub measures_proposed: String,
    pub people: String,
}

#[derive(Template)]
#[template(path = "breach_notification.html")]
struct NotificationDocument {
    t: &'static Texts,
    n: NotificationView,
    css: &'static str,
}

fn notification_view(app: &Candor, t: &'static Texts, v: &BreachView) -> NotificationView {
    let f = &v.record.facts;
    let when = super::contacts::when;
    let or_unknown = |s: String| {
        if s.trim().is_empty() {
            t.br_unknown.to_owned()
        } else {
            s
        }
    };
    let n = |x: Option<u64>| or_unknown(x.map(|n| n.to_string()).unwrap_or_default());
    let data = app.breach_data_words(f, t.lang == "fr");
    let initial = v.record.notifications.iter().find(|x| x.phase == "initial");
    NotificationView {
        id: v.record.id,
        controller: app.settings().organisation.clone(),
        dpo: app.settings().dpo_contact.clone(),
        phase: match (initial, v.record.notifications.len()) {
            (None, _) => t.bn_initial_to_make.to_owned(),
            (Some(i), 1) => format!("{} · {}", t.br_phase_initial, when(i.at)),
            (Some(i), k) => format!(
                "{} · {} (+ {} {})",
                t.br_phase_initial,
                when(i.at),
                k - 1,
                t.br_phase_complement
            ),
        },
        late_reason: initial
            .and_then(|i| i.late_reason.clone())
            .unwrap_or_default(),
        from: or_unknown(f.occurred_from.map(when).unwrap_or_default()),
        until: or_unknown(f.occurred_until.map(when).unwrap_or_default()),
        discovered: when(f.discovered_at),
        deadline: when(v.deadline),
        natures: f.natures.iter().map(|x| nature_words(t, *x)).collect(),
        description: f.description.clone(),
        data: data.join(" ; "),
        records: n(f.records_approx),
        subjects: or_unknown(f.subject_categories.join(" ; ")),
        subjects_approx: n(f.subjects_approx),
        consequences: or_unknown(f.consequences.clone()),
        risk: risk_words(t, f.risk),
        risk_reasoning: or_unknown(f.risk_reasoning.clone()),
        measures_taken: or_unknown(f.measures_taken.clone()),
        measures_proposed: or_unknown(f.measures_proposed.clone()),
        people: if f.risk == Some(Risk::High) {
            format!("{} {}", t.bn_people_high, v.record.subject_notices)
        } else {
            t.bn_people_not_high.to_owned()
        },
    }
}

/// The authority's notification as one standalone printable page in `lang` (`fr` or
/// `en`), its style inline: the page of the back office and what
/// `candor breach notification --format html` writes.
pub fn notification_document(
    app: &Candor,
    v: &BreachView,
    lang: &str,
) -> Result<String, askama::Error> {
    let t = i18n::texts(lang);
    NotificationDocument {
        n: notification_view(app, t, v),
        t,
        css: super::assets::CSS,
    }
    .render()
}

#[derive(Deserialize, Default)]
pub struct LangQuery {
    lang: Option<String>,
}

/// The printable notification, in the reader's language or `?lang=`.
pub async fn notification(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    axum::extract::Query(q): axum::extract::Query<LangQuery>,
) -> Response {
    let t = staff.t();
    let lang = match q.lang.as_deref() {
        Some("en") => "en",
        Some("fr") => "fr",
        _ => t.lang,
    };
    match app.breach(&staff.actor, id).await {
        Ok(v) => match notification_document(&app, &v, lang) {
            Ok(html) => axum::response::Html(html).into_response(),
            Err(e) => app_error(t, AppError::Internal(e.to_string())),
        },
        Err(e) => app_error(t, e),
    }
}
