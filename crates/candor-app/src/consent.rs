//! Recording and reading consents (C1–C3, C5, C6): the rules come from
//! `candor_domain::consent`, the ledger and its projection from the store.

use crate::{Actor, AppError, Candor};
use candor_domain::audit::{AccessEvent, AuditAction};
use candor_domain::consent::{
    grant_outcome, Action, Channel, ConsentDraft, ConsentEvent, ConsentState, Evidence, Source,
};
use candor_domain::{FieldError, FieldErrors};
use serde::Serialize;
use uuid::Uuid;

/// A consent as staff or another system reports it; parsed here so errors name fields.
#[derive(Debug, Clone, Default)]
pub struct ConsentInput {
    pub purpose: String,
    pub channel: String,
    pub action: String,
    pub source: String,
    pub evidence: Evidence,
}

/// A contact's ledger and current state, every consent purpose × channel included.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentView {
    pub states: Vec<ConsentState>,
    /// Purpose × channel pairs never asked.
    pub never_asked: Vec<NeverAsked>,
    pub events: Vec<ConsentEvent>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NeverAsked {
    pub purpose: String,
    pub channel: Channel,
}

impl Candor {
    fn parse_consent(
        &self,
        input: &ConsentInput,
    ) -> Result<(String, Channel, Action, Source), AppError> {
        let mut e = FieldErrors::default();
        let cat = self.catalogue();
        if cat.consent_purpose(&input.purpose).is_none() {
            let known: Vec<&str> = cat
                .purposes()
                .iter()
                .filter(|p| p.consent)
                .map(|p| p.id.as_str())
                .collect();
            e.push(FieldError::new(
                "purpose",
                "unknown_purpose",
                format!("must be a purpose that takes consent: {}", known.join(", ")),
            ));
        }
        let channel = e.check(Channel::parse("channel", &input.channel));
        let action = e.check(Action::parse("action", &input.action));
        if action == Some(Action::Confirm) {
            e.push(FieldError::new(
                "action",
                "confirm_by_link",
                "only the person confirms, through the link Candor emails them (double opt-in)",
            ));
        }
        let source = e.check(Source::parse("source", &input.source));
        if let Some(s) = source {
            if let Err(errs) = input.evidence.check(s) {
                e.0.extend(errs.0);
            }
        }
        e.into_result().map_err(AppError::Invalid)?;
        Ok((
            input.purpose.clone(),
            channel.expect("checked"),
            action.expect("checked"),
            source.expect("checked"),
        ))
    }

    /// Records a grant, withdrawal or refusal; a grant is effective or pending by the
    /// rules of C1 and C3. Nothing is written when any part is refused.
    pub async fn record_consent(
        &self,
        actor: &Actor,
        contact_id: Uuid,
        input: ConsentInput,
        endpoint: &str,
    ) -> Result<(ConsentEvent, ConsentState), AppError> {
        let (purpose, channel, action, source) = self.parse_consent(&input)?;
        let contact = self
            .store
            .get_contact(contact_id)
            .await?
            .ok_or(AppError::NotFound { what: "contact" })?;
        let mut evidence = input.evidence;
        evidence.recorded_by = Some(actor.audit_name.clone());
        let pending = match action {
            Action::Grant => grant_outcome(contact.data.kind, source, &evidence).map(str::to_owned),
            _ => None,
        };
        let draft = ConsentDraft {
            subject_id: contact_id,
            purpose,
            channel,
            action,
            pending,
            source,
            evidence,
            at: self.now(),
        };
        let recorded = self.store.append_consent(draft).await?;
        self.audit(vec![self.consent_access(
            actor,
            contact_id,
            AuditAction::Update,
            endpoint,
        )])
        .await?;
        Ok(recorded)
    }

    /// The ledger and the current state of a contact's consents (a read, audited).
    pub async fn contact_consents(
        &self,
        actor: &Actor,
        contact_id: Uuid,
        endpoint: &str,
    ) -> Result<ConsentView, AppError> {
        if self.store.get_contact(contact_id).await?.is_none() {
            return Err(AppError::NotFound { what: "contact" });
        }
        let states = self.store.consent_states(contact_id).await?;
        let events = self.store.consent_events(contact_id).await?;
        let never_asked = self
            .catalogue()
            .purposes()
            .iter()
            .filter(|p| p.consent)
            .flat_map(|p| Channel::ALL.iter().map(move |c| (p.id.clone(), *c)))
            .filter(|(p, c)| !states.iter().any(|s| &s.purpose == p && s.channel == *c))
            .map(|(purpose, channel)| NeverAsked { purpose, channel })
            .collect();
        self.audit(vec![self.consent_access(
            actor,
            contact_id,
            AuditAction::Read,
            endpoint,
        )])
        .await?;
        Ok(ConsentView {
            states,
            never_asked,
            events,
        })
    }

    fn consent_access(
        &self,
        actor: &Actor,
        subject: Uuid,
        action: AuditAction,
        endpoint: &str,
    ) -> AccessEvent {
        AccessEvent {
            subject_id: subject,
            actor: actor.audit_name.clone(),
            action,
            fields: vec!["consents".into()],
            endpoint: endpoint.to_owned(),
            at: self.now(),
        }
    }
}
