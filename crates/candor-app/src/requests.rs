//! Data subject requests (SPEC R1, R2, R7): intake from any channel with a signed
//! receipt, the identity step, the deadline and its one extension (told to the person),
//! refusal with its reason, answers, and the restriction and objection they carry.
//!
//! Who does what: admin, dpo, sales and support record requests (sales and support see
//! only those they recorded); the dpo and admin handle them. `portal` requests are
//! recorded only by the portal itself, as consents from the portal are.

use crate::receipts::ReceiptKeys;
use crate::{mail, Actor, AppError, Candor};
use candor_domain::audit::{AccessEvent, AuditAction};
use candor_domain::communication::{self, Category, Facts};
use candor_domain::consent::{Action, Channel, ConsentDraft, Evidence, Source};
use candor_domain::personal::{has_stray_control, Email, Locale, PersonName};
use candor_domain::request::{
    self, Deadlines, Extension, IdentityCheck, RefusalReason, RequestChannel, RequestEvent,
    RequestKind, RequestStatus, Requester, Step, SubjectRequest,
};
use candor_domain::{FieldError, FieldErrors, Role};
use candor_store::{QueuedMail, RequestChange, RequestFilter};
use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A request as staff type it in (or another system sends it).
#[derive(Debug, Clone, Default)]
pub struct RequestInput {
    pub kind: String,
    pub channel: String,
    /// YYYY-MM-DD; today when absent.
    pub received_on: Option<String>,
    pub contact_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub postal_address: Option<String>,
    pub details: Option<String>,
}

/// A request as the API and the back office show it.
#[derive(Debug, Clone, Serialize)]
pub struct RequestView {
    pub id: Uuid,
    pub subject_id: Option<Uuid>,
    pub kind: RequestKind,
    pub channel: RequestChannel,
    pub status: RequestStatus,
    /// YYYY-MM-DD.
    pub received_on: String,
    pub deadline: String,
    /// Days from today to the deadline; negative once overdue. None when closed.
    pub days_left: Option<i64>,
    pub overdue: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension: Option<ExtensionView>,
    pub requester: Requester,
    pub details: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentityView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<RefusalView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    pub restricts: bool,
    pub recorded_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExtensionView {
    pub months: u8,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize)]
pub struct IdentityView {
    pub method: String,
    pub by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize)]
pub struct RefusalView {
    pub reason: RefusalReason,
    pub note: String,
}

pub(crate) fn view(r: &SubjectRequest, today: Date) -> RequestView {
    let open = r.status.is_open();
    let days = request::days_left(r.deadline, today);
    RequestView {
        id: r.id,
        subject_id: r.subject_id,
        kind: r.kind,
        channel: r.channel,
        status: r.status,
        received_on: r.received_on.to_string(),
        deadline: r.deadline.to_string(),
        days_left: open.then_some(days),
        overdue: open && days < 0,
        extension: r.extension.as_ref().map(|e| ExtensionView {
            months: e.months,
            reason: e.reason.clone(),
            at: e.at,
        }),
        requester: r.requester.clone(),
        details: r.details.clone(),
        identity: r.identity.as_ref().map(|i| IdentityView {
            method: i.method.clone(),
            by: i.by.clone(),
            at: i.at,
        }),
        refusal: r.refusal.as_ref().map(|(reason, note)| RefusalView {
            reason: *reason,
            note: note.clone(),
        }),
        answer: r.answer.clone(),
        restricts: r.restricts(),
        recorded_by: r.recorded_by.clone(),
        created_at: r.created_at,
        closed_at: r.closed_at,
    }
}

/// Who may record requests, and who handles them.
fn may_record(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Dpo | Role::Sales | Role::Support)
}

fn handles(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Dpo)
}

fn text(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if s.chars().count() > max {
        return Err(FieldError::new(
            field,
            "max_length",
            format!("must be at most {max} characters"),
        ));
    }
    if has_stray_control(s) {
        return Err(FieldError::new(
            field,
            "no_control_characters",
            "must not contain control characters",
        ));
    }
    Ok(Some(s.to_owned()))
}

fn required(field: &str, raw: Option<&str>, max: usize) -> Result<String, FieldError> {
    text(field, raw, max)?.ok_or_else(|| FieldError::new(field, "required", "must be given"))
}

fn parse_date(field: &str, s: &str) -> Result<Date, FieldError> {
    Date::parse(
        s.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| FieldError::new(field, "date_format", "must be a date, YYYY-MM-DD"))
}

/// The consent source a request's channel stands for, when an objection is recorded.
fn source_of(channel: RequestChannel) -> Source {
    match channel {
        RequestChannel::Phone => Source::Phone,
        RequestChannel::Portal => Source::Portal,
        RequestChannel::Api => Source::Api,
        RequestChannel::InPerson | RequestChannel::Letter | RequestChannel::Email => Source::Manual,
    }
}

impl Candor {
    fn deadlines(&self) -> Deadlines {
        self.settings.deadlines
    }

    fn today(&self) -> Date {
        self.now().date()
    }

    /// A legal notice (M1: request notices) to the person: the communication rules let
    /// it through whatever the person's consents.
    pub(crate) fn legal_notice(
        &self,
        subject: Option<Uuid>,
        to: &str,
        locale: Locale,
        template: &str,
        vars: &[(&str, &str)],
    ) -> Result<QueuedMail, AppError> {
        let facts = Facts {
            consents: &[],
            active_contract: false,
            erased: false,
            restricted: false,
            undeliverable: &[],
            last_request: None,
            now: self.now(),
            refusal_quiet_period: self.settings.refusal_quiet,
        };
        let permit = communication::permit(Category::LegalNotice, Channel::Email, &facts)
            .map_err(|r| AppError::Internal(format!("legal notice refused by {}", r.id())))?;
        let rendered = mail::render(template, locale, vars)
            .ok_or_else(|| AppError::Internal(format!("no mail template {template}")))?;
        Ok(mail::queued(
            Uuid::now_v7(),
            subject,
            &permit,
            to,
            locale,
            rendered,
            self.now(),
        ))
    }

    /// Where and in which language the person is written to: the contact's address,
    /// else the one they gave.
    pub(crate) async fn reach(
        &self,
        r: &SubjectRequest,
    ) -> Result<Option<(String, Locale)>, AppError> {
        if let Some(id) = r.subject_id {
            if let Some(c) = self.store.contacts().get(id).await? {
                if let Some(e) = c.data.email {
                    return Ok(Some((e.as_str().to_owned(), c.data.locale)));
                }
            }
        }
        Ok(r.requester.email.clone().map(|e| (e, Locale::Fr)))
    }

    /// The email that tells the person about their request (a legal notice), in their
    /// language, when an address is known: the request's kind, reference, organisation
    /// and DPO, and `extra` placeholders.
    pub(crate) async fn notice_to_person(
        &self,
        r: &SubjectRequest,
        template: &str,
        extra: impl Fn(Locale) -> Vec<(&'static str, String)>,
    ) -> Result<Option<QueuedMail>, AppError> {
        let Some((to, locale)) = self.reach(r).await? else {
            return Ok(None);
        };
        let id = r.id.to_string();
        let received = r.received_on.to_string();
        let more = extra(locale);
        let mut vars: Vec<(&str, &str)> = vec![
            ("kind", kind_label(r.kind, locale)),
            ("request", &id),
            ("received", &received),
            ("organisation", &self.settings.organisation),
            ("dpo", &self.settings.dpo_contact),
        ];
        vars.extend(more.iter().map(|(k, v)| (*k, v.as_str())));
        self.legal_notice(r.subject_id, &to, locale, template, &vars)
            .map(Some)
    }

    /// A request answered by its own act (a delivery, corrections): the dpo or admin
    /// handles it, it is of one of `kinds` (else `rule`), its identity is verified and
    /// it names a contact. The request, the status it had, and the contact.
    pub(crate) async fn answerable(
        &self,
        actor: &Actor,
        id: Uuid,
        kinds: &[RequestKind],
        rule: &'static str,
    ) -> Result<(SubjectRequest, RequestStatus, Uuid), AppError> {
        let mut r = self.handled_request(actor, id).await?;
        if !kinds.contains(&r.kind) {
            let allowed: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
            return Err(AppError::field(
                "kind",
                rule,
                format!(
                    "this answers a {} request, not a {} request",
                    allowed.join(" or "),
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
                "no contact matched this person: the answer is that nothing is held on them",
            ));
        };
        Ok((r, before, subject))
    }

    fn receipt_content(&self, r: &SubjectRequest) -> serde_json::Value {
        serde_json::json!({
            "type": "candor/request-receipt/v1",
            "request_id": r.id,
            "kind": r.kind.as_str(),
            "channel": r.channel.as_str(),
            "received_on": r.received_on.to_string(),
            "deadline": r.deadline.to_string(),
            "subject": r.subject_id.map_or_else(|| "no contact matched".to_owned(), |s| format!("contact {s}")),
            "organisation": self.settings.organisation,
            "dpo_contact": self.settings.dpo_contact,
            "issued_at": candor_domain::contact::rfc3339(r.created_at),
        })
    }

    pub fn receipt_keys(&self) -> &ReceiptKeys {
        &self.receipt_keys
    }

    /// Records a request received by staff or sent by another system (R1), with its
    /// signed receipt (R2), emailed to the person when an address is known.
    pub async fn record_request(
        &self,
        actor: &Actor,
        input: RequestInput,
        endpoint: &str,
    ) -> Result<RequestView, AppError> {
        if !may_record(actor.role) {
            return Err(AppError::RoleForbidden {
                role: actor.role,
                what: "record data subject requests",
            });
        }
        let today = self.today();
        let mut e = FieldErrors::default();
        let kind = e.check(RequestKind::parse("kind", &input.kind));
        let channel = e.check(RequestChannel::parse("channel", &input.channel).and_then(|c| {
            if c == RequestChannel::Portal {
                Err(FieldError::new(
                    "channel",
                    "person_only_source",
                    "only the privacy portal records portal requests; record what the person told you with in_person, letter, email, phone or api",
                ))
            } else {
                Ok(c)
            }
        }));
        let received_on = e.check(
            input
                .received_on
                .as_deref()
                .map_or(Ok(today), |s| parse_date("received_on", s))
                .and_then(|d| request::check_received("received_on", d, today).map(|()| d)),
        );
        let contact = e.check(
            input
                .contact_id
                .as_deref()
                .map(|s| {
                    Uuid::parse_str(s.trim()).map_err(|_| {
                        FieldError::new("contact_id", "uuid", "must be a contact id (UUID)")
                    })
                })
                .transpose(),
        );
        let name = e.check(text("name", input.name.as_deref(), 200).and_then(|n| {
            n.map(|n| PersonName::parse("name", &n).map(|p| p.as_str().to_owned()))
                .transpose()
        }));
        let email = e.check(
            input
                .email
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| Email::parse("email", s))
                .transpose(),
        );
        let postal = e.check(text("postal_address", input.postal_address.as_deref(), 500));
        let details = e.check(text("details", input.details.as_deref(), 4000));
        let (kind, channel, received_on, contact, name, email, postal, details) = e
            .finish((
                kind,
                channel,
                received_on,
                contact,
                name,
                email,
                postal,
                details,
            ))
            .map_err(AppError::Invalid)?;
        // The contact named, or the one the address the person gave belongs to.
        let subject_id = match contact {
            Some(id) => {
                if self.store.contacts().get(id).await?.is_none() {
                    return Err(AppError::field(
                        "contact_id",
                        "reference_exists",
                        "no contact has this id",
                    ));
                }
                Some(id)
            }
            None => match &email {
                Some(e) => {
                    let hash = self.keys.email_hash(e.as_str());
                    self.store.contacts().id_by_email_hash(&hash).await?
                }
                None => None,
            },
        };
        if subject_id.is_none() && name.is_none() && email.is_none() && postal.is_none() {
            return Err(AppError::field(
                "contact_id",
                "subject_required",
                "name the contact, or give what the person gave of themselves (name, email or postal address)",
            ));
        }
        let now = self.now();
        let mut r = SubjectRequest {
            id: Uuid::now_v7(),
            subject_id,
            kind,
            channel,
            status: RequestStatus::Received,
            received_on,
            deadline: request::first_deadline(received_on, self.deadlines()),
            extension: None,
            requester: Requester {
                name,
                email: email.map(|e| e.as_str().to_owned()),
                postal_address: postal,
            },
            details: details.unwrap_or_default(),
            identity: None,
            refusal: None,
            answer: None,
            recorded_by: actor.audit_name.clone(),
            created_at: now,
            closed_at: None,
            restriction_lifted_at: None,
            receipt: String::new(),
            receipt_signature: String::new(),
        };
        let mail = self.sign_receipt(&mut r).await?;
        let deadline = r.deadline.to_string();
        let received = r.received_on.to_string();
        let event = self.step(
            &r,
            actor,
            "received",
            serde_json::json!({
                "kind": kind.as_str(), "channel": channel.as_str(), "received_on": received,
                "deadline": deadline, "receipt_emailed": mail.is_some(),
            }),
        );
        let audit = self.request_audit(actor, &r, AuditAction::Create, endpoint);
        self.store
            .requests()
            .insert(&r, &event, mail.as_ref(), audit)
            .await?;
        Ok(view(&r, self.today()))
    }

    /// Signs the request's receipt (R2) into it, and the email that tells the person,
    /// with the signed file attached, when an address is known.
    pub(crate) async fn sign_receipt(
        &self,
        r: &mut SubjectRequest,
    ) -> Result<Option<QueuedMail>, AppError> {
        let signed = self
            .receipt_keys
            .sign(self.receipt_content(r))
            .map_err(AppError::Internal)?;
        r.receipt = signed.file;
        r.receipt_signature = signed.signature;
        let deadline = r.deadline.to_string();
        // The signed receipt itself goes with the email, as the file `candor receipt
        // verify` (or anyone with the published key) checks.
        let file = format!("receipt-{}.json", r.id);
        let key = format!(
            "{}/api/v1/receipts/public-key",
            self.settings.public_url.trim_end_matches('/')
        );
        let content = r.receipt.clone();
        Ok(self
            .notice_to_person(r, "request_receipt", |_| {
                vec![
                    ("deadline", deadline.clone()),
                    ("file", file.clone()),
                    ("key", key.clone()),
                ]
            })
            .await?
            .map(|mut m| {
                m.attachment = Some(candor_store::MailAttachment {
                    name: file.clone(),
                    content: content.clone(),
                });
                m
            }))
    }

    pub(crate) fn step(
        &self,
        r: &SubjectRequest,
        actor: &Actor,
        action: &str,
        detail: serde_json::Value,
    ) -> RequestEvent {
        RequestEvent {
            request_id: r.id,
            seq: 0,
            at: self.now(),
            actor: actor.audit_name.clone(),
            action: action.to_owned(),
            detail,
        }
    }

    pub(crate) fn request_audit(
        &self,
        actor: &Actor,
        r: &SubjectRequest,
        action: AuditAction,
        endpoint: &str,
    ) -> Vec<AccessEvent> {
        r.subject_id
            .map(|s| {
                vec![self.access(
                    actor,
                    s,
                    action,
                    vec![format!("request.{}", r.kind.as_str())],
                    endpoint,
                )]
            })
            .unwrap_or_default()
    }

    /// A request the actor may see: all for dpo and admin, their own for the others.
    async fn visible_request(&self, actor: &Actor, id: Uuid) -> Result<SubjectRequest, AppError> {
        let r = self
            .store
            .requests()
            .get(id)
            .await?
            .ok_or(AppError::NotFound { what: "request" })?;
        if handles(actor.role) || (may_record(actor.role) && r.recorded_by == actor.audit_name) {
            Ok(r)
        } else {
            Err(AppError::NotFound { what: "request" })
        }
    }

    pub(crate) async fn handled_request(
        &self,
        actor: &Actor,
        id: Uuid,
    ) -> Result<SubjectRequest, AppError> {
        if !handles(actor.role) {
            return Err(AppError::RoleForbidden {
                role: actor.role,
                what: "handle data subject requests (the dpo and admin do)",
            });
        }
        self.visible_request(actor, id).await
    }

    /// Lists requests: by status, kind, due within so many days, overdue.
    pub async fn list_requests(
        &self,
        actor: &Actor,
        filter: ListRequests,
    ) -> Result<Vec<RequestView>, AppError> {
        if !may_record(actor.role) {
            return Err(AppError::RoleForbidden {
                role: actor.role,
                what: "read data subject requests",
            });
        }
        let today = self.today();
        let mut e = FieldErrors::default();
        let status = e.check(
            filter
                .status
                .as_deref()
                .map(|s| RequestStatus::parse("status", s))
                .transpose(),
        );
        let kind = e.check(
            filter
                .kind
                .as_deref()
                .map(|s| RequestKind::parse("kind", s))
                .transpose(),
        );
        if filter.due_within_days.is_some_and(|d| d > 3660) {
            e.push(FieldError::new(
                "due_within_days",
                "range",
                "must be 0 to 3660",
            ));
        }
        let (status, kind) = e.finish((status, kind)).map_err(AppError::Invalid)?;
        let due_by = match (filter.overdue, filter.due_within_days) {
            (true, _) => Some(today - time::Duration::days(1)),
            (false, Some(d)) => Some(today + time::Duration::days(i64::from(d))),
            (false, None) => None,
        };
        let rows = self
            .store
            .requests()
            .list(&RequestFilter {
                status,
                kind,
                due_by,
                recorded_by: (!handles(actor.role)).then(|| actor.audit_name.clone()),
                subject_id: None,
                limit: filter.limit,
            })
            .await?;
        Ok(rows.iter().map(|r| view(r, today)).collect())
    }

    /// One request with its timeline.
    pub async fn get_request(
        &self,
        actor: &Actor,
        id: Uuid,
    ) -> Result<(RequestView, Vec<RequestEvent>), AppError> {
        let r = self.visible_request(actor, id).await?;
        let events = self.store.requests().events(id).await?;
        Ok((view(&r, self.today()), events))
    }

    /// The signed receipt file of a request (R2).
    pub async fn request_receipt(&self, actor: &Actor, id: Uuid) -> Result<String, AppError> {
        Ok(self.visible_request(actor, id).await?.receipt)
    }

    /// Writes a change, checking that the request still has the status it was read with.
    pub(crate) async fn change(
        &self,
        before: RequestStatus,
        r: &SubjectRequest,
        event: RequestEvent,
        mail: Option<QueuedMail>,
        consents: Vec<ConsentDraft>,
        audit: Vec<AccessEvent>,
    ) -> Result<RequestView, AppError> {
        self.change_with_link(before, r, event, mail, consents, audit, None)
            .await
    }

    /// `change`, with the download link a delivery makes.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn change_with_link(
        &self,
        before: RequestStatus,
        r: &SubjectRequest,
        event: RequestEvent,
        mail: Option<QueuedMail>,
        consents: Vec<ConsentDraft>,
        audit: Vec<AccessEvent>,
        link: Option<&candor_store::BundleLink>,
    ) -> Result<RequestView, AppError> {
        self.store
            .requests()
            .update(RequestChange {
                request: r,
                expected: before,
                event: &event,
                mail: mail.as_ref(),
                consents,
                audit,
                link,
            })
            .await?;
        Ok(view(r, self.today()))
    }

    /// Records what was checked to establish the person's identity (R1).
    pub async fn verify_identity(
        &self,
        actor: &Actor,
        id: Uuid,
        method: Option<&str>,
        endpoint: &str,
    ) -> Result<RequestView, AppError> {
        let mut r = self.handled_request(actor, id).await?;
        let method = required("method", method, 500).map_err(AppError::invalid)?;
        let before = r.status;
        r.status = request::next(before, Step::VerifyIdentity).map_err(AppError::invalid)?;
        r.identity = Some(IdentityCheck {
            method: method.clone(),
            by: actor.audit_name.clone(),
            at: self.now(),
        });
        let event = self.step(
            &r,
            actor,
            "identity_verified",
            serde_json::json!({ "method": method }),
        );
        let audit = self.request_audit(actor, &r, AuditAction::Update, endpoint);
        self.change(before, &r, event, None, vec![], audit).await
    }

    /// Work on the request has started.
    pub async fn start_request(
        &self,
        actor: &Actor,
        id: Uuid,
        endpoint: &str,
    ) -> Result<RequestView, AppError> {
        let mut r = self.handled_request(actor, id).await?;
        let before = r.status;
        r.status = request::next(before, Step::Start).map_err(AppError::invalid)?;
        let event = self.step(&r, actor, "started", serde_json::json!({}));
        let audit = self.request_audit(actor, &r, AuditAction::Update, endpoint);
        self.change(before, &r, event, None, vec![], audit).await
    }

    /// Extends the deadline once, within the first period, telling the person why.
    pub async fn extend_request(
        &self,
        actor: &Actor,
        id: Uuid,
        months: Option<u8>,
        reason: Option<&str>,
        endpoint: &str,
    ) -> Result<RequestView, AppError> {
        let mut r = self.handled_request(actor, id).await?;
        let months =
            months.ok_or_else(|| AppError::field("months", "required", "must be given"))?;
        let reason = text("reason", reason, 2000)
            .map_err(AppError::invalid)?
            .unwrap_or_default();
        let deadline = request::extend(
            r.status,
            r.received_on,
            r.extension.is_some(),
            months,
            &reason,
            self.today(),
            self.deadlines(),
        )
        .map_err(AppError::invalid)?;
        let before = r.status;
        r.deadline = deadline;
        r.extension = Some(Extension {
            months,
            reason: reason.clone(),
            at: self.now(),
        });
        let new_deadline = deadline.to_string();
        let mail = self
            .notice_to_person(&r, "request_extended", |_| {
                vec![
                    ("deadline", new_deadline.clone()),
                    ("reason", reason.clone()),
                ]
            })
            .await?;
        let event = self.step(&r, actor, "extended", serde_json::json!({
            "months": months, "reason": reason, "deadline": new_deadline, "told_by_email": mail.is_some(),
        }));
        let audit = self.request_audit(actor, &r, AuditAction::Update, endpoint);
        self.change(before, &r, event, mail, vec![], audit).await
    }

    /// Refuses the request with its reason (Art. 12(5), 12(6)), telling the person.
    pub async fn refuse_request(
        &self,
        actor: &Actor,
        id: Uuid,
        reason: Option<&str>,
        note: Option<&str>,
        endpoint: &str,
    ) -> Result<RequestView, AppError> {
        let mut r = self.handled_request(actor, id).await?;
        let why = RefusalReason::parse("reason", reason.unwrap_or_default())
            .map_err(AppError::invalid)?;
        let note = text("note", note, 2000)
            .map_err(AppError::invalid)?
            .unwrap_or_default();
        let before = r.status;
        r.status = request::next(before, Step::Refuse(why)).map_err(AppError::invalid)?;
        r.refusal = Some((why, note.clone()));
        r.closed_at = Some(self.now());
        let mail = self
            .notice_to_person(&r, "request_refused", |locale| {
                vec![
                    ("reason", refusal_label(why, locale).to_owned()),
                    ("note", note.clone()),
                ]
            })
            .await?;
        let event = self.step(
            &r,
            actor,
            "refused",
            serde_json::json!({ "reason": why.as_str(), "note": note }),
        );
        let audit = self.request_audit(actor, &r, AuditAction::Update, endpoint);
        self.change(before, &r, event, mail, vec![], audit).await
    }

    /// Answers a request whose answer is a decision: a restriction granted (it holds
    /// until lifted), an objection to direct marketing (a global withdrawal on every
    /// channel is recorded in the consent ledger, Art. 21(2)), information given.
    /// Access, portability, rectification and erasure are answered by their own acts
    /// (the bundle delivered, the fields changed, the erasure done).
    pub async fn answer_request(
        &self,
        actor: &Actor,
        id: Uuid,
        note: Option<&str>,
        endpoint: &str,
    ) -> Result<RequestView, AppError> {
        let mut r = self.handled_request(actor, id).await?;
        if !matches!(
            r.kind,
            RequestKind::Restriction | RequestKind::Objection | RequestKind::Information
        ) {
            return Err(AppError::field(
                "kind",
                "answered_by_its_act",
                format!("a {} request is answered by its own act (the bundle delivered, the data changed or erased), not by a note", r.kind.as_str()),
            ));
        }
        let note = text("note", note, 4000)
            .map_err(AppError::invalid)?
            .unwrap_or_default();
        let before = r.status;
        r.status = request::next(before, Step::Answer).map_err(AppError::invalid)?;
        r.answer = Some(note.clone());
        r.closed_at = Some(self.now());
        let mut consents = Vec::new();
        if let (RequestKind::Objection, Some(subject)) = (r.kind, r.subject_id) {
            for channel in Channel::ALL {
                consents.push(ConsentDraft {
                    subject_id: subject,
                    purpose: communication::ALL_PURPOSES.to_owned(),
                    channel: *channel,
                    action: Action::Withdraw,
                    pending: None,
                    source: source_of(r.channel),
                    evidence: Evidence {
                        note: Some(format!("objection request {}", r.id)),
                        recorded_by: Some(actor.audit_name.clone()),
                        ..Evidence::default()
                    },
                    at: self.now(),
                });
            }
        }
        let event = self.step(
            &r,
            actor,
            "answered",
            serde_json::json!({
                "note": note, "withdrawals": consents.len(),
            }),
        );
        let mut audit = self.request_audit(actor, &r, AuditAction::Update, endpoint);
        if let (false, Some(s)) = (consents.is_empty(), r.subject_id) {
            audit.push(self.access(
                actor,
                s,
                AuditAction::Update,
                vec!["consents".into()],
                endpoint,
            ));
        }
        self.change(before, &r, event, None, consents, audit).await
    }

    /// The access or portability bundle of a request's subject (R3, R4), written into
    /// `out`, once the identity is verified; the request's timeline records it.
    pub async fn request_bundle<W: std::io::Write + std::io::Seek + Send>(
        &self,
        actor: &Actor,
        id: Uuid,
        out: W,
        endpoint: &str,
    ) -> Result<crate::bundle::Manifest, AppError> {
        let r = self.handled_request(actor, id).await?;
        if !matches!(r.kind, RequestKind::Access | RequestKind::Portability) {
            return Err(AppError::field(
                "kind",
                "bundle_for_access_or_portability",
                format!(
                    "a bundle answers an access or portability request, not a {} request",
                    r.kind.as_str()
                ),
            ));
        }
        if r.identity.is_none() {
            return Err(AppError::field(
                "status",
                "identity_not_verified",
                "verify the person's identity first: nothing is disclosed or changed before",
            ));
        }
        let Some(subject) = r.subject_id else {
            return Err(AppError::field(
                "subject_id",
                "no_contact",
                "no contact matched this person: the answer is that nothing is held on them",
            ));
        };
        let manifest = self.write_bundle(actor, subject, out, endpoint).await?;
        use sha2::Digest;
        let event = self.step(
            &r,
            actor,
            "bundle_produced",
            serde_json::json!({
                "files": manifest.files.len(),
                "manifest_sha256": hex::encode(sha2::Sha256::digest(manifest.signed.as_bytes())),
            }),
        );
        self.change(r.status, &r, event, None, vec![], vec![])
            .await?;
        Ok(manifest)
    }

    /// Ends a restriction (Art. 18(3): the person is told before it is lifted).
    pub async fn lift_restriction(
        &self,
        actor: &Actor,
        id: Uuid,
        note: Option<&str>,
        endpoint: &str,
    ) -> Result<RequestView, AppError> {
        let mut r = self.handled_request(actor, id).await?;
        if !r.restricts() {
            return Err(AppError::field(
                "kind",
                "no_restriction",
                "this request restricts nothing now",
            ));
        }
        let note = required("note", note, 2000).map_err(AppError::invalid)?;
        let before = r.status;
        r.restriction_lifted_at = Some(self.now());
        let event = self.step(
            &r,
            actor,
            "restriction_lifted",
            serde_json::json!({ "note": note }),
        );
        let audit = self.request_audit(actor, &r, AuditAction::Update, endpoint);
        self.change(before, &r, event, None, vec![], audit).await
    }
}

/// Filters of the request list, as read from a query.
#[derive(Debug, Clone, Default)]
pub struct ListRequests {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub due_within_days: Option<u32>,
    pub overdue: bool,
    pub limit: u32,
}

pub fn kind_label(k: RequestKind, locale: Locale) -> &'static str {
    use RequestKind as K;
    match (k, locale) {
        (K::Access, Locale::Fr) => "d'accès à vos données",
        (K::Access, Locale::En) => "to access your data",
        (K::Rectification, Locale::Fr) => "de rectification",
        (K::Rectification, Locale::En) => "to correct your data",
        (K::Erasure, Locale::Fr) => "d'effacement",
        (K::Erasure, Locale::En) => "to erase your data",
        (K::Portability, Locale::Fr) => "de portabilité",
        (K::Portability, Locale::En) => "to receive your data (portability)",
        (K::Restriction, Locale::Fr) => "de limitation du traitement",
        (K::Restriction, Locale::En) => "to restrict processing",
        (K::Objection, Locale::Fr) => "d'opposition",
        (K::Objection, Locale::En) => "to object to processing",
        (K::Information, Locale::Fr) => "d'information",
        (K::Information, Locale::En) => "for information",
    }
}

pub fn refusal_label(r: RefusalReason, locale: Locale) -> &'static str {
    use RefusalReason as R;
    match (r, locale) {
        (R::ManifestlyUnfounded, Locale::Fr) => {
            "la demande est manifestement infondée (article 12.5 du RGPD)"
        }
        (R::ManifestlyUnfounded, Locale::En) => {
            "the request is manifestly unfounded (GDPR Article 12(5))"
        }
        (R::Excessive, Locale::Fr) => {
            "la demande est excessive, notamment par son caractère répétitif (article 12.5 du RGPD)"
        }
        (R::Excessive, Locale::En) => {
            "the request is excessive, in particular because it is repetitive (GDPR Article 12(5))"
        }
        (R::IdentityNotEstablished, Locale::Fr) => {
            "nous n'avons pas pu vérifier votre identité (article 12.6 du RGPD)"
        }
        (R::IdentityNotEstablished, Locale::En) => {
            "we could not verify your identity (GDPR Article 12(6))"
        }
    }
}
