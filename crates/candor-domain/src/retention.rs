//! Retention (SPEC E4): how long each kind of data is kept, as data, with the CNIL's
//! guidance for the defaults. A policy names what it applies to and the period after
//! which it ends; the server runs them every day.

use crate::FieldError;
use time::{Date, OffsetDateTime};

/// What a retention policy applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A prospect (no contract, no order) with no sign of life for the period: erased.
    InactiveProspects,
    /// Web visits and email opens and clicks older than the period: deleted (the CNIL
    /// keeps tracking data 13 months).
    TrackingEvents,
    /// Records kept under a legal hold whose hold has ended: deleted (the period is
    /// the hold's own).
    EndedHolds,
}

impl Target {
    pub const ALL: [Target; 3] = [
        Target::InactiveProspects,
        Target::TrackingEvents,
        Target::EndedHolds,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Target::InactiveProspects => "inactive_prospects",
            Target::TrackingEvents => "tracking_events",
            Target::EndedHolds => "ended_holds",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// One retention policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub name: String,
    pub target: Target,
    /// The period, in months (none for `EndedHolds`: each hold has its end).
    pub months: u32,
}

impl Policy {
    /// The moment before which data falls under this policy, at `now`.
    pub fn cutoff(&self, now: OffsetDateTime) -> OffsetDateTime {
        let date = months_before(now.date(), self.months);
        date.with_time(now.time()).assume_offset(now.offset())
    }
}

/// `date` minus `months` calendar months (31 March − 1 month → 28 or 29 February).
pub fn months_before(date: Date, months: u32) -> Date {
    let total = date.year() * 12 + i32::from(u8::from(date.month())) - 1 - months as i32;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = time::Month::try_from(u8::try_from(month0 + 1).unwrap_or(1))
        .unwrap_or(time::Month::January);
    let last = month.length(year);
    Date::from_calendar_date(year, month, date.day().min(last)).unwrap_or(date)
}

/// The policies Candor applies unless configured otherwise.
pub fn defaults() -> Vec<Policy> {
    vec![
        Policy {
            name: "prospects_3_years".into(),
            target: Target::InactiveProspects,
            months: 36,
        },
        Policy {
            name: "tracking_13_months".into(),
            target: Target::TrackingEvents,
            months: 13,
        },
        Policy {
            name: "ended_legal_holds".into(),
            target: Target::EndedHolds,
            months: 0,
        },
    ]
}

/// Checks a set of policies: names unique and not empty, a period for every target
/// that needs one; the first problem found, naming the policy.
pub fn validate(policies: &[Policy]) -> Result<(), FieldError> {
    for (i, p) in policies.iter().enumerate() {
        let field = format!("retention.{}", p.name);
        if p.name.trim().is_empty() {
            return Err(FieldError::new(
                "retention",
                "policy_name",
                "every policy needs a name",
            ));
        }
        if policies[..i].iter().any(|q| q.name == p.name) {
            return Err(FieldError::new(
                field,
                "policy_unique",
                "two policies have this name",
            ));
        }
        if p.target != Target::EndedHolds && p.months == 0 {
            return Err(FieldError::new(
                field,
                "policy_period",
                "the period must be at least one month",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn periods_count_calendar_months_back() {
        assert_eq!(
            months_before(date!(2029 - 12 - 07), 36),
            date!(2026 - 12 - 07)
        );
        assert_eq!(
            months_before(date!(2026 - 03 - 31), 1),
            date!(2026 - 02 - 28)
        );
        assert_eq!(
            months_before(date!(2027 - 02 - 15), 13),
            date!(2026 - 01 - 15)
        );
    }

    #[test]
    fn a_bad_policy_is_named() {
        assert!(validate(&defaults()).is_ok());
        let mut twice = defaults();
        twice.push(twice[0].clone());
        assert_eq!(validate(&twice).unwrap_err().rule, "policy_unique");
        let zero = vec![Policy {
            name: "now".into(),
            target: Target::TrackingEvents,
            months: 0,
        }];
        let e = validate(&zero).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.rule),
            ("retention.now", "policy_period")
        );
        assert_eq!(
            Target::parse("tracking_events"),
            Some(Target::TrackingEvents)
        );
        assert_eq!(Target::parse("everything"), None);
    }
}
