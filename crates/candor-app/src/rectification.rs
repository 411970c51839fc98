//! Rectification (SPEC R6, Art. 16): a request's corrections applied through the same
//! validation as every change of a contact, the person told. The access audit records
//! which fields changed and the request (its actor is the handler and the request); the
//! request's timeline records the field names only, never the old or new values, so
//! nothing of the former data outlives the answer.

use crate::requests::RequestView;
use crate::{Actor, AppError, Candor};
use candor_domain::audit::AuditAction;
use candor_domain::contact::ContactPatch;
use candor_domain::request::RequestKind;
use candor_domain::Role;
use uuid::Uuid;

impl Candor {
    /// Applies the corrections of a rectification request and answers it.
    pub async fn rectify_request(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: ContactPatch,
        endpoint: &str,
    ) -> Result<RequestView, AppError> {
        let (mut r, before, subject) = self
            .answerable(
                actor,
                id,
                &[RequestKind::Rectification],
                "rectification_only",
            )
            .await?;
        let fields = patch.fields();
        if fields.is_empty() {
            return Err(AppError::field(
                "changes",
                "required",
                "give at least one field to correct",
            ));
        }
        // The person's right, applied by whoever handles the request (the dpo writes no
        // field in daily work): the change is made with the rights of an admin and
        // audited under the handler and the request.
        let on_behalf = Actor {
            id: actor.id,
            role: Role::Admin,
            audit_name: format!("{}/request:{}", actor.audit_name, r.id),
        };
        self.update_contact(&on_behalf, subject, patch, endpoint)
            .await?;
        r.answer = Some(format!("rectified: {}", fields.join(", ")));
        r.closed_at = Some(self.now());
        let changed = fields.join(", ");
        let mail = self
            .notice_to_person(&r, "request_rectified", |_| {
                vec![("fields", changed.clone())]
            })
            .await?;
        let event = self.step(
            &r,
            actor,
            "rectified",
            serde_json::json!({ "fields": fields, "told_by_email": mail.is_some() }),
        );
        let audit = self.request_audit(actor, &r, AuditAction::Update, endpoint);
        self.change(before, &r, event, mail, vec![], audit).await
    }
}
