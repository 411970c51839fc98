use super::*;
use crate::consent::Source;
use proptest::prelude::*;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

fn state(purpose: &str, channel: Channel, status: Status, days_ago: i64) -> ConsentState {
    ConsentState {
        purpose: purpose.into(),
        channel,
        status,
        reason: None,
        source: Source::Api,
        since: NOW - Duration::days(days_ago),
        first_opt_in_at: None,
        first_opt_in_source: None,
    }
}

fn facts(consents: &[ConsentState]) -> Facts<'_> {
    Facts {
        consents,
        active_contract: false,
        erased: false,
        restricted: false,
        undeliverable: &[],
        last_request: None,
        now: NOW,
        refusal_quiet_period: DEFAULT_REFUSAL_QUIET_PERIOD,
    }
}

use Category as C;
use Channel::Email;
use Status as S;

/// One row per case of the brief and per rule.
struct Row<'a> {
    case: &'a str,
    consents: &'a [ConsentState],
    contract: bool,
    erased: bool,
    restricted: bool,
    last: Option<LastRequest>,
    category: Category,
    channel: Channel,
    want: Rule,
}

fn row<'a>(
    case: &'a str,
    consents: &'a [ConsentState],
    category: Category,
    channel: Channel,
    want: Rule,
) -> Row<'a> {
    Row {
        case,
        consents,
        contract: false,
        erased: false,
        restricted: false,
        last: None,
        category,
        channel,
        want,
    }
}

#[test]
fn the_rules_decide_each_case_of_the_brief() {
    let open = LastRequest {
        sent_at: NOW - Duration::days(3),
        expires_at: NOW + Duration::days(27),
        answered: false,
    };
    let expired = LastRequest {
        sent_at: NOW - Duration::days(40),
        expires_at: NOW - Duration::days(10),
        answered: false,
    };
    let answered = LastRequest {
        answered: true,
        ..open
    };
    let nl_out_com_in = vec![
        state("newsletter", Email, S::Withdrawn, 1),
        state("commercial", Email, S::Effective, 30),
    ];
    let global_out = vec![
        state(ALL_PURPOSES, Email, S::Withdrawn, 1),
        state("marketing", Email, S::Effective, 90),
        state("newsletter", Email, S::Effective, 90),
    ];
    let pending = vec![state("newsletter", Email, S::Pending, 0)];
    let resubscribed = vec![
        state(ALL_PURPOSES, Email, S::Withdrawn, 30),
        state("newsletter", Email, S::Effective, 2),
        state("marketing", Email, S::Effective, 60),
    ];
    let refused_recently = vec![state("marketing", Email, S::Refused, 100)];
    let refused_long_ago = vec![state("marketing", Email, S::Refused, 400)];
    let marketing_in = vec![state("marketing", Email, S::Effective, 10)];
    let none: &[ConsentState] = &[];
    let rows = vec![
        row(
            "newsletter unsubscribed: newsletter stops",
            &nl_out_com_in,
            C::Newsletter,
            Email,
            Rule::OptedOutOfPurpose,
        ),
        row(
            "newsletter unsubscribed: commercial goes on",
            &nl_out_com_in,
            C::Commercial,
            Email,
            Rule::OptInEffective,
        ),
        Row {
            contract: true,
            ..row(
                "global opt-out, active contract: contract service",
                &global_out,
                C::ContractService,
                Email,
                Rule::ContractServiceActiveContract,
            )
        },
        Row {
            contract: true,
            ..row(
                "global opt-out, active contract: renewal offer",
                &global_out,
                C::ContractRenewal,
                Email,
                Rule::GlobalOptOut,
            )
        },
        row(
            "global opt-out stops the newsletter despite its opt-in",
            &global_out,
            C::Newsletter,
            Email,
            Rule::GlobalOptOut,
        ),
        row(
            "global opt-out stops consent requests",
            &global_out,
            C::ConsentRequest,
            Email,
            Rule::GlobalOptOut,
        ),
        row(
            "global opt-out: security still goes",
            &global_out,
            C::Security,
            Email,
            Rule::SecurityAlways,
        ),
        row(
            "a global opt-out on email says nothing of SMS",
            &global_out,
            C::Marketing,
            Channel::Sms,
            Rule::NoOptIn,
        ),
        row(
            "contract ended: contract service",
            none,
            C::ContractService,
            Email,
            Rule::ContractServiceNoContract,
        ),
        row(
            "security, no consent at all",
            none,
            C::Security,
            Email,
            Rule::SecurityAlways,
        ),
        row(
            "B2C pending double opt-in",
            &pending,
            C::Newsletter,
            Email,
            Rule::OptInPending,
        ),
        row("never asked", none, C::Marketing, Email, Rule::NoOptIn),
        row(
            "refused marketing",
            &refused_long_ago,
            C::Marketing,
            Email,
            Rule::OptInRefused,
        ),
        Row {
            contract: true,
            ..row(
                "renewal without the marketing opt-in, active contract",
                none,
                C::ContractRenewal,
                Email,
                Rule::RenewalNeedsMarketingOptIn,
            )
        },
        Row {
            contract: true,
            ..row(
                "renewal with the marketing opt-in",
                &marketing_in,
                C::ContractRenewal,
                Email,
                Rule::OptInEffective,
            )
        },
        Row {
            erased: true,
            ..row(
                "erased: marketing",
                &marketing_in,
                C::Marketing,
                Email,
                Rule::ErasedLegalOnly,
            )
        },
        Row {
            erased: true,
            ..row(
                "erased: security",
                none,
                C::Security,
                Email,
                Rule::ErasedLegalOnly,
            )
        },
        Row {
            erased: true,
            ..row(
                "erased: legal notice",
                none,
                C::LegalNotice,
                Email,
                Rule::LegalNoticeAlways,
            )
        },
        Row {
            restricted: true,
            contract: true,
            ..row(
                "restricted: contract service",
                none,
                C::ContractService,
                Email,
                Rule::RestrictedLegalOnly,
            )
        },
        Row {
            restricted: true,
            ..row(
                "restricted: legal notice",
                none,
                C::LegalNotice,
                Email,
                Rule::LegalNoticeAlways,
            )
        },
        row(
            "consent request, never asked",
            none,
            C::ConsentRequest,
            Email,
            Rule::ConsentRequestNeverAsked,
        ),
        Row {
            last: Some(expired),
            ..row(
                "consent request, last one expired",
                none,
                C::ConsentRequest,
                Email,
                Rule::ConsentRequestExpired,
            )
        },
        Row {
            last: Some(open),
            ..row(
                "consent request, one still open",
                none,
                C::ConsentRequest,
                Email,
                Rule::ConsentRequestOpen,
            )
        },
        Row {
            last: Some(answered),
            ..row(
                "consent request, answered",
                none,
                C::ConsentRequest,
                Email,
                Rule::ConsentRequestAnswered,
            )
        },
        Row {
            last: Some(expired),
            ..row(
                "consent request, refused 100 days ago",
                &refused_recently,
                C::ConsentRequest,
                Email,
                Rule::ConsentRequestRefusedRecently,
            )
        },
        Row {
            last: Some(expired),
            ..row(
                "consent request, refused 400 days ago",
                &refused_long_ago,
                C::ConsentRequest,
                Email,
                Rule::ConsentRequestExpired,
            )
        },
        row(
            "consent request by SMS",
            none,
            C::ConsentRequest,
            Channel::Sms,
            Rule::ConsentRequestEmailOnly,
        ),
        row(
            "a newsletter opt-in given after the global opt-out lifts it for the newsletter",
            &resubscribed,
            C::Newsletter,
            Email,
            Rule::OptInEffective,
        ),
        row(
            "…and for the newsletter only",
            &resubscribed,
            C::Marketing,
            Email,
            Rule::GlobalOptOut,
        ),
    ];
    let mut covered = std::collections::BTreeSet::new();
    // The double opt-in confirmation answers the person's own opt-in: it goes even
    // after a global opt-out, but not to an erased or restricted person.
    let confirm = confirmation_permit(Email, &facts(&global_out)).unwrap();
    assert_eq!(confirm.rule(), Rule::DoubleOptInConfirmation);
    covered.insert(confirm.rule());
    let erased = Facts {
        erased: true,
        ..facts(none)
    };
    assert_eq!(
        confirmation_permit(Email, &erased).unwrap_err(),
        Rule::ErasedLegalOnly
    );
    // A staff member's test of a campaign reaches no contact: its permit carries the
    // campaign's category and a rule of its own.
    let test = staff_test_permit(C::Newsletter, Email);
    assert_eq!(
        (test.rule(), test.category(), test.channel()),
        (Rule::StaffTest, C::Newsletter, Email)
    );
    assert!(test.rule().allows());
    covered.insert(test.rule());
    // A bounced address (the import's `undeliverable`).
    let bounced = Facts {
        undeliverable: &[Email],
        ..facts(none)
    };
    covered.insert(decide(C::ConsentRequest, Email, &bounced));
    for r in rows {
        let f = Facts {
            active_contract: r.contract,
            erased: r.erased,
            restricted: r.restricted,
            last_request: r.last,
            ..facts(r.consents)
        };
        let got = decide(r.category, r.channel, &f);
        assert_eq!(got, r.want, "{}", r.case);
        covered.insert(got);
    }
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .filter(|r| !covered.contains(r))
        .map(|r| r.id())
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a case in the table: {missing:?}"
    );
}

/// docs/communication-rules.md lists exactly the rules of the code, each with the
/// decision the code gives it.
#[test]
fn the_rules_document_and_the_code_agree() {
    let doc = include_str!("../../../../docs/communication-rules.md");
    let mut documented = std::collections::BTreeMap::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() > 3 && cells[1].starts_with('`') && cells[1].ends_with('`') {
            documented.insert(cells[1].trim_matches('`').to_owned(), cells[2].to_owned());
        }
    }
    for r in Rule::ALL {
        let decision = documented.remove(r.id()).unwrap_or_else(|| {
            panic!(
                "rule {} is missing from docs/communication-rules.md",
                r.id()
            )
        });
        let want = if r.allows() { "allowed" } else { "denied" };
        assert_eq!(decision, want, "rule {}", r.id());
    }
    assert!(
        documented.is_empty(),
        "documented but unknown to the code: {documented:?}"
    );
}

#[test]
fn ids_are_unique_and_every_rule_explains_itself_in_both_languages() {
    let ids: std::collections::BTreeSet<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
    assert_eq!(ids.len(), Rule::ALL.len());
    for r in Rule::ALL {
        let (en, fr) = r.explanation();
        assert!(en.ends_with('.') && fr.ends_with('.'), "{}", r.id());
    }
    for c in Category::ALL {
        assert_eq!(Category::parse("category", c.as_str()).ok(), Some(*c));
    }
    assert_eq!(
        Category::parse("category", "promo").unwrap_err().rule,
        "unknown_category"
    );
}

fn any_consents() -> impl Strategy<Value = Vec<ConsentState>> {
    let purposes = vec![
        "newsletter",
        "marketing",
        "commercial",
        "engagement_tracking",
        ALL_PURPOSES,
    ];
    prop::collection::vec(
        (
            prop::sample::select(purposes),
            prop::sample::select(Channel::ALL.to_vec()),
            prop::sample::select(Status::ALL.to_vec()),
            0i64..800,
        ),
        0..8,
    )
    .prop_map(|xs| {
        let mut out: Vec<ConsentState> = Vec::new();
        for (p, c, s, d) in xs {
            if !out.iter().any(|x| x.purpose == p && x.channel == c) {
                out.push(state(p, c, s, d));
            }
        }
        out
    })
}

proptest! {
    /// No newsletter, marketing, commercial or renewal message without an effective
    /// opt-in for its purpose on its channel.
    #[test]
    fn no_promotional_message_without_an_effective_opt_in(
        consents in any_consents(),
        contract in any::<bool>(),
        channel in prop::sample::select(Channel::ALL.to_vec()),
        category in prop::sample::select(vec![C::Newsletter, C::Marketing, C::Commercial, C::ContractRenewal]),
    ) {
        let f = Facts { active_contract: contract, ..facts(&consents) };
        let rule = decide(category, channel, &f);
        if rule.allows() {
            let purpose = category.purpose().unwrap();
            prop_assert!(consents.iter().any(|s| s.purpose == purpose && s.channel == channel && s.status == S::Effective));
        }
    }

    /// After a global opt-out on a channel, only contract service (with a running
    /// contract), security and legal notices are allowed on it.
    #[test]
    fn after_a_global_opt_out_only_what_the_brief_allows(
        mut consents in any_consents(),
        contract in any::<bool>(),
        channel in prop::sample::select(Channel::ALL.to_vec()),
        category in prop::sample::select(Category::ALL.to_vec()),
    ) {
        // The opt-out is the latest event: no opt-in came after it.
        consents.retain(|s| !(s.purpose == ALL_PURPOSES && s.channel == channel));
        consents.push(state(ALL_PURPOSES, channel, S::Withdrawn, 0));
        let f = Facts { active_contract: contract, ..facts(&consents) };
        let rule = decide(category, channel, &f);
        if rule.allows() {
            prop_assert!(
                matches!(category, C::Security | C::LegalNotice)
                    || (category == C::ContractService && contract),
                "{:?} allowed by {}", category, rule.id()
            );
        }
    }

    /// Erased or restricted: legal notices only.
    #[test]
    fn erased_or_restricted_people_get_legal_notices_only(
        consents in any_consents(),
        erased in any::<bool>(),
        category in prop::sample::select(Category::ALL.to_vec()),
    ) {
        let f = Facts { erased, restricted: !erased, active_contract: true, ..facts(&consents) };
        prop_assert_eq!(decide(category, Email, &f).allows(), category == C::LegalNotice);
    }
}

/// An address known to bounce gets nothing on its channel but what the law requires,
/// and the other channels are unaffected.
#[test]
fn an_undeliverable_address_gets_nothing_but_legal_notices() {
    let consents = [state("newsletter", Email, S::Effective, 3)];
    let f = Facts {
        undeliverable: &[Email],
        active_contract: true,
        ..facts(&consents)
    };
    for c in Category::ALL {
        let rule = decide(*c, Email, &f);
        if *c == C::LegalNotice {
            assert_eq!(rule, Rule::LegalNoticeAlways);
        } else {
            assert_eq!(rule, Rule::AddressUndeliverable, "{c:?}");
        }
    }
    assert_eq!(decide(C::Security, Channel::Sms, &f), Rule::SecurityAlways);
}
