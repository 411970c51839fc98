//! Rows for bulk writes, independent of the backend: the import builds them, and the
//! import benchmark's raw baseline writes the same rows the same way (multi-row
//! `INSERT` on SQLite, `COPY` on PostgreSQL), so the ratio measures Candor's own work.

use crate::model::{ConsentToken, ImportReject, QueuedMail};
use candor_domain::audit::{AccessEvent, AuditEntry, GENESIS};
use candor_domain::consent::{self, ConsentDraft, ConsentEvent, ConsentState, Pending, Source};
use candor_domain::contact::Contact;
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// One value of a row, typed so each backend binds or formats it natively.
#[derive(Debug, Clone)]
pub enum Cell {
    Null,
    Text(String),
    Int(i64),
    Real(f64),
    Time(OffsetDateTime),
    Date(time::Date),
    Uuid(Uuid),
    /// JSON text: TEXT on SQLite, JSONB on PostgreSQL.
    Json(String),
}

fn text(s: Option<&str>) -> Cell {
    s.map_or(Cell::Null, |s| Cell::Text(s.to_owned()))
}

/// Rows of one table, all with the same columns.
#[derive(Debug, Clone)]
pub struct Rows {
    pub table: &'static str,
    pub columns: &'static [&'static str],
    pub rows: Vec<Vec<Cell>>,
}

impl Rows {
    fn new(table: &'static str, columns: &'static [&'static str]) -> Self {
        Self {
            table,
            columns,
            rows: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// A contact's search terms (O1), written with it.
const TERM: &[&str] = &["term", "field", "contact_id"];

const CONTACT: &[&str] = &[
    "id",
    "kind",
    "company_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "locale",
    "address_line",
    "postal_code",
    "city",
    "country",
    "notes",
    "custom",
    "created_at",
    "updated_at",
    "newsletter_subscribed_at",
    "newsletter_open_rate",
    "email_hash",
];
const EVENT: &[&str] = &[
    "subject_id",
    "seq",
    "id",
    "purpose",
    "channel",
    "action",
    "pending",
    "source",
    "evidence",
    "at",
    "prev_hash",
    "hash",
];
const STATE: &[&str] = &[
    "subject_id",
    "purpose",
    "channel",
    "status",
    "reason",
    "source",
    "since",
    "first_opt_in_at",
    "first_opt_in_source",
];
const HEAD: &[&str] = &["subject_id", "seq", "hash"];
const AUDIT: &[&str] = &[
    "id",
    "subject_id",
    "seq",
    "actor",
    "action",
    "fields",
    "endpoint",
    "at",
    "prev_hash",
    "hash",
];
const OUTBOX: &[&str] = &[
    "id",
    "subject_id",
    "message_id",
    "category",
    "recipient",
    "locale",
    "mail_subject",
    "body_text",
    "body_html",
    "status",
    "attempts",
    "next_attempt",
    "created_at",
    "list_unsubscribe",
    "attachment_name",
    "attachment",
    "forget_after_send",
];
const TOKEN: &[&str] = &[
    "token_hash",
    "kind",
    "subject_id",
    "purpose",
    "channel",
    "created_at",
    "expires_at",
];
const CONTRACT: &[&str] = &[
    "id",
    "contact_id",
    "company_id",
    "reference",
    "status",
    "starts_on",
    "ends_on",
    "created_at",
    "updated_at",
];

/// Contracts as rows, for bulk writes (demo data).
pub fn contract_rows(contracts: &[candor_domain::contract::Contract]) -> Rows {
    use candor_domain::contract::Party;
    let mut rows = Rows::new("contract", CONTRACT);
    for c in contracts {
        let (contact, company) = match c.party {
            Party::Contact(id) => (Cell::Uuid(id), Cell::Null),
            Party::Company(id) => (Cell::Null, Cell::Uuid(id)),
        };
        rows.rows.push(vec![
            Cell::Uuid(c.id),
            contact,
            company,
            Cell::Text(c.reference.clone()),
            Cell::Text(c.status.as_str().into()),
            Cell::Date(c.starts_on),
            c.ends_on.map_or(Cell::Null, Cell::Date),
            Cell::Time(c.created_at),
            Cell::Time(c.updated_at),
        ]);
    }
    rows
}

const REJECT: &[&str] = &["job_id", "line", "field", "rule", "message", "record"];

/// A contact as a bulk row, through the one conversion of personal data at rest.
pub(crate) fn contact_row(c: &Contact, email_hash: Option<&str>) -> Vec<Cell> {
    let r = crate::personal::ContactRow::of(c);
    let opt = |v: Option<String>| v.map_or(Cell::Null, Cell::Text);
    vec![
        Cell::Uuid(r.id.0),
        Cell::Text(r.kind),
        r.company_id.map_or(Cell::Null, |i| Cell::Uuid(i.0)),
        opt(r.first_name),
        Cell::Text(r.last_name),
        opt(r.email),
        opt(r.phone),
        Cell::Text(r.locale),
        opt(r.address_line),
        opt(r.postal_code),
        opt(r.city),
        opt(r.country),
        opt(r.notes),
        Cell::Json(serde_json::to_string(&r.custom.0).unwrap_or_else(|_| "{}".into())),
        Cell::Time(r.created_at.0),
        Cell::Time(r.updated_at.0),
        r.newsletter_subscribed_at
            .map_or(Cell::Null, |t| Cell::Time(t.0)),
        r.newsletter_open_rate.map_or(Cell::Null, Cell::Real),
        text(email_hash),
    ]
}

fn event_row(e: &ConsentEvent) -> Vec<Cell> {
    vec![
        Cell::Uuid(e.subject_id),
        Cell::Int(e.seq),
        Cell::Uuid(e.id),
        Cell::Text(e.purpose.clone()),
        Cell::Text(e.channel.as_str().into()),
        Cell::Text(e.action.as_str().into()),
        text(e.pending.map(Pending::as_str)),
        Cell::Text(e.source.as_str().into()),
        Cell::Json(serde_json::to_string(&e.evidence).unwrap_or_default()),
        Cell::Time(e.at),
        Cell::Text(e.prev_hash.clone()),
        Cell::Text(e.hash.clone()),
    ]
}

fn state_row(subject: Uuid, s: &ConsentState) -> Vec<Cell> {
    vec![
        Cell::Uuid(subject),
        Cell::Text(s.purpose.clone()),
        Cell::Text(s.channel.as_str().into()),
        Cell::Text(s.status.as_str().into()),
        text(s.reason.map(Pending::as_str)),
        Cell::Text(s.source.as_str().into()),
        Cell::Time(s.since),
        s.first_opt_in_at.map_or(Cell::Null, Cell::Time),
        text(s.first_opt_in_source.map(Source::as_str)),
    ]
}

fn audit_row(e: &AuditEntry) -> Vec<Cell> {
    vec![
        Cell::Uuid(e.id),
        Cell::Uuid(e.subject_id),
        Cell::Int(e.seq),
        Cell::Text(e.actor.clone()),
        Cell::Text(e.action.as_str().into()),
        Cell::Json(serde_json::to_string(&e.fields).unwrap_or_default()),
        Cell::Text(e.endpoint.clone()),
        Cell::Time(e.at),
        Cell::Text(e.prev_hash.clone()),
        Cell::Text(e.hash.clone()),
    ]
}

fn mail_row(m: &QueuedMail) -> Vec<Cell> {
    vec![
        Cell::Uuid(m.id),
        m.subject_id.map_or(Cell::Null, Cell::Uuid),
        Cell::Text(m.message_id.clone()),
        Cell::Text(m.category.clone()),
        Cell::Text(m.recipient.clone()),
        Cell::Text(m.locale.clone()),
        Cell::Text(m.mail_subject.clone()),
        Cell::Text(m.body_text.clone()),
        Cell::Text(m.body_html.clone()),
        Cell::Text("queued".into()),
        Cell::Int(0),
        Cell::Time(m.created_at),
        Cell::Time(m.created_at),
        text(m.list_unsubscribe.as_deref()),
        text(m.attachment.as_ref().map(|a| a.name.as_str())),
        text(m.attachment.as_ref().map(|a| a.content.as_str())),
        Cell::Int(i64::from(m.forget_after_send)),
    ]
}

fn token_row(t: &ConsentToken) -> Vec<Cell> {
    vec![
        Cell::Text(t.token_hash.clone()),
        Cell::Text(t.kind.as_str().into()),
        Cell::Uuid(t.subject_id),
        Cell::Text(t.purpose.clone()),
        Cell::Text(t.channel.as_str().into()),
        Cell::Time(t.created_at),
        Cell::Time(t.expires_at),
    ]
}

/// What one batch of an import writes, in one transaction with the job's checkpoint.
#[derive(Debug, Clone, Default)]
pub struct ImportBatch {
    /// New contacts with their email blind-index hash.
    pub created: Vec<(Contact, Option<String>)>,
    /// Existing contacts, changed by `--on-duplicate merge`.
    pub merged: Vec<(Contact, Option<String>)>,
    /// Consent events, in order; those of new contacts start their ledgers.
    pub consents: Vec<ConsentDraft>,
    /// Consent requests and double opt-in confirmations, with their emails.
    pub mails: Vec<(ConsentToken, QueuedMail)>,
    pub audit: Vec<AccessEvent>,
    pub rejects: Vec<ImportReject>,
    /// Addresses the file says do not receive (kept as first learnt when known).
    pub undeliverable: Vec<crate::model::AddressStatus>,
}

/// The rows of a batch that need no read of existing state (new subjects' contacts,
/// ledgers and audit chains, emails, rejects), and what is left for the backend to
/// append to existing chains.
pub(crate) struct Planned {
    pub tables: Vec<Rows>,
    pub merged: Vec<(Contact, Option<String>)>,
    pub existing_consents: Vec<ConsentDraft>,
    pub existing_audit: Vec<AccessEvent>,
    pub undeliverable: Vec<crate::model::AddressStatus>,
}

/// Splits a batch into plain rows and appends to existing chains. New contacts' chains
/// start from the genesis hash here, in memory, as `append` would start them.
pub(crate) fn plan(batch: ImportBatch, job_id: &str) -> Planned {
    let mut contacts = Rows::new("contact", CONTACT);
    let mut fresh: HashMap<Uuid, ()> = HashMap::with_capacity(batch.created.len());
    let mut terms = Rows::new("contact_term", TERM);
    for (c, hash) in &batch.created {
        fresh.insert(c.id, ());
        contacts.rows.push(contact_row(c, hash.as_deref()));
        for (field, term) in candor_domain::search::terms(&c.data) {
            terms.rows.push(vec![
                Cell::Text(term),
                Cell::Text(field.as_str().to_owned()),
                Cell::Uuid(c.id),
            ]);
        }
    }
    let mut events = Rows::new("consent_event", EVENT);
    let mut consent_heads: HashMap<Uuid, (i64, String)> = HashMap::new();
    let mut states: HashMap<(Uuid, String, &'static str), ConsentState> = HashMap::new();
    let mut existing_consents = Vec::new();
    for d in batch.consents {
        if !fresh.contains_key(&d.subject_id) {
            existing_consents.push(d);
            continue;
        }
        let subject = d.subject_id;
        let (seq, prev) = consent_heads
            .remove(&subject)
            .unwrap_or_else(|| (0, GENESIS.to_owned()));
        let e = ConsentEvent::chain(d, seq + 1, prev);
        let key = (subject, e.purpose.clone(), e.channel.as_str());
        let after = consent::apply(states.get(&key), &e);
        states.insert(key, after);
        consent_heads.insert(subject, (e.seq, e.hash.clone()));
        events.rows.push(event_row(&e));
    }
    let mut state_rows = Rows::new("consent_state", STATE);
    state_rows.rows = states
        .iter()
        .map(|((subject, _, _), s)| state_row(*subject, s))
        .collect();
    let mut consent_head = Rows::new("consent_head", HEAD);
    consent_head.rows = consent_heads
        .into_iter()
        .map(|(s, (n, h))| vec![Cell::Uuid(s), Cell::Int(n), Cell::Text(h)])
        .collect();
    let mut audit = Rows::new("audit_entry", AUDIT);
    let mut audit_heads: HashMap<Uuid, (i64, String)> = HashMap::new();
    let mut existing_audit = Vec::new();
    for ev in batch.audit {
        if !fresh.contains_key(&ev.subject_id) {
            existing_audit.push(ev);
            continue;
        }
        let subject = ev.subject_id;
        let (seq, prev) = audit_heads
            .remove(&subject)
            .unwrap_or_else(|| (0, GENESIS.to_owned()));
        let e = AuditEntry::chain(Uuid::now_v7(), ev, seq + 1, prev);
        audit_heads.insert(subject, (e.seq, e.hash.clone()));
        audit.rows.push(audit_row(&e));
    }
    let mut audit_head = Rows::new("audit_head", HEAD);
    audit_head.rows = audit_heads
        .into_iter()
        .map(|(s, (n, h))| vec![Cell::Uuid(s), Cell::Int(n), Cell::Text(h)])
        .collect();
    let mut tokens = Rows::new("consent_token", TOKEN);
    let mut outbox = Rows::new("outbox", OUTBOX);
    for (t, m) in &batch.mails {
        tokens.rows.push(token_row(t));
        outbox.rows.push(mail_row(m));
    }
    let mut rejects = Rows::new("import_reject", REJECT);
    rejects.rows = batch
        .rejects
        .iter()
        .map(|r| {
            vec![
                Cell::Text(job_id.to_owned()),
                Cell::Int(r.line as i64),
                Cell::Text(r.field.clone()),
                Cell::Text(r.rule.clone()),
                Cell::Text(r.message.clone()),
                Cell::Text(serde_json::to_string(&r.record).unwrap_or_default()),
            ]
        })
        .collect();
    Planned {
        tables: vec![
            contacts,
            terms,
            events,
            state_rows,
            consent_head,
            audit,
            audit_head,
            tokens,
            outbox,
            rejects,
        ],
        merged: batch.merged,
        existing_consents,
        existing_audit,
        undeliverable: batch.undeliverable,
    }
}

/// The newsletter-by-email audience of every contact, decided in SQL alone: the raw
/// baseline of `candor bench audience` (same rules as `communication::decide`).
pub(crate) const BASELINE_AUDIENCE_SQL: &str = "SELECT CAST(c.id AS TEXT), CASE \
    WHEN a.status IS NOT NULL THEN 'address_undeliverable' \
    WHEN g.status IN ('withdrawn', 'refused') AND NOT COALESCE(n.status = 'effective' AND n.since > g.since, FALSE) THEN 'global_opt_out' \
    WHEN n.status = 'effective' AND c.email IS NULL THEN 'no_email_address' \
    WHEN n.status = 'effective' THEN 'allowed' \
    WHEN n.status = 'pending' THEN 'opt_in_pending' \
    WHEN n.status = 'withdrawn' THEN 'opted_out_of_purpose' \
    WHEN n.status = 'refused' THEN 'opt_in_refused' \
    ELSE 'no_opt_in' END \
    FROM contact c \
    LEFT JOIN consent_state n ON n.subject_id = c.id AND n.purpose = 'newsletter' AND n.channel = 'email' \
    LEFT JOIN consent_state g ON g.subject_id = c.id AND g.purpose = '*' AND g.channel = 'email' \
    LEFT JOIN address_status a ON a.subject_id = c.id AND a.channel = 'email'";
