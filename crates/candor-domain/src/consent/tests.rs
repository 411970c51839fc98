use super::*;
use proptest::prelude::*;

fn event(seq: i64, action: Action, pending: Option<Pending>, source: Source) -> ConsentEvent {
    ConsentEvent {
        id: Uuid::now_v7(),
        subject_id: Uuid::nil(),
        seq,
        purpose: "newsletter".into(),
        channel: Channel::Email,
        action,
        pending,
        source,
        evidence: Evidence::default(),
        at: time::macros::datetime!(2026-01-01 00:00 UTC) + time::Duration::hours(seq),
        prev_hash: String::new(),
        hash: String::new(),
    }
}

fn fold(events: &[ConsentEvent]) -> Option<ConsentState> {
    events.iter().fold(None, |s, e| Some(apply(s.as_ref(), e)))
}

#[test]
fn b2b_grants_are_effective_at_once_and_b2c_wait_for_double_opt_in() {
    let ev = Evidence::default();
    assert_eq!(grant_outcome(ContactKind::B2b, Source::Api, &ev), None);
    assert_eq!(
        grant_outcome(ContactKind::B2c, Source::WebForm, &ev),
        Some(Pending::DoubleOptIn)
    );
    assert_eq!(
        grant_outcome(ContactKind::B2c, Source::Import, &ev),
        Some(Pending::DoubleOptIn)
    );
    assert_eq!(grant_outcome(ContactKind::B2c, Source::Portal, &ev), None);
}

#[test]
fn face_to_face_needs_written_consent_whatever_the_kind() {
    let none = Evidence::default();
    let signed = Evidence {
        document_ref: Some("SALON-LYON-2026-0042".into()),
        ..Default::default()
    };
    for source in [Source::Event, Source::BusinessCard] {
        assert_eq!(
            grant_outcome(ContactKind::B2b, source, &none),
            Some(Pending::WrittenConsent)
        );
        assert_eq!(grant_outcome(ContactKind::B2b, source, &signed), None);
        assert_eq!(
            grant_outcome(ContactKind::B2c, source, &signed),
            Some(Pending::DoubleOptIn)
        );
    }
}

#[test]
fn web_forms_need_their_evidence_named_field_by_field() {
    let errs = Evidence {
        form_id: Some("signup".into()),
        ..Default::default()
    }
    .check(Source::WebForm, Action::Grant)
    .unwrap_err();
    let fields: Vec<&str> = errs.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        ["evidence.wording", "evidence.ip", "evidence.user_agent"]
    );
    let bad_ip = Evidence {
        ip: Some("not-an-ip".into()),
        ..Default::default()
    }
    .check(Source::Api, Action::Withdraw)
    .unwrap_err();
    assert_eq!(bad_ip.0[0].rule, "ip_address");
}

#[test]
fn a_staff_grant_says_what_the_person_agreed_to_and_a_withdrawal_needs_nothing() {
    let none = Evidence::default();
    for source in [
        Source::Event,
        Source::BusinessCard,
        Source::Phone,
        Source::Manual,
        Source::Api,
    ] {
        let errs = none.check(source, Action::Grant).unwrap_err();
        assert_eq!(
            (errs.0[0].field.as_str(), errs.0[0].rule),
            ("evidence.wording", "wording_required"),
            "{source:?}"
        );
        for a in [Action::Withdraw, Action::Refuse] {
            assert!(none.check(source, a).is_ok(), "{source:?} {a:?}");
        }
    }
}

/// The access matrix of staff-recorded consent events (C1, C7): every role × action ×
/// source, and what the table says of it.
#[test]
fn only_the_person_records_their_own_acts_and_roles_record_what_their_work_needs() {
    use crate::Role::*;
    let who = |action: Action, source: Source| -> Vec<Role> {
        Role::ALL
            .into_iter()
            .filter(|r| staff_may_record(*r, action, source).is_ok())
            .collect()
    };
    let rule =
        |role: Role, action: Action, source: Source| match staff_may_record(role, action, source) {
            Err(StaffRefusal::Source(f)) => f.rule,
            Err(StaffRefusal::Role) => "role",
            Ok(()) => "ok",
        };
    for action in [
        Action::Grant,
        Action::Withdraw,
        Action::Refuse,
        Action::Confirm,
    ] {
        for role in Role::ALL {
            assert_eq!(rule(role, action, Source::Portal), "person_only_source");
            assert_eq!(rule(role, action, Source::EmailLink), "person_only_source");
            assert_eq!(rule(role, action, Source::Import), "import_only_source");
        }
    }
    let table: &[(Action, Source, &[Role])] = &[
        (Action::Grant, Source::Event, &[Admin, Sales, Support]),
        (
            Action::Grant,
            Source::BusinessCard,
            &[Admin, Sales, Support],
        ),
        (Action::Grant, Source::Phone, &[Admin, Sales, Support]),
        (Action::Grant, Source::Manual, &[Admin, Sales, Support]),
        (
            Action::Grant,
            Source::WebForm,
            &[Admin, Sales, Marketing, Support],
        ),
        (
            Action::Grant,
            Source::Api,
            &[Admin, Sales, Marketing, Support],
        ),
        (Action::Withdraw, Source::Phone, &Role::ALL),
        (Action::Withdraw, Source::Manual, &Role::ALL),
        (Action::Withdraw, Source::Api, &Role::ALL),
        (Action::Refuse, Source::Event, &Role::ALL),
        (Action::Confirm, Source::Api, &[]),
    ];
    for (action, source, roles) in table {
        assert_eq!(
            who(*action, *source),
            roles.to_vec(),
            "{action:?} {source:?}"
        );
    }
}

#[test]
fn a_confirmation_makes_a_pending_grant_effective_keeping_its_source() {
    let s = fold(&[
        event(
            1,
            Action::Grant,
            Some(Pending::DoubleOptIn),
            Source::WebForm,
        ),
        event(2, Action::Confirm, None, Source::EmailLink),
    ])
    .unwrap();
    assert_eq!(s.status, Status::Effective);
    assert_eq!(s.first_opt_in_source, Some(Source::WebForm));
    assert_eq!(
        s.first_opt_in_at,
        Some(time::macros::datetime!(2026-01-01 02:00 UTC))
    );
}

#[test]
fn a_confirmation_without_a_pending_grant_changes_nothing() {
    let withdrawn = fold(&[
        event(1, Action::Grant, None, Source::Api),
        event(2, Action::Withdraw, None, Source::EmailLink),
    ])
    .unwrap();
    let after = apply(
        Some(&withdrawn),
        &event(3, Action::Confirm, None, Source::EmailLink),
    );
    assert_eq!(after, withdrawn);
}

#[test]
fn the_first_opt_in_survives_later_withdrawals_and_grants() {
    let s = fold(&[
        event(1, Action::Grant, None, Source::Event),
        event(2, Action::Withdraw, None, Source::EmailLink),
        event(3, Action::Grant, None, Source::Portal),
    ])
    .unwrap();
    assert_eq!(s.status, Status::Effective);
    assert_eq!(s.first_opt_in_source, Some(Source::Event));
}

fn any_event() -> impl Strategy<Value = (Action, bool, usize)> {
    (
        prop::sample::select(Action::ALL.to_vec()),
        any::<bool>(),
        0..Source::ALL.len(),
    )
}

proptest! {
    /// C6: whatever came before, a withdrawal leaves the purpose × channel withdrawn,
    /// and only a new grant (not a confirmation) can make it effective again.
    #[test]
    fn a_withdrawal_overrides_every_earlier_grant(steps in prop::collection::vec(any_event(), 0..20), tail in prop::collection::vec(any_event(), 0..10)) {
        let mut events: Vec<ConsentEvent> = steps.iter().enumerate()
            .map(|(i, (a, pending, src))| event(i as i64 + 1, *a, pending.then_some(Pending::DoubleOptIn), Source::ALL[*src]))
            .collect();
        let n = events.len() as i64;
        events.push(event(n + 1, Action::Withdraw, None, Source::EmailLink));
        prop_assert_eq!(fold(&events).unwrap().status, Status::Withdrawn);
        for (i, (a, pending, src)) in tail.iter().enumerate() {
            if *a == Action::Grant { break; }
            events.push(event(n + 2 + i as i64, *a, pending.then_some(Pending::DoubleOptIn), Source::ALL[*src]));
            prop_assert_ne!(fold(&events).unwrap().status, Status::Effective);
        }
    }

    /// Nothing is effective unless an effective grant or a confirmation of a pending one
    /// happened after the last withdrawal or refusal.
    #[test]
    fn effective_needs_an_opt_in_since_the_last_no(steps in prop::collection::vec(any_event(), 1..25)) {
        let events: Vec<ConsentEvent> = steps.iter().enumerate()
            .map(|(i, (a, pending, src))| event(i as i64 + 1, *a, pending.then_some(Pending::DoubleOptIn), Source::ALL[*src]))
            .collect();
        let state = fold(&events).unwrap();
        if state.status == Status::Effective {
            let last_no = events.iter().rposition(|e| matches!(e.action, Action::Withdraw | Action::Refuse));
            let since = &events[last_no.map_or(0, |i| i + 1)..];
            prop_assert!(since.iter().any(|e| e.action == Action::Grant && e.pending.is_none()
                || e.action == Action::Confirm));
        }
    }
}

#[test]
fn evidence_with_a_control_character_is_refused() {
    let e = Evidence {
        wording: Some("Oui".into()),
        note: Some("said no\u{0}".into()),
        ..Default::default()
    };
    let errs = e.check(Source::Manual, Action::Withdraw).unwrap_err();
    assert_eq!(errs.0.len(), 1);
    assert_eq!(
        (errs.0[0].field.as_str(), errs.0[0].rule),
        ("evidence.note", "no_control_characters")
    );
    let multi_line = Evidence {
        wording: Some("Oui,\nla lettre".into()),
        ..Default::default()
    };
    assert!(multi_line.check(Source::Manual, Action::Grant).is_ok());
}
