use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use candor_app::campaigns::{
    AudienceReport, CampaignInput, CampaignView, Content, Preview, Progress, SegmentView,
    SendOutcome,
};
use candor_app::contacts::ContactView;
use candor_app::Candor;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A segment: a name and conditions that all hold. A condition is one of
/// `{"field": "city", "op": "equals"|"contains", "value": "Paris"}`,
/// `{"field": "kind", "op": "in", "values": ["b2c"]}`,
/// `{"field": "created_at", "op": "between", "from": "2026-01-01", "to": "2026-07-01"}`,
/// `{"consent": {"purpose": "newsletter", "channel": "email", "status": "effective"}}`,
/// `{"has_active_contract": true, "started_from": "2025-01-01", "started_until": "2025-12-31"}`
/// (a running contract, its own or its company's, that started between the two dates,
/// both included; either may be left out). Only fields the role may read can be used.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentBody {
    #[schema(example = "Parisian subscribers")]
    name: String,
    #[schema(value_type = Vec<Object>)]
    conditions: Vec<Value>,
}

#[derive(Serialize, ToSchema)]
pub struct Segment {
    id: Uuid,
    name: String,
    #[schema(value_type = Vec<Object>)]
    conditions: Value,
    created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct SegmentPreview {
    /// How many contacts the segment holds.
    count: i64,
    /// The first of them, with the fields the role may read.
    #[schema(value_type = Vec<Object>)]
    items: Vec<ContactView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PreviewParams {
    /// 1 to 200, default 20.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

#[utoipa::path(post, path = "/api/v1/segments", tag = "campaigns", request_body = SegmentBody,
    responses(
        (status = 201, description = "Saved", body = Segment),
        (status = 403, description = "A condition on a field the role may not read", body = ErrorBody),
        (status = 422, description = "An unknown field, operator, purpose or status", body = ErrorBody),
    ))]
pub async fn create_segment(
    State(app): State<Candor>,
    auth: Auth,
    ApiJson(body): ApiJson<SegmentBody>,
) -> Result<(StatusCode, Json<Segment>), ApiError> {
    let s = app
        .create_segment(&auth.actor, &body.name, body.conditions)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Segment {
            id: s.id,
            name: s.name,
            conditions: serde_json::from_str(&s.conditions).unwrap_or(Value::Null),
            created_at: candor_domain::contact::rfc3339(s.created_at),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct SegmentList {
    #[schema(value_type = Vec<Object>)]
    items: Vec<SegmentView>,
}

#[utoipa::path(get, path = "/api/v1/segments", tag = "campaigns", params(PreviewParams),
    responses(
        (status = 200, description = "The newest segments, with their conditions", body = SegmentList),
        (status = 403, description = "Only admin and marketing run campaigns", body = ErrorBody),
    ))]
pub async fn list_segments(
    State(app): State<Candor>,
    auth: Auth,
    ApiQuery(p): ApiQuery<PreviewParams>,
) -> Result<Json<SegmentList>, ApiError> {
    let limit = crate::extract::page_limit(p.limit, 20, 200)?;
    Ok(Json(SegmentList {
        items: app.list_segments(&auth.actor, limit).await?,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct SegmentDetail {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    segment: SegmentView,
    /// The campaigns that use it, newest first: a segment in use is not deleted.
    #[schema(value_type = Vec<Object>)]
    campaigns: Vec<CampaignView>,
}

#[utoipa::path(get, path = "/api/v1/segments/{id}", tag = "campaigns", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The segment and the campaigns that use it", body = SegmentDetail),
        (status = 403, description = "Only admin and marketing run campaigns", body = ErrorBody),
        (status = 404, description = "No such segment", body = ErrorBody),
    ))]
pub async fn get_segment(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<SegmentDetail>, ApiError> {
    let (segment, campaigns) = app.segment(&auth.actor, id).await?;
    Ok(Json(SegmentDetail { segment, campaigns }))
}

#[utoipa::path(put, path = "/api/v1/segments/{id}", tag = "campaigns", params(("id" = Uuid, Path)), request_body = SegmentBody,
    responses(
        (status = 200, description = "Saved: its name and conditions replaced", body = Object),
        (status = 403, description = "A condition on a field the role may not read", body = ErrorBody),
        (status = 404, description = "No such segment", body = ErrorBody),
        (status = 409, description = "A campaign of this segment is being sent (`not_editable`): nothing changed", body = ErrorBody),
        (status = 422, description = "An unknown field, operator, purpose or status: nothing changed", body = ErrorBody),
    ))]
pub async fn update_segment(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SegmentBody>,
) -> Result<Json<SegmentView>, ApiError> {
    Ok(Json(
        app.update_segment(&auth.actor, id, &body.name, body.conditions)
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/segments/{id}", tag = "campaigns", params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Only admin and marketing run campaigns", body = ErrorBody),
        (status = 404, description = "No such segment", body = ErrorBody),
        (status = 409, description = "A campaign uses it (`still_referenced`; `GET /api/v1/segments/{id}` lists them): nothing deleted", body = ErrorBody),
    ))]
pub async fn delete_segment(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    app.delete_segment(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/segments/{id}/preview", tag = "campaigns", params(("id" = Uuid, Path), PreviewParams),
    responses(
        (status = 200, description = "The count and the first contacts", body = SegmentPreview),
        (status = 403, description = "The segment uses a field the role may not read", body = ErrorBody),
        (status = 404, description = "No such segment", body = ErrorBody),
    ))]
pub async fn preview_segment(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(p): ApiQuery<PreviewParams>,
) -> Result<Json<SegmentPreview>, ApiError> {
    let limit = crate::extract::page_limit(p.limit, 20, 200)?;
    let (count, items) = app
        .preview_segment(&auth.actor, id, limit, "GET /api/v1/segments/{id}/preview")
        .await?;
    Ok(Json(SegmentPreview { count, items }))
}

/// A campaign: one category of message, by email, to a segment, with its subject and
/// body in each language its audience reads (`fr`, `en`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignBody {
    #[schema(example = "Lettre de décembre")]
    name: String,
    /// newsletter, marketing, commercial, contract_service, contract_renewal or security.
    #[schema(example = "newsletter")]
    category: String,
    /// email.
    #[schema(example = "email")]
    channel: String,
    segment_id: Uuid,
    /// By locale: `{"fr": {"subject": "…", "body": "…"}, "en": {…}}`.
    #[schema(value_type = Object)]
    content: BTreeMap<String, Content>,
}

#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignBody,
    responses(
        (status = 201, description = "Saved as a draft", body = Object),
        (status = 403, description = "The role may not run campaigns", body = ErrorBody),
        (status = 404, description = "No such segment", body = ErrorBody),
        (status = 422, description = "An unknown category or channel, or missing content", body = ErrorBody),
    ))]
pub async fn create_campaign(
    State(app): State<Candor>,
    auth: Auth,
    ApiJson(b): ApiJson<CampaignBody>,
) -> Result<(StatusCode, Json<CampaignView>), ApiError> {
    let input = CampaignInput {
        name: b.name,
        category: b.category,
        channel: b.channel,
        segment_id: b.segment_id,
        content: b.content,
    };
    Ok((
        StatusCode::CREATED,
        Json(app.create_campaign(&auth.actor, input).await?),
    ))
}

#[utoipa::path(put, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = Uuid, Path)), request_body = CampaignBody,
    responses(
        (status = 200, description = "The draft, changed", body = Object),
        (status = 403, description = "The role may not run campaigns, or not in this category", body = ErrorBody),
        (status = 404, description = "No such campaign or segment", body = ErrorBody),
        (status = 409, description = "The campaign was sent or is being sent (`not_editable`): nothing changed", body = ErrorBody),
        (status = 422, description = "An unknown category or channel, or missing content: nothing changed", body = ErrorBody),
    ))]
pub async fn update_campaign(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<CampaignBody>,
) -> Result<Json<CampaignView>, ApiError> {
    let input = CampaignInput {
        name: b.name,
        category: b.category,
        channel: b.channel,
        segment_id: b.segment_id,
        content: b.content,
    };
    Ok(Json(app.update_campaign(&auth.actor, id, input).await?))
}

#[derive(Serialize, ToSchema)]
pub struct CampaignList {
    #[schema(value_type = Vec<Object>)]
    items: Vec<CampaignView>,
}

#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", params(PreviewParams),
    responses(
        (status = 200, description = "The newest campaigns", body = CampaignList),
        (status = 403, description = "Only admin and marketing run campaigns", body = ErrorBody),
    ))]
pub async fn list_campaigns(
    State(app): State<Candor>,
    auth: Auth,
    ApiQuery(p): ApiQuery<PreviewParams>,
) -> Result<Json<CampaignList>, ApiError> {
    let limit = crate::extract::page_limit(p.limit, 20, 200)?;
    let (_, items) = app.list_campaigns(&auth.actor, limit).await?;
    Ok(Json(CampaignList { items }))
}

#[derive(Serialize, ToSchema)]
pub struct CampaignPreview {
    /// By language: the subject, the text and the HTML a recipient gets.
    #[schema(value_type = Object)]
    languages: BTreeMap<String, Preview>,
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/preview", tag = "campaigns", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The email in each language, as a recipient gets it", body = CampaignPreview),
        (status = 403, description = "Only admin and marketing run campaigns", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
    ))]
pub async fn preview_campaign(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<CampaignPreview>, ApiError> {
    Ok(Json(CampaignPreview {
        languages: app.preview_campaign(&auth.actor, id).await?,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct TestSent {
    /// The staff member's own address.
    to: String,
    /// The languages sent, one email each.
    languages: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/campaigns/{id}/test", tag = "campaigns", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Queued to the staff member's own address, one email per language, the subject marked as a test; no contact gets anything", body = TestSent),
        (status = 403, description = "Only admin and marketing run campaigns", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
        (status = 422, description = "An API token has no address (`staff_only`): test from the back office", body = ErrorBody),
    ))]
pub async fn test_campaign(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<TestSent>, ApiError> {
    let (to, languages) = app.test_send_campaign(&auth.actor, id).await?;
    Ok(Json(TestSent { to, languages }))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/progress", tag = "campaigns", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "draft, sending or sent; emails queued against the audience counted when the sending started", body = Object),
        (status = 403, description = "Only admin and marketing run campaigns", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
    ))]
pub async fn campaign_progress(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Progress>, ApiError> {
    Ok(Json(app.campaign_progress(&auth.actor, id).await?))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The campaign, with its report once sent", body = Object),
        (status = 403, description = "Only admin and marketing run campaigns; security and contract-service notices are the admin's", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
    ))]
pub async fn get_campaign(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<CampaignView>, ApiError> {
    Ok(Json(app.get_campaign(&auth.actor, id).await?))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/audience", tag = "campaigns", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Who it would reach now and, rule by rule, who it leaves out", body = Object),
        (status = 403, description = "Only admin and marketing run campaigns; security and contract-service notices are the admin's", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
    ))]
pub async fn campaign_audience(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<AudienceReport>, ApiError> {
    Ok(Json(app.campaign_audience(&auth.actor, id).await?))
}

#[utoipa::path(post, path = "/api/v1/campaigns/{id}/send", tag = "campaigns", params(("id" = Uuid, Path)),
    responses(
        (status = 202, description = "The sending started: a job queues one email per allowed contact (`GET …/progress` follows it); the report is the audience counted now", body = Object),
        (status = 200, description = "It was sent, or is being sent, already (`already_sent`): nothing new started", body = Object),
        (status = 403, description = "Only admin and marketing run campaigns; security and contract-service notices are the admin's", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
        (status = 422, description = "The content lacks a language the audience reads: nothing was sent", body = ErrorBody),
    ))]
pub async fn send_campaign(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<(StatusCode, Json<SendOutcome>), ApiError> {
    let out = app.send_campaign(&auth.actor, id).await?;
    let status = if out.already_sent {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(out)))
}
