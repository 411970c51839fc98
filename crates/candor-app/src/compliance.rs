//! The compliance dashboard (O1, R7): each obligation Candor watches as a count with
//! the list behind it, the article it breaks and the tier of Art. 83 it falls under,
//! and the maximum fine for the organisation's turnover. The verification of the
//! chains runs daily and each run is kept, so the dashboard says when it last ran and
//! what it found.

use crate::{Actor, AppError, Candor};
use candor_domain::breach::{self, Clock};
use candor_domain::compliance::{max_fine, Item, Tier};
use candor_store::{Page, RequestFilter, RetentionRun, VerifyRun};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// How long a B2C grant may wait for its confirmation before it shows (C1).
pub const PENDING_DAYS: i64 = 7;

/// A daily job missed by more than this shows as late.
const DAILY_GRACE: Duration = Duration::hours(26);

/// One line of the dashboard.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DashboardItem {
    pub item: Item,
    pub count: i64,
    /// The list behind the count, in the back office.
    pub link: &'static str,
    pub article: &'static str,
    pub tier: Tier,
    /// A count that warns of a deadline to come rather than one missed.
    pub warning_only: bool,
    /// The maximum fine of its tier when the count shows an obligation missed (euros).
    pub exposure_eur: Option<u64>,
}

/// The dashboard at a moment.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Dashboard {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub items: Vec<DashboardItem>,
    /// The annual worldwide turnover the fines are computed from (euros), if known.
    pub annual_turnover_eur: Option<u64>,
    /// Art. 83(5): the greater of EUR 20 million and 4% of turnover.
    pub max_fine_83_5_eur: u64,
    /// Art. 83(4): the greater of EUR 10 million and 2% of turnover.
    pub max_fine_83_4_eur: u64,
    /// The gravest exposure among the obligations missed (Art. 83(3): linked
    /// infringements are fined up to the gravest one's maximum), 0 when none is.
    pub exposure_eur: u64,
    pub last_verify: Option<VerifyRun>,
    pub last_retention: Option<RetentionRun>,
}

/// The contact lists behind two of the items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactList {
    NoLawfulBasis,
    PendingConsents,
}

impl ContactList {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "no_lawful_basis" => Some(ContactList::NoLawfulBasis),
            "pending_consents" => Some(ContactList::PendingConsents),
            _ => None,
        }
    }
}

impl Candor {
    fn may_read_compliance(actor: &Actor) -> Result<(), AppError> {
        if actor.role.governs_data() {
            Ok(())
        } else {
            Err(AppError::RoleForbidden {
                role: actor.role,
                what: "read the compliance dashboard",
            })
        }
    }

    /// The dashboard now, the fines computed from `turnover` when given (a what-if),
    /// else from the configured turnover.
    pub async fn compliance(
        &self,
        actor: &Actor,
        turnover: Option<u64>,
    ) -> Result<Dashboard, AppError> {
        Self::may_read_compliance(actor)?;
        let now = self.now();
        let today = now.date();
        let none = Page {
            after: None,
            limit: 0,
        };
        let store = self.store.compliance();
        let (no_basis, _) = store.without_basis(today, none).await?;
        let (pending, _) = store
            .pending_since(now - Duration::days(PENDING_DAYS), none)
            .await?;
        let due = self
            .store
            .requests()
            .list(&RequestFilter {
                due_by: Some(today + Duration::days(7)),
                limit: 100_000,
                ..RequestFilter::default()
            })
            .await?;
        let overdue = due.iter().filter(|r| r.deadline < today).count();
        let breaches = self.store.breaches().list(500).await?;
        let clocks: Vec<Clock> = breaches
            .iter()
            .map(|b| breach::clock(&b.facts, &b.notifications, now))
            .collect();
        let running = clocks
            .iter()
            .filter(|c| matches!(c, Clock::Running { .. }))
            .count();
        let late = clocks
            .iter()
            .filter(|c| matches!(c, Clock::Late { .. }))
            .count();
        let unjustified = self
            .catalogue()
            .fields()
            .iter()
            .filter(|f| {
                f.why.fr.trim().is_empty()
                    || f.why.en.trim().is_empty()
                    || f.purposes.is_empty()
                    || f.access
                        .values()
                        .any(|a| a.why.fr.trim().is_empty() || a.why.en.trim().is_empty())
            })
            .count();
        let last_retention = self
            .store
            .erasures()
            .runs(20)
            .await?
            .into_iter()
            .find(|r| !r.dry_run);
        let jobs = self.store.jobs().list(1000).await?;
        let missed = |kind: &str| {
            jobs.iter().any(|j| {
                j.kind == kind
                    && (j.status == "failed"
                        || (j.status == "queued" && j.run_at < now - Duration::hours(1)))
            })
        };
        let retention_late = missed(crate::jobs::RETENTION)
            || last_retention
                .as_ref()
                .is_some_and(|r| r.finished_at < now - DAILY_GRACE);
        let last_verify = store.last_verify().await?;
        let unverified = match &last_verify {
            None => true,
            Some(v) => v.broken > 0 || v.at < now - DAILY_GRACE,
        } || missed(crate::jobs::VERIFY);
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let turnover = turnover.or(self.settings.annual_turnover_eur);
        let items: Vec<DashboardItem> = [
            (Item::NoLawfulBasis, no_basis, "/compliance/no_lawful_basis"),
            (
                Item::PendingConsents,
                pending,
                "/compliance/pending_consents",
            ),
            (Item::OverdueRequests, count(overdue), "/requests"),
            (
                Item::RequestsDueSoon,
                count(due.len() - overdue),
                "/requests",
            ),
            (Item::BreachClocksRunning, count(running), "/breaches"),
            (Item::BreachesLate, count(late), "/breaches"),
            (Item::UnjustifiedFields, count(unjustified), "/register"),
            (Item::RetentionLate, i64::from(retention_late), "/retention"),
            (Item::ChainsUnverified, i64::from(unverified), "/compliance"),
        ]
        .into_iter()
        .map(|(item, count, link)| DashboardItem {
            item,
            count,
            link,
            article: item.article(),
            tier: item.tier(),
            warning_only: item.warning_only(),
            exposure_eur: (count > 0 && !item.warning_only())
                .then(|| max_fine(item.tier(), turnover)),
        })
        .collect();
        let exposure_eur = items
            .iter()
            .filter_map(|i| i.exposure_eur)
            .max()
            .unwrap_or(0);
        Ok(Dashboard {
            at: now,
            items,
            annual_turnover_eur: turnover,
            max_fine_83_5_eur: max_fine(Tier::Upper, turnover),
            max_fine_83_4_eur: max_fine(Tier::Lower, turnover),
            exposure_eur,
            last_verify,
            last_retention,
        })
    }

    /// The contacts behind a dashboard count, a page at a time in id order.
    pub async fn compliance_contacts(
        &self,
        actor: &Actor,
        list: ContactList,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<(i64, Vec<Uuid>), AppError> {
        Self::may_read_compliance(actor)?;
        let page = Page {
            after,
            limit: limit.clamp(1, 500),
        };
        let now = self.now();
        let store = self.store.compliance();
        Ok(match list {
            ContactList::NoLawfulBasis => store.without_basis(now.date(), page).await?,
            ContactList::PendingConsents => {
                store
                    .pending_since(now - Duration::days(PENDING_DAYS), page)
                    .await?
            }
        })
    }

    /// Verifies every chain (the access audit, the consent ledger, the erasure records)
    /// and the checkpoints, and records the run for the dashboard (`actor`: `cli`,
    /// `job:verify`).
    pub async fn verify_and_record(
        &self,
        actor: &str,
    ) -> Result<
        (
            Vec<(&'static str, candor_store::VerifyReport)>,
            crate::audit::CheckpointReport,
            VerifyRun,
        ),
        AppError,
    > {
        let chains = self.verify().await?;
        let checkpoints = self.verify_checkpoints().await?;
        let entries: u64 = chains.iter().map(|(_, r)| r.entries).sum();
        let broken: usize = chains
            .iter()
            .map(|(_, r)| r.breaks.len() + r.projection.len())
            .sum::<usize>()
            + checkpoints.breaks.len();
        let run = VerifyRun {
            id: Uuid::now_v7(),
            at: self.now(),
            actor: actor.to_owned(),
            entries,
            broken: broken as u64,
            summary: format!(
                "{}; {} checkpoints",
                chains
                    .iter()
                    .map(|(n, r)| format!("{n}: {} entries", r.entries))
                    .collect::<Vec<_>>()
                    .join(", "),
                checkpoints.checkpoints
            ),
        };
        self.store.compliance().record_verify(&run).await?;
        Ok((chains, checkpoints, run))
    }
}
