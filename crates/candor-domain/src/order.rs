//! Orders: what a contact bought, with its lines and total (transactional data).

use crate::error::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One line of an order, as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    pub description: String,
    pub quantity: i64,
    /// The price of one unit, in cents of the order's currency.
    pub unit_price_cents: i64,
}

/// An order to record, as given.
#[derive(Debug, Clone, Default)]
pub struct OrderInput {
    /// RFC 3339; now when absent.
    pub ordered_at: Option<String>,
    pub currency: String,
    pub lines: Vec<OrderLine>,
}

/// An order, checked, with its total.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderData {
    pub ordered_at: OffsetDateTime,
    pub currency: String,
    pub lines: Vec<OrderLine>,
    pub total_cents: i64,
}

impl OrderInput {
    /// Checks every part and computes the total; all errors at once.
    pub fn check(&self, now: OffsetDateTime) -> Result<OrderData, FieldErrors> {
        let mut e = FieldErrors::default();
        let ordered_at = match &self.ordered_at {
            None => Some(now),
            Some(s) => {
                match OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
                    Ok(t) if t > now => {
                        e.push(FieldError::new(
                            "ordered_at",
                            "not_in_future",
                            "must not be in the future",
                        ));
                        None
                    }
                    Ok(t) => Some(t),
                    Err(_) => {
                        e.push(FieldError::new(
                            "ordered_at",
                            "date_format",
                            "must be an RFC 3339 date and time",
                        ));
                        None
                    }
                }
            }
        };
        let currency = self.currency.trim();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            e.push(FieldError::new(
                "currency",
                "currency_code",
                "must be an ISO 4217 code such as EUR",
            ));
        }
        if self.lines.is_empty() || self.lines.len() > 200 {
            e.push(FieldError::new(
                "lines",
                "line_count",
                "must hold 1 to 200 lines",
            ));
        }
        let mut total: Option<i64> = Some(0);
        for (i, l) in self.lines.iter().enumerate() {
            let d = l.description.trim();
            if d.is_empty() || d.chars().count() > 500 || d.chars().any(char::is_control) {
                e.push(FieldError::new(
                    format!("lines[{i}].description"),
                    "description_format",
                    "must be 1 to 500 characters",
                ));
            }
            if !(1..=1_000_000).contains(&l.quantity) {
                e.push(FieldError::new(
                    format!("lines[{i}].quantity"),
                    "quantity_range",
                    "must be between 1 and 1,000,000",
                ));
            }
            if !(0..=10_000_000_000).contains(&l.unit_price_cents) {
                e.push(FieldError::new(
                    format!("lines[{i}].unit_price_cents"),
                    "price_range",
                    "must be between 0 and 10,000,000,000",
                ));
            }
            total = total.and_then(|t| {
                l.quantity
                    .checked_mul(l.unit_price_cents)
                    .and_then(|x| t.checked_add(x))
            });
        }
        if total.is_none() {
            e.push(FieldError::new(
                "lines",
                "total_overflow",
                "the total is too large",
            ));
        }
        let (ordered_at, total_cents) = e.finish((ordered_at, total))?;
        Ok(OrderData {
            ordered_at: crate::clock::to_micros(ordered_at),
            currency: currency.to_owned(),
            lines: self
                .lines
                .iter()
                .map(|l| OrderLine {
                    description: l.description.trim().to_owned(),
                    ..l.clone()
                })
                .collect(),
            total_cents,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-29 10:00 UTC);

    fn line(q: i64, p: i64) -> OrderLine {
        OrderLine {
            description: "Abonnement".into(),
            quantity: q,
            unit_price_cents: p,
        }
    }

    #[test]
    fn the_total_is_the_sum_of_the_lines() {
        let o = OrderInput {
            ordered_at: None,
            currency: "EUR".into(),
            lines: vec![line(2, 1250), line(1, 999)],
        };
        let d = o.check(NOW).unwrap();
        assert_eq!((d.total_cents, d.ordered_at), (3499, NOW));
    }

    #[test]
    fn bad_orders_name_each_field_and_rule() {
        let o = OrderInput {
            ordered_at: Some("2099-01-01T00:00:00Z".into()),
            currency: "euro".into(),
            lines: vec![line(0, 100), line(i64::MAX / 2, 10_000_000_000)],
        };
        let e = o.check(NOW).unwrap_err();
        let got: Vec<(&str, &str)> = e.0.iter().map(|x| (x.field.as_str(), x.rule)).collect();
        assert_eq!(
            got,
            [
                ("ordered_at", "not_in_future"),
                ("currency", "currency_code"),
                ("lines[0].quantity", "quantity_range"),
                ("lines[1].quantity", "quantity_range"),
                ("lines", "total_overflow"),
            ]
        );
    }
}
