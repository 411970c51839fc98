use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Auth};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use candor_app::consent::{ConsentInput, ConsentView};
use candor_app::Candor;
use candor_domain::consent::{ConsentEvent, ConsentState, Evidence};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The proof that goes with a consent. Every grant says what the person agreed to
/// (`wording`); a web form also needs `form_id`, `ip` and `user_agent`; a consent given
/// in person (`event`, `business_card`) is only effective with `document_ref`, the
/// reference of the signed document. A withdrawal or a refusal needs nothing.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceBody {
    form_id: Option<String>,
    /// The exact wording the person saw.
    wording: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    document_ref: Option<String>,
    note: Option<String>,
}

/// A grant, withdrawal or refusal for one purpose on one channel.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    /// A purpose that takes consent: account, commercial, newsletter, marketing, engagement_tracking.
    #[schema(example = "newsletter")]
    purpose: String,
    /// email, sms, phone or post.
    #[schema(example = "email")]
    channel: String,
    /// grant, withdraw or refuse (a confirmation comes only from the person's link).
    #[schema(example = "grant")]
    action: String,
    /// web_form, event, business_card, phone, manual or api. `portal` and `email_link`
    /// are the person's own acts, recorded only by Candor's portal and link pages, and
    /// `import` only by `candor import`: all three are refused here (422).
    #[schema(example = "web_form")]
    source: String,
    #[serde(default)]
    evidence: EvidenceBody,
}

#[derive(Serialize, ToSchema)]
pub struct Recorded {
    #[schema(value_type = Object)]
    event: ConsentEvent,
    /// The purpose × channel's state after the event: effective, pending (with the
    /// reason: double_opt_in, written_consent_required), withdrawn or refused.
    #[schema(value_type = Object)]
    state: ConsentState,
}

#[utoipa::path(post, path = "/api/v1/contacts/{id}/consents", tag = "consents", params(("id" = Uuid, Path)), request_body = ConsentBody,
    responses(
        (status = 201, description = "Recorded in the ledger; the state says whether it is effective", body = Recorded),
        (status = 403, description = "The role records no grant from this source (dpo: none; marketing: web_form and api only); withdrawals and refusals are open to every role", body = ErrorBody),
        (status = 404, description = "No such contact", body = ErrorBody),
        (status = 422, description = "Unknown purpose, channel, action or source, a source only the person or the import records, or missing evidence", body = ErrorBody),
    ))]
pub async fn record_consent(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<ConsentBody>,
) -> Result<(StatusCode, Json<Recorded>), ApiError> {
    let e = b.evidence;
    let input = ConsentInput {
        purpose: b.purpose,
        channel: b.channel,
        action: b.action,
        source: b.source,
        evidence: Evidence {
            form_id: e.form_id,
            wording: e.wording,
            ip: e.ip,
            user_agent: e.user_agent,
            document_ref: e.document_ref,
            recorded_by: None,
            note: e.note,
        },
    };
    let (event, state) = app
        .record_consent(&auth.actor, id, input, &auth.endpoint)
        .await?;
    Ok((StatusCode::CREATED, Json(Recorded { event, state })))
}

#[utoipa::path(get, path = "/api/v1/contacts/{id}/consents", tag = "consents", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Current state per purpose × channel (with the first opt-in's source and date), pairs never asked, and every ledger event", body = Object),
        (status = 403, description = "The role records no grant from this source (dpo: none; marketing: web_form and api only); withdrawals and refusals are open to every role", body = ErrorBody),
        (status = 404, description = "No such contact", body = ErrorBody),
    ))]
pub async fn contact_consents(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ConsentView>, ApiError> {
    Ok(Json(
        app.contact_consents(&auth.actor, id, &auth.endpoint)
            .await?,
    ))
}
