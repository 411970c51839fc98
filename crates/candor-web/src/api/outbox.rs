use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, Auth};
use axum::extract::State;
use axum::Json;
use candor_app::Candor;
use candor_domain::contact::rfc3339;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutboxParams {
    /// At most this many messages, newest first (default 50, at most 500).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// A message Candor queued, and what became of it.
#[derive(Serialize, ToSchema)]
pub struct OutboxMessage {
    id: Uuid,
    subject_id: Option<Uuid>,
    message_id: String,
    /// The message category (consent_request, legal_notice, newsletter…).
    category: String,
    recipient: String,
    locale: String,
    subject: String,
    body_text: String,
    body_html: String,
    /// queued, sending, sent or failed.
    status: String,
    attempts: i32,
    created_at: String,
    sent_at: Option<String>,
    last_error: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/outbox", tag = "outbox", params(OutboxParams),
    responses(
        (status = 200, description = "Queued and delivered emails, newest first; each is recorded in its subject's audit", body = Vec<OutboxMessage>),
        (status = 403, description = "Only the dpo and admin roles read the outbox", body = ErrorBody),
    ))]
pub async fn list_outbox(
    State(app): State<Candor>,
    auth: Auth,
    ApiQuery(p): ApiQuery<OutboxParams>,
) -> Result<Json<Vec<OutboxMessage>>, ApiError> {
    let entries = app
        .outbox(
            &auth.actor,
            crate::extract::page_limit(p.limit, 50, 500)?,
            &auth.endpoint,
        )
        .await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| OutboxMessage {
                id: e.mail.id,
                subject_id: e.mail.subject_id,
                message_id: e.mail.message_id,
                category: e.mail.category,
                recipient: e.mail.recipient,
                locale: e.mail.locale,
                subject: e.mail.mail_subject,
                body_text: e.mail.body_text,
                body_html: e.mail.body_html,
                status: e.status,
                attempts: e.attempts,
                created_at: rfc3339(e.mail.created_at),
                sent_at: e.sent_at.map(rfc3339),
                last_error: e.last_error,
            })
            .collect(),
    ))
}
