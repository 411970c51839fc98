//! Candor's use cases: the domain's rules composed with the store, the keys and the
//! audit writer. Every read or write of a contact's personal data goes through here,
//! so the role filter (S3) and the access audit (S4) cannot be skipped by a caller.

pub mod audit;
pub mod auth;
pub mod breaches;
pub mod bundle;
pub mod campaigns;
pub mod catalogue;
pub mod companies;
pub mod compliance;
pub mod consent;
pub mod consent_request;
pub mod contacts;
pub mod contracts;
pub mod csvfile;
pub mod decisions;
pub mod delivery;
pub mod demo;
pub mod erasure;
mod error;
pub mod export;
pub mod history;
pub mod import;
pub mod jobs;
pub mod keys;
pub mod mail;
pub mod orders;
pub mod portal;
pub mod receipts;
pub mod rectification;
pub mod register;
pub mod requests;
pub mod retention;
pub mod staff;
pub mod tracking;

pub use candor_store::{AuditCursor, AuditFilter, StaffUser};
pub use error::AppError;

use candor_domain::catalogue::Catalogue;
use candor_domain::lexicon::Lexicon;
use candor_domain::Clock;
use candor_store::Store;
use std::sync::{Arc, RwLock};

/// Who is acting: an API token (later, a staff user or a portal session).
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: uuid::Uuid,
    pub role: candor_domain::Role,
    /// How the audit names the actor: `token:<id>`; never a name or an email.
    pub audit_name: String,
}

/// Settings the use cases need beyond the store.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The address people reach Candor at, for links in emails.
    pub public_url: String,
    /// The sender of Candor's emails.
    pub mail_from: String,
    /// How long a double opt-in link stays valid (C7).
    pub confirm_ttl: time::Duration,
    /// How long after a refusal no consent request is sent (M2).
    pub refusal_quiet: time::Duration,
    /// Where files uploaded in the back office wait while they are imported, with their
    /// rejects (inside the data directory: they hold personal data).
    pub work_dir: std::path::PathBuf,
    /// The anchor file: one line per checkpoint (seq, hash, signature), kept outside
    /// the database so that removing the newest checkpoints from it shows.
    pub anchor: Option<std::path::PathBuf>,
    /// This node's name, kept in its data directory (`node.id`): the owner of the
    /// leases it takes on work (email deliveries), so that after a restart it takes
    /// back its own at once and never another node's.
    pub node: String,
    /// The organisation's name, on receipts and in the emails to people.
    pub organisation: String,
    /// How people and the digest reach the data protection officer (an email address).
    pub dpo_contact: String,
    /// The lengths of a request's deadline and of its one extension (R1).
    pub deadlines: candor_domain::request::Deadlines,
    /// Where removable drives are mounted: a bundle is written to a drive only under one
    /// of these directories (never anywhere else the server may write).
    pub drive_roots: Vec<std::path::PathBuf>,
    /// The local outbox directory (`.eml` copies), when mail goes there: erasure
    /// deletes the person's copies.
    pub outbox_dir: Option<std::path::PathBuf>,
    /// What the processing register says of transfers and security (S5).
    pub register: candor_domain::register::RegisterConfig,
    /// The annual worldwide turnover (euros) the dashboard computes the fines of
    /// Art. 83 from; without it, their fixed amounts.
    pub annual_turnover_eur: Option<u64>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            mail_from: "Candor <no-reply@candor.invalid>".into(),
            confirm_ttl: time::Duration::days(7),
            refusal_quiet: candor_domain::communication::DEFAULT_REFUSAL_QUIET_PERIOD,
            work_dir: std::path::PathBuf::from("candor-data").join("uploads"),
            anchor: None,
            node: "local".into(),
            organisation: "Candor".into(),
            dpo_contact: "dpo@candor.invalid".into(),
            deadlines: candor_domain::request::Deadlines::default(),
            drive_roots: ["/media", "/mnt", "/run/media"]
                .into_iter()
                .map(std::path::PathBuf::from)
                .collect(),
            outbox_dir: None,
            register: candor_domain::register::RegisterConfig::default(),
            annual_turnover_eur: None,
        }
    }
}

/// The application: what every use case needs, cheap to clone.
#[derive(Clone)]
pub struct Candor {
    pub store: Store,
    catalogue: Arc<RwLock<Arc<Catalogue>>>,
    lexicon: Arc<Lexicon>,
    clock: Arc<dyn Clock>,
    keys: Arc<keys::Keys>,
    audit: audit::AuditWriter,
    tokens: Arc<auth::TokenCache>,
    settings: Arc<Settings>,
    receipt_keys: Arc<receipts::ReceiptKeys>,
    /// Wakes the job worker when a job is scheduled for now (a campaign's sending).
    jobs_wake: Arc<tokio::sync::Notify>,
}

impl Candor {
    /// Builds the application over an opened store. `catalogue` is the organisation's
    /// catalogue (checked); the custom fields kept in the store are added to it here.
    pub async fn new(
        store: Store,
        mut catalogue: Catalogue,
        lexicon: Lexicon,
        clock: Arc<dyn Clock>,
        keys: keys::Keys,
        receipt_keys: receipts::ReceiptKeys,
        settings: Settings,
    ) -> Result<Self, AppError> {
        for def in store.catalogue().fields().await? {
            catalogue.add(def).map_err(AppError::invalid)?;
        }
        let audit = audit::AuditWriter::spawn(store.clone());
        Ok(Self {
            store,
            catalogue: Arc::new(RwLock::new(Arc::new(catalogue))),
            lexicon: Arc::new(lexicon),
            clock,
            keys: Arc::new(keys),
            audit,
            tokens: Arc::default(),
            settings: Arc::new(settings),
            receipt_keys: Arc::new(receipt_keys),
            jobs_wake: Arc::default(),
        })
    }

    /// Tells the job worker a job is due now, so it does not wait for its next round.
    pub fn wake_jobs(&self) {
        self.jobs_wake.notify_one();
    }

    /// Returns when [`Candor::wake_jobs`] was called (at once if it was since the last
    /// time this returned).
    pub async fn jobs_woken(&self) {
        self.jobs_wake.notified().await;
    }

    /// The catalogue as it stands now (custom fields included).
    pub fn catalogue(&self) -> Arc<Catalogue> {
        self.catalogue.read().expect("catalogue lock").clone()
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }
}
