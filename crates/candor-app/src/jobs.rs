//! Jobs: work that runs later, once. A job is scheduled in the transaction of the
//! change that causes it, or at a time; the server's worker (and `candor jobs
//! run-pending`) claims due jobs with a lease naming the node, runs each, and marks it
//! done in one transaction with what it produced (the next occurrence, an email), only
//! while the lease is still the node's: of two nodes that ran one job, one completes it.
//! Failures are retried with backoff (1, 2, 4… minutes), 8 attempts.
//!
//! Kinds today: `dpo_digest`, every day at 07:00 UTC, the DPO's email of the requests
//! overdue and due within 7 days and the breaches whose 72 hours run or ran out (R7,
//! B2); `verify`, every day at 04:00 UTC (and once at the first start), the chains'
//! verification, recorded for the compliance dashboard (O1); `retention`, every day at 03:00 UTC, the
//! retention policies (E4); `transparency`, every day at 05:00 UTC, the yearly message
//! telling each person what is held on them and why (E5); `breach_reminder`, at 24, 48
//! and 66 hours after a breach's discovery, the DPO's reminder while it is not notified
//! (B2); `breach_notices`, started by the DPO, the notices to the people a breach
//! reached (B3, Art. 34), in batches, each person once; `campaign_send`, started by whoever
//! sends a campaign, its emails page by page, each recipient once (M3). The outbox keeps its own worker: an email is a
//! row of its own with its own lease, retried per message.

use crate::{AppError, Candor};
use candor_domain::breach::Clock;
use candor_domain::personal::Locale;
use candor_domain::request::{self, RequestStatus};
use candor_store::{JobRecord, QueuedMail, RequestFilter};
use time::{OffsetDateTime, Time};

pub const DPO_DIGEST: &str = "dpo_digest";
pub const RETENTION: &str = "retention";
pub const TRANSPARENCY: &str = "transparency";
pub const VERIFY: &str = "verify";

/// The hour (UTC) the chains are verified.
const VERIFY_AT: Time = time::macros::time!(04:00);

/// The hour (UTC) the yearly transparency messages due that day go.
const TRANSPARENCY_AT: Time = time::macros::time!(05:00);

/// People told per transparency run, at most (the rest the next day).
const TRANSPARENCY_PER_RUN: u32 = 10_000;

/// The hour (UTC) the retention policies run.
const RETENTION_AT: Time = time::macros::time!(03:00);

/// The hour (UTC) the DPO's digest goes.
const DIGEST_AT: Time = time::macros::time!(07:00);

/// What a job run produced, committed with its completion.
#[derive(Default)]
struct Outcome {
    next: Option<JobRecord>,
    mail: Option<QueuedMail>,
}

/// A request's kind as staff name it.
fn staff_kind(k: request::RequestKind, fr: bool) -> &'static str {
    use request::RequestKind as K;
    match (k, fr) {
        (K::Access, true) => "accès",
        (K::Access, false) => "access",
        (K::Rectification, _) => "rectification",
        (K::Erasure, true) => "effacement",
        (K::Erasure, false) => "erasure",
        (K::Portability, true) => "portabilité",
        (K::Portability, false) => "portability",
        (K::Restriction, true) => "limitation",
        (K::Restriction, false) => "restriction",
        (K::Objection, true) => "opposition",
        (K::Objection, false) => "objection",
        (K::Information, _) => "information",
    }
}

impl Candor {
    /// The language of the DPO's own staff account (the one whose email is
    /// `dpo_email`), French when there is none: the DPO's emails are in it.
    pub(crate) async fn dpo_locale(&self) -> Result<Locale, AppError> {
        Ok(self
            .store
            .staff()
            .list()
            .await?
            .into_iter()
            .find(|u| {
                u.disabled_at.is_none() && u.email.eq_ignore_ascii_case(&self.settings.dpo_contact)
            })
            .and_then(|u| Locale::parse("locale", &u.locale).ok())
            .unwrap_or(Locale::Fr))
    }

    /// The next digest at 07:00 UTC, today's if it is not yet past, keyed by its day.
    fn next_digest(&self, after: OffsetDateTime) -> JobRecord {
        let mut day = after.date();
        if after.time() >= DIGEST_AT {
            day = day.next_day().unwrap_or(day);
        }
        let at = day.with_time(DIGEST_AT).assume_utc();
        JobRecord::new(
            DPO_DIGEST,
            serde_json::json!({ "day": day.to_string() }),
            at,
            self.now(),
        )
        .dedupe(format!("{DPO_DIGEST}:{day}"))
    }

    /// The next retention run at 03:00 UTC, keyed by its day.
    fn next_retention(&self, after: OffsetDateTime) -> JobRecord {
        let mut day = after.date();
        if after.time() >= RETENTION_AT {
            day = day.next_day().unwrap_or(day);
        }
        JobRecord::new(
            RETENTION,
            serde_json::json!({ "day": day.to_string() }),
            day.with_time(RETENTION_AT).assume_utc(),
            self.now(),
        )
        .dedupe(format!("{RETENTION}:{day}"))
    }

    /// The next transparency run at 05:00 UTC, keyed by its day.
    fn next_transparency(&self, after: OffsetDateTime) -> JobRecord {
        let mut day = after.date();
        if after.time() >= TRANSPARENCY_AT {
            day = day.next_day().unwrap_or(day);
        }
        JobRecord::new(
            TRANSPARENCY,
            serde_json::json!({ "day": day.to_string() }),
            day.with_time(TRANSPARENCY_AT).assume_utc(),
            self.now(),
        )
        .dedupe(format!("{TRANSPARENCY}:{day}"))
    }

    /// E5: each person with an email, a year after their record was made and then
    /// every year, is told what is held on them and why, and their rights (a legal
    /// notice, whatever their marketing consents; never to a restricted person, and an
    /// erased one has no record). Batches of 500, each marked and queued in one
    /// transaction; the next day's run scheduled with it.
    async fn transparency(&self, job: &JobRecord) -> Result<Outcome, AppError> {
        let now = self.now();
        let cutoff = candor_domain::retention::months_before(now.date(), 12)
            .with_time(now.time())
            .assume_utc();
        let restricted = self.store.requests().restricted_subjects().await?;
        let cat = self.catalogue();
        let mut told = 0u32;
        while told < TRANSPARENCY_PER_RUN {
            let due = self
                .store
                .contacts()
                .due_for_transparency(cutoff, 500)
                .await?;
            if due.is_empty() {
                break;
            }
            let mut mails = Vec::new();
            let portal = format!("{}/portal", self.settings.public_url.trim_end_matches('/'));
            for c in &due {
                // A restricted person is passed over for this year (marked with the rest).
                let (Some(email), false) = (&c.data.email, restricted.contains(&c.id)) else {
                    continue;
                };
                let locale = c.data.locale;
                let fr = locale == Locale::Fr;
                let items: Vec<String> = c
                    .field_values()
                    .into_iter()
                    .filter(|(_, v)| !v.is_null())
                    .filter_map(|(k, _)| cat.field(candor_domain::catalogue::Entity::Contact, &k))
                    .map(|d| {
                        let (label, why) = if fr {
                            (&d.label.fr, &d.why.fr)
                        } else {
                            (&d.label.en, &d.why.en)
                        };
                        if fr {
                            format!("- {label} : {why}")
                        } else {
                            format!("- {label}: {why}")
                        }
                    })
                    .collect();
                mails.push(self.legal_notice(
                    Some(c.id),
                    email.as_str(),
                    locale,
                    "transparency",
                    &[
                        ("organisation", &self.settings.organisation),
                        ("dpo", &self.settings.dpo_contact),
                        ("portal", &portal),
                        ("items", &items.join("\n")),
                    ],
                )?);
            }
            let ids: Vec<uuid::Uuid> = due.iter().map(|c| c.id).collect();
            self.store
                .contacts()
                .mark_transparency(&ids, now, &mails)
                .await?;
            told += u32::try_from(due.len()).unwrap_or(u32::MAX);
        }
        Ok(Outcome {
            next: Some(self.next_transparency(job.run_at.max(now))),
            mail: None,
        })
    }

    /// The next verification of the chains at 04:00 UTC, keyed by its day.
    fn next_verify(&self, after: OffsetDateTime) -> JobRecord {
        let mut day = after.date();
        if after.time() >= VERIFY_AT {
            day = day.next_day().unwrap_or(day);
        }
        JobRecord::new(
            VERIFY,
            serde_json::json!({ "day": day.to_string() }),
            day.with_time(VERIFY_AT).assume_utc(),
            self.now(),
        )
        .dedupe(format!("{VERIFY}:{day}"))
    }

    /// O1: every chain and the checkpoints verified, the run recorded for the
    /// dashboard; the next day's scheduled with it.
    async fn verify_job(&self, job: &JobRecord) -> Result<Outcome, AppError> {
        let (_, _, run) = self.verify_and_record("job:verify").await?;
        if run.broken > 0 {
            tracing::warn!(broken = run.broken, "the chains' verification found breaks");
        }
        Ok(Outcome {
            next: Some(self.next_verify(job.run_at.max(self.now()))),
            mail: None,
        })
    }

    /// E4: every retention policy; the next day's run scheduled with it.
    async fn retention(&self, job: &JobRecord) -> Result<Outcome, AppError> {
        let done = self
            .run_retention("job:retention", false, &mut |_| {})
            .await?;
        // Ended portal sessions and spent or expired sign-in links go with the day's
        // retention (an ended session already opens nothing).
        let swept = self.portal_sweep().await?;
        tracing::info!(rows = swept, "portal sessions and links swept");
        for p in &done {
            tracing::info!(
                policy = p.outcome.name,
                action = p.outcome.action,
                count = p.outcome.count,
                "retention"
            );
        }
        Ok(Outcome {
            next: Some(self.next_retention(job.run_at.max(self.now()))),
            mail: None,
        })
    }

    /// Schedules the recurring jobs if they are not already (at every start: a key
    /// makes it once, whichever node starts first).
    pub async fn schedule_recurring_jobs(&self) -> Result<(), AppError> {
        self.store
            .jobs()
            .schedule(&self.next_digest(self.now()))
            .await?;
        self.store
            .jobs()
            .schedule(&self.next_retention(self.now()))
            .await?;
        self.store
            .jobs()
            .schedule(&self.next_transparency(self.now()))
            .await?;
        self.store
            .jobs()
            .schedule(&self.next_verify(self.now()))
            .await?;
        // A first verification at once on a store never verified, so the dashboard
        // has one to show before the first 04:00.
        if self.store.compliance().last_verify().await?.is_none() {
            let now = self.now();
            self.store
                .jobs()
                .schedule(
                    &JobRecord::new(VERIFY, serde_json::json!({ "first": true }), now, now)
                        .dedupe(format!("{VERIFY}:first")),
                )
                .await?;
        }
        Ok(())
    }

    /// The jobs this node was running when it stopped are due again at once.
    pub async fn release_own_jobs(&self) -> Result<u64, AppError> {
        Ok(self
            .store
            .jobs()
            .release_leases(&self.settings.node, self.now())
            .await?)
    }

    /// Runs the jobs due now; returns how many completed.
    pub async fn run_due_jobs(&self) -> Result<u32, AppError> {
        let node = self.settings.node.clone();
        let due = self.store.jobs().claim(self.now(), 20, &node).await?;
        let mut done = 0;
        for job in due {
            match self.run_job(&job).await {
                Ok(out) => {
                    let completed = self
                        .store
                        .jobs()
                        .complete(
                            job.id,
                            &node,
                            self.now(),
                            out.next.as_ref(),
                            out.mail.as_ref(),
                        )
                        .await?;
                    done += u32::from(completed);
                }
                Err(e) => {
                    let retry = (job.attempts < 8).then(|| {
                        self.now() + time::Duration::minutes(1 << job.attempts.clamp(0, 10))
                    });
                    tracing::warn!(job = %job.id, kind = job.kind, error = %e, "job failed");
                    self.store
                        .jobs()
                        .fail(job.id, &node, &e.to_string(), retry)
                        .await?;
                }
            }
        }
        Ok(done)
    }

    async fn run_job(&self, job: &JobRecord) -> Result<Outcome, AppError> {
        match job.kind.as_str() {
            DPO_DIGEST => self.dpo_digest(job).await,
            RETENTION => self.retention(job).await,
            TRANSPARENCY => self.transparency(job).await,
            VERIFY => self.verify_job(job).await,
            crate::breaches::BREACH_REMINDER => Ok(Outcome {
                next: None,
                mail: self.breach_reminder(&job.payload).await?,
            }),
            crate::campaigns::CAMPAIGN_SEND => {
                let queued = self.campaign_send_job(&job.payload).await?;
                tracing::info!(job = %job.id, queued, "campaign sent");
                Ok(Outcome::default())
            }
            crate::breaches::BREACH_NOTICES => {
                let told = self.breach_notices(&job.payload).await?;
                tracing::info!(job = %job.id, told, "breach notices");
                Ok(Outcome::default())
            }
            other => Err(AppError::Internal(format!("unknown job kind {other}"))),
        }
    }

    /// R7, B2: the requests overdue and due within 7 days and the breaches not yet
    /// notified whose 72 hours run or ran out, emailed to the DPO when there are any;
    /// the next day's digest scheduled with it.
    async fn dpo_digest(&self, job: &JobRecord) -> Result<Outcome, AppError> {
        let today = self.now().date();
        let due = self
            .store
            .requests()
            .list(&RequestFilter {
                due_by: Some(today + time::Duration::days(7)),
                limit: 1000,
                ..RequestFilter::default()
            })
            .await?;
        let next = Some(self.next_digest(job.run_at.max(self.now())));
        // The breaches whose 72 hours run or ran out without a notification (B2).
        let now = self.now();
        let breaches: Vec<(candor_store::BreachRecord, Clock)> = self
            .store
            .breaches()
            .list(500)
            .await?
            .into_iter()
            .map(|b| {
                let c = candor_domain::breach::clock(&b.facts, &b.notifications, now);
                (b, c)
            })
            .filter(|(_, c)| matches!(c, Clock::Running { .. } | Clock::Late { .. }))
            .collect();
        if due.is_empty() && breaches.is_empty() {
            return Ok(Outcome { next, mail: None });
        }
        let overdue = due.iter().filter(|r| r.deadline < today).count();
        let locale = self.dpo_locale().await?;
        let fr = locale == Locale::Fr;
        let base = self.settings.public_url.trim_end_matches('/');
        let breach_list: String = breaches
            .iter()
            .map(|(b, c)| {
                let state = match (c, fr) {
                    (Clock::Running { left }, true) => {
                        format!("{} h restantes", left.whole_hours())
                    }
                    (Clock::Running { left }, false) => format!("{} h left", left.whole_hours()),
                    (Clock::Late { over }, true) => {
                        format!("en retard de {} h", over.whole_hours())
                    }
                    (_, _) => {
                        let over = match c {
                            Clock::Late { over } => over.whole_hours(),
                            _ => 0,
                        };
                        format!("{over} h late")
                    }
                };
                format!(
                    "{} · {state} · {base}/breaches/{}\n",
                    b.facts.discovered_at.date(),
                    b.id
                )
            })
            .collect();
        let list: String = due
            .iter()
            .map(|r| {
                let days = request::days_left(r.deadline, today);
                let when = match (days < 0, fr) {
                    (true, true) => format!("en retard de {} j", -days),
                    (true, false) => format!("{} d late", -days),
                    (false, true) => format!("{days} j restants"),
                    (false, false) => format!("{days} d left"),
                };
                format!(
                    "{} · {} ({}) · {base}/requests/{}\n",
                    r.deadline,
                    staff_kind(r.kind, fr),
                    when,
                    r.id
                )
            })
            .collect();
        debug_assert!(due.iter().all(|r| r.status != RequestStatus::Answered));
        let m = self.legal_notice(
            None,
            &self.settings.dpo_contact,
            locale,
            "dpo_digest",
            &[
                ("today", &today.to_string()),
                ("overdue", &overdue.to_string()),
                ("soon", &(due.len() - overdue).to_string()),
                ("list", &list),
                ("breaches", &breaches.len().to_string()),
                ("breach_list", &breach_list),
            ],
        )?;
        Ok(Outcome {
            next,
            mail: Some(m),
        })
    }
}
