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

/// One item held on the person, explained from the catalogue.
#[derive(Debug, Clone)]
pub struct HeldItem {
    pub field: String,
    pub label: String,
    pub value: String,
    pub why: String,
    pub purposes: Vec<String>,
    pub basis: &'static str,
    pub retention: String,
    /// Each role that may read it, in words, and why.
    pub seen_by: Vec<(String, String)>,
}

/// The items of one data category.
#[derive(Debug, Clone)]
pub struct HeldGroup {
    pub category: DataCategory,
    pub items: Vec<HeldItem>,
}

/// Records of another kind held on the person (orders, visits…): how many, and what
/// each of their fields is for.
#[derive(Debug, Clone)]
pub struct HeldRecords {
    pub title: String,
    pub count: u64,
    pub items: Vec<HeldItem>,
}

/// One purpose × channel switch.
#[derive(Debug, Clone)]
pub struct Switch {
    pub channel: Channel,
    pub on: bool,
    /// Granted and waiting (a written consent, say): shown, not on.
    pub pending: bool,
}

/// A purpose the person may consent to, with a switch per channel.
#[derive(Debug, Clone)]
pub struct ConsentRow {
    pub purpose: String,
    pub label: String,
    pub description: String,
    pub switches: Vec<Switch>,
}

/// What the portal's page shows.
#[derive(Debug, Clone)]
pub struct Overview {
    pub subject: Uuid,
    pub name: String,
    pub locale: Locale,
    pub groups: Vec<HeldGroup>,
    pub records: Vec<HeldRecords>,
    pub consents: Vec<ConsentRow>,
    pub history: Vec<ConsentEvent>,
    pub requests: Vec<crate::requests::RequestView>,
    pub has_account: bool,
    /// The values the correction form starts from.
    pub correctable: Vec<(String, String, String)>,
}

/// A value as the person reads it: words for codes, a date for a timestamp; `None`
/// for nothing held.
fn readable(key: &str, value: &serde_json::Value, fr: bool) -> Option<String> {
    let s = match value {
        serde_json::Value::Null => return None,
        serde_json::Value::String(s) if s.is_empty() => return None,
        serde_json::Value::String(s) => s.clone(),
        other => return Some(other.to_string()),
    };
    let word = |f: &str, e: &str| Some(if fr { f } else { e }.to_owned());
    match (key, s.as_str()) {
        ("kind", "b2b") => word("Professionnel (B2B)", "Business (B2B)"),
        ("kind", "b2c") => word("Particulier (B2C)", "Private person (B2C)"),
        ("locale", "fr") => word("Français", "French"),
        ("locale", "en") => word("Anglais", "English"),
        _ => {
            match time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339) {
                Ok(t) if fr => Some(format!(
                    "{:02}/{:02}/{}",
                    t.day(),
                    u8::from(t.month()),
                    t.year()
                )),
                Ok(t) => Some(t.date().to_string()),
                Err(_) => Some(s),
            }
        }
    }
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
        let secret = secret();
        let now = self.now();
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
        let locale = self.locale_of(l.subject_id).await?;
        let state = if l.used_at.is_some() {
            Err(LinkRefusal::Used)
        } else if l.expires_at <= self.now() {
            Err(LinkRefusal::Expired)
        } else {
            Ok(())
        };
        Ok((locale, state))
    }

    /// The person's language.
    pub async fn portal_locale(&self, subject: Uuid) -> Result<Locale, AppError> {
        self.locale_of(subject).await
    }

    /// The fields the person corrects themselves: name, label in `locale`, value held.
    pub async fn portal_fields(
        &self,
        subject: Uuid,
        locale: Locale,
    ) -> Result<Vec<(String, String, String)>, AppError> {
        let c = self.portal_contact(subject).await?;
        Ok(self.correctable(&c.field_values(), locale == Locale::Fr))
    }

    fn correctable(
        &self,
        values: &[(String, serde_json::Value)],
        fr: bool,
    ) -> Vec<(String, String, String)> {
        let cat = self.catalogue();
        CORRECTABLE
            .iter()
            .filter_map(|name| {
                let def = cat.field(Entity::Contact, name)?;
                let v = values
                    .iter()
                    .find(|(k, _)| k == name)
                    .and_then(|(_, v)| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let label = if fr { &def.label.fr } else { &def.label.en };
                Some(((*name).to_owned(), label.clone(), v))
            })
            .collect()
    }

    async fn locale_of(&self, subject: Uuid) -> Result<Locale, AppError> {
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
                locale: self.locale_of(subject).await?,
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
            locale: self.locale_of(subject).await?,
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

    fn explained(
        &self,
        f: &candor_domain::catalogue::FieldDef,
        value: String,
        fr: bool,
    ) -> HeldItem {
        let cat = self.catalogue();
        let pick =
            |t: &candor_domain::catalogue::Text| if fr { t.fr.clone() } else { t.en.clone() };
        HeldItem {
            field: f.name.clone(),
            label: pick(&f.label),
            value,
            why: pick(&f.why),
            purposes: f
                .purposes
                .iter()
                .map(|p| {
                    cat.purposes()
                        .iter()
                        .find(|x| &x.id == p)
                        .map_or_else(|| p.clone(), |x| pick(&x.label))
                })
                .collect(),
            basis: crate::bundle::basis_label(f.basis, fr),
            retention: pick(&f.retention),
            seen_by: Role::ALL
                .iter()
                .filter_map(|r| {
                    f.access
                        .get(r)
                        .filter(|a| a.read())
                        .map(|a| (r.label(fr).to_owned(), pick(&a.why)))
                })
                .collect(),
        }
    }

    /// Everything the portal's page shows the person, in `locale`. Audited as the
    /// person's own read.
    pub async fn portal_overview(
        &self,
        subject: Uuid,
        locale: Locale,
        endpoint: &str,
    ) -> Result<Overview, AppError> {
        let c = self.portal_contact(subject).await?;
        let fr = locale == Locale::Fr;
        let cat = self.catalogue();
        let values = c.field_values();
        let mut groups: Vec<HeldGroup> = Vec::new();
        for (key, value) in &values {
            let Some(def) = cat.field(Entity::Contact, key) else {
                continue;
            };
            let Some(shown) = readable(key, value, fr) else {
                continue;
            };
            let item = self.explained(def, shown, fr);
            match groups.iter_mut().find(|g| g.category == def.category) {
                Some(g) => g.items.push(item),
                None => groups.push(HeldGroup {
                    category: def.category,
                    items: vec![item],
                }),
            }
        }
        groups.sort_by_key(|g| match g.category {
            DataCategory::Identifying => 0,
            DataCategory::Transactional => 1,
            DataCategory::SpecialCategory => 2,
            DataCategory::Technical => 3,
        });
        let mut records = Vec::new();
        for (table, entity) in [
            ("customer_order", Some(Entity::Order)),
            ("contract", Some(Entity::Contract)),
            ("activity", None),
            ("outbox", None),
        ] {
            let mut count = 0u64;
            count += self
                .store
                .subjects()
                .each_row(subject, table, &mut |_| Ok(()))
                .await?;
            if count == 0 {
                continue;
            }
            records.push(HeldRecords {
                title: crate::bundle::table_title(table, fr)
                    .unwrap_or(table)
                    .to_owned(),
                count,
                items: entity
                    .map(|e| {
                        cat.entity_fields(e)
                            .filter(|f| f.personal)
                            .map(|f| self.explained(f, String::new(), fr))
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
        let states = self.store.consents().states(subject).await?;
        let consents = self.switches(&states, locale);
        let mut history = self.store.consents().events(subject).await?;
        history.reverse();
        for e in &mut history {
            // The person sees when, what and from where; the proof's details (the
            // staff member, the IP) are in their bundle.
            e.evidence = Evidence::default();
        }
        let mut requests: Vec<_> = self
            .store
            .requests()
            .list(&RequestFilter {
                subject_id: Some(subject),
                limit: 100,
                ..Default::default()
            })
            .await?
            .iter()
            .map(|r| crate::requests::view(r, self.now().date()))
            .collect();
        requests.sort_by_key(|r| std::cmp::Reverse(r.created_at));
        let has_account = self.store.portal().account(subject).await?.is_some();
        let correctable = self.correctable(&values, fr);
        let read: Vec<String> = values.iter().map(|(k, _)| k.clone()).collect();
        self.audit
            .record(vec![self.access(
                &person(subject),
                subject,
                AuditAction::Read,
                read,
                endpoint,
            )])
            .await?;
        let name = [
            c.data.first_name.as_ref().map(|n| n.as_str()),
            Some(c.data.last_name.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        Ok(Overview {
            subject,
            name,
            locale: c.data.locale,
            groups,
            records,
            consents,
            history,
            requests,
            has_account,
            correctable,
        })
    }

    /// A switch per consent purpose and channel: on when the consent is in force and
    /// no later "nothing more from us" covers it.
    fn switches(&self, states: &[consent::ConsentState], locale: Locale) -> Vec<ConsentRow> {
        let fr = locale == Locale::Fr;
        let cat = self.catalogue();
        let opted_out = |ch: Channel| {
            states
                .iter()
                .find(|s| s.purpose == ALL_PURPOSES && s.channel == ch)
                .filter(|s| matches!(s.status, Status::Withdrawn | Status::Refused))
                .map(|s| s.since)
        };
        cat.purposes()
            .iter()
            .filter(|p| p.consent)
            .map(|p| ConsentRow {
                purpose: p.id.clone(),
                label: if fr {
                    p.label.fr.clone()
                } else {
                    p.label.en.clone()
                },
                description: if fr {
                    p.description.fr.clone()
                } else {
                    p.description.en.clone()
                },
                switches: Channel::ALL
                    .iter()
                    .map(|&ch| {
                        let s = states.iter().find(|s| s.purpose == p.id && s.channel == ch);
                        let after_opt_out = |since| opted_out(ch).is_none_or(|o| since > o);
                        Switch {
                            channel: ch,
                            on: s.is_some_and(|s| {
                                s.status == Status::Effective && after_opt_out(s.since)
                            }),
                            pending: s.is_some_and(|s| {
                                s.status == Status::Pending && after_opt_out(s.since)
                            }),
                        }
                    })
                    .collect(),
            })
            .collect()
    }

    /// Grants or withdraws a consent as the person, at once (C6, C8): a ledger event
    /// with source `portal` and the browser as evidence, with its audit entry. Purpose
    /// `*` withdrawn is "nothing more from us" on that channel.
    #[allow(clippy::too_many_arguments)]
    pub async fn portal_consent(
        &self,
        subject: Uuid,
        purpose: &str,
        channel: &str,
        grant: bool,
        ip: Option<String>,
        user_agent: Option<String>,
        endpoint: &str,
    ) -> Result<(), AppError> {
        let c = self.portal_contact(subject).await?;
        let known = self.catalogue().consent_purpose(purpose).is_some();
        if !(known || (purpose == ALL_PURPOSES && !grant)) {
            return Err(AppError::field(
                "purpose",
                "unknown_purpose",
                "must be a purpose that takes consent",
            ));
        }
        let channel = Channel::parse("channel", channel).map_err(AppError::invalid)?;
        let evidence = Evidence {
            ip,
            user_agent: user_agent.map(|u| u.chars().take(500).collect()),
            ..Default::default()
        };
        let action = if grant {
            Action::Grant
        } else {
            Action::Withdraw
        };
        let pending = if grant {
            consent::grant_outcome(c.data.kind, Source::Portal, &evidence)
        } else {
            None
        };
        let draft = ConsentDraft {
            subject_id: subject,
            purpose: purpose.to_owned(),
            channel,
            action,
            pending,
            source: Source::Portal,
            evidence,
            at: self.now(),
        };
        let audit = vec![self.access(
            &person(subject),
            subject,
            AuditAction::Update,
            vec!["consents".into()],
            endpoint,
        )];
        self.store
            .consents()
            .append(draft, None, None, audit)
            .await?;
        Ok(())
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
                "no_address",
                "an account signs in with an email address",
            ));
        };
        let email = Email::parse("email", email.as_str()).map_err(AppError::invalid)?;
        crate::staff::check_password(&email, password).map_err(AppError::invalid)?;
        let hash = crate::staff::hash_password(password)?;
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

    /// Records a request of the person's (channel `portal`), with its signed receipt,
    /// its identity established by the login.
    async fn portal_record(
        &self,
        subject: Uuid,
        kind: RequestKind,
        details: Option<&str>,
        endpoint: &str,
    ) -> Result<SubjectRequest, AppError> {
        let c = self.portal_contact(subject).await?;
        let details = details.map(str::trim).unwrap_or_default();
        if candor_domain::personal::has_stray_control(details) {
            return Err(AppError::field(
                "details",
                "no_control_characters",
                "must not contain control characters",
            ));
        }
        if details.chars().count() > 4000 {
            return Err(AppError::field(
                "details",
                "max_length",
                "must be at most 4000 characters",
            ));
        }
        let actor = person(subject);
        let today = self.now().date();
        let mut r = SubjectRequest {
            id: Uuid::now_v7(),
            subject_id: Some(subject),
            kind,
            channel: candor_domain::request::RequestChannel::Portal,
            status: candor_domain::request::RequestStatus::Received,
            received_on: today,
            deadline: candor_domain::request::first_deadline(today, self.settings.deadlines),
            extension: None,
            requester: candor_domain::request::Requester {
                name: None,
                email: c.data.email.as_ref().map(|e| e.as_str().to_owned()),
                postal_address: None,
            },
            details: details.to_owned(),
            identity: None,
            refusal: None,
            answer: None,
            recorded_by: actor.audit_name.clone(),
            created_at: self.now(),
            closed_at: None,
            restriction_lifted_at: None,
            receipt: String::new(),
            receipt_signature: String::new(),
        };
        let mail = self.sign_receipt(&mut r).await?;
        let event = self.step(
            &r,
            &actor,
            "received",
            serde_json::json!({
                "kind": kind.as_str(), "channel": "portal", "received_on": today.to_string(),
                "deadline": r.deadline.to_string(), "receipt_emailed": mail.is_some(),
            }),
        );
        let audit = self.request_audit(&actor, &r, AuditAction::Create, endpoint);
        self.store
            .requests()
            .insert(&r, &event, mail.as_ref(), audit)
            .await?;
        self.verify_identity(
            &actor,
            r.id,
            Some("privacy portal: signed in through the address on file"),
            endpoint,
        )
        .await?;
        self.store
            .requests()
            .get(r.id)
            .await?
            .ok_or(AppError::NotFound { what: "request" })
    }

    /// An erasure, restriction or objection request from the portal, with its receipt.
    pub async fn portal_request(
        &self,
        subject: Uuid,
        kind: &str,
        details: Option<&str>,
        endpoint: &str,
    ) -> Result<crate::requests::RequestView, AppError> {
        let kind = REQUEST_KINDS
            .into_iter()
            .find(|k| k.as_str() == kind)
            .ok_or_else(|| {
                AppError::field(
                    "kind",
                    "request_kind",
                    "must be erasure, restriction or objection",
                )
            })?;
        let r = self.portal_record(subject, kind, details, endpoint).await?;
        Ok(crate::requests::view(&r, self.now().date()))
    }

    /// Applies the person's own corrections (R6): checked by the same rules as every
    /// change first (nothing recorded when one is refused), then a rectification
    /// request answered at once, the person told by email.
    pub async fn portal_rectify(
        &self,
        subject: Uuid,
        patch: ContactPatch,
        endpoint: &str,
    ) -> Result<crate::requests::RequestView, AppError> {
        let c = self.portal_contact(subject).await?;
        if let Some(f) = patch
            .fields()
            .iter()
            .find(|f| !CORRECTABLE.contains(&f.as_str()))
        {
            return Err(AppError::field(
                f,
                "not_correctable_here",
                "this is corrected through a request to the data protection officer",
            ));
        }
        let data = patch
            .apply(Some(&c.data), &self.catalogue(), &self.lexicon)
            .map_err(AppError::Invalid)?;
        if data == c.data {
            return Err(AppError::field(
                "changes",
                "nothing_changed",
                "nothing differs from what is held",
            ));
        }
        let r = self
            .portal_record(subject, RequestKind::Rectification, None, endpoint)
            .await?;
        self.rectify_request(&person(subject), r.id, patch, endpoint)
            .await
    }

    /// The person's bundle (R3, R5), made now into `out`, as the answer to an access
    /// request recorded for it.
    pub async fn portal_bundle<W: std::io::Write + std::io::Seek + Send>(
        &self,
        subject: Uuid,
        out: W,
        endpoint: &str,
    ) -> Result<crate::requests::RequestView, AppError> {
        let mut r = self
            .portal_record(subject, RequestKind::Access, None, endpoint)
            .await?;
        let actor = Actor {
            audit_name: format!("portal/request:{}", r.id),
            ..person(subject)
        };
        self.write_bundle(&actor, subject, out, endpoint).await?;
        let before = r.status;
        r.status = candor_domain::request::next(before, candor_domain::request::Step::Answer)
            .map_err(AppError::invalid)?;
        r.answer = Some("downloaded from the privacy portal".into());
        r.closed_at = Some(self.now());
        let event = self.step(
            &r,
            &person(subject),
            "delivered",
            serde_json::json!({ "channel": "portal" }),
        );
        self.change(before, &r, event, None, vec![], vec![]).await
    }

    /// The signed receipt of one of the person's requests; another's is not found.
    pub async fn portal_receipt(
        &self,
        subject: Uuid,
        id: Uuid,
    ) -> Result<(crate::requests::RequestView, String, String), AppError> {
        let r = self
            .store
            .requests()
            .get(id)
            .await?
            .filter(|r| r.subject_id == Some(subject))
            .ok_or(AppError::NotFound { what: "request" })?;
        Ok((
            crate::requests::view(&r, self.now().date()),
            r.receipt.clone(),
            r.receipt_signature,
        ))
    }

    /// Ends sessions and forgets links that can no longer serve.
    pub async fn portal_sweep(&self) -> Result<u64, AppError> {
        Ok(self.store.portal().sweep(self.now(), IDLE).await?)
    }
}
