//! Row <-> domain conversions for PostgreSQL; the one place personal data is mapped.

use super::corrupt;
use crate::error::Result;
use candor_domain::company::{Company, CompanyName, Siret};
use candor_domain::contact::{Contact, ContactData, ContactKind};
use candor_domain::personal::{
    AddressLine, City, CountryCode, Email, Locale, Notes, PersonName, Phone, PostalCode,
};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{Postgres, Row};

pub const CONTACT_COLUMNS: &str = "id, kind, company_id, first_name, last_name, email, phone, \
    locale, address_line, postal_code, city, country, notes, custom, created_at, updated_at, \
    newsletter_subscribed_at, newsletter_open_rate";

pub const COMPANY_COLUMNS: &str =
    "id, name, siret, country, address_line, postal_code, city, created_at, updated_at";

fn opt_text(row: &PgRow, col: &str) -> Result<Option<String>> {
    Ok(row.try_get(col)?)
}

pub fn contact(row: &PgRow) -> Result<Contact> {
    let kind: String = row.try_get("kind")?;
    let locale: String = row.try_get("locale")?;
    let custom: serde_json::Value = row.try_get("custom")?;
    let data = ContactData {
        kind: ContactKind::parse("kind", &kind).map_err(|_| corrupt("kind"))?,
        company_id: row.try_get("company_id")?,
        first_name: opt_text(row, "first_name")?.map(PersonName::from_stored),
        last_name: PersonName::from_stored(row.try_get("last_name")?),
        email: opt_text(row, "email")?.map(Email::from_stored),
        phone: opt_text(row, "phone")?.map(Phone::from_stored),
        locale: Locale::parse("locale", &locale).map_err(|_| corrupt("locale"))?,
        address_line: opt_text(row, "address_line")?.map(AddressLine::from_stored),
        postal_code: opt_text(row, "postal_code")?.map(PostalCode::from_stored),
        city: opt_text(row, "city")?.map(City::from_stored),
        country: opt_text(row, "country")?.map(CountryCode::from_stored),
        notes: opt_text(row, "notes")?.map(Notes::from_stored),
        custom: serde_json::from_value(custom).map_err(|_| corrupt("custom"))?,
    };
    Ok(Contact {
        id: row.try_get("id")?,
        data,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        newsletter_subscribed_at: row.try_get("newsletter_subscribed_at")?,
        newsletter_open_rate: row.try_get("newsletter_open_rate")?,
    })
}

/// Binds a contact's columns in [`CONTACT_COLUMNS`] order, then the email hash.
pub fn bind_contact<'q>(
    q: Query<'q, Postgres, PgArguments>,
    c: &'q Contact,
    email_hash: Option<&'q str>,
) -> Query<'q, Postgres, PgArguments> {
    let d = &c.data;
    q.bind(c.id)
        .bind(d.kind.as_str())
        .bind(d.company_id)
        .bind(d.first_name.as_ref().map(PersonName::as_str))
        .bind(d.last_name.as_str())
        .bind(d.email.as_ref().map(Email::as_str))
        .bind(d.phone.as_ref().map(Phone::as_str))
        .bind(d.locale.as_str())
        .bind(d.address_line.as_ref().map(AddressLine::as_str))
        .bind(d.postal_code.as_ref().map(PostalCode::as_str))
        .bind(d.city.as_ref().map(City::as_str))
        .bind(d.country.as_ref().map(CountryCode::as_str))
        .bind(d.notes.as_ref().map(Notes::as_str))
        .bind(serde_json::to_value(&d.custom).unwrap_or_default())
        .bind(c.created_at)
        .bind(c.updated_at)
        .bind(c.newsletter_subscribed_at)
        .bind(c.newsletter_open_rate)
        .bind(email_hash)
}

pub fn company(row: &PgRow) -> Result<Company> {
    Ok(Company {
        id: row.try_get("id")?,
        name: CompanyName::from_stored(row.try_get("name")?),
        siret: opt_text(row, "siret")?.map(Siret::from_stored),
        country: CountryCode::from_stored(row.try_get("country")?),
        address_line: opt_text(row, "address_line")?.map(AddressLine::from_stored),
        postal_code: opt_text(row, "postal_code")?.map(PostalCode::from_stored),
        city: opt_text(row, "city")?.map(City::from_stored),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Binds a company's columns in [`COMPANY_COLUMNS`] order.
pub fn bind_company<'q>(
    q: Query<'q, Postgres, PgArguments>,
    c: &'q Company,
) -> Query<'q, Postgres, PgArguments> {
    q.bind(c.id)
        .bind(c.name.as_str())
        .bind(c.siret.as_ref().map(|s| s.as_str()))
        .bind(c.country.as_str())
        .bind(c.address_line.as_ref().map(|s| s.as_str()))
        .bind(c.postal_code.as_ref().map(|s| s.as_str()))
        .bind(c.city.as_ref().map(|s| s.as_str()))
        .bind(c.created_at)
        .bind(c.updated_at)
}
