//! Data subject requests (SPEC R1, R7; GDPR Art. 12, 15–22): what was asked, by whom,
//! through which channel, its status, its deadline and the rules that move it.
//!
//! The lifecycle is `received → identity_verified → in_progress → answered`, or
//! `refused` from any open status (Art. 12(5) manifestly unfounded or excessive, Art.
//! 12(6) identity not established). Nothing is disclosed or changed for the person
//! before their identity is verified. The deadline is one calendar month from receipt
//! (Art. 12(3)), extendable once, within that first month, by up to two more months
//! with a reason the person is told.

use crate::error::FieldError;
use serde::Serialize;
use time::{Date, Month};

macro_rules! words {
    ($(#[$m:meta])* $ty:ident, $rule:literal, $what:literal { $($variant:ident => $name:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $ty { $($variant),* }

        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),* }
            }

            pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s.trim()).ok_or_else(|| {
                    let all: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    FieldError::new(field, $rule, format!(concat!("must be one of the ", $what, ": {}"), all.join(", ")))
                })
            }
        }
    };
}

words!(
    /// What the person asks for (Art. 15–18, 20, 21, and information under Art. 13–14).
    RequestKind, "request_kind", "request kinds" {
        Access => "access",
        Rectification => "rectification",
        Erasure => "erasure",
        Portability => "portability",
        Restriction => "restriction",
        Objection => "objection",
        Information => "information",
    }
);

words!(
    /// How the request reached the organisation.
    RequestChannel, "request_channel", "channels" {
        InPerson => "in_person",
        Letter => "letter",
        Email => "email",
        Phone => "phone",
        Portal => "portal",
        Api => "api",
    }
);

words!(
    RequestStatus, "request_status", "statuses" {
        Received => "received",
        IdentityVerified => "identity_verified",
        InProgress => "in_progress",
        Answered => "answered",
        Refused => "refused",
    }
);

words!(
    /// Why a request is refused: Art. 12(5) (manifestly unfounded, excessive), Art. 12(6)
    /// (the identity could not be established).
    RefusalReason, "refusal_reason", "refusal reasons" {
        ManifestlyUnfounded => "manifestly_unfounded",
        Excessive => "excessive",
        IdentityNotEstablished => "identity_not_established",
    }
);

impl RequestStatus {
    /// Answered and refused requests are closed: nothing moves them any more.
    pub fn is_open(self) -> bool {
        !matches!(self, RequestStatus::Answered | RequestStatus::Refused)
    }
}

/// The lengths of the deadline, in calendar months (configurable; the law's are 1 + 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    pub months: u8,
    pub max_extension_months: u8,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            months: 1,
            max_extension_months: 2,
        }
    }
}

/// `date` plus `months` calendar months, on the same day of the month or, when that
/// month is shorter, on its last day: 31 January + 1 month is 28 (or 29) February,
/// 30 April + 1 month is 30 May.
pub fn add_months(date: Date, months: u8) -> Date {
    let index = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + i32::from(months);
    let year = index.div_euclid(12);
    let month = Month::try_from((index.rem_euclid(12) + 1) as u8).unwrap_or(Month::December);
    let last = month.length(year);
    Date::from_calendar_date(year, month, date.day().min(last)).unwrap_or(date)
}

/// The first deadline of a request received on `received`.
pub fn first_deadline(received: Date, d: Deadlines) -> Date {
    add_months(received, d.months)
}

/// Checks the date a request was received: never in the future.
pub fn check_received(field: &str, received: Date, today: Date) -> Result<(), FieldError> {
    if received > today {
        return Err(FieldError::new(
            field,
            "not_in_future",
            "must not be after today",
        ));
    }
    Ok(())
}

/// The new deadline of an extension by `months` decided on `today`, or the rule it
/// breaks: one extension only, decided before the first deadline (the person must be
/// told within the first month, Art. 12(3)), of 1 to `max_extension_months` months,
/// with a reason, on an open request.
pub fn extend(
    status: RequestStatus,
    received: Date,
    already_extended: bool,
    months: u8,
    reason: &str,
    today: Date,
    d: Deadlines,
) -> Result<Date, FieldError> {
    if !status.is_open() {
        return Err(FieldError::new(
            "status",
            "request_closed",
            "the request is closed: it can no longer be extended",
        ));
    }
    if already_extended {
        return Err(FieldError::new(
            "months",
            "extended_once",
            "the deadline was extended already; it can be extended once",
        ));
    }
    if months == 0 || months > d.max_extension_months {
        return Err(FieldError::new(
            "months",
            "extension_length",
            format!("must be 1 to {} months", d.max_extension_months),
        ));
    }
    if reason.trim().is_empty() {
        return Err(FieldError::new(
            "reason",
            "required",
            "say why the request needs more time: the person is told",
        ));
    }
    let first = first_deadline(received, d);
    if today > first {
        return Err(FieldError::new(
            "months",
            "extension_too_late",
            format!("an extension must be decided and told within the first period, which ended on {first}"),
        ));
    }
    Ok(add_months(first, months))
}

/// What can happen to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    VerifyIdentity,
    Start,
    Answer,
    Refuse(RefusalReason),
}

/// The status after `step`, or the rule it breaks.
pub fn next(status: RequestStatus, step: Step) -> Result<RequestStatus, FieldError> {
    use RequestStatus as S;
    let closed = || {
        FieldError::new(
            "status",
            "request_closed",
            format!(
                "the request is {}: nothing more can change it",
                status.as_str()
            ),
        )
    };
    if !status.is_open() {
        return Err(closed());
    }
    match (status, step) {
        (S::Received, Step::VerifyIdentity) => Ok(S::IdentityVerified),
        (_, Step::VerifyIdentity) => Err(FieldError::new(
            "status",
            "identity_already_verified",
            "the identity was verified already",
        )),
        (S::Received, Step::Start | Step::Answer) => Err(FieldError::new(
            "status",
            "identity_not_verified",
            "verify the person's identity first: nothing is disclosed or changed before",
        )),
        (_, Step::Start) => Ok(S::InProgress),
        (_, Step::Answer) => Ok(S::Answered),
        (S::Received, Step::Refuse(_)) => Ok(S::Refused),
        (_, Step::Refuse(RefusalReason::IdentityNotEstablished)) => Err(FieldError::new(
            "reason",
            "identity_already_verified",
            "the identity was verified: it cannot be the reason to refuse",
        )),
        (_, Step::Refuse(_)) => Ok(S::Refused),
    }
}

/// Days from `today` to `deadline` (negative once overdue).
pub fn days_left(deadline: Date, today: Date) -> i64 {
    (deadline - today).whole_days()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn one_month_is_a_calendar_month_clamped_to_the_months_end() {
        let d = Deadlines::default();
        assert_eq!(
            first_deadline(date!(2026 - 01 - 31), d),
            date!(2026 - 02 - 28)
        );
        assert_eq!(
            first_deadline(date!(2028 - 01 - 31), d),
            date!(2028 - 02 - 29)
        );
        assert_eq!(
            first_deadline(date!(2026 - 04 - 30), d),
            date!(2026 - 05 - 30)
        );
        assert_eq!(
            first_deadline(date!(2026 - 03 - 31), d),
            date!(2026 - 04 - 30)
        );
        assert_eq!(
            first_deadline(date!(2026 - 12 - 15), d),
            date!(2027 - 01 - 15)
        );
        assert_eq!(add_months(date!(2026 - 01 - 31), 3), date!(2026 - 04 - 30));
        assert_eq!(add_months(date!(2026 - 11 - 30), 14), date!(2028 - 01 - 30));
        // The seed's "deux mois": one month and one more.
        let two = Deadlines {
            months: 2,
            max_extension_months: 1,
        };
        assert_eq!(
            first_deadline(date!(2026 - 01 - 31), two),
            date!(2026 - 03 - 31)
        );
    }

    #[test]
    fn an_extension_is_once_within_the_first_month_and_at_most_two_months() {
        let d = Deadlines::default();
        let rec = date!(2026 - 01 - 31);
        let open = RequestStatus::IdentityVerified;
        assert_eq!(
            extend(
                open,
                rec,
                false,
                2,
                "many records",
                date!(2026 - 02 - 10),
                d
            ),
            Ok(date!(2026 - 04 - 28))
        );
        let rule = |r: Result<Date, FieldError>| r.unwrap_err().rule;
        assert_eq!(
            rule(extend(open, rec, true, 1, "x", date!(2026 - 02 - 10), d)),
            "extended_once"
        );
        assert_eq!(
            rule(extend(open, rec, false, 3, "x", date!(2026 - 02 - 10), d)),
            "extension_length"
        );
        assert_eq!(
            rule(extend(open, rec, false, 0, "x", date!(2026 - 02 - 10), d)),
            "extension_length"
        );
        assert_eq!(
            rule(extend(open, rec, false, 1, "  ", date!(2026 - 02 - 10), d)),
            "required"
        );
        assert_eq!(
            rule(extend(open, rec, false, 1, "x", date!(2026 - 03 - 01), d)),
            "extension_too_late"
        );
        assert!(extend(open, rec, false, 1, "x", date!(2026 - 02 - 28), d).is_ok());
        assert_eq!(
            rule(extend(
                RequestStatus::Answered,
                rec,
                false,
                1,
                "x",
                date!(2026 - 02 - 10),
                d
            )),
            "request_closed"
        );
    }

    #[test]
    fn nothing_is_answered_before_the_identity_is_verified() {
        use RequestStatus as S;
        assert_eq!(
            next(S::Received, Step::Answer).unwrap_err().rule,
            "identity_not_verified"
        );
        assert_eq!(
            next(S::Received, Step::Start).unwrap_err().rule,
            "identity_not_verified"
        );
        assert_eq!(
            next(S::Received, Step::VerifyIdentity),
            Ok(S::IdentityVerified)
        );
        assert_eq!(next(S::IdentityVerified, Step::Start), Ok(S::InProgress));
        assert_eq!(next(S::IdentityVerified, Step::Answer), Ok(S::Answered));
        assert_eq!(next(S::InProgress, Step::Answer), Ok(S::Answered));
        assert_eq!(
            next(S::IdentityVerified, Step::VerifyIdentity)
                .unwrap_err()
                .rule,
            "identity_already_verified"
        );
        assert_eq!(
            next(
                S::Received,
                Step::Refuse(RefusalReason::IdentityNotEstablished)
            ),
            Ok(S::Refused)
        );
        assert_eq!(
            next(
                S::InProgress,
                Step::Refuse(RefusalReason::IdentityNotEstablished)
            )
            .unwrap_err()
            .rule,
            "identity_already_verified"
        );
        assert_eq!(
            next(S::InProgress, Step::Refuse(RefusalReason::Excessive)),
            Ok(S::Refused)
        );
        for closed in [S::Answered, S::Refused] {
            for step in [
                Step::VerifyIdentity,
                Step::Start,
                Step::Answer,
                Step::Refuse(RefusalReason::Excessive),
            ] {
                assert_eq!(next(closed, step).unwrap_err().rule, "request_closed");
            }
        }
    }

    #[test]
    fn a_received_date_is_never_in_the_future() {
        let today = date!(2026 - 12 - 02);
        assert!(check_received("received_on", today, today).is_ok());
        assert!(check_received("received_on", date!(2026 - 11 - 30), today).is_ok());
        let e = check_received("received_on", date!(2026 - 12 - 03), today).unwrap_err();
        assert_eq!((e.field.as_str(), e.rule), ("received_on", "not_in_future"));
    }

    #[test]
    fn every_word_reads_back() {
        for k in RequestKind::ALL {
            assert_eq!(RequestKind::parse("kind", k.as_str()), Ok(*k));
        }
        for c in RequestChannel::ALL {
            assert_eq!(RequestChannel::parse("channel", c.as_str()), Ok(*c));
        }
        let e = RequestKind::parse("kind", "deletion").unwrap_err();
        assert_eq!((e.field.as_str(), e.rule), ("kind", "request_kind"));
        assert!(e.message.contains("erasure"));
    }
}

/// What a person gave of themselves when no contact matched (or before one is found):
/// the answer "we hold nothing on you" needs somewhere to go.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Requester {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_address: Option<String>,
}

/// The one extension of a request's deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub months: u8,
    pub reason: String,
    pub at: time::OffsetDateTime,
}

/// What was checked to establish the person's identity, by whom, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityCheck {
    pub method: String,
    pub by: String,
    pub at: time::OffsetDateTime,
}

/// A data subject request as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectRequest {
    pub id: uuid::Uuid,
    /// The contact it concerns; none when no contact matched what the person gave.
    pub subject_id: Option<uuid::Uuid>,
    pub kind: RequestKind,
    pub channel: RequestChannel,
    pub status: RequestStatus,
    pub received_on: Date,
    /// The deadline now: the first one, or the extended one.
    pub deadline: Date,
    pub extension: Option<Extension>,
    pub requester: Requester,
    /// What the person asked, in their words or the staff member's summary.
    pub details: String,
    pub identity: Option<IdentityCheck>,
    pub refusal: Option<(RefusalReason, String)>,
    /// How the request was answered (a summary; the answer's content is elsewhere).
    pub answer: Option<String>,
    /// The audit name of who recorded it (`user:<id>`, `token:<id>`, `portal`).
    pub recorded_by: String,
    pub created_at: time::OffsetDateTime,
    pub closed_at: Option<time::OffsetDateTime>,
    /// A restriction (Art. 18) holds while its request is open or answered, until lifted.
    pub restriction_lifted_at: Option<time::OffsetDateTime>,
    /// The signed acknowledgement of receipt: canonical JSON and its signature.
    pub receipt: String,
    pub receipt_signature: String,
}

impl SubjectRequest {
    /// Whether this request restricts processing of its subject now (Art. 18).
    pub fn restricts(&self) -> bool {
        self.kind == RequestKind::Restriction
            && self.status != RequestStatus::Refused
            && self.restriction_lifted_at.is_none()
    }
}

/// One step of a request's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestEvent {
    pub request_id: uuid::Uuid,
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: time::OffsetDateTime,
    pub actor: String,
    /// received, identity_verified, started, extended, answered, refused, delivered,
    /// restriction_lifted…
    pub action: String,
    pub detail: serde_json::Value,
}
