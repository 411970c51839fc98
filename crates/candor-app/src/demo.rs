//! Realistic generated data: French and English people, companies with valid SIRETs,
//! B2B and B2C contacts, orders and web visits. Deterministic for a given seed.

use crate::{AppError, Candor};
use candor_domain::company::{luhn_check_digit, Company, CompanyName, Siret};
use candor_domain::consent::{grant_outcome, Action, Channel, ConsentDraft, Evidence, Source};
use candor_domain::contact::{Contact, ContactData, ContactKind};
use candor_domain::contract::{Contract, ContractStatus, Party};
use candor_domain::personal::{
    AddressLine, City, CountryCode, Email, Locale, Notes, PersonName, Phone, PostalCode,
};
use candor_store::{ActivityRecord, OrderRecord};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

const FR_FIRST: &[&str] = &[
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Jade",
    "Louise",
    "Zoé",
    "Élodie",
    "Margaux",
    "Lucas",
    "Hugo",
    "Louis",
    "Gabriel",
    "Arthur",
    "Jules",
    "Théo",
    "Raphaël",
    "Mathis",
    "Noé",
    "Céline",
    "Hélène",
    "Amélie",
    "Aurélie",
    "Françoise",
    "Benoît",
    "François",
    "Jérôme",
];
const FR_LAST: &[&str] = &[
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont", "Lambert",
];
const EN_FIRST: &[&str] = &[
    "Oliver", "George", "Harry", "Jack", "Charlie", "Amelia", "Olivia", "Isla", "Ava", "Emily",
    "Sophie", "Grace", "James", "William", "Thomas", "Lily", "Freya", "Henry", "Alfie", "Ruby",
];
const EN_LAST: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
];
const FR_CITIES: &[(&str, &str)] = &[
    ("Paris", "75011"),
    ("Lyon", "69003"),
    ("Marseille", "13001"),
    ("Lille", "59000"),
    ("Bordeaux", "33000"),
    ("Nantes", "44000"),
    ("Toulouse", "31000"),
    ("Strasbourg", "67000"),
    ("Rennes", "35000"),
    ("Grenoble", "38000"),
];
const GB_CITIES: &[(&str, &str)] = &[
    ("London", "EC1A 1BB"),
    ("Manchester", "M1 1AE"),
    ("Bristol", "BS1 4DJ"),
    ("Leeds", "LS1 4AP"),
];
const STREETS: &[&str] = &[
    "rue de la République",
    "avenue Jean Jaurès",
    "boulevard Voltaire",
    "rue Victor Hugo",
    "place de la Mairie",
    "rue des Lilas",
    "chemin des Vignes",
    "quai de la Loire",
];
const COMPANY_WORDS: &[&str] = &[
    "Atelier",
    "Groupe",
    "Maison",
    "Studio",
    "Conseil",
    "Logistique",
    "Bureau",
    "Solutions",
    "Industries",
    "Services",
    "Distribution",
    "Ingénierie",
];
const COMPANY_SUFFIX: &[&str] = &["SAS", "SARL", "SA", "SASU"];
const NOTES: &[&str] = &[
    "Rencontré au salon de Lyon, souhaite une démonstration.",
    "Rappeler après la clôture budgétaire.",
    "Prefers email over phone calls.",
    "Intéressée par l'offre Pro, devis envoyé.",
    "Asked for the English version of the brochure.",
];
const PAGES: &[&str] = &[
    "/",
    "/tarifs",
    "/produits",
    "/blog/rgpd-crm",
    "/contact",
    "/en/pricing",
];
const DOMAINS: &[&str] = &["example.com", "example.fr", "example.org", "exemple.fr"];

/// What one run generated.
#[derive(Debug, Default, Clone, Copy)]
pub struct DemoCounts {
    pub companies: u64,
    pub contacts: u64,
    pub orders: u64,
    pub visits: u64,
    pub consents: u64,
    pub contracts: u64,
}

fn pick<'a>(rng: &mut StdRng, xs: &[&'a str]) -> &'a str {
    xs[rng.gen_range(0..xs.len())]
}

/// Lower-case ASCII for an email's local part: "Élodie" → "elodie".
fn ascii_slug(s: &str) -> String {
    candor_domain::lexicon::fold(s)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

fn siret(rng: &mut StdRng) -> Siret {
    loop {
        let body: String = (0..13)
            .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
            .collect();
        if body.starts_with("356000000") || body.starts_with('0') {
            continue;
        }
        let full = format!("{body}{}", luhn_check_digit(&body));
        return Siret::parse("siret", &full).expect("a Luhn-completed SIRET is valid");
    }
}

fn company(rng: &mut StdRng, now: OffsetDateTime, n: u64) -> Company {
    let (city, postal) = FR_CITIES[rng.gen_range(0..FR_CITIES.len())];
    let name = format!(
        "{} {} {}",
        pick(rng, COMPANY_WORDS),
        pick(rng, FR_LAST),
        pick(rng, COMPANY_SUFFIX)
    );
    let created = now - Duration::days(rng.gen_range(30..2000));
    Company {
        id: Uuid::now_v7(),
        name: CompanyName::parse("name", &name).expect("generated names are valid"),
        siret: Some(siret(rng)),
        country: CountryCode::from_stored("FR".into()),
        address_line: Some(AddressLine::from_stored(format!(
            "{} {}",
            1 + n % 120,
            pick(rng, STREETS)
        ))),
        postal_code: Some(PostalCode::from_stored(postal.into())),
        city: Some(City::from_stored(city.into())),
        created_at: created,
        updated_at: created,
    }
}

fn contact(rng: &mut StdRng, now: OffsetDateTime, n: u64, company: Option<Uuid>) -> Contact {
    let english = rng.gen_bool(0.25);
    let (first, last) = if english {
        (pick(rng, EN_FIRST), pick(rng, EN_LAST))
    } else {
        (pick(rng, FR_FIRST), pick(rng, FR_LAST))
    };
    let email = format!(
        "{}.{}{}@{}",
        ascii_slug(first),
        ascii_slug(last),
        n,
        pick(rng, DOMAINS)
    );
    let phone = if english {
        format!("+44207946{:04}", rng.gen_range(0..1000))
    } else {
        format!(
            "+336{}{:07}",
            [1, 2, 4, 5, 6, 7, 8][rng.gen_range(0..7)],
            rng.gen_range(0..10_000_000u32)
        )
    };
    let (city, postal, country) = if english {
        let (c, p) = GB_CITIES[rng.gen_range(0..GB_CITIES.len())];
        (c, p, "GB")
    } else {
        let (c, p) = FR_CITIES[rng.gen_range(0..FR_CITIES.len())];
        (c, p, "FR")
    };
    let created =
        now - Duration::days(rng.gen_range(1..1100)) - Duration::seconds(rng.gen_range(0..86_400));
    let subscribed = rng
        .gen_bool(0.4)
        .then(|| created + Duration::days(rng.gen_range(0..30)));
    let data = ContactData {
        kind: if company.is_some() {
            ContactKind::B2b
        } else {
            ContactKind::B2c
        },
        company_id: company,
        first_name: Some(PersonName::from_stored(first.into())),
        last_name: PersonName::from_stored(last.into()),
        email: Some(Email::from_stored(email)),
        phone: rng.gen_bool(0.8).then(|| Phone::from_stored(phone)),
        locale: if english { Locale::En } else { Locale::Fr },
        address_line: Some(AddressLine::from_stored(format!(
            "{} {}",
            1 + n % 150,
            pick(rng, STREETS)
        ))),
        postal_code: Some(PostalCode::from_stored(postal.into())),
        city: Some(City::from_stored(city.into())),
        country: Some(CountryCode::from_stored(country.into())),
        notes: rng
            .gen_bool(0.2)
            .then(|| Notes::from_stored(pick(rng, NOTES).into())),
        custom: BTreeMap::new(),
    };
    Contact {
        id: Uuid::now_v7(),
        data,
        created_at: created,
        updated_at: created,
        newsletter_subscribed_at: subscribed,
        newsletter_open_rate: subscribed.map(|_| (rng.gen_range(0..=100) as f64) / 100.0),
    }
}

/// A contract with a person or a company: mostly running, some ended.
fn contract(rng: &mut StdRng, party: Party, now: OffsetDateTime, n: u64) -> Contract {
    let starts = now.date() - Duration::days(rng.gen_range(30..1500));
    let ended = rng.gen_bool(0.2);
    let ends_on = if ended {
        Some(now.date() - Duration::days(rng.gen_range(1..30)))
    } else if rng.gen_bool(0.5) {
        Some(now.date() + Duration::days(rng.gen_range(10..700)))
    } else {
        None
    };
    Contract {
        id: Uuid::now_v7(),
        party,
        reference: format!("CT-{}-{n:06}", starts.year()),
        status: if ended {
            ContractStatus::Ended
        } else {
            ContractStatus::Active
        },
        starts_on: starts,
        ends_on: ends_on.map(|e| e.max(starts)),
        created_at: now,
        updated_at: now,
    }
}

/// A person's consent ledger: the newsletter opt-ins the demo data says they gave
/// (confirmed by double opt-in for B2C), some later withdrawn, marketing opt-ins given
/// at trade shows with a signed form, and a few global opt-outs.
fn consents(rng: &mut StdRng, c: &Contact, now: OffsetDateTime) -> Vec<ConsentDraft> {
    let mut out = Vec::new();
    let draft = |purpose: &str,
                 action: Action,
                 pending: Option<candor_domain::consent::Pending>,
                 source: Source,
                 evidence: Evidence,
                 at: OffsetDateTime| ConsentDraft {
        subject_id: c.id,
        purpose: purpose.into(),
        channel: Channel::Email,
        action,
        pending,
        source,
        evidence,
        at: candor_domain::clock::to_micros(at.min(now)),
    };
    if let Some(at) = c.newsletter_subscribed_at {
        let ev = Evidence {
            form_id: Some("newsletter-footer".into()),
            wording: Some(WORDING.into()),
            ip: Some(format!("198.51.100.{}", rng.gen_range(1..255))),
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0".into()),
            ..Default::default()
        };
        let pending = grant_outcome(c.data.kind, Source::WebForm, &ev);
        out.push(draft(
            "newsletter",
            Action::Grant,
            pending,
            Source::WebForm,
            ev,
            at,
        ));
        if pending.is_some() {
            out.push(draft(
                "newsletter",
                Action::Confirm,
                None,
                Source::EmailLink,
                Evidence::default(),
                at + Duration::minutes(3),
            ));
        }
        if rng.gen_bool(0.1) {
            let later = at + Duration::days(rng.gen_range(1..200));
            out.push(draft(
                "newsletter",
                Action::Withdraw,
                None,
                Source::EmailLink,
                Evidence::default(),
                later,
            ));
        }
    }
    if rng.gen_bool(0.25) {
        let at = c.created_at + Duration::days(rng.gen_range(0..60));
        let ev = Evidence {
            document_ref: Some(format!(
                "SALON-{}-{:04}",
                at.year(),
                rng.gen_range(0..10_000)
            )),
            ..Default::default()
        };
        let pending = grant_outcome(c.data.kind, Source::Event, &ev);
        out.push(draft(
            "marketing",
            Action::Grant,
            pending,
            Source::Event,
            ev,
            at,
        ));
        if pending.is_some() && rng.gen_bool(0.7) {
            out.push(draft(
                "marketing",
                Action::Confirm,
                None,
                Source::EmailLink,
                Evidence::default(),
                at + Duration::days(1),
            ));
        }
    }
    if rng.gen_bool(0.03) {
        let at = now - Duration::days(rng.gen_range(1..90));
        out.push(draft(
            candor_domain::communication::ALL_PURPOSES,
            Action::Withdraw,
            None,
            Source::Phone,
            Evidence {
                note: Some("asked on the phone to receive nothing more".into()),
                ..Default::default()
            },
            at,
        ));
    }
    out.sort_by_key(|d| d.at);
    out
}

fn orders(rng: &mut StdRng, c: &Contact, now: OffsetDateTime) -> Vec<OrderRecord> {
    let n = if rng.gen_bool(0.3) {
        rng.gen_range(1..=3)
    } else {
        0
    };
    (0..n)
        .map(|_| {
            let qty = rng.gen_range(1..=5i64);
            let unit = rng.gen_range(990..=49_900i64);
            let span = (now - c.created_at).whole_days().max(1);
            OrderRecord {
                id: Uuid::now_v7(),
                contact_id: c.id,
                ordered_at: c.created_at + Duration::days(rng.gen_range(0..span)),
                currency: "EUR".into(),
                total_cents: qty * unit,
                lines: serde_json::json!([{ "sku": format!("SKU-{:04}", rng.gen_range(1..500)), "quantity": qty, "unit_cents": unit }]),
            }
        })
        .collect()
}

fn visits(rng: &mut StdRng, c: &Contact, now: OffsetDateTime) -> Vec<ActivityRecord> {
    let n = if rng.gen_bool(0.5) {
        rng.gen_range(1..=4)
    } else {
        0
    };
    (0..n)
        .map(|_| {
            let span = (now - c.created_at).whole_minutes().max(1);
            ActivityRecord {
                id: Uuid::now_v7(),
                contact_id: c.id,
                kind: "web_visit".into(),
                at: c.created_at + Duration::minutes(rng.gen_range(0..span)),
                detail: pick(rng, PAGES).into(),
            }
        })
        .collect()
}

impl Candor {
    /// Generates `contacts` contacts (about 60% B2B, one company per five of them) in
    /// batched transactions, calling `progress` with the number done after each batch.
    pub async fn generate_demo(
        &self,
        contacts: u64,
        seed: u64,
        progress: &mut dyn FnMut(u64),
    ) -> Result<DemoCounts, AppError> {
        const BATCH: u64 = 2000;
        let mut rng = StdRng::seed_from_u64(seed);
        let now = self.now();
        let offset = self.store.contacts().count().await? as u64;
        let mut counts = DemoCounts::default();
        let mut companies_pool: Vec<Uuid> = Vec::new();
        let mut done = 0;
        while done < contacts {
            let n = BATCH.min(contacts - done);
            let (mut cos, mut cts, mut ords, mut acts) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            let (mut drafts, mut contracts) = (Vec::new(), Vec::new());
            for i in 0..n {
                let serial = offset + done + i;
                let company = if rng.gen_bool(0.6) {
                    if companies_pool.is_empty() || rng.gen_bool(0.2) {
                        let co = company(&mut rng, now, serial);
                        companies_pool.push(co.id);
                        cos.push(co);
                    }
                    Some(companies_pool[rng.gen_range(0..companies_pool.len())])
                } else {
                    None
                };
                let c = contact(&mut rng, now, serial, company);
                ords.extend(orders(&mut rng, &c, now));
                acts.extend(visits(&mut rng, &c, now));
                drafts.extend(consents(&mut rng, &c, now));
                if c.data.kind == ContactKind::B2c && rng.gen_bool(0.3) {
                    contracts.push(contract(&mut rng, Party::Contact(c.id), now, serial));
                }
                let hash = c
                    .data
                    .email
                    .as_ref()
                    .map(|e| self.keys.email_hash(e.as_str()));
                cts.push((c, hash));
            }
            for co in &cos {
                if rng.gen_bool(0.5) {
                    contracts.push(contract(&mut rng, Party::Company(co.id), now, done));
                }
            }
            // Companies, then people with their consent ledgers, then what refers to them.
            self.store.demo().insert_batch(&cos, &[], &[], &[]).await?;
            counts.consents += drafts.len() as u64;
            let people = candor_store::ImportBatch {
                created: cts,
                consents: drafts,
                ..Default::default()
            };
            self.store
                .bench()
                .write_raw(&candor_store::Store::import_rows(people))
                .await?;
            self.store
                .bench()
                .write_raw(&[candor_store::contract_rows(&contracts)])
                .await?;
            self.store
                .demo()
                .insert_batch(&[], &[], &ords, &acts)
                .await?;
            counts.companies += cos.len() as u64;
            counts.contacts += n;
            counts.orders += ords.len() as u64;
            counts.visits += acts.len() as u64;
            counts.contracts += contracts.len() as u64;
            done += n;
            progress(done);
        }
        Ok(counts)
    }
}

/// The header of the demo import file: Candor's own columns and consent evidence.
pub const IMPORT_HEADER: &[&str] = &[
    "kind",
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
    "consent_purposes",
    "consent_date",
    "consent_wording",
    "consent_ip",
    "consent_confirmed_at",
];

const WORDING: &str = "J'accepte de recevoir la lettre d'information par email.";

/// One person of the demo import file: B2C, with a newsletter opt-in confirmed by
/// double opt-in five minutes later. `bad` rows carry a phone number no parser accepts.
struct ImportPerson {
    contact: Contact,
    opt_in: OffsetDateTime,
    ip: String,
    bad: bool,
}

/// The people of the demo import file, in order; the same seed and `now` give the
/// same people, so the benchmark's baseline can write exactly the file's good rows.
fn import_people(
    n: u64,
    seed: u64,
    now: OffsetDateTime,
    bad_every: u64,
) -> impl Iterator<Item = ImportPerson> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(move |i| {
        let contact = contact(&mut rng, now, i, None);
        let opt_in = contact.created_at;
        let ip = format!("198.51.100.{}", rng.gen_range(1..255));
        ImportPerson {
            contact,
            opt_in,
            ip,
            bad: bad_every > 0 && i % bad_every == bad_every - 1,
        }
    })
}

fn ymd_hms(t: OffsetDateTime) -> String {
    format!(
        "{} {:02}:{:02}:{:02}",
        t.date(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Writes `n` demo people as a CSV file in Candor's import format; one row in
/// `bad_every` (0: none) has an invalid phone number.
pub fn write_import_csv(
    out: impl std::io::Write,
    n: u64,
    seed: u64,
    now: OffsetDateTime,
    bad_every: u64,
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(IMPORT_HEADER)?;
    for p in import_people(n, seed, now, bad_every) {
        let d = &p.contact.data;
        let opt = |v: Option<&str>| v.unwrap_or("").to_owned();
        w.write_record([
            "b2c".to_owned(),
            opt(d.first_name.as_ref().map(PersonName::as_str)),
            d.last_name.as_str().to_owned(),
            opt(d.email.as_ref().map(Email::as_str)),
            if p.bad {
                "12".to_owned()
            } else {
                opt(d.phone.as_ref().map(Phone::as_str))
            },
            d.locale.as_str().to_owned(),
            opt(d.address_line.as_ref().map(AddressLine::as_str)),
            opt(d.postal_code.as_ref().map(PostalCode::as_str)),
            opt(d.city.as_ref().map(City::as_str)),
            opt(d.country.as_ref().map(CountryCode::as_str)),
            opt(d.notes.as_ref().map(Notes::as_str)),
            "newsletter".to_owned(),
            ymd_hms(p.opt_in),
            WORDING.to_owned(),
            p.ip.clone(),
            ymd_hms(p.opt_in + Duration::minutes(5)),
        ])?;
    }
    w.flush()?;
    Ok(())
}

impl Candor {
    /// The batches an import of the demo file writes, built directly (no file, no
    /// parsing, no checks): the raw baseline of `candor bench import`. Same people,
    /// same tables, same rows per person: the contact, two ledger events (opt-in and
    /// confirmation), the consent state and head, the audit entry and head.
    pub fn demo_import_batches(
        &self,
        n: u64,
        seed: u64,
        now: OffsetDateTime,
        bad_every: u64,
        batch: usize,
    ) -> impl Iterator<Item = candor_store::ImportBatch> + '_ {
        use candor_domain::audit::{AccessEvent, AuditAction};
        use candor_domain::consent::{Action, Channel, ConsentDraft, Evidence, Source};
        let mut people = import_people(n, seed, now, bad_every).filter(|p| !p.bad);
        let mut line = 1u64;
        std::iter::from_fn(move || {
            let mut b = candor_store::ImportBatch::default();
            for p in people.by_ref().take(batch) {
                line += 1;
                let mut c = p.contact;
                c.id = Uuid::now_v7();
                c.created_at = now;
                c.updated_at = now;
                c.newsletter_subscribed_at = None;
                c.newsletter_open_rate = None;
                let grant = ConsentDraft {
                    subject_id: c.id,
                    purpose: "newsletter".into(),
                    channel: Channel::Email,
                    action: Action::Grant,
                    pending: Some(candor_domain::consent::Pending::DoubleOptIn),
                    source: Source::Import,
                    evidence: Evidence {
                        wording: Some(WORDING.into()),
                        ip: Some(p.ip.clone()),
                        recorded_by: Some("cli:import:admin".into()),
                        note: Some(format!("imported from demo.csv line {line}")),
                        ..Default::default()
                    },
                    at: candor_domain::clock::to_micros(p.opt_in),
                };
                let confirm = ConsentDraft {
                    action: Action::Confirm,
                    pending: None,
                    evidence: Evidence {
                        note: Some(format!("double opt-in confirmed in the earlier tool; imported from demo.csv line {line}")),
                        recorded_by: Some("cli:import:admin".into()),
                        ..Default::default()
                    },
                    at: grant.at + Duration::minutes(5),
                    ..grant.clone()
                };
                b.consents.push(grant);
                b.consents.push(confirm);
                b.audit.push(AccessEvent {
                    subject_id: c.id,
                    actor: "cli:import:admin".into(),
                    action: AuditAction::Create,
                    fields: IMPORT_HEADER[..11]
                        .iter()
                        .map(|f| (*f).to_owned())
                        .collect(),
                    endpoint: "candor import contacts".into(),
                    at: now,
                });
                let hash = c
                    .data
                    .email
                    .as_ref()
                    .map(|e| self.keys.email_hash(e.as_str()));
                b.created.push((c, hash));
            }
            (!b.created.is_empty()).then_some(b)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_people_pass_the_same_parsers_as_the_api() {
        let mut rng = StdRng::seed_from_u64(7);
        let now = time::macros::datetime!(2026-06-01 12:00 UTC);
        for n in 0..300 {
            let co = company(&mut rng, now, n);
            Siret::parse("siret", co.siret.as_ref().unwrap().as_str()).unwrap();
            let c = contact(&mut rng, now, n, (n % 2 == 0).then_some(co.id));
            let d = &c.data;
            Email::parse("email", d.email.as_ref().unwrap().as_str()).unwrap();
            if let Some(p) = &d.phone {
                assert_eq!(
                    Phone::parse("phone", p.as_str())
                        .map_err(|_| p.as_str().to_owned())
                        .unwrap()
                        .as_str(),
                    p.as_str()
                );
            }
            let country = d.country.clone();
            PostalCode::parse(
                "postal_code",
                d.postal_code.as_ref().unwrap().as_str(),
                country.as_ref(),
            )
            .unwrap();
            PersonName::parse("last_name", d.last_name.as_str()).unwrap();
            if let Some(notes) = &d.notes {
                candor_domain::lexicon::Lexicon::default_french_english()
                    .refuse_special_categories("notes", notes.as_str())
                    .unwrap();
            }
        }
    }
}
