//! Erasure (SPEC E1–E3): the one way a person leaves Candor, whichever path starts it
//! (a dpo or admin deleting a contact, an erasure request, a retention policy).
//!
//! The store erases in one transaction by the registry's rules (digital traces,
//! tokens, emails and the current consents deleted; the access audit and consent
//! ledger dropped with their heads sealed into the erasure record; orders and
//! contracts moved to the legal holds, naming no one; requests kept as proof,
//! minimised), records it without personal data, and puts keyed hashes of the person's
//! email and phone on the suppression list. The outbox's `.eml` copies go after the
//! commit; the record lists them until they are gone, so a restart finishes the job.

use crate::requests::RequestView;
use crate::{Actor, AppError, Candor};
use candor_domain::audit::AuditAction;
use candor_domain::erasure::{Erasure, Held, Why};
use candor_domain::personal::Locale;
use candor_domain::personal::{Email, Phone};
use candor_domain::request::RequestKind;
use candor_store::{Erased, ErasurePlan};
use uuid::Uuid;

/// What the legal holds will keep, said to the person in their language: the last
/// day any order, and any contract, is held.
fn held_sentence(
    orders: Option<time::Date>,
    contracts: Option<time::Date>,
    locale: Locale,
) -> String {
    let mut out = Vec::new();
    if let Some(d) = orders {
        out.push(match locale {
            Locale::Fr => format!("Vos commandes, que la loi nous oblige à conserver comme pièces comptables, sont gardées sans vous nommer jusqu'au {d} au plus tard."),
            Locale::En => format!("Your orders, which the law requires us to keep as accounting records, are kept without naming you until {d} at the latest."),
        });
    }
    if let Some(d) = contracts {
        out.push(match locale {
            Locale::Fr => format!("Vos contrats sont gardés sans vous nommer jusqu'au {d} au plus tard, le temps où ils peuvent être contestés."),
            Locale::En => format!("Your contracts are kept without naming you until {d} at the latest, while they may still be disputed."),
        });
    }
    out.join(" ")
}

/// An erasure as the API and the back office show it.
#[derive(Debug, Clone)]
pub struct ErasureReport {
    pub record: Erasure,
    pub held: Vec<Held>,
    /// Whether an email telling the person was queued with the erasure.
    pub told: bool,
}

impl From<Erased> for ErasureReport {
    fn from(e: Erased) -> Self {
        Self {
            record: e.record,
            held: e.held,
            told: false,
        }
    }
}

impl Candor {
    /// Erases a person (E1, E2). Only the dpo and admin erase; a person already erased
    /// is answered as such, with nothing changed.
    pub async fn erase_contact(
        &self,
        actor: &Actor,
        subject: Uuid,
        why: Why,
    ) -> Result<ErasureReport, AppError> {
        if !actor.role.governs_data() {
            return Err(AppError::RoleForbidden {
                role: actor.role,
                what: "erase a person (the dpo or an admin does)",
            });
        }
        self.erase(&actor.audit_name, subject, why, true).await
    }

    /// Erases several people, one transaction each, emptying SQLite's write-ahead log
    /// once at the end rather than after each (a purge); how many were erased. People
    /// erased meanwhile by another path are passed over.
    pub async fn erase_batch(
        &self,
        actor: &str,
        subjects: &[Uuid],
        why: &Why,
        progress: &mut (dyn FnMut(Uuid) + Send),
    ) -> Result<u64, AppError> {
        let mut n = 0;
        let mut result = Ok(());
        for s in subjects {
            match self.erase(actor, *s, why.clone(), false).await {
                Ok(_) => {
                    n += 1;
                    progress(*s);
                }
                Err(AppError::NotFound { .. } | AppError::Invalid(_)) => {}
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.flush_after_erasure().await;
        result.map(|()| n)
    }

    /// Empties SQLite's write-ahead log after erasures, so no old page of the people
    /// stays there (best effort: it never undoes an erasure).
    async fn flush_after_erasure(&self) {
        if let Err(e) = self.store.erasures().flush_log().await {
            tracing::warn!(error = %e, "the write-ahead log was not checkpointed after an erasure");
        }
    }

    /// Answers an erasure request (Art. 17) by erasing the person: the request is
    /// answered, kept as proof without what the person gave, and the person is told by
    /// email at the address read before their record went (a message whose row goes
    /// once it is sent). Run again after a crash between the erasure and the answer, it
    /// answers without erasing twice.
    pub async fn erase_request(
        &self,
        actor: &Actor,
        id: Uuid,
        endpoint: &str,
    ) -> Result<(RequestView, ErasureReport), AppError> {
        let why = Why::Request(id);
        let first = self.handled_request(actor, id).await?;
        let done = match first.subject_id {
            None if first.kind == RequestKind::Erasure => {
                self.store.erasures().by_reason(&why.as_text()).await?
            }
            _ => None,
        };
        let (before, report) = match done {
            // Erased before a crash, with its email if any: the request is answered.
            Some((record, told)) => {
                let held = self.store.erasures().held(record.id).await?;
                (first.status, ErasureReport { record, held, told })
            }
            None => {
                let (_, before, subject) = self
                    .answerable(actor, id, &[RequestKind::Erasure], "erasure_only")
                    .await?;
                let report = self.erase(&actor.audit_name, subject, why, true).await?;
                (before, report)
            }
        };
        // The request as the erasure left it: minimised.
        let mut r = self
            .store
            .requests()
            .get(id)
            .await?
            .ok_or(AppError::NotFound { what: "request" })?;
        r.status = candor_domain::request::next(before, candor_domain::request::Step::Answer)
            .map_err(AppError::invalid)?;
        r.answer = Some(format!("erased: {}", report.record.id));
        r.closed_at = Some(self.now());
        let event = self.step(
            &r,
            actor,
            "erased",
            serde_json::json!({
                "erasure": report.record.id,
                "held": report.held.len(),
                "told_by_email": report.told,
            }),
        );
        let audit = self.request_audit(actor, &r, AuditAction::Update, endpoint);
        let view = self.change(before, &r, event, None, vec![], audit).await?;
        Ok((view, report))
    }

    /// The erasure itself, for every path (a retention policy acts as itself).
    pub(crate) async fn erase(
        &self,
        actor: &str,
        subject: Uuid,
        why: Why,
        flush: bool,
    ) -> Result<ErasureReport, AppError> {
        let Some(contact) = self.store.contacts().get(subject).await? else {
            return Err(match self.store.erasures().of_subject(subject).await? {
                Some(done) => AppError::field(
                    "id",
                    "already_erased",
                    format!(
                        "this person was erased on {}: nothing of them is left to erase",
                        done.erased_at.date()
                    ),
                ),
                None => AppError::NotFound { what: "contact" },
            });
        };
        let mut suppress = Vec::new();
        if let Some(e) = &contact.data.email {
            suppress.push((self.keys.suppression_hash("email", e.as_str()), "email"));
        }
        if let Some(p) = &contact.data.phone {
            suppress.push((self.keys.suppression_hash("phone", p.as_str()), "phone"));
        }
        let notice = self.erasure_notice(&contact, &why).await?;
        let told = notice.is_some();
        let plan = ErasurePlan {
            id: Uuid::now_v7(),
            subject,
            at: self.now(),
            actor: actor.to_owned(),
            reason: why.as_text(),
            suppress,
            holds: self.catalogue().retention().holds.clone(),
            notice,
        };
        let sign = |hash: &str| self.keys.sign_checkpoint(hash);
        let erased = self
            .store
            .erasures()
            .erase(&plan, &sign)
            .await?
            .ok_or(AppError::NotFound { what: "contact" })?;
        // After the commit: the copies, and the WAL's old pages (SQLite). Neither
        // undoes the erasure when it fails; the copies are taken again at start.
        if !erased.files.is_empty() {
            if let Err(e) = self.remove_copies(erased.record.id, &erased.files).await {
                tracing::warn!(erasure = %erased.record.id, error = %e, "email copies left for the next start");
            }
        }
        if flush {
            self.flush_after_erasure().await;
        }
        let mut report: ErasureReport = erased.into();
        report.told = told;
        Ok(report)
    }

    /// The email telling the person they were erased, and what the legal holds keep
    /// until when (E3), in their language, to the address read before it goes: for a
    /// dpo's or admin's erasure and an erasure request; none for a retention policy.
    /// It names no subject and its row goes once sent.
    async fn erasure_notice(
        &self,
        c: &candor_domain::contact::Contact,
        why: &Why,
    ) -> Result<Option<candor_store::QueuedMail>, AppError> {
        let request = match why {
            Why::Policy(_) => return Ok(None),
            Why::Staff => None,
            Why::Request(id) => self.store.requests().get(*id).await?,
        };
        let to = c
            .data
            .email
            .as_ref()
            .map(|e| e.as_str().to_owned())
            .or_else(|| request.as_ref().and_then(|r| r.requester.email.clone()));
        let Some(to) = to else { return Ok(None) };
        let locale = c.data.locale;
        let today = self.now().date();
        let catalogue = self.catalogue();
        let rules = &catalogue.retention().holds;
        let orders = self
            .store
            .orders()
            .list(c.id)
            .await?
            .iter()
            .map(|o| rules.order_until(o.ordered_at.date()))
            .max();
        let contracts = self
            .store
            .contracts()
            .list(candor_domain::contract::Party::Contact(c.id))
            .await?
            .iter()
            .map(|k| rules.contract_until(k.starts_on, k.ends_on, today))
            .max();
        let held = held_sentence(orders, contracts, locale);
        let mut vars: Vec<(&str, String)> = vec![
            ("organisation", self.settings.organisation.clone()),
            ("dpo", self.settings.dpo_contact.clone()),
            ("held", held),
        ];
        let template = match &request {
            Some(r) => {
                vars.push((
                    "kind",
                    crate::requests::kind_label(r.kind, locale).to_owned(),
                ));
                vars.push(("request", r.id.to_string()));
                vars.push(("received", r.received_on.to_string()));
                "request_erased"
            }
            None => "contact_erased",
        };
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut m = self.legal_notice(None, &to, locale, template, &vars)?;
        m.forget_after_send = true;
        Ok(Some(m))
    }

    /// Deletes one erasure's `.eml` copies, then records that they are gone.
    async fn remove_copies(&self, erasure: Uuid, files: &[Uuid]) -> Result<(), AppError> {
        if let Some(dir) = &self.settings.outbox_dir {
            for f in files {
                for name in [format!("{f}.eml"), format!(".{f}.eml.tmp")] {
                    match std::fs::remove_file(dir.join(name)) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            return Err(AppError::Internal(format!(
                                "deleting an erased person's email copy: {}",
                                e.kind()
                            )))
                        }
                    }
                }
            }
        }
        self.store.erasures().files_done(erasure).await?;
        Ok(())
    }

    /// Deletes the `.eml` copies erasures left to delete after their commit (at once,
    /// and again at start after a crash); how many erasures it finished.
    pub async fn finish_erasures(&self) -> Result<u64, AppError> {
        let mut done = 0;
        for (id, files) in self.store.erasures().pending_files().await? {
            self.remove_copies(id, &files).await?;
            done += 1;
        }
        Ok(done)
    }

    /// The erasure of a person, if they were erased, with what the legal holds keep.
    pub async fn erasure_of(
        &self,
        actor: &Actor,
        subject: Uuid,
    ) -> Result<Option<ErasureReport>, AppError> {
        if !actor.role.governs_data() {
            return Err(AppError::RoleForbidden {
                role: actor.role,
                what: "read erasure records",
            });
        }
        let Some(record) = self.store.erasures().of_subject(subject).await? else {
            return Ok(None);
        };
        let held = self.store.erasures().held(record.id).await?;
        Ok(Some(ErasureReport {
            record,
            held,
            told: false,
        }))
    }

    /// Where a person's email still appears, table by table (E2): nothing after their
    /// erasure. Their contact found by the email's blind index counts too.
    pub async fn find_remains(
        &self,
        actor: &Actor,
        email: &str,
    ) -> Result<Vec<(&'static str, u64)>, AppError> {
        if !actor.role.governs_data() {
            return Err(AppError::RoleForbidden {
                role: actor.role,
                what: "search the store for a person's remains",
            });
        }
        let email = Email::parse("email", email).map_err(AppError::invalid)?;
        let mut found = self.store.erasures().find_text(email.as_str()).await?;
        let hash = self.keys.email_hash(email.as_str());
        if self
            .store
            .contacts()
            .id_by_email_hash(&hash)
            .await?
            .is_some()
            && !found.iter().any(|(t, _)| *t == "contact")
        {
            found.push(("contact", 1));
        }
        Ok(found)
    }

    /// Which of an email and a phone are on the suppression list (E2): `email`,
    /// `phone`, or none.
    pub async fn suppressed(
        &self,
        email: Option<&Email>,
        phone: Option<&Phone>,
    ) -> Result<Option<&'static str>, AppError> {
        let mut asked = Vec::new();
        if let Some(e) = email {
            asked.push((self.keys.suppression_hash("email", e.as_str()), "email"));
        }
        if let Some(p) = phone {
            asked.push((self.keys.suppression_hash("phone", p.as_str()), "phone"));
        }
        if asked.is_empty() {
            return Ok(None);
        }
        let hashes: Vec<String> = asked.iter().map(|(h, _)| h.clone()).collect();
        let found = self.store.erasures().suppressed(&hashes).await?;
        Ok(asked
            .into_iter()
            .find(|(h, _)| found.contains(h))
            .map(|(_, kind)| kind))
    }
}
