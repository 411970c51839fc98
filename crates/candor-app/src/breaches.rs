//! The breach register (B1, B2): record a breach, change it, record its notifications
//! to the authority, read the 72-hour clock and the content of the notification.
//! dpo and admin only. Every change is kept in the breach's history with who and when;
//! the DPO's reminders at 24, 48 and 66 hours are scheduled with the record and
//! cancelled with the first notification.

use crate::{Actor, AppError, Candor};
use candor_domain::breach::{self, Clock, Facts, Nature, Notification, Risk};
use candor_domain::catalogue::DataCategory;
use candor_domain::{FieldError, FieldErrors};
use candor_store::segment::SegmentCondition;
use candor_store::{BreachChange, BreachRecord, JobRecord};
use serde_json::{json, Value};
use time::OffsetDateTime;
use uuid::Uuid;

/// The job that reminds the DPO of a breach not yet notified.
pub const BREACH_REMINDER: &str = "breach_reminder";

/// A breach as given: every part optional, so a change gives only what changes. A new
/// breach needs its discovery, natures, description and data categories.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreachInput {
    pub discovered_at: Option<String>,
    pub occurred_from: Option<String>,
    pub occurred_until: Option<String>,
    pub natures: Option<Vec<String>>,
    pub description: Option<String>,
    pub data_categories: Option<Vec<String>>,
    pub subject_categories: Option<Vec<String>>,
    pub subjects_approx: Option<i64>,
    pub records_approx: Option<i64>,
    pub consequences: Option<String>,
    pub measures_taken: Option<String>,
    pub measures_proposed: Option<String>,
    pub risk: Option<String>,
    pub risk_reasoning: Option<String>,
    pub no_notification_reason: Option<String>,
    /// Which contacts it reached (B3); given whole (a part left out is cleared).
    pub scope: Option<ScopeInput>,
    /// The people's message per language (Art. 34(2)); a language left out is kept.
    pub subject_message: Option<SubjectMessageInput>,
}

/// A breach's scope as given (B3): a period and how it chooses contacts, a segment.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeInput {
    pub from: Option<String>,
    pub until: Option<String>,
    /// `present` (default), `created` or `changed`.
    pub rule: Option<String>,
    /// A campaign segment's id.
    pub segment: Option<String>,
}

/// The people's message as given, per language.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectMessageInput {
    pub fr: Option<String>,
    pub en: Option<String>,
}

/// The people a breach reached, as its scope computes them now (B3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Affected {
    /// Contacts in the scope.
    pub subjects: i64,
    /// Of them, those with an email address, who can be told, per language.
    pub reachable_fr: i64,
    pub reachable_en: i64,
    /// People told so far (erased people told before still count).
    pub told: u64,
}

impl Affected {
    pub fn reachable(&self) -> i64 {
        self.reachable_fr + self.reachable_en
    }
}

/// A notification to the authority as given.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationInput {
    /// When it was made; now when absent.
    pub at: Option<String>,
    /// `initial` (default for the first) or `complement`.
    pub phase: Option<String>,
    pub reference: Option<String>,
    pub late_reason: Option<String>,
}

/// A breach with where its clock stands.
#[derive(Debug, Clone)]
pub struct BreachView {
    pub record: BreachRecord,
    pub clock: Clock,
    pub deadline: OffsetDateTime,
    pub history: Vec<BreachChange>,
}

fn time_of(e: &mut FieldErrors, field: &str, v: &str) -> Option<OffsetDateTime> {
    e.check(
        OffsetDateTime::parse(v.trim(), &time::format_description::well_known::Rfc3339).map_err(
            |_| {
                FieldError::new(
                    field,
                    "datetime",
                    "must be a date and time with its offset (RFC 3339: 2026-12-07T09:30:00+01:00)",
                )
            },
        ),
    )
}

fn count_of(e: &mut FieldErrors, field: &str, v: i64) -> Option<u64> {
    e.check(
        u64::try_from(v).map_err(|_| {
            FieldError::new(field, "non_negative", "must be a whole number, 0 or more")
        }),
    )
}

fn some_text(v: String) -> Option<String> {
    let t = v.trim().to_owned();
    (!t.is_empty()).then_some(t)
}

/// `input` laid over `base` (a new breach: none), parsed; every error found.
fn overlay(
    base: Option<&Facts>,
    input: BreachInput,
    now: OffsetDateTime,
) -> Result<Facts, FieldErrors> {
    let mut e = FieldErrors::default();
    let mut f = base.cloned().unwrap_or(Facts {
        discovered_at: now,
        occurred_from: None,
        occurred_until: None,
        natures: Vec::new(),
        description: String::new(),
        data_categories: Vec::new(),
        subject_categories: Vec::new(),
        subjects_approx: None,
        records_approx: None,
        consequences: String::new(),
        measures_taken: String::new(),
        measures_proposed: String::new(),
        risk: None,
        risk_reasoning: String::new(),
        no_notification_reason: None,
        scope: breach::Scope::default(),
        subject_message: breach::SubjectMessage::default(),
    });
    match (&input.discovered_at, base) {
        (Some(v), _) => {
            if let Some(t) = time_of(&mut e, "discovered_at", v) {
                f.discovered_at = t;
            }
        }
        (None, None) => e.push(FieldError::new(
            "discovered_at",
            "required",
            "when the organisation became aware of the breach: the 72 hours run from it",
        )),
        (None, Some(_)) => {}
    }
    if let Some(v) = &input.occurred_from {
        f.occurred_from = if v.trim().is_empty() {
            None
        } else {
            time_of(&mut e, "occurred_from", v)
        };
    }
    if let Some(v) = &input.occurred_until {
        f.occurred_until = if v.trim().is_empty() {
            None
        } else {
            time_of(&mut e, "occurred_until", v)
        };
    }
    if let Some(natures) = input.natures {
        f.natures = Vec::new();
        for (i, n) in natures.iter().enumerate() {
            match Nature::parse(n) {
                Some(n) if !f.natures.contains(&n) => f.natures.push(n),
                Some(_) => {}
                None => e.push(FieldError::new(
                    format!("natures[{i}]"),
                    "unknown_nature",
                    "must be confidentiality, integrity or availability",
                )),
            }
        }
    }
    if let Some(v) = input.description {
        f.description = v.trim().to_owned();
    }
    if let Some(v) = input.data_categories {
        f.data_categories = v.into_iter().map(|c| c.trim().to_owned()).collect();
    }
    if let Some(v) = input.subject_categories {
        f.subject_categories = v.into_iter().map(|c| c.trim().to_owned()).collect();
    }
    if let Some(v) = input.subjects_approx {
        f.subjects_approx = count_of(&mut e, "subjects_approx", v);
    }
    if let Some(v) = input.records_approx {
        f.records_approx = count_of(&mut e, "records_approx", v);
    }
    for (v, to) in [
        (input.consequences, &mut f.consequences),
        (input.measures_taken, &mut f.measures_taken),
        (input.measures_proposed, &mut f.measures_proposed),
        (input.risk_reasoning, &mut f.risk_reasoning),
    ] {
        if let Some(v) = v {
            *to = v.trim().to_owned();
        }
    }
    if let Some(v) = input.risk {
        f.risk = match v.trim() {
            "" => None,
            r => match Risk::parse(r) {
                Some(r) => Some(r),
                None => {
                    e.push(FieldError::new(
                        "risk",
                        "unknown_risk",
                        "must be none, risk or high",
                    ));
                    f.risk
                }
            },
        };
    }
    if let Some(v) = input.no_notification_reason {
        f.no_notification_reason = some_text(v);
    }
    if let Some(scope) = input.scope {
        let when = |e: &mut FieldErrors, field: &str, v: Option<String>| match v {
            Some(v) if !v.trim().is_empty() => time_of(e, field, &v),
            _ => None,
        };
        f.scope = breach::Scope {
            from: when(&mut e, "scope.from", scope.from),
            until: when(&mut e, "scope.until", scope.until),
            rule: match scope.rule.as_deref().map(str::trim) {
                None | Some("") => breach::PeriodRule::Present,
                Some(r) => breach::PeriodRule::parse(r).unwrap_or_else(|| {
                    e.push(FieldError::new(
                        "scope.rule",
                        "unknown_rule",
                        "must be present, created or changed",
                    ));
                    breach::PeriodRule::Present
                }),
            },
            segment: match scope.segment.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(v) => e.check(Uuid::parse_str(v).map_err(|_| {
                    FieldError::new("scope.segment", "uuid", "must be a segment id (UUID)")
                })),
            },
        };
    }
    if let Some(m) = input.subject_message {
        if let Some(v) = m.fr {
            f.subject_message.fr = v.trim().to_owned();
        }
        if let Some(v) = m.en {
            f.subject_message.en = v.trim().to_owned();
        }
    }
    e.into_result().map(|()| f)
}

/// A catalogue category named by a breach (`identifying`…), if it is one.
fn category_of(c: &str) -> Option<DataCategory> {
    serde_json::from_value(Value::String(c.to_owned())).ok()
}

fn reminder_key(breach: Uuid, hours: i64) -> String {
    format!("{BREACH_REMINDER}:{breach}:{hours}")
}

/// The DPO's reminder `hours` after the discovery, at `at`.
fn reminder(breach: Uuid, hours: i64, at: OffsetDateTime, now: OffsetDateTime) -> JobRecord {
    JobRecord::new(
        BREACH_REMINDER,
        json!({ "breach": breach, "hours": hours }),
        at,
        now,
    )
    .dedupe(reminder_key(breach, hours))
}

/// What changed, field by field: before and after.
fn diff(before: Option<&Facts>, after: &Facts) -> Value {
    let a = serde_json::to_value(after).unwrap_or(Value::Null);
    let b = before.map(|b| serde_json::to_value(b).unwrap_or(Value::Null));
    let mut out = serde_json::Map::new();
    if let Value::Object(after) = &a {
        for (k, v) in after {
            let old = b.as_ref().and_then(|b| b.get(k)).cloned();
            if old.as_ref() != Some(v) {
                out.insert(k.clone(), json!({ "before": old, "after": v }));
            }
        }
    }
    Value::Object(out)
}

impl Candor {
    fn may_keep_breaches(actor: &Actor) -> Result<(), AppError> {
        if actor.role.governs_data() {
            Ok(())
        } else {
            Err(AppError::RoleForbidden {
                role: actor.role,
                what: "keep the breach register",
            })
        }
    }

    fn known_category(&self, c: &str) -> bool {
        category_of(c).is_some() || self.field_named(c).is_some()
    }

    /// The catalogue's field a breach names as `entity.key` (`contact.email`).
    fn field_named(&self, c: &str) -> Option<candor_domain::catalogue::FieldDef> {
        let (entity, key) = c.split_once('.')?;
        self.catalogue()
            .fields()
            .iter()
            .find(|f| f.entity.as_str() == entity && f.key() == key)
            .cloned()
    }

    /// A breach's data categories in words, in one language: the category's words or
    /// the field's label, as the people and the authority read them.
    pub fn breach_data_words(&self, f: &Facts, fr: bool) -> Vec<String> {
        f.data_categories
            .iter()
            .map(|c| match category_of(c) {
                Some(k) => candor_domain::register::category_words(k, fr).to_owned(),
                None => self
                    .field_named(c)
                    .map(|d| if fr { d.label.fr } else { d.label.en })
                    .unwrap_or_else(|| c.clone()),
            })
            .collect()
    }

    fn view(&self, record: BreachRecord, history: Vec<BreachChange>) -> BreachView {
        BreachView {
            clock: breach::clock(&record.facts, &record.notifications, self.now()),
            deadline: breach::deadline(&record.facts),
            record,
            history,
        }
    }

    /// Records a breach (B1): checked, kept with its first history entry and the DPO's
    /// reminders in one transaction; nothing is written when any part is refused.
    pub async fn record_breach(
        &self,
        actor: &Actor,
        input: BreachInput,
    ) -> Result<BreachView, AppError> {
        Self::may_keep_breaches(actor)?;
        let now = self.now();
        let facts = overlay(None, input, now).map_err(AppError::Invalid)?;
        facts
            .check(now, &|c| self.known_category(c))
            .map_err(AppError::Invalid)?;
        self.check_segment(actor, &facts).await?;
        let id = Uuid::now_v7();
        let record = BreachRecord {
            id,
            facts,
            notifications: Vec::new(),
            recorded_by: actor.audit_name.clone(),
            created_at: now,
            updated_at: now,
            subject_notices: 0,
        };
        let change = BreachChange {
            at: now,
            actor: actor.audit_name.clone(),
            action: "recorded".into(),
            changes: diff(None, &record.facts),
        };
        let reminders: Vec<JobRecord> = breach::REMINDER_HOURS
            .iter()
            .map(|h| (*h, record.facts.discovered_at + time::Duration::hours(*h)))
            .filter(|(_, at)| *at > now)
            .map(|(h, at)| reminder(id, h, at, now))
            .collect();
        self.store
            .breaches()
            .record(&record, &change, &reminders)
            .await?;
        Ok(self.view(record, vec![change]))
    }

    /// A breach, its clock and its history.
    pub async fn breach(&self, actor: &Actor, id: Uuid) -> Result<BreachView, AppError> {
        Self::may_keep_breaches(actor)?;
        let record = self
            .store
            .breaches()
            .get(id)
            .await?
            .ok_or(AppError::NotFound { what: "breach" })?;
        let history = self.store.breaches().history(id).await?;
        Ok(self.view(record, history))
    }

    /// The register, newest discovery first.
    pub async fn breaches(&self, actor: &Actor, limit: u32) -> Result<Vec<BreachView>, AppError> {
        Self::may_keep_breaches(actor)?;
        Ok(self
            .store
            .breaches()
            .list(limit.clamp(1, 500))
            .await?
            .into_iter()
            .map(|r| self.view(r, Vec::new()))
            .collect())
    }

    /// Changes a breach (its assessment, measures, numbers…): checked as a new one, the
    /// change kept in its history. `seen` is the version the person read (its
    /// `updated_at`): a breach changed since by someone else is refused (409) rather
    /// than overwritten.
    pub async fn change_breach(
        &self,
        actor: &Actor,
        id: Uuid,
        input: BreachInput,
        seen: Option<OffsetDateTime>,
    ) -> Result<BreachView, AppError> {
        let current = self.breach(actor, id).await?.record;
        let now = self.now();
        let facts = overlay(Some(&current.facts), input, now).map_err(AppError::Invalid)?;
        facts
            .check(now, &|c| self.known_category(c))
            .map_err(AppError::Invalid)?;
        breach::check_change(&current.facts, &facts, !current.notifications.is_empty())
            .map_err(AppError::Invalid)?;
        self.check_segment(actor, &facts).await?;
        // The reminders follow a discovery moved before any notification.
        let (reminders, cancel): (Vec<JobRecord>, Vec<String>) =
            if facts.discovered_at != current.facts.discovered_at {
                let (future, past): (Vec<_>, Vec<_>) = breach::REMINDER_HOURS
                    .iter()
                    .map(|h| (*h, facts.discovered_at + time::Duration::hours(*h)))
                    .partition(|(_, at)| *at > now);
                (
                    future
                        .into_iter()
                        .map(|(h, at)| reminder(id, h, at, now))
                        .collect(),
                    past.into_iter().map(|(h, _)| reminder_key(id, h)).collect(),
                )
            } else {
                (Vec::new(), Vec::new())
            };
        let changes = diff(Some(&current.facts), &facts);
        let after = BreachRecord {
            facts,
            updated_at: now.max(current.updated_at + time::Duration::microseconds(1)),
            ..current.clone()
        };
        // Written only over the version the person changed (`seen`), or this one.
        let seen = seen.unwrap_or(current.updated_at);
        self.save(actor, seen, after, "changed", changes, &reminders, &cancel)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn save(
        &self,
        actor: &Actor,
        seen: OffsetDateTime,
        after: BreachRecord,
        action: &str,
        changes: Value,
        reminders: &[JobRecord],
        cancel: &[String],
    ) -> Result<BreachView, AppError> {
        let change = BreachChange {
            at: after.updated_at,
            actor: actor.audit_name.clone(),
            action: action.into(),
            changes,
        };
        if !self
            .store
            .breaches()
            .update(&after, seen, &change, reminders, cancel)
            .await?
        {
            // Changed meanwhile by someone else: read it again and redo the change.
            return Err(AppError::Conflict {
                field: "updated_at",
                existing: Some(after.id),
            });
        }
        let history = self.store.breaches().history(after.id).await?;
        Ok(self.view(after, history))
    }

    /// Records a notification to the authority (B2): the first (`initial`), then
    /// complements (Art. 33(4)); past 72 hours the first gives the reasons for the
    /// delay. The DPO's reminders stop.
    pub async fn notify_breach(
        &self,
        actor: &Actor,
        id: Uuid,
        input: NotificationInput,
    ) -> Result<BreachView, AppError> {
        let current = self.breach(actor, id).await?.record;
        let now = self.now();
        let mut e = FieldErrors::default();
        let at = match &input.at {
            Some(v) => time_of(&mut e, "at", v),
            None => Some(now),
        };
        e.into_result().map_err(AppError::Invalid)?;
        let n = Notification {
            at: at.unwrap_or(now),
            phase: input.phase.unwrap_or_else(|| {
                if current.notifications.is_empty() {
                    "initial".into()
                } else {
                    "complement".into()
                }
            }),
            reference: input.reference.and_then(some_text),
            late_reason: input.late_reason.and_then(some_text),
        };
        breach::check_notification(&current.facts, &current.notifications, &n, now)
            .map_err(AppError::Invalid)?;
        let mut after = current.clone();
        after.notifications.push(n.clone());
        after.updated_at = now.max(current.updated_at + time::Duration::microseconds(1));
        let cancel: Vec<String> = breach::REMINDER_HOURS
            .iter()
            .map(|h| reminder_key(id, *h))
            .collect();
        self.save(
            actor,
            current.updated_at,
            after,
            "notified",
            json!({ "notification": n }),
            &[],
            &cancel,
        )
        .await
    }

    /// The reminder job: an email to the DPO while the breach is not notified (in the
    /// language of their staff account), nothing once it is or needs not be.
    pub(crate) async fn breach_reminder(
        &self,
        payload: &Value,
    ) -> Result<Option<candor_store::QueuedMail>, AppError> {
        let Some(id) = payload["breach"]
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok())
        else {
            return Err(AppError::Internal(
                "a breach reminder without its breach".into(),
            ));
        };
        let Some(record) = self.store.breaches().get(id).await? else {
            return Ok(None);
        };
        let clock = breach::clock(&record.facts, &record.notifications, self.now());
        let Clock::Running { left } = clock else {
            return Ok(None);
        };
        let locale = self.dpo_locale().await?;
        let fr = locale == candor_domain::personal::Locale::Fr;
        let hours = left.whole_hours().max(0);
        let left = if fr {
            format!("{hours} h")
        } else {
            format!("{hours} hours")
        };
        let when = |t: OffsetDateTime| {
            let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
            t.to_offset(time::UtcOffset::UTC)
                .format(&f)
                .unwrap_or_default()
        };
        // The breach's page in the back office; no text of the breach itself, so the
        // email keeps nothing of what the register says.
        let link = format!(
            "{}/breaches/{id}",
            self.settings.public_url.trim_end_matches('/')
        );
        Ok(Some(self.legal_notice(
            None,
            &self.settings.dpo_contact,
            locale,
            "breach_reminder",
            &[
                ("left", &left),
                ("discovered", &when(record.facts.discovered_at)),
                ("deadline", &when(breach::deadline(&record.facts))),
                ("link", &link),
            ],
        )?))
    }
}

/// The job that tells the people a breach reached (Art. 34).
pub const BREACH_NOTICES: &str = "breach_notices";

/// People told per transaction of the notices job.
const NOTICES_BATCH: u32 = 500;

/// What happened, in the person's language (Art. 34(2): "in clear and plain language").
fn nature_words(n: Nature, fr: bool) -> &'static str {
    match (n, fr) {
        (Nature::Confidentiality, true) => "des données ont pu être consultées ou obtenues par des personnes qui n'auraient pas dû y avoir accès.",
        (Nature::Confidentiality, false) => "data may have been seen or obtained by people who should not have had access to it.",
        (Nature::Integrity, true) => "des données ont pu être modifiées sans autorisation.",
        (Nature::Integrity, false) => "data may have been changed without authority.",
        (Nature::Availability, true) => "des données ont été perdues ou sont restées inaccessibles un temps.",
        (Nature::Availability, false) => "data was lost or could not be reached for a time.",
    }
}

impl Candor {
    /// A scope's segment exists and the actor may read what it filters on.
    async fn check_segment(&self, actor: &Actor, f: &Facts) -> Result<(), AppError> {
        let Some(id) = f.scope.segment else {
            return Ok(());
        };
        match self.segment_of(actor, id).await {
            Err(AppError::NotFound { .. }) => {
                Err(AppError::Invalid(FieldErrors(vec![FieldError::new(
                    "scope.segment",
                    "unknown_segment",
                    "must be an existing segment",
                )])))
            }
            Err(e) => Err(e),
            Ok(_) => Ok(()),
        }
    }

    /// The conditions over `contact` that give the people a breach reached (B3): they
    /// hold data of one of its categories or fields, within its period, in its segment.
    async fn scope_conditions(
        &self,
        actor: &Actor,
        f: &Facts,
    ) -> Result<Vec<SegmentCondition>, AppError> {
        use candor_domain::catalogue::Entity;
        use candor_store::segment::{contact_column, Holding};
        let cat = self.catalogue();
        let mut holdings: Vec<Holding> = Vec::new();
        let mut hold = |h: Holding| {
            if !holdings.contains(&h) {
                holdings.push(h);
            }
        };
        for c in &f.data_categories {
            let category = category_of(c);
            let fields = cat.fields().iter().filter(|d| match category {
                Some(k) => d.category == k,
                None => format!("{}.{}", d.entity.as_str(), d.key()) == *c,
            });
            for d in fields {
                match d.entity {
                    Entity::Contact if d.custom.is_some() => hold(Holding::Custom(d.name.clone())),
                    Entity::Contact => {
                        if let Some(col) = contact_column(&d.name) {
                            hold(Holding::Column(col));
                        }
                    }
                    Entity::Company => hold(Holding::Company),
                    Entity::Order => hold(Holding::Orders),
                    Entity::Contract => hold(Holding::Contracts),
                    Entity::Consent => hold(Holding::ConsentEvents),
                }
            }
        }
        let mut conds = vec![SegmentCondition::HoldsAny(holdings)];
        let s = &f.scope;
        let created_by_end = SegmentCondition::Time {
            column: "created_at",
            from: None,
            to: s.until.map(|u| u + time::Duration::microseconds(1)),
        };
        match s.rule {
            breach::PeriodRule::Present => conds.push(created_by_end),
            breach::PeriodRule::Created => conds.push(SegmentCondition::Time {
                column: "created_at",
                from: s.from,
                to: s.until.map(|u| u + time::Duration::microseconds(1)),
            }),
            breach::PeriodRule::Changed => {
                conds.push(created_by_end);
                conds.push(SegmentCondition::Time {
                    column: "updated_at",
                    from: s.from,
                    to: None,
                });
            }
        }
        if let Some(seg) = s.segment {
            conds.extend(self.segment_of(actor, seg).await?);
        }
        Ok(conds)
    }

    /// The segments a breach's scope may name (their names and ids).
    pub async fn breach_segments(
        &self,
        actor: &Actor,
    ) -> Result<Vec<candor_store::SegmentRecord>, AppError> {
        Self::may_keep_breaches(actor)?;
        Ok(self.store.segments().list(200).await?)
    }

    /// How many people a breach reached, as its scope gives them now, and how many can
    /// be told (an email address), per language (B3): shown before anything is sent.
    pub async fn breach_subjects(&self, actor: &Actor, id: Uuid) -> Result<Affected, AppError> {
        let record = self.breach(actor, id).await?.record;
        self.affected(actor, &record).await
    }

    async fn affected(&self, actor: &Actor, record: &BreachRecord) -> Result<Affected, AppError> {
        use candor_store::segment::{Holding, TextOp};
        let conds = self.scope_conditions(actor, &record.facts).await?;
        let segments = self.store.segments();
        let subjects = segments.count(&conds).await?;
        let reachable = |locale: &str| {
            let mut c = conds.clone();
            c.push(SegmentCondition::HoldsAny(vec![Holding::Column("email")]));
            c.push(SegmentCondition::Text {
                column: "locale",
                op: TextOp::Equals(locale.to_owned()),
            });
            c
        };
        Ok(Affected {
            subjects,
            reachable_fr: segments.count(&reachable("fr")).await?,
            reachable_en: segments.count(&reachable("en")).await?,
            told: record.subject_notices,
        })
    }

    /// Tells the people a breach reached (Art. 34): for a breach assessed as a high
    /// risk, with the people's message written in each of their languages. Recorded in
    /// the history and done by a job, in batches, resumable: each person is told once,
    /// whoever starts it again. `seen` is the version the person read.
    pub async fn notify_breach_subjects(
        &self,
        actor: &Actor,
        id: Uuid,
        seen: Option<OffsetDateTime>,
    ) -> Result<(BreachView, Affected), AppError> {
        use candor_domain::personal::Locale;
        let current = self.breach(actor, id).await?.record;
        let affected = self.affected(actor, &current).await?;
        let mut languages = Vec::new();
        if affected.reachable_fr > 0 {
            languages.push(Locale::Fr);
        }
        if affected.reachable_en > 0 {
            languages.push(Locale::En);
        }
        breach::check_subject_notices(&current.facts, &languages).map_err(AppError::Invalid)?;
        if affected.reachable() == 0 {
            return Err(AppError::Invalid(FieldErrors(vec![FieldError::new(
                "scope",
                "no_one_to_tell",
                "no one in the breach's scope has an email address: widen the scope or tell them another way",
            )])));
        }
        let now = self.now();
        let job = JobRecord::new(BREACH_NOTICES, json!({ "breach": id }), now, now).dedupe(
            format!("{BREACH_NOTICES}:{id}:{}", now.unix_timestamp_nanos()),
        );
        let after = BreachRecord {
            updated_at: now.max(current.updated_at + time::Duration::microseconds(1)),
            ..current.clone()
        };
        let view = self
            .save(
                actor,
                seen.unwrap_or(current.updated_at),
                after,
                "subjects_notified",
                json!({
                    "subjects": affected.subjects,
                    "reachable": affected.reachable(),
                    "told_before": affected.told,
                }),
                &[job],
                &[],
            )
            .await?;
        Ok((view, affected))
    }

    /// The notices job: every reachable person of the scope not yet told gets the
    /// notice in their language, batch by batch, each batch queued with its record in
    /// one transaction. Nothing is sent once the breach is no longer a high risk.
    pub(crate) async fn breach_notices(&self, payload: &Value) -> Result<u64, AppError> {
        use candor_domain::personal::Locale;
        use candor_store::segment::Holding;
        let Some(id) = payload["breach"]
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok())
        else {
            return Err(AppError::Internal(
                "breach notices without their breach".into(),
            ));
        };
        let Some(record) = self.store.breaches().get(id).await? else {
            return Ok(0);
        };
        if record.facts.risk != Some(Risk::High) {
            return Ok(0);
        }
        let actor = Actor {
            id: Uuid::nil(),
            role: candor_domain::Role::Dpo,
            audit_name: format!("job:{BREACH_NOTICES}"),
        };
        let mut conds = self.scope_conditions(&actor, &record.facts).await?;
        conds.push(SegmentCondition::HoldsAny(vec![Holding::Column("email")]));
        let data_words = |fr: bool| self.breach_data_words(&record.facts, fr).join(", ");
        let nature = |fr: bool| -> String {
            let words: Vec<&str> = record
                .facts
                .natures
                .iter()
                .map(|n| nature_words(*n, fr))
                .collect();
            words.join(" ")
        };
        let discovered = |fr: bool| {
            let d = record.facts.discovered_at.date();
            if fr {
                format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
            } else {
                format!("{} {} {}", d.day(), d.month(), d.year())
            }
        };
        let mut told = 0u64;
        let mut after = None;
        loop {
            let page = self
                .store
                .segments()
                .page(
                    &conds,
                    candor_store::Page {
                        after,
                        limit: NOTICES_BATCH,
                    },
                )
                .await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            let ids: Vec<Uuid> = page.iter().map(|c| c.id).collect();
            let done = self.store.breaches().told(id, &ids).await?;
            let mut notices = Vec::new();
            for c in page.iter().filter(|c| !done.contains(&c.id)) {
                let Some(email) = &c.data.email else { continue };
                let fr = c.data.locale == Locale::Fr;
                let mail = self.legal_notice(
                    Some(c.id),
                    email.as_str(),
                    c.data.locale,
                    "breach_notice",
                    &[
                        ("organisation", &self.settings.organisation),
                        ("discovered", &discovered(fr)),
                        ("nature", &nature(fr)),
                        ("data", &data_words(fr)),
                        ("message", record.facts.subject_message.get(c.data.locale)),
                        ("dpo", &self.settings.dpo_contact),
                    ],
                )?;
                notices.push((c.id, mail));
            }
            told += self.store.breaches().tell(id, &notices).await?;
        }
        Ok(told)
    }
}
