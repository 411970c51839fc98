//! Rectification (SPEC R6, Art. 16): a request's corrections applied through the same
//! validation as every change of a contact, the person told. The access audit records
//! which fields changed and the request (its actor is the handler and the request); the
//! request's timeline records the field names only, never the old or new values, so
//! nothing of the former data outlives the answer.

use crate::requests::RequestView;
use crate::{Actor, AppError, Candor};
use candor_domain::audit::AuditAction;
use candor_domain::catalogue::Entity;
use candor_domain::contact::ContactPatch;
use candor_domain::personal::Locale;
use candor_domain::request::RequestKind;
use candor_domain::Role;
use uuid::Uuid;

/// The rights a correction is made with: the person's right, applied by whoever
/// handles the request (the dpo writes no field in daily work), audited under the
/// handler and the request.
fn on_behalf(actor: &Actor, request: Uuid) -> Actor {
    Actor {
        id: actor.id,
        role: Role::Admin,
        audit_name: format!("{}/request:{request}", actor.audit_name),
    }
}

impl Candor {
    /// The contact as the correction form shows it, for a rectification request ready
    /// to be answered (identity verified, still open): read with the rights the
    /// correction is made with, and audited like any read.
    pub async fn rectification_view(
        &self,
        actor: &Actor,
        id: Uuid,
        endpoint: &str,
    ) -> Result<(Uuid, crate::contacts::ContactView), AppError> {
        let (r, _, subject) = self
            .answerable(
                actor,
                id,
                &[RequestKind::Rectification],
                "rectification_only",
            )
            .await?;
        let view = self
            .get_contact(&on_behalf(actor, r.id), subject, endpoint)
            .await?;
        Ok((subject, view))
    }

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
        self.update_contact(&on_behalf(actor, r.id), subject, patch, endpoint)
            .await?;
        r.answer = Some(format!("rectified: {}", fields.join(", ")));
        r.closed_at = Some(self.now());
        // The person reads which fields were corrected by their names, in their language.
        let cat = self.catalogue();
        let named = |locale: Locale| -> String {
            fields
                .iter()
                .map(|f| {
                    cat.field(Entity::Contact, f).map_or_else(
                        || f.clone(),
                        |d| match locale {
                            Locale::Fr => d.label.fr.clone(),
                            Locale::En => d.label.en.clone(),
                        },
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mail = self
            .notice_to_person(&r, "request_rectified", |locale| {
                vec![("fields", named(locale))]
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
