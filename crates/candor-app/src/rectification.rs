//! Rectification (SPEC R6, Art. 16): a request's corrections applied through the same
//! validation as every change of a contact, the person told. The access audit records
//! which fields changed and the request (its actor is the handler and the request); the
//! request's timeline records the field names only, never the old or new values, so
//! nothing of the former data outlives the answer.

use crate::requests::{view, RequestView};
use crate::{Actor, AppError, Candor};
use candor_domain::audit::AuditAction;
use candor_domain::contact::ContactPatch;
use candor_domain::request::{self, RequestKind, Step};
use candor_domain::Role;
use candor_store::RequestChange;
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
        let mut r = self.handled_request(actor, id).await?;
        if r.kind != RequestKind::Rectification {
            return Err(AppError::field(
                "kind",
                "rectification_only",
                format!(
                    "corrections answer a rectification request, not a {} request",
                    r.kind.as_str()
                ),
            ));
        }
        let before = r.status;
        r.status = request::next(before, Step::Answer).map_err(AppError::invalid)?;
        let Some(subject) = r.subject_id else {
            return Err(AppError::field(
                "subject_id",
                "no_contact",
                "no contact matched this person: nothing to correct",
            ));
        };
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
        let mail = match self.reach(&r).await? {
            Some((to, locale)) => Some(self.legal_notice(
                Some(subject),
                &to,
                locale,
                "request_rectified",
                &[
                    ("kind", crate::requests::kind_label(r.kind, locale)),
                    ("fields", &fields.join(", ")),
                    ("request", &r.id.to_string()),
                    ("organisation", &self.settings.organisation),
                    ("dpo", &self.settings.dpo_contact),
                ],
            )?),
            None => None,
        };
        let event = self.step(
            &r,
            actor,
            "rectified",
            serde_json::json!({ "fields": fields, "told_by_email": mail.is_some() }),
        );
        let audit = self.request_audit(actor, &r, AuditAction::Update, endpoint);
        self.store
            .requests()
            .update(RequestChange {
                request: &r,
                expected: before,
                event: &event,
                mail: mail.as_ref(),
                consents: vec![],
                audit,
                link: None,
            })
            .await?;
        Ok(view(&r, self.now().date()))
    }
}
