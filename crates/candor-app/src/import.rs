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
    grant_outcome, Action, Channel, ConsentDraft, Evidence, Pending, Source,
};
use candor_domain::contact::{Contact, ContactData, ContactKind, ContactPatch};
use candor_domain::error::{FieldError, FieldErrors};
use candor_domain::personal::Email;
use candor_store::{AddressStatus, ImportBatch, ImportJob, Page};
pub use candor_store::{ImportCounts, ImportReject};
use csv::StringRecord;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use time::format_description::well_known::Rfc3339;
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

/// The preset whose tool wrote this header, by its signature: the headers listed under
/// `@detect`, matched exactly (case included, so Brevo's `EMAIL` is not HubSpot's
/// `Email`). The preset with the most signature headers wins; a tie is refused, naming
/// the candidates, rather than guessed; `None` when no preset recognises any.
fn detect(headers: &StringRecord) -> Result<Option<String>, AppError> {
    let present: HashSet<&str> = headers.iter().map(str::trim).collect();
    let mut scores: Vec<(usize, &str)> = presets()
        .iter()
        .filter_map(|(name, cols)| {
            let sig = cols.get("@detect")?;
            let n = sig
                .split(';')
                .map(str::trim)
                .filter(|h| !h.is_empty() && present.contains(h))
                .count();
            (n > 0).then_some((n, name.as_str()))
        })
        .collect();
    scores.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    match scores.as_slice() {
        [] => Ok(None),
        [(n, best), (m, other), ..] if n == m => Err(AppError::field(
            "preset",
            "preset_ambiguous",
            format!(
                "the header looks like more than one tool's export ({best}, {other}{}): pass --preset",
                scores
                    .iter()
                    .skip(2)
                    .filter(|(k, _)| k == n)
                    .map(|(_, p)| format!(", {p}"))
                    .collect::<String>()
            ),
        )),
        [(_, best), ..] => Ok(Some((*best).to_owned())),
    }
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
    /// Read and check everything, write nothing (but the rejects file), and report what
    /// an import would do.
    pub dry_run: bool,
    /// Queue the consent requests of new contacts never asked (C4); `false` holds them,
    /// to be sent later by `Candor::send_consent_requests`.
    pub consent_requests: bool,
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
    /// One column with the whole name (Odoo, some Mailchimp lists): split into first
    /// and last names.
    FullName,
    /// A bounce, a cleaned or an invalid address: no email from the import.
    Undeliverable,
    /// A tool's subscription status (Pipedrive's marketing status, …).
    EmailStatus,
    /// The row is a company, not a person (Odoo).
    IsCompany,
    Consent(ConsentColumn),
    OptOut(OptOutColumn),
}

fn target(field: &str) -> Option<Target> {
    use ConsentColumn::*;
    Some(match field {
        "company_name" => Target::CompanyName,
        "full_name" => Target::FullName,
        "undeliverable" => Target::Undeliverable,
        "email_status" => Target::EmailStatus,
        "is_company" => Target::IsCompany,
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
    date_order: DateOrder,
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
            None => match detect(headers)? {
                Some(p) => p,
                // No tool's signature: the columns are Candor's own, named with --map.
                None if !opts.maps.is_empty() => "candor".into(),
                None => {
                    return Err(AppError::field(
                        "preset",
                        "preset_undetected",
                        format!(
                            "no preset recognises this file's header: pass --preset (one of: {}), or name the columns with --map COLUMN=FIELD",
                            preset_names().join(", ")
                        ),
                    ))
                }
            },
        };
        let Some(cols) = all.get(&preset) else {
            return Err(AppError::field(
                "preset",
                "unknown_preset",
                format!("must be one of: {}", preset_names().join(", ")),
            ));
        };
        // A key ending with `*` matches every header that starts with it.
        let lookup = |h: &str| -> Option<&String> {
            if h.starts_with('@') {
                return None;
            }
            cols.get(h).or_else(|| {
                cols.iter()
                    .find(|(k, _)| k.strip_suffix('*').is_some_and(|p| h.starts_with(p)))
                    .map(|(_, v)| v)
            })
        };
        let mut fields: Vec<Option<String>> = lower
            .iter()
            .map(|h| lookup(h).filter(|f| !f.is_empty()).cloned())
            .collect();
        // A preset's `""` is a column it knows and leaves out knowingly.
        let mut left_out_on_purpose: HashSet<usize> = lower
            .iter()
            .enumerate()
            .filter(|(_, h)| lookup(h).is_some_and(String::is_empty))
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
        let date_order = match cols.get("@dates").map(String::as_str) {
            Some("month_first") => DateOrder::MonthFirst,
            _ => DateOrder::DayFirst,
        };
        let m = Mapping {
            preset,
            columns,
            headers: headers.iter().map(str::to_owned).collect(),
            ignored,
            purposes,
            date_order,
        };
        if !m.has(&Target::Field("last_name".into())) && !m.has(&Target::FullName) {
            return Err(AppError::field(
                "map",
                "last_name_column_required",
                "no column gives the last name: map one with --map COLUMN=last_name (or COLUMN=full_name for a whole name)",
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
pub fn may_carry_a_choice(header: &str) -> bool {
    let squeezed = fold(header);
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
        "neplus",
        "nepas",
        "refus",
    ];
    WORDS.iter().any(|w| squeezed.contains(w))
}

/// Lower case, without accents, spaces or punctuation: how headers and country names are
/// compared ("Côte d'Ivoire" and "cote divoire" are one key).
fn fold(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .filter_map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => Some('e'),
            'à' | 'â' | 'ä' | 'á' | 'ã' => Some('a'),
            'î' | 'ï' | 'í' => Some('i'),
            'ô' | 'ö' | 'ó' | 'õ' => Some('o'),
            'ù' | 'û' | 'ü' | 'ú' => Some('u'),
            'ç' => Some('c'),
            'ñ' => Some('n'),
            'ÿ' => Some('y'),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

const COUNTRIES_TOML: &str = include_str!("../data/countries.toml");

/// The ISO 3166-1 code of a country name as exports write it, if Candor knows it.
fn country_code(name: &str) -> Option<&'static str> {
    static C: OnceLock<HashMap<String, String>> = OnceLock::new();
    #[derive(serde::Deserialize)]
    struct File {
        names: BTreeMap<String, String>,
    }
    C.get_or_init(|| {
        let f: File = toml::from_str(COUNTRIES_TOML).expect("the countries file is valid TOML");
        f.names.into_iter().map(|(k, v)| (fold(&k), v)).collect()
    })
    .get(&fold(name))
    .map(String::as_str)
}

/// A yes/no cell of an opt-out column, or a date (the day the person opted out).
fn opt_out_cell(
    field: &str,
    v: &str,
    order: DateOrder,
) -> Result<Option<Option<OffsetDateTime>>, FieldError> {
    let l = v.trim().to_lowercase();
    match l.as_str() {
        "" | "false" | "no" | "non" | "n" | "0" | "faux" | "f" => return Ok(None),
        "true" | "yes" | "oui" | "y" | "o" | "1" | "vrai" | "t" | "x" | "unsubscribed"
        | "opted out" | "opted-out" | "optout" | "opt-out" | "désinscrit" | "desinscrit" => {
            return Ok(Some(None))
        }
        _ => {}
    }
    if email_status(v) == Some(SubStatus::OptedOut) {
        return Ok(Some(None));
    }
    parse_date_in(field, v.trim(), order)
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

/// Which of day and month comes first in a date written with slashes, when the day is
/// 12 or less: French tools write day first, some US-configured exports month first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    DayFirst,
    MonthFirst,
}

/// Dates as exports write them: RFC 3339 (`2024-03-01T10:00:00.000Z`, with any offset),
/// `2024-03-01 10:00[:00[.000]]`, `2024-03-01`, and day-first or month-first forms
/// with `/`, `-` or `.` (`01/03/2024`, `01-03-2024 10:00`, `3/1/2024 10:00 AM`). Times
/// without an offset are taken as UTC.
fn parse_date_in(field: &str, s: &str, order: DateOrder) -> Result<OffsetDateTime, FieldError> {
    let bad = || {
        FieldError::new(
            field,
            "date_format",
            "must be a date: 2024-05-31, 2024-05-31 14:02:00, 31/05/2024, 31/05/2024 14:02 or RFC 3339",
        )
    };
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let (date, rest) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], s[i + 1..].trim()),
        None => (s, ""),
    };
    let parts: Vec<&str> = date.split(['/', '-', '.']).collect();
    let [a, b, c] = parts.as_slice() else {
        return Err(bad());
    };
    let num = |x: &str| x.parse::<u32>().map_err(|_| bad());
    let (y, m, d) = if a.len() == 4 {
        (num(a)?, num(b)?, num(c)?)
    } else if c.len() == 4 {
        let (first, second) = (num(a)?, num(b)?);
        let month_first = second > 12 || (first <= 12 && order == DateOrder::MonthFirst);
        if month_first {
            (num(c)?, first, second)
        } else {
            (num(c)?, second, first)
        }
    } else {
        return Err(bad());
    };
    let month = time::Month::try_from(u8::try_from(m).map_err(|_| bad())?).map_err(|_| bad())?;
    let date = time::Date::from_calendar_date(
        i32::try_from(y).map_err(|_| bad())?,
        month,
        u8::try_from(d).map_err(|_| bad())?,
    )
    .map_err(|_| bad())?;
    if rest.is_empty() {
        return Ok(date.midnight().assume_utc());
    }
    let (clock, pm) = match rest.rsplit_once(' ') {
        Some((t, ap)) if ap.eq_ignore_ascii_case("pm") => (t, Some(true)),
        Some((t, ap)) if ap.eq_ignore_ascii_case("am") => (t, Some(false)),
        _ => (rest.trim_end_matches('Z'), None),
    };
    let mut hms = clock.split(':');
    let h = num(hms.next().ok_or_else(bad)?)?;
    let min = num(hms.next().ok_or_else(bad)?)?;
    let sec: f64 = hms
        .next()
        .map_or(Ok(0.0), |x| x.parse().map_err(|_| bad()))?;
    if hms.next().is_some() {
        return Err(bad());
    }
    let h = match pm {
        Some(true) if h < 12 => h + 12,
        Some(false) if h == 12 => 0,
        _ => h,
    };
    let t = time::Time::from_hms_micro(
        u8::try_from(h).map_err(|_| bad())?,
        u8::try_from(min).map_err(|_| bad())?,
        sec.trunc() as u8,
        ((sec.fract() * 1_000_000.0).round() as u32).min(999_999),
    )
    .map_err(|_| bad())?;
    Ok(PrimitiveDateTime::new(date, t).assume_utc())
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
    /// The names came from one full-name column.
    split_name: bool,
    /// The file says the email address does not receive mail: `COLUMN=VALUE`.
    undeliverable: Option<String>,
    /// What the row itself says that makes it unusable (a company row, an unknown status).
    errors: Vec<FieldError>,
}

fn read_row(m: &Mapping, rec: &StringRecord, line: u64, hash: impl Fn(&str) -> String) -> RowIn {
    let mut patch = ContactPatch::default();
    let mut company_name = None;
    let mut consent = BTreeMap::new();
    let mut opt_outs = Vec::new();
    let mut full_name = None;
    let mut undeliverable: Option<String> = None;
    let mut errors = Vec::new();
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
                    // Two street lines (Odoo's street and street2) make one address line.
                    "address_line" => {
                        patch.address_line = match patch.address_line.take().flatten() {
                            Some(first) => Some(Some(format!("{first}, {}", slot.flatten().unwrap_or_default()))),
                            None => slot,
                        }
                    }
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
            Target::FullName => full_name = Some(v),
            Target::Undeliverable => {
                if !matches!(
                    v.trim().to_lowercase().as_str(),
                    "no" | "non" | "false" | "faux" | "0" | "n"
                ) {
                    undeliverable = Some(format!("{}={v}", m.headers[i]));
                }
            }
            Target::EmailStatus => match email_status(&v) {
                Some(SubStatus::OptedOut) => {
                    opt_outs.push((OptOutColumn::Channel(Channel::Email), m.headers[i].clone(), v))
                }
                Some(SubStatus::Undeliverable) => {
                    undeliverable = Some(format!("{}={v}", m.headers[i]))
                }
                Some(SubStatus::Nothing) => {}
                None => errors.push(FieldError::new(
                    "email_status",
                    "email_status_value",
                    "is a subscription status Candor does not know: map the column to an opt-out or leave it out knowingly with --map 'COLUMN='",
                )),
            },
            Target::IsCompany => {
                if matches!(v.trim().to_lowercase().as_str(), "true" | "1" | "yes" | "oui" | "vrai") {
                    errors.push(FieldError::new(
                        "is_company",
                        "company_row",
                        "is a company, not a person: its people are imported with their own rows",
                    ));
                }
            }
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
    let mut split_name = false;
    if let Some(full) = full_name {
        // Odoo writes a company's person as "Company, Person".
        let (company, person) = match full.rsplit_once(", ") {
            Some((c, p)) if !p.trim().is_empty() => (Some(c.trim().to_owned()), p.trim()),
            _ => (None, full.as_str()),
        };
        if company_name.is_none() {
            company_name = company;
        }
        let (first, last) = split_full_name(person);
        if patch.last_name.is_none() {
            patch.last_name = Some(Some(last));
            split_name = true;
        }
        if patch.first_name.is_none() {
            patch.first_name = first.map(Some);
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
        split_name,
        undeliverable,
        errors,
    }
}

/// What a tool's subscription status says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SubStatus {
    OptedOut,
    Undeliverable,
    Nothing,
}

fn email_status(v: &str) -> Option<SubStatus> {
    Some(match fold(v).as_str() {
        "unsubscribed" | "optedout" | "optout" | "desinscrit" | "desabonne" | "blocklisted"
        | "blacklisted" | "unsubscribedall" => SubStatus::OptedOut,
        "bounced" | "cleaned" | "hardbounce" | "invalid" => SubStatus::Undeliverable,
        "" | "subscribed" | "pending" | "pendingdoubleoptin" | "pendingupgrade" | "noconsent"
        | "archived" | "nonsubscribed" | "transactional" | "abonne" => SubStatus::Nothing,
        _ => return None,
    })
}

/// A whole name as first and last names: the first word is the first name, the rest
/// the last name ("Jean-Pierre de La Tour" → "Jean-Pierre", "de La Tour"); a single
/// word is a last name.
fn split_full_name(full: &str) -> (Option<String>, String) {
    let full = full.trim();
    match full.split_once(char::is_whitespace) {
        Some((first, rest)) if !rest.trim().is_empty() => {
            (Some(first.to_owned()), rest.trim().to_owned())
        }
        _ => (None, full.to_owned()),
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
    /// How the file was read: encoding, byte-order mark, separator.
    pub format: String,
    /// Nothing was written (`--dry-run`).
    pub dry_run: bool,
    /// The first rejected rows (line, column, rule, message; without their cells), for a
    /// summary on a page; the rejects file has them all.
    pub first_rejects: Vec<ImportReject>,
}

/// How many rejected rows a report carries for a page.
const FIRST_REJECTS: usize = 20;

/// One column of a file and the field it fills (`None`: left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    pub header: String,
    pub field: Option<String>,
}

/// One of the first rows of a file as the import would store it.
#[derive(Debug, Clone)]
pub struct PreviewRow {
    pub line: u64,
    /// (field, value as stored) of the contact, in catalogue order.
    pub values: Vec<(String, String)>,
    /// The consent events the row would record, as `action purpose channel`.
    pub consents: Vec<String>,
    /// Why the row would be refused; empty when it would go in.
    pub errors: Vec<FieldError>,
}

/// What the back office shows before an import starts: how the file is read, how its
/// columns map, its first rows as they would be stored, and the dry run of the whole.
#[derive(Debug, Clone)]
pub struct ImportPreview {
    pub columns: Vec<ColumnMap>,
    pub rows: Vec<PreviewRow>,
    pub report: ImportReport,
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
    /// Dry run: the contacts earlier batches would have written, by email hash, so that
    /// a later duplicate is found as the real run would find it in the store.
    dry_seen: HashMap<String, Contact>,
    /// Dry run: the rejected rows, for the rejects file.
    dry_rejects: Vec<ImportReject>,
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
                if !self.opts.dry_run {
                    self.app.store.companies().insert(&c).await?;
                }
                self.known_companies.insert(c.id, true);
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
        // Country names as tools write them ("France", "Belgique") become ISO codes.
        if let Some(Some(v)) = &row.patch.country {
            let v = v.trim();
            if !(v.len() == 2 && v.chars().all(|c| c.is_ascii_alphabetic())) {
                match country_code(v) {
                    Some(code) => row.patch.country = Some(Some(code.to_owned())),
                    None => {
                        return Ok(Err(FieldError::new(
                            "country",
                            "unknown_country",
                            "must be a country Candor knows by name (France, Belgique, United Kingdom …) or its two-letter ISO code",
                        )
                        .into()))
                    }
                }
            }
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
            let Some(when) = e.check(opt_out_cell(&field, v, self.mapping.date_order)) else {
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
        let given = e.check(parse_date_in("consent.date", date, self.mapping.date_order));
        if given.is_some_and(|g| g > self.now) {
            e.push(FieldError::new(
                "consent.date",
                "not_in_future",
                "must not be in the future",
            ));
        }
        let confirmed = row.consent.get("consent.confirmed_at").and_then(|c| {
            e.check(parse_date_in(
                "consent.confirmed_at",
                c,
                self.mapping.date_order,
            ))
        });
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
        let given = e.finish(given)?;
        let pending = grant_outcome(kind, Source::Import, &evidence);
        let mut drafts = Vec::new();
        let mut needs_answer = false;
        for p in purposes {
            drafts.push(ConsentDraft {
                subject_id: subject,
                purpose: p.clone(),
                channel: Channel::Email,
                action: Action::Grant,
                pending,
                source: Source::Import,
                evidence: evidence.clone(),
                at: given,
            });
            match (pending, confirmed) {
                (Some(Pending::DoubleOptIn), Some(c)) => drafts.push(ConsentDraft {
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
    // A run that holds its consent requests is another job (the ids of others stay).
    if !opts.consent_requests {
        h.update(b"\nconsent_requests=held");
    }
    Ok(hex::encode(h.finalize()))
}

fn io_error(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("{what}: {e}"))
}

/// A CSV file opened as it was written (encoding and separator detected), its header
/// read.
struct OpenFile {
    format: crate::csvfile::FileFormat,
    reader: csv::Reader<Box<dyn Read + Send>>,
    headers: StringRecord,
    /// Added to the reader's line numbers: the csv reader counts the header's line only
    /// when it ends with a bare `\n`; after a `\r\n` header it says the next record is
    /// on line 1. Line numbers in the rejects file are the file's own.
    line_shift: u64,
}

fn open_file(path: &Path) -> Result<OpenFile, AppError> {
    let format = crate::csvfile::sniff(path).map_err(|e| io_error("reading the file", e))?;
    let mut reader =
        crate::csvfile::open(path, &format).map_err(|e| io_error("reading the file", e))?;
    let headers = reader
        .headers()
        .map_err(|e| io_error("reading the header", e))?
        .clone();
    let line_shift = u64::from(reader.position().line() <= 1);
    Ok(OpenFile {
        format,
        reader,
        headers,
        line_shift,
    })
}

impl<'a> Job<'a> {
    fn new(
        app: &'a Candor,
        actor: &'a Actor,
        mapping: &'a Mapping,
        opts: &'a ImportOptions,
        file: String,
        now: OffsetDateTime,
    ) -> Self {
        Job {
            app,
            actor,
            mapping,
            opts,
            file,
            now,
            companies: HashMap::new(),
            known_companies: HashMap::new(),
            dry_seen: HashMap::new(),
            dry_rejects: Vec::new(),
        }
    }
}

impl Candor {
    /// Imports the contacts of a CSV file, or resumes the same job where it stopped.
    pub async fn import_contacts(
        &self,
        actor: &Actor,
        path: &Path,
        opts: &ImportOptions,
        progress: &mut (dyn FnMut(ImportProgress) + Send),
    ) -> Result<ImportReport, AppError> {
        let total_bytes = std::fs::metadata(path)
            .map_err(|e| io_error("reading the file", e))?
            .len();
        let OpenFile {
            format,
            mut reader,
            headers,
            line_shift,
        } = open_file(path)?;
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
                "preset={} on_duplicate={}{}",
                mapping.preset,
                opts.on_duplicate.as_str(),
                if opts.consent_requests {
                    ""
                } else {
                    " consent_requests=held"
                }
            ),
            actor: actor.audit_name.clone(),
            started_at: now,
            updated_at: now,
            finished_at: None,
            next_record: 0,
            counts: ImportCounts::default(),
        };
        let mut job = if opts.dry_run {
            fresh
        } else {
            self.store.imports().start(&fresh).await?;
            self.store
                .imports()
                .job(&id)
                .await?
                .ok_or_else(|| AppError::Internal("the import job vanished".into()))?
        };
        let mut report = ImportReport {
            job_id: id.clone(),
            preset: mapping.preset.clone(),
            ignored_columns: mapping.ignored.clone(),
            resumed_from: job.next_record,
            already_done: job.finished_at.is_some(),
            records: job.next_record,
            counts: job.counts,
            rejects_file: None,
            format: format.describe(),
            dry_run: opts.dry_run,
            first_rejects: Vec::new(),
        };
        if report.already_done {
            return Ok(report);
        }
        let mut run = Job::new(self, actor, &mapping, opts, file, now);
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
                        let line = rec.position().map_or(0, |p| p.line()) + line_shift;
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
            let repeats = |(_, hashes): &mut (_, HashSet<String>)| {
                rows.iter()
                    .any(|r| r.email_hash.as_ref().is_some_and(|h| hashes.contains(h)))
            };
            if let Some((write, _)) = inflight.take_if(repeats) {
                write
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))??;
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
            if opts.dry_run {
                for (c, h) in batch.created.into_iter().chain(batch.merged) {
                    if let Some(h) = h {
                        run.dry_seen.insert(h, c);
                    }
                }
                run.dry_rejects.extend(batch.rejects);
                progress(ImportProgress {
                    bytes: reader.position().byte(),
                    total_bytes,
                    records: job.next_record,
                    counts: job.counts,
                });
                continue;
            }
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
        let first = |rejects: &[ImportReject]| {
            rejects
                .iter()
                .take(FIRST_REJECTS)
                .map(|r| ImportReject {
                    record: Vec::new(),
                    ..r.clone()
                })
                .collect::<Vec<_>>()
        };
        if opts.dry_run {
            if !run.dry_rejects.is_empty() {
                run.dry_rejects.sort_by_key(|r| r.line);
                write_reject_rows(&opts.rejects_path, &headers, &run.dry_rejects)?;
                report.rejects_file = Some(opts.rejects_path.clone());
                report.first_rejects = first(&run.dry_rejects);
            }
            return Ok(report);
        }
        if job.counts.rejected > 0 || job.counts.skipped > 0 {
            let page = self
                .store
                .imports()
                .rejects(&job.id, 0, FIRST_REJECTS as u32)
                .await?;
            report.first_rejects = first(&page);
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
        let mut existing = self.store.contacts().ids_by_email_hashes(&hashes).await?;
        for h in &hashes {
            if let Some(c) = run.dry_seen.get(h) {
                existing.insert(h.clone(), c.id);
            }
        }
        // E2: rows whose email or phone is an erased person's are not imported.
        let keyed: Vec<[Option<String>; 2]> = rows
            .iter()
            .map(|r| {
                let raw = |v: &Option<Option<String>>| v.as_ref().and_then(|v| v.clone());
                [
                    raw(&r.patch.email)
                        .and_then(|e| Email::parse("email", &e).ok())
                        .map(|e| self.keys.suppression_hash("email", e.as_str())),
                    raw(&r.patch.phone)
                        .and_then(|p| candor_domain::personal::Phone::parse("phone", &p).ok())
                        .map(|p| self.keys.suppression_hash("phone", p.as_str())),
                ]
            })
            .collect();
        let asked: Vec<String> = keyed.iter().flatten().flatten().cloned().collect();
        let suppressed: HashSet<String> = if asked.is_empty() {
            HashSet::new()
        } else {
            self.store
                .erasures()
                .suppressed(&asked)
                .await?
                .into_iter()
                .collect()
        };
        let mut batch = ImportBatch::default();
        // New contacts of this batch whose consent request is held.
        let mut held: HashSet<Uuid> = HashSet::new();
        // Rows of this batch by email hash: (in `created`?, index).
        let mut here: HashMap<String, (bool, usize)> = HashMap::new();
        let endpoint = "candor import contacts";
        for (i, mut row) in rows.into_iter().enumerate() {
            if let Some(k) = keyed[i]
                .iter()
                .position(|h| h.as_ref().is_some_and(|h| suppressed.contains(h)))
            {
                let field = if k == 0 { "email" } else { "phone" };
                counts.skipped += 1;
                // The row is not kept in the rejects file (its cells left empty): it is
                // an erased person's.
                batch.rejects.push(ImportReject {
                    line: row.line,
                    field: run.mapping.name(field),
                    rule: "suppressed".into(),
                    message: format!(
                        "this {field} belongs to a person who was erased: the row is not imported, and not kept here"
                    ),
                    record: vec![String::new(); run.mapping.headers.len()],
                });
                continue;
            }
            // A report's footer (Salesforce: "Grand Totals (12 records)", the
            // confidentiality line, the copyright) is not a person.
            let filled: Vec<&String> = row.record.iter().filter(|c| !c.trim().is_empty()).collect();
            if filled.len() == 1
                && ["grand totals", "confidential information", "copyright"]
                    .iter()
                    .any(|f| filled[0].trim().to_lowercase().starts_with(f))
            {
                continue;
            }
            if !row.errors.is_empty() {
                counts.rejected += 1;
                let errs = FieldErrors(std::mem::take(&mut row.errors));
                run.reject(&row, errs, &mut batch.rejects);
                continue;
            }
            let want = run.mapping.headers.len();
            if row.record.len() != want {
                counts.rejected += 1;
                batch.rejects.push(ImportReject {
                    line: row.line,
                    field: "(row)".into(),
                    rule: "cell_count".into(),
                    message: format!(
                        "has {} cells where the header has {want}: a separator or a quote is missing or extra",
                        row.record.len()
                    ),
                    record: row.record.clone(),
                });
                continue;
            }
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
                Some(Err(id)) => match row.email_hash.as_ref().and_then(|h| run.dry_seen.get(h)) {
                    Some(c) => Some(c.clone()),
                    None => self.store.contacts().get(id).await?,
                },
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
            // A person who said no in the earlier tool gets no message from the import,
            // nor does an address the file says bounces.
            if let Some(cell) = &row.undeliverable {
                counts.undeliverable += 1;
                // The cell may quote a mail server's reply: no address is kept from it.
                batch.undeliverable.push(AddressStatus {
                    subject_id: subject,
                    channel: Channel::Email,
                    reason: crate::mail::scrub_delivery_error(&format!(
                        "import {} line {}: {cell}",
                        run.file, row.line
                    )),
                    since: run.now,
                });
            }
            let needs_answer = opt_outs.is_empty()
                && row.undeliverable.is_none()
                && consents.as_ref().is_none_or(|c| c.needs_answer);
            if let Some(c) = consents {
                counts.consents += c.drafts.len() as u64;
                for d in &c.drafts {
                    match d.action {
                        Action::Grant => counts.grants += 1,
                        Action::Confirm => counts.confirmations += 1,
                        Action::Withdraw | Action::Refuse | Action::Lapse => {
                            counts.withdrawals += 1
                        }
                    }
                }
                batch.consents.extend(c.drafts);
            }
            if row.split_name {
                counts.names_split += 1;
            }
            if !opt_outs.is_empty() {
                counts.consents += opt_outs.len() as u64;
                counts.withdrawals += opt_outs.len() as u64;
                batch.consents.extend(opt_outs);
                // An earlier row of this batch for the same person may have queued one.
                let before = batch.mails.len();
                batch.mails.retain(|(t, _)| t.subject_id != subject);
                counts.requests -= (before - batch.mails.len()) as u64;
                if held.remove(&subject) {
                    counts.requests_held -= 1;
                }
            }
            // C4: a new contact without (effective) consent is asked, once (or later,
            // when the import holds the requests).
            if is_new && needs_answer {
                if let Some(request) = self.consent_request(&contact, run.now) {
                    if run.opts.consent_requests {
                        counts.requests += 1;
                        batch.mails.push(request);
                    } else {
                        counts.requests_held += 1;
                        held.insert(subject);
                    }
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
                fields: {
                    let mut f = row.patch.fields();
                    if row.undeliverable.is_some() {
                        f.push("address_status.email".into());
                    }
                    f
                },
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
        let mut w = rejects_writer(path, headers)?;
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
                write_reject(&mut w, r)?;
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

/// The rejects file's writer, its header written: line, column, rule, message, then the
/// file's own columns.
fn rejects_writer(
    path: &Path,
    headers: &StringRecord,
) -> Result<csv::Writer<std::fs::File>, AppError> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| io_error("writing the rejects file", e))?;
    let mut head = vec![
        "line".to_owned(),
        "column".into(),
        "rule".into(),
        "message".into(),
    ];
    head.extend(
        headers
            .iter()
            .map(|h| crate::export::csv_cell(&Value::String(h.to_owned()))),
    );
    w.write_record(&head)
        .map_err(|e| io_error("writing the rejects file", e))?;
    Ok(w)
}

/// One rejected row, every cell neutralised as exports are (`=HYPERLINK(…)` is written
/// `'=HYPERLINK(…)`, which the import reads back as it was).
fn write_reject(w: &mut csv::Writer<std::fs::File>, r: &ImportReject) -> Result<(), AppError> {
    let safe = |s: &str| crate::export::csv_cell(&Value::String(s.to_owned()));
    let mut row = vec![
        r.line.to_string(),
        safe(&r.field),
        safe(&r.rule),
        safe(&r.message),
    ];
    row.extend(r.record.iter().map(|c| safe(c)));
    w.write_record(&row)
        .map_err(|e| io_error("writing the rejects file", e))
}

/// The rejects file of a dry run, from the rows held in memory.
fn write_reject_rows(
    path: &Path,
    headers: &StringRecord,
    rows: &[ImportReject],
) -> Result<(), AppError> {
    let mut w = rejects_writer(path, headers)?;
    for r in rows {
        write_reject(&mut w, r)?;
    }
    w.flush()
        .map_err(|e| io_error("writing the rejects file", e))
}

/// The field name a target is written as in a preset or `--map`.
fn target_name(t: &Target) -> String {
    use ConsentColumn::*;
    match t {
        Target::Field(f) => f.clone(),
        Target::CompanyName => "company_name".into(),
        Target::FullName => "full_name".into(),
        Target::Undeliverable => "undeliverable".into(),
        Target::EmailStatus => "email_status".into(),
        Target::IsCompany => "is_company".into(),
        Target::Consent(c) => format!(
            "consent.{}",
            match c {
                Purposes => "purposes",
                Source => "source",
                Date => "date",
                Wording => "wording",
                Ip => "ip",
                ConfirmedAt => "confirmed_at",
                DocumentRef => "document_ref",
            }
        ),
        Target::OptOut(o) => match o {
            OptOutColumn::Channel(c) => format!("opt_out.{}", c.as_str()),
            OptOutColumn::All => "opt_out.all".into(),
            OptOutColumn::Reason => "opt_out.reason".into(),
        },
    }
}

/// The targets a column may be mapped to besides the catalogue's contact fields.
const SPECIAL_TARGETS: &[&str] = &[
    "company_name",
    "full_name",
    "undeliverable",
    "email_status",
    "is_company",
    "consent.purposes",
    "consent.source",
    "consent.date",
    "consent.wording",
    "consent.ip",
    "consent.confirmed_at",
    "consent.document_ref",
    "opt_out.all",
    "opt_out.email",
    "opt_out.sms",
    "opt_out.phone",
    "opt_out.post",
    "opt_out.reason",
];

impl Mapping {
    /// Each column of the file with the field it fills.
    pub fn columns(&self) -> Vec<ColumnMap> {
        self.headers
            .iter()
            .zip(&self.columns)
            .map(|(h, t)| ColumnMap {
                header: h.clone(),
                field: t.as_ref().map(target_name),
            })
            .collect()
    }
}

impl Candor {
    /// The id an import of this file with these options has (or will have): the same
    /// file and options resume the same job.
    pub fn import_job_id(&self, path: &Path, opts: &ImportOptions) -> Result<String, AppError> {
        job_id(path, opts).map_err(|e| io_error("reading the file", e))
    }

    /// The header of a file, as read (encoding and separator detected).
    pub fn import_headers(&self, path: &Path) -> Result<Vec<String>, AppError> {
        Ok(open_file(path)?.headers.iter().map(str::to_owned).collect())
    }

    /// Every field a column may be mapped to: the contact fields of the catalogue that
    /// `role` may write, then the import's own targets (company by name, a whole name,
    /// consent evidence, opt-outs, bounces).
    pub fn import_targets(&self, role: candor_domain::Role) -> Vec<String> {
        let cat = self.catalogue();
        let mut out: Vec<String> = cat
            .fields()
            .iter()
            .filter(|f| f.entity == candor_domain::catalogue::Entity::Contact && !f.system)
            .filter(|f| f.can_write(role))
            .map(|f| f.key())
            .collect();
        out.extend(SPECIAL_TARGETS.iter().map(|t| (*t).to_owned()));
        out
    }

    /// The first `n` rows of a file as the import would store them, its column mapping,
    /// and the dry run of the whole file (which writes nothing but the rejects file).
    pub async fn preview_import(
        &self,
        actor: &Actor,
        path: &Path,
        opts: &ImportOptions,
        n: usize,
    ) -> Result<ImportPreview, AppError> {
        let dry = ImportOptions {
            dry_run: true,
            ..opts.clone()
        };
        let report = self.import_contacts(actor, path, &dry, &mut |_| {}).await?;
        let OpenFile {
            mut reader,
            headers,
            line_shift,
            ..
        } = open_file(path)?;
        let mapping = self.import_mapping(&headers, &dry)?;
        let mut run = Job::new(self, actor, &mapping, &dry, String::new(), self.now());
        let hash = |e: &str| self.keys.email_hash(e);
        let mut rows = Vec::new();
        let mut rec = StringRecord::new();
        while rows.len() < n
            && reader
                .read_record(&mut rec)
                .map_err(|e| io_error("reading the file", e))?
        {
            let line = rec.position().map_or(0, |p| p.line()) + line_shift;
            let mut row = read_row(&mapping, &rec, line, hash);
            let mut errors = std::mem::take(&mut row.errors);
            let mut values = Vec::new();
            let mut consents = Vec::new();
            if errors.is_empty() {
                match run.contact_data(&mut row, None).await? {
                    Ok(data) => {
                        values = stored_values(&data, row.company_name.as_deref());
                        let subject = Uuid::nil();
                        match run.opt_outs(&row, subject) {
                            Ok(d) => consents.extend(d.iter().map(describe_draft)),
                            Err(e) => errors.extend(e.0),
                        }
                        match run.consents(&row, subject, data.kind) {
                            Ok(Some(c)) => consents.extend(c.drafts.iter().map(describe_draft)),
                            Ok(None) => {}
                            Err(e) => errors.extend(e.0),
                        }
                    }
                    Err(e) => errors.extend(e.0),
                }
            }
            rows.push(PreviewRow {
                line,
                values,
                consents,
                errors,
            });
        }
        Ok(ImportPreview {
            columns: mapping.columns(),
            rows,
            report,
        })
    }
}

/// A consent event as a preview lists it: `withdraw * email`, `grant newsletter email`.
fn describe_draft(d: &ConsentDraft) -> String {
    format!("{} {} {}", d.action.as_str(), d.purpose, d.channel.as_str())
}

/// The values of a contact as stored, field by field (empty ones left out).
fn stored_values(d: &ContactData, company: Option<&str>) -> Vec<(String, String)> {
    let mut out = vec![("kind".to_owned(), d.kind.as_str().to_owned())];
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            out.push((k.to_owned(), v));
        }
    };
    put("company_name", company.map(str::to_owned));
    put(
        "first_name",
        d.first_name.as_ref().map(|v| v.as_str().to_owned()),
    );
    put("last_name", Some(d.last_name.as_str().to_owned()));
    put("email", d.email.as_ref().map(|v| v.as_str().to_owned()));
    put("phone", d.phone.as_ref().map(|v| v.as_str().to_owned()));
    put("locale", Some(d.locale.as_str().to_owned()));
    put(
        "address_line",
        d.address_line.as_ref().map(|v| v.as_str().to_owned()),
    );
    put(
        "postal_code",
        d.postal_code.as_ref().map(|v| v.as_str().to_owned()),
    );
    put("city", d.city.as_ref().map(|v| v.as_str().to_owned()));
    put("country", d.country.as_ref().map(|v| v.as_str().to_owned()));
    for (k, v) in &d.custom {
        put(
            &format!("custom.{k}"),
            Some(v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
        );
    }
    out
}
