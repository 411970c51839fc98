//! Retention (SPEC E4): how long each kind of data is kept, as data, with the CNIL's
//! guidance for the defaults. A policy names what it applies to and the period after
//! which it ends; the server runs them every day. The configuration's `[retention]`
//! section replaces the defaults and is checked at load ([`RetentionConfig::load`]);
//! the field catalogue names the policies that keep its fields, and its retention
//! texts take their periods from them, so the two cannot disagree.

use crate::erasure::HoldRules;
use crate::FieldError;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// What a retention policy applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A prospect (no contract, no order) with no sign of life for the period: erased.
    InactiveProspects,
    /// A former customer (every contract ended, no order, no sign of life for the
    /// period after the last of them): erased, their orders and contracts kept under
    /// their legal holds (the CNIL: 3 years after the end of the commercial relation).
    FormerCustomers,
    /// A B2C grant never confirmed within the period: closed (it lapses).
    PendingConsents,
    /// Web visits and email opens and clicks older than the period: deleted (the CNIL
    /// keeps tracking data 13 months).
    TrackingEvents,
    /// Records kept under a legal hold whose hold has ended: deleted (the period is
    /// the hold's own).
    EndedHolds,
    /// Access-audit entries older than the period, each person's oldest first: deleted,
    /// the chain left starting after them with a signed start.
    AuditEntries,
    /// Data subject requests answered or refused longer ago than the period (kept so
    /// far as proof of the answer, Code civil 2224): deleted with their steps, whether
    /// or not the requester was ever a contact.
    ClosedRequests,
}

impl Target {
    pub const ALL: [Target; 7] = [
        Target::InactiveProspects,
        Target::FormerCustomers,
        Target::PendingConsents,
        Target::TrackingEvents,
        Target::EndedHolds,
        Target::AuditEntries,
        Target::ClosedRequests,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Target::InactiveProspects => "inactive_prospects",
            Target::FormerCustomers => "former_customers",
            Target::PendingConsents => "pending_consents",
            Target::TrackingEvents => "tracking_events",
            Target::EndedHolds => "ended_holds",
            Target::AuditEntries => "audit_entries",
            Target::ClosedRequests => "closed_requests",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Whether the policy erases people (rather than deleting or closing rows).
    pub fn erases_people(self) -> bool {
        matches!(self, Target::InactiveProspects | Target::FormerCustomers)
    }
}

/// How long a policy keeps data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Months(u32),
    Days(u32),
    /// Each record's own hold end (ended holds).
    Hold,
}

impl Period {
    /// The period in words, in French and English ("3 ans", "13 months").
    pub fn words(self) -> (String, String) {
        let plural = |n: u32, one: &str, many: &str| {
            if n == 1 {
                format!("{n} {one}")
            } else {
                format!("{n} {many}")
            }
        };
        match self {
            Period::Months(m) if m % 12 == 0 => {
                (plural(m / 12, "an", "ans"), plural(m / 12, "year", "years"))
            }
            Period::Months(m) => (format!("{m} mois"), plural(m, "month", "months")),
            Period::Days(d) => (plural(d, "jour", "jours"), plural(d, "day", "days")),
            Period::Hold => (
                "la durée de l'obligation légale".to_owned(),
                "the legal hold".to_owned(),
            ),
        }
    }
}

/// One retention policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub name: String,
    pub target: Target,
    pub period: Period,
}

impl Policy {
    /// The moment before which data falls under this policy, at `now` (`now` itself
    /// for ended holds, whose ends are each record's own).
    pub fn cutoff(&self, now: OffsetDateTime) -> OffsetDateTime {
        match self.period {
            Period::Months(m) => {
                let date = months_before(now.date(), m);
                date.with_time(now.time()).assume_offset(now.offset())
            }
            Period::Days(d) => now - time::Duration::days(i64::from(d)),
            Period::Hold => now,
        }
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

/// One policy as the configuration file writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    pub name: String,
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<i64>,
}

/// The configuration's `[retention]` section: the policies (listing any replaces the
/// whole default list) and how long orders and contracts are held after an erasure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// Years an order is kept, from its date (Code de commerce L123-22: 10).
    pub order_hold_years: i64,
    /// Years a contract is kept, from its end (Code civil 2224: 5).
    pub contract_hold_years: i64,
    pub policy: Vec<PolicyConfig>,
}

/// The least a hold may last: the law's own period.
pub const ORDER_HOLD_MIN_YEARS: i64 = 10;
pub const CONTRACT_HOLD_MIN_YEARS: i64 = 5;

impl Default for RetentionConfig {
    fn default() -> Self {
        let p = |name: &str, months: Option<i64>, days: Option<i64>| PolicyConfig {
            name: name.to_owned(),
            target: name.to_owned(),
            months,
            days,
        };
        Self {
            order_hold_years: ORDER_HOLD_MIN_YEARS,
            contract_hold_years: CONTRACT_HOLD_MIN_YEARS,
            policy: vec![
                p("inactive_prospects", Some(36), None),
                p("former_customers", Some(36), None),
                p("pending_consents", None, Some(30)),
                p("tracking_events", Some(13), None),
                p("ended_holds", None, None),
                p("audit_entries", Some(72), None),
                p("closed_requests", Some(60), None),
            ],
        }
    }
}

/// The policies and holds in force, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    pub policies: Vec<Policy>,
    pub holds: HoldRules,
}

impl Default for Retention {
    fn default() -> Self {
        RetentionConfig::default()
            .load()
            .expect("the default retention is valid")
    }
}

impl Retention {
    /// The period a policy or hold keeps its data, by the name a catalogue field gives
    /// in `retained_by` (`hold:orders`, `hold:contracts` for the holds).
    pub fn period_of(&self, name: &str) -> Option<Period> {
        match name {
            "hold:orders" => Some(Period::Months(u32::from(self.holds.order_years) * 12)),
            "hold:contracts" => Some(Period::Months(u32::from(self.holds.contract_years) * 12)),
            _ => self
                .policies
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.period),
        }
    }
}

impl RetentionConfig {
    /// Checks the section and builds the policies; the first problem found names the
    /// policy (or the hold) and the rule it breaks.
    pub fn load(&self) -> Result<Retention, FieldError> {
        let hold = |field: &str, years: i64, min: i64, ground: &str| {
            if years < min {
                Err(FieldError::new(
                    format!("retention.{field}"),
                    "hold_too_short",
                    format!("is {years} years, less than the legal hold of {min} years ({ground})"),
                ))
            } else {
                u8::try_from(years).map_err(|_| {
                    FieldError::new(
                        format!("retention.{field}"),
                        "hold_too_long",
                        "must be at most 255 years",
                    )
                })
            }
        };
        let mut holds = HoldRules::default();
        holds.order_years = hold(
            "order_hold_years",
            self.order_hold_years,
            ORDER_HOLD_MIN_YEARS,
            &holds.order_ground,
        )?;
        holds.contract_years = hold(
            "contract_hold_years",
            self.contract_hold_years,
            CONTRACT_HOLD_MIN_YEARS,
            &holds.contract_ground,
        )?;
        let mut policies: Vec<Policy> = Vec::new();
        for c in &self.policy {
            let name = c.name.trim();
            let valid_name = !name.is_empty()
                && name.len() <= 60
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !valid_name {
                return Err(FieldError::new(
                    "retention.policy.name",
                    "policy_name",
                    "a policy's name is 1 to 60 lower-case letters, digits or underscores",
                ));
            }
            let field = format!("retention.policy.{name}");
            if policies.iter().any(|q| q.name == name) {
                return Err(FieldError::new(
                    field,
                    "policy_unique",
                    "two policies have this name",
                ));
            }
            let target = Target::parse(&c.target).ok_or_else(|| {
                FieldError::new(
                    format!("{field}.target"),
                    "unknown_target",
                    format!(
                        "`{}` is not something a policy applies to (one of: {})",
                        c.target,
                        Target::ALL.map(Target::as_str).join(", ")
                    ),
                )
            })?;
            let positive = |unit: &str, n: i64| {
                u32::try_from(n)
                    .ok()
                    .filter(|&n| n > 0 && n <= 1200)
                    .ok_or_else(|| {
                        FieldError::new(
                            format!("{field}.{unit}"),
                            "policy_period",
                            format!("must be a whole number of {unit} from 1 to 1200"),
                        )
                    })
            };
            let period = match (target, c.months, c.days) {
                (Target::EndedHolds, None, None) => Period::Hold,
                (Target::EndedHolds, _, _) => return Err(FieldError::new(
                    field,
                    "hold_conflict",
                    "a held record goes when its own legal hold ends: this policy takes no period",
                )),
                (_, Some(m), None) => Period::Months(positive("months", m)?),
                (_, None, Some(d)) => Period::Days(positive("days", d)?),
                _ => {
                    return Err(FieldError::new(
                        field,
                        "policy_period",
                        "needs its period in `months` or in `days`, not both",
                    ))
                }
            };
            policies.push(Policy {
                name: name.to_owned(),
                target,
                period,
            });
        }
        Ok(Retention { policies, holds })
    }
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

    fn policy(name: &str, target: &str, months: Option<i64>, days: Option<i64>) -> PolicyConfig {
        PolicyConfig {
            name: name.into(),
            target: target.into(),
            months,
            days,
        }
    }

    fn refused(c: &RetentionConfig) -> (String, &'static str) {
        let e = c.load().unwrap_err();
        (e.field, e.rule)
    }

    #[test]
    fn a_bad_policy_is_refused_and_named() {
        let ok = RetentionConfig::default().load().unwrap();
        assert_eq!(ok.policies.len(), Target::ALL.len());
        assert_eq!(ok.holds, HoldRules::default());
        assert_eq!(ok.period_of("pending_consents"), Some(Period::Days(30)));
        assert_eq!(ok.period_of("hold:orders"), Some(Period::Months(120)));
        assert_eq!(ok.period_of("nothing"), None);

        let with = |p: PolicyConfig| RetentionConfig {
            policy: vec![p],
            ..RetentionConfig::default()
        };
        assert_eq!(
            refused(&with(policy("old", "everything", Some(12), None))),
            ("retention.policy.old.target".into(), "unknown_target")
        );
        assert_eq!(
            refused(&with(policy("now", "tracking_events", Some(0), None))),
            ("retention.policy.now.months".into(), "policy_period")
        );
        assert_eq!(
            refused(&with(policy("back", "pending_consents", None, Some(-3)))),
            ("retention.policy.back.days".into(), "policy_period")
        );
        assert_eq!(
            refused(&with(policy("both", "tracking_events", Some(1), Some(1)))),
            ("retention.policy.both".into(), "policy_period")
        );
        assert_eq!(
            refused(&with(policy("none", "tracking_events", None, None))),
            ("retention.policy.none".into(), "policy_period")
        );
        assert_eq!(
            refused(&with(policy("early", "ended_holds", Some(24), None))),
            ("retention.policy.early".into(), "hold_conflict")
        );
        assert_eq!(
            refused(&with(policy("Bad Name", "tracking_events", Some(1), None))).1,
            "policy_name"
        );
        let mut twice = RetentionConfig::default();
        twice.policy.push(twice.policy[0].clone());
        assert_eq!(
            refused(&twice),
            (
                "retention.policy.inactive_prospects".into(),
                "policy_unique"
            )
        );
        let short = RetentionConfig {
            order_hold_years: 6,
            ..RetentionConfig::default()
        };
        assert_eq!(
            refused(&short),
            ("retention.order_hold_years".into(), "hold_too_short")
        );
        assert!(short.load().unwrap_err().message.contains("L123-22"));
        let short = RetentionConfig {
            contract_hold_years: 4,
            ..RetentionConfig::default()
        };
        assert_eq!(
            refused(&short),
            ("retention.contract_hold_years".into(), "hold_too_short")
        );
    }

    #[test]
    fn periods_read_in_words_and_cut_off() {
        assert_eq!(
            Period::Months(36).words(),
            ("3 ans".into(), "3 years".into())
        );
        assert_eq!(Period::Months(12).words(), ("1 an".into(), "1 year".into()));
        assert_eq!(
            Period::Months(13).words(),
            ("13 mois".into(), "13 months".into())
        );
        assert_eq!(
            Period::Days(30).words(),
            ("30 jours".into(), "30 days".into())
        );
        let now = time::macros::datetime!(2026-12-07 10:00 UTC);
        let p = |period| Policy {
            name: "p".into(),
            target: Target::PendingConsents,
            period,
        };
        assert_eq!(
            p(Period::Days(30)).cutoff(now),
            time::macros::datetime!(2026-11-07 10:00 UTC)
        );
        assert_eq!(
            p(Period::Months(36)).cutoff(now),
            time::macros::datetime!(2023-12-07 10:00 UTC)
        );
        assert_eq!(p(Period::Hold).cutoff(now), now);
        assert_eq!(
            Target::parse("tracking_events"),
            Some(Target::TrackingEvents)
        );
    }
}
