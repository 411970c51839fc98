use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use candor_app::campaigns::{AudienceReport, CampaignInput, CampaignView, Content, SendOutcome};
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
/// `{"has_active_contract": true}`. Only fields the role may read can be used.
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
        (status = 200, description = "Queued one email per allowed contact; `already_sent` when it had been sent before (nothing sent again)", body = Object),
        (status = 403, description = "Only admin and marketing run campaigns; security and contract-service notices are the admin's", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
        (status = 422, description = "The content lacks a language the audience reads: nothing was sent", body = ErrorBody),
    ))]
pub async fn send_campaign(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<SendOutcome>, ApiError> {
    Ok(Json(app.send_campaign(&auth.actor, id).await?))
}
