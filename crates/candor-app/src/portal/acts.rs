//! What the person does in the portal (P2): consents, requests with their receipts,
//! corrections, the bundle.

use super::*;

impl Candor {
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
        // The account is a consent of its own (C5): withdrawn, the password goes.
        if purpose == "account" && !grant {
            self.store.portal().drop_account(subject).await?;
        }
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
                    "portal_request_kind",
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
        // An address another contact holds, or an erased person's, is refused before
        // anything is recorded, with one answer for both.
        let new_email = (data.email != c.data.email)
            .then_some(data.email.as_ref())
            .flatten();
        let new_phone = (data.phone != c.data.phone)
            .then_some(data.phone.as_ref())
            .flatten();
        let taken = match new_email {
            Some(e) => self
                .store
                .contacts()
                .id_by_email_hash(&self.keys.email_hash(e.as_str()))
                .await?
                .is_some_and(|other| other != subject),
            None => false,
        };
        let field = if taken {
            Some("email")
        } else {
            self.suppressed(new_email, new_phone).await?
        };
        if let Some(field) = field {
            return Err(AppError::field(
                field,
                "address_unavailable",
                "this cannot be used here: write to our data protection officer",
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
}
