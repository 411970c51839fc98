//! May we send this message? (SPEC M1, M2.) One pure function decides, for a category of
//! message on a channel to one contact now, from the facts about that contact, and
//! names the rule that decided. Every send path asks it; `docs/communication-rules.md`
//! lists the rules with their reasons, and a test keeps the two in step.

use crate::consent::{Channel, ConsentState, Status};
use crate::error::FieldError;
use serde::Serialize;
use time::{Duration, OffsetDateTime};

/// The purpose id of a global opt-out: a withdrawal for `*` on a channel stops every
/// message on it but those the law or a running contract allows.
pub const ALL_PURPOSES: &str = "*";

/// How long a refusal keeps Candor from asking for consent again, by default.
pub const DEFAULT_REFUSAL_QUIET_PERIOD: Duration = Duration::days(365);

/// The category of an outgoing message (M1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Newsletter,
    Marketing,
    Commercial,
    /// About a running contract, e.g. the date it ends.
    ContractService,
    /// An offer to renew a contract: marketing.
    ContractRenewal,
    Security,
    ConsentRequest,
    /// What the law requires: answers to a person's requests, breach notices.
    LegalNotice,
}

impl Category {
    pub const ALL: &'static [Category] = &[
        Category::Newsletter,
        Category::Marketing,
        Category::Commercial,
        Category::ContractService,
        Category::ContractRenewal,
        Category::Security,
        Category::ConsentRequest,
        Category::LegalNotice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Newsletter => "newsletter",
            Category::Marketing => "marketing",
            Category::Commercial => "commercial",
            Category::ContractService => "contract_service",
            Category::ContractRenewal => "contract_renewal",
            Category::Security => "security",
            Category::ConsentRequest => "consent_request",
            Category::LegalNotice => "legal_notice",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<&str> = Self::ALL.iter().map(|c| c.as_str()).collect();
                FieldError::new(
                    field,
                    "unknown_category",
                    format!("must be one of: {}", all.join(", ")),
                )
            })
    }

    /// The consent purpose an opt-in for this category is given for, if it takes one.
    pub fn purpose(self) -> Option<&'static str> {
        match self {
            Category::Newsletter => Some("newsletter"),
            Category::Marketing | Category::ContractRenewal => Some("marketing"),
            Category::Commercial => Some("commercial"),
            _ => None,
        }
    }
}

/// Every rule the decision can name. The id is stable: API clients and reports key on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    LegalNoticeAlways,
    ErasedLegalOnly,
    RestrictedLegalOnly,
    AddressUndeliverable,
    SecurityAlways,
    ContractServiceActiveContract,
    ContractServiceNoContract,
    GlobalOptOut,
    OptInEffective,
    OptInPending,
    NoOptIn,
    OptedOutOfPurpose,
    OptInRefused,
    RenewalNeedsMarketingOptIn,
    ConsentRequestNeverAsked,
    ConsentRequestExpired,
    ConsentRequestOpen,
    ConsentRequestAnswered,
    ConsentRequestRefusedRecently,
    ConsentRequestEmailOnly,
    DoubleOptInConfirmation,
    StaffTest,
}

impl Rule {
    pub const ALL: &'static [Rule] = &[
        Rule::LegalNoticeAlways,
        Rule::ErasedLegalOnly,
        Rule::RestrictedLegalOnly,
        Rule::AddressUndeliverable,
        Rule::SecurityAlways,
        Rule::ContractServiceActiveContract,
        Rule::ContractServiceNoContract,
        Rule::GlobalOptOut,
        Rule::OptInEffective,
        Rule::OptInPending,
        Rule::NoOptIn,
        Rule::OptedOutOfPurpose,
        Rule::OptInRefused,
        Rule::RenewalNeedsMarketingOptIn,
        Rule::ConsentRequestNeverAsked,
        Rule::ConsentRequestExpired,
        Rule::ConsentRequestOpen,
        Rule::ConsentRequestAnswered,
        Rule::ConsentRequestRefusedRecently,
        Rule::ConsentRequestEmailOnly,
        Rule::DoubleOptInConfirmation,
        Rule::StaffTest,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Rule::LegalNoticeAlways => "legal_notice_always",
            Rule::ErasedLegalOnly => "erased_legal_only",
            Rule::RestrictedLegalOnly => "restricted_legal_only",
            Rule::AddressUndeliverable => "address_undeliverable",
            Rule::SecurityAlways => "security_always",
            Rule::ContractServiceActiveContract => "contract_service_active_contract",
            Rule::ContractServiceNoContract => "contract_service_no_contract",
            Rule::GlobalOptOut => "global_opt_out",
            Rule::OptInEffective => "opt_in_effective",
            Rule::OptInPending => "opt_in_pending",
            Rule::NoOptIn => "no_opt_in",
            Rule::OptedOutOfPurpose => "opted_out_of_purpose",
            Rule::OptInRefused => "opt_in_refused",
            Rule::RenewalNeedsMarketingOptIn => "renewal_needs_marketing_opt_in",
            Rule::ConsentRequestNeverAsked => "consent_request_never_asked",
            Rule::ConsentRequestExpired => "consent_request_expired",
            Rule::ConsentRequestOpen => "consent_request_open",
            Rule::ConsentRequestAnswered => "consent_request_answered",
            Rule::ConsentRequestRefusedRecently => "consent_request_refused_recently",
            Rule::ConsentRequestEmailOnly => "consent_request_email_only",
            Rule::DoubleOptInConfirmation => "double_opt_in_confirmation",
            Rule::StaffTest => "staff_test",
        }
    }

    /// Whether a message decided by this rule may be sent.
    pub fn allows(self) -> bool {
        matches!(
            self,
            Rule::LegalNoticeAlways
                | Rule::SecurityAlways
                | Rule::ContractServiceActiveContract
                | Rule::OptInEffective
                | Rule::ConsentRequestNeverAsked
                | Rule::ConsentRequestExpired
                | Rule::DoubleOptInConfirmation
                | Rule::StaffTest
        )
    }

    /// The rule in one sentence, in English and in French.
    pub fn explanation(self) -> (&'static str, &'static str) {
        match self {
            Rule::LegalNoticeAlways => (
                "Notices the law requires (answers to the person's requests, breach notices) are always sent.",
                "Les avis exigés par la loi (réponses aux demandes de la personne, notifications de violation) sont toujours envoyés.",
            ),
            Rule::ErasedLegalOnly => (
                "The person's data was erased: only notices the law requires may be sent.",
                "Les données de la personne ont été effacées : seuls les avis exigés par la loi peuvent être envoyés.",
            ),
            Rule::RestrictedLegalOnly => (
                "The person restricted the processing of their data or objected to it: only notices the law requires may be sent.",
                "La personne a demandé la limitation du traitement ou s'y est opposée : seuls les avis exigés par la loi peuvent être envoyés.",
            ),
            Rule::AddressUndeliverable => (
                "The person's address on this channel is known not to receive messages (a bounce): nothing is sent to it until it changes.",
                "L'adresse de la personne sur ce canal est connue pour ne pas recevoir les messages (rejet) : rien n'y est envoyé tant qu'elle ne change pas.",
            ),
            Rule::SecurityAlways => (
                "Security notices are always allowed, even after a global opt-out.",
                "Les messages de sécurité sont toujours autorisés, même après une opposition globale.",
            ),
            Rule::ContractServiceActiveContract => (
                "The person has a running contract: messages about it (such as its end date) are allowed, even after a global opt-out.",
                "La personne a un contrat en cours : les messages qui le concernent (comme sa date de fin) sont autorisés, même après une opposition globale.",
            ),
            Rule::ContractServiceNoContract => (
                "Contract messages need a running contract, and the person has none.",
                "Les messages liés au contrat exigent un contrat en cours, et la personne n'en a pas.",
            ),
            Rule::GlobalOptOut => (
                "The person asked to receive nothing from us on this channel.",
                "La personne a demandé à ne plus rien recevoir de notre part sur ce canal.",
            ),
            Rule::OptInEffective => (
                "The person gave an effective opt-in for this purpose on this channel.",
                "La personne a donné un accord effectif pour cette finalité sur ce canal.",
            ),
            Rule::OptInPending => (
                "The opt-in is not effective yet: it waits for the double opt-in confirmation or a signed consent.",
                "L'accord n'est pas encore effectif : il attend la confirmation (double opt-in) ou un consentement écrit.",
            ),
            Rule::NoOptIn => (
                "The person never opted in to this purpose on this channel.",
                "La personne n'a jamais donné son accord pour cette finalité sur ce canal.",
            ),
            Rule::OptedOutOfPurpose => (
                "The person withdrew their consent to this purpose on this channel.",
                "La personne a retiré son consentement pour cette finalité sur ce canal.",
            ),
            Rule::OptInRefused => (
                "The person refused this purpose on this channel.",
                "La personne a refusé cette finalité sur ce canal.",
            ),
            Rule::RenewalNeedsMarketingOptIn => (
                "A contract renewal offer is marketing: it needs the marketing opt-in, even with a running contract.",
                "Une offre de renouvellement de contrat relève de la prospection : elle exige l'accord marketing, même avec un contrat en cours.",
            ),
            Rule::ConsentRequestNeverAsked => (
                "The person has never been asked for consent: one request may be sent.",
                "La personne n'a jamais été sollicitée : une demande de consentement peut être envoyée.",
            ),
            Rule::ConsentRequestExpired => (
                "The last consent request expired unanswered: a new one may be sent.",
                "La dernière demande de consentement a expiré sans réponse : une nouvelle peut être envoyée.",
            ),
            Rule::ConsentRequestOpen => (
                "A consent request is still open: the person is not asked twice.",
                "Une demande de consentement est encore ouverte : la personne n'est pas sollicitée deux fois.",
            ),
            Rule::ConsentRequestAnswered => (
                "The person already answered a consent request.",
                "La personne a déjà répondu à une demande de consentement.",
            ),
            Rule::ConsentRequestRefusedRecently => (
                "The person refused consent recently: they are not asked again before the quiet period ends.",
                "La personne a refusé récemment : elle n'est pas sollicitée à nouveau avant la fin du délai.",
            ),
            Rule::ConsentRequestEmailOnly => (
                "Consent requests are sent by email only.",
                "Les demandes de consentement ne sont envoyées que par e-mail.",
            ),
            Rule::DoubleOptInConfirmation => (
                "The person has just opted in: the link that confirms it (double opt-in) goes to them.",
                "La personne vient de donner son accord : le lien qui le confirme (double opt-in) lui est envoyé.",
            ),
            Rule::StaffTest => (
                "A test of a campaign, sent to the staff member's own address: it reaches no contact.",
                "Un essai de campagne, envoyé à l'adresse du membre de l'équipe lui-même : il n'atteint aucun contact.",
            ),
        }
    }
}

/// The last consent request sent to the person (C4), as the store keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastRequest {
    pub sent_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub answered: bool,
}

/// What the decision needs to know about one contact, now.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The current consent state per purpose × channel (the global opt-out is purpose `*`).
    pub consents: &'a [ConsentState],
    pub active_contract: bool,
    pub erased: bool,
    /// Processing restricted (Art. 18) or objected to (Art. 21).
    pub restricted: bool,
    /// Channels on which the person's address is known not to receive (a bounce).
    pub undeliverable: &'a [Channel],
    pub last_request: Option<LastRequest>,
    pub now: OffsetDateTime,
    /// How long a refusal keeps Candor from asking again.
    pub refusal_quiet_period: Duration,
}

impl Facts<'_> {
    fn state_since(&self, purpose: &str, channel: Channel) -> Option<(Status, OffsetDateTime)> {
        self.consents
            .iter()
            .find(|s| s.purpose == purpose && s.channel == channel)
            .map(|s| (s.status, s.since))
    }

    /// When the person opted out of everything on `channel`, if they did.
    fn global_opt_out(&self, channel: Channel) -> Option<OffsetDateTime> {
        match self.state_since(ALL_PURPOSES, channel) {
            Some((Status::Withdrawn | Status::Refused, since)) => Some(since),
            _ => None,
        }
    }

    fn refused_since(&self, since: OffsetDateTime) -> bool {
        self.consents
            .iter()
            .any(|s| s.status == Status::Refused && s.since > since)
    }
}

/// May a message of `category` go to this contact on `channel` now? The rule that
/// decided says whether, and why.
pub fn decide(category: Category, channel: Channel, f: &Facts<'_>) -> Rule {
    use Category as C;
    if category == C::LegalNotice {
        return Rule::LegalNoticeAlways;
    }
    if f.erased {
        return Rule::ErasedLegalOnly;
    }
    if f.restricted {
        return Rule::RestrictedLegalOnly;
    }
    if f.undeliverable.contains(&channel) {
        return Rule::AddressUndeliverable;
    }
    match category {
        C::LegalNotice => Rule::LegalNoticeAlways,
        C::Security => Rule::SecurityAlways,
        C::ContractService if f.active_contract => Rule::ContractServiceActiveContract,
        C::ContractService => Rule::ContractServiceNoContract,
        C::ConsentRequest if f.global_opt_out(channel).is_some() => Rule::GlobalOptOut,
        C::ConsentRequest => consent_request(channel, f),
        C::Newsletter | C::Marketing | C::Commercial | C::ContractRenewal => {
            let purpose = category.purpose().expect("these categories take a purpose");
            let state = f.state_since(purpose, channel);
            if let Some(out) = f.global_opt_out(channel) {
                // Only an opt-in given after the global opt-out lifts it, for its purpose.
                return match state {
                    Some((Status::Effective, since)) if since > out => Rule::OptInEffective,
                    _ => Rule::GlobalOptOut,
                };
            }
            match state.map(|s| s.0) {
                Some(Status::Effective) => Rule::OptInEffective,
                _ if category == C::ContractRenewal => Rule::RenewalNeedsMarketingOptIn,
                Some(Status::Pending) => Rule::OptInPending,
                Some(Status::Withdrawn) => Rule::OptedOutOfPurpose,
                Some(Status::Refused) => Rule::OptInRefused,
                Some(Status::NeverAsked | Status::Lapsed) | None => Rule::NoOptIn,
            }
        }
    }
}

fn consent_request(channel: Channel, f: &Facts<'_>) -> Rule {
    if channel != Channel::Email {
        return Rule::ConsentRequestEmailOnly;
    }
    if f.refused_since(f.now - f.refusal_quiet_period) {
        return Rule::ConsentRequestRefusedRecently;
    }
    match f.last_request {
        None => Rule::ConsentRequestNeverAsked,
        Some(r) if r.answered => Rule::ConsentRequestAnswered,
        Some(r) if r.expires_at <= f.now => Rule::ConsentRequestExpired,
        Some(_) => Rule::ConsentRequestOpen,
    }
}

/// Proof that the rules allowed one message: only this module makes one, and a
/// message cannot be queued without one (`candor_app::mail::queued` takes it), so no
/// send path can skip the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permit {
    category: Category,
    channel: Channel,
    rule: Rule,
}

impl Permit {
    pub fn category(&self) -> Category {
        self.category
    }

    pub fn channel(&self) -> Channel {
        self.channel
    }

    pub fn rule(&self) -> Rule {
        self.rule
    }
}

/// `decide`, with a permit when the rule allows the message and the denying rule when not.
pub fn permit(category: Category, channel: Channel, f: &Facts<'_>) -> Result<Permit, Rule> {
    let rule = decide(category, channel, f);
    if rule.allows() {
        Ok(Permit {
            category,
            channel,
            rule,
        })
    } else {
        Err(rule)
    }
}

/// The confirmation link of an opt-in the person just gave (double opt-in, C1): it
/// answers their own act, so only erasure and restriction stop it.
pub fn confirmation_permit(channel: Channel, f: &Facts<'_>) -> Result<Permit, Rule> {
    if f.erased {
        return Err(Rule::ErasedLegalOnly);
    }
    if f.restricted {
        return Err(Rule::RestrictedLegalOnly);
    }
    Ok(Permit {
        category: Category::ConsentRequest,
        channel,
        rule: Rule::DoubleOptInConfirmation,
    })
}

/// A test of a campaign sent to the staff member who asked for it, at their own
/// address (M3): no contact is reached, so no contact's choices apply.
pub fn staff_test_permit(category: Category, channel: Channel) -> Permit {
    Permit {
        category,
        channel,
        rule: Rule::StaffTest,
    }
}

impl Facts<'static> {
    /// The facts about a contact that is being created: no ledger, no contract, never asked.
    pub fn new_contact(now: OffsetDateTime, refusal_quiet_period: Duration) -> Self {
        Facts {
            consents: &[],
            active_contract: false,
            erased: false,
            restricted: false,
            undeliverable: &[],
            last_request: None,
            now,
            refusal_quiet_period,
        }
    }
}

#[cfg(test)]
mod tests;
