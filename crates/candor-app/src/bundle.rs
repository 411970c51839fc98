//! The access and portability bundle (SPEC R3, R4): everything held on one person, in
//! one zip, for the person and for another provider.
//!
//! - `data.json`: the contact's fields by name, then every row of every table that
//!   holds the person's data (`registry::SUBJECT_TABLES`), valid against the JSON
//!   Schema served at `/api/v1/schemas/export.json` (`export_schema`);
//! - one CSV per table (RFC 4180, UTF-8), cells that a spreadsheet would run as a
//!   formula neutralised;
//! - `contact.vcf`, vCard 4.0 (RFC 6350);
//! - `report.html`, readable without any tool, in the person's language: each field
//!   with its purpose, lawful basis, retention and who may see it and why; then each
//!   kind of record; who accessed the data is named by role, never by name;
//! - `manifest.json`: every file with its size and SHA-256, signed like a receipt.
//!
//! Files are stored without compression (a zip any system opens; the tree stays lean).

use crate::{mail::escape_html, Actor, AppError, Candor};
use candor_domain::audit::AuditAction;
use candor_domain::catalogue::Entity;
use candor_domain::personal::Locale;
use candor_domain::Role;
use candor_store::registry::SUBJECT_TABLES;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Seek, Write};
use uuid::Uuid;

pub const FORMAT: &str = "candor/subject-export/v1";

/// The JSON Schema (draft 2020-12) of `data.json`, from the registry.
pub fn export_schema() -> Value {
    let tables: Map<String, Value> = SUBJECT_TABLES
        .iter()
        .map(|t| {
            (
                t.table.to_owned(),
                json!({"type": "array", "description": t.holds, "items": {"type": "object"}}),
            )
        })
        .collect();
    let names: Vec<&str> = SUBJECT_TABLES.iter().map(|t| t.table).collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "/api/v1/schemas/export.json",
        "title": "Candor subject export",
        "type": "object",
        "required": ["format", "generated_at", "subject_id", "contact", "tables"],
        "additionalProperties": false,
        "properties": {
            "format": {"const": FORMAT},
            "generated_at": {"type": "string", "format": "date-time"},
            "subject_id": {"type": "string", "format": "uuid"},
            "contact": {"type": "object", "description": "The contact's fields by name (custom fields as custom.NAME)"},
            "tables": {
                "type": "object",
                "required": names,
                "additionalProperties": false,
                "properties": tables,
            },
        },
    })
}

/// An anonymous temporary file a bundle is written into before it is sent, so a large
/// bundle is never held in memory whole (deleted when dropped).
pub fn spool() -> Result<std::fs::File, AppError> {
    tempfile::tempfile().map_err(io_err)
}

/// What a bundle holds, as its manifest says.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub files: Vec<(String, u64, String)>,
    pub signed: String,
}

/// A cell a spreadsheet would read as a formula, made inert.
fn inert(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => inert(s),
        other => inert(&other.to_string()),
    }
}

/// A writer that counts and hashes what goes through it: the manifest's size and
/// SHA-256 of a file written once, as it is written.
struct Tally<W> {
    inner: W,
    hash: Sha256,
    len: u64,
}

impl<W: Write> Tally<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            hash: Sha256::new(),
            len: 0,
        }
    }

    fn listed(self, name: &str) -> (String, u64, String) {
        (name.to_owned(), self.len, hex::encode(self.hash.finalize()))
    }
}

impl<W: Write> Write for Tally<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn io_err(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("writing the bundle: {e}"))
}

fn csv_io(e: csv::Error) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// A value as a person reads it in a cell: text as is, nothing for null.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// An outbox row's JSON with the links that act for the person cut in its texts.
fn cut_links(text: &str) -> std::io::Result<String> {
    let mut row: Map<String, Value> = serde_json::from_str(text).map_err(std::io::Error::other)?;
    for v in row.values_mut() {
        if let Value::String(s) = v {
            *s = crate::mail::mask_person_links(s);
        }
    }
    serde_json::to_string(&row).map_err(std::io::Error::other)
}

/// A role as a person reads it.
fn role_label(r: Role, fr: bool) -> &'static str {
    r.label(fr)
}

/// A kind of record, titled for a person (the registry's own words otherwise).
pub(crate) fn table_title(table: &str, fr: bool) -> Option<&'static str> {
    Some(match (table, fr) {
        ("contact", true) => "Votre fiche",
        ("contact", false) => "Your record",
        ("customer_order", true) => "Vos commandes",
        ("customer_order", false) => "Your orders",
        ("contact_term", true) => "Les mots par lesquels notre équipe vous retrouve (recherche)",
        ("contact_term", false) => "The words our staff find you by (search)",
        ("activity", true) => "Vos visites et lectures de nos emails",
        ("activity", false) => "Your visits and reads of our emails",
        ("contract", true) => "Vos contrats",
        ("contract", false) => "Your contracts",
        ("audit_entry", true) => "Qui a consulté ou modifié vos données",
        ("audit_entry", false) => "Who read or changed your data",
        ("consent_event", true) => "L'historique de vos consentements",
        ("consent_event", false) => "The history of your consents",
        ("consent_state", true) => "Vos consentements aujourd'hui",
        ("consent_state", false) => "Your consents today",
        ("outbox", true) => "Les emails que nous vous avons envoyés",
        ("outbox", false) => "The emails we sent you",
        ("campaign_recipient", true) => "Les campagnes qui vous ont été envoyées",
        ("campaign_recipient", false) => "The campaigns sent to you",
        ("subject_request", true) => "Vos demandes",
        ("subject_request", false) => "Your requests",
        ("request_event", true) => "Le suivi de vos demandes",
        ("request_event", false) => "The steps of your requests",
        ("portal_link", true) => "Vos liens de connexion à l'espace confidentialité",
        ("portal_link", false) => "Your sign-in links to your privacy space",
        ("portal_session", true) => "Vos sessions dans l'espace confidentialité",
        ("portal_session", false) => "Your sessions in your privacy space",
        ("portal_account", true) => "Votre compte de l'espace confidentialité",
        ("portal_account", false) => "Your privacy space account",
        _ => return None,
    })
}

/// A lawful basis in words a person reads (Art. 6(1)).
pub(crate) fn basis_label(b: candor_domain::catalogue::LawfulBasis, fr: bool) -> &'static str {
    use candor_domain::catalogue::LawfulBasis as B;
    match (b, fr) {
        (B::Consent, true) => "Votre consentement",
        (B::Consent, false) => "Your consent",
        (B::Contract, true) => "L'exécution d'un contrat avec vous",
        (B::Contract, false) => "A contract with you",
        (B::LegalObligation, true) => "Une obligation légale",
        (B::LegalObligation, false) => "A legal obligation",
        (B::VitalInterests, true) => "La sauvegarde d'intérêts vitaux",
        (B::VitalInterests, false) => "Vital interests",
        (B::PublicTask, true) => "Une mission d'intérêt public",
        (B::PublicTask, false) => "A task in the public interest",
        (B::LegitimateInterests, true) => "Notre intérêt légitime",
        (B::LegitimateInterests, false) => "Our legitimate interests",
    }
}

/// vCard text escaping (RFC 6350 §3.4).
fn vesc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace(';', "\\;")
        .replace('\n', "\\n")
}

fn vcard(contact: &Map<String, Value>) -> String {
    let f = |k: &str| contact.get(k).and_then(Value::as_str).unwrap_or_default();
    let mut v = String::from("BEGIN:VCARD\r\nVERSION:4.0\r\n");
    let full = format!("{} {}", f("first_name"), f("last_name"));
    v += &format!("FN:{}\r\n", vesc(full.trim()));
    v += &format!(
        "N:{};{};;;\r\n",
        vesc(f("last_name")),
        vesc(f("first_name"))
    );
    if !f("email").is_empty() {
        v += &format!("EMAIL:{}\r\n", vesc(f("email")));
    }
    if !f("phone").is_empty() {
        v += &format!("TEL;VALUE=uri:tel:{}\r\n", f("phone"));
    }
    if !(f("address_line").is_empty() && f("city").is_empty()) {
        v += &format!(
            "ADR:;;{};{};;{};{}\r\n",
            vesc(f("address_line")),
            vesc(f("city")),
            vesc(f("postal_code")),
            vesc(f("country"))
        );
    }
    if !f("locale").is_empty() {
        v += &format!("LANG:{}\r\n", f("locale"));
    }
    v + "END:VCARD\r\n"
}

const REPORT_STYLE: &str = "body{font-family:sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;line-height:1.5}\
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border:1px solid #ccc;padding:.3rem;text-align:left;vertical-align:top}\
.wide{overflow-x:auto;max-width:100%}td{overflow-wrap:anywhere}.muted{color:#555}\
@media (max-width:40rem){body{padding:0 .5rem}table{font-size:.8rem}}";

/// One row of a kind of record in the report; staff who accessed the data are named
/// by their role, never by name.
fn report_row(
    out: &mut impl Write,
    columns: &[String],
    row: &Map<String, Value>,
    roles: &BTreeMap<String, Role>,
    fr: bool,
) -> std::io::Result<()> {
    out.write_all(b"<tr>")?;
    for c in columns {
        let mut s = row.get(c).map(shown).unwrap_or_default();
        // An actor column, or one inside evidence (`recorded_by`).
        if s.contains("user:") || s.contains("token:") {
            for (name, role) in roles {
                if s.contains(name.as_str()) {
                    let staff = format!(
                        "{} ({})",
                        if fr { "personnel" } else { "staff" },
                        role_label(*role, fr)
                    );
                    s = s.replace(name.as_str(), &staff);
                }
            }
        }
        write!(out, "<td>{}</td>", escape_html(&s))?;
    }
    out.write_all(b"</tr>")
}

impl Candor {
    /// Writes the bundle of a contact into `out` (a file, a buffer); returns its
    /// manifest. Not filtered by any role: it is the person's data. Audited as an
    /// export of every field, by `actor`.
    ///
    /// The person's rows are read once, table by table, as the database yields them:
    /// each CSV goes straight into the zip while `data.json` and `report.html` gather
    /// in temporary files copied in at the end, so the memory used does not grow with
    /// the number of records; each file is hashed as it is written.
    pub async fn write_bundle<W: Write + Seek + Send>(
        &self,
        actor: &Actor,
        subject: Uuid,
        out: W,
        endpoint: &str,
    ) -> Result<Manifest, AppError> {
        let c = self
            .store
            .contacts()
            .get(subject)
            .await?
            .ok_or(AppError::NotFound { what: "contact" })?;
        let contact: Map<String, Value> = std::iter::once(("id".to_owned(), json!(c.id)))
            .chain(c.field_values())
            .collect();
        let roles = self.actor_roles().await?;
        let fr = c.data.locale == Locale::Fr;
        let generated_at = candor_domain::contact::rfc3339(self.now());
        let mut zip = zip::ZipWriter::new(out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(true);
        let spill = || -> Result<_, AppError> {
            Ok(Tally::new(std::io::BufWriter::new(
                tempfile::tempfile().map_err(io_err)?,
            )))
        };
        let mut data = spill()?;
        let mut report = spill()?;
        write!(
            data,
            "{{\"format\":{},\"generated_at\":{},\"subject_id\":{},\"contact\":{},\"tables\":{{",
            json!(FORMAT),
            json!(generated_at),
            json!(subject),
            Value::Object(contact.clone())
        )
        .map_err(io_err)?;
        self.report_head(&mut report, fr, &contact, &generated_at)
            .map_err(io_err)?;
        let mut csvs = Vec::with_capacity(SUBJECT_TABLES.len());
        for (i, t) in SUBJECT_TABLES.iter().enumerate() {
            let name = format!("csv/{}.csv", t.table);
            write!(
                data,
                "{}{}:[",
                if i == 0 { "" } else { "," },
                json!(t.table)
            )
            .map_err(io_err)?;
            write!(
                report,
                "<h2>{}</h2><p class=\"muted\">{}</p><div class=\"wide\"><table>",
                escape_html(table_title(t.table, fr).unwrap_or(t.table)),
                escape_html(t.holds),
            )
            .map_err(io_err)?;
            zip.start_file(name.as_str(), opts).map_err(io_err)?;
            let mut csv = csv::Writer::from_writer(Tally::new(&mut zip));
            let mut columns: Option<Vec<String>> = None;
            let n = self
                .store
                .subjects()
                .each_row(subject, t.table, &mut |text| {
                    // The emails' links that act for the person (a sign-in link among
                    // them) are cut: staff hand bundles over, and a copy must not sign
                    // anyone in.
                    let cut;
                    let text = if t.table == "outbox" {
                        cut = cut_links(text)?;
                        cut.as_str()
                    } else {
                        text
                    };
                    let row: Map<String, Value> =
                        serde_json::from_str(text).map_err(std::io::Error::other)?;
                    let first = columns.is_none();
                    if !first {
                        data.write_all(b",")?;
                    }
                    data.write_all(text.as_bytes())?;
                    let cols = columns.get_or_insert_with(|| row.keys().cloned().collect());
                    if first {
                        csv.write_record(cols.iter()).map_err(csv_io)?;
                        report.write_all(b"<tr>")?;
                        for c in cols.iter() {
                            write!(report, "<th>{}</th>", escape_html(c))?;
                        }
                        report.write_all(b"</tr>")?;
                    }
                    csv.write_record(
                        cols.iter()
                            .map(|c| row.get(c).map(cell).unwrap_or_default()),
                    )
                    .map_err(csv_io)?;
                    report_row(&mut report, cols, &row, &roles, fr)
                })
                .await?;
            let tally = csv.into_inner().map_err(io_err)?;
            csvs.push(tally.listed(&name));
            data.write_all(b"]").map_err(io_err)?;
            write!(
                report,
                "</table></div><p class=\"muted\">{n} {}</p>",
                if fr { "enregistrement(s)" } else { "record(s)" }
            )
            .map_err(io_err)?;
        }
        data.write_all(b"}}").map_err(io_err)?;
        write!(
            report,
            "<p class=\"muted\">{} {}</p></body></html>",
            if fr {
                "Questions, rectification, effacement : écrivez à notre délégué à la protection des données,"
            } else {
                "Questions, corrections, erasure: write to our data protection officer,"
            },
            escape_html(&self.settings.dpo_contact)
        )
        .map_err(io_err)?;

        let mut listed = Vec::with_capacity(csvs.len() + 3);
        for (name, spilled) in [("report.html", report), ("data.json", data)] {
            let Tally { inner, hash, len } = spilled;
            let mut file = inner.into_inner().map_err(io_err)?;
            file.seek(std::io::SeekFrom::Start(0)).map_err(io_err)?;
            zip.start_file(name, opts).map_err(io_err)?;
            std::io::copy(&mut file, &mut zip).map_err(io_err)?;
            listed.push((name.to_owned(), len, hex::encode(hash.finalize())));
        }
        let vcf = vcard(&contact);
        zip.start_file("contact.vcf", opts).map_err(io_err)?;
        zip.write_all(vcf.as_bytes()).map_err(io_err)?;
        listed.push((
            "contact.vcf".to_owned(),
            vcf.len() as u64,
            hex::encode(Sha256::digest(vcf.as_bytes())),
        ));
        listed.extend(csvs);
        let signed = self
            .receipt_keys
            .sign(json!({
                "type": "candor/bundle-manifest/v1",
                "subject_id": subject,
                "generated_at": generated_at,
                "files": listed.iter().map(|(n, s, h)| json!({"name": n, "size": s, "sha256": h})).collect::<Vec<_>>(),
            }))
            .map_err(AppError::Internal)?;
        zip.start_file("manifest.json", opts).map_err(io_err)?;
        zip.write_all(signed.file.as_bytes()).map_err(io_err)?;
        zip.finish().map_err(io_err)?;
        let fields: Vec<String> = contact.keys().filter(|k| *k != "id").cloned().collect();
        let access = self.access(actor, subject, AuditAction::Export, fields, endpoint);
        self.store.audit().append(vec![access]).await?;
        Ok(Manifest {
            files: listed,
            signed: signed.file,
        })
    }

    /// Audit actor names to the role they had: staff accounts and API tokens.
    async fn actor_roles(&self) -> Result<BTreeMap<String, Role>, AppError> {
        let mut out = BTreeMap::new();
        for u in self.store.staff().list().await? {
            out.insert(format!("user:{}", u.id), u.role);
        }
        for t in self.store.tokens().list().await? {
            out.insert(format!("token:{}", t.id), t.role);
        }
        Ok(out)
    }

    /// The report's beginning: the person's fields, each with its purpose, lawful
    /// basis, retention and who may see it and why (from the catalogue).
    fn report_head(
        &self,
        h: &mut impl Write,
        fr: bool,
        contact: &Map<String, Value>,
        generated_at: &str,
    ) -> std::io::Result<()> {
        let w = |en: &'static str, f: &'static str| if fr { f } else { en };
        let cat = self.catalogue();
        let pick =
            |t: &candor_domain::catalogue::Text| if fr { t.fr.clone() } else { t.en.clone() };
        let org = escape_html(&self.settings.organisation);
        let title = w("Your data held by ", "Vos données détenues par ");
        write!(
            h,
            "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title}{org}</title><style>{REPORT_STYLE}</style></head><body>\
             <h1>{title}{org}</h1><p class=\"muted\">{} {}</p>",
            if fr { "fr" } else { "en" },
            w("Generated on", "Établi le"),
            escape_html(generated_at)
        )?;
        write!(
            h,
            "<h2>{}</h2><div class=\"wide\"><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            w("What we hold on you", "Ce que nous détenons sur vous"),
            w("Item", "Donnée"),
            w("Value", "Valeur"),
            w("Why we keep it", "Pourquoi nous la gardons"),
            w("Lawful basis", "Base légale"),
            w("How long", "Durée de conservation"),
            w("Who may see it, and why", "Qui peut la voir, et pourquoi")
        )?;
        for (key, value) in contact.iter().filter(|(k, _)| *k != "id") {
            let Some(def) = cat.field(Entity::Contact, key) else {
                continue;
            };
            let who: Vec<String> = Role::ALL
                .iter()
                .filter_map(|r| {
                    def.access
                        .get(r)
                        .map(|a| format!("{} : {}", role_label(*r, fr), pick(&a.why)))
                })
                .collect();
            write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape_html(&pick(&def.label)),
                escape_html(&shown(value)),
                escape_html(&pick(&def.why)),
                basis_label(def.basis, fr),
                escape_html(&pick(&def.retention)),
                escape_html(&who.join(" ; "))
            )?;
        }
        h.write_all(b"</table></div>")
    }
}
