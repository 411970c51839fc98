//! Segments as SQL: validated conditions (built by the app from what the role may
//! read) become one `WHERE` clause over `contact`, the same text for both backends but
//! for the case-insensitive `LIKE`.

use crate::bulk::Cell;
use candor_domain::consent::{Channel, Status};
use time::{Date, OffsetDateTime};

/// Contact columns a segment may filter on, as text.
pub const TEXT_COLUMNS: &[&str] = &[
    "kind",
    "company_id",
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
];

/// Contact columns a segment may filter on by date range.
pub const TIME_COLUMNS: &[&str] = &["created_at", "updated_at", "newsletter_subscribed_at"];

/// A contact column by name, for a breach's scope (a contact holds a field when its
/// column is not null): the segment's columns and the open rate.
pub fn contact_column(name: &str) -> Option<&'static str> {
    TEXT_COLUMNS
        .iter()
        .chain(TIME_COLUMNS)
        .chain(&["newsletter_open_rate"])
        .find(|c| **c == name)
        .copied()
}

/// Data a contact may hold, for a breach's scope (B3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holding {
    /// A column of `contact` ([`contact_column`]) with a value.
    Column(&'static str),
    /// A custom field with a value (its name, as the catalogue checked it).
    Custom(String),
    /// A company linked.
    Company,
    /// An order.
    Orders,
    /// A contract, their own or their company's.
    Contracts,
    /// A consent event (its evidence).
    ConsentEvents,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TextOp {
    Equals(String),
    /// Case-insensitive substring.
    Contains(String),
    In(Vec<String>),
}

/// One condition of a segment; a segment's conditions all hold (AND).
#[derive(Debug, Clone, PartialEq)]
pub enum SegmentCondition {
    /// `column` is one of [`TEXT_COLUMNS`].
    Text { column: &'static str, op: TextOp },
    /// `column` is one of [`TIME_COLUMNS`]; either bound may be open.
    Time {
        column: &'static str,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
    },
    /// The current consent state of a purpose × channel (`NeverAsked`: no state at all).
    Consent {
        purpose: String,
        channel: Channel,
        status: Status,
    },
    /// Has (or has not) a contract running on `on`, its own or its company's, that
    /// started between `started_from` and `started_until` (both included; either may
    /// be open).
    ActiveContract {
        on: Date,
        present: bool,
        started_from: Option<Date>,
        started_until: Option<Date>,
    },
    /// Holds at least one of these (none: no one).
    HoldsAny(Vec<Holding>),
}

fn like_pattern(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The `WHERE` clause (without the keyword; `1 = 1` for no condition) over the table
/// aliased `c`, with its bound values as `$N` placeholders numbered from `first`;
/// `ilike` is the backend's case-insensitive `LIKE`.
pub(crate) fn where_clause(
    conds: &[SegmentCondition],
    ilike: &str,
    json_text: fn(&str, &str) -> String,
    first: usize,
) -> (String, Vec<Cell>) {
    let mut parts = Vec::new();
    let mut binds = Vec::new();
    let next = |v: Cell, binds: &mut Vec<Cell>| {
        binds.push(v);
        format!("${}", first + binds.len() - 1)
    };
    for cond in conds {
        match cond {
            SegmentCondition::Text { column, op } => {
                // An id compared as text (a no-op on SQLite, where ids are text).
                let col = match *column {
                    "company_id" => "CAST(c.company_id AS TEXT)".to_owned(),
                    _ => format!("c.{column}"),
                };
                match op {
                    TextOp::Equals(v) => {
                        let p = next(Cell::Text(v.clone()), &mut binds);
                        parts.push(format!("{col} = {p}"));
                    }
                    TextOp::Contains(v) => {
                        let p = next(Cell::Text(like_pattern(v)), &mut binds);
                        parts.push(format!("{col} {ilike} {p} ESCAPE '\\'"));
                    }
                    // An empty list matches no one (PostgreSQL refuses `IN ()`).
                    TextOp::In(vs) if vs.is_empty() => parts.push("1 = 0".to_owned()),
                    TextOp::In(vs) => {
                        let ps: Vec<String> = vs
                            .iter()
                            .map(|v| next(Cell::Text(v.clone()), &mut binds))
                            .collect();
                        parts.push(format!("{col} IN ({})", ps.join(", ")));
                    }
                }
            }
            SegmentCondition::Time { column, from, to } => {
                if let Some(f) = from {
                    let p = next(Cell::Time(*f), &mut binds);
                    parts.push(format!("c.{column} >= {p}"));
                }
                if let Some(t) = to {
                    let p = next(Cell::Time(*t), &mut binds);
                    parts.push(format!("c.{column} < {p}"));
                }
            }
            SegmentCondition::Consent {
                purpose,
                channel,
                status,
            } => {
                let pp = next(Cell::Text(purpose.clone()), &mut binds);
                let pc = next(Cell::Text(channel.as_str().into()), &mut binds);
                if *status == Status::NeverAsked {
                    parts.push(format!(
                        "NOT EXISTS (SELECT 1 FROM consent_state s WHERE s.subject_id = c.id \
                         AND s.purpose = {pp} AND s.channel = {pc})"
                    ));
                } else {
                    let ps = next(Cell::Text(status.as_str().into()), &mut binds);
                    parts.push(format!(
                        "EXISTS (SELECT 1 FROM consent_state s WHERE s.subject_id = c.id \
                         AND s.purpose = {pp} AND s.channel = {pc} AND s.status = {ps})"
                    ));
                }
            }
            SegmentCondition::ActiveContract {
                on,
                present,
                started_from,
                started_until,
            } => {
                let p1 = next(Cell::Date(*on), &mut binds);
                let mut started = String::new();
                if let Some(d) = started_from {
                    let p = next(Cell::Date(*d), &mut binds);
                    started.push_str(&format!(" AND k.starts_on >= {p}"));
                }
                if let Some(d) = started_until {
                    let p = next(Cell::Date(*d), &mut binds);
                    started.push_str(&format!(" AND k.starts_on <= {p}"));
                }
                let exists = format!(
                    "EXISTS (SELECT 1 FROM contract k WHERE (k.contact_id = c.id OR k.company_id = c.company_id) \
                     AND k.status = 'active' AND k.starts_on <= {p1} AND (k.ends_on IS NULL OR k.ends_on >= {p1}){started})"
                );
                parts.push(if *present {
                    exists
                } else {
                    format!("NOT {exists}")
                });
            }
            SegmentCondition::HoldsAny(holdings) => {
                let mut any = Vec::new();
                for h in holdings {
                    any.push(match h {
                        Holding::Column(col) => format!("c.{col} IS NOT NULL"),
                        Holding::Custom(name) => {
                            let p = next(Cell::Text(name.clone()), &mut binds);
                            format!("{} IS NOT NULL", json_text("c.custom", &p))
                        }
                        Holding::Company => "c.company_id IS NOT NULL".to_owned(),
                        Holding::Orders => {
                            "EXISTS (SELECT 1 FROM customer_order o WHERE o.contact_id = c.id)"
                                .to_owned()
                        }
                        Holding::Contracts => "EXISTS (SELECT 1 FROM contract k WHERE \
                             k.contact_id = c.id OR k.company_id = c.company_id)"
                            .to_owned(),
                        Holding::ConsentEvents => {
                            "EXISTS (SELECT 1 FROM consent_event e WHERE e.subject_id = c.id)"
                                .to_owned()
                        }
                    });
                }
                parts.push(if any.is_empty() {
                    "1 = 0".to_owned()
                } else {
                    format!("({})", any.join(" OR "))
                });
            }
        }
    }
    if parts.is_empty() {
        ("1 = 1".into(), binds)
    } else {
        (parts.join(" AND "), binds)
    }
}

/// The consent states of one audience row: `found[0]` is the purpose's
/// (status, source, since), `found[1]` the global opt-out's, each absent when the
/// person was never asked.
pub(crate) fn audience_states(
    purpose: &str,
    channel: Channel,
    found: Vec<Option<(&str, &str, OffsetDateTime)>>,
) -> crate::error::Result<Vec<candor_domain::consent::ConsentState>> {
    use candor_domain::consent::{ConsentState, Source};
    let corrupt = |w: &str| crate::error::StoreError::Corrupt(format!("unreadable audience {w}"));
    let mut states = Vec::with_capacity(2);
    for (f, p) in found
        .into_iter()
        .zip([purpose, candor_domain::communication::ALL_PURPOSES])
    {
        let Some((status, source, since)) = f else {
            continue;
        };
        states.push(ConsentState {
            purpose: p.to_owned(),
            channel,
            status: Status::parse("status", status).map_err(|_| corrupt("status"))?,
            reason: None,
            source: Source::parse("source", source).map_err(|_| corrupt("source"))?,
            since,
            first_opt_in_at: None,
            first_opt_in_source: None,
        });
    }
    Ok(states)
}
