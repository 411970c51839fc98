//! The registry of tables: every table of the schema is declared here once, either as a
//! table that holds a person's data (with the column naming the person and what erasure
//! does to its rows) or as one that holds none (with why). Erasure, the access bundle
//! and the distribution notes (docs/scaling.md) read from it; a test compares it with
//! the migrated schema of both backends, so a table added without an entry fails.

/// What erasure (E1, E2) does with a subject's rows of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnErasure {
    /// The rows go: digital traces, tokens, emails, projections.
    Delete,
    /// The rows stay for the history they carry (amounts, dates), pointing to no one
    /// and holding nothing that identifies the person.
    Anonymise,
    /// The personal content goes, the proof that the rows existed and were consistent
    /// stays: the chain's head is sealed into a signed checkpoint before the rows are
    /// dropped (the ledgers and the access audit).
    Seal,
    /// Kept while a legal obligation requires it (Art. 17(3)(b)), then anonymised.
    LegalHold,
}

/// A table that holds a person's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubjectTable {
    pub table: &'static str,
    /// The column holding the person's (contact's) id: the distribution key.
    pub subject_column: &'static str,
    pub on_erasure: OnErasure,
    /// What the table holds of the person, for the access bundle and the docs.
    pub holds: &'static str,
}

/// A table that holds no person's data as a subject of the CRM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtherTable {
    pub table: &'static str,
    pub why: &'static str,
}

pub const SUBJECT_TABLES: &[SubjectTable] = &[
    SubjectTable {
        table: "contact",
        subject_column: "id",
        on_erasure: OnErasure::Delete,
        holds: "the person's identity, contact details, notes and custom fields",
    },
    SubjectTable {
        table: "customer_order",
        subject_column: "contact_id",
        on_erasure: OnErasure::Anonymise,
        holds: "orders: date, currency, amounts and lines",
    },
    SubjectTable {
        table: "activity",
        subject_column: "contact_id",
        on_erasure: OnErasure::Delete,
        holds: "digital traces: web visits, email opens and clicks",
    },
    SubjectTable {
        table: "contract",
        subject_column: "contact_id",
        on_erasure: OnErasure::LegalHold,
        holds: "contracts: reference, status and dates",
    },
    SubjectTable {
        table: "audit_entry",
        subject_column: "subject_id",
        on_erasure: OnErasure::Seal,
        holds: "who read or changed which of the person's fields, when and through what",
    },
    SubjectTable {
        table: "audit_head",
        subject_column: "subject_id",
        on_erasure: OnErasure::Seal,
        holds: "the head of the person's access-audit chain",
    },
    SubjectTable {
        table: "consent_event",
        subject_column: "subject_id",
        on_erasure: OnErasure::Seal,
        holds:
            "the consent ledger: grants, confirmations, withdrawals, refusals and their evidence",
    },
    SubjectTable {
        table: "consent_head",
        subject_column: "subject_id",
        on_erasure: OnErasure::Seal,
        holds: "the head of the person's consent chain",
    },
    SubjectTable {
        table: "checkpoint_head",
        subject_column: "subject_id",
        on_erasure: OnErasure::Seal,
        holds:
            "the heads of the person's chains as the newest checkpoint saw them (seq and hash only)",
    },
    SubjectTable {
        table: "contact_term",
        subject_column: "contact_id",
        on_erasure: OnErasure::Delete,
        holds: "the words staff search finds the person by: their names' words, their email and its parts, their phone's digits, in lower case without accents",
    },
    SubjectTable {
        table: "consent_state",
        subject_column: "subject_id",
        on_erasure: OnErasure::Delete,
        holds: "the current consent per purpose and channel",
    },
    SubjectTable {
        table: "consent_token",
        subject_column: "subject_id",
        on_erasure: OnErasure::Delete,
        holds: "the hashes of the person's confirmation and consent-request links",
    },
    SubjectTable {
        table: "outbox",
        subject_column: "subject_id",
        on_erasure: OnErasure::Delete,
        holds: "emails queued or sent to the person, with their address and content",
    },
    SubjectTable {
        table: "address_status",
        subject_column: "subject_id",
        on_erasure: OnErasure::Delete,
        holds: "which of the person's addresses are known not to receive (bounces), and why",
    },
    SubjectTable {
        table: "campaign_recipient",
        subject_column: "subject_id",
        on_erasure: OnErasure::Delete,
        holds: "which campaigns were sent to the person (an anonymous count stays on the campaign)",
    },
    SubjectTable {
        table: "subject_request",
        subject_column: "subject_id",
        on_erasure: OnErasure::LegalHold,
        holds: "the person's requests (access, rectification, erasure…): kind, channel, dates, status, identity step, receipt; kept as proof that they were answered (Art. 5(2)), minimised",
    },
    SubjectTable {
        table: "bundle_link",
        subject_column: "subject_id",
        on_erasure: OnErasure::Delete,
        holds: "the hashes of the download links of the person's data, with their expiry and download count",
    },
    SubjectTable {
        table: "request_event",
        subject_column: "subject_id",
        on_erasure: OnErasure::LegalHold,
        holds: "each step of the person's requests: who, when, what",
    },
    SubjectTable {
        table: "breach_notice",
        subject_column: "subject_id",
        on_erasure: OnErasure::Delete,
        holds: "which breaches the person was told of (Art. 34), when, and the message's id; the count stays on the breach",
    },
    SubjectTable {
        table: "portal_link",
        subject_column: "subject_id",
        on_erasure: OnErasure::Delete,
        holds: "the hashes of the login links to the person's privacy portal, with their expiry and use",
    },
    SubjectTable {
        table: "portal_session",
        subject_column: "subject_id",
        on_erasure: OnErasure::Delete,
        holds: "the person's sessions in their privacy portal: when opened, last seen, when they end",
    },
    SubjectTable {
        table: "portal_account",
        subject_column: "subject_id",
        on_erasure: OnErasure::Delete,
        holds: "the person's portal account: when made and changed (the password's hash is never exported)",
    },
];

pub const OTHER_TABLES: &[OtherTable] = &[
    OtherTable {
        table: "contact_term_backfill",
        why: "whether contacts written before search existed are still to index: one number",
    },
    OtherTable {
        table: "company",
        why: "companies, not people; a contact's link to one is in `contact`",
    },
    OtherTable {
        table: "api_token",
        why: "other systems' credentials (hashes only)",
    },
    OtherTable {
        table: "custom_field",
        why: "the catalogue's custom field definitions",
    },
    OtherTable {
        table: "import_job",
        why: "an import's checkpoint and counts: file name, options, actor",
    },
    OtherTable {
        table: "import_reject",
        why: "rows an import refused, as read, until the rejects file is written (then deleted): they never became a subject",
    },
    OtherTable {
        table: "segment",
        why: "segment definitions",
    },
    OtherTable {
        table: "campaign",
        why: "campaign definitions, content and audience reports (counts per rule)",
    },
    OtherTable {
        table: "staff_user",
        why: "staff accounts (Candor's users, not the CRM's subjects)",
    },
    OtherTable {
        table: "checkpoint",
        why: "the global chain of signed checkpoints: counts, hashes and signatures, no subject",
    },
    OtherTable {
        table: "staff_session",
        why: "staff back-office sessions",
    },
    OtherTable {
        table: "job",
        why: "work to run later (digests, notices, reminders): kinds, times and ids, never a personal value",
    },
    OtherTable {
        table: "erasure",
        why: "the record that a person was erased: counts per table, who, why and the sealed chain heads; the id it keeps names no one any more",
    },
    OtherTable {
        table: "held_record",
        why: "what a legal hold keeps of an erased person's orders and contracts: dates, amounts, references, pointing to no one",
    },
    OtherTable {
        table: "suppression",
        why: "keyed hashes of erased people's emails and phones, never the values",
    },
    OtherTable {
        table: "breach",
        why: "the breach register: what happened, to which categories of data and people, how many, the assessment and the notifications; it names no one",
    },
    OtherTable {
        table: "breach_change",
        why: "each change of a breach: who (an account id), when, which fields before and after",
    },
    OtherTable {
        table: "retention_run",
        why: "each run of the retention policies: when, who, and counts per policy; the people erased are named only in erasure records",
    },
    OtherTable {
        table: "verify_run",
        why: "each verification of the chains: when, who, how many entries and breaks",
    },
    OtherTable {
        table: "suppression_lift",
        why: "an admin's override of the suppression list: kind, reason, who and when, without the hash",
    },
];

/// Columns never written into a person's bundle: secrets of theirs that a copy of the
/// bundle must not carry (a password hash would let its holder guess the password).
pub const SECRET_COLUMNS: &[(&str, &str)] = &[("portal_account", "password_hash")];

/// The registry entry of a table holding a person's data, if it is one.
pub fn subject_table(table: &str) -> Option<&'static SubjectTable> {
    SUBJECT_TABLES.iter().find(|t| t.table == table)
}

/// Compares the registry with a migrated schema: the problems found, empty when every
/// table is declared exactly once, every declared table exists and every subject
/// column is a column of its table.
pub fn check(schema: &crate::model::Schema) -> Vec<String> {
    let mut problems = Vec::new();
    for name in schema.tables.keys() {
        let n = SUBJECT_TABLES.iter().filter(|t| t.table == name).count()
            + OTHER_TABLES.iter().filter(|t| t.table == name).count();
        if n != 1 {
            problems.push(format!(
                "table `{name}` is declared {n} times in the registry (crates/candor-store/src/registry.rs): declare it once, as a subject table with its subject column and erasure rule, or as another table with why"
            ));
        }
    }
    for t in SUBJECT_TABLES {
        match schema.tables.get(t.table) {
            None => problems.push(format!(
                "registered table `{}` is not in the schema",
                t.table
            )),
            Some(info) if !info.columns.iter().any(|c| c.name == t.subject_column) => problems
                .push(format!(
                    "table `{}` has no subject column `{}`",
                    t.table, t.subject_column
                )),
            Some(_) => {}
        }
    }
    for t in OTHER_TABLES {
        if !schema.tables.contains_key(t.table) {
            problems.push(format!(
                "registered table `{}` is not in the schema",
                t.table
            ));
        }
    }
    problems
}
