//! "Nothing more from us" in one step from the contact's page (C6): the person told
//! staff they want no message any more, and a global withdrawal (purpose `*`) is
//! recorded on every channel, with the source and note staff give, by the same use
//! case as any consent event, so the same rules hold (which role records what).

use super::{app_error, field_errors, message_page, Posted, Staff};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use candor_app::consent::ConsentInput;
use candor_app::{AppError, Candor};
use candor_domain::communication::ALL_PURPOSES;
use candor_domain::consent::{Channel, Evidence};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize, Default)]
pub struct OptOutForm {
    #[serde(default)]
    source: String,
    #[serde(default)]
    note: String,
}

pub async fn opt_out(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Posted(f): Posted<OptOutForm>,
) -> Response {
    let t = staff.t();
    let note = Some(f.note.trim().to_owned()).filter(|n| !n.is_empty());
    for ch in Channel::ALL {
        let input = ConsentInput {
            purpose: ALL_PURPOSES.to_owned(),
            channel: ch.as_str().to_owned(),
            action: "withdraw".into(),
            source: f.source.clone(),
            evidence: Evidence {
                note: note.clone(),
                ..Evidence::default()
            },
        };
        match app
            .record_consent(&staff.actor, id, input, "POST /contacts/{id}/opt-out")
            .await
        {
            Ok(_) => {}
            Err(AppError::Invalid(errs)) => {
                let text = field_errors(t, &errs).join(" ; ");
                return message_page(StatusCode::UNPROCESSABLE_ENTITY, t, &text);
            }
            Err(e) => return app_error(t, e),
        }
    }
    Redirect::to(&format!("/contacts/{id}?optout=1#consents")).into_response()
}
