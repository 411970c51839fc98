//! The compliance dashboard's arithmetic (O1): the maximum administrative fines of
//! GDPR Art. 83 for an undertaking with a given annual worldwide turnover, and which
//! tier each obligation the dashboard watches falls under.

use serde::Serialize;

/// The two tiers of Art. 83.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Tier {
    /// Art. 83(4): up to EUR 10 million or 2% of turnover, whichever is higher — the
    /// controller's obligations of Art. 8, 11, 25 to 39 (privacy by design, records,
    /// security, breach notification…).
    #[serde(rename = "83(4)")]
    Lower,
    /// Art. 83(5): up to EUR 20 million or 4% of turnover, whichever is higher — the
    /// basic principles and lawful bases (Art. 5, 6, 7, 9) and the people's rights
    /// (Art. 12 to 22).
    #[serde(rename = "83(5)")]
    Upper,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Lower => "83(4)",
            Tier::Upper => "83(5)",
        }
    }

    /// The fixed ceiling in euros and the share of turnover, in percent.
    pub fn terms(self) -> (u64, u64) {
        match self {
            Tier::Lower => (10_000_000, 2),
            Tier::Upper => (20_000_000, 4),
        }
    }
}

/// The maximum fine of a tier for an annual worldwide turnover (euros): the greater of
/// the fixed amount and the share of turnover. Without a turnover, the fixed amount.
pub fn max_fine(tier: Tier, turnover_eur: Option<u64>) -> u64 {
    let (fixed, percent) = tier.terms();
    let share = turnover_eur.map_or(0, |t| t / 100 * percent + t % 100 * percent / 100);
    fixed.max(share)
}

/// What the dashboard watches, with the article each breaks and its tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Item {
    /// Contacts with no consent in force, no running contract: Art. 6(1).
    NoLawfulBasis,
    /// B2C consents awaiting their confirmation for over 7 days: Art. 7(1).
    PendingConsents,
    /// Requests past their deadline: Art. 12(3).
    OverdueRequests,
    /// Requests due within 7 days (a warning, no breach yet).
    RequestsDueSoon,
    /// Breaches whose 72 hours run: Art. 33(1) (a warning until late).
    BreachClocksRunning,
    /// Breaches not notified past 72 hours: Art. 33(1).
    BreachesLate,
    /// Catalogue fields without a reason or purpose: Art. 5(1)(c), 25, 30.
    UnjustifiedFields,
    /// Retention not run for over a day, or failed: Art. 5(1)(e).
    RetentionLate,
    /// The chains' last verification failed, or none in over a day: Art. 5(1)(f), 32.
    ChainsUnverified,
}

impl Item {
    pub const ALL: [Item; 9] = [
        Item::NoLawfulBasis,
        Item::PendingConsents,
        Item::OverdueRequests,
        Item::RequestsDueSoon,
        Item::BreachClocksRunning,
        Item::BreachesLate,
        Item::UnjustifiedFields,
        Item::RetentionLate,
        Item::ChainsUnverified,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Item::NoLawfulBasis => "no_lawful_basis",
            Item::PendingConsents => "pending_consents",
            Item::OverdueRequests => "overdue_requests",
            Item::RequestsDueSoon => "requests_due_soon",
            Item::BreachClocksRunning => "breach_clocks_running",
            Item::BreachesLate => "breaches_late",
            Item::UnjustifiedFields => "unjustified_fields",
            Item::RetentionLate => "retention_late",
            Item::ChainsUnverified => "chains_unverified",
        }
    }

    /// The article a non-zero count breaks.
    pub fn article(self) -> &'static str {
        match self {
            Item::NoLawfulBasis => "Art. 6(1)",
            Item::PendingConsents => "Art. 7(1)",
            Item::OverdueRequests | Item::RequestsDueSoon => "Art. 12(3)",
            Item::BreachClocksRunning | Item::BreachesLate => "Art. 33(1)",
            Item::UnjustifiedFields => "Art. 5(1)(c), 25, 30",
            Item::RetentionLate => "Art. 5(1)(e)",
            Item::ChainsUnverified => "Art. 5(1)(f), 32",
        }
    }

    pub fn tier(self) -> Tier {
        match self {
            Item::NoLawfulBasis
            | Item::PendingConsents
            | Item::OverdueRequests
            | Item::RequestsDueSoon
            | Item::RetentionLate => Tier::Upper,
            Item::ChainsUnverified => Tier::Upper,
            Item::BreachClocksRunning | Item::BreachesLate | Item::UnjustifiedFields => Tier::Lower,
        }
    }

    /// Whether a non-zero count is a warning (something is due soon) rather than an
    /// obligation already missed.
    pub fn warning_only(self) -> bool {
        matches!(self, Item::RequestsDueSoon | Item::BreachClocksRunning)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fine_is_the_greater_of_the_fixed_amount_and_the_share_of_turnover() {
        // EUR 300 million: 4% is 12 million, less than 20 million.
        assert_eq!(max_fine(Tier::Upper, Some(300_000_000)), 20_000_000);
        // EUR 1 billion: 4% is 40 million.
        assert_eq!(max_fine(Tier::Upper, Some(1_000_000_000)), 40_000_000);
        assert_eq!(max_fine(Tier::Lower, Some(1_000_000_000)), 20_000_000);
        assert_eq!(max_fine(Tier::Lower, Some(250_000_000)), 10_000_000);
        assert_eq!(max_fine(Tier::Upper, None), 20_000_000);
        // Not rounded away: 4% of 1,234,567,899 is 49,382,715.96.
        assert_eq!(max_fine(Tier::Upper, Some(1_234_567_899)), 49_382_715);
        // No overflow at the top: 4% of the largest turnover, rounded down.
        assert_eq!(
            max_fine(Tier::Upper, Some(u64::MAX)),
            737_869_762_948_382_064
        );
    }
}
