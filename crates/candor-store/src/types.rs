//! Column types that mean the same on both backends, so that one query text binds and
//! reads the same Rust values on SQLite and on PostgreSQL:
//!
//! - [`Id`]: a UUID, stored as hyphenated TEXT on SQLite and as `uuid` on PostgreSQL;
//! - [`Ts`]: a UTC instant, stored on SQLite as fixed-width text
//!   (`2026-01-01T10:00:05.100000Z`, microseconds, always 27 characters) so that text
//!   order is time order, and as `timestamptz` on PostgreSQL.
//!
//! Dates (`time::Date`) are `YYYY-MM-DD` text on SQLite (fixed width already) and
//! `date` on PostgreSQL; JSON columns use `sqlx::types::Json` (TEXT / JSONB).

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgHasArrayType, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};
use uuid::Uuid;

/// A record's id (see the module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(pub Uuid);

impl From<Uuid> for Id {
    fn from(u: Uuid) -> Self {
        Id(u)
    }
}

impl From<Id> for Uuid {
    fn from(i: Id) -> Self {
        i.0
    }
}

impl Type<Sqlite> for Id {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for Id {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(self.0.hyphenated().to_string(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Id {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let s = <&str as Decode<Sqlite>>::decode(value)?;
        Ok(Id(Uuid::parse_str(s)?))
    }
}

impl Type<Postgres> for Id {
    fn type_info() -> PgTypeInfo {
        <Uuid as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <Uuid as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for Id {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <Uuid as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Id {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Id(<Uuid as Decode<Postgres>>::decode(value)?))
    }
}

impl PgHasArrayType for Id {
    fn array_type_info() -> PgTypeInfo {
        <Uuid as PgHasArrayType>::array_type_info()
    }
}

/// An instant, stored in UTC (see the module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ts(pub OffsetDateTime);

impl From<OffsetDateTime> for Ts {
    fn from(t: OffsetDateTime) -> Self {
        Ts(t)
    }
}

impl From<Ts> for OffsetDateTime {
    fn from(t: Ts) -> Self {
        t.0
    }
}

impl Ts {
    /// The fixed-width text form used on SQLite: UTC, microseconds, `Z`.
    pub fn to_text(self) -> String {
        let fmt = format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
        );
        self.0
            .to_offset(UtcOffset::UTC)
            .format(&fmt)
            .expect("every instant of years 0-9999 formats")
    }

    /// Reads the fixed-width form, and any RFC 3339 text written before it.
    pub fn parse_text(s: &str) -> Result<Self, time::error::Parse> {
        OffsetDateTime::parse(s, &Rfc3339).map(|t| Ts(t.to_offset(UtcOffset::UTC)))
    }
}

impl Type<Sqlite> for Ts {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for Ts {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(self.to_text(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Ts {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let s = <&str as Decode<Sqlite>>::decode(value)?;
        Ok(Ts::parse_text(s)?)
    }
}

impl Type<Postgres> for Ts {
    fn type_info() -> PgTypeInfo {
        <OffsetDateTime as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <OffsetDateTime as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for Ts {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <OffsetDateTime as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Ts {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Ts(<OffsetDateTime as Decode<Postgres>>::decode(value)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// The fixed-width form sorts as time does, whatever the fraction: variable-length
    /// RFC 3339 text did not (`10:00:05Z` sorted after `10:00:05.1Z`).
    #[test]
    fn text_order_is_time_order() {
        let times = [
            datetime!(2026-01-01 10:00:05 UTC),
            datetime!(2026-01-01 10:00:05.1 UTC),
            datetime!(2026-01-01 10:00:05.000001 UTC),
            datetime!(2026-01-01 10:00:05.999999 UTC),
            datetime!(2026-01-01 12:00:04.5 +02:00),
            datetime!(2025-12-31 23:59:59.9 UTC),
        ];
        let mut by_text: Vec<(String, OffsetDateTime)> =
            times.iter().map(|t| (Ts(*t).to_text(), *t)).collect();
        by_text.sort();
        let mut by_time = times.to_vec();
        by_time.sort();
        assert_eq!(by_text.iter().map(|(_, t)| *t).collect::<Vec<_>>(), by_time);
        assert!(by_text.iter().all(|(s, _)| s.len() == 27), "{by_text:?}");
        assert_eq!(
            Ts(datetime!(2026-01-01 12:00:04.5 +02:00)).to_text(),
            "2026-01-01T10:00:04.500000Z"
        );
        // The variable-length text of earlier versions still reads.
        assert_eq!(
            Ts::parse_text("2026-01-01T10:00:05.1Z").unwrap().0,
            datetime!(2026-01-01 10:00:05.1 UTC)
        );
    }
}
