//! Contacts: a B2B person at a company, or a B2C private person (SPEC C1).

use crate::catalogue::Catalogue;
use crate::error::{FieldError, FieldErrors};
use crate::lexicon::Lexicon;
use crate::personal::{
    AddressLine, City, CountryCode, Email, Locale, Notes, PersonName, Phone, PostalCode,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContactKind {
    B2b,
    B2c,
}

impl ContactKind {
    pub const ALL: &'static [ContactKind] = &[ContactKind::B2b, ContactKind::B2c];

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        match raw.trim().to_lowercase().as_str() {
            "b2b" => Ok(Self::B2b),
            "b2c" => Ok(Self::B2c),
            _ => Err(FieldError::new(
                field,
                "contact_kind",
                "must be `b2b` or `b2c`",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::B2b => "b2b",
            Self::B2c => "b2c",
        }
    }
}

/// What staff can set on a contact.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactData {
    pub kind: ContactKind,
    pub company_id: Option<Uuid>,
    pub first_name: Option<PersonName>,
    pub last_name: PersonName,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub locale: Locale,
    pub address_line: Option<AddressLine>,
    pub postal_code: Option<PostalCode>,
    pub city: Option<City>,
    pub country: Option<CountryCode>,
    pub notes: Option<Notes>,
    /// Values of the organisation's custom fields, by field name.
    pub custom: BTreeMap<String, Value>,
}

#[derive(Debug, Clone)]
pub struct Contact {
    pub id: Uuid,
    pub data: ContactData,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Set by Candor from the consent ledger, never by staff.
    pub newsletter_subscribed_at: Option<OffsetDateTime>,
    /// Set by Candor from tracked opens, never by staff.
    pub newsletter_open_rate: Option<f64>,
}

impl Contact {
    /// Every catalogued value of the contact, by field name; custom fields under `custom.NAME`.
    pub fn field_values(&self) -> Vec<(String, Value)> {
        let d = &self.data;
        let opt = |v: Option<&str>| v.map_or(Value::Null, |s| Value::String(s.to_owned()));
        let ts = |t: Option<OffsetDateTime>| t.map_or(Value::Null, |t| Value::String(rfc3339(t)));
        let mut out: Vec<(String, Value)> = vec![
            ("kind".into(), d.kind.as_str().into()),
            (
                "company_id".into(),
                opt(d.company_id.map(|u| u.to_string()).as_deref()),
            ),
            (
                "first_name".into(),
                opt(d.first_name.as_ref().map(PersonName::as_str)),
            ),
            ("last_name".into(), d.last_name.as_str().into()),
            ("email".into(), opt(d.email.as_ref().map(Email::as_str))),
            ("phone".into(), opt(d.phone.as_ref().map(Phone::as_str))),
            ("locale".into(), d.locale.as_str().into()),
            (
                "address_line".into(),
                opt(d.address_line.as_ref().map(AddressLine::as_str)),
            ),
            (
                "postal_code".into(),
                opt(d.postal_code.as_ref().map(PostalCode::as_str)),
            ),
            ("city".into(), opt(d.city.as_ref().map(City::as_str))),
            (
                "country".into(),
                opt(d.country.as_ref().map(CountryCode::as_str)),
            ),
            ("notes".into(), opt(d.notes.as_ref().map(Notes::as_str))),
            ("created_at".into(), ts(Some(self.created_at))),
            ("updated_at".into(), ts(Some(self.updated_at))),
            (
                "newsletter_subscribed_at".into(),
                ts(self.newsletter_subscribed_at),
            ),
            (
                "newsletter_open_rate".into(),
                self.newsletter_open_rate.map_or(Value::Null, Value::from),
            ),
        ];
        out.extend(
            d.custom
                .iter()
                .map(|(k, v)| (format!("custom.{k}"), v.clone())),
        );
        out
    }
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A requested change: `None` leaves a field alone, `Some(None)` clears it,
/// `Some(Some(v))` sets it. Values are raw text, parsed by [`ContactPatch::apply`].
#[derive(Debug, Clone, Default)]
pub struct ContactPatch {
    pub kind: Option<Option<String>>,
    pub company_id: Option<Option<String>>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub locale: Option<Option<String>>,
    pub address_line: Option<Option<String>>,
    pub postal_code: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub country: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    pub custom: BTreeMap<String, Option<Value>>,
}

type Slot<'a> = (&'static str, &'a Option<Option<String>>);

/// One field of a patch: kept from `old` when absent, cleared by null or blank text,
/// parsed otherwise (a parse error is recorded in `errs`).
pub(crate) fn slot<T>(
    errs: &mut FieldErrors,
    patch: &Option<Option<String>>,
    old: Option<T>,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Option<T> {
    match patch {
        None => old,
        Some(None) => None,
        Some(Some(s)) if s.trim().is_empty() => None,
        Some(Some(s)) => errs.check(parse(s)),
    }
}

impl ContactPatch {
    fn slots(&self) -> [Slot<'_>; 12] {
        [
            ("kind", &self.kind),
            ("company_id", &self.company_id),
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
            ("email", &self.email),
            ("phone", &self.phone),
            ("locale", &self.locale),
            ("address_line", &self.address_line),
            ("postal_code", &self.postal_code),
            ("city", &self.city),
            ("country", &self.country),
            ("notes", &self.notes),
        ]
    }

    /// The catalogue names of the fields this patch touches.
    pub fn fields(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .slots()
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(n, _)| (*n).to_owned())
            .collect();
        out.extend(self.custom.keys().map(|k| format!("custom.{k}")));
        out
    }

    /// Parses every touched field and applies it over `base` (or over nothing, for a
    /// new contact). Collects every error; on error there is nothing to store.
    pub fn apply(
        &self,
        base: Option<&ContactData>,
        catalogue: &Catalogue,
        lexicon: &Lexicon,
    ) -> Result<ContactData, FieldErrors> {
        let mut e = FieldErrors::default();
        let b = base;
        let kind = slot(&mut e, &self.kind, b.map(|d| d.kind), |s| {
            ContactKind::parse("kind", s)
        });
        let company_id = slot(
            &mut e,
            &self.company_id,
            b.and_then(|d| d.company_id),
            |s| {
                Uuid::parse_str(s).map_err(|_| {
                    FieldError::new("company_id", "uuid", "must be a company id (UUID)")
                })
            },
        );
        let first_name = slot(
            &mut e,
            &self.first_name,
            b.and_then(|d| d.first_name.clone()),
            |s| PersonName::parse("first_name", s),
        );
        let last_name = slot(
            &mut e,
            &self.last_name,
            b.map(|d| d.last_name.clone()),
            |s| PersonName::parse("last_name", s),
        );
        let email = slot(&mut e, &self.email, b.and_then(|d| d.email.clone()), |s| {
            Email::parse("email", s)
        });

        let locale = slot(&mut e, &self.locale, b.map(|d| d.locale), |s| {
            Locale::parse("locale", s)
        });
        let address_line = slot(
            &mut e,
            &self.address_line,
            b.and_then(|d| d.address_line.clone()),
            |s| AddressLine::parse("address_line", s),
        );
        let city = slot(&mut e, &self.city, b.and_then(|d| d.city.clone()), |s| {
            City::parse("city", s)
        });
        let country = slot(
            &mut e,
            &self.country,
            b.and_then(|d| d.country.clone()),
            |s| CountryCode::parse("country", s),
        );
        // A national phone number is read in the contact's country when it has one.
        let phone = slot(&mut e, &self.phone, b.and_then(|d| d.phone.clone()), |s| {
            Phone::parse_in("phone", s, country.as_ref())
        });
        // The postal code's rule depends on the country, so an old code is checked again
        // when the country changes.
        let old_postal = b
            .and_then(|d| d.postal_code.as_ref())
            .map(|p| Some(p.as_str().to_owned()));
        let postal_raw = self.postal_code.clone().or(old_postal);
        let postal_code = slot(&mut e, &postal_raw, None, |s| {
            PostalCode::parse("postal_code", s, country.as_ref())
        });
        let notes = slot(&mut e, &self.notes, b.and_then(|d| d.notes.clone()), |s| {
            let n = Notes::parse("notes", s)?;
            lexicon.refuse_special_categories("notes", s)?;
            Ok(n)
        });
        let custom = self.apply_custom(base, catalogue, lexicon, &mut e);
        if kind.is_none() && self.kind.as_ref().is_none_or(|v| v.is_none()) {
            e.push(FieldError::new(
                "kind",
                "required",
                "is required: `b2b` (a person at a company) or `b2c` (a private person)",
            ));
        }
        if last_name.is_none() && !e.0.iter().any(|x| x.field == "last_name") {
            e.push(FieldError::new("last_name", "required", "is required"));
        }
        match (kind, company_id) {
            (Some(ContactKind::B2b), None) if !e.0.iter().any(|x| x.field == "company_id") => e
                .push(FieldError::new(
                    "company_id",
                    "b2b_needs_company",
                    "a B2B contact is a person at a company: give the company's id",
                )),
            (Some(ContactKind::B2c), Some(_)) => e.push(FieldError::new(
                "company_id",
                "b2c_no_company",
                "a B2C contact is a private person and belongs to no company",
            )),
            _ => {}
        }
        let (kind, last_name) = e.finish((kind, last_name))?;
        Ok(ContactData {
            kind,
            company_id,
            first_name,
            last_name,
            email,
            phone,
            locale: locale.unwrap_or_default(),
            address_line,
            postal_code,
            city,
            country,
            notes,
            custom,
        })
    }

    fn apply_custom(
        &self,
        base: Option<&ContactData>,
        catalogue: &Catalogue,
        lexicon: &Lexicon,
        errs: &mut FieldErrors,
    ) -> BTreeMap<String, Value> {
        let mut out = base.map(|b| b.custom.clone()).unwrap_or_default();
        for (name, value) in &self.custom {
            let field = format!("custom.{name}");
            let Some(def) = catalogue.custom_field(crate::catalogue::Entity::Contact, name) else {
                errs.push(FieldError::new(
                    field,
                    "unknown_field",
                    "is not a field of the catalogue",
                ));
                continue;
            };
            match value {
                None | Some(Value::Null) => {
                    out.remove(name);
                }
                Some(v) => match def.check_value(&field, v, lexicon) {
                    Ok(v) => {
                        out.insert(name.clone(), v);
                    }
                    Err(e) => errs.push(e),
                },
            }
        }
        out
    }
}
