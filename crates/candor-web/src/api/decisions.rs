use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Auth};
use axum::extract::State;
use axum::Json;
use candor_app::decisions::Decision;
use candor_app::Candor;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The question: may a message of this category go to this contact on this channel now?
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    contact_id: Uuid,
    /// newsletter, marketing, commercial, contract_service, contract_renewal, security,
    /// consent_request or legal_notice.
    #[schema(example = "contract_service")]
    category: String,
    /// email, sms, phone or post.
    #[schema(example = "email")]
    channel: String,
}

/// The answer, with the rule that decided (see docs/communication-rules.md).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct DecisionAnswer {
    contact_id: Uuid,
    category: String,
    channel: String,
    allowed: bool,
    /// A stable rule id, e.g. `global_opt_out`, `contract_service_active_contract`.
    rule: String,
    /// The rule in one sentence: `{"en": …, "fr": …}`.
    #[schema(value_type = Object)]
    explanation: serde_json::Value,
}

#[utoipa::path(post, path = "/api/v1/decisions", tag = "communication", request_body = DecisionBody,
    responses(
        (status = 200, description = "Allowed or not, and the rule that decided; recorded in the contact's access audit with the facts it read", body = DecisionAnswer),
        (status = 403, description = "A contract category for a role that may not read a contract's status (the answer would tell)", body = ErrorBody),
        (status = 404, description = "No such contact", body = ErrorBody),
        (status = 422, description = "An unknown category or channel", body = ErrorBody),
    ))]
pub async fn decide(
    State(app): State<Candor>,
    auth: Auth,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Json<Decision>, ApiError> {
    Ok(Json(
        app.decide(
            &auth.actor,
            body.contact_id,
            &body.category,
            &body.channel,
            &auth.endpoint,
        )
        .await?,
    ))
}
