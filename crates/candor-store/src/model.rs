//! Records the store reads and writes that are not domain types of their own.

use candor_domain::contact::ContactKind;
use candor_domain::Role;
use time::OffsetDateTime;
use uuid::Uuid;

/// An API token as stored: the secret is only its hash.
#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

/// Filters of the contact list; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    pub kind: Option<ContactKind>,
    pub company_id: Option<Uuid>,
    /// The blind-index hash of an email, never the email itself.
    pub email_hash: Option<String>,
    /// Words that each start a word of the first or last name, any case, accents or
    /// not (through the search terms).
    pub name_prefix: Option<String>,
    /// Part of the name of the contact's company, any case.
    pub company_name: Option<String>,
    /// Words of a search box (O1): each must start one of the contact's terms.
    pub search: Option<Search>,
}

/// The most matches of a search that are counted: beyond it, the list says "more than".
pub const SEARCH_COUNT_CAP: i64 = 10_000;

/// A staff search: the query's words (`candor_domain::search::query`) and the fields
/// the reader's role may search.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub words: Vec<String>,
    pub fields: Vec<candor_domain::search::TermField>,
}

/// Filters of the access-audit search; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub subject_id: Option<Uuid>,
    /// The audit's actor name (`token:<id>`, `staff:<id>`).
    pub actor: Option<String>,
    pub from: Option<OffsetDateTime>,
    /// Exclusive.
    pub until: Option<OffsetDateTime>,
    /// The entries after this one in the search's order (newest first): the next page.
    pub after: Option<AuditCursor>,
}

/// Where a page of the audit search ended: its last entry's instant, subject and place
/// in the subject's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditCursor {
    pub at: OffsetDateTime,
    pub subject_id: Uuid,
    pub seq: i64,
}

/// `LIKE` pattern matching `text` literally, `\` being the escape character.
pub fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// A page of results in id order (UUID v7, so creation order), after `after`.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub after: Option<Uuid>,
    pub limit: u32,
}

/// An order, as demo data and (later) the orders API record it.
#[derive(Debug, Clone)]
pub struct OrderRecord {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub ordered_at: OffsetDateTime,
    pub currency: String,
    pub total_cents: i64,
    pub lines: serde_json::Value,
}

/// A digital trace of a contact: a web visit, an email open or click.
#[derive(Debug, Clone)]
pub struct ActivityRecord {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub kind: String,
    pub at: OffsetDateTime,
    pub detail: String,
}

/// What `verify` found: how much it checked and the first broken entry, if any.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    pub subjects: u64,
    pub entries: u64,
    pub breaks: Vec<(Uuid, candor_domain::audit::ChainBreak)>,
    /// For a ledger with a projection (consents): each purpose × channel whose stored
    /// state is not the fold of the ledger (C2).
    pub projection: Vec<ProjectionMismatch>,
}

/// A stored state that the ledger does not give: `stored` is what decisions read,
/// `ledger` what the events say (`None`: no such row, or no event for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionMismatch {
    pub subject: Uuid,
    pub purpose: String,
    pub channel: candor_domain::consent::Channel,
    pub stored: Option<candor_domain::consent::Status>,
    pub ledger: Option<candor_domain::consent::Status>,
}

/// A backend's schema, for the check that both backends hold the same tables: each
/// table's columns (name, storage kind, nullability), primary key, unique keys and
/// references, and the index names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    pub tables: std::collections::BTreeMap<String, TableInfo>,
    pub indexes: std::collections::BTreeSet<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableInfo {
    pub columns: Vec<ColumnInfo>,
    /// Key columns in key order.
    pub primary_key: Vec<String>,
    /// Column sets of unique indexes (partial ones included), each in index order.
    pub unique: std::collections::BTreeSet<Vec<String>>,
    /// (column, referenced table, referenced column).
    pub foreign_keys: std::collections::BTreeSet<(String, String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    pub name: String,
    pub kind: ColumnKind,
    pub nullable: bool,
}

/// How a column is stored, mapped across backends: SQLite's TEXT holds what
/// PostgreSQL stores as text, uuid, timestamptz, date or jsonb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    Integer,
    Real,
    /// A type the mapping does not know: the check fails on it.
    Other,
}

impl ColumnKind {
    pub fn of_sqlite(declared: &str) -> Self {
        match declared.to_ascii_uppercase().as_str() {
            "TEXT" => ColumnKind::Text,
            "INTEGER" => ColumnKind::Integer,
            "REAL" => ColumnKind::Real,
            _ => ColumnKind::Other,
        }
    }

    pub fn of_postgres(udt: &str) -> Self {
        match udt {
            "text" | "uuid" | "timestamptz" | "date" | "jsonb" => ColumnKind::Text,
            "int8" | "int4" => ColumnKind::Integer,
            "float8" => ColumnKind::Real,
            _ => ColumnKind::Other,
        }
    }
}

/// An address known not to receive on its channel (a bounce, an earlier tool's
/// "cleaned" or invalid status): the communication rules send nothing to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressStatus {
    pub subject_id: Uuid,
    pub channel: candor_domain::consent::Channel,
    /// Where it was learnt, without the address: `import FILE line N: COLUMN=VALUE`.
    pub reason: String,
    pub since: OffsetDateTime,
}

/// An email to deliver, queued in the transaction of the change that causes it.
#[derive(Debug, Clone)]
pub struct QueuedMail {
    pub id: Uuid,
    pub subject_id: Option<Uuid>,
    /// `<id@candor>`: fixed at queueing, so a retry is recognisably the same message.
    pub message_id: String,
    /// The message's category (M1): consent_request, legal_notice, newsletter…
    pub category: String,
    pub recipient: String,
    pub locale: String,
    pub mail_subject: String,
    pub body_text: String,
    pub body_html: String,
    pub created_at: OffsetDateTime,
    /// The one-click unsubscribe URL (RFC 8058) of a campaign email.
    pub list_unsubscribe: Option<String>,
    /// A file sent with the message (a request's signed receipt).
    pub attachment: Option<MailAttachment>,
    /// The row goes once the message is sent: a message to a person already erased.
    pub forget_after_send: bool,
}

/// A text file attached to a message: its name and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAttachment {
    pub name: String,
    pub content: String,
}

/// A queued email with its delivery state.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    pub mail: QueuedMail,
    /// queued, sending, sent or failed.
    pub status: String,
    pub attempts: i32,
    pub sent_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
}

/// A double opt-in confirmation token, as stored: only its hash (C7).
#[derive(Debug, Clone)]
pub struct ConsentToken {
    pub token_hash: String,
    /// `confirm` (double opt-in of one grant) or `request` (a consent request, C4).
    pub kind: TokenKind,
    pub subject_id: Uuid,
    pub purpose: String,
    pub channel: candor_domain::consent::Channel,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Confirm,
    Request,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Confirm => "confirm",
            TokenKind::Request => "request",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [TokenKind::Confirm, TokenKind::Request]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// What presenting a confirmation token did.
#[derive(Debug, Clone)]
pub enum Confirmation {
    Confirmed(candor_domain::consent::ConsentState),
    Unknown,
    AlreadyUsed,
    Expired,
}

/// The running counts of an import job.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub created: u64,
    pub merged: u64,
    /// Duplicates left alone (`--on-duplicate skip`).
    pub skipped: u64,
    pub rejected: u64,
    /// Consent events recorded from the file's evidence columns.
    pub consents: u64,
    /// Consent requests (C4) and double opt-in confirmations queued.
    pub requests: u64,
    /// Of `consents`: grants, confirmations of a double opt-in done in the earlier
    /// tool, and withdrawals (opt-outs the file states).
    pub grants: u64,
    pub confirmations: u64,
    pub withdrawals: u64,
    /// Rows whose first and last names were split from one full-name column.
    pub names_split: u64,
    /// Rows whose address the file says does not receive mail (bounced, cleaned).
    pub undeliverable: u64,
    /// New contacts who would have been asked for consent, not asked because the
    /// import was told to hold the requests (`--no-consent-requests`).
    pub requests_held: u64,
}

/// An import job and its checkpoint: the next record of the file to read.
#[derive(Debug, Clone)]
pub struct ImportJob {
    /// A hash of the file's content and the options: the same command resumes it.
    pub id: String,
    pub file_name: String,
    pub options: String,
    pub actor: String,
    pub started_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
    pub next_record: u64,
    pub counts: ImportCounts,
}

/// A row the import refused, with the first rule it broke per field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReject {
    /// The line of the file where the record starts (the header is line 1).
    pub line: u64,
    pub field: String,
    pub rule: String,
    pub message: String,
    /// The record's cells as read, so the rejects file can be fixed and imported again.
    pub record: Vec<String>,
}

/// A saved segment: its conditions as the JSON the caller gave (checked again at use).
#[derive(Debug, Clone)]
pub struct SegmentRecord {
    pub id: Uuid,
    pub name: String,
    pub conditions: String,
    pub created_by: String,
    pub created_at: OffsetDateTime,
}

/// A campaign: a category of message, its content per locale (JSON) and a segment.
#[derive(Debug, Clone)]
pub struct CampaignRecord {
    pub id: Uuid,
    pub name: String,
    pub category: String,
    pub channel: String,
    pub segment_id: Uuid,
    pub content: String,
    /// draft or sent.
    pub status: String,
    /// The audience report (JSON): counted when the sending started, then the one it
    /// was sent with.
    pub report: Option<String>,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
    /// When its sending started: a draft with this set is being sent by a job, and is
    /// no longer editable.
    pub sending_at: Option<OffsetDateTime>,
}

/// What the communication rules need of one contact of an audience: the address, the
/// language, and the consent states that bear on one purpose × channel (the purpose's
/// own and the global opt-out's).
#[derive(Debug, Clone)]
pub struct AudienceRow {
    pub id: Uuid,
    pub email: Option<String>,
    pub locale: String,
    pub company_id: Option<Uuid>,
    pub states: Vec<candor_domain::consent::ConsentState>,
    /// The person's address on the channel is known not to receive.
    pub undeliverable: bool,
}

/// A staff account as stored: the password only as its argon2id PHC string.
#[derive(Debug, Clone)]
pub struct StaffUser {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub locale: String,
    pub password_hash: String,
    pub created_at: OffsetDateTime,
    pub disabled_at: Option<OffsetDateTime>,
}

/// Filters of the request list; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub status: Option<candor_domain::request::RequestStatus>,
    pub kind: Option<candor_domain::request::RequestKind>,
    /// Only open requests whose deadline is on or before this day.
    pub due_by: Option<time::Date>,
    /// Only requests recorded by this actor (sales and support see their own).
    pub recorded_by: Option<String>,
    pub subject_id: Option<Uuid>,
    pub limit: u32,
}

/// A change to a request, written with its timeline step, in one transaction with the
/// email and the consent events it causes and its audit entries.
pub struct RequestChange<'a> {
    pub request: &'a candor_domain::request::SubjectRequest,
    /// The status the request must still have, or the change is refused (another
    /// writer moved it first).
    pub expected: candor_domain::request::RequestStatus,
    pub event: &'a candor_domain::request::RequestEvent,
    pub mail: Option<&'a QueuedMail>,
    pub consents: Vec<candor_domain::consent::ConsentDraft>,
    pub audit: Vec<candor_domain::audit::AccessEvent>,
    /// A download link of the request's bundle, created with the change.
    pub link: Option<&'a BundleLink>,
}

/// A download link of a request's bundle (R5): the token's hash only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleLink {
    pub token_hash: String,
    pub request_id: Uuid,
    pub subject_id: Uuid,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub downloads: i64,
}

/// A one-time login link of the privacy portal (P1): the token's hash only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalLink {
    pub token_hash: String,
    pub subject_id: Uuid,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
}

/// Why a portal link opens nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    Unknown,
    Used,
    Expired,
}

/// A job: work to run at a time, once.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    pub run_at: OffsetDateTime,
    /// queued, running, done, failed or cancelled.
    pub status: String,
    pub attempts: i64,
    pub lease_owner: Option<String>,
    pub last_error: Option<String>,
    /// At most one job holds a key: scheduling the same key twice schedules it once.
    pub dedupe_key: Option<String>,
    pub created_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
}

impl JobRecord {
    pub fn new(
        kind: &str,
        payload: serde_json::Value,
        run_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            kind: kind.to_owned(),
            payload,
            run_at,
            status: "queued".into(),
            attempts: 0,
            lease_owner: None,
            last_error: None,
            dedupe_key: None,
            created_at: now,
            finished_at: None,
        }
    }

    pub fn dedupe(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }
}

/// One person's erasure, as the use case asks for it (E1, E2).
#[derive(Debug, Clone)]
pub struct ErasurePlan {
    pub id: Uuid,
    pub subject: Uuid,
    pub at: OffsetDateTime,
    /// Who erased (`user:<id>`, `token:<id>`, `policy:<name>`), never a name.
    pub actor: String,
    /// `request:<id>`, `policy:<name>` or `staff`.
    pub reason: String,
    /// The suppression list's keyed hashes of the person's email and phone, with kind.
    pub suppress: Vec<(String, &'static str)>,
    pub holds: candor_domain::erasure::HoldRules,
    /// The email telling the person, queued in the erasure's transaction.
    pub notice: Option<QueuedMail>,
}

/// One run of the retention policies (E4): when, by whom, dry or not, and what each
/// policy did or would do, in counts.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RetentionRun {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: OffsetDateTime,
    pub dry_run: bool,
    /// `job:retention`, `user:<id>`, `token:<id>` or `cli`: never a name.
    pub actor: String,
    pub outcomes: Vec<RetentionOutcome>,
}

/// A verification of the chains (the access audit, the consent ledger, the erasure
/// records and the checkpoints): when, who, how much it read, how many breaks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifyRun {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// `job:verify`, `cli`: never a name.
    pub actor: String,
    pub entries: u64,
    pub broken: u64,
    /// What was checked, in a line (no subject named).
    pub summary: String,
}

/// What one policy did in a run, or would do in a dry run.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RetentionOutcome {
    pub name: String,
    pub target: String,
    /// `erase` (people), `delete` (rows) or `lapse` (pending consents closed).
    pub action: String,
    /// Data older than this falls under the policy (none for ended holds).
    #[serde(
        with = "time::serde::rfc3339::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cutoff: Option<OffsetDateTime>,
    pub count: u64,
}

/// What an erasure did: its record, the records kept under a legal hold, and the
/// outbox messages whose `.eml` copies are still to delete.
#[derive(Debug, Clone)]
pub struct Erased {
    pub record: candor_domain::erasure::Erasure,
    pub held: Vec<candor_domain::erasure::Held>,
    pub files: Vec<Uuid>,
}

/// A personal data breach in the register (B1): its facts and its notifications to the
/// authority, as documents.
#[derive(Debug, Clone, PartialEq)]
pub struct BreachRecord {
    pub id: Uuid,
    pub facts: candor_domain::breach::Facts,
    pub notifications: Vec<candor_domain::breach::Notification>,
    /// Who recorded it (`user:<id>`, `token:<id>`), never a name.
    pub recorded_by: String,
    pub created_at: OffsetDateTime,
    /// Changes are written only over the version they were made from.
    pub updated_at: OffsetDateTime,
    /// How many people were told of it (Art. 34), kept here so the count outlives
    /// their erasure.
    pub subject_notices: u64,
}

/// One entry of a breach's history: who, when, what (`recorded`, `changed`,
/// `notified`), and the fields with their values before and after.
#[derive(Debug, Clone, PartialEq)]
pub struct BreachChange {
    pub at: OffsetDateTime,
    pub actor: String,
    pub action: String,
    pub changes: serde_json::Value,
}
