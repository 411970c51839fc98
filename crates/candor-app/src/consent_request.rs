//! The consent request (C4): a contact entered by hand or by API gets an email, in its
//! language, that lists in plain words which data Candor holds and why, and lets the
//! person accept or refuse each purpose. Answers are ledger events from `email_link`.
//!
//! A grant given through this page is effective at once: the single-use link went to
//! the person's address, so answering proves the address, which is what double opt-in
//! establishes.

use crate::keys::secret_hash;
use crate::{mail, Actor, AppError, Candor};
use candor_domain::catalogue::{Entity, Text};
use candor_domain::communication::{self, Category, Facts};
use candor_domain::consent::{Action, Channel, ConsentDraft, Evidence, Source};
use candor_domain::contact::Contact;
use candor_domain::personal::Locale;
use candor_store::{Confirmation, ConsentToken, QueuedMail, TokenKind};
use rand::RngCore;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

/// How long a consent request's link stays valid.
pub const REQUEST_TTL: time::Duration = time::Duration::days(30);

fn pick(t: &Text, l: Locale) -> &str {
    if l == Locale::En {
        &t.en
    } else {
        &t.fr
    }
}

/// What the request page shows.
#[derive(Debug, Clone)]
pub struct RequestPage {
    /// (purpose id, label, description) of every purpose that takes consent.
    pub purposes: Vec<(String, String, String)>,
    /// (field label, why Candor keeps it) of every personal field held on the contact.
    pub data: Vec<(String, String)>,
}

impl Candor {
    fn held_data(&self, c: &Contact, l: Locale) -> Vec<(String, String)> {
        let cat = self.catalogue();
        c.field_values()
            .into_iter()
            .filter(|(_, v)| *v != Value::Null)
            .filter_map(|(k, _)| {
                cat.field(Entity::Contact, &k)
                    .filter(|f| f.personal)
                    .map(|f| (pick(&f.label, l).to_owned(), pick(&f.why, l).to_owned()))
            })
            .collect()
    }

    fn consent_purposes(&self, l: Locale) -> Vec<(String, String, String)> {
        self.catalogue()
            .purposes()
            .iter()
            .filter(|p| p.consent)
            .map(|p| {
                (
                    p.id.clone(),
                    pick(&p.label, l).to_owned(),
                    pick(&p.description, l).to_owned(),
                )
            })
            .collect()
    }

    /// The token and email of a consent request for a contact being created; none
    /// without an email, or when the communication rules say no.
    pub(crate) fn consent_request(
        &self,
        c: &Contact,
        at: OffsetDateTime,
    ) -> Option<(ConsentToken, QueuedMail)> {
        let facts = Facts::new_contact(at, self.settings.refusal_quiet);
        let permit =
            communication::permit(Category::ConsentRequest, Channel::Email, &facts).ok()?;
        self.consent_request_with(c, at, &permit)
    }

    /// The token and email of a consent request the rules allowed (`permit`); none
    /// without an email.
    pub(crate) fn consent_request_with(
        &self,
        c: &Contact,
        at: OffsetDateTime,
        permit: &communication::Permit,
    ) -> Option<(ConsentToken, QueuedMail)> {
        let email = c.data.email.as_ref()?;
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let secret = hex::encode(raw);
        let expires = at + REQUEST_TTL;
        let token = ConsentToken {
            token_hash: secret_hash(&secret),
            kind: TokenKind::Request,
            subject_id: c.id,
            purpose: "*".into(),
            channel: Channel::Email,
            created_at: at,
            expires_at: expires,
            used_at: None,
        };
        let l = c.data.locale;
        let data: Vec<String> = self
            .held_data(c, l)
            .into_iter()
            .map(|(label, why)| format!("- {label} : {why}"))
            .collect();
        let purposes: Vec<String> = self
            .consent_purposes(l)
            .into_iter()
            .map(|(_, label, d)| format!("- {label} : {d}"))
            .collect();
        let link = format!(
            "{}/consent/request/{secret}",
            self.settings.public_url.trim_end_matches('/')
        );
        let name = c
            .data
            .first_name
            .as_ref()
            .map_or(c.data.last_name.as_str(), |n| n.as_str());
        let date = expires.date().to_string();
        let vars = [
            ("name", name),
            ("data", &data.join("\n")),
            ("purposes", &purposes.join("\n")),
            ("link", &link),
            ("expires", &date),
        ];
        let rendered = mail::render("consent_request", l, &vars)?;
        Some((
            token,
            mail::queued(
                Uuid::now_v7(),
                Some(c.id),
                permit,
                email.as_str(),
                l,
                rendered,
                at,
            ),
        ))
    }

    /// The request page (GET changes nothing): the contact's language, and what to
    /// show or why the link cannot serve.
    pub async fn consent_request_page(
        &self,
        secret: &str,
    ) -> Result<(Locale, Result<RequestPage, Confirmation>), AppError> {
        let token = self
            .store
            .consents()
            .token(&secret_hash(secret))
            .await?
            .filter(|t| t.kind == TokenKind::Request);
        let Some(t) = token else {
            return Ok((Locale::Fr, Err(Confirmation::Unknown)));
        };
        let Some(c) = self.store.contacts().get(t.subject_id).await? else {
            return Ok((Locale::Fr, Err(Confirmation::Unknown)));
        };
        let l = c.data.locale;
        if let Some(spent) = self.spent(&t) {
            return Ok((l, Err(spent)));
        }
        Ok((
            l,
            Ok(RequestPage {
                purposes: self.consent_purposes(l),
                data: self.held_data(&c, l),
            }),
        ))
    }

    /// Records the person's answers, `(purpose, accepted)`, once. Purposes the person
    /// left unanswered stay never asked; unknown purposes are ignored.
    pub async fn answer_consent_request(
        &self,
        secret: &str,
        answers: &[(String, bool)],
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<(Confirmation, Locale), AppError> {
        let hash = secret_hash(secret);
        let Some(t) = self.store.consents().token(&hash).await? else {
            return Ok((Confirmation::Unknown, Locale::Fr));
        };
        // A link for a person no longer held changes nothing.
        let Some(contact) = self.store.contacts().get(t.subject_id).await? else {
            return Ok((Confirmation::Unknown, Locale::Fr));
        };
        let locale = contact.data.locale;
        let cat = self.catalogue();
        let at = self.now();
        let evidence = Evidence {
            ip,
            user_agent: user_agent.map(|u| u.chars().take(500).collect()),
            note: Some("answer to the consent request emailed to this address".into()),
            ..Default::default()
        };
        let drafts: Vec<ConsentDraft> = answers
            .iter()
            .filter(|(p, _)| cat.consent_purpose(p).is_some())
            .map(|(p, yes)| ConsentDraft {
                subject_id: t.subject_id,
                purpose: p.clone(),
                channel: Channel::Email,
                action: if *yes { Action::Grant } else { Action::Refuse },
                pending: None,
                source: Source::EmailLink,
                evidence: evidence.clone(),
                at,
            })
            .collect();
        if drafts.is_empty() {
            return Ok((Confirmation::Unknown, locale));
        }
        Ok((
            self.store
                .consents()
                .answer_request(&hash, at, drafts)
                .await?,
            locale,
        ))
    }
}

/// What `send_consent_requests` did, or would do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestsSent {
    /// Contacts with an email never asked (no consent state, no request ever sent).
    pub never_asked: u64,
    /// Of them, those the communication rules allow to ask now, whose request was
    /// queued (or would be, in a dry run).
    pub queued: u64,
}

impl Candor {
    /// Asks for consent (C4) every contact with an email who was never asked: the
    /// requests an import held (`--no-consent-requests`), or people added before
    /// requests existed. Each goes only where the communication rules allow it now (a
    /// bounced address, a global opt-out or a recent refusal stop it), once: the
    /// request's token marks the person asked. Each request and its audit entry commit
    /// together. A dry run counts and writes nothing.
    pub async fn send_consent_requests(
        &self,
        actor: &Actor,
        dry_run: bool,
    ) -> Result<RequestsSent, AppError> {
        let mut out = RequestsSent::default();
        let mut after = None;
        loop {
            let ids = self.store.contacts().never_asked(after, 500).await?;
            let Some(last) = ids.last().copied() else {
                break;
            };
            after = Some(last);
            for id in ids {
                let Some(c) = self.store.contacts().get(id).await? else {
                    continue;
                };
                out.never_asked += 1;
                let Ok(permit) = self
                    .permit_for(&c, Category::ConsentRequest, Channel::Email)
                    .await?
                else {
                    continue;
                };
                let at = self.now();
                let Some((token, mail)) = self.consent_request_with(&c, at, &permit) else {
                    continue;
                };
                out.queued += 1;
                if dry_run {
                    continue;
                }
                let audit = vec![candor_domain::audit::AccessEvent {
                    subject_id: c.id,
                    actor: actor.audit_name.clone(),
                    action: candor_domain::audit::AuditAction::Read,
                    fields: vec![
                        "email".into(),
                        "first_name".into(),
                        "last_name".into(),
                        "locale".into(),
                    ],
                    endpoint: "send consent requests".into(),
                    at,
                }];
                self.store
                    .consents()
                    .queue_request(&token, &mail, audit)
                    .await?;
            }
        }
        Ok(out)
    }
}
