//! The breach register (B1, B2): record, change, notify, read the 72-hour clock and the
//! content of the authority's notification (Art. 33(3)). dpo and admin.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{page_limit, ApiJson, ApiPath, ApiQuery, Auth};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use candor_app::breaches::{
    Affected, BreachInput, BreachView, NotificationInput, ScopeInput, SubjectMessageInput,
};
use candor_app::Candor;
use candor_domain::breach::Clock;
use candor_domain::contact::rfc3339;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A breach as recorded or changed: on a change, only what changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreachBody {
    /// When the organisation became aware of it (RFC 3339); required for a new breach.
    /// The 72 hours run from it.
    #[schema(example = "2026-12-07T09:30:00+01:00")]
    discovered_at: Option<String>,
    /// When it started, if known; not after the discovery ("" to clear).
    occurred_from: Option<String>,
    /// When it ended, if known.
    occurred_until: Option<String>,
    /// confidentiality, integrity and/or availability.
    #[schema(example = json!(["confidentiality"]))]
    natures: Option<Vec<String>>,
    description: Option<String>,
    /// The catalogue's categories (identifying, transactional, technical,
    /// special_category) or fields (`contact.email`).
    #[schema(example = json!(["contact.email"]))]
    data_categories: Option<Vec<String>>,
    /// The people concerned, in words (customers, prospects…).
    subject_categories: Option<Vec<String>>,
    /// Approximate number of people concerned (0 or more).
    subjects_approx: Option<i64>,
    /// Approximate number of records concerned (0 or more).
    records_approx: Option<i64>,
    consequences: Option<String>,
    measures_taken: Option<String>,
    measures_proposed: Option<String>,
    /// none, risk or high ("" until assessed).
    risk: Option<String>,
    risk_reasoning: Option<String>,
    /// Why the authority is not notified (Art. 33(5)): required when the risk is none.
    no_notification_reason: Option<String>,
    /// Which contacts it reached (B3), given whole: those holding data of one of its
    /// `data_categories`, chosen by a period and optionally a campaign segment.
    scope: Option<ScopeBody>,
    /// What the people are told, per language, beside what Candor writes itself: the
    /// likely consequences, the measures taken and what they can do (Art. 34(2)). A
    /// language left out is kept.
    subject_message: Option<SubjectMessageBody>,
    /// On a change: the `updated_at` of the version read. A breach changed since by
    /// someone else answers 409 instead of being overwritten.
    updated_at: Option<String>,
}

/// A breach's scope (B3).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeBody {
    /// The period's start (RFC 3339); required for `created` and `changed`.
    from: Option<String>,
    /// The period's end (RFC 3339); open when absent.
    until: Option<String>,
    /// `present` (in the database at the period's end, the default), `created` (created
    /// in the period) or `changed` (created or changed in it; a contact changed again
    /// since counts too).
    rule: Option<String>,
    /// A campaign segment's id: only its contacts.
    segment: Option<String>,
}

/// The people's message per language.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectMessageBody {
    fr: Option<String>,
    en: Option<String>,
}

impl From<BreachBody> for BreachInput {
    fn from(b: BreachBody) -> Self {
        let _ = b.updated_at;
        BreachInput {
            discovered_at: b.discovered_at,
            occurred_from: b.occurred_from,
            occurred_until: b.occurred_until,
            natures: b.natures,
            description: b.description,
            data_categories: b.data_categories,
            subject_categories: b.subject_categories,
            subjects_approx: b.subjects_approx,
            records_approx: b.records_approx,
            consequences: b.consequences,
            measures_taken: b.measures_taken,
            measures_proposed: b.measures_proposed,
            risk: b.risk,
            risk_reasoning: b.risk_reasoning,
            no_notification_reason: b.no_notification_reason,
            scope: b.scope.map(|s| ScopeInput {
                from: s.from,
                until: s.until,
                rule: s.rule,
                segment: s.segment,
            }),
            subject_message: b
                .subject_message
                .map(|m| SubjectMessageInput { fr: m.fr, en: m.en }),
        }
    }
}

/// Where the 72 hours stand.
#[derive(Serialize, ToSchema)]
pub struct ClockDoc {
    /// running, late, notified, notified_late or not_required.
    status: String,
    /// Discovery + 72 hours.
    deadline: String,
    /// While running: whole minutes left.
    #[serde(skip_serializing_if = "Option::is_none")]
    minutes_left: Option<i64>,
    /// Once late and not notified: whole minutes past the deadline.
    #[serde(skip_serializing_if = "Option::is_none")]
    minutes_late: Option<i64>,
}

/// A breach of the register.
#[derive(Serialize, ToSchema)]
pub struct BreachDoc {
    id: Uuid,
    /// Its facts: discovery, occurrence, natures, description, categories of data and
    /// people, approximate numbers, consequences, measures, risk and reasoning, reason
    /// for not notifying.
    #[schema(value_type = Object)]
    facts: Value,
    clock: ClockDoc,
    /// The notifications to the authority: at, phase, reference, late_reason.
    #[schema(value_type = Vec<Object>)]
    notifications: Value,
    /// Who changed what, when (on a single breach's answer).
    #[schema(value_type = Vec<Object>)]
    history: Value,
    recorded_by: String,
    created_at: String,
    updated_at: String,
    /// How many people were told of it (Art. 34).
    subject_notices: u64,
}

fn doc(v: BreachView) -> BreachDoc {
    let (minutes_left, minutes_late) = match v.clock {
        Clock::Running { left } => (Some(left.whole_minutes()), None),
        Clock::Late { over } => (None, Some(over.whole_minutes())),
        _ => (None, None),
    };
    BreachDoc {
        id: v.record.id,
        facts: serde_json::to_value(&v.record.facts).unwrap_or(Value::Null),
        clock: ClockDoc {
            status: v.clock.as_str().to_owned(),
            deadline: rfc3339(v.deadline),
            minutes_left,
            minutes_late,
        },
        notifications: serde_json::to_value(&v.record.notifications).unwrap_or(Value::Null),
        history: Value::Array(
            v.history
                .iter()
                .map(|c| {
                    json!({"at": rfc3339(c.at), "actor": c.actor, "action": c.action, "changes": c.changes})
                })
                .collect(),
        ),
        recorded_by: v.record.recorded_by,
        created_at: rfc3339(v.record.created_at),
        updated_at: rfc3339(v.record.updated_at),
        subject_notices: v.record.subject_notices,
    }
}

#[utoipa::path(post, path = "/api/v1/breaches", tag = "breaches", request_body = BreachBody,
    responses(
        (status = 201, description = "Recorded, with its clock; the DPO's reminders at 24, 48 and 66 hours are scheduled", body = BreachDoc),
        (status = 400, description = "A malformed body or an unknown field", body = ErrorBody),
        (status = 403, description = "Only the dpo and admin keep the register", body = ErrorBody),
        (status = 422, description = "A value breaks a rule (a discovery in the future, an occurrence after it, a negative number…): nothing recorded", body = ErrorBody),
    ))]
pub async fn record_breach(
    State(app): State<Candor>,
    auth: Auth,
    ApiJson(b): ApiJson<BreachBody>,
) -> Result<(StatusCode, Json<BreachDoc>), ApiError> {
    if b.updated_at.is_some() {
        return Err(candor_app::AppError::field(
            "updated_at",
            "change_only",
            "names the version a change was made from: a new breach has none",
        )
        .into());
    }
    let v = app.record_breach(&auth.actor, b.into()).await?;
    Ok((StatusCode::CREATED, Json(doc(v))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BreachListParams {
    /// 1 to 500, default 100.
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/breaches", tag = "breaches", params(BreachListParams),
    responses(
        (status = 200, description = "The register, newest discovery first, each with its clock", body = Vec<BreachDoc>),
        (status = 403, description = "Only the dpo and admin read the register", body = ErrorBody),
    ))]
pub async fn list_breaches(
    State(app): State<Candor>,
    auth: Auth,
    ApiQuery(p): ApiQuery<BreachListParams>,
) -> Result<Json<Vec<BreachDoc>>, ApiError> {
    let limit = page_limit(p.limit, 100, 500)?;
    Ok(Json(
        app.breaches(&auth.actor, limit)
            .await?
            .into_iter()
            .map(doc)
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/breaches/{id}", tag = "breaches", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The breach, its clock and its history", body = BreachDoc),
        (status = 403, description = "Only the dpo and admin read the register", body = ErrorBody),
        (status = 404, description = "No such breach", body = ErrorBody),
    ))]
pub async fn get_breach(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<BreachDoc>, ApiError> {
    Ok(Json(doc(app.breach(&auth.actor, id).await?)))
}

/// The version of a breach a change was made from (`updated_at` as read).
fn seen(v: Option<&str>) -> Result<Option<time::OffsetDateTime>, candor_app::AppError> {
    v.map(|v| {
        time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339).map_err(
            |_| {
                candor_app::AppError::field(
                    "updated_at",
                    "datetime",
                    "must be the updated_at of the breach as read (RFC 3339)",
                )
            },
        )
    })
    .transpose()
}

#[utoipa::path(patch, path = "/api/v1/breaches/{id}", tag = "breaches", params(("id" = Uuid, Path)), request_body = BreachBody,
    responses(
        (status = 200, description = "Changed; the change is in its history", body = BreachDoc),
        (status = 400, description = "A malformed body or an unknown field", body = ErrorBody),
        (status = 403, description = "Only the dpo and admin keep the register", body = ErrorBody),
        (status = 404, description = "No such breach", body = ErrorBody),
        (status = 409, description = "Changed meanwhile by someone else: read it again", body = ErrorBody),
        (status = 422, description = "A value breaks a rule: nothing changed", body = ErrorBody),
    ))]
pub async fn change_breach(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<BreachBody>,
) -> Result<Json<BreachDoc>, ApiError> {
    let seen = seen(b.updated_at.as_deref())?;
    Ok(Json(doc(app
        .change_breach(&auth.actor, id, b.into(), seen)
        .await?)))
}

/// A notification made to the authority.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationBody {
    /// When it was made (RFC 3339), not before the discovery nor in the future; now
    /// when absent.
    at: Option<String>,
    /// initial (the first) or complement (Art. 33(4)).
    phase: Option<String>,
    /// The authority's reference for it.
    reference: Option<String>,
    /// Required for a first notification after 72 hours: the reasons for the delay.
    late_reason: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/breaches/{id}/notifications", tag = "breaches", params(("id" = Uuid, Path)), request_body = NotificationBody,
    responses(
        (status = 200, description = "Recorded; the clock stops and the DPO's reminders are cancelled", body = BreachDoc),
        (status = 400, description = "A malformed body or an unknown field", body = ErrorBody),
        (status = 403, description = "Only the dpo and admin keep the register", body = ErrorBody),
        (status = 404, description = "No such breach", body = ErrorBody),
        (status = 409, description = "Changed meanwhile by someone else: read it again", body = ErrorBody),
        (status = 422, description = "Dated before the discovery or in the future, a late first notification without the reasons for the delay, a complement before the first, a breach assessed as no risk: nothing recorded", body = ErrorBody),
    ))]
pub async fn notify_breach(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<NotificationBody>,
) -> Result<Json<BreachDoc>, ApiError> {
    let input = NotificationInput {
        at: b.at,
        phase: b.phase,
        reference: b.reference,
        late_reason: b.late_reason,
    };
    Ok(Json(doc(app.notify_breach(&auth.actor, id, input).await?)))
}

/// What the authority's notification holds (Art. 33(3)), in the order of the CNIL's
/// online form, to copy item by item.
#[derive(Serialize, ToSchema)]
pub struct AuthorityNotification {
    controller: String,
    dpo_contact: String,
    discovered_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    occurred_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    occurred_until: Option<String>,
    /// confidentiality, integrity, availability.
    natures: Vec<String>,
    description: String,
    data_categories: Vec<String>,
    subject_categories: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subjects_approx: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    records_approx: Option<u64>,
    likely_consequences: String,
    measures_taken: String,
    measures_proposed: String,
    /// none, risk or high; absent until assessed.
    #[serde(skip_serializing_if = "Option::is_none")]
    risk: Option<String>,
    /// A high risk: the people concerned must be told too (Art. 34).
    people_to_inform: bool,
    /// How many of them Candor told so far.
    people_told: u64,
    /// The reasons a first notification came after 72 hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    late_reason: Option<String>,
    /// running, late, notified, notified_late or not_required.
    clock: String,
    deadline: String,
}

#[utoipa::path(get, path = "/api/v1/breaches/{id}/notification", tag = "breaches", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The content of the notification to the authority (Art. 33(3))", body = AuthorityNotification),
        (status = 403, description = "Only the dpo and admin read the register", body = ErrorBody),
        (status = 404, description = "No such breach", body = ErrorBody),
    ))]
pub async fn authority_notification(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<AuthorityNotification>, ApiError> {
    let v = app.breach(&auth.actor, id).await?;
    let f = &v.record.facts;
    Ok(Json(AuthorityNotification {
        controller: app.settings().organisation.clone(),
        dpo_contact: app.settings().dpo_contact.clone(),
        discovered_at: rfc3339(f.discovered_at),
        occurred_from: f.occurred_from.map(rfc3339),
        occurred_until: f.occurred_until.map(rfc3339),
        natures: f.natures.iter().map(|n| n.as_str().to_owned()).collect(),
        description: f.description.clone(),
        data_categories: f.data_categories.clone(),
        subject_categories: f.subject_categories.clone(),
        subjects_approx: f.subjects_approx,
        records_approx: f.records_approx,
        likely_consequences: f.consequences.clone(),
        measures_taken: f.measures_taken.clone(),
        measures_proposed: f.measures_proposed.clone(),
        risk: f.risk.map(|r| r.as_str().to_owned()),
        people_to_inform: f.risk == Some(candor_domain::breach::Risk::High),
        people_told: v.record.subject_notices,
        late_reason: v
            .record
            .notifications
            .iter()
            .find(|n| n.phase == "initial")
            .and_then(|n| n.late_reason.clone()),
        clock: v.clock.as_str().to_owned(),
        deadline: rfc3339(v.deadline),
    }))
}

/// The people a breach reached, as its scope gives them now (B3).
#[derive(Serialize, ToSchema)]
pub struct SubjectsDoc {
    /// Contacts in the scope.
    subjects: i64,
    /// Of them, those with an email address, who can be told.
    reachable: i64,
    /// Of those, per language.
    reachable_fr: i64,
    reachable_en: i64,
    /// People told so far (people told and erased since still count).
    told: u64,
}

impl From<Affected> for SubjectsDoc {
    fn from(a: Affected) -> Self {
        SubjectsDoc {
            subjects: a.subjects,
            reachable: a.reachable(),
            reachable_fr: a.reachable_fr,
            reachable_en: a.reachable_en,
            told: a.told,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/breaches/{id}/subjects", tag = "breaches", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "How many people the breach's scope holds now, and how many can be told, per language: read it before telling them", body = SubjectsDoc),
        (status = 403, description = "Only the dpo and admin read the register", body = ErrorBody),
        (status = 404, description = "No such breach", body = ErrorBody),
    ))]
pub async fn breach_subjects(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<SubjectsDoc>, ApiError> {
    Ok(Json(app.breach_subjects(&auth.actor, id).await?.into()))
}

/// Starting the people's notices.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectNoticesBody {
    /// The `updated_at` of the breach as read: changed since by someone else answers
    /// 409.
    updated_at: Option<String>,
}

/// The notices started.
#[derive(Serialize, ToSchema)]
pub struct SubjectNoticesDoc {
    breach: BreachDoc,
    /// Who the notices go to, as counted when they started.
    subjects: SubjectsDoc,
}

#[utoipa::path(post, path = "/api/v1/breaches/{id}/subject-notices", tag = "breaches", params(("id" = Uuid, Path)), request_body = SubjectNoticesBody,
    responses(
        (status = 202, description = "Started: a job tells each reachable person of the scope in their language, once (a legal notice, whatever their marketing choices); the breach's `subject_notices` counts them", body = SubjectNoticesDoc),
        (status = 400, description = "A malformed body or an unknown field", body = ErrorBody),
        (status = 403, description = "Only the dpo and admin keep the register", body = ErrorBody),
        (status = 404, description = "No such breach", body = ErrorBody),
        (status = 409, description = "Changed meanwhile by someone else: read it again", body = ErrorBody),
        (status = 422, description = "Not assessed as a high risk, a language of the people without its message, or no one in the scope with an email address: nothing sent", body = ErrorBody),
    ))]
pub async fn notify_breach_subjects(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<SubjectNoticesBody>,
) -> Result<(StatusCode, Json<SubjectNoticesDoc>), ApiError> {
    let seen = seen(b.updated_at.as_deref())?;
    let (v, a) = app.notify_breach_subjects(&auth.actor, id, seen).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SubjectNoticesDoc {
            breach: doc(v),
            subjects: a.into(),
        }),
    ))
}
