//! Recording and reading consents (C1–C3, C5, C6): the rules come from
//! `candor_domain::consent`, the ledger and its projection from the store.

use crate::keys::secret_hash;
use crate::mail;
use crate::{Actor, AppError, Candor};
use candor_domain::audit::{AccessEvent, AuditAction};
use candor_domain::communication::{self, Facts, ALL_PURPOSES};
use candor_domain::consent;
use candor_domain::consent::{
    grant_outcome, Action, Channel, ConsentDraft, ConsentEvent, ConsentState, Evidence, Pending,
    Source, StaffRefusal,
};
use candor_domain::contact::Contact;
use candor_domain::personal::Locale;
use candor_domain::Role;
use candor_domain::{FieldError, FieldErrors};
pub use candor_store::Confirmation;
use candor_store::{ConsentToken, QueuedMail};
use rand::RngCore;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// A channel's name in a sentence.
pub fn channel_label(c: Channel, l: Locale) -> &'static str {
    match (c, l) {
        (Channel::Email, Locale::Fr) => "e-mail",
        (Channel::Email, Locale::En) => "email",
        (Channel::Sms, _) => "SMS",
        (Channel::Phone, Locale::Fr) => "téléphone",
        (Channel::Phone, Locale::En) => "phone",
        (Channel::Post, Locale::Fr) => "courrier",
        (Channel::Post, Locale::En) => "post",
    }
}

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
        role: Role,
        input: &ConsentInput,
    ) -> Result<(String, Channel, Action, Source), AppError> {
        let mut e = FieldErrors::default();
        let cat = self.catalogue();
        if input.purpose != ALL_PURPOSES && cat.consent_purpose(&input.purpose).is_none() {
            let known: Vec<&str> = cat
                .purposes()
                .iter()
                .filter(|p| p.consent)
                .map(|p| p.id.as_str())
                .collect();
            e.push(FieldError::new(
                "purpose",
                "unknown_purpose",
                format!(
                    "must be a purpose that takes consent ({}), or `*` for every communication (a global opt-out when withdrawn)",
                    known.join(", ")
                ),
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
        if action == Some(Action::Lapse) {
            e.push(FieldError::new(
                "action",
                "lapse_by_policy",
                "a grant lapses only by the retention policy, when it was never confirmed in time",
            ));
        }
        let source = e.check(Source::parse("source", &input.source));
        let mut role_refused = false;
        if let (Some(s), Some(a)) = (source, action) {
            match consent::staff_may_record(role, a, s) {
                Ok(()) => {}
                Err(StaffRefusal::Source(f)) => e.push(f),
                Err(StaffRefusal::Role) => {
                    role_refused = !matches!(a, Action::Confirm | Action::Lapse)
                }
            }
            if let Err(errs) = input.evidence.check(s, a) {
                e.0.extend(errs.0);
            }
        }
        let (Some(channel), Some(action), Some(source), true) =
            (channel, action, source, e.0.is_empty())
        else {
            return Err(AppError::Invalid(e));
        };
        if role_refused {
            return Err(AppError::RoleForbidden {
                role,
                what: "record a consent grant from this source",
            });
        }
        Ok((input.purpose.clone(), channel, action, source))
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
        let (purpose, channel, action, source) = self.parse_consent(actor.role, &input)?;
        let contact = self
            .store
            .contacts()
            .get(contact_id)
            .await?
            .ok_or(AppError::NotFound { what: "contact" })?;
        let mut evidence = input.evidence;
        evidence.recorded_by = Some(actor.audit_name.clone());
        let pending = match action {
            Action::Grant => grant_outcome(contact.data.kind, source, &evidence),
            _ => None,
        };
        let at = self.now();
        let (token, mail) = match pending {
            Some(Pending::DoubleOptIn) => self
                .confirmation_request(&contact, &purpose, channel, at)
                .unzip(),
            _ => (None, None),
        };
        let draft = ConsentDraft {
            subject_id: contact_id,
            purpose,
            channel,
            action,
            pending,
            source,
            evidence,
            at,
        };
        // The event and its access-audit entry commit together, or neither does.
        let audit = vec![self.consent_access(actor, contact_id, AuditAction::Update, endpoint)];
        let (event, state, _) = self
            .store
            .consents()
            .append(draft, token.as_ref(), mail.as_ref(), audit)
            .await?;
        let mut event = event;
        evidence_for(&self.catalogue(), actor.role, &mut event.evidence);
        Ok((event, state))
    }

    /// The ledger and the current state of a contact's consents (a read, audited).
    pub async fn contact_consents(
        &self,
        actor: &Actor,
        contact_id: Uuid,
        endpoint: &str,
    ) -> Result<ConsentView, AppError> {
        if self.store.contacts().get(contact_id).await?.is_none() {
            return Err(AppError::NotFound { what: "contact" });
        }
        let states = self.store.consents().states(contact_id).await?;
        let cat = self.catalogue();
        let mut events = self.store.consents().events(contact_id).await?;
        for e in &mut events {
            evidence_for(&cat, actor.role, &mut e.evidence);
        }
        let never_asked = cat
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

    /// The token and the email that ask the person to confirm a pending grant; none
    /// when the contact has no email address.
    fn confirmation_request(
        &self,
        c: &Contact,
        purpose: &str,
        channel: Channel,
        at: OffsetDateTime,
    ) -> Option<(ConsentToken, QueuedMail)> {
        let email = c.data.email.as_ref()?;
        // Erasure and restriction, the only facts that stop a confirmation, arrive with
        // the data subject rights; until then a stored contact has neither.
        let facts = Facts::new_contact(at, self.settings.refusal_quiet);
        let permit = communication::confirmation_permit(channel, &facts).ok()?;
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let secret = hex::encode(raw);
        let expires = at + self.settings.confirm_ttl;
        let token = ConsentToken {
            token_hash: secret_hash(&secret),
            kind: candor_store::TokenKind::Confirm,
            subject_id: c.id,
            purpose: purpose.to_owned(),
            channel,
            created_at: at,
            expires_at: expires,
            used_at: None,
        };
        let locale = c.data.locale;
        let cat = self.catalogue();
        let everything = if locale == Locale::En {
            "all our communications"
        } else {
            "toutes nos communications"
        };
        let label = cat
            .consent_purpose(purpose)
            .map(|p| {
                if locale == Locale::En {
                    &p.label.en
                } else {
                    &p.label.fr
                }
            })
            .cloned()
            .unwrap_or_else(|| everything.to_owned());
        let name = c
            .data
            .first_name
            .as_ref()
            .map_or(c.data.last_name.as_str(), |n| n.as_str());
        let link = format!(
            "{}/consent/confirm/{secret}",
            self.settings.public_url.trim_end_matches('/')
        );
        let date = expires.date().to_string();
        let rendered = mail::render(
            "confirm_consent",
            locale,
            &[
                ("name", name),
                ("purpose", &label),
                ("channel", channel_label(channel, locale)),
                ("link", &link),
                ("expires", &date),
            ],
        )?;
        Some((
            token,
            mail::queued(
                Uuid::now_v7(),
                Some(c.id),
                &permit,
                email.as_str(),
                locale,
                rendered,
                at,
            ),
        ))
    }

    /// Why a token can no longer serve, or `None` while it can.
    pub(crate) fn spent(&self, t: &ConsentToken) -> Option<Confirmation> {
        if t.used_at.is_some() {
            Some(Confirmation::AlreadyUsed)
        } else if t.expires_at <= self.now() {
            Some(Confirmation::Expired)
        } else {
            None
        }
    }

    /// What a confirmation link shows before the person confirms (GET changes nothing):
    /// the purpose and channel it confirms, or why it cannot.
    pub async fn confirmation_page(
        &self,
        secret: &str,
    ) -> Result<(Locale, Result<(String, Channel), Confirmation>), AppError> {
        let Some(t) = self
            .store
            .consents()
            .token(&secret_hash(secret))
            .await?
            .filter(|t| t.kind == candor_store::TokenKind::Confirm)
        else {
            return Ok((Locale::Fr, Err(Confirmation::Unknown)));
        };
        let Some(contact) = self.store.contacts().get(t.subject_id).await? else {
            return Ok((Locale::Fr, Err(Confirmation::Unknown)));
        };
        let locale = contact.data.locale;
        Ok((
            locale,
            self.spent(&t).map_or(Ok((t.purpose, t.channel)), Err),
        ))
    }

    /// The person confirms (POST): the token is used once and the grant turns effective,
    /// with the confirmation's own evidence (C1, C7). With a confirmation comes the link
    /// that withdraws it again.
    pub async fn confirm(
        &self,
        secret: &str,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<(Confirmation, Locale, Option<String>), AppError> {
        let hash = secret_hash(secret);
        let token = self.store.consents().token(&hash).await?;
        let contact = match &token {
            Some(t) => self.store.contacts().get(t.subject_id).await?,
            None => None,
        };
        // A link for a person no longer held changes nothing (their tokens outlive a
        // deletion until erasure removes them).
        let Some(contact) = contact else {
            return Ok((Confirmation::Unknown, Locale::Fr, None));
        };
        let locale = contact.data.locale;
        let evidence = Evidence {
            ip,
            user_agent: user_agent.map(|u| u.chars().take(500).collect()),
            ..Default::default()
        };
        let outcome = self
            .store
            .consents()
            .confirm(&hash, self.now(), evidence)
            .await?;
        let link = match (&outcome, token) {
            (Confirmation::Confirmed(s), Some(t)) => {
                Some(self.withdrawal_link(t.subject_id, &s.purpose, s.channel))
            }
            _ => None,
        };
        Ok((outcome, locale, link))
    }

    /// The signed one-click link that withdraws one purpose × channel (C6).
    pub fn withdrawal_link(&self, subject: Uuid, purpose: &str, channel: Channel) -> String {
        let sig = self
            .keys
            .withdraw_signature(subject, purpose, channel.as_str());
        format!(
            "{}/consent/withdraw/{subject}/{purpose}/{}/{sig}",
            self.settings.public_url.trim_end_matches('/'),
            channel.as_str()
        )
    }

    /// Checks a withdrawal link; `None` when it is forged or names nothing Candor holds.
    async fn withdrawal_target(
        &self,
        subject: Uuid,
        purpose: &str,
        channel: &str,
        sig: &str,
    ) -> Result<Option<(Contact, Channel)>, AppError> {
        let Ok(channel) = Channel::parse("channel", channel) else {
            return Ok(None);
        };
        if !self
            .keys
            .withdraw_signature_ok(subject, purpose, channel.as_str(), sig)
        {
            return Ok(None);
        }
        Ok(self
            .store
            .contacts()
            .get(subject)
            .await?
            .map(|c| (c, channel)))
    }

    /// What a withdrawal link shows before the person clicks (GET changes nothing).
    pub async fn withdrawal_page(
        &self,
        subject: Uuid,
        purpose: &str,
        channel: &str,
        sig: &str,
    ) -> Result<Option<(Locale, Channel, bool)>, AppError> {
        let Some((c, channel)) = self
            .withdrawal_target(subject, purpose, channel, sig)
            .await?
        else {
            return Ok(None);
        };
        let states = self.store.consents().states(subject).await?;
        let active = if purpose == ALL_PURPOSES {
            // A global opt-out can always be recorded, once.
            !states.iter().any(|s| {
                s.purpose == purpose
                    && s.channel == channel
                    && s.status == consent::Status::Withdrawn
            })
        } else {
            states.iter().any(|s| {
                s.purpose == purpose
                    && s.channel == channel
                    && matches!(
                        s.status,
                        consent::Status::Effective | consent::Status::Pending
                    )
            })
        };
        Ok(Some((c.data.locale, channel, active)))
    }

    /// Withdraws at once (POST, or a mail client's RFC 8058 one-click POST). Returns the
    /// contact's locale and whether anything was still granted; withdrawing twice
    /// records nothing more.
    pub async fn withdraw_by_link(
        &self,
        subject: Uuid,
        purpose: &str,
        channel: &str,
        sig: &str,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<Option<(Locale, bool)>, AppError> {
        let Some((locale, channel, active)) =
            self.withdrawal_page(subject, purpose, channel, sig).await?
        else {
            return Ok(None);
        };
        if active {
            let evidence = Evidence {
                ip,
                user_agent: user_agent.map(|u| u.chars().take(500).collect()),
                ..Default::default()
            };
            let d = ConsentDraft {
                subject_id: subject,
                purpose: purpose.to_owned(),
                channel,
                action: Action::Withdraw,
                pending: None,
                source: Source::EmailLink,
                evidence,
                at: self.now(),
            };
            self.store
                .consents()
                .append(d, None, None, Vec::new())
                .await?;
        }
        Ok(Some((locale, active)))
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

/// Keeps of a consent event's evidence what the catalogue lets `role` read (entity
/// `consent`): the IP address and browser go to the dpo and admin only, the note and
/// the recorder to those who collect consents with the person, and so on.
pub fn evidence_for(cat: &candor_domain::catalogue::Catalogue, role: Role, e: &mut Evidence) {
    use candor_domain::catalogue::Entity;
    let hide = |name: &str, v: &mut Option<String>| {
        if !cat.can_read(role, Entity::Consent, name) {
            *v = None;
        }
    };
    hide("wording", &mut e.wording);
    hide("form_id", &mut e.form_id);
    hide("document_ref", &mut e.document_ref);
    hide("ip", &mut e.ip);
    hide("user_agent", &mut e.user_agent);
    hide("recorded_by", &mut e.recorded_by);
    hide("note", &mut e.note);
}
