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

fn csv_of(rows: &[Value]) -> Result<Vec<u8>, AppError> {
    let mut columns: Vec<String> = Vec::new();
    for r in rows {
        for k in r.as_object().into_iter().flat_map(|o| o.keys()) {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| AppError::Internal(e.to_string());
    w.write_record(&columns).map_err(io)?;
    for r in rows {
        w.write_record(columns.iter().map(|c| cell(&r[c])))
            .map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// A lawful basis in words a person reads (Art. 6(1)).
fn basis_label(b: candor_domain::catalogue::LawfulBasis, fr: bool) -> &'static str {
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

impl Candor {
    /// Writes the bundle of a contact into `out` (a file, a buffer); returns its
    /// manifest. Not filtered by any role: it is the person's data. Audited as an
    /// export of every field, by `actor`.
    pub async fn write_bundle<W: Write + Seek>(
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
        let tables = self.store.subjects().rows(subject).await?;
        let data = json!({
            "format": FORMAT,
            "generated_at": candor_domain::contact::rfc3339(self.now()),
            "subject_id": subject,
            "contact": contact,
            "tables": tables.iter().map(|(t, rows)| ((*t).to_owned(), Value::Array(rows.clone()))).collect::<Map<_, _>>(),
        });
        let roles = self.actor_roles().await?;
        let mut files: Vec<(String, Vec<u8>)> = vec![
            (
                "report.html".into(),
                self.report(&c.data.locale, &contact, &tables, &roles)
                    .into_bytes(),
            ),
            (
                "data.json".into(),
                serde_json::to_vec(&data).map_err(|e| AppError::Internal(e.to_string()))?,
            ),
            ("contact.vcf".into(), vcard(&contact).into_bytes()),
        ];
        for (t, rows) in &tables {
            files.push((format!("csv/{t}.csv"), csv_of(rows)?));
        }
        let listed: Vec<(String, u64, String)> = files
            .iter()
            .map(|(n, b)| (n.clone(), b.len() as u64, hex::encode(Sha256::digest(b))))
            .collect();
        let signed = self
            .receipt_keys
            .sign(json!({
                "type": "candor/bundle-manifest/v1",
                "subject_id": subject,
                "generated_at": data["generated_at"],
                "files": listed.iter().map(|(n, s, h)| json!({"name": n, "size": s, "sha256": h})).collect::<Vec<_>>(),
            }))
            .map_err(AppError::Internal)?;
        files.push(("manifest.json".into(), signed.file.clone().into_bytes()));
        let mut zip = zip::ZipWriter::new(out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let io = |e: zip::result::ZipError| AppError::Internal(format!("writing the bundle: {e}"));
        for (name, bytes) in &files {
            zip.start_file(name.as_str(), opts).map_err(io)?;
            zip.write_all(bytes)
                .map_err(|e| AppError::Internal(format!("writing the bundle: {e}")))?;
        }
        zip.finish().map_err(io)?;
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

    fn report(
        &self,
        locale: &Locale,
        contact: &Map<String, Value>,
        tables: &[(&'static str, Vec<Value>)],
        roles: &BTreeMap<String, Role>,
    ) -> String {
        let fr = *locale == Locale::Fr;
        let w = |en: &'static str, f: &'static str| if fr { f } else { en };
        let cat = self.catalogue();
        let pick =
            |t: &candor_domain::catalogue::Text| if fr { t.fr.clone() } else { t.en.clone() };
        let mut h = format!(
            "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title>\
             <style>body{{font-family:sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;line-height:1.5}}\
             table{{border-collapse:collapse;width:100%;font-size:.9rem}}td,th{{border:1px solid #ccc;padding:.3rem;text-align:left;vertical-align:top}}\
             .muted{{color:#555}}</style></head><body>",
            if fr { "fr" } else { "en" },
            w("Your data held by ", "Vos données détenues par ").to_owned() + &escape_html(&self.settings.organisation)
        );
        h += &format!(
            "<h1>{}{}</h1><p class=\"muted\">{} {}</p>",
            w("Your data held by ", "Vos données détenues par "),
            escape_html(&self.settings.organisation),
            w("Generated on", "Établi le"),
            escape_html(&candor_domain::contact::rfc3339(self.now()))
        );
        h += &format!(
            "<h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            w("What we hold on you", "Ce que nous détenons sur vous"),
            w("Item", "Donnée"),
            w("Value", "Valeur"),
            w("Why we keep it", "Pourquoi nous la gardons"),
            w("Lawful basis", "Base légale"),
            w("How long", "Durée de conservation"),
            w("Who may see it, and why", "Qui peut la voir, et pourquoi")
        );
        for (key, value) in contact.iter().filter(|(k, _)| *k != "id") {
            let Some(def) = cat.field(Entity::Contact, key) else {
                continue;
            };
            let shown = match value {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            let who: Vec<String> = Role::ALL
                .iter()
                .filter_map(|r| {
                    def.access
                        .get(r)
                        .map(|a| format!("{} : {}", r.as_str(), pick(&a.why)))
                })
                .collect();
            h += &format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape_html(&pick(&def.label)),
                escape_html(&shown),
                escape_html(&pick(&def.why)),
                basis_label(def.basis, fr),
                escape_html(&pick(&def.retention)),
                escape_html(&who.join(" ; "))
            );
        }
        h += "</table>";
        for (table, rows) in tables {
            let holds = SUBJECT_TABLES
                .iter()
                .find(|t| t.table == *table)
                .map_or("", |t| t.holds);
            h += &format!(
                "<h2>{}</h2><p class=\"muted\">{} — {} {}</p>",
                escape_html(table),
                escape_html(holds),
                rows.len(),
                w("record(s)", "enregistrement(s)")
            );
            if rows.is_empty() {
                continue;
            }
            let cols: Vec<String> = rows[0]
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            h += "<table><tr>";
            for c in &cols {
                h += &format!("<th>{}</th>", escape_html(c));
            }
            h += "</tr>";
            for r in rows {
                h += "<tr>";
                for c in &cols {
                    let v = &r[c];
                    let mut s = match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    // Who accessed the data: staff are named by their role.
                    if c == "actor" {
                        if let Some(role) = roles.get(&s) {
                            s = format!("{} ({})", w("staff", "personnel"), role.as_str());
                        }
                    }
                    h += &format!("<td>{}</td>", escape_html(&s));
                }
                h += "</tr>";
            }
            h += "</table>";
        }
        h += &format!(
            "<p class=\"muted\">{} {}</p></body></html>",
            w("Questions, corrections, erasure: write to our data protection officer,", "Questions, rectification, effacement : écrivez à notre délégué à la protection des données,"),
            escape_html(&self.settings.dpo_contact)
        );
        h
    }
}
