//! Personal data breaches (SPEC B1, B2; GDPR Art. 33): what the register records of
//! each, the checks its facts must pass, and the 72-hour clock that runs from the
//! moment the organisation became aware of it to the notification of the supervisory
//! authority (the CNIL), with its reminders and, past it, the reasons for the delay
//! that a late notification must give (Art. 33(1)).

use crate::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// Hours from discovery to the authority's notification (Art. 33(1)).
pub const DEADLINE_HOURS: i64 = 72;

/// When the DPO is reminded, in hours after discovery, while no notification is made.
pub const REMINDER_HOURS: [i64; 3] = [24, 48, 66];

/// What the breach did to the data (the CNIL's three kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nature {
    /// Data disclosed to or reached by someone who should not have it.
    Confidentiality,
    /// Data altered without authority.
    Integrity,
    /// Data lost or made unreachable.
    Availability,
}

impl Nature {
    pub fn as_str(self) -> &'static str {
        match self {
            Nature::Confidentiality => "confidentiality",
            Nature::Integrity => "integrity",
            Nature::Availability => "availability",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Nature::Confidentiality,
            Nature::Integrity,
            Nature::Availability,
        ]
        .into_iter()
        .find(|n| n.as_str() == s)
    }
}

/// The risk to people's rights and freedoms (Art. 33(1), 34(1)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Unlikely to result in a risk: recorded, not notified (Art. 33(5) says why).
    None,
    /// A risk: the authority is notified.
    Risk,
    /// A high risk: the authority is notified and so are the people (Art. 34).
    High,
}

impl Risk {
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::None => "none",
            Risk::Risk => "risk",
            Risk::High => "high",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Risk::None, Risk::Risk, Risk::High]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// A notification to the authority: the first, or a complement (Art. 33(4)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// `initial` or `complement`.
    pub phase: String,
    /// The authority's reference for it, if it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Why the first notification came after 72 hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_reason: Option<String>,
}

/// How a breach's period chooses contacts (B3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodRule {
    /// Contacts present in the database at the end of the period (created by then;
    /// those erased since are gone and told nothing).
    #[default]
    Present,
    /// Contacts created in the period.
    Created,
    /// Contacts created or changed in the period. Only a contact's last change is
    /// kept, so one changed in the period and again later counts too: it errs on the
    /// side of telling.
    Changed,
}

impl PeriodRule {
    pub const ALL: [PeriodRule; 3] = [
        PeriodRule::Present,
        PeriodRule::Created,
        PeriodRule::Changed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PeriodRule::Present => "present",
            PeriodRule::Created => "created",
            PeriodRule::Changed => "changed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Which contacts a breach reached (B3): those holding data of one of its
/// `data_categories`, chosen by a period and, optionally, a campaign segment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub from: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub until: Option<OffsetDateTime>,
    #[serde(default)]
    pub rule: PeriodRule,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<uuid::Uuid>,
}

/// What the people affected are told in their language (Art. 34(2)), beside what
/// Candor writes itself (the nature of the breach, the data concerned, the DPO's
/// contact, their rights): the likely consequences, the measures taken and what they
/// can do, in plain words.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectMessage {
    #[serde(default)]
    pub fr: String,
    #[serde(default)]
    pub en: String,
}

impl SubjectMessage {
    pub fn get(&self, locale: crate::personal::Locale) -> &str {
        match locale {
            crate::personal::Locale::Fr => &self.fr,
            crate::personal::Locale::En => &self.en,
        }
    }
}

/// What the register keeps of a breach (B1), all of it editable, each change kept in
/// its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    #[serde(with = "time::serde::rfc3339")]
    pub discovered_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub occurred_from: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub occurred_until: Option<OffsetDateTime>,
    pub natures: Vec<Nature>,
    pub description: String,
    /// Categories of data: the catalogue's categories or fields (`contact.email`).
    pub data_categories: Vec<String>,
    /// Categories of people concerned, in words (customers, prospects…).
    pub subject_categories: Vec<String>,
    pub subjects_approx: Option<u64>,
    pub records_approx: Option<u64>,
    pub consequences: String,
    pub measures_taken: String,
    pub measures_proposed: String,
    /// None until assessed.
    pub risk: Option<Risk>,
    pub risk_reasoning: String,
    /// Why the authority is not notified (Art. 33(5)), when it is not.
    pub no_notification_reason: Option<String>,
    /// Which contacts it reached (B3).
    #[serde(default)]
    pub scope: Scope,
    /// The people's message, per language (Art. 34(2)).
    #[serde(default)]
    pub subject_message: SubjectMessage,
}

/// Where the 72-hour clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Not yet notified, within the 72 hours: the time left.
    Running { left: Duration },
    /// Not notified, past the 72 hours.
    Late { over: Duration },
    /// Notified, within the 72 hours or (with its reasons) after.
    Notified { late: bool },
    /// Assessed as no risk, with the reason it is not notified.
    NotRequired,
}

impl Clock {
    pub fn as_str(self) -> &'static str {
        match self {
            Clock::Running { .. } => "running",
            Clock::Late { .. } => "late",
            Clock::Notified { late: false } => "notified",
            Clock::Notified { late: true } => "notified_late",
            Clock::NotRequired => "not_required",
        }
    }
}

/// The moment the 72 hours end.
pub fn deadline(f: &Facts) -> OffsetDateTime {
    f.discovered_at + Duration::hours(DEADLINE_HOURS)
}

/// The clock of a breach at `now`.
pub fn clock(f: &Facts, notifications: &[Notification], now: OffsetDateTime) -> Clock {
    let due = deadline(f);
    // Lateness is the initial notification's: a complement cannot make it on time.
    if let Some(first) = notifications
        .iter()
        .find(|n| n.phase == "initial")
        .or(notifications.first())
    {
        return Clock::Notified {
            late: first.at > due,
        };
    }
    if f.risk == Some(Risk::None) && f.no_notification_reason.is_some() {
        return Clock::NotRequired;
    }
    if now <= due {
        Clock::Running { left: due - now }
    } else {
        Clock::Late { over: now - due }
    }
}

fn text(e: &mut FieldErrors, field: &str, v: &str, max: usize, required: bool) {
    if required && v.trim().is_empty() {
        e.push(FieldError::new(field, "required", "must not be empty"));
    } else if v.chars().count() > max {
        e.push(FieldError::new(
            field,
            "max_length",
            format!("must be at most {max} characters"),
        ));
    } else if crate::personal::has_stray_control(v) {
        e.push(FieldError::new(
            field,
            "no_control_characters",
            "must not contain control characters",
        ));
    }
}

impl Facts {
    /// The rules every breach meets (B1): discovered in the past, occurring before its
    /// discovery, natures and categories named, a description, the reason for not
    /// notifying when the risk is assessed as none. `known_category` says whether a
    /// data category is the catalogue's.
    pub fn check(
        &self,
        now: OffsetDateTime,
        known_category: &dyn Fn(&str) -> bool,
    ) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::default();
        if self.discovered_at > now {
            e.push(FieldError::new(
                "discovered_at",
                "not_in_future",
                "must not be in the future: the moment the organisation became aware of the breach",
            ));
        }
        for (field, t) in [
            ("occurred_from", self.occurred_from),
            ("occurred_until", self.occurred_until),
        ] {
            if t.is_some_and(|t| t > self.discovered_at) {
                e.push(FieldError::new(
                    field,
                    "before_discovery",
                    "must not be after the discovery",
                ));
            }
        }
        if let (Some(a), Some(b)) = (self.occurred_from, self.occurred_until) {
            if b < a {
                e.push(FieldError::new(
                    "occurred_until",
                    "after_start",
                    "must not be before occurred_from",
                ));
            }
        }
        if self.natures.is_empty() {
            e.push(FieldError::new(
                "natures",
                "required",
                "needs at least one of confidentiality, integrity, availability",
            ));
        }
        text(&mut e, "description", &self.description, 5000, true);
        if self.data_categories.is_empty() {
            e.push(FieldError::new(
                "data_categories",
                "required",
                "needs at least one category or field of the catalogue",
            ));
        }
        for (i, c) in self.data_categories.iter().enumerate() {
            if !known_category(c) {
                e.push(FieldError::new(
                    format!("data_categories[{i}]"),
                    "unknown_category",
                    "must be a category of the catalogue (identifying, transactional, technical, special_category) or one of its fields (contact.email)",
                ));
            }
        }
        for (i, c) in self.subject_categories.iter().enumerate() {
            text(&mut e, &format!("subject_categories[{i}]"), c, 200, true);
        }
        for (field, v, max) in [
            ("consequences", &self.consequences, 5000),
            ("measures_taken", &self.measures_taken, 5000),
            ("measures_proposed", &self.measures_proposed, 5000),
            ("risk_reasoning", &self.risk_reasoning, 5000),
        ] {
            text(&mut e, field, v, max, false);
        }
        if self.risk.is_some() && self.risk_reasoning.trim().is_empty() {
            e.push(FieldError::new(
                "risk_reasoning",
                "required",
                "an assessed risk needs its reasoning",
            ));
        }
        match (&self.risk, &self.no_notification_reason) {
            (Some(Risk::None), None) => e.push(FieldError::new(
                "no_notification_reason",
                "required",
                "a breach not notified keeps the reason why (Art. 33(5))",
            )),
            (Some(Risk::Risk | Risk::High), Some(_)) => e.push(FieldError::new(
                "no_notification_reason",
                "risk_is_notified",
                "a breach with a risk is notified to the authority: no reason not to",
            )),
            (_, Some(r)) => text(&mut e, "no_notification_reason", r, 5000, true),
            _ => {}
        }
        if let Some(from) = self.scope.from {
            if from > now {
                e.push(FieldError::new(
                    "scope.from",
                    "not_in_future",
                    "must not be in the future",
                ));
            }
            if self.scope.until.is_some_and(|u| u < from) {
                e.push(FieldError::new(
                    "scope.until",
                    "after_start",
                    "must not be before scope.from",
                ));
            }
        }
        if self.scope.from.is_none() && self.scope.rule != PeriodRule::Present {
            e.push(FieldError::new(
                "scope.from",
                "required",
                "contacts created or changed in a period need the period's start",
            ));
        }
        text(
            &mut e,
            "subject_message.fr",
            &self.subject_message.fr,
            5000,
            false,
        );
        text(
            &mut e,
            "subject_message.en",
            &self.subject_message.en,
            5000,
            false,
        );
        e.into_result()
    }
}

/// Checks a notification to record: dated after the discovery and not in the
/// future; the first one comes before complements, and past 72 hours gives the reasons
/// for the delay (Art. 33(1)).
pub fn check_notification(
    f: &Facts,
    before: &[Notification],
    n: &Notification,
    now: OffsetDateTime,
) -> Result<(), FieldErrors> {
    let mut e = FieldErrors::default();
    if n.at < f.discovered_at {
        e.push(FieldError::new(
            "at",
            "after_discovery",
            "must not be before the discovery",
        ));
    }
    if n.at > now {
        e.push(FieldError::new(
            "at",
            "not_in_future",
            "must not be in the future",
        ));
    }
    if before.last().is_some_and(|last| n.at < last.at) {
        e.push(FieldError::new(
            "at",
            "after_previous",
            "must not be before the previous notification",
        ));
    }
    match n.phase.as_str() {
        "initial" if !before.is_empty() => e.push(FieldError::new(
            "phase",
            "already_notified",
            "the authority was already notified: send a complement",
        )),
        "complement" if before.is_empty() => e.push(FieldError::new(
            "phase",
            "initial_first",
            "the first notification is the initial one",
        )),
        "initial" | "complement" => {}
        _ => e.push(FieldError::new(
            "phase",
            "unknown_phase",
            "must be initial or complement",
        )),
    }
    if f.risk == Some(Risk::None) {
        e.push(FieldError::new(
            "risk",
            "assessed_no_risk",
            "this breach is assessed as no risk: change the assessment before notifying",
        ));
    }
    let late = n.phase == "initial" && n.at > deadline(f);
    match &n.late_reason {
        None if late => e.push(FieldError::new(
            "late_reason",
            "required",
            "a notification after 72 hours gives the reasons for the delay (Art. 33(1))",
        )),
        Some(r) => text(&mut e, "late_reason", r, 5000, late),
        None => {}
    }
    if let Some(r) = &n.reference {
        text(&mut e, "reference", r, 200, false);
    }
    e.into_result()
}

/// Checks that the people affected may be told of a breach (Art. 34): it is assessed as
/// a high risk, and the message is written in each language among them
/// (`languages`, the locales of the people to tell).
pub fn check_subject_notices(
    f: &Facts,
    languages: &[crate::personal::Locale],
) -> Result<(), FieldErrors> {
    let mut e = FieldErrors::default();
    if f.risk != Some(Risk::High) {
        e.push(FieldError::new(
            "risk",
            "high_risk_required",
            "the people are told of a breach assessed as a high risk (Art. 34(1)): assess it first",
        ));
    }
    for l in languages {
        if f.subject_message.get(*l).trim().is_empty() {
            e.push(FieldError::new(
                format!("subject_message.{}", l.as_str()),
                "required_for_language",
                "some of the people to tell read this language: write their message in it",
            ));
        }
    }
    e.into_result()
}

/// Checks a change of a breach already notified: its discovery is what the notification
/// was measured from, so it stays; and its risk cannot become none.
pub fn check_change(before: &Facts, after: &Facts, notified: bool) -> Result<(), FieldErrors> {
    let mut e = FieldErrors::default();
    if notified && before.discovered_at != after.discovered_at {
        e.push(FieldError::new(
            "discovered_at",
            "fixed_once_notified",
            "the authority was notified of this breach: its discovery, from which the 72 hours ran, no longer changes",
        ));
    }
    if notified && after.risk == Some(Risk::None) {
        e.push(FieldError::new(
            "risk",
            "already_notified",
            "the authority was notified of this breach: its risk cannot be assessed as none",
        ));
    }
    e.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn facts() -> Facts {
        Facts {
            discovered_at: datetime!(2026-12-07 10:00 UTC),
            occurred_from: Some(datetime!(2026-12-06 22:00 UTC)),
            occurred_until: None,
            natures: vec![Nature::Confidentiality],
            description: "Un export de contacts envoyé au mauvais destinataire.".into(),
            data_categories: vec!["contact.email".into()],
            subject_categories: vec!["Clients".into()],
            subjects_approx: Some(120),
            records_approx: Some(120),
            consequences: String::new(),
            measures_taken: String::new(),
            measures_proposed: String::new(),
            risk: None,
            risk_reasoning: String::new(),
            no_notification_reason: None,
            scope: Scope::default(),
            subject_message: SubjectMessage::default(),
        }
    }

    fn known(c: &str) -> bool {
        c == "contact.email" || c == "identifying"
    }

    fn rules(r: Result<(), FieldErrors>) -> Vec<(String, &'static str)> {
        r.err()
            .map(|e| e.0.into_iter().map(|e| (e.field, e.rule)).collect())
            .unwrap_or_default()
    }

    #[test]
    fn the_clock_runs_72_hours_from_discovery() {
        let f = facts();
        let now = datetime!(2026-12-07 11:00 UTC);
        assert_eq!(
            clock(&f, &[], now),
            Clock::Running {
                left: Duration::hours(71)
            }
        );
        assert_eq!(
            clock(&f, &[], datetime!(2026-12-10 11:00 UTC)),
            Clock::Late {
                over: Duration::hours(1)
            }
        );
        let n = |at| Notification {
            at,
            phase: "initial".into(),
            reference: None,
            late_reason: None,
        };
        assert_eq!(
            clock(&f, &[n(datetime!(2026-12-09 09:00 UTC))], now),
            Clock::Notified { late: false }
        );
        assert_eq!(
            clock(&f, &[n(datetime!(2026-12-10 10:01 UTC))], now),
            Clock::Notified { late: true }
        );
        let mut none = facts();
        none.risk = Some(Risk::None);
        none.risk_reasoning = "Données chiffrées, clé non compromise.".into();
        none.no_notification_reason = Some("Aucun risque : chiffrées.".into());
        assert_eq!(clock(&none, &[], now), Clock::NotRequired);
    }

    #[test]
    fn bad_facts_are_named() {
        let now = datetime!(2026-12-07 11:00 UTC);
        assert!(facts().check(now, &known).is_ok());
        let mut f = facts();
        f.discovered_at = datetime!(2026-12-08 10:00 UTC);
        assert!(rules(f.check(now, &known)).contains(&("discovered_at".into(), "not_in_future")));
        let mut f = facts();
        f.occurred_from = Some(datetime!(2026-12-07 10:30 UTC));
        assert_eq!(
            rules(f.check(now, &known)),
            [("occurred_from".to_owned(), "before_discovery")]
        );
        let mut f = facts();
        f.data_categories = vec!["blood_type".into()];
        f.natures.clear();
        assert_eq!(
            rules(f.check(now, &known)),
            [
                ("natures".to_owned(), "required"),
                ("data_categories[0]".to_owned(), "unknown_category")
            ]
        );
        let mut f = facts();
        f.risk = Some(Risk::None);
        f.risk_reasoning = "Chiffré.".into();
        assert_eq!(
            rules(f.check(now, &known)),
            [("no_notification_reason".to_owned(), "required")]
        );
    }

    #[test]
    fn a_late_notification_needs_its_reasons() {
        let f = facts();
        let now = datetime!(2026-12-12 10:00 UTC);
        let mut n = Notification {
            at: datetime!(2026-12-10 12:00 UTC),
            phase: "initial".into(),
            reference: None,
            late_reason: None,
        };
        assert_eq!(
            rules(check_notification(&f, &[], &n, now)),
            [("late_reason".to_owned(), "required")]
        );
        n.late_reason = Some("Périmètre établi le 10 décembre seulement.".into());
        assert!(check_notification(&f, &[], &n, now).is_ok());
        let early = Notification {
            at: datetime!(2026-12-07 09:00 UTC),
            ..n.clone()
        };
        assert!(rules(check_notification(&f, &[], &early, now))
            .contains(&("at".into(), "after_discovery")));
        let complement = Notification {
            phase: "complement".into(),
            late_reason: None,
            ..n.clone()
        };
        assert_eq!(
            rules(check_notification(&f, &[], &complement, now)),
            [("phase".to_owned(), "initial_first")]
        );
        assert!(check_notification(&f, &[n.clone()], &complement, now).is_ok());
        // A complement dated before the initial one: refused, and the clock stays late.
        let earlier = Notification {
            at: datetime!(2026-12-07 12:00 UTC),
            ..complement
        };
        assert_eq!(
            rules(check_notification(&f, &[n.clone()], &earlier, now)),
            [("at".to_owned(), "after_previous")]
        );
        assert_eq!(
            clock(&f, &[n.clone(), earlier], now),
            Clock::Notified { late: true }
        );
    }

    #[test]
    fn people_are_told_of_a_high_risk_in_their_language() {
        use crate::personal::Locale;
        let mut f = facts();
        assert_eq!(
            rules(check_subject_notices(&f, &[Locale::Fr])),
            [
                ("risk".to_owned(), "high_risk_required"),
                ("subject_message.fr".to_owned(), "required_for_language")
            ]
        );
        f.risk = Some(Risk::High);
        f.subject_message.fr = "Changez votre mot de passe.".into();
        assert!(check_subject_notices(&f, &[Locale::Fr]).is_ok());
        assert_eq!(
            rules(check_subject_notices(&f, &[Locale::Fr, Locale::En])),
            [("subject_message.en".to_owned(), "required_for_language")]
        );
        // A period for created or changed contacts needs its start, before its end.
        let now = datetime!(2026-12-07 11:00 UTC);
        f.risk_reasoning = "Adresses exposées.".into();
        f.scope.rule = PeriodRule::Created;
        assert_eq!(
            rules(f.check(now, &known)),
            [("scope.from".to_owned(), "required")]
        );
        f.scope.from = Some(datetime!(2026-11-01 00:00 UTC));
        f.scope.until = Some(datetime!(2026-10-01 00:00 UTC));
        assert_eq!(
            rules(f.check(now, &known)),
            [("scope.until".to_owned(), "after_start")]
        );
    }
}
