//! Candor's persistence. All SQL lives in this crate, written once in `sql` and
//! compiled for each backend (`sqlite`, `postgres`), which add only what their
//! dialects do differently; [`Store`] picks one at open time. Personal data at rest
//! goes through `personal`, the column types both backends share are in `types`.

mod bulk;
mod error;
pub mod model;
mod personal;
mod postgres;
pub mod registry;
pub mod segment;
mod sqlite;
pub mod testing;
mod types;
mod verify;

pub use bulk::{contract_rows, Cell, ImportBatch, Rows};
pub use error::StoreError;
pub use model::*;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use candor_domain::audit::{AccessEvent, AuditEntry};
use candor_domain::catalogue::FieldDef;
use candor_domain::company::Company;
use candor_domain::consent::{ConsentDraft, ConsentEvent, ConsentState, Evidence};
use candor_domain::contact::Contact;
use error::Result;
use std::path::Path;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Calls the same method on whichever backend this store is.
macro_rules! dispatch {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            Store::Sqlite($s) => $e,
            Store::Postgres($s) => $e,
        }
    };
}

impl Store {
    /// Opens a SQLite file (created if needed) and migrates it.
    pub async fn open_file(path: &Path) -> Result<Self> {
        Ok(Store::Sqlite(SqliteStore::open_file(path).await?))
    }

    /// Opens `sqlite:…` or `postgres://…` and migrates it.
    pub async fn open_url(url: &str) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Store::Postgres(PgStore::open_url(url).await?))
        } else {
            Ok(Store::Sqlite(SqliteStore::open_url(url).await?))
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        dispatch!(self, s => s.close().await)
    }

    /// Inserts a contact with its audit entries and, if given, the consent request it
    /// causes (token and email), in one transaction.
    pub async fn insert_contact(
        &self,
        c: &Contact,
        email_hash: Option<&str>,
        audit: Vec<AccessEvent>,
        request: Option<(&ConsentToken, &QueuedMail)>,
    ) -> Result<Vec<AuditEntry>> {
        dispatch!(self, s => s.insert_contact(c, email_hash, audit, request).await)
    }

    pub async fn update_contact(
        &self,
        c: &Contact,
        email_hash: Option<&str>,
        audit: Vec<AccessEvent>,
    ) -> Result<Vec<AuditEntry>> {
        dispatch!(self, s => s.update_contact(c, email_hash, audit).await)
    }

    pub async fn get_contact(&self, id: Uuid) -> Result<Option<Contact>> {
        dispatch!(self, s => s.get_contact(id).await)
    }

    pub async fn contact_id_by_email_hash(&self, hash: &str) -> Result<Option<Uuid>> {
        dispatch!(self, s => s.contact_id_by_email_hash(hash).await)
    }

    pub async fn delete_contact(&self, id: Uuid, audit: Vec<AccessEvent>) -> Result<bool> {
        dispatch!(self, s => s.delete_contact(id, audit).await)
    }

    pub async fn list_contacts(&self, filter: &ContactFilter, page: Page) -> Result<Vec<Contact>> {
        dispatch!(self, s => s.list_contacts(filter, page).await)
    }

    pub async fn count_contacts(&self) -> Result<i64> {
        dispatch!(self, s => s.count_contacts().await)
    }

    pub async fn insert_company(&self, c: &Company) -> Result<()> {
        dispatch!(self, s => s.insert_company(c).await)
    }

    pub async fn update_company(&self, c: &Company) -> Result<()> {
        dispatch!(self, s => s.update_company(c).await)
    }

    pub async fn get_company(&self, id: Uuid) -> Result<Option<Company>> {
        dispatch!(self, s => s.get_company(id).await)
    }

    pub async fn delete_company(&self, id: Uuid) -> Result<bool> {
        dispatch!(self, s => s.delete_company(id).await)
    }

    pub async fn list_companies(&self, name: Option<&str>, page: Page) -> Result<Vec<Company>> {
        dispatch!(self, s => s.list_companies(name, page).await)
    }

    pub async fn insert_token(&self, t: &ApiToken, secret_hash: &str) -> Result<()> {
        dispatch!(self, s => s.insert_token(t, secret_hash).await)
    }

    pub async fn token_by_secret_hash(&self, secret_hash: &str) -> Result<Option<ApiToken>> {
        dispatch!(self, s => s.token_by_secret_hash(secret_hash).await)
    }

    pub async fn list_tokens(&self) -> Result<Vec<ApiToken>> {
        dispatch!(self, s => s.list_tokens().await)
    }

    pub async fn revoke_tokens(&self, id_or_name: &str, at: OffsetDateTime) -> Result<u64> {
        dispatch!(self, s => s.revoke_tokens(id_or_name, at).await)
    }

    pub async fn insert_custom_field(
        &self,
        def: &FieldDef,
        at: OffsetDateTime,
        by: &str,
    ) -> Result<()> {
        dispatch!(self, s => s.insert_custom_field(def, at, by).await)
    }

    pub async fn list_custom_fields(&self) -> Result<Vec<FieldDef>> {
        dispatch!(self, s => s.list_custom_fields().await)
    }

    pub async fn append_audit(&self, events: Vec<AccessEvent>) -> Result<Vec<AuditEntry>> {
        dispatch!(self, s => s.append_audit(events).await)
    }

    pub async fn list_audit(&self, subject: Uuid, limit: u32) -> Result<Vec<AuditEntry>> {
        dispatch!(self, s => s.list_audit(subject, limit).await)
    }

    pub async fn verify_audit(&self) -> Result<VerifyReport> {
        dispatch!(self, s => s.verify_audit().await)
    }

    pub async fn insert_batch(
        &self,
        companies: &[Company],
        contacts: &[(Contact, Option<String>)],
        orders: &[OrderRecord],
        activity: &[ActivityRecord],
    ) -> Result<()> {
        dispatch!(self, s => s.insert_batch(companies, contacts, orders, activity).await)
    }

    pub async fn table_counts(&self) -> Result<Vec<(&'static str, i64)>> {
        dispatch!(self, s => s.table_counts().await)
    }

    pub async fn baseline_prepare(&self) -> Result<()> {
        dispatch!(self, s => s.baseline_prepare().await)
    }

    pub async fn baseline_read_and_insert(
        &self,
        id: &str,
        at: OffsetDateTime,
    ) -> Result<Option<String>> {
        dispatch!(self, s => s.baseline_read_and_insert(id, at).await)
    }

    /// The hand-written SQL baseline of `candor bench audience`: the allowed ids and
    /// the number left out per rule, for a newsletter by email to every contact.
    pub async fn baseline_newsletter_audience(
        &self,
    ) -> Result<(Vec<String>, std::collections::BTreeMap<String, u64>)> {
        dispatch!(self, s => s.baseline_newsletter_audience().await)
    }

    pub async fn sample_contact_ids(&self, n: u32) -> Result<Vec<String>> {
        dispatch!(self, s => s.sample_contact_ids(n).await)
    }

    /// Appends a consent event and updates the projection in one transaction (C2).
    /// …with the confirmation token and the email the event causes, if any.
    /// …and its access-audit entries, in the same transaction.
    pub async fn append_consent(
        &self,
        d: ConsentDraft,
        token: Option<&ConsentToken>,
        mail: Option<&QueuedMail>,
        audit: Vec<AccessEvent>,
    ) -> Result<(ConsentEvent, ConsentState, Vec<AuditEntry>)> {
        dispatch!(self, s => s.append_consent(d, token, mail, audit).await)
    }

    /// Takes messages due for delivery, leased for five minutes.
    pub async fn claim_mail(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<OutboxEntry>> {
        dispatch!(self, s => s.claim_mail(now, limit).await)
    }

    pub async fn mark_sent(&self, id: Uuid, at: OffsetDateTime) -> Result<()> {
        dispatch!(self, s => s.mark_sent(id, at).await)
    }

    pub async fn mark_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> Result<()> {
        dispatch!(self, s => s.mark_failed(id, error, retry_at).await)
    }

    pub async fn list_outbox(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        dispatch!(self, s => s.list_outbox(limit).await)
    }

    pub async fn outbox_entry(&self, id: Uuid) -> Result<Option<OutboxEntry>> {
        dispatch!(self, s => s.outbox_entry(id).await)
    }

    pub async fn consent_token(&self, token_hash: &str) -> Result<Option<ConsentToken>> {
        dispatch!(self, s => s.consent_token(token_hash).await)
    }

    /// Uses a consent-request token once and records the answers (C4).
    pub async fn answer_consent_request(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        answers: Vec<ConsentDraft>,
    ) -> Result<Confirmation> {
        dispatch!(self, s => s.answer_consent_request(token_hash, now, answers).await)
    }

    /// Uses a confirmation token once and records the confirmation (C1, C7).
    pub async fn confirm_consent(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        evidence: Evidence,
    ) -> Result<Confirmation> {
        dispatch!(self, s => s.confirm_consent(token_hash, now, evidence).await)
    }

    /// A subject's consent ledger, oldest first.
    pub async fn consent_events(&self, subject: Uuid) -> Result<Vec<ConsentEvent>> {
        dispatch!(self, s => s.consent_events(subject).await)
    }

    /// A subject's current consent state per purpose × channel.
    pub async fn consent_states(&self, subject: Uuid) -> Result<Vec<ConsentState>> {
        dispatch!(self, s => s.consent_states(subject).await)
    }

    pub async fn verify_consents(&self) -> Result<VerifyReport> {
        dispatch!(self, s => s.verify_consents().await)
    }

    /// Writes a contract (new, or changed by id) with its audit entries, atomically.
    pub async fn save_contract(
        &self,
        c: &candor_domain::contract::Contract,
        audit: Vec<AccessEvent>,
    ) -> Result<Vec<AuditEntry>> {
        dispatch!(self, s => s.save_contract(c, audit).await)
    }

    pub async fn get_contract(
        &self,
        id: Uuid,
    ) -> Result<Option<candor_domain::contract::Contract>> {
        dispatch!(self, s => s.get_contract(id).await)
    }

    /// A contact's or a company's contracts, newest start first.
    pub async fn list_contracts(
        &self,
        party: candor_domain::contract::Party,
    ) -> Result<Vec<candor_domain::contract::Contract>> {
        dispatch!(self, s => s.list_contracts(party).await)
    }

    /// Whether the contact, or its company, has a contract running on `today`.
    pub async fn has_active_contract(
        &self,
        contact: Uuid,
        company: Option<Uuid>,
        today: time::Date,
    ) -> Result<bool> {
        dispatch!(self, s => s.has_active_contract(contact, company, today).await)
    }

    /// The last consent request sent to a subject (C4), for the communication rules.
    pub async fn last_consent_request(
        &self,
        subject: Uuid,
    ) -> Result<Option<candor_domain::communication::LastRequest>> {
        dispatch!(self, s => s.last_consent_request(subject).await)
    }

    /// A segment's audience for one purpose × channel, with the consent states the
    /// communication rules read, streamed in chunks by a task of its own.
    pub fn audience_chunks(
        &self,
        conds: &[segment::SegmentCondition],
        purpose: &str,
        channel: candor_domain::consent::Channel,
        chunk: usize,
    ) -> tokio::sync::mpsc::Receiver<Result<Vec<AudienceRow>>> {
        dispatch!(self, s => s.audience_chunks(conds, purpose, channel, chunk))
    }

    /// Records a digital trace of a contact (an email opened, a link followed).
    pub async fn record_activity(&self, a: &ActivityRecord) -> Result<()> {
        dispatch!(self, s => s.record_activity(a).await)
    }

    /// Which of these subjects have an effective consent to `purpose` on `channel`.
    pub async fn effective_consents(
        &self,
        ids: &[Uuid],
        purpose: &str,
        channel: candor_domain::consent::Channel,
    ) -> Result<std::collections::HashSet<Uuid>> {
        dispatch!(self, s => s.effective_consents(ids, purpose, channel).await)
    }

    /// Records an order with its audit entries, atomically.
    pub async fn insert_order(
        &self,
        o: &OrderRecord,
        audit: Vec<AccessEvent>,
    ) -> Result<Vec<AuditEntry>> {
        dispatch!(self, s => s.insert_order(o, audit).await)
    }

    /// A contact's orders, newest first.
    pub async fn list_orders(&self, contact: Uuid) -> Result<Vec<OrderRecord>> {
        dispatch!(self, s => s.list_orders(contact).await)
    }

    /// Adds a staff account; an email already taken is a `Duplicate`.
    pub async fn insert_staff_user(&self, u: &StaffUser) -> Result<()> {
        dispatch!(self, s => s.insert_staff_user(u).await)
    }

    pub async fn staff_user_by_email(&self, email: &str) -> Result<Option<StaffUser>> {
        dispatch!(self, s => s.staff_user_by_email(email).await)
    }

    pub async fn list_staff_users(&self) -> Result<Vec<StaffUser>> {
        dispatch!(self, s => s.list_staff_users().await)
    }

    /// Replaces a staff account's password hash (and re-enables it).
    pub async fn set_staff_password(&self, id: Uuid, hash: &str) -> Result<()> {
        dispatch!(self, s => s.set_staff_password(id, hash).await)
    }

    pub async fn disable_staff_user(&self, id: Uuid, at: OffsetDateTime) -> Result<()> {
        dispatch!(self, s => s.disable_staff_user(id, at).await)
    }

    /// Recipients, distinct openers and distinct clickers of a campaign.
    pub async fn campaign_results(&self, id: Uuid) -> Result<(i64, i64, i64)> {
        dispatch!(self, s => s.campaign_results(id).await)
    }

    /// The newest segments first.
    pub async fn list_segments(&self, limit: u32) -> Result<Vec<SegmentRecord>> {
        dispatch!(self, s => s.list_segments(limit).await)
    }

    /// The newest campaigns first.
    pub async fn list_campaigns(&self, limit: u32) -> Result<Vec<CampaignRecord>> {
        dispatch!(self, s => s.list_campaigns(limit).await)
    }

    pub async fn staff_user_by_id(&self, id: Uuid) -> Result<Option<StaffUser>> {
        dispatch!(self, s => s.staff_user_by_id(id).await)
    }

    pub async fn set_staff_locale(&self, id: Uuid, locale: &str) -> Result<()> {
        dispatch!(self, s => s.set_staff_locale(id, locale).await)
    }

    /// Stores a new staff session (and drops expired ones); `false` when the id is taken.
    pub async fn create_session(
        &self,
        id: &str,
        data: &str,
        expires_at: OffsetDateTime,
    ) -> Result<bool> {
        dispatch!(self, s => s.create_session(id, data, expires_at).await)
    }

    pub async fn save_session(
        &self,
        id: &str,
        data: &str,
        expires_at: OffsetDateTime,
    ) -> Result<()> {
        dispatch!(self, s => s.save_session(id, data, expires_at).await)
    }

    /// A session's data and expiry, unless it has expired by `now`.
    pub async fn load_session(
        &self,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<(String, OffsetDateTime)>> {
        dispatch!(self, s => s.load_session(id, now).await)
    }

    pub async fn delete_session(&self, id: &str) -> Result<()> {
        dispatch!(self, s => s.delete_session(id).await)
    }

    /// Access-audit entries matching `filter`, newest first.
    pub async fn search_audit(&self, filter: &AuditFilter, limit: u32) -> Result<Vec<AuditEntry>> {
        dispatch!(self, s => s.search_audit(filter, limit).await)
    }

    /// How many contacts a segment holds.
    pub async fn segment_count(&self, conds: &[segment::SegmentCondition]) -> Result<i64> {
        dispatch!(self, s => s.segment_count(conds).await)
    }

    /// One page of a segment's contacts, in id order.
    pub async fn segment_page(
        &self,
        conds: &[segment::SegmentCondition],
        page: Page,
    ) -> Result<Vec<Contact>> {
        dispatch!(self, s => s.segment_page(conds, page).await)
    }

    pub async fn save_segment(&self, seg: &SegmentRecord) -> Result<()> {
        dispatch!(self, s => s.save_segment(seg).await)
    }

    pub async fn get_segment(&self, id: Uuid) -> Result<Option<SegmentRecord>> {
        dispatch!(self, s => s.get_segment(id).await)
    }

    pub async fn save_campaign(&self, c: &CampaignRecord) -> Result<()> {
        dispatch!(self, s => s.save_campaign(c).await)
    }

    pub async fn get_campaign(&self, id: Uuid) -> Result<Option<CampaignRecord>> {
        dispatch!(self, s => s.get_campaign(id).await)
    }

    /// Marks a draft campaign sent with its report; false when it was sent already.
    pub async fn mark_campaign_sent(
        &self,
        id: Uuid,
        at: OffsetDateTime,
        report: &str,
    ) -> Result<bool> {
        dispatch!(self, s => s.mark_campaign_sent(id, at, report).await)
    }

    /// Which of these contacts (with their company) have a contract running on `on`.
    pub async fn active_contracts_for(
        &self,
        pairs: &[(Uuid, Option<Uuid>)],
        on: time::Date,
    ) -> Result<std::collections::HashSet<Uuid>> {
        dispatch!(self, s => s.active_contracts_for(pairs, on).await)
    }

    /// Queues a campaign's messages with their recipients in one transaction; a
    /// recipient recorded before gets nothing more. Returns how many were queued.
    pub async fn queue_campaign(
        &self,
        campaign: Uuid,
        mails: &[QueuedMail],
        audit: Vec<AccessEvent>,
    ) -> Result<u64> {
        dispatch!(self, s => s.queue_campaign(campaign, mails, audit).await)
    }

    pub async fn campaign_recipient_count(&self, campaign: Uuid) -> Result<i64> {
        dispatch!(self, s => s.campaign_recipient_count(campaign).await)
    }

    /// The import job with this id, if it was ever started.
    pub async fn import_job(&self, id: &str) -> Result<Option<ImportJob>> {
        dispatch!(self, s => s.import_job(id).await)
    }

    /// Records a new import job; one that exists already is left as it is.
    pub async fn start_import(&self, job: &ImportJob) -> Result<()> {
        dispatch!(self, s => s.start_import(job).await)
    }

    /// Writes one import batch and moves the job's checkpoint from `from_record` to
    /// `job.next_record` in the same transaction: a crash loses the whole batch or
    /// nothing, so rerunning the job neither misses nor repeats a row.
    pub async fn import_batch(
        &self,
        job: &ImportJob,
        from_record: u64,
        batch: ImportBatch,
    ) -> Result<()> {
        dispatch!(self, s => s.import_batch(job, from_record, batch).await)
    }

    pub async fn import_rejects(
        &self,
        job_id: &str,
        after_line: u64,
        limit: u32,
    ) -> Result<Vec<ImportReject>> {
        dispatch!(self, s => s.import_rejects(job_id, after_line, limit).await)
    }

    /// Marks a job finished and deletes its rejected rows (their file is written).
    pub async fn finish_import(&self, job_id: &str, at: OffsetDateTime) -> Result<()> {
        dispatch!(self, s => s.finish_import(job_id, at).await)
    }

    /// The contacts holding these email blind-index hashes, by hash.
    pub async fn contact_ids_by_email_hashes(
        &self,
        hashes: &[String],
    ) -> Result<std::collections::HashMap<String, Uuid>> {
        dispatch!(self, s => s.contact_ids_by_email_hashes(hashes).await)
    }

    /// The rows an import batch would write, without the batch's reads and checkpoint:
    /// what the import benchmark's raw baseline writes.
    pub fn import_rows(batch: ImportBatch) -> Vec<Rows> {
        // Rejected rows are not part of the baseline: no job to name.
        bulk::plan(batch, "").tables
    }

    /// Writes rows as they are, in one transaction, the fastest way the backend offers
    /// (multi-row INSERT on SQLite, COPY on PostgreSQL).
    pub async fn write_raw(&self, tables: &[Rows]) -> Result<()> {
        dispatch!(self, s => s.write_raw(tables).await)
    }

    /// Tables, columns and indexes, for the check that the backends' schemas agree.
    pub async fn schema(&self) -> Result<Schema> {
        dispatch!(self, s => s.schema().await)
    }
}
