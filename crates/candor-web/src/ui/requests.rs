//! The requests queue and each request's page (R1, R2, R7): record a request received
//! by letter, at the desk or on the phone; the dpo and admin verify identity, extend,
//! refuse, answer; the signed receipt printed or downloaded. Sales and support record
//! requests and see only those they recorded, as through the API.

use super::{app_error, field_errors, render_with, Choice, Chrome, Posted, Staff};
use crate::ui::i18n::Texts;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use candor_app::requests::{ListRequests, RequestInput, RequestView};
use candor_app::{AppError, Candor};
use candor_domain::request::{RefusalReason, RequestChannel, RequestKind, RequestStatus};
use serde::Deserialize;
use uuid::Uuid;

/// A row of the queue, as shown.
pub struct Row {
    id: Uuid,
    kind: &'static str,
    status: &'static str,
    received_on: String,
    deadline: String,
    days: String,
    /// `late`, `soon` or `fine`: the row's colour, with its words.
    urgency: &'static str,
}

pub(super) fn kind_word(t: &Texts, k: RequestKind) -> &'static str {
    match k {
        RequestKind::Access => t.rq_access,
        RequestKind::Rectification => t.rq_rectification,
        RequestKind::Erasure => t.rq_erasure,
        RequestKind::Portability => t.rq_portability,
        RequestKind::Restriction => t.rq_restriction,
        RequestKind::Objection => t.rq_objection,
        RequestKind::Information => t.rq_information,
    }
}

fn channel_word(t: &Texts, c: RequestChannel) -> &'static str {
    match c {
        RequestChannel::InPerson => t.rq_in_person,
        RequestChannel::Letter => t.rq_letter,
        RequestChannel::Email => t.email,
        RequestChannel::Phone => t.rq_phone,
        RequestChannel::Portal => t.rq_portal,
        RequestChannel::Api => "API",
    }
}

pub(super) fn status_word(t: &Texts, s: RequestStatus) -> &'static str {
    match s {
        RequestStatus::Received => t.rq_received,
        RequestStatus::IdentityVerified => t.rq_identity_verified,
        RequestStatus::InProgress => t.rq_in_progress,
        RequestStatus::Answered => t.rq_answered,
        RequestStatus::Refused => t.rq_refused,
    }
}

fn refusal_word(t: &Texts, r: RefusalReason) -> &'static str {
    match r {
        RefusalReason::ManifestlyUnfounded => t.rq_unfounded,
        RefusalReason::Excessive => t.rq_excessive,
        RefusalReason::IdentityNotEstablished => t.rq_identity_not_established,
    }
}

fn row(t: &Texts, r: &RequestView) -> Row {
    let (days, urgency) = match r.days_left {
        None => (status_word(t, r.status).to_owned(), "fine"),
        Some(d) if d < 0 => (t.rq_days_late.replace("{n}", &(-d).to_string()), "late"),
        Some(d) if d <= 7 => (t.rq_days_left.replace("{n}", &d.to_string()), "soon"),
        Some(d) => (t.rq_days_left.replace("{n}", &d.to_string()), "fine"),
    };
    Row {
        id: r.id,
        kind: kind_word(t, r.kind),
        status: status_word(t, r.status),
        received_on: r.received_on.clone(),
        deadline: r.deadline.clone(),
        days,
        urgency,
    }
}

fn choices<T: Copy>(
    all: &[T],
    value: fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            value: value(*v).to_owned(),
            label: label(*v).to_owned(),
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub struct NewRequestForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    received_on: String,
    #[serde(default)]
    contact_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    postal_address: String,
    #[serde(default)]
    details: String,
}

#[derive(Deserialize, Default)]
pub struct QueueParams {
    status: Option<String>,
    kind: Option<String>,
    due: Option<String>,
    contact: Option<String>,
}

#[derive(Template)]
#[template(path = "requests.html")]
struct QueuePage {
    c: Chrome,
    rows: Vec<Row>,
    kinds: Vec<Choice>,
    channels: Vec<Choice>,
    statuses: Vec<Choice>,
    q_status: String,
    q_kind: String,
    q_due: String,
    form: NewRequestForm,
    errors: Vec<String>,
    error: Option<String>,
}

async fn queue_page(
    app: &Candor,
    staff: Staff,
    p: QueueParams,
    form: NewRequestForm,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let t = staff.t();
    let blank = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let due = blank(&p.due).unwrap_or_default();
    let filter = ListRequests {
        status: blank(&p.status),
        kind: blank(&p.kind),
        due_within_days: (due == "week").then_some(7),
        overdue: due == "late",
        limit: 500,
    };
    let (rows, error) = match app.list_requests(&staff.actor, filter).await {
        Ok(list) => (list.iter().map(|r| row(t, r)).collect(), None),
        Err(AppError::Invalid(e)) => (Vec::new(), Some(field_errors(t, &e).join("; "))),
        Err(e) => return app_error(t, e),
    };
    let staff_channels: Vec<RequestChannel> = RequestChannel::ALL
        .iter()
        .copied()
        .filter(|c| *c != RequestChannel::Portal)
        .collect();
    let form = NewRequestForm {
        contact_id: if form.contact_id.is_empty() {
            blank(&p.contact).unwrap_or_default()
        } else {
            form.contact_id
        },
        ..form
    };
    render_with(
        status,
        &QueuePage {
            kinds: choices(RequestKind::ALL, RequestKind::as_str, |k| kind_word(t, k)),
            channels: choices(&staff_channels, RequestChannel::as_str, |c| {
                channel_word(t, c)
            }),
            statuses: choices(RequestStatus::ALL, RequestStatus::as_str, |s| {
                status_word(t, s)
            }),
            q_status: blank(&p.status).unwrap_or_default(),
            q_kind: blank(&p.kind).unwrap_or_default(),
            q_due: due,
            rows,
            form,
            errors,
            error,
            c: staff.chrome,
        },
    )
}

pub async fn queue(
    State(app): State<Candor>,
    staff: Staff,
    Query(p): Query<QueueParams>,
) -> Response {
    queue_page(
        &app,
        staff,
        p,
        NewRequestForm::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned)
}

pub async fn create(
    State(app): State<Candor>,
    staff: Staff,
    Posted(f): Posted<NewRequestForm>,
) -> Response {
    let input = RequestInput {
        kind: f.kind.clone(),
        channel: f.channel.clone(),
        received_on: opt(&f.received_on),
        contact_id: opt(&f.contact_id),
        name: opt(&f.name),
        email: opt(&f.email),
        postal_address: opt(&f.postal_address),
        details: opt(&f.details),
    };
    match app
        .record_request(&staff.actor, input, "POST /requests")
        .await
    {
        Ok(r) => Redirect::to(&format!("/requests/{}?done=received", r.id)).into_response(),
        Err(AppError::Invalid(e)) => {
            let errors = field_errors(staff.t(), &e);
            queue_page(
                &app,
                staff,
                QueueParams::default(),
                f,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(staff.t(), e),
    }
}

#[derive(Template)]
#[template(path = "request.html")]
struct RequestPage {
    c: Chrome,
    heading: String,
    r: Row,
    channel: &'static str,
    subject: Option<Uuid>,
    requester: String,
    details: String,
    identity: Option<String>,
    extension: Option<String>,
    refusal: Option<String>,
    answer: Option<String>,
    restricts: bool,
    open: bool,
    verified: bool,
    can_answer: bool,
    bundles: bool,
    rectifies: bool,
    erases: bool,
    handles: bool,
    timeline: Vec<(String, String, String)>,
    refusals: Vec<Choice>,
    notice: Option<String>,
    errors: Vec<String>,
}

#[derive(Deserialize, Default)]
pub struct ShowParams {
    done: Option<String>,
}

async fn request_page(
    app: &Candor,
    staff: Staff,
    id: Uuid,
    notice: Option<String>,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let t = staff.t();
    let (r, events) = match app.get_request(&staff.actor, id).await {
        Ok(v) => v,
        Err(e) => return app_error(t, e),
    };
    let requester = [
        r.requester.name.as_deref(),
        r.requester.email.as_deref(),
        r.requester.postal_address.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    let timeline = events
        .iter()
        .map(|e| {
            let detail = e
                .detail
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| {
                            format!(
                                "{k}: {}",
                                v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            (
                candor_domain::contact::rfc3339(e.at),
                format!("{} — {}", e.action, e.actor),
                detail,
            )
        })
        .collect();
    let handles = matches!(
        staff.actor.role,
        candor_domain::Role::Dpo | candor_domain::Role::Admin
    );
    render_with(
        status,
        &RequestPage {
            channel: channel_word(t, r.channel),
            subject: r.subject_id,
            requester,
            details: r.details.clone(),
            identity: r.identity.as_ref().map(|i| {
                format!(
                    "{} — {} ({})",
                    i.method,
                    i.by,
                    candor_domain::contact::rfc3339(i.at)
                )
            }),
            extension: r
                .extension
                .as_ref()
                .map(|e| format!("+{} — {}", e.months, e.reason)),
            refusal: r
                .refusal
                .as_ref()
                .map(|f| format!("{} — {}", refusal_word(t, f.reason), f.note)),
            answer: r.answer.clone(),
            restricts: r.restricts,
            open: r.status.is_open(),
            verified: r.identity.is_some(),
            can_answer: matches!(
                r.kind,
                RequestKind::Restriction | RequestKind::Objection | RequestKind::Information
            ),
            bundles: matches!(r.kind, RequestKind::Access | RequestKind::Portability),
            rectifies: r.kind == RequestKind::Rectification && r.subject_id.is_some(),
            erases: r.kind == RequestKind::Erasure && r.subject_id.is_some(),
            handles,
            timeline,
            refusals: choices(RefusalReason::ALL, RefusalReason::as_str, |x| {
                refusal_word(t, x)
            }),
            notice,
            errors,
            heading: t.rq_heading.replace("{kind}", kind_word(t, r.kind)),
            r: row(t, &r),
            c: staff.chrome,
        },
    )
}

pub async fn show(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Query(p): Query<ShowParams>,
) -> Response {
    let t = staff.t();
    let notice = p.done.as_deref().map(|d| {
        match d {
            "received" => t.rq_done_received,
            "rectified" => t.rq_done_rectified,
            _ => t.saved,
        }
        .to_owned()
    });
    request_page(&app, staff, id, notice, Vec::new(), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct StepForm {
    #[serde(default)]
    method: String,
    #[serde(default)]
    months: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    confirm: String,
}

/// One step of a request, from its page.
pub async fn step(
    State(app): State<Candor>,
    staff: Staff,
    Path((id, what)): Path<(Uuid, String)>,
    Posted(f): Posted<StepForm>,
) -> Response {
    let ep = "POST /requests/{id}/{step}";
    let a = &staff.actor;
    let note = opt(&f.note);
    let result = match what.as_str() {
        "identity" => {
            app.verify_identity(a, id, opt(&f.method).as_deref(), ep)
                .await
        }
        "start" => app.start_request(a, id, ep).await,
        "extension" => match f.months.trim().parse::<u8>() {
            Ok(m) => {
                app.extend_request(a, id, Some(m), opt(&f.reason).as_deref(), ep)
                    .await
            }
            Err(_) => Err(AppError::field(
                "months",
                "extension_length",
                "must be 1 to 2 months",
            )),
        },
        "refusal" => {
            app.refuse_request(a, id, opt(&f.reason).as_deref(), note.as_deref(), ep)
                .await
        }
        "answer" => app.answer_request(a, id, note.as_deref(), ep).await,
        "lift-restriction" => app.lift_restriction(a, id, note.as_deref(), ep).await,
        "erasure" if f.confirm != "yes" => Err(AppError::field(
            "confirm",
            "confirm_erasure",
            "tick the box to confirm the erasure",
        )),
        "erasure" => app.erase_request(a, id, ep).await.map(|(v, _)| v),
        "deliveries" => {
            match app
                .deliver_request(a, id, &f.channel, opt(&f.path).as_deref(), ep)
                .await
            {
                // The link to hand over is shown once, on the page, to the staff member.
                Ok(d) => {
                    let t = staff.t();
                    let shown = d.link.map(|l| t.rq_link_given.replace("{link}", &l)).or(d
                        .file
                        .map(|f| {
                            t.rq_file_written
                                .replace("{file}", &f.display().to_string())
                        }));
                    return request_page(&app, staff, id, shown, Vec::new(), StatusCode::OK).await;
                }
                Err(e) => Err(e),
            }
        }
        _ => Err(AppError::NotFound { what: "step" }),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/requests/{id}?done=step")).into_response(),
        Err(AppError::Invalid(e)) => {
            let errors = field_errors(staff.t(), &e);
            request_page(
                &app,
                staff,
                id,
                None,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { .. }) => {
            let t = staff.t();
            request_page(
                &app,
                staff,
                id,
                None,
                vec![t.rq_changed_meanwhile.to_owned()],
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => app_error(staff.t(), e),
    }
}

/// The correction form of a rectification request (R6).
pub async fn rectification(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> Response {
    match app
        .rectification_view(&staff.actor, id, "GET /requests/{id}/rectification")
        .await
    {
        Ok((_, view)) => super::contacts::rectification_form(&app, staff, id, &view).await,
        Err(AppError::Invalid(e)) => {
            let errors = field_errors(staff.t(), &e);
            request_page(
                &app,
                staff,
                id,
                None,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(staff.t(), e),
    }
}

/// The corrections applied: the request answered and the person told, or the form
/// again with each error next to its field and nothing changed.
pub async fn rectify(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Posted(form): Posted<std::collections::HashMap<String, String>>,
) -> Response {
    let ep = "POST /requests/{id}/rectification";
    let current = match app.rectification_view(&staff.actor, id, ep).await {
        Ok((_, view)) => view,
        Err(AppError::Invalid(e)) => {
            let errors = field_errors(staff.t(), &e);
            return request_page(
                &app,
                staff,
                id,
                None,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(e) => return app_error(staff.t(), e),
    };
    let patch = super::contacts::rectification_patch(&app, &form, &current);
    let target = super::contacts::Target::Rectification(id);
    match app.rectify_request(&staff.actor, id, patch, ep).await {
        Ok(_) => Redirect::to(&format!("/requests/{id}?done=rectified")).into_response(),
        Err(AppError::Invalid(errs)) => {
            super::contacts::refused_form(&app, staff, target, &current, &form, &errs).await
        }
        Err(e) => match (super::contacts::refused_value(&e), e) {
            (Some(errs), _) => {
                let mut res =
                    super::contacts::refused_form(&app, staff, target, &current, &form, &errs)
                        .await;
                *res.status_mut() = StatusCode::CONFLICT;
                res
            }
            (None, AppError::Conflict { .. }) => {
                let t = staff.t();
                request_page(
                    &app,
                    staff,
                    id,
                    None,
                    vec![t.rq_changed_meanwhile.to_owned()],
                    StatusCode::CONFLICT,
                )
                .await
            }
            (None, e) => app_error(staff.t(), e),
        },
    }
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    c: Chrome,
    id: Uuid,
    lines: Vec<(String, String)>,
    signature: String,
    key_id: String,
    fingerprint: String,
}

/// The signed receipt, printable (R2): its content, the signature and the key.
pub async fn receipt(State(app): State<Candor>, staff: Staff, Path(id): Path<Uuid>) -> Response {
    let t = staff.t();
    let file = match app.request_receipt(&staff.actor, id).await {
        Ok(f) => f,
        Err(e) => return app_error(t, e),
    };
    let Ok(parsed) = serde_json::from_str::<candor_app::receipts::ReceiptFile>(&file) else {
        return super::internal();
    };
    // In a reading order, with words for the codes; the signed file keeps the codes.
    let order = [
        "request_id",
        "organisation",
        "kind",
        "channel",
        "received_on",
        "deadline",
        "subject",
        "dpo_contact",
        "issued_at",
        "key_id",
    ];
    let lines = order
        .iter()
        .filter_map(|k| {
            let v = parsed.receipt.get(*k)?.as_str()?;
            let shown = match *k {
                "kind" => RequestKind::parse("kind", v).map_or(v, |k| kind_word(t, k)),
                "channel" => RequestChannel::parse("channel", v).map_or(v, |c| channel_word(t, c)),
                _ => v,
            };
            Some((receipt_label(t, k).to_owned(), shown.to_owned()))
        })
        .collect();
    let keys = app.receipt_keys();
    let fingerprint = keys
        .known()
        .get(&parsed.key_id)
        .map(|k| candor_app::receipts::base64(k))
        .unwrap_or_default();
    render_with(
        StatusCode::OK,
        &ReceiptPage {
            id,
            lines,
            signature: parsed.signature,
            key_id: parsed.key_id,
            fingerprint,
            c: staff.chrome,
        },
    )
}

fn receipt_label<'a>(t: &'a Texts, key: &'a str) -> &'a str {
    match key {
        "request_id" => t.rq_reference,
        "kind" => t.kind,
        "channel" => t.channel,
        "received_on" => t.rq_received_on,
        "deadline" => t.rq_deadline,
        "subject" => t.rq_subject,
        "organisation" => t.rq_organisation,
        "dpo_contact" => t.rq_dpo,
        "issued_at" => t.rq_issued_at,
        "key_id" => t.rq_key_id,
        other => other,
    }
}

/// The receipt file itself, to keep or to give the person.
pub async fn receipt_file(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> Response {
    match app.request_receipt(&staff.actor, id).await {
        Ok(f) => (
            [
                (header::CONTENT_TYPE, "application/json".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"receipt-{id}.json\""),
                ),
            ],
            f,
        )
            .into_response(),
        Err(e) => app_error(staff.t(), e),
    }
}

/// The bundle of an access or portability request, downloaded by staff (R3).
pub async fn bundle(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Posted(_f): Posted<StepForm>,
) -> Response {
    let mut file = match candor_app::bundle::spool() {
        Ok(f) => f,
        Err(e) => return app_error(staff.t(), e),
    };
    match app
        .request_bundle(&staff.actor, id, &mut file, "POST /requests/{id}/bundle")
        .await
    {
        Ok(_) => match crate::api::zip_response(file, &format!("data-{id}.zip")) {
            Ok(response) => response,
            Err(e) => app_error(staff.t(), e),
        },
        Err(AppError::Invalid(e)) => {
            let errors = field_errors(staff.t(), &e);
            request_page(
                &app,
                staff,
                id,
                None,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(staff.t(), e),
    }
}
