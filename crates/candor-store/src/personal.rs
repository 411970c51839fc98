//! Personal data at rest: the one place where a contact's and a company's values become
//! stored columns, and stored columns become values again. Every path goes through
//! here: rows read by the queries of both backends, the bulk rows of imports and demo
//! data, and the packed audience read of SQLite. Per-subject encryption (SPEC S6) is a
//! change in this module.

use crate::error::{Result, StoreError};
use crate::types::{Id, Ts};
use candor_domain::company::{Company, CompanyName, Siret};
use candor_domain::contact::{Contact, ContactData, ContactKind};
use candor_domain::personal::{
    AddressLine, City, CountryCode, Email, Locale, Notes, PersonName, Phone, PostalCode,
};
use serde_json::Value;
use sqlx::types::Json;
use std::collections::BTreeMap;

pub fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unreadable {what}"))
}

/// The columns of `contact` in [`ContactRow::COLUMNS`] order, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactRow {
    pub id: Id,
    pub kind: String,
    pub company_id: Option<Id>,
    pub first_name: Option<String>,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub locale: String,
    pub address_line: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub notes: Option<String>,
    pub custom: Json<BTreeMap<String, Value>>,
    pub created_at: Ts,
    pub updated_at: Ts,
    pub newsletter_subscribed_at: Option<Ts>,
    pub newsletter_open_rate: Option<f64>,
}

impl ContactRow {
    pub const COLUMNS: &'static str = "id, kind, company_id, first_name, last_name, email, \
        phone, locale, address_line, postal_code, city, country, notes, custom, created_at, \
        updated_at, newsletter_subscribed_at, newsletter_open_rate";

    pub fn of(c: &Contact) -> Self {
        let d = &c.data;
        let s = |v: Option<&str>| v.map(str::to_owned);
        ContactRow {
            id: Id(c.id),
            kind: d.kind.as_str().to_owned(),
            company_id: d.company_id.map(Id),
            first_name: s(d.first_name.as_ref().map(PersonName::as_str)),
            last_name: d.last_name.as_str().to_owned(),
            email: s(d.email.as_ref().map(Email::as_str)),
            phone: s(d.phone.as_ref().map(Phone::as_str)),
            locale: d.locale.as_str().to_owned(),
            address_line: s(d.address_line.as_ref().map(AddressLine::as_str)),
            postal_code: s(d.postal_code.as_ref().map(PostalCode::as_str)),
            city: s(d.city.as_ref().map(City::as_str)),
            country: s(d.country.as_ref().map(CountryCode::as_str)),
            notes: s(d.notes.as_ref().map(Notes::as_str)),
            custom: Json(d.custom.clone()),
            created_at: Ts(c.created_at),
            updated_at: Ts(c.updated_at),
            newsletter_subscribed_at: c.newsletter_subscribed_at.map(Ts),
            newsletter_open_rate: c.newsletter_open_rate,
        }
    }

    pub fn into_contact(self) -> Result<Contact> {
        let data = ContactData {
            kind: ContactKind::parse("kind", &self.kind).map_err(|_| corrupt("kind"))?,
            company_id: self.company_id.map(|i| i.0),
            first_name: self.first_name.map(PersonName::from_stored),
            last_name: PersonName::from_stored(self.last_name),
            email: self.email.map(Email::from_stored),
            phone: self.phone.map(Phone::from_stored),
            locale: Locale::parse("locale", &self.locale).map_err(|_| corrupt("locale"))?,
            address_line: self.address_line.map(AddressLine::from_stored),
            postal_code: self.postal_code.map(PostalCode::from_stored),
            city: self.city.map(City::from_stored),
            country: self.country.map(CountryCode::from_stored),
            notes: self.notes.map(Notes::from_stored),
            custom: self.custom.0,
        };
        Ok(Contact {
            id: self.id.0,
            data,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            newsletter_subscribed_at: self.newsletter_subscribed_at.map(|t| t.0),
            newsletter_open_rate: self.newsletter_open_rate,
        })
    }
}

/// The columns of `company` in [`CompanyRow::COLUMNS`] order, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CompanyRow {
    pub id: Id,
    pub name: String,
    pub siret: Option<String>,
    pub country: String,
    pub address_line: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl CompanyRow {
    pub const COLUMNS: &'static str =
        "id, name, siret, country, address_line, postal_code, city, created_at, updated_at";

    pub fn of(c: &Company) -> Self {
        CompanyRow {
            id: Id(c.id),
            name: c.name.as_str().to_owned(),
            siret: c.siret.as_ref().map(|s| s.as_str().to_owned()),
            country: c.country.as_str().to_owned(),
            address_line: c.address_line.as_ref().map(|s| s.as_str().to_owned()),
            postal_code: c.postal_code.as_ref().map(|s| s.as_str().to_owned()),
            city: c.city.as_ref().map(|s| s.as_str().to_owned()),
            created_at: Ts(c.created_at),
            updated_at: Ts(c.updated_at),
        }
    }

    pub fn into_company(self) -> Company {
        Company {
            id: self.id.0,
            name: CompanyName::from_stored(self.name),
            siret: self.siret.map(Siret::from_stored),
            country: CountryCode::from_stored(self.country),
            address_line: self.address_line.map(AddressLine::from_stored),
            postal_code: self.postal_code.map(PostalCode::from_stored),
            city: self.city.map(City::from_stored),
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        }
    }
}

/// A stored email address as the audience read hands it on (an empty one is none).
pub fn stored_email(s: Option<String>) -> Option<String> {
    s.filter(|e| !e.is_empty())
}
