//! Segments as SQL: validated conditions (built by the app from what the role may
//! read) become one `WHERE` clause over `contact`, the same for both backends but for
//! placeholders and case-insensitive matching.

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
    /// Has (or has not) a contract running on `on`, its own or its company's.
    ActiveContract { on: Date, present: bool },
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }
}

fn like_pattern(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The `WHERE` clause (without the keyword; `TRUE` for no condition) over the table
/// aliased `c`, with its bound values, numbered from `first`.
pub(crate) fn where_clause(
    conds: &[SegmentCondition],
    d: Dialect,
    first: usize,
) -> (String, Vec<Cell>) {
    let mut parts = Vec::new();
    let mut binds = Vec::new();
    let next = |v: Cell, binds: &mut Vec<Cell>| {
        binds.push(v);
        d.placeholder(first + binds.len() - 1)
    };
    for cond in conds {
        match cond {
            SegmentCondition::Text { column, op } => {
                let col = match (d, *column) {
                    (Dialect::Postgres, "company_id") => "CAST(c.company_id AS TEXT)".to_owned(),
                    _ => format!("c.{column}"),
                };
                match op {
                    TextOp::Equals(v) => {
                        let p = next(Cell::Text(v.clone()), &mut binds);
                        parts.push(format!("{col} = {p}"));
                    }
                    TextOp::Contains(v) => {
                        let p = next(Cell::Text(like_pattern(v)), &mut binds);
                        let op = match d {
                            Dialect::Sqlite => "LIKE",
                            Dialect::Postgres => "ILIKE",
                        };
                        parts.push(format!("{col} {op} {p} ESCAPE '\\'"));
                    }
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
            SegmentCondition::ActiveContract { on, present } => {
                let p1 = next(Cell::Date(*on), &mut binds);
                let exists = format!(
                    "EXISTS (SELECT 1 FROM contract k WHERE (k.contact_id = c.id OR k.company_id = c.company_id) \
                     AND k.status = 'active' AND k.starts_on <= {p1} AND (k.ends_on IS NULL OR k.ends_on >= {p1}))"
                );
                parts.push(if *present {
                    exists
                } else {
                    format!("NOT {exists}")
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
