//! The contacts' own privacy portal (SPEC P1–P3): a person enters through a one-time
//! link emailed to the address on file (or a password, once they made an account) and
//! then, for themselves only, reads what is held and why, changes their consents,
//! corrects their data, downloads their bundle and makes requests.
//!
//! Every function here takes the subject from the portal session, never from the
//! request's input: a person can name no one else. What the person does is recorded
//! as theirs: consent events with source `portal`, requests with channel `portal`
//! (identity established by the login), audit entries under `portal`.

use crate::{keys, Actor, AppError, Candor};
use candor_domain::audit::AuditAction;
use candor_domain::catalogue::{DataCategory, Entity};
use candor_domain::communication::ALL_PURPOSES;
use candor_domain::consent::{
    self, Action, Channel, ConsentDraft, ConsentEvent, Evidence, Source, Status,
};
use candor_domain::contact::{Contact, ContactPatch};
use candor_domain::personal::{Email, Locale};
use candor_domain::request::{RequestKind, SubjectRequest};
use candor_domain::Role;
pub use candor_store::LinkRefusal;
pub use view::{ConsentRow, HeldGroup, HeldItem, HeldRecords, Overview, Switch};

mod acts;
mod view;
use candor_store::{PortalLink, RequestFilter};
use rand::RngCore;
use time::Duration;
use uuid::Uuid;

/// How long a login link opens the portal.
pub const LINK_TTL: Duration = Duration::minutes(15);
/// Idle time after which a portal session ends.
pub const IDLE: Duration = Duration::minutes(30);
/// Time after login at which a portal session ends, however active.
pub const SESSION_LENGTH: Duration = Duration::hours(2);

/// Sign-in links that may be live at once for one person.
pub const MAX_LIVE_LINKS: i64 = 3;

/// The fields a person corrects themselves: who they are and how to reach them. The
/// kind, the company and staff notes are corrected through a request to the DPO.
pub const CORRECTABLE: [&str; 9] = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "locale",
    "address_line",
    "postal_code",
    "city",
    "country",
];

/// What the portal's request form offers; access is the bundle's download.
pub const REQUEST_KINDS: [RequestKind; 3] = [
    RequestKind::Erasure,
    RequestKind::Restriction,
    RequestKind::Objection,
];

/// The person, as the audit and the request use cases name them: the rights are the
/// person's own over their own data (no role filter), the name is `portal`.
fn person(subject: Uuid) -> Actor {
    Actor {
        id: subject,
        role: Role::Admin,
        audit_name: "portal".into(),
    }
}

fn secret() -> String {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    hex::encode(raw)
}

/// A session opened: the cookie's secret and the person's language.
#[derive(Debug)]
pub struct Opened {
    pub secret: String,
    pub locale: Locale,
}

impl Candor {
    /// Sends a login link to `email` when it is a contact's address; does the same
    /// work and says nothing otherwise. The caller answers before this runs (see the
    /// web handler), so an unknown address takes as long as a known one.
    pub async fn portal_send_link(&self, email: &str) -> Result<(), AppError> {
        let Ok(email) = Email::parse("email", email) else {
            return Ok(());
        };
        let hash = self.keys.email_hash(email.as_str());
        let Some(id) = self.store.contacts().id_by_email_hash(&hash).await? else {
            return Ok(());
        };
        let Some(c) = self.store.contacts().get(id).await? else {
            return Ok(());
        };
        let Some(to) = c.data.email.as_ref() else {
            return Ok(());
        };
        let now = self.now();
        // Links from many client addresses cannot flood a mailbox: past a few live
        // ones, nothing more is sent (the person already has one that works).
        if self.store.portal().live_links(id, now).await? >= MAX_LIVE_LINKS {
            return Ok(());
        }
        let secret = secret();
        let link = PortalLink {
            token_hash: keys::secret_hash(&secret),
            subject_id: id,
            created_at: now,
            expires_at: now + LINK_TTL,
            used_at: None,
        };
        let url = format!(
            "{}/portal/enter/{secret}",
            self.settings.public_url.trim_end_matches('/')
        );
        let minutes = LINK_TTL.whole_minutes().to_string();
        let mail = self.legal_notice(
            Some(id),
            to.as_str(),
            c.data.locale,
            "portal_link",
            &[
                ("link", &url),
                ("minutes", &minutes),
                ("organisation", &self.settings.organisation),
                ("dpo", &self.settings.dpo_contact),
            ],
        )?;
        self.store.portal().create_link(&link, &mail).await?;
        Ok(())
    }

    /// The language to greet a link's holder in, and whether the link would open the
    /// portal (the page's GET changes nothing).
    pub async fn portal_link_state(
        &self,
        token: &str,
    ) -> Result<(Locale, Result<(), LinkRefusal>), AppError> {
        let Some(l) = self.store.portal().link(&keys::secret_hash(token)).await? else {
            return Ok((Locale::Fr, Err(LinkRefusal::Unknown)));
        };
        let locale = self.portal_locale(l.subject_id).await?;
        let state = if l.used_at.is_some() {
            Err(LinkRefusal::Used)
        } else if l.expires_at <= self.now() {
            Err(LinkRefusal::Expired)
        } else {
            Ok(())
        };
        Ok((locale, state))
    }

    /// The person's language (French for one no longer held).
    pub async fn portal_locale(&self, subject: Uuid) -> Result<Locale, AppError> {
        Ok(self
            .store
            .contacts()
            .get(subject)
            .await?
            .map_or(Locale::Fr, |c| c.data.locale))
    }

    /// Spends a login link and opens a session; why not, when it cannot (nothing
    /// changed then).
    pub async fn portal_enter(&self, token: &str) -> Result<Result<Opened, LinkRefusal>, AppError> {
        let secret = secret();
        let now = self.now();
        let entered = self
            .store
            .portal()
            .enter(
                &keys::secret_hash(token),
                &keys::secret_hash(&secret),
                now,
                now + SESSION_LENGTH,
            )
            .await?;
        Ok(match entered {
            Ok(subject) => Ok(Opened {
                secret,
                locale: self.portal_locale(subject).await?,
            }),
            Err(r) => Err(r),
        })
    }

    /// A password login: the session, or `None` for any address and password that do
    /// not open an account (an unknown address takes as long as a wrong password).
    pub async fn portal_login(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<Opened>, AppError> {
        let subject = match Email::parse("email", email) {
            Ok(e) => {
                let hash = self.keys.email_hash(e.as_str());
                self.store.contacts().id_by_email_hash(&hash).await?
            }
            Err(_) => None,
        };
        let account = match subject {
            Some(s) => self.store.portal().account(s).await?,
            None => None,
        };
        let phc = account
            .clone()
            .unwrap_or_else(|| crate::staff::decoy().to_owned());
        let password = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || crate::staff::verify(&password, &phc))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let (Some(subject), Some(_), true) = (subject, account, ok) else {
            return Ok(None);
        };
        let secret = secret();
        let now = self.now();
        self.store
            .portal()
            .open(
                &keys::secret_hash(&secret),
                subject,
                now,
                now + SESSION_LENGTH,
            )
            .await?;
        Ok(Some(Opened {
            secret,
            locale: self.portal_locale(subject).await?,
        }))
    }

    /// The subject of a live portal session, marked seen.
    pub async fn portal_session(&self, secret: &str) -> Result<Option<Uuid>, AppError> {
        Ok(self
            .store
            .portal()
            .session(&keys::secret_hash(secret), self.now(), IDLE)
            .await?)
    }

    /// The session's CSRF token: derived from its secret, so it is kept nowhere.
    pub fn portal_csrf(secret: &str) -> String {
        keys::secret_hash(&format!("portal-csrf:{secret}"))
    }

    /// Ends the person's other sessions (after their password or address changed).
    pub async fn portal_end_other_sessions(
        &self,
        subject: Uuid,
        secret: &str,
    ) -> Result<u64, AppError> {
        Ok(self
            .store
            .portal()
            .end_others(subject, &keys::secret_hash(secret))
            .await?)
    }

    pub async fn portal_logout(&self, secret: &str) -> Result<(), AppError> {
        Ok(self.store.portal().end(&keys::secret_hash(secret)).await?)
    }

    async fn portal_contact(&self, subject: Uuid) -> Result<Contact, AppError> {
        self.store
            .contacts()
            .get(subject)
            .await?
            .ok_or(AppError::NotFound { what: "contact" })
    }

    /// Creates or changes the person's portal account. Its creation is a consent of
    /// its own (C5: purpose `account`, by email), recorded with it.
    pub async fn portal_set_password(
        &self,
        subject: Uuid,
        password: &str,
        endpoint: &str,
    ) -> Result<(), AppError> {
        let c = self.portal_contact(subject).await?;
        let Some(email) = c.data.email.as_ref() else {
            return Err(AppError::field(
                "password",
                "email_required",
                "an account signs in with an email address: give one first",
            ));
        };
        let email = Email::parse("email", email.as_str()).map_err(AppError::invalid)?;
        crate::staff::check_password(&email, password).map_err(AppError::invalid)?;
        let owned = password.to_owned();
        let hash = tokio::task::spawn_blocking(move || crate::staff::hash_password(&owned))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        let first = self.store.portal().account(subject).await?.is_none();
        let now = self.now();
        let consent = (first && self.catalogue().consent_purpose("account").is_some()).then(|| {
            ConsentDraft {
                subject_id: subject,
                purpose: "account".into(),
                channel: Channel::Email,
                action: Action::Grant,
                pending: None,
                source: Source::Portal,
                evidence: Evidence {
                    note: Some("portal account created".into()),
                    ..Default::default()
                },
                at: now,
            }
        });
        let audit = vec![self.access(
            &person(subject),
            subject,
            AuditAction::Update,
            vec!["portal_account".into()],
            endpoint,
        )];
        self.store
            .portal()
            .set_account(subject, &hash, now, consent, audit)
            .await?;
        Ok(())
    }

    /// Ends sessions and forgets links that can no longer serve.
    pub async fn portal_sweep(&self) -> Result<u64, AppError> {
        Ok(self.store.portal().sweep(self.now(), IDLE).await?)
    }
}
