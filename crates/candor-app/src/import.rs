//! CSV import of contacts (O3): a column mapping (presets for Candor's own export and
//! common tools), every row checked by the same parsers as the API, bad rows kept with
//! their line, field and rule, duplicates merged or skipped, consent evidence recorded
//! in the ledger (C2) and a consent request (C4) for rows without it.
//!
//! A job is resumable: each batch is written in one transaction with the job's
//! checkpoint, so after a crash or a `kill -9` the same command carries on where the
//! last committed batch ended, and no row is missing or written twice.

use crate::{Actor, AppError, Candor};
use candor_domain::audit::{AccessEvent, AuditAction};
use candor_domain::communication::ALL_PURPOSES;
use candor_domain::company::{Company, CompanyPatch};
use candor_domain::consent::{
    grant_outcome, Action, Channel, ConsentDraft, Evidence, Source, PENDING_DOUBLE_OPT_IN,
};
use candor_domain::contact::{Contact, ContactData, ContactKind, ContactPatch};
use candor_domain::error::{FieldError, FieldErrors};
use candor_domain::personal::Email;
use candor_store::{ImportBatch, ImportCounts, ImportJob, ImportReject, Page};
use csv::StringRecord;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};
use uuid::Uuid;

const PRESETS_TOML: &str = include_str!("../data/import-presets.toml");

/// The presets by name: column header (lower case, trimmed) → target.
fn presets() -> &'static BTreeMap<String, BTreeMap<String, String>> {
    static P: OnceLock<BTreeMap<String, BTreeMap<String, String>>> = OnceLock::new();
    P.get_or_init(|| {
        let raw: BTreeMap<String, BTreeMap<String, String>> =
            toml::from_str(PRESETS_TOML).expect("the presets file is valid TOML");
        raw.into_iter()
            .map(|(name, cols)| {
                let cols = cols
                    .into_iter()
                    .map(|(k, v)| (k.trim().to_lowercase(), v))
                    .collect();
                (name, cols)
            })
            .collect()
    })
}

/// The names of the mapping presets.
pub fn preset_names() -> Vec<&'static str> {
    presets().keys().map(String::as_str).collect()
}

/// What to do with a row whose email is already a contact's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDuplicate {
    /// Fill the existing contact with the row's non-empty values and add its consents.
    Merge,
    /// Leave the existing contact alone and report the row.
    Skip,
}

impl OnDuplicate {
    pub fn as_str(self) -> &'static str {
        match self {
            OnDuplicate::Merge => "merge",
            OnDuplicate::Skip => "skip",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// A preset's name; by default the preset matching most of the file's columns.
    pub preset: Option<String>,
    /// `column=field` pairs over the preset; an empty field leaves the column out.
    pub maps: Vec<(String, String)>,
    pub on_duplicate: OnDuplicate,
    /// The kind of rows without a kind column (or with an empty cell).
    pub kind: Option<ContactKind>,
    /// The purposes of rows with consent evidence but no purposes column.
    pub purposes: Vec<String>,
    /// Rows per transaction.
    pub batch_size: usize,
    pub rejects_path: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConsentColumn {
    Purposes,
    Source,
    Date,
    Wording,
    Ip,
    ConfirmedAt,
    DocumentRef,
}

/// A column stating that the person said no (C6): on one channel, or on all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OptOutColumn {
    Channel(Channel),
    All,
    /// Why, as the earlier tool recorded it: kept as evidence with the withdrawals.
    Reason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// A contact field of the catalogue (`custom.NAME` for custom fields).
    Field(String),
    CompanyName,
    Consent(ConsentColumn),
    OptOut(OptOutColumn),
}

fn target(field: &str) -> Option<Target> {
    use ConsentColumn::*;
    Some(match field {
        "company_name" => Target::CompanyName,
        "consent.purposes" => Target::Consent(Purposes),
        "consent.source" => Target::Consent(Source),
        "consent.date" => Target::Consent(Date),
        "consent.wording" => Target::Consent(Wording),
        "consent.ip" => Target::Consent(Ip),
        "consent.confirmed_at" => Target::Consent(ConfirmedAt),
        "consent.document_ref" => Target::Consent(DocumentRef),
        "opt_out.email" => Target::OptOut(OptOutColumn::Channel(Channel::Email)),
        "opt_out.sms" => Target::OptOut(OptOutColumn::Channel(Channel::Sms)),
        "opt_out.phone" => Target::OptOut(OptOutColumn::Channel(Channel::Phone)),
        "opt_out.post" => Target::OptOut(OptOutColumn::Channel(Channel::Post)),
        "opt_out.all" => Target::OptOut(OptOutColumn::All),
        "opt_out.reason" => Target::OptOut(OptOutColumn::Reason),
        f if f.starts_with("consent.") || f.starts_with("opt_out.") => return None,
        f => Target::Field(f.to_owned()),
    })
}

/// How a file's columns map to Candor's fields.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub preset: String,
    columns: Vec<Option<Target>>,
    headers: Vec<String>,
    /// Columns left out, by header.
    pub ignored: Vec<String>,
    purposes: Vec<String>,
}

impl Mapping {
    fn column_of(&self, field: &str) -> Option<&str> {
        let t = target(field)?;
        self.columns
            .iter()
            .position(|c| c.as_ref() == Some(&t))
            .map(|i| self.headers[i].as_str())
    }

    fn has(&self, t: &Target) -> bool {
        self.columns.iter().any(|c| c.as_ref() == Some(t))
    }

    /// The column `field` is read from, or the field itself when no column fills it.
    fn name(&self, field: &str) -> String {
        self.column_of(field).unwrap_or(field).to_owned()
    }
}

impl Candor {
    /// The mapping of a file's header under these options; an unknown preset, an
    /// unknown field, or a file without a last name column is refused before anything
    /// is read.
    pub fn import_mapping(
        &self,
        headers: &StringRecord,
        opts: &ImportOptions,
    ) -> Result<Mapping, AppError> {
        let all = presets();
        let lower: Vec<String> = headers.iter().map(|h| h.trim().to_lowercase()).collect();
        let preset = match &opts.preset {
            Some(p) => p.clone(),
            None => all
                .iter()
                .map(|(name, cols)| (lower.iter().filter(|h| cols.contains_key(*h)).count(), name))
                .max_by_key(|(n, _)| *n)
                .map(|(_, name)| name.clone())
                .unwrap_or_else(|| "candor".into()),
        };
        let Some(cols) = all.get(&preset) else {
            return Err(AppError::field(
                "preset",
                "unknown_preset",
                format!("must be one of: {}", preset_names().join(", ")),
            ));
        };
        let mut fields: Vec<Option<String>> = lower
            .iter()
            .map(|h| cols.get(h).filter(|f| !f.is_empty()).cloned())
            .collect();
        // A preset's `""` is a column it knows and leaves out knowingly.
        let mut left_out_on_purpose: HashSet<usize> = lower
            .iter()
            .enumerate()
            .filter(|(_, h)| cols.get(*h).is_some_and(String::is_empty))
            .map(|(i, _)| i)
            .collect();
        for (col, field) in &opts.maps {
            let Some(i) = lower.iter().position(|h| *h == col.trim().to_lowercase()) else {
                return Err(AppError::field(
                    "map",
                    "unknown_column",
                    format!("the file has no column `{col}`"),
                ));
            };
            fields[i] = (!field.trim().is_empty()).then(|| field.trim().to_owned());
            if fields[i].is_none() {
                left_out_on_purpose.insert(i);
            }
        }
        // A column that may carry the person's choice is never dropped unseen: an
        // unsubscribe left out became an email to someone who had said no.
        let unread: Vec<&str> = fields
            .iter()
            .enumerate()
            .filter(|(i, f)| f.is_none() && !left_out_on_purpose.contains(i))
            .map(|(i, _)| &headers[i])
            .filter(|h| may_carry_a_choice(h))
            .collect();
        if !unread.is_empty() {
            return Err(AppError::field(
                "map",
                "choice_column_unmapped",
                format!(
                    "the column(s) {} may say that people opted out or consented, and no mapping reads them: \
                     map each with --map 'COLUMN=opt_out.email' (or opt_out.sms, opt_out.phone, opt_out.post, \
                     opt_out.all, opt_out.reason, consent.date …), or leave it out knowingly with --map 'COLUMN='",
                    unread
                        .iter()
                        .map(|h| format!("`{h}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let cat = self.catalogue();
        let mut columns = Vec::with_capacity(fields.len());
        let mut ignored = Vec::new();
        for (i, f) in fields.into_iter().enumerate() {
            let Some(f) = f else {
                ignored.push(headers[i].to_owned());
                columns.push(None);
                continue;
            };
            let t = target(&f).filter(|t| match t {
                Target::Field(name) => cat
                    .field(candor_domain::catalogue::Entity::Contact, name)
                    .is_some_and(|d| {
                        !matches!(
                            name.as_str(),
                            "created_at"
                                | "updated_at"
                                | "newsletter_subscribed_at"
                                | "newsletter_open_rate"
                        ) && d.key() == *name
                    }),
                _ => true,
            });
            match t {
                Some(t) => columns.push(Some(t)),
                None => {
                    return Err(AppError::field(
                        "map",
                        "unknown_field",
                        format!(
                            "column `{}`: `{f}` is not a contact field Candor can import",
                            &headers[i]
                        ),
                    ))
                }
            }
        }
        let purposes = if opts.purposes.is_empty() {
            cols.get("@purposes")
                .map(|p| split_list(p))
                .unwrap_or_default()
        } else {
            opts.purposes.clone()
        };
        for p in &purposes {
            if cat.consent_purpose(p).is_none() {
                return Err(AppError::field(
                    "consent_purpose",
                    "unknown_purpose",
                    format!("`{p}` is not a purpose that takes consent"),
                ));
            }
        }
        let m = Mapping {
            preset,
            columns,
            headers: headers.iter().map(str::to_owned).collect(),
            ignored,
            purposes,
        };
        if !m.has(&Target::Field("last_name".into())) {
            return Err(AppError::field(
                "map",
                "last_name_column_required",
                "no column gives the last name: map one with --map COLUMN=last_name",
            ));
        }
        if opts.kind.is_none() && !m.has(&Target::Field("kind".into())) {
            return Err(AppError::field(
                "kind",
                "required",
                "no column gives the kind: pass --kind b2b or --kind b2c, or map a kind column",
            ));
        }
        Ok(m)
    }
}

/// Whether a header's words suggest a consent, an opt-out or a suppression status, in
/// the English and French that the tools people leave write them in.
fn may_carry_a_choice(header: &str) -> bool {
    let folded: String = header
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'à' | 'â' => 'a',
            'î' | 'ï' => 'i',
            'ô' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    let squeezed: String = folded.split_whitespace().collect();
    const WORDS: &[&str] = &[
        "optin",
        "optout",
        "optedout",
        "unsub",
        "subscri",
        "consent",
        "donot",
        "dont",
        "nocall",
        "noemail",
        "nomail",
        "blacklist",
        "blocklist",
        "bounce",
        "clean",
        "suppress",
        "gdpr",
        "rgpd",
        "permission",
        "emailstatus",
        "marketingstatus",
        "contactable",
        "desinscri",
        "desabonn",
        "abonne",
        "abonnement",
        "neplus",
        "nepas",
        "refus",
        "optoutreason",
        "unsubreason",
    ];
    WORDS.iter().any(|w| squeezed.contains(w))
}

/// A yes/no cell of an opt-out column, or a date (the day the person opted out).
fn opt_out_cell(field: &str, v: &str) -> Result<Option<Option<OffsetDateTime>>, FieldError> {
    let l = v.trim().to_lowercase();
    match l.as_str() {
        "" | "false" | "no" | "non" | "n" | "0" | "faux" | "f" => return Ok(None),
        "true" | "yes" | "oui" | "y" | "o" | "1" | "vrai" | "t" | "x" | "unsubscribed"
        | "opted out" | "opted-out" | "optout" | "opt-out" | "désinscrit" | "desinscrit" => {
            return Ok(Some(None))
        }
        _ => {}
    }
    parse_date(field, v.trim())
        .map(|d| Some(Some(d)))
        .map_err(|_| {
            FieldError::new(
                field,
                "opt_out_value",
                "must say whether the person opted out: true/false, yes/no, oui/non, 1/0, or the date they did",
            )
        })
}

fn split_list(s: &str) -> Vec<String> {
    s.split([';', ','])
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// A cell as given, without the `'` that Candor's export puts before formula-like text.
fn cell(raw: &str) -> Option<String> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    let s = match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => s,
    };
    Some(s.to_owned())
}

/// Dates as exports write them: RFC 3339, `YYYY-MM-DD HH:MM:SS` (UTC) or `YYYY-MM-DD`.
fn parse_date(field: &str, s: &str) -> Result<OffsetDateTime, FieldError> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let dt = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    if let Ok(t) = PrimitiveDateTime::parse(s, dt) {
        return Ok(t.assume_utc());
    }
    let d = format_description!("[year]-[month]-[day]");
    if let Ok(d) = time::Date::parse(s, d) {
        return Ok(d.midnight().assume_utc());
    }
    Err(FieldError::new(
        field,
        "date_format",
        "must be a date: 2024-05-31, 2024-05-31 14:02:00 or RFC 3339",
    ))
}

/// One row read through the mapping, not yet checked against existing contacts.
struct RowIn {
    line: u64,
    record: Vec<String>,
    patch: ContactPatch,
    company_name: Option<String>,
    consent: BTreeMap<&'static str, String>,
    /// Opt-out cells as read: (target, column header, value).
    opt_outs: Vec<(OptOutColumn, String, String)>,
    email_hash: Option<String>,
}

fn read_row(m: &Mapping, rec: &StringRecord, line: u64, hash: impl Fn(&str) -> String) -> RowIn {
    let mut patch = ContactPatch::default();
    let mut company_name = None;
    let mut consent = BTreeMap::new();
    let mut opt_outs = Vec::new();
    for (i, t) in m.columns.iter().enumerate() {
        let (Some(t), Some(v)) = (t, rec.get(i).and_then(cell)) else {
            continue;
        };
        match t {
            Target::Field(f) => {
                let slot = Some(Some(v));
                match f.as_str() {
                    "kind" => patch.kind = slot,
                    "company_id" => patch.company_id = slot,
                    "first_name" => patch.first_name = slot,
                    "last_name" => patch.last_name = slot,
                    "email" => patch.email = slot,
                    "phone" => patch.phone = slot,
                    "locale" => patch.locale = slot,
                    "address_line" => patch.address_line = slot,
                    "postal_code" => patch.postal_code = slot,
                    "city" => patch.city = slot,
                    "country" => patch.country = slot,
                    "notes" => patch.notes = slot,
                    other => {
                        if let Some(name) = other.strip_prefix("custom.") {
                            let v = slot.flatten().unwrap_or_default();
                            let value = serde_json::from_str::<Value>(&v)
                                .ok()
                                .filter(|j| j.is_number() || j.is_boolean())
                                .unwrap_or(Value::String(v));
                            patch.custom.insert(name.to_owned(), Some(value));
                        }
                    }
                }
            }
            Target::CompanyName => company_name = Some(v),
            Target::OptOut(o) => opt_outs.push((*o, m.headers[i].clone(), v)),
            Target::Consent(c) => {
                let key = match c {
                    ConsentColumn::Purposes => "consent.purposes",
                    ConsentColumn::Source => "consent.source",
                    ConsentColumn::Date => "consent.date",
                    ConsentColumn::Wording => "consent.wording",
                    ConsentColumn::Ip => "consent.ip",
                    ConsentColumn::ConfirmedAt => "consent.confirmed_at",
                    ConsentColumn::DocumentRef => "consent.document_ref",
                };
                consent.insert(key, v);
            }
        }
    }
    let email_hash = patch
        .email
        .as_ref()
        .and_then(|e| e.as_deref())
        .and_then(|e| Email::parse("email", e).ok())
        .map(|e| hash(e.as_str()));
    RowIn {
        line,
        record: rec.iter().map(str::to_owned).collect(),
        patch,
        company_name,
        consent,
        opt_outs,
        email_hash,
    }
}

/// How far an import has gone, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct ImportProgress {
    pub bytes: u64,
    pub total_bytes: u64,
    pub records: u64,
    pub counts: ImportCounts,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub job_id: String,
    pub preset: String,
    pub ignored_columns: Vec<String>,
    /// Records read in an earlier run of the same job, skipped by this one.
    pub resumed_from: u64,
    /// The job had finished before: this run changed nothing.
    pub already_done: bool,
    pub records: u64,
    pub counts: ImportCounts,
    /// Where the rejected rows were written, when there were any.
    pub rejects_file: Option<PathBuf>,
}

/// The consent events of one row and whether it still needs the person's answer.
struct RowConsents {
    drafts: Vec<ConsentDraft>,
    needs_answer: bool,
}

struct Job<'a> {
    app: &'a Candor,
    actor: &'a Actor,
    mapping: &'a Mapping,
    opts: &'a ImportOptions,
    file: String,
    now: OffsetDateTime,
    companies: HashMap<String, Uuid>,
    known_companies: HashMap<Uuid, bool>,
}

impl Job<'_> {
    fn reject(&self, row: &RowIn, errs: FieldErrors, out: &mut Vec<ImportReject>) {
        let mut seen = std::collections::BTreeSet::new();
        for e in errs.0 {
            let column = match e.field.split_once('.') {
                Some(("evidence", part)) => self.mapping.name(&format!("consent.{part}")),
                _ => self.mapping.name(&e.field),
            };
            if seen.insert(column.clone()) {
                out.push(ImportReject {
                    line: row.line,
                    field: column,
                    rule: e.rule.to_owned(),
                    message: e.message,
                    record: row.record.clone(),
                });
            }
        }
    }

    /// The company of a `company_name` cell: found by exact name, or created.
    async fn company(&mut self, name: &str, country: Option<&str>) -> Result<Uuid, AppError> {
        let key = name.to_lowercase();
        if let Some(id) = self.companies.get(&key) {
            return Ok(*id);
        }
        let found = self
            .app
            .store
            .companies()
            .list(
                Some(name),
                Page {
                    after: None,
                    limit: 50,
                },
            )
            .await?
            .into_iter()
            .find(|c| c.name.as_str().to_lowercase() == key);
        let id = match found {
            Some(c) => c.id,
            None => {
                let patch = CompanyPatch {
                    name: Some(Some(name.to_owned())),
                    country: Some(Some(country.unwrap_or("FR").to_owned())),
                    ..Default::default()
                };
                let d = patch.apply(None).map_err(AppError::Invalid)?;
                let c = Company {
                    id: Uuid::now_v7(),
                    name: d.name,
                    siret: d.siret,
                    country: d.country,
                    address_line: d.address_line,
                    postal_code: d.postal_code,
                    city: d.city,
                    created_at: self.now,
                    updated_at: self.now,
                };
                self.app.store.companies().insert(&c).await?;
                c.id
            }
        };
        self.companies.insert(key, id);
        Ok(id)
    }

    async fn company_exists(&mut self, id: Uuid) -> Result<bool, AppError> {
        if let Some(b) = self.known_companies.get(&id) {
            return Ok(*b);
        }
        let b = self.app.store.companies().get(id).await?.is_some();
        self.known_companies.insert(id, b);
        Ok(b)
    }

    /// The contact data of a row, checked as the API checks it, over `base` for a merge.
    async fn contact_data(
        &mut self,
        row: &mut RowIn,
        base: Option<&ContactData>,
    ) -> Result<Result<ContactData, FieldErrors>, AppError> {
        if row.patch.kind.is_none() && base.is_none() {
            row.patch.kind = self.opts.kind.map(|k| Some(k.as_str().to_owned()));
        }
        if let Some(name) = row.company_name.clone() {
            if row.patch.company_id.is_none() {
                match self
                    .company(&name, row.patch.country.clone().flatten().as_deref())
                    .await
                {
                    Ok(id) => row.patch.company_id = Some(Some(id.to_string())),
                    Err(AppError::Invalid(e)) => {
                        let errs =
                            e.0.into_iter()
                                .map(|x| FieldError::new("company_name", x.rule, x.message))
                                .collect();
                        return Ok(Err(FieldErrors(errs)));
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        let cat = self.app.catalogue();
        let fields = row.patch.fields();
        if let Err(AppError::FieldForbidden { field, .. }) =
            self.app.check_writable(&cat, self.actor, &fields)
        {
            return Ok(Err(FieldError::new(
                field,
                "forbidden",
                format!("the role {} may not write this field", self.actor.role),
            )
            .into()));
        }
        let data = match row.patch.apply(base, &cat, &self.app.lexicon) {
            Ok(d) => d,
            Err(e) => return Ok(Err(e)),
        };
        if let Some(id) = data.company_id {
            if base.and_then(|b| b.company_id) != Some(id) && !self.company_exists(id).await? {
                return Ok(Err(FieldError::new(
                    "company_id",
                    "company_exists",
                    "no company has this id",
                )
                .into()));
            }
        }
        Ok(Ok(data))
    }

    /// The withdrawals a row's opt-out columns state (C6): a global opt-out (`*`) on each
    /// channel said no to, with the column and its value as evidence. An opt-out whose
    /// scope the file does not give is taken at its widest, every purpose.
    fn opt_outs(&self, row: &RowIn, subject: Uuid) -> Result<Vec<ConsentDraft>, FieldErrors> {
        let mut e = FieldErrors::default();
        let reason: String = row
            .opt_outs
            .iter()
            .filter(|(o, _, _)| *o == OptOutColumn::Reason)
            .map(|(_, h, v)| format!("; {h}: {v}"))
            .collect();
        let mut drafts: Vec<ConsentDraft> = Vec::new();
        for (o, header, v) in &row.opt_outs {
            let channels: &[Channel] = match o {
                OptOutColumn::Channel(c) => std::slice::from_ref(c),
                OptOutColumn::All => Channel::ALL,
                OptOutColumn::Reason => continue,
            };
            let field = match o {
                OptOutColumn::Channel(c) => format!("opt_out.{}", c.as_str()),
                _ => "opt_out.all".to_owned(),
            };
            let Some(when) = e.check(opt_out_cell(&field, v)) else {
                continue;
            };
            let Some(when) = when else { continue };
            if when.is_some_and(|d| d > self.now) {
                e.push(FieldError::new(
                    field,
                    "not_in_future",
                    "must not be in the future",
                ));
                continue;
            }
            let note = format!(
                "opt-out stated in {} line {}: column `{header}` = `{v}`{reason}",
                self.file, row.line
            );
            for c in channels {
                if drafts.iter().any(|d| d.channel == *c) {
                    continue;
                }
                drafts.push(ConsentDraft {
                    subject_id: subject,
                    purpose: ALL_PURPOSES.to_owned(),
                    channel: *c,
                    action: Action::Withdraw,
                    pending: None,
                    source: Source::Import,
                    evidence: Evidence {
                        recorded_by: Some(self.actor.audit_name.clone()),
                        note: Some(note.chars().take(2000).collect()),
                        ..Default::default()
                    },
                    at: when.unwrap_or(self.now),
                });
            }
        }
        e.into_result().map(|()| drafts)
    }

    /// The ledger events a row's evidence columns give, checked; none without a date.
    fn consents(
        &self,
        row: &RowIn,
        subject: Uuid,
        kind: ContactKind,
    ) -> Result<Option<RowConsents>, FieldErrors> {
        let Some(date) = row.consent.get("consent.date") else {
            return Ok(None);
        };
        let mut e = FieldErrors::default();
        let given = e.check(parse_date("consent.date", date));
        if given.is_some_and(|g| g > self.now) {
            e.push(FieldError::new(
                "consent.date",
                "not_in_future",
                "must not be in the future",
            ));
        }
        let confirmed = row
            .consent
            .get("consent.confirmed_at")
            .and_then(|c| e.check(parse_date("consent.confirmed_at", c)));
        if let (Some(g), Some(c)) = (given, confirmed) {
            if c < g || c > self.now {
                e.push(FieldError::new(
                    "consent.confirmed_at",
                    "confirmation_after_opt_in",
                    "must be after the consent date and not in the future",
                ));
            }
        }
        let purposes = match row.consent.get("consent.purposes") {
            Some(p) => split_list(p),
            None => self.mapping.purposes.clone(),
        };
        if purposes.is_empty() {
            e.push(FieldError::new(
                "consent.purposes",
                "required",
                "a consent is for purposes: fill the column or pass --consent-purpose",
            ));
        }
        let cat = self.app.catalogue();
        if let Some(bad) = purposes.iter().find(|p| cat.consent_purpose(p).is_none()) {
            e.push(FieldError::new(
                "consent.purposes",
                "unknown_purpose",
                format!("`{bad}` is not a purpose that takes consent"),
            ));
        }
        let mut note = format!("imported from {} line {}", self.file, row.line);
        if let Some(src) = row.consent.get("consent.source") {
            note.push_str(&format!("; source in the file: {src}"));
        }
        let evidence = Evidence {
            wording: row.consent.get("consent.wording").cloned(),
            ip: row.consent.get("consent.ip").cloned(),
            document_ref: row.consent.get("consent.document_ref").cloned(),
            recorded_by: Some(self.actor.audit_name.clone()),
            note: Some(note.chars().take(2000).collect()),
            ..Default::default()
        };
        if let Err(errs) = evidence.check(Source::Import, Action::Grant) {
            e.0.extend(errs.0);
        }
        e.into_result()?;
        let given = given.expect("checked");
        let pending = grant_outcome(kind, Source::Import, &evidence);
        let mut drafts = Vec::new();
        let mut needs_answer = false;
        for p in purposes {
            drafts.push(ConsentDraft {
                subject_id: subject,
                purpose: p.clone(),
                channel: Channel::Email,
                action: Action::Grant,
                pending: pending.map(str::to_owned),
                source: Source::Import,
                evidence: evidence.clone(),
                at: given,
            });
            match (pending, confirmed) {
                (Some(PENDING_DOUBLE_OPT_IN), Some(c)) => drafts.push(ConsentDraft {
                    subject_id: subject,
                    purpose: p,
                    channel: Channel::Email,
                    action: Action::Confirm,
                    pending: None,
                    source: Source::Import,
                    evidence: Evidence {
                        note: Some(format!(
                            "double opt-in confirmed in the earlier tool; imported from {} line {}",
                            self.file, row.line
                        )),
                        recorded_by: Some(self.actor.audit_name.clone()),
                        ..Default::default()
                    },
                    at: c,
                }),
                (Some(_), _) => needs_answer = true,
                (None, _) => {}
            }
        }
        Ok(Some(RowConsents {
            drafts,
            needs_answer,
        }))
    }
}

/// A SHA-256 of the file and of the options that change what is imported.
fn job_id(path: &Path, opts: &ImportOptions) -> std::io::Result<String> {
    let mut h = Sha256::new();
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    let mut maps = opts.maps.clone();
    maps.sort();
    h.update(
        format!(
            "\n{:?}\n{:?}\n{}\n{:?}\n{:?}",
            opts.preset,
            maps,
            opts.on_duplicate.as_str(),
            opts.kind.map(ContactKind::as_str),
            opts.purposes
        )
        .as_bytes(),
    );
    Ok(hex::encode(h.finalize()))
}

fn io_error(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("{what}: {e}"))
}

impl Candor {
    /// Imports the contacts of a CSV file, or resumes the same job where it stopped.
    pub async fn import_contacts(
        &self,
        actor: &Actor,
        path: &Path,
        opts: &ImportOptions,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportReport, AppError> {
        let total_bytes = std::fs::metadata(path)
            .map_err(|e| io_error("reading the file", e))?
            .len();
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .map_err(|e| io_error("reading the file", e))?;
        let headers = reader
            .headers()
            .map_err(|e| io_error("reading the header", e))?
            .clone();
        let mapping = self.import_mapping(&headers, opts)?;
        let id = job_id(path, opts).map_err(|e| io_error("reading the file", e))?;
        let file = path
            .file_name()
            .map_or_else(|| "file".into(), |f| f.to_string_lossy().into_owned());
        let now = self.now();
        let fresh = ImportJob {
            id: id.clone(),
            file_name: file.clone(),
            options: format!(
                "preset={} on_duplicate={}",
                mapping.preset,
                opts.on_duplicate.as_str()
            ),
            actor: actor.audit_name.clone(),
            started_at: now,
            updated_at: now,
            finished_at: None,
            next_record: 0,
            counts: ImportCounts::default(),
        };
        self.store.imports().start(&fresh).await?;
        let mut job = self
            .store
            .imports()
            .job(&id)
            .await?
            .ok_or_else(|| AppError::Internal("the import job vanished".into()))?;
        let mut report = ImportReport {
            job_id: id.clone(),
            preset: mapping.preset.clone(),
            ignored_columns: mapping.ignored.clone(),
            resumed_from: job.next_record,
            already_done: job.finished_at.is_some(),
            records: job.next_record,
            counts: job.counts,
            rejects_file: None,
        };
        if report.already_done {
            return Ok(report);
        }
        let mut run = Job {
            app: self,
            actor,
            mapping: &mapping,
            opts,
            file,
            now,
            companies: HashMap::new(),
            known_companies: HashMap::new(),
        };
        let mut rec = StringRecord::new();
        let mut read = 0u64;
        while read < job.next_record {
            if !reader
                .read_record(&mut rec)
                .map_err(|e| io_error("reading the file", e))?
            {
                break;
            }
            read += 1;
        }
        let hash = |e: &str| self.keys.email_hash(e);
        type Write = tokio::task::JoinHandle<Result<(), candor_store::StoreError>>;
        let mut inflight: Option<(Write, HashSet<String>)> = None;
        loop {
            let mut rows = Vec::with_capacity(opts.batch_size);
            while rows.len() < opts.batch_size {
                match reader.read_record(&mut rec) {
                    Ok(true) => {
                        let line = rec.position().map_or(0, |p| p.line());
                        rows.push(read_row(&mapping, &rec, line, hash));
                    }
                    Ok(false) => break,
                    Err(e) => return Err(io_error("reading the file", e)),
                }
            }
            if rows.is_empty() {
                break;
            }
            // A row that repeats an email of the batch being written waits for it, so
            // that the duplicate is found in the store.
            if let Some((_, hashes)) = &inflight {
                if rows
                    .iter()
                    .any(|r| r.email_hash.as_ref().is_some_and(|h| hashes.contains(h)))
                {
                    let (write, _) = inflight.take().expect("checked");
                    write
                        .await
                        .map_err(|e| AppError::Internal(e.to_string()))??;
                }
            }
            let from = job.next_record;
            let n = rows.len() as u64;
            let mut hashes: HashSet<String> =
                rows.iter().filter_map(|r| r.email_hash.clone()).collect();
            // Checks and preparation of this batch overlap the write of the previous one.
            let batch = self.import_rows(&mut run, rows, &mut job.counts).await?;
            hashes.extend(batch.merged.iter().filter_map(|(_, h)| h.clone()));
            if let Some((write, _)) = inflight.take() {
                write
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))??;
                progress(ImportProgress {
                    bytes: reader.position().byte(),
                    total_bytes,
                    records: from,
                    counts: report.counts,
                });
            }
            job.next_record = from + n;
            job.updated_at = self.now();
            report.records = job.next_record;
            report.counts = job.counts;
            let store = self.store.clone();
            let snapshot = job.clone();
            inflight = Some((
                tokio::spawn(async move { store.imports().batch(&snapshot, from, batch).await }),
                hashes,
            ));
        }
        if let Some((write, _)) = inflight.take() {
            write
                .await
                .map_err(|e| AppError::Internal(e.to_string()))??;
            progress(ImportProgress {
                bytes: reader.position().byte(),
                total_bytes,
                records: job.next_record,
                counts: job.counts,
            });
        }
        if job.counts.rejected > 0 || job.counts.skipped > 0 {
            self.write_rejects(&job, &headers, &opts.rejects_path)
                .await?;
            report.rejects_file = Some(opts.rejects_path.clone());
        }
        self.store.imports().finish(&job.id, self.now()).await?;
        Ok(report)
    }

    /// One batch: duplicates found with one query, rows checked, consents and requests
    /// prepared. Counts are moved here; the caller commits them with the batch.
    async fn import_rows(
        &self,
        run: &mut Job<'_>,
        rows: Vec<RowIn>,
        counts: &mut ImportCounts,
    ) -> Result<ImportBatch, AppError> {
        let hashes: Vec<String> = rows.iter().filter_map(|r| r.email_hash.clone()).collect();
        let existing = self.store.contacts().ids_by_email_hashes(&hashes).await?;
        let mut batch = ImportBatch::default();
        // Rows of this batch by email hash: (in `created`?, index).
        let mut here: HashMap<String, (bool, usize)> = HashMap::new();
        let endpoint = "candor import contacts";
        for mut row in rows {
            let dup = row.email_hash.as_ref().and_then(|h| {
                here.get(h)
                    .copied()
                    .map(Ok)
                    .or_else(|| existing.get(h).map(|id| Err(*id)))
            });
            if dup.is_some() && run.opts.on_duplicate == OnDuplicate::Skip {
                counts.skipped += 1;
                batch.rejects.push(ImportReject {
                    line: row.line,
                    field: run.mapping.name("email"),
                    rule: "duplicate_skipped".into(),
                    message: "a contact has this email already; left alone (--on-duplicate skip)"
                        .into(),
                    record: row.record.clone(),
                });
                continue;
            }
            // The contact the row merges into, if any.
            let base: Option<Contact> = match dup {
                Some(Ok((true, i))) => Some(batch.created[i].0.clone()),
                Some(Ok((false, i))) => Some(batch.merged[i].0.clone()),
                Some(Err(id)) => self.store.contacts().get(id).await?,
                None => None,
            };
            let data = match run
                .contact_data(&mut row, base.as_ref().map(|c| &c.data))
                .await?
            {
                Ok(d) => d,
                Err(errs) => {
                    counts.rejected += 1;
                    run.reject(&row, errs, &mut batch.rejects);
                    continue;
                }
            };
            let subject = base.as_ref().map_or_else(Uuid::now_v7, |c| c.id);
            let (consents, opt_outs) = match (
                run.consents(&row, subject, data.kind),
                run.opt_outs(&row, subject),
            ) {
                (Ok(c), Ok(o)) => (c, o),
                (c, o) => {
                    let mut errs = FieldErrors::default();
                    errs.0.extend(c.err().into_iter().flat_map(|e| e.0));
                    errs.0.extend(o.err().into_iter().flat_map(|e| e.0));
                    counts.rejected += 1;
                    run.reject(&row, errs, &mut batch.rejects);
                    continue;
                }
            };
            let contact = Contact {
                id: subject,
                data,
                created_at: base.as_ref().map_or(run.now, |b| b.created_at),
                updated_at: run.now,
                newsletter_subscribed_at: base.as_ref().and_then(|b| b.newsletter_subscribed_at),
                newsletter_open_rate: base.as_ref().and_then(|b| b.newsletter_open_rate),
            };
            let hash = contact
                .data
                .email
                .as_ref()
                .map(|e| self.keys.email_hash(e.as_str()));
            let is_new = base.is_none();
            // A person who said no in the earlier tool gets no message from the import.
            let needs_answer =
                opt_outs.is_empty() && consents.as_ref().is_none_or(|c| c.needs_answer);
            if let Some(c) = consents {
                counts.consents += c.drafts.len() as u64;
                batch.consents.extend(c.drafts);
            }
            if !opt_outs.is_empty() {
                counts.consents += opt_outs.len() as u64;
                batch.consents.extend(opt_outs);
                // An earlier row of this batch for the same person may have queued one.
                let before = batch.mails.len();
                batch.mails.retain(|(t, _)| t.subject_id != subject);
                counts.requests -= (before - batch.mails.len()) as u64;
            }
            // C4: a new contact without (effective) consent is asked, once.
            if is_new && needs_answer {
                if let Some(request) = self.consent_request(&contact, run.now) {
                    counts.requests += 1;
                    batch.mails.push(request);
                }
            }
            batch.audit.push(AccessEvent {
                subject_id: subject,
                actor: run.actor.audit_name.clone(),
                action: if is_new {
                    AuditAction::Create
                } else {
                    AuditAction::Update
                },
                fields: row.patch.fields(),
                endpoint: endpoint.into(),
                at: run.now,
            });
            match dup {
                Some(Ok((true, i))) => {
                    counts.merged += 1;
                    batch.created[i] = (contact, hash);
                }
                Some(Ok((false, i))) => {
                    counts.merged += 1;
                    batch.merged[i] = (contact, hash);
                }
                Some(Err(_)) => {
                    counts.merged += 1;
                    if let Some(h) = &hash {
                        here.insert(h.clone(), (false, batch.merged.len()));
                    }
                    batch.merged.push((contact, hash));
                }
                None => {
                    counts.created += 1;
                    if let Some(h) = &hash {
                        here.insert(h.clone(), (true, batch.created.len()));
                    }
                    batch.created.push((contact, hash));
                }
            }
        }
        Ok(batch)
    }

    /// Writes the job's rejected rows: line, column, rule, message, then the row as read.
    async fn write_rejects(
        &self,
        job: &ImportJob,
        headers: &StringRecord,
        path: &Path,
    ) -> Result<(), AppError> {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_path(path)
            .map_err(|e| io_error("writing the rejects file", e))?;
        let io = |e: csv::Error| io_error("writing the rejects file", e);
        let mut head = vec!["line", "column", "rule", "message"];
        head.extend(headers.iter());
        w.write_record(&head).map_err(io)?;
        let mut after = 0;
        loop {
            let page = self.store.imports().rejects(&job.id, after, 5000).await?;
            // A page ends at a line boundary so one row's errors are never split.
            let last_line = page.last().map(|r| r.line);
            let complete = page.len() < 5000;
            for r in &page {
                if !complete && Some(r.line) == last_line {
                    continue;
                }
                let mut row = vec![
                    r.line.to_string(),
                    r.field.clone(),
                    r.rule.clone(),
                    r.message.clone(),
                ];
                row.extend(r.record.iter().cloned());
                w.write_record(&row).map_err(io)?;
            }
            match (complete, last_line) {
                (true, _) | (_, None) => break,
                (false, Some(l)) => after = l - 1,
            }
        }
        w.flush()
            .map_err(|e| io_error("writing the rejects file", e))?;
        Ok(())
    }
}
