//! Data subject requests (R1, R2, R7): intake, the queue, each step, the signed receipt
//! and the key that verifies it.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{page_limit, ApiJson, ApiPath, ApiQuery, Auth};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use candor_app::requests::{ListRequests, RequestInput, RequestView};
use candor_app::Candor;
use candor_domain::request::RequestEvent;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A request received in person, by letter, email or phone, or sent by another system.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    /// access, rectification, erasure, portability, restriction, objection or information.
    #[schema(example = "access")]
    kind: String,
    /// in_person, letter, email, phone or api (`portal` requests come from the portal only).
    #[schema(example = "letter")]
    channel: String,
    /// YYYY-MM-DD, never in the future; today when absent (a letter received yesterday
    /// is dated yesterday: the deadline runs from receipt).
    #[schema(example = "2026-01-31")]
    received_on: Option<String>,
    /// The contact it concerns. Without it, the email given finds the contact; with no
    /// match the request is kept with what the person gave.
    #[schema(value_type = Option<String>, format = Uuid)]
    contact_id: Option<String>,
    name: Option<String>,
    email: Option<String>,
    postal_address: Option<String>,
    /// What the person asked, in their words or a summary.
    details: Option<String>,
}

/// A request, with its deadline and where it stands.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Request {
    id: Uuid,
    subject_id: Option<Uuid>,
    kind: String,
    channel: String,
    /// received, identity_verified, in_progress, answered or refused.
    status: String,
    received_on: String,
    deadline: String,
    /// Days to the deadline (negative once overdue); null once closed.
    days_left: Option<i64>,
    overdue: bool,
    #[schema(value_type = Option<Object>)]
    extension: Option<serde_json::Value>,
    /// What the person gave of themselves: name, email, postal_address.
    #[schema(value_type = Object)]
    requester: serde_json::Value,
    details: String,
    #[schema(value_type = Option<Object>)]
    identity: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    refusal: Option<serde_json::Value>,
    answer: Option<String>,
    /// Whether this request restricts processing of its subject now (Art. 18).
    restricts: bool,
    recorded_by: String,
    created_at: String,
    closed_at: Option<String>,
}

/// A request with its timeline.
#[derive(Serialize, ToSchema)]
pub struct RequestWithTimeline {
    #[schema(value_type = Request)]
    request: RequestView,
    #[schema(value_type = Vec<Object>)]
    timeline: Vec<RequestEvent>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RequestListParams {
    /// received, identity_verified, in_progress, answered or refused.
    status: Option<String>,
    kind: Option<String>,
    /// Open requests due within this many days (overdue ones included).
    #[param(minimum = 0, maximum = 3660)]
    due_within_days: Option<u32>,
    /// Only open requests past their deadline.
    overdue: Option<bool>,
    /// 1 to 500, default 100.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

const INTAKE: &str = "POST /api/v1/requests";

#[utoipa::path(post, path = "/api/v1/requests", tag = "requests", request_body = RequestBody,
    responses(
        (status = 201, description = "Recorded, with its deadline and signed receipt (emailed to the person when an address is known)", body = Request),
        (status = 403, description = "The role may not record requests (marketing)", body = ErrorBody),
        (status = 422, description = "An unknown kind or channel, a date in the future, a portal channel, no subject", body = ErrorBody),
    ))]
pub async fn create_request(
    State(app): State<Candor>,
    auth: Auth,
    ApiJson(b): ApiJson<RequestBody>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    let input = RequestInput {
        kind: b.kind,
        channel: b.channel,
        received_on: b.received_on,
        contact_id: b.contact_id,
        name: b.name,
        email: b.email,
        postal_address: b.postal_address,
        details: b.details,
    };
    let v = app.record_request(&auth.actor, input, INTAKE).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(get, path = "/api/v1/requests", tag = "requests", params(RequestListParams),
    responses(
        (status = 200, description = "Requests by deadline, soonest first (sales and support: those they recorded)", body = Vec<Request>),
        (status = 403, description = "The role may not read requests (marketing)", body = ErrorBody),
        (status = 422, description = "An unknown status or kind", body = ErrorBody),
    ))]
pub async fn list_requests(
    State(app): State<Candor>,
    auth: Auth,
    ApiQuery(p): ApiQuery<RequestListParams>,
) -> Result<Json<Vec<RequestView>>, ApiError> {
    let f = ListRequests {
        status: p.status,
        kind: p.kind,
        due_within_days: p.due_within_days,
        overdue: p.overdue.unwrap_or(false),
        limit: page_limit(p.limit, 100, 500)?,
    };
    Ok(Json(app.list_requests(&auth.actor, f).await?))
}

#[utoipa::path(get, path = "/api/v1/requests/{id}", tag = "requests", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The request and its timeline", body = RequestWithTimeline),
        (status = 404, description = "No such request (or one the caller did not record)", body = ErrorBody),
    ))]
pub async fn get_request(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<RequestWithTimeline>, ApiError> {
    let (request, timeline) = app.get_request(&auth.actor, id).await?;
    Ok(Json(RequestWithTimeline { request, timeline }))
}

#[utoipa::path(get, path = "/api/v1/requests/{id}/receipt", tag = "requests", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The signed receipt file (canonical JSON: key_id, receipt, signature); `candor receipt verify` checks it", content_type = "application/json", body = Object),
        (status = 404, description = "No such request", body = ErrorBody),
    ))]
pub async fn request_receipt(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let file = app.request_receipt(&auth.actor, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"receipt-{id}.json\""),
            ),
        ],
        file,
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/bundle", tag = "requests", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The zip: report.html, data.json (schema at /api/v1/schemas/export.json), one CSV per kind of record, contact.vcf, manifest.json signed; recorded on the request and in the person's audit", content_type = "application/zip"),
        (status = 403, description = "Only the dpo and admin produce bundles", body = ErrorBody),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "The request changed meanwhile", body = ErrorBody),
        (status = 422, description = "Not an access or portability request, identity not verified, or no contact matched", body = ErrorBody),
    ))]
pub async fn request_bundle(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let mut file = candor_app::bundle::spool()?;
    app.request_bundle(
        &auth.actor,
        id,
        &mut file,
        "POST /api/v1/requests/{id}/bundle",
    )
    .await?;
    Ok(super::download::zip_response(
        file,
        &format!("data-{id}.zip"),
    )?)
}

#[utoipa::path(get, path = "/api/v1/schemas/export.json", tag = "requests", security(()),
    responses((status = 200, description = "The JSON Schema (draft 2020-12) of a bundle's data.json", body = Object)))]
pub async fn export_schema() -> Json<serde_json::Value> {
    Json(candor_app::bundle::export_schema())
}

/// How the bundle reaches the person.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryBody {
    /// download (a link valid 7 days, given back here), email (that link, sent to the
    /// address on file), removable_drive (the zip written in `path`), post (report.html
    /// printed and posted).
    #[schema(example = "email")]
    channel: String,
    /// For removable_drive: the absolute path of the mounted drive's directory.
    path: Option<String>,
}

/// A delivery done: the request answered, and the link or file it made.
#[derive(Serialize, ToSchema)]
pub struct DeliveryDoc {
    #[schema(value_type = Request)]
    request: RequestView,
    /// The download link (download only: emailed, it goes to the person alone); give
    /// it to the person only.
    link: Option<String>,
    /// Where the zip was written (removable_drive).
    file: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/deliveries", tag = "requests", params(("id" = Uuid, Path)), request_body = DeliveryBody,
    responses(
        (status = 200, description = "Delivered and recorded (channel, date, staff member); the request is answered", body = DeliveryDoc),
        (status = 403, description = "Only the dpo and admin deliver", body = ErrorBody),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "The request changed meanwhile", body = ErrorBody),
        (status = 422, description = "Not an access or portability request, identity not verified, closed, an unknown channel, no address, a path that is not a directory", body = ErrorBody),
    ))]
pub async fn deliver_request(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<DeliveryBody>,
) -> Result<Json<DeliveryDoc>, ApiError> {
    let d = app
        .deliver_request(
            &auth.actor,
            id,
            &b.channel,
            b.path.as_deref(),
            "POST /api/v1/requests/{id}/deliveries",
        )
        .await?;
    Ok(Json(DeliveryDoc {
        request: d.request,
        link: d.link,
        file: d.file.map(|f| f.display().to_string()),
    }))
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/rectification", tag = "requests", params(("id" = Uuid, Path)), request_body = super::contacts::ContactBody,
    responses(
        (status = 200, description = "The corrections applied with the validation of every change, the person told, the request answered; the audit names the fields and the request, the timeline the field names only", body = Request),
        (status = 403, description = "Only the dpo and admin handle requests", body = ErrorBody),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "The request changed meanwhile, or another contact has this email", body = ErrorBody),
        (status = 422, description = "Not a rectification request, identity not verified, closed, or a value that breaks its rule: nothing changed", body = ErrorBody),
    ))]
pub async fn rectify_request(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<super::contacts::ContactBody>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        app.rectify_request(
            &auth.actor,
            id,
            b.change()?,
            "POST /api/v1/requests/{id}/rectification",
        )
        .await?,
    ))
}

/// The identity step: what was checked.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityBody {
    /// What was checked, e.g. "ID card seen at the desk", "matched email via link".
    #[schema(example = "ID card seen at the desk")]
    method: Option<String>,
}

/// An extension: how many months, and why (the person is told by email).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionBody {
    #[schema(minimum = 1, maximum = 2, example = 2)]
    months: Option<u8>,
    #[schema(example = "Ten years of orders to gather from the archive")]
    reason: Option<String>,
}

/// A refusal: its reason and a note the person reads.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefusalBody {
    /// manifestly_unfounded, excessive or identity_not_established.
    #[schema(example = "identity_not_established")]
    reason: Option<String>,
    note: Option<String>,
}

/// A note: how a restriction, objection or information request was answered, or why
/// a restriction is lifted.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    note: Option<String>,
}

macro_rules! step {
    ($name:ident, $path:literal, $body:ty, $desc:literal, |$app:ident, $actor:ident, $id:ident, $b:ident, $ep:ident| $call:expr) => {
        #[utoipa::path(post, path = $path, tag = "requests", params(("id" = Uuid, Path)), request_body = $body,
            responses(
                (status = 200, description = $desc, body = Request),
                (status = 403, description = "Only the dpo and admin handle requests", body = ErrorBody),
                (status = 404, description = "No such request", body = ErrorBody),
                (status = 409, description = "The request changed meanwhile: read it again", body = ErrorBody),
                (status = 422, description = "A step the request's status does not allow, or a value that breaks its rule: nothing changed", body = ErrorBody),
            ))]
        pub async fn $name(
            State($app): State<Candor>,
            auth: Auth,
            ApiPath($id): ApiPath<Uuid>,
            ApiJson($b): ApiJson<$body>,
        ) -> Result<Json<RequestView>, ApiError> {
            let $actor = &auth.actor;
            let $ep = concat!("POST ", $path);
            Ok(Json($call.await?))
        }
    };
}

step!(
    verify_identity,
    "/api/v1/requests/{id}/identity",
    IdentityBody,
    "Identity verified: received → identity_verified",
    |app, actor, id, b, ep| app.verify_identity(actor, id, b.method.as_deref(), ep)
);
step!(
    start_request,
    "/api/v1/requests/{id}/start",
    NoteBody,
    "Work started: identity_verified → in_progress",
    |app, actor, id, _b, ep| app.start_request(actor, id, ep)
);
step!(
    extend_request,
    "/api/v1/requests/{id}/extension",
    ExtensionBody,
    "Deadline extended once, within the first period; the person is emailed the reason",
    |app, actor, id, b, ep| app.extend_request(actor, id, b.months, b.reason.as_deref(), ep)
);
step!(
    refuse_request,
    "/api/v1/requests/{id}/refusal",
    RefusalBody,
    "Refused with its reason; the person is emailed it and their right to complain",
    |app, actor, id, b, ep| app.refuse_request(
        actor,
        id,
        b.reason.as_deref(),
        b.note.as_deref(),
        ep
    )
);
step!(answer_request, "/api/v1/requests/{id}/answer", NoteBody,
    "Answered (restriction granted, objection recorded as withdrawals on every channel, information given)",
    |app, actor, id, b, ep| app.answer_request(actor, id, b.note.as_deref(), ep));
step!(
    lift_restriction,
    "/api/v1/requests/{id}/lift-restriction",
    NoteBody,
    "The restriction no longer holds",
    |app, actor, id, b, ep| app.lift_restriction(actor, id, b.note.as_deref(), ep)
);

/// The key that verifies receipts.
#[derive(Serialize, ToSchema)]
pub struct ReceiptKey {
    /// The current key's id, as receipts name it.
    key_id: String,
    /// The raw 32-byte Ed25519 public key, base64.
    public_key: String,
    /// The same key as a PEM SubjectPublicKeyInfo.
    pem: String,
    /// Every key a receipt of this installation may name (earlier keys included): id → base64.
    #[schema(value_type = Object)]
    keys: std::collections::BTreeMap<String, String>,
}

#[utoipa::path(get, path = "/api/v1/receipts/public-key", tag = "requests",
    responses((status = 200, description = "The public key that verifies request receipts", body = ReceiptKey)))]
pub async fn receipt_public_key(State(app): State<Candor>, _auth: Auth) -> Json<ReceiptKey> {
    use candor_app::receipts::base64;
    let keys = app.receipt_keys();
    let pk = keys.public_key();
    Json(ReceiptKey {
        key_id: keys.key_id(),
        public_key: base64(&pk),
        pem: candor_app::receipts::public_pem(&pk),
        keys: keys
            .known()
            .iter()
            .map(|(id, k)| (id.clone(), base64(k)))
            .collect(),
    })
}

/// An erasure request answered: the request, and the record of the erasure.
#[derive(Serialize, ToSchema)]
pub struct ErasureAnswerDoc {
    #[schema(value_type = Request)]
    request: RequestView,
    erasure: super::contacts::ErasureDoc,
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/erasure", tag = "requests", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The person is erased (as `DELETE /api/v1/contacts/{id}` does), the request answered and kept as proof without what the person gave, the person told by email (a message whose row goes once sent)", body = ErasureAnswerDoc),
        (status = 403, description = "Only the dpo and admin handle requests", body = ErrorBody),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "The request changed meanwhile", body = ErrorBody),
        (status = 422, description = "Not an erasure request, identity not verified, closed, or no contact matched: nothing changed", body = ErrorBody),
    ))]
pub async fn erase_request(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ErasureAnswerDoc>, ApiError> {
    let (request, report) = app
        .erase_request(&auth.actor, id, "POST /api/v1/requests/{id}/erasure")
        .await?;
    Ok(Json(ErasureAnswerDoc {
        request,
        erasure: super::contacts::erasure_doc(report),
    }))
}
