//! Contracts (SPEC M2's "active contract"): a contract with a contact (B2C) or with a
//! company (B2B, covering its people), with a reference, dates and a status.

use crate::error::{FieldError, FieldErrors};
use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractStatus {
    Active,
    Ended,
    Cancelled,
}

impl ContractStatus {
    pub const ALL: &'static [ContractStatus] = &[
        ContractStatus::Active,
        ContractStatus::Ended,
        ContractStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContractStatus::Active => "active",
            ContractStatus::Ended => "ended",
            ContractStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == s.trim())
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    "contract_status",
                    "must be one of: active, ended, cancelled",
                )
            })
    }
}

/// Who the contract is with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Contact(Uuid),
    Company(Uuid),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    pub id: Uuid,
    pub party: Party,
    pub reference: String,
    pub status: ContractStatus,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Contract {
    /// Running on `today`: active, started, and not past its end date.
    pub fn is_active(&self, today: Date) -> bool {
        self.status == ContractStatus::Active
            && self.starts_on <= today
            && self.ends_on.is_none_or(|e| e >= today)
    }
}

/// A contract to create or the fields to change: `None` keeps, `Some(None)` clears.
#[derive(Debug, Clone, Default)]
pub struct ContractPatch {
    pub reference: Option<Option<String>>,
    pub status: Option<Option<String>>,
    pub starts_on: Option<Option<String>>,
    pub ends_on: Option<Option<String>>,
}

/// What a contract holds, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractData {
    pub reference: String,
    pub status: ContractStatus,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
}

fn date(field: &str, s: &str) -> Result<Date, FieldError> {
    Date::parse(
        s.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| FieldError::new(field, "date_format", "must be a date: YYYY-MM-DD"))
}

impl ContractPatch {
    pub fn fields(&self) -> Vec<String> {
        [
            ("reference", self.reference.is_some()),
            ("status", self.status.is_some()),
            ("starts_on", self.starts_on.is_some()),
            ("ends_on", self.ends_on.is_some()),
        ]
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(n, _)| n.to_owned())
        .collect()
    }

    /// Checks every touched field over `base`; all errors at once.
    pub fn apply(&self, base: Option<&ContractData>) -> Result<ContractData, FieldErrors> {
        let mut e = FieldErrors::default();
        let reference = match &self.reference {
            None => base.map(|b| b.reference.clone()),
            Some(None) => None,
            Some(Some(r)) => {
                let r = r.trim();
                if r.is_empty() || r.chars().count() > 100 || r.chars().any(char::is_control) {
                    e.push(FieldError::new(
                        "reference",
                        "reference_format",
                        "must be 1 to 100 characters, without control characters",
                    ));
                    None
                } else {
                    Some(r.to_owned())
                }
            }
        };
        let status = match &self.status {
            None => base.map(|b| b.status).or(Some(ContractStatus::Active)),
            Some(None) => None,
            Some(Some(s)) => e.check(ContractStatus::parse("status", s)),
        };
        let starts_on = match &self.starts_on {
            None => base.map(|b| b.starts_on),
            Some(None) => None,
            Some(Some(s)) => e.check(date("starts_on", s)),
        };
        let ends_on = match &self.ends_on {
            None => base.and_then(|b| b.ends_on),
            Some(None) => None,
            Some(Some(s)) => e.check(date("ends_on", s)),
        };
        for (name, missing) in [
            ("reference", reference.is_none()),
            ("status", status.is_none()),
            ("starts_on", starts_on.is_none()),
        ] {
            if missing && !e.0.iter().any(|x| x.field == name) {
                e.push(FieldError::new(name, "required", "is required"));
            }
        }
        if let (Some(s), Some(end)) = (starts_on, ends_on) {
            if end < s {
                e.push(FieldError::new(
                    "ends_on",
                    "ends_after_start",
                    "must not be before starts_on",
                ));
            }
        }
        let (reference, status, starts_on) = e.finish((reference, status, starts_on))?;
        Ok(ContractData {
            reference,
            status,
            starts_on,
            ends_on,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn patch(reference: &str, starts: &str, ends: Option<&str>) -> ContractPatch {
        ContractPatch {
            reference: Some(Some(reference.into())),
            status: None,
            starts_on: Some(Some(starts.into())),
            ends_on: ends.map(|e| Some(e.into())),
        }
    }

    #[test]
    fn a_contract_is_active_between_its_dates_while_its_status_is_active() {
        let d = patch("C-1", "2026-01-01", Some("2026-12-31"))
            .apply(None)
            .unwrap();
        let c = Contract {
            id: Uuid::nil(),
            party: Party::Contact(Uuid::nil()),
            reference: d.reference,
            status: d.status,
            starts_on: d.starts_on,
            ends_on: d.ends_on,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        };
        assert!(c.is_active(date!(2026 - 06 - 01)));
        assert!(c.is_active(date!(2026 - 12 - 31)));
        assert!(!c.is_active(date!(2027 - 01 - 01)));
        assert!(!c.is_active(date!(2025 - 12 - 31)));
        let ended = Contract {
            status: ContractStatus::Ended,
            ..c
        };
        assert!(!ended.is_active(date!(2026 - 06 - 01)));
    }

    #[test]
    fn bad_contracts_are_refused_naming_each_field() {
        let e = patch("", "2026-13-01", None).apply(None).unwrap_err();
        let rules: Vec<(&str, &str)> = e.0.iter().map(|x| (x.field.as_str(), x.rule)).collect();
        assert_eq!(
            rules,
            [
                ("reference", "reference_format"),
                ("starts_on", "date_format")
            ]
        );
        let e = patch("C-2", "2026-05-01", Some("2026-04-01"))
            .apply(None)
            .unwrap_err();
        assert_eq!(e.0[0].rule, "ends_after_start");
        let e = ContractPatch {
            status: Some(Some("paused".into())),
            ..patch("C-3", "2026-05-01", None)
        }
        .apply(None)
        .unwrap_err();
        assert_eq!(e.0[0].rule, "contract_status");
    }
}
