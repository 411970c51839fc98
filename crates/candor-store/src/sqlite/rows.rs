//! Row <-> domain conversions. Personal data at rest passes through here and only
//! here, so that per-subject encryption (SPEC S6) is a change in one place.

use crate::error::{Result, StoreError};
use candor_domain::company::{Company, CompanyName, Siret};
use candor_domain::contact::{Contact, ContactData, ContactKind};
use candor_domain::personal::{
    AddressLine, City, CountryCode, Email, Locale, Notes, PersonName, Phone, PostalCode,
};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use uuid::Uuid;

pub const CONTACT_COLUMNS: &str = "id, kind, company_id, first_name, last_name, email, phone, \
    locale, address_line, postal_code, city, country, notes, custom, created_at, updated_at, \
    newsletter_subscribed_at, newsletter_open_rate";

pub const COMPANY_COLUMNS: &str =
    "id, name, siret, country, address_line, postal_code, city, created_at, updated_at";

pub fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unreadable {what}"))
}

pub fn uuid(row: &SqliteRow, col: &str) -> Result<Uuid> {
    let s: String = row.try_get(col)?;
    Uuid::parse_str(&s).map_err(|_| corrupt(col))
}

pub fn opt_uuid(row: &SqliteRow, col: &str) -> Result<Option<Uuid>> {
    let s: Option<String> = row.try_get(col)?;
    s.map(|s| Uuid::parse_str(&s).map_err(|_| corrupt(col)))
        .transpose()
}

fn opt_text(row: &SqliteRow, col: &str) -> Result<Option<String>> {
    Ok(row.try_get(col)?)
}

pub fn contact(row: &SqliteRow) -> Result<Contact> {
    let kind: String = row.try_get("kind")?;
    let custom: String = row.try_get("custom")?;
    let data = ContactData {
        kind: ContactKind::parse("kind", &kind).map_err(|_| corrupt("kind"))?,
        company_id: opt_uuid(row, "company_id")?,
        first_name: opt_text(row, "first_name")?.map(PersonName::from_stored),
        last_name: PersonName::from_stored(row.try_get("last_name")?),
        email: opt_text(row, "email")?.map(Email::from_stored),
        phone: opt_text(row, "phone")?.map(Phone::from_stored),
        locale: Locale::parse("locale", row.try_get("locale")?).map_err(|_| corrupt("locale"))?,
        address_line: opt_text(row, "address_line")?.map(AddressLine::from_stored),
        postal_code: opt_text(row, "postal_code")?.map(PostalCode::from_stored),
        city: opt_text(row, "city")?.map(City::from_stored),
        country: opt_text(row, "country")?.map(CountryCode::from_stored),
        notes: opt_text(row, "notes")?.map(Notes::from_stored),
        custom: serde_json::from_str(&custom).map_err(|_| corrupt("custom"))?,
    };
    Ok(Contact {
        id: uuid(row, "id")?,
        data,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        newsletter_subscribed_at: row.try_get("newsletter_subscribed_at")?,
        newsletter_open_rate: row.try_get("newsletter_open_rate")?,
    })
}

/// Binds a contact's columns in [`CONTACT_COLUMNS`] order.
pub fn bind_contact<'q>(
    q: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    c: &'q Contact,
    email_hash: Option<&'q str>,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    let d = &c.data;
    q.bind(c.id.to_string())
        .bind(d.kind.as_str())
        .bind(d.company_id.map(|u| u.to_string()))
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
        .bind(serde_json::to_string(&d.custom).unwrap_or_else(|_| "{}".into()))
        .bind(c.created_at)
        .bind(c.updated_at)
        .bind(c.newsletter_subscribed_at)
        .bind(c.newsletter_open_rate)
        .bind(email_hash)
}

pub fn company(row: &SqliteRow) -> Result<Company> {
    Ok(Company {
        id: uuid(row, "id")?,
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
