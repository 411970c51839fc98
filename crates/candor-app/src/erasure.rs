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

use crate::{Actor, AppError, Candor};
use candor_domain::erasure::{Erasure, Held, Why};
use candor_domain::personal::{Email, Phone};
use candor_store::{Erased, ErasurePlan};
use uuid::Uuid;

/// An erasure as the API and the back office show it.
#[derive(Debug, Clone)]
pub struct ErasureReport {
    pub record: Erasure,
    pub held: Vec<Held>,
}

impl From<Erased> for ErasureReport {
    fn from(e: Erased) -> Self {
        Self {
            record: e.record,
            held: e.held,
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
        self.erase(&actor.audit_name, subject, why).await
    }

    /// The erasure itself, for every path (a retention policy acts as itself).
    pub(crate) async fn erase(
        &self,
        actor: &str,
        subject: Uuid,
        why: Why,
    ) -> Result<ErasureReport, AppError> {
        if let Some(done) = self.store.erasures().of_subject(subject).await? {
            return Err(AppError::field(
                "id",
                "already_erased",
                format!(
                    "this person was erased on {}: nothing of them is left to erase",
                    done.erased_at.date()
                ),
            ));
        }
        let contact = self
            .store
            .contacts()
            .get(subject)
            .await?
            .ok_or(AppError::NotFound { what: "contact" })?;
        let mut suppress = Vec::new();
        if let Some(e) = &contact.data.email {
            suppress.push((self.keys.suppression_hash("email", e.as_str()), "email"));
        }
        if let Some(p) = &contact.data.phone {
            suppress.push((self.keys.suppression_hash("phone", p.as_str()), "phone"));
        }
        let plan = ErasurePlan {
            id: Uuid::now_v7(),
            subject,
            at: self.now(),
            actor: actor.to_owned(),
            reason: why.as_text(),
            suppress,
            holds: self.settings.holds.clone(),
        };
        let erased = self
            .store
            .erasures()
            .erase(&plan)
            .await?
            .ok_or(AppError::NotFound { what: "contact" })?;
        self.finish_erasures().await?;
        Ok(erased.into())
    }

    /// Deletes the `.eml` copies erasures left to delete after their commit (at once,
    /// and again at start after a crash); how many erasures it finished.
    pub async fn finish_erasures(&self) -> Result<u64, AppError> {
        let mut done = 0;
        for (id, files) in self.store.erasures().pending_files().await? {
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
            self.store.erasures().files_done(id).await?;
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
        Ok(Some(ErasureReport { record, held }))
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
