//! The store's face, by area: one small trait per kind of record, implemented once by
//! the shared queries of `sql` for each backend. `Store` hands out each area as a
//! handle (`store.contacts()`, `store.consents()`, …); the raw baselines of `candor
//! bench` are an area of their own, `store.bench()`, outside the application's.

use crate::bulk::{ImportBatch, Rows};
use crate::error::Result;
use crate::model::*;
use async_trait::async_trait;
use candor_domain::audit::{AccessEvent, AuditEntry};
use candor_domain::catalogue::FieldDef;
use candor_domain::company::Company;
use candor_domain::consent::{ConsentDraft, ConsentEvent, ConsentState, Evidence};
use candor_domain::contact::Contact;
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// Contacts, by id, email hash and filters.
#[async_trait]
pub trait Contacts: Send + Sync {
    /// Contacts with an email, created before `cutoff`, not told what is held on them
    /// since `cutoff` (the yearly transparency message, E5); in id order, at most
    /// `limit`.
    async fn due_for_transparency(
        &self,
        cutoff: time::OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Contact>>;

    /// Records that these contacts were told at `at`, with the messages queued, in one
    /// transaction: a run stopped midway resumes and sends none twice.
    async fn mark_transparency(
        &self,
        ids: &[Uuid],
        at: time::OffsetDateTime,
        mails: &[QueuedMail],
    ) -> Result<()>;

    /// Contacts with an email that were never asked: no consent state at all and no
    /// consent request ever sent; in id order, after `after`.
    async fn never_asked(&self, after: Option<Uuid>, limit: u32) -> Result<Vec<Uuid>>;

    /// How many contacts `never_asked` would list in all.
    async fn count_never_asked(&self) -> Result<i64>;

    /// Inserts a contact with its audit entries and, if given, the consent request it
    /// causes (token and email), in one transaction.
    async fn insert(
        &self,
        c: &Contact,
        email_hash: Option<&str>,
        audit: Vec<AccessEvent>,
        request: Option<(&ConsentToken, &QueuedMail)>,
    ) -> Result<Vec<AuditEntry>>;

    async fn update(
        &self,
        c: &Contact,
        email_hash: Option<&str>,
        audit: Vec<AccessEvent>,
    ) -> Result<Vec<AuditEntry>>;

    async fn get(&self, id: Uuid) -> Result<Option<Contact>>;

    async fn id_by_email_hash(&self, hash: &str) -> Result<Option<Uuid>>;

    async fn delete(&self, id: Uuid, audit: Vec<AccessEvent>) -> Result<bool>;

    async fn list(&self, filter: &ContactFilter, page: Page) -> Result<Vec<Contact>>;

    async fn count(&self) -> Result<i64>;
    /// How many contacts the filter matches (the back office's list says it); with a
    /// search, counted up to `SEARCH_COUNT_CAP + 1` only (a short word may match a
    /// good part of the base, and "more than 10,000" is what the reader needs then).
    async fn count_matching(&self, filter: &ContactFilter) -> Result<i64>;

    /// The first contacts a staff search finds (O1), by last then first name.
    async fn search(&self, s: &crate::model::Search, limit: u32) -> Result<Vec<Contact>>;

    /// The contacts holding these email blind-index hashes, by hash.
    async fn ids_by_email_hashes(
        &self,
        hashes: &[String],
    ) -> Result<std::collections::HashMap<String, Uuid>>;
}

/// Companies.
#[async_trait]
pub trait Companies: Send + Sync {
    async fn insert(&self, c: &Company) -> Result<()>;

    async fn update(&self, c: &Company) -> Result<()>;

    async fn get(&self, id: Uuid) -> Result<Option<Company>>;

    async fn delete(&self, id: Uuid) -> Result<bool>;

    async fn list(&self, name: Option<&str>, page: Page) -> Result<Vec<Company>>;
}

/// API tokens (hashes of their secrets).
#[async_trait]
pub trait ApiTokens: Send + Sync {
    async fn insert(&self, t: &ApiToken, secret_hash: &str) -> Result<()>;

    async fn by_secret_hash(&self, secret_hash: &str) -> Result<Option<ApiToken>>;

    async fn list(&self) -> Result<Vec<ApiToken>>;

    async fn revoke(&self, id_or_name: &str, at: OffsetDateTime) -> Result<u64>;
}

/// Custom fields of the catalogue.
#[async_trait]
pub trait CustomFields: Send + Sync {
    async fn insert_field(&self, def: &FieldDef, at: OffsetDateTime, by: &str) -> Result<()>;

    async fn fields(&self) -> Result<Vec<FieldDef>>;
}

/// The access audit: per-subject hash chains.
#[async_trait]
pub trait Audit: Send + Sync {
    async fn append(&self, events: Vec<AccessEvent>) -> Result<Vec<AuditEntry>>;

    async fn list(&self, subject: Uuid, limit: u32) -> Result<Vec<AuditEntry>>;

    /// A subject's entries that changed their data (created, updated, deleted),
    /// newest first: the contact record's history of changes.
    async fn changes(&self, subject: Uuid, limit: u32) -> Result<Vec<AuditEntry>>;

    async fn verify(&self) -> Result<VerifyReport>;

    /// Access-audit entries matching `filter`, newest first.
    async fn search(&self, filter: &AuditFilter, limit: u32) -> Result<Vec<AuditEntry>>;

    /// Retention (E4): each person's oldest entries older than `cutoff` (up to the
    /// first newer one) counted, or (`apply`) deleted, `chunk` people per transaction.
    /// The chain left starts after the last entry removed: its position and hash go
    /// into the head with `sign`'s signature of `audit::base_digest` (the checkpoint
    /// key). How many entries.
    async fn trim_before(
        &self,
        cutoff: time::OffsetDateTime,
        apply: bool,
        sign: &(dyn for<'s> Fn(&'s str) -> String + Send + Sync),
        chunk: u32,
    ) -> Result<u64>;

    /// The chains that start after removed entries: subject, position, hash and
    /// signature of their start.
    async fn bases(&self) -> Result<Vec<(Uuid, i64, String, String)>>;
}

/// The global chain of signed checkpoints over every subject chain's head.
#[async_trait]
pub trait Checkpoints: Send + Sync {
    /// Makes a checkpoint, in one transaction: brings the kept heads up to the chains'
    /// current heads (a kept head moves forward only while its chain still holds the
    /// entry it names), computes the root over the kept heads, and appends the
    /// checkpoint that follows the newest one, signed by `sign` (which signs the
    /// checkpoint's hash). `None`, writing nothing, when nothing changed since the
    /// newest checkpoint.
    async fn checkpoint(
        &self,
        at: OffsetDateTime,
        public_key: &str,
        sign: &(dyn for<'s> Fn(&'s str) -> String + Send + Sync),
    ) -> Result<Option<candor_domain::checkpoint::Checkpoint>>;

    /// The global chain, oldest first.
    async fn checkpoints(&self) -> Result<Vec<candor_domain::checkpoint::Checkpoint>>;

    /// The number of kept heads and the root they give now.
    async fn kept_root(&self) -> Result<(u64, String)>;

    /// The kept heads the chains no longer hold: vanished chains, heads that went back,
    /// entries rewritten under a kept head.
    async fn kept_heads_broken(&self) -> Result<Vec<candor_domain::checkpoint::CheckpointBreak>>;
}

/// Addresses known not to receive (bounces).
#[async_trait]
pub trait Addresses: Send + Sync {
    /// Marks an address undeliverable (kept as first learnt when it is already), with
    /// its audit entries in the same transaction.
    async fn mark_undeliverable(&self, s: &AddressStatus, audit: Vec<AccessEvent>) -> Result<()>;

    /// The person's undeliverable addresses.
    async fn undeliverable(&self, subject: Uuid) -> Result<Vec<AddressStatus>>;
}

/// The consent ledger, its projection and the tokens of the person's links.
#[async_trait]
pub trait Consents: Send + Sync {
    /// Queues a consent request (its token and email) for an existing contact, with
    /// its audit entries, in one transaction.
    async fn queue_request(
        &self,
        token: &ConsentToken,
        mail: &QueuedMail,
        audit: Vec<AccessEvent>,
    ) -> Result<()>;

    /// Appends a consent event and updates the projection in one transaction (C2).
    /// …with the confirmation token and the email the event causes, if any.
    /// …and its access-audit entries, in the same transaction.
    async fn append(
        &self,
        d: ConsentDraft,
        token: Option<&ConsentToken>,
        mail: Option<&QueuedMail>,
        audit: Vec<AccessEvent>,
    ) -> Result<(ConsentEvent, ConsentState, Vec<AuditEntry>)>;

    async fn token(&self, token_hash: &str) -> Result<Option<ConsentToken>>;

    /// Uses a consent-request token once and records the answers (C4).
    async fn answer_request(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        answers: Vec<ConsentDraft>,
    ) -> Result<Confirmation>;

    /// Uses a confirmation token once and records the confirmation (C1, C7).
    async fn confirm(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        evidence: Evidence,
    ) -> Result<Confirmation>;

    /// A subject's consent ledger, oldest first.
    async fn events(&self, subject: Uuid) -> Result<Vec<ConsentEvent>>;

    /// A subject's current consent state per purpose × channel.
    async fn states(&self, subject: Uuid) -> Result<Vec<ConsentState>>;

    /// The current states of several subjects at once (one query per 900 ids), for
    /// work that decides for many people, such as a round of deliveries. A subject
    /// without any state is absent from the map.
    async fn states_of(&self, subjects: &[Uuid]) -> Result<HashMap<Uuid, Vec<ConsentState>>>;

    async fn verify(&self) -> Result<VerifyReport>;

    /// The last consent request sent to a subject (C4), for the communication rules.
    async fn last_request(
        &self,
        subject: Uuid,
    ) -> Result<Option<candor_domain::communication::LastRequest>>;

    /// Which of these subjects have an effective consent to `purpose` on `channel`.
    async fn effective(
        &self,
        ids: &[Uuid],
        purpose: &str,
        channel: candor_domain::consent::Channel,
    ) -> Result<std::collections::HashSet<Uuid>>;
}

/// Outgoing email.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Queues messages that go to no contact (a staff member's test of a campaign),
    /// all or none.
    async fn queue(&self, mails: &[QueuedMail]) -> Result<()>;

    /// Takes messages due for delivery, leased for five minutes to `owner` (the node).
    async fn claim(&self, now: OffsetDateTime, limit: u32, owner: &str)
        -> Result<Vec<OutboxEntry>>;

    /// Makes the messages `owner` held when it stopped due again at once (their leases
    /// would otherwise run out in five minutes); another node's leases are left alone.
    /// For a node's start only, before it delivers anything. Returns how many.
    async fn release_leases(&self, owner: &str, now: OffsetDateTime) -> Result<u64>;

    async fn mark_sent(&self, id: Uuid, at: OffsetDateTime) -> Result<()>;

    async fn mark_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> Result<()>;

    async fn list(&self, limit: u32) -> Result<Vec<OutboxEntry>>;

    async fn entry(&self, id: Uuid) -> Result<Option<OutboxEntry>>;

    /// The messages to one person, newest first (the contact record's history).
    async fn of_subject(&self, subject: Uuid, limit: u32) -> Result<Vec<OutboxEntry>>;
}

/// Contracts and the contacts they cover.
#[async_trait]
pub trait Contracts: Send + Sync {
    /// Writes a contract (new, or changed by id) with its audit entries, atomically.
    async fn save(
        &self,
        c: &candor_domain::contract::Contract,
        audit: Vec<AccessEvent>,
    ) -> Result<Vec<AuditEntry>>;

    async fn get(&self, id: Uuid) -> Result<Option<candor_domain::contract::Contract>>;

    /// A contact's or a company's contracts, newest start first.
    async fn list(
        &self,
        party: candor_domain::contract::Party,
    ) -> Result<Vec<candor_domain::contract::Contract>>;

    /// Whether the contact, or its company, has a contract running on `today`.
    async fn has_active(
        &self,
        contact: Uuid,
        company: Option<Uuid>,
        today: time::Date,
    ) -> Result<bool>;

    /// Which of these contacts (with their company) have a contract running on `on`.
    async fn active_for(
        &self,
        pairs: &[(Uuid, Option<Uuid>)],
        on: time::Date,
    ) -> Result<std::collections::HashSet<Uuid>>;
}

/// Orders.
#[async_trait]
pub trait Orders: Send + Sync {
    /// Records an order with its audit entries, atomically.
    async fn insert(&self, o: &OrderRecord, audit: Vec<AccessEvent>) -> Result<Vec<AuditEntry>>;

    /// A contact's orders, newest first.
    async fn list(&self, contact: Uuid) -> Result<Vec<OrderRecord>>;
}

/// Digital traces of contacts (opens, clicks, visits).
#[async_trait]
pub trait Activity: Send + Sync {
    /// Records a digital trace of a contact (an email opened, a link followed).
    async fn record(&self, a: &ActivityRecord) -> Result<()>;

    /// A contact's newest traces first (the contact record's history).
    async fn of_subject(&self, subject: Uuid, limit: u32) -> Result<Vec<ActivityRecord>>;
}

/// Staff accounts.
#[async_trait]
pub trait Staff: Send + Sync {
    /// Adds a staff account; an email already taken is a `Duplicate`.
    async fn insert(&self, u: &StaffUser) -> Result<()>;

    async fn by_email(&self, email: &str) -> Result<Option<StaffUser>>;

    async fn list(&self) -> Result<Vec<StaffUser>>;

    /// Replaces a staff account's password hash (and re-enables it).
    async fn set_password(&self, id: Uuid, hash: &str) -> Result<()>;

    async fn disable(&self, id: Uuid, at: OffsetDateTime) -> Result<()>;

    async fn by_id(&self, id: Uuid) -> Result<Option<StaffUser>>;

    async fn set_locale(&self, id: Uuid, locale: &str) -> Result<()>;
}

/// Staff back-office sessions.
#[async_trait]
pub trait Sessions: Send + Sync {
    /// Stores a new staff session (and drops expired ones); `false` when the id is taken.
    async fn create(&self, id: &str, data: &str, expires_at: OffsetDateTime) -> Result<bool>;

    async fn save(&self, id: &str, data: &str, expires_at: OffsetDateTime) -> Result<()>;

    /// A session's data and expiry, unless it has expired by `now`.
    async fn load(&self, id: &str, now: OffsetDateTime)
        -> Result<Option<(String, OffsetDateTime)>>;

    async fn delete(&self, id: &str) -> Result<()>;
}

/// Segments and their audiences.
#[async_trait]
pub trait Segments: Send + Sync {
    /// A segment's audience for one purpose × channel, with the consent states the
    /// communication rules read, streamed in chunks by a task of its own.
    fn audience(
        &self,
        conds: &[crate::segment::SegmentCondition],
        purpose: &str,
        channel: candor_domain::consent::Channel,
        chunk: usize,
    ) -> tokio::sync::mpsc::Receiver<Result<Vec<AudienceRow>>>;

    /// The newest segments first.
    async fn list(&self, limit: u32) -> Result<Vec<SegmentRecord>>;

    /// How many contacts a segment holds.
    async fn count(&self, conds: &[crate::segment::SegmentCondition]) -> Result<i64>;

    /// One page of a segment's contacts, in id order.
    async fn page(
        &self,
        conds: &[crate::segment::SegmentCondition],
        page: Page,
    ) -> Result<Vec<Contact>>;

    async fn save(&self, seg: &SegmentRecord) -> Result<()>;

    async fn get(&self, id: Uuid) -> Result<Option<SegmentRecord>>;

    /// Renames a segment or changes its conditions; false when there is no such
    /// segment or a campaign of it is being sent.
    async fn update(&self, seg: &SegmentRecord) -> Result<bool>;

    /// Deletes a segment no campaign uses; false when there is no such segment or a
    /// campaign uses it.
    async fn delete(&self, id: Uuid) -> Result<bool>;

    /// The campaigns that use a segment, newest first.
    async fn campaigns_of(&self, id: Uuid) -> Result<Vec<CampaignRecord>>;
}

/// Campaigns and their recipients.
#[async_trait]
pub trait Campaigns: Send + Sync {
    /// Recipients, distinct openers and distinct clickers of a campaign.
    async fn results(&self, id: Uuid) -> Result<(i64, i64, i64)>;

    /// The newest campaigns first.
    async fn list(&self, limit: u32) -> Result<Vec<CampaignRecord>>;

    async fn save(&self, c: &CampaignRecord) -> Result<()>;

    async fn get(&self, id: Uuid) -> Result<Option<CampaignRecord>>;

    /// Marks a draft campaign sent with its report; false when it was sent already.
    async fn mark_sent(&self, id: Uuid, at: OffsetDateTime, report: &str) -> Result<bool>;

    /// Changes a draft's name, category, segment and content; false when it is no
    /// longer a draft (sent, or being sent) or there is no such campaign.
    async fn update_draft(&self, c: &CampaignRecord) -> Result<bool>;

    /// Starts sending a draft: records when and the audience report counted now, and
    /// schedules `job`, in one transaction; false (no job) when it was not a draft
    /// waiting to be sent.
    async fn start_sending(
        &self,
        id: Uuid,
        at: OffsetDateTime,
        report: &str,
        job: &JobRecord,
    ) -> Result<bool>;

    /// Queues a campaign's messages with their recipients in one transaction; a
    /// recipient recorded before gets nothing more. Returns how many were queued.
    async fn queue(
        &self,
        campaign: Uuid,
        mails: &[QueuedMail],
        audit: Vec<AccessEvent>,
    ) -> Result<u64>;

    async fn recipient_count(&self, campaign: Uuid) -> Result<i64>;
}

/// Import jobs, their batches and rejected rows.
#[async_trait]
pub trait Imports: Send + Sync {
    /// The import job with this id, if it was ever started.
    async fn job(&self, id: &str) -> Result<Option<ImportJob>>;

    /// The latest jobs, newest first, for the back office's list.
    async fn recent(&self, limit: u32) -> Result<Vec<ImportJob>>;

    /// Records a new import job; one that exists already is left as it is.
    async fn start(&self, job: &ImportJob) -> Result<()>;

    /// Writes one import batch and moves the job's checkpoint from `from_record` to
    /// `job.next_record` in the same transaction: a crash loses the whole batch or
    /// nothing, so rerunning the job neither misses nor repeats a row.
    async fn batch(&self, job: &ImportJob, from_record: u64, batch: ImportBatch) -> Result<()>;

    async fn rejects(&self, job_id: &str, after_line: u64, limit: u32)
        -> Result<Vec<ImportReject>>;

    /// Marks a job finished and deletes its rejected rows (their file is written).
    async fn finish(&self, job_id: &str, at: OffsetDateTime) -> Result<()>;
}

/// Generated data, and the row counts demo output and tests read.
#[async_trait]
pub trait Demo: Send + Sync {
    async fn insert_batch(
        &self,
        companies: &[Company],
        contacts: &[(Contact, Option<String>)],
        orders: &[OrderRecord],
        activity: &[ActivityRecord],
    ) -> Result<()>;

    async fn table_counts(&self) -> Result<Vec<(&'static str, i64)>>;
}

/// The raw baselines of `candor bench`: not part of the application's store.
#[async_trait]
pub trait Bench: Send + Sync {
    /// Routine maintenance after a bulk load (PostgreSQL `VACUUM (ANALYZE)`, SQLite
    /// `ANALYZE`), so that a benchmark reads a database as autovacuum leaves it.
    async fn settle(&self) -> Result<()>;

    async fn prepare(&self) -> Result<()>;

    async fn read_and_insert(&self, id: &str, at: OffsetDateTime) -> Result<Option<String>>;

    /// The hand-written SQL baseline of `candor bench audience`: the allowed ids and
    /// the number left out per rule, for a newsletter by email to every contact.
    async fn newsletter_audience(
        &self,
    ) -> Result<(Vec<String>, std::collections::BTreeMap<String, u64>)>;

    async fn sample_contact_ids(&self, n: u32) -> Result<Vec<String>>;

    /// The baseline of `candor bench search`: the first contacts by name whose "first
    /// last" name holds `pattern` (a `LIKE` pattern, lower case), by a scan of the
    /// table and a sort, no index.
    async fn scan_names(&self, pattern: &str, limit: u32) -> Result<Vec<Uuid>>;

    /// The raw baseline of `candor bench erase`: the person's rows deleted from every
    /// table the registry names, contact last, in one transaction, with nothing
    /// recorded, held or sealed; how many rows went.
    async fn raw_erase(&self, subject: Uuid) -> Result<u64>;

    /// The raw baseline of `candor bench checkpoint`: every chain's head read from the
    /// ledgers' head tables in order and hashed into a root, writing nothing.
    async fn heads_root(&self) -> Result<(u64, String)>;

    /// Writes rows as they are, in one transaction, the fastest way the backend offers
    /// (multi-row INSERT on SQLite, COPY on PostgreSQL).
    async fn write_raw(&self, tables: &[Rows]) -> Result<()>;
}

/// Data subject requests and their timelines (R1).
#[async_trait]
pub trait Requests: Send + Sync {
    /// Records a new request with its first timeline step, the receipt email if any
    /// and its audit entries, in one transaction.
    async fn insert(
        &self,
        r: &candor_domain::request::SubjectRequest,
        event: &candor_domain::request::RequestEvent,
        mail: Option<&QueuedMail>,
        audit: Vec<AccessEvent>,
    ) -> Result<()>;

    /// Writes a change (see `RequestChange`); `Conflict` when the request no longer has
    /// the expected status, `NotFound` when it does not exist; nothing written then.
    async fn update(&self, c: RequestChange<'_>) -> Result<()>;

    async fn get(&self, id: Uuid) -> Result<Option<candor_domain::request::SubjectRequest>>;

    /// Requests by deadline (soonest first), then id.
    async fn list(&self, f: &RequestFilter) -> Result<Vec<candor_domain::request::SubjectRequest>>;

    /// A request's timeline, oldest first.
    async fn events(&self, id: Uuid) -> Result<Vec<candor_domain::request::RequestEvent>>;

    /// A bundle download link by its token's hash.
    async fn link(&self, token_hash: &str) -> Result<Option<BundleLink>>;

    /// Counts one download of a link.
    async fn count_download(&self, token_hash: &str) -> Result<()>;

    /// Whether a restriction request holds for this subject now (Art. 18).
    async fn restricted(&self, subject: Uuid) -> Result<bool>;

    /// Every subject a restriction holds for now: few, read once for a whole audience.
    async fn restricted_subjects(&self) -> Result<std::collections::HashSet<Uuid>>;
}

/// Everything held on one person, table by table (the access bundle, R3).
#[async_trait]
pub trait Subjects: Send + Sync {
    /// The person's rows of every registered subject table (`registry::SUBJECT_TABLES`,
    /// in its order), every column, as JSON objects.
    async fn rows(&self, subject: Uuid) -> Result<Vec<(&'static str, Vec<serde_json::Value>)>>;

    /// How many rows of the registry's `table` hold the subject's data.
    async fn count(&self, subject: Uuid, table: &'static str) -> Result<u64>;

    /// The person's rows of one registered subject table, each as the text of one JSON
    /// object (every column by name), handed to `each` as the database yields them: the
    /// memory used does not grow with the number of rows. Returns how many there were;
    /// an error from `each` stops the read and is returned.
    async fn each_row(
        &self,
        subject: Uuid,
        table: &'static str,
        each: &mut (dyn for<'r> FnMut(&'r str) -> std::io::Result<()> + Send),
    ) -> Result<u64>;
}

/// The breach register (B1, B2).
#[async_trait]
pub trait Breaches: Send + Sync {
    /// Records a breach with its first history entry and the DPO's reminders, in one
    /// transaction.
    async fn record(
        &self,
        b: &crate::model::BreachRecord,
        change: &crate::model::BreachChange,
        reminders: &[JobRecord],
    ) -> Result<()>;

    /// Writes a changed breach with its history entry, moving (or scheduling) these
    /// reminders and cancelling the queued jobs of these keys, in one transaction, only
    /// over the version last changed at `seen`: `false` (nothing written) when it
    /// changed meanwhile or is gone.
    async fn update(
        &self,
        after: &crate::model::BreachRecord,
        seen: OffsetDateTime,
        change: &crate::model::BreachChange,
        reminders: &[JobRecord],
        cancel: &[String],
    ) -> Result<bool>;

    async fn get(&self, id: Uuid) -> Result<Option<crate::model::BreachRecord>>;

    /// Newest discovery first.
    async fn list(&self, limit: u32) -> Result<Vec<crate::model::BreachRecord>>;

    /// A breach's history, oldest first.
    async fn history(&self, id: Uuid) -> Result<Vec<crate::model::BreachChange>>;

    /// Of these people, those already told of the breach.
    async fn told(&self, breach: Uuid, subjects: &[Uuid]) -> Result<Vec<Uuid>>;

    /// Queues each person's notice of a breach with the record that they were told
    /// and the breach's count, in one transaction; a person told before gets nothing
    /// more (so two runs at once never tell anyone twice). Returns how many were queued.
    async fn tell(&self, breach: Uuid, notices: &[(Uuid, QueuedMail)]) -> Result<u64>;
}

/// What the compliance dashboard counts (O1).
#[async_trait]
pub trait Compliance: Send + Sync {
    /// Contacts with no consent in force for a purpose, no contract running on `today`
    /// (their own or their company's) and no request open: how many, and a page of
    /// their ids in id order.
    async fn without_basis(
        &self,
        today: time::Date,
        page: crate::model::Page,
    ) -> Result<(i64, Vec<Uuid>)>;

    /// Contacts with a B2C grant awaiting its confirmation since before `before`: how
    /// many, and a page of their ids.
    async fn pending_since(
        &self,
        before: OffsetDateTime,
        page: crate::model::Page,
    ) -> Result<(i64, Vec<Uuid>)>;

    /// Records a verification of the chains.
    async fn record_verify(&self, run: &crate::model::VerifyRun) -> Result<()>;

    /// The newest verification.
    async fn last_verify(&self) -> Result<Option<crate::model::VerifyRun>>;
}

/// Jobs: scheduled once, claimed with a lease, done once.
#[async_trait]
pub trait Jobs: Send + Sync {
    /// Schedules a job; with a dedupe key already held, schedules nothing and says so
    /// (`false`).
    async fn schedule(&self, job: &JobRecord) -> Result<bool>;

    /// Takes due jobs (queued and due, or running with a lease that ran out), leased
    /// for five minutes to `owner`.
    async fn claim(&self, now: OffsetDateTime, limit: u32, owner: &str) -> Result<Vec<JobRecord>>;

    /// Marks a job done, with the job it schedules next and the email it sends, in one
    /// transaction, only while `owner` still holds its lease: `false` (nothing written)
    /// when another node took it meanwhile, so a job is done once.
    async fn complete(
        &self,
        id: Uuid,
        owner: &str,
        now: OffsetDateTime,
        next: Option<&JobRecord>,
        mail: Option<&QueuedMail>,
    ) -> Result<bool>;

    /// A failed run: queued again at `retry_at`, or failed for good.
    async fn fail(
        &self,
        id: Uuid,
        owner: &str,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> Result<()>;

    /// Cancels the queued job holding this key, if any.
    async fn cancel(&self, dedupe_key: &str, now: OffsetDateTime) -> Result<bool>;

    /// The jobs `owner` was running when it stopped become due at once.
    async fn release_leases(&self, owner: &str, now: OffsetDateTime) -> Result<u64>;

    /// The job holding a dedupe key, whatever its status.
    async fn keyed(&self, key: &str) -> Result<Option<JobRecord>>;

    /// The newest jobs first.
    async fn list(&self, limit: u32) -> Result<Vec<JobRecord>>;
}

/// Erasure (E1–E3): a person removed from every table in one transaction, the record
/// of it, the legal holds and the suppression list.
#[async_trait]
pub trait Erasures: Send + Sync {
    /// Erases a person by the registry's rules, in one transaction with its record,
    /// held records and suppression hashes. `None` when there is no such contact;
    /// a person already erased has no contact left, so a second call is `None` too.
    /// `sign` signs the record's hash (the checkpoint key).
    async fn erase(
        &self,
        plan: &crate::model::ErasurePlan,
        sign: &(dyn for<'s> Fn(&'s str) -> String + Send + Sync),
    ) -> Result<Option<crate::model::Erased>>;

    /// The record of a person's erasure, if they were erased.
    async fn of_subject(&self, subject: Uuid) -> Result<Option<candor_domain::erasure::Erasure>>;

    /// The erasure made for this reason (`request:<id>`), if one was, and whether an
    /// email telling the person was queued with it.
    async fn by_reason(
        &self,
        reason: &str,
    ) -> Result<Option<(candor_domain::erasure::Erasure, bool)>>;

    /// The newest erasures first.
    async fn list(&self, limit: u32) -> Result<Vec<candor_domain::erasure::Erasure>>;

    /// What an erasure keeps under legal holds.
    async fn held(&self, erasure: Uuid) -> Result<Vec<candor_domain::erasure::Held>>;

    /// Erasures whose outbox `.eml` copies are still to delete, with the messages' ids.
    async fn pending_files(&self) -> Result<Vec<(Uuid, Vec<Uuid>)>>;

    /// Records that an erasure's `.eml` copies are gone.
    async fn files_done(&self, erasure: Uuid) -> Result<()>;

    /// Takes these keyed hashes off the suppression list (an admin's override: the
    /// person came back of their own accord), recording the reason, who and when
    /// without the hash; how many were on it.
    async fn lift(
        &self,
        hashes: &[String],
        reason: &str,
        actor: &str,
        at: time::OffsetDateTime,
    ) -> Result<u64>;

    /// Which of these keyed hashes are on the suppression list.
    async fn suppressed(&self, hashes: &[String]) -> Result<Vec<String>>;

    /// Every table (the registry's, subject or not) whose rows hold `needle` as text,
    /// case-insensitively, with how many rows: what `candor erase verify` reports.
    async fn find_text(&self, needle: &str) -> Result<Vec<(&'static str, u64)>>;

    /// Prospects (no contract, no order, no open request) whose newest sign of life is
    /// older than `cutoff`: created before it, with no web visit, email open or click
    /// and no consent event since; at most `limit`, oldest first (retention, E4).
    async fn inactive_prospects(
        &self,
        cutoff: time::OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Uuid>>;

    /// Former customers (a contract or an order, every contract ended, no open
    /// request) whose newest sign of life is older than `cutoff`: no order, contract
    /// end, web visit, email open or click, or consent event since; at most `limit`,
    /// oldest first (retention, E4).
    async fn former_customers(&self, cutoff: time::OffsetDateTime, limit: u32)
        -> Result<Vec<Uuid>>;

    /// B2C grants still pending since before `cutoff`: counted, or (`apply`) closed by
    /// a `lapse` event in each person's chain, `chunk` per transaction; a grant
    /// confirmed meanwhile is left alone. `by` is the policy, in the event's evidence.
    async fn lapse_pending(
        &self,
        cutoff: time::OffsetDateTime,
        at: time::OffsetDateTime,
        by: &str,
        apply: bool,
        chunk: u32,
    ) -> Result<u64>;

    /// Requests answered or refused before `cutoff`: counted, or deleted with their
    /// steps and download links, `chunk` per transaction; how many.
    async fn requests_closed_before(
        &self,
        cutoff: time::OffsetDateTime,
        delete: bool,
        chunk: u32,
    ) -> Result<u64>;

    /// Records a run of the retention policies.
    async fn record_run(&self, run: &crate::model::RetentionRun) -> Result<()>;

    /// The newest runs first.
    async fn runs(&self, limit: u32) -> Result<Vec<crate::model::RetentionRun>>;

    /// Tracking events (web visits, email opens and clicks) older than `cutoff`:
    /// counted, or deleted `chunk` at a time, one transaction each, so a writer never
    /// waits long; how many.
    async fn tracking_before(
        &self,
        cutoff: time::OffsetDateTime,
        delete: bool,
        chunk: u32,
    ) -> Result<u64>;

    /// Records whose legal hold ended before `day`: counted, or deleted `chunk` at a
    /// time; how many.
    async fn holds_ended(&self, day: time::Date, delete: bool, chunk: u32) -> Result<u64>;

    /// Moves what the write-ahead log holds into the database and empties it (SQLite:
    /// with `secure_delete`, no page of an erased person stays in the log); nothing on
    /// PostgreSQL, whose WAL is the server's.
    async fn flush_log(&self) -> Result<()>;

    /// Every erasure record in chain order.
    async fn chain(&self) -> Result<Vec<candor_domain::erasure::Erasure>>;

    /// Checks the chain of erasure records: links and hashes.
    async fn verify(&self) -> Result<crate::model::VerifyReport>;
}

/// The privacy portal's login links, sessions and password accounts (P1).
#[async_trait]
pub trait Portal: Send + Sync {
    /// Keeps a login link and queues the email that carries it, together.
    async fn create_link(&self, link: &crate::model::PortalLink, mail: &QueuedMail) -> Result<()>;
    /// How many of the subject's links could still sign in at `now`.
    async fn live_links(&self, subject: Uuid, now: OffsetDateTime) -> Result<i64>;
    /// Ends the subject's sessions but the one whose hash is `keep`; how many ended.
    async fn end_others(&self, subject: Uuid, keep: &str) -> Result<u64>;
    /// Deletes the person's password account; whether there was one.
    async fn drop_account(&self, subject: Uuid) -> Result<bool>;
    /// A link as kept (the page that shows its button changes nothing).
    async fn link(&self, token_hash: &str) -> Result<Option<crate::model::PortalLink>>;
    /// Spends a link and opens a session ending at `ends`, in one transaction: the
    /// subject, or why the link opens nothing (then nothing changed).
    async fn enter(
        &self,
        token_hash: &str,
        id_hash: &str,
        now: OffsetDateTime,
        ends: OffsetDateTime,
    ) -> Result<std::result::Result<Uuid, crate::model::LinkRefusal>>;
    /// Opens a session after a password login.
    async fn open(
        &self,
        id_hash: &str,
        subject: Uuid,
        now: OffsetDateTime,
        ends: OffsetDateTime,
    ) -> Result<()>;
    /// The subject of the live session with this hash (seen within `idle`, before its
    /// end), marked seen now.
    async fn session(
        &self,
        id_hash: &str,
        now: OffsetDateTime,
        idle: time::Duration,
    ) -> Result<Option<Uuid>>;
    async fn end(&self, id_hash: &str) -> Result<()>;
    /// Deletes ended sessions and links expired over a day ago; how many rows went.
    async fn sweep(&self, now: OffsetDateTime, idle: time::Duration) -> Result<u64>;
    /// The password hash of the person's account, when they made one.
    async fn account(&self, subject: Uuid) -> Result<Option<String>>;
    /// Creates or changes the account, with the consent its creation is (C5) and the
    /// audit entries, in one transaction.
    async fn set_account(
        &self,
        subject: Uuid,
        password_hash: &str,
        at: OffsetDateTime,
        consent: Option<candor_domain::consent::ConsentDraft>,
        audit: Vec<AccessEvent>,
    ) -> Result<()>;
}

/// A backend: every area, and what only the backend itself knows.
#[async_trait]
pub trait Backend:
    Contacts
    + Companies
    + ApiTokens
    + CustomFields
    + Audit
    + Consents
    + Addresses
    + Checkpoints
    + Requests
    + Subjects
    + Erasures
    + Breaches
    + Compliance
    + Portal
    + Jobs
    + Outbox
    + Contracts
    + Orders
    + Activity
    + Staff
    + Sessions
    + Segments
    + Campaigns
    + Imports
    + Demo
    + Bench
    + std::fmt::Debug
{
    /// `sqlite` or `postgres`.
    fn name(&self) -> &'static str;

    async fn close(&self);

    /// Tables, columns, keys and indexes, for the check that the backends' schemas agree.
    async fn schema(&self) -> Result<Schema>;
}
