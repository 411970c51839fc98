//! The contract for every store method, on both backends: one function per area of
//! `candor_store::face` (contacts, companies, API tokens, custom fields, consents,
//! outbox, contracts, activity, staff, segments, campaigns, imports, demo data and the
//! raw bench baselines), each calling the methods of its area and checking what they
//! do: round trips, counts that move, tokens used once, refusals that write nothing.
//! The same functions run on a fresh SQLite store and on a fresh PostgreSQL database.
//! Edge inputs on which the backends once disagreed are checked to agree; the one
//! disagreement left (accented letters in case-insensitive filters) is an ignored
//! test that names it.

use candor_domain::audit::{AccessEvent, AuditAction};
use candor_domain::catalogue::{
    Access, DataCategory, Entity, FieldDef, LawfulBasis, Text, ValueType,
};
use candor_domain::communication::LastRequest;
use candor_domain::company::{luhn_check_digit, Company, CompanyName, Siret};
use candor_domain::consent::{self, Action, Channel, ConsentDraft, Evidence, Source, Status};
use candor_domain::contact::{Contact, ContactData, ContactKind};
use candor_domain::contract::{Contract, ContractStatus, Party};
use candor_domain::personal::{City, CountryCode, Email, Locale, PersonName};
use candor_domain::Role;
use candor_store::segment::{SegmentCondition, TextOp};
use candor_store::{
    ActivityRecord, AddressStatus, ApiToken, CampaignRecord, Confirmation, ConsentToken,
    ImportBatch, ImportCounts, ImportJob, ImportReject, JobRecord, OrderRecord, Page, QueuedMail,
    SegmentRecord, StaffUser, Store, StoreError, TokenKind,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Now, to the microsecond: what both backends keep, so values read back equal.
fn now() -> OffsetDateTime {
    candor_domain::clock::to_micros(OffsetDateTime::now_utc())
}

fn person(email: Option<&str>, last_name: &str) -> Contact {
    let at = now();
    Contact {
        id: Uuid::now_v7(),
        data: ContactData {
            kind: ContactKind::B2c,
            company_id: None,
            first_name: None,
            last_name: PersonName::parse("last_name", last_name).unwrap(),
            email: email.map(|e| Email::parse("email", e).unwrap()),
            phone: None,
            locale: Locale::Fr,
            address_line: None,
            postal_code: None,
            city: None,
            country: None,
            notes: None,
            custom: BTreeMap::new(),
        },
        created_at: at,
        updated_at: at,
        newsletter_subscribed_at: None,
        newsletter_open_rate: None,
    }
}

/// A B2B contact of `company`.
fn employee(email: &str, company: Uuid) -> Contact {
    let mut c = person(Some(email), "Sample");
    c.data.kind = ContactKind::B2b;
    c.data.company_id = Some(company);
    c
}

fn company(name: &str, siret: Option<&str>) -> Company {
    let at = now();
    Company {
        id: Uuid::now_v7(),
        name: CompanyName::parse("name", name).unwrap(),
        siret: siret.map(|s| Siret::parse("siret", s).unwrap()),
        country: CountryCode::parse("country", "FR").unwrap(),
        address_line: None,
        postal_code: None,
        city: None,
        created_at: at,
        updated_at: at,
    }
}

fn access(subject: Uuid, action: AuditAction) -> AccessEvent {
    AccessEvent {
        subject_id: subject,
        actor: "token:every-method".into(),
        action,
        fields: vec!["email".into()],
        endpoint: "POST /api/v1/test".into(),
        at: now(),
    }
}

fn mail(subject: Option<Uuid>, recipient: &str, at: OffsetDateTime) -> QueuedMail {
    QueuedMail {
        id: Uuid::now_v7(),
        subject_id: subject,
        message_id: format!("<{}@candor>", Uuid::now_v7()),
        category: "consent_request".into(),
        recipient: recipient.into(),
        locale: "fr".into(),
        mail_subject: "Your choices".into(),
        body_text: "Tell us what you agree to.".into(),
        body_html: "<p>Tell us what you agree to.</p>".into(),
        created_at: at,
        list_unsubscribe: None,
        attachment: None,
        forget_after_send: false,
    }
}

fn token(
    hash: &str,
    kind: TokenKind,
    subject: Uuid,
    purpose: &str,
    created_at: OffsetDateTime,
    valid_for: Duration,
) -> ConsentToken {
    ConsentToken {
        token_hash: hash.into(),
        kind,
        subject_id: subject,
        purpose: purpose.into(),
        channel: Channel::Email,
        created_at,
        expires_at: created_at + valid_for,
        used_at: None,
    }
}

/// A consent event effective at once (no `pending` reason).
fn draft(
    subject: Uuid,
    purpose: &str,
    channel: Channel,
    action: Action,
    at: OffsetDateTime,
) -> ConsentDraft {
    ConsentDraft {
        subject_id: subject,
        purpose: purpose.into(),
        channel,
        action,
        pending: None,
        source: Source::Api,
        evidence: Evidence {
            wording: Some("I agree to receive the newsletter".into()),
            recorded_by: Some("token:every-method".into()),
            ..Default::default()
        },
        at,
    }
}

/// A B2C grant by API, which waits for the person's double opt-in.
fn pending_grant(subject: Uuid, purpose: &str, at: OffsetDateTime) -> ConsentDraft {
    ConsentDraft {
        pending: consent::grant_outcome(ContactKind::B2c, Source::Api, &Evidence::default()),
        ..draft(subject, purpose, Channel::Email, Action::Grant, at)
    }
}

fn page(after: Option<Uuid>, limit: u32) -> Page {
    Page { after, limit }
}

async fn insert(store: &Store, c: &Contact, hash: Option<&str>) {
    store
        .contacts()
        .insert(c, hash, vec![], None)
        .await
        .unwrap();
}

/// Each consent state of a subject as (purpose, channel, status).
async fn statuses(store: &Store, subject: Uuid) -> Vec<(String, Channel, Status)> {
    store
        .consents()
        .states(subject)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.purpose, s.channel, s.status))
        .collect()
}

async fn contacts(store: &Store) {
    let before = store.contacts().count().await.unwrap();
    let mut a = person(Some("contacts-a@example.com"), "Sample");
    let b = person(Some("contacts-b@example.com"), "Sample");
    let no_email = person(None, "Sample");
    insert(store, &a, Some("hash-contacts-a")).await;
    insert(store, &b, Some("hash-contacts-b")).await;
    insert(store, &no_email, None).await;
    assert_eq!(store.contacts().count().await.unwrap(), before + 3);

    let by_hash = |h: &'static str| store.contacts().id_by_email_hash(h);
    assert_eq!(by_hash("hash-contacts-a").await.unwrap(), Some(a.id));
    assert_eq!(by_hash("hash-contacts-b").await.unwrap(), Some(b.id));
    assert_eq!(by_hash("hash-contacts-unknown").await.unwrap(), None);
    let found = store
        .contacts()
        .ids_by_email_hashes(&[
            "hash-contacts-a".into(),
            "hash-contacts-b".into(),
            "hash-contacts-unknown".into(),
        ])
        .await
        .unwrap();
    assert_eq!(
        found,
        HashMap::from([
            ("hash-contacts-a".to_owned(), a.id),
            ("hash-contacts-b".to_owned(), b.id)
        ])
    );
    assert!(store
        .contacts()
        .ids_by_email_hashes(&[])
        .await
        .unwrap()
        .is_empty());

    // An update replaces every stored value, moves the email hash and audits it.
    a.data.first_name = Some(PersonName::parse("first_name", "Test").unwrap());
    a.data.email = Some(Email::parse("email", "contacts-a2@example.com").unwrap());
    a.data.city = Some(City::from_stored("Testville".into()));
    a.data.locale = Locale::En;
    a.data.custom.insert(
        "tier".into(),
        serde_json::json!({"level": "gold", "since": 2024}),
    );
    a.newsletter_open_rate = Some(0.25);
    a.newsletter_subscribed_at = Some(a.created_at + Duration::seconds(1));
    a.updated_at = a.created_at + Duration::seconds(5);
    let entries = store
        .contacts()
        .update(
            &a,
            Some("hash-contacts-a2"),
            vec![access(a.id, AuditAction::Update)],
        )
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!((entries[0].subject_id, entries[0].seq), (a.id, 1));
    let back = store.contacts().get(a.id).await.unwrap().unwrap();
    assert_eq!(back.data, a.data);
    assert_eq!(back.created_at, a.created_at);
    assert_eq!(back.updated_at, a.updated_at);
    assert_eq!(back.newsletter_subscribed_at, a.newsletter_subscribed_at);
    assert_eq!(back.newsletter_open_rate, Some(0.25));
    assert_eq!(by_hash("hash-contacts-a").await.unwrap(), None);
    assert_eq!(by_hash("hash-contacts-a2").await.unwrap(), Some(a.id));
    assert_eq!(store.audit().list(a.id, 10).await.unwrap().len(), 1);
    assert_eq!(store.contacts().count().await.unwrap(), before + 3);

    // Taking another contact's email is refused, naming that contact, and leaves the
    // row and the audit as they were.
    let mut clash = a.clone();
    clash.data.email = b.data.email.clone();
    match store
        .contacts()
        .update(
            &clash,
            Some("hash-contacts-b"),
            vec![access(a.id, AuditAction::Update)],
        )
        .await
    {
        Err(StoreError::Duplicate {
            field: "email",
            existing,
        }) => assert_eq!(existing, Some(b.id)),
        other => panic!("expected a duplicate email, got {other:?}"),
    }
    let back = store.contacts().get(a.id).await.unwrap().unwrap();
    assert_eq!(back.data.email, a.data.email);
    assert_eq!(store.audit().list(a.id, 10).await.unwrap().len(), 1);

    // A contact that does not exist is not updated, and no audit entry is written.
    let mut ghost = a.clone();
    ghost.id = Uuid::now_v7();
    match store
        .contacts()
        .update(
            &ghost,
            Some("hash-ghost"),
            vec![access(ghost.id, AuditAction::Update)],
        )
        .await
    {
        Err(StoreError::NotFound { what: "contact" }) => {}
        other => panic!("expected no such contact, got {other:?}"),
    }
    assert!(store.audit().list(ghost.id, 10).await.unwrap().is_empty());
    assert!(store.contacts().get(ghost.id).await.unwrap().is_none());

    // A company that does not exist is a missing reference.
    let mut orphan = a.clone();
    orphan.data.kind = ContactKind::B2b;
    orphan.data.company_id = Some(Uuid::now_v7());
    match store
        .contacts()
        .update(&orphan, Some("hash-contacts-a2"), vec![])
        .await
    {
        Err(StoreError::MissingReference {
            field: "company_id",
        }) => {}
        other => panic!("expected a missing company, got {other:?}"),
    }
    assert_eq!(
        store.contacts().get(a.id).await.unwrap().unwrap().data,
        a.data
    );

    assert!(store.contacts().delete(no_email.id, vec![]).await.unwrap());
    assert_eq!(store.contacts().count().await.unwrap(), before + 2);
}

async fn companies(store: &Store) {
    let siret_a = "12002701600043";
    let prefix = "4420000000001";
    let siret_b = format!("{prefix}{}", luhn_check_digit(prefix));
    let mut a = company("Alpha Example", Some(siret_a));
    let b = company("Beta Example", Some(&siret_b));
    store.companies().insert(&a).await.unwrap();
    store.companies().insert(&b).await.unwrap();

    a.name = CompanyName::parse("name", "Alpha Example Group").unwrap();
    a.city = Some(City::from_stored("Testville".into()));
    a.updated_at = a.created_at + Duration::minutes(1);
    store.companies().update(&a).await.unwrap();
    let back = store.companies().get(a.id).await.unwrap().unwrap();
    assert_eq!(back.name.as_str(), "Alpha Example Group");
    assert_eq!(back.city.as_ref().map(City::as_str), Some("Testville"));
    assert_eq!(back.siret.as_ref().map(Siret::as_str), Some(siret_a));
    assert_eq!(back.country.as_str(), "FR");
    assert_eq!(back.created_at, a.created_at);
    assert_eq!(back.updated_at, a.updated_at);
    let other = store.companies().get(b.id).await.unwrap().unwrap();
    assert_eq!(
        other.name.as_str(),
        "Beta Example",
        "only the one company changes"
    );

    // Taking another company's SIRET is refused, naming that company.
    let mut clash = a.clone();
    clash.siret = b.siret.clone();
    match store.companies().update(&clash).await {
        Err(StoreError::Duplicate {
            field: "siret",
            existing,
        }) => assert_eq!(existing, Some(b.id)),
        other => panic!("expected a duplicate SIRET, got {other:?}"),
    }
    let back = store.companies().get(a.id).await.unwrap().unwrap();
    assert_eq!(back.siret.as_ref().map(Siret::as_str), Some(siret_a));

    // A cleared SIRET reads back cleared.
    a.siret = None;
    store.companies().update(&a).await.unwrap();
    let back = store.companies().get(a.id).await.unwrap().unwrap();
    assert!(back.siret.is_none());
}

async fn api_tokens(store: &Store) {
    let t0 = now();
    let made = |name: &str, role: Role, at: OffsetDateTime| ApiToken {
        id: Uuid::now_v7(),
        name: name.into(),
        role,
        created_at: at,
        revoked_at: None,
    };
    let ci1 = made("ci", Role::Sales, t0);
    let ci2 = made("ci", Role::Marketing, t0 + Duration::seconds(1));
    let reporting = made("reporting", Role::Dpo, t0 + Duration::seconds(2));
    for (t, secret) in [
        (&ci1, "secret-ci-1"),
        (&ci2, "secret-ci-2"),
        (&reporting, "secret-reporting"),
    ] {
        store.tokens().insert(t, secret).await.unwrap();
    }

    let found = store
        .tokens()
        .by_secret_hash("secret-ci-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.id, found.name.as_str(), found.role, found.created_at),
        (ci1.id, "ci", Role::Sales, t0)
    );
    assert_eq!(found.revoked_at, None);
    let found = store.tokens().by_secret_hash("secret-ci-2").await.unwrap();
    assert_eq!(
        found.map(|t| (t.id, t.role)),
        Some((ci2.id, Role::Marketing))
    );
    assert!(store
        .tokens()
        .by_secret_hash("secret-unknown")
        .await
        .unwrap()
        .is_none());

    // Revoked by id: that token only.
    let at = t0 + Duration::minutes(1);
    let n = store
        .tokens()
        .revoke(&reporting.id.to_string(), at)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert!(store
        .tokens()
        .by_secret_hash("secret-reporting")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .tokens()
        .by_secret_hash("secret-ci-1")
        .await
        .unwrap()
        .is_some());
    let listed = store.tokens().list().await.unwrap();
    let revoked_at = |id: Uuid| listed.iter().find(|t| t.id == id).unwrap().revoked_at;
    assert_eq!(revoked_at(reporting.id), Some(at));
    assert_eq!(revoked_at(ci1.id), None);

    // Revoked by name: every live token of that name, once.
    let later = at + Duration::minutes(1);
    assert_eq!(store.tokens().revoke("ci", later).await.unwrap(), 2);
    for secret in ["secret-ci-1", "secret-ci-2"] {
        assert!(store
            .tokens()
            .by_secret_hash(secret)
            .await
            .unwrap()
            .is_none());
    }
    assert_eq!(store.tokens().revoke("ci", later).await.unwrap(), 0);
    assert_eq!(
        store
            .tokens()
            .revoke(&ci1.id.to_string(), later)
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.tokens().revoke("nobody", later).await.unwrap(), 0);
    let listed = store.tokens().list().await.unwrap();
    let revoked: Vec<_> = [ci1.id, ci2.id, reporting.id]
        .iter()
        .map(|id| listed.iter().find(|t| t.id == *id).unwrap().revoked_at)
        .collect();
    assert_eq!(revoked, [Some(later), Some(later), Some(at)]);
}

fn field(entity: Entity, name: &str, value: ValueType) -> FieldDef {
    let text = |s: &str| Text {
        fr: s.into(),
        en: s.into(),
    };
    FieldDef {
        entity,
        name: name.into(),
        label: text("Tier"),
        category: DataCategory::Transactional,
        purposes: vec!["customer_relationship".into()],
        basis: LawfulBasis::LegitimateInterests,
        retention: text("3 years after the last contact"),
        retained_by: Vec::new(),
        why: text("To fit the offer to the customer"),
        personal: true,
        system: false,
        access: BTreeMap::from([
            (
                Role::Sales,
                Access {
                    can: "rw".into(),
                    why: text("Sales set the tier"),
                },
            ),
            (
                Role::Support,
                Access {
                    can: "r".into(),
                    why: text("Support reads it"),
                },
            ),
        ]),
        custom: Some(value),
    }
}

async fn custom_fields(store: &Store) {
    let before = store.catalogue().fields().await.unwrap();
    let at = now();
    let tier = field(
        Entity::Contact,
        "tier",
        ValueType::Choice {
            options: vec!["gold".into(), "silver".into()],
        },
    );
    store
        .catalogue()
        .insert_field(&tier, at, "user:every-method")
        .await
        .unwrap();
    // The same name on another entity is another field.
    let company_tier = field(Entity::Company, "tier", ValueType::Text { max_length: 40 });
    store
        .catalogue()
        .insert_field(
            &company_tier,
            at + Duration::seconds(1),
            "user:every-method",
        )
        .await
        .unwrap();
    // The same entity and name again is refused.
    match store
        .catalogue()
        .insert_field(&tier, at + Duration::seconds(2), "user:every-method")
        .await
    {
        Err(StoreError::Duplicate { field: "name", .. }) => {}
        other => panic!("expected a duplicate field name, got {other:?}"),
    }
    let after = store.catalogue().fields().await.unwrap();
    assert_eq!(after.len(), before.len() + 2);
    let ours: Vec<&FieldDef> = after.iter().filter(|f| f.name == "tier").collect();
    assert_eq!(
        ours,
        [&tier, &company_tier],
        "round trip, in creation order"
    );
}

async fn consents(store: &Store) {
    let t0 = now();
    let day = Duration::days(1);

    // A consent request (C4) queued with the contact, and a newer one queued with an
    // event: the newer is the last request.
    let s = person(Some("consents-s@example.com"), "Sample");
    let old = token(
        "consents-req-old",
        TokenKind::Request,
        s.id,
        "*",
        t0 - day * 2,
        day * 30,
    );
    let m = mail(Some(s.id), "consents-s@example.com", t0);
    store
        .contacts()
        .insert(&s, Some("hash-consents-s"), vec![], Some((&old, &m)))
        .await
        .unwrap();
    let last = store.consents().last_request(s.id).await.unwrap();
    assert_eq!(
        last,
        Some(LastRequest {
            sent_at: t0 - day * 2,
            expires_at: t0 + day * 28,
            answered: false
        })
    );
    assert_eq!(
        store.consents().last_request(Uuid::now_v7()).await.unwrap(),
        None
    );
    let got = store
        .consents()
        .token("consents-req-old")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (got.kind, got.subject_id, got.purpose.as_str(), got.channel),
        (TokenKind::Request, s.id, "*", Channel::Email)
    );
    assert_eq!(
        (got.created_at, got.expires_at),
        (old.created_at, old.expires_at)
    );
    assert_eq!(got.used_at, None);
    assert!(store
        .consents()
        .token("consents-unknown")
        .await
        .unwrap()
        .is_none());

    let new = token(
        "consents-req-new",
        TokenKind::Request,
        s.id,
        "*",
        t0,
        day * 30,
    );
    let m = mail(Some(s.id), "consents-s@example.com", t0);
    let (_, state, _) = store
        .consents()
        .append(
            draft(s.id, "commercial", Channel::Phone, Action::Refuse, t0),
            Some(&new),
            Some(&m),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(state.status, Status::Refused);
    let last = store.consents().last_request(s.id).await.unwrap().unwrap();
    assert_eq!((last.sent_at, last.answered), (t0, false));

    // Answering a request records every answer and uses the token, once.
    let answered_at = t0 + Duration::hours(1);
    let answers = vec![
        draft(
            s.id,
            "newsletter",
            Channel::Email,
            Action::Grant,
            answered_at,
        ),
        draft(
            s.id,
            "marketing",
            Channel::Email,
            Action::Refuse,
            answered_at,
        ),
    ];
    match store
        .consents()
        .answer_request("consents-req-new", answered_at, answers.clone())
        .await
        .unwrap()
    {
        Confirmation::Confirmed(state) => {
            assert_eq!(
                (state.purpose.as_str(), state.status),
                ("marketing", Status::Refused)
            );
        }
        other => panic!("expected the answers recorded, got {other:?}"),
    }
    assert_eq!(
        statuses(store, s.id).await,
        [
            ("commercial".to_owned(), Channel::Phone, Status::Refused),
            ("marketing".to_owned(), Channel::Email, Status::Refused),
            ("newsletter".to_owned(), Channel::Email, Status::Effective),
        ]
    );
    let used = store.consents().token("consents-req-new").await.unwrap();
    assert_eq!(used.unwrap().used_at, Some(answered_at));
    let last = store.consents().last_request(s.id).await.unwrap().unwrap();
    assert_eq!((last.sent_at, last.answered), (t0, true));
    let events = store.consents().events(s.id).await.unwrap().len();
    assert_eq!(events, 3);
    assert!(matches!(
        store
            .consents()
            .answer_request("consents-req-new", answered_at, answers.clone())
            .await
            .unwrap(),
        Confirmation::AlreadyUsed
    ));
    assert!(matches!(
        store
            .consents()
            .answer_request("consents-unknown", answered_at, answers.clone())
            .await
            .unwrap(),
        Confirmation::Unknown
    ));
    assert_eq!(store.consents().events(s.id).await.unwrap().len(), events);

    // Answers for someone else than the token's subject are refused, and the token
    // stays unused.
    let stranger = Uuid::now_v7();
    let foreign = vec![draft(
        stranger,
        "newsletter",
        Channel::Email,
        Action::Grant,
        answered_at,
    )];
    assert!(matches!(
        store
            .consents()
            .answer_request("consents-req-old", answered_at, foreign)
            .await
            .unwrap(),
        Confirmation::Unknown
    ));
    let old_now = store.consents().token("consents-req-old").await.unwrap();
    assert_eq!(old_now.unwrap().used_at, None);
    assert!(store.consents().events(stranger).await.unwrap().is_empty());

    // An expired request is refused and stays unused.
    let e = person(Some("consents-e@example.com"), "Sample");
    let expired = token(
        "consents-req-expired",
        TokenKind::Request,
        e.id,
        "*",
        t0 - day * 40,
        day * 30,
    );
    let m = mail(Some(e.id), "consents-e@example.com", t0);
    store
        .contacts()
        .insert(&e, Some("hash-consents-e"), vec![], Some((&expired, &m)))
        .await
        .unwrap();
    let late = vec![draft(e.id, "newsletter", Channel::Email, Action::Grant, t0)];
    assert!(matches!(
        store
            .consents()
            .answer_request("consents-req-expired", t0, late)
            .await
            .unwrap(),
        Confirmation::Expired
    ));
    assert!(store.consents().states(e.id).await.unwrap().is_empty());

    // Double opt-in: a pending grant, its confirmation token, confirmed once.
    let p = Uuid::now_v7();
    let conf = token(
        "consents-conf",
        TokenKind::Confirm,
        p,
        "newsletter",
        t0,
        day * 7,
    );
    let m = mail(Some(p), "consents-p@example.com", t0);
    let (event, state, entries) = store
        .consents()
        .append(
            pending_grant(p, "newsletter", t0),
            Some(&conf),
            Some(&m),
            vec![access(p, AuditAction::Create)],
        )
        .await
        .unwrap();
    assert_eq!((event.seq, state.status), (1, Status::Pending));
    assert_eq!(entries.len(), 1);
    let got = store
        .consents()
        .token("consents-conf")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (got.kind, got.purpose.as_str()),
        (TokenKind::Confirm, "newsletter")
    );
    // A request token does not confirm, nor does a confirmation answer a request.
    assert!(matches!(
        store
            .consents()
            .confirm("consents-req-old", t0, Evidence::default())
            .await
            .unwrap(),
        Confirmation::Unknown
    ));
    assert!(matches!(
        store
            .consents()
            .answer_request("consents-conf", t0, vec![])
            .await
            .unwrap(),
        Confirmation::Unknown
    ));
    let confirmed_at = t0 + Duration::hours(2);
    let evidence = Evidence {
        ip: Some("192.0.2.10".into()),
        user_agent: Some("test-agent/1.0".into()),
        ..Default::default()
    };
    match store
        .consents()
        .confirm("consents-conf", confirmed_at, evidence.clone())
        .await
        .unwrap()
    {
        Confirmation::Confirmed(state) => {
            assert_eq!(state.status, Status::Effective);
            assert_eq!(state.source, Source::Api, "the grant's own source");
            assert_eq!(state.since, confirmed_at);
            assert_eq!(state.first_opt_in_at, Some(confirmed_at));
            assert_eq!(state.first_opt_in_source, Some(Source::Api));
        }
        other => panic!("expected a confirmation, got {other:?}"),
    }
    let events = store.consents().events(p).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(
        (last.seq, last.action, last.source),
        (2, Action::Confirm, Source::EmailLink)
    );
    assert_eq!(last.evidence, evidence);
    assert_eq!(
        store
            .consents()
            .token("consents-conf")
            .await
            .unwrap()
            .unwrap()
            .used_at,
        Some(confirmed_at)
    );
    assert!(matches!(
        store
            .consents()
            .confirm("consents-conf", confirmed_at, Evidence::default())
            .await
            .unwrap(),
        Confirmation::AlreadyUsed
    ));
    assert!(matches!(
        store
            .consents()
            .confirm("consents-unknown", confirmed_at, Evidence::default())
            .await
            .unwrap(),
        Confirmation::Unknown
    ));
    assert_eq!(store.consents().events(p).await.unwrap().len(), 2);

    // An expired confirmation leaves the grant pending.
    let q = Uuid::now_v7();
    let stale = token(
        "consents-conf-expired",
        TokenKind::Confirm,
        q,
        "newsletter",
        t0 - day * 10,
        day * 7,
    );
    store
        .consents()
        .append(
            pending_grant(q, "newsletter", t0 - day * 10),
            Some(&stale),
            None,
            vec![],
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .consents()
            .confirm("consents-conf-expired", t0, Evidence::default())
            .await
            .unwrap(),
        Confirmation::Expired
    ));
    assert_eq!(
        statuses(store, q).await,
        [("newsletter".to_owned(), Channel::Email, Status::Pending)]
    );

    // Effective consents, among these subjects, for one purpose × channel.
    let ids = [s.id, p, q, e.id, Uuid::now_v7()];
    let effective = store
        .consents()
        .effective(&ids, "newsletter", Channel::Email)
        .await
        .unwrap();
    assert_eq!(effective, HashSet::from([s.id, p]));
    assert!(store
        .consents()
        .effective(&ids, "marketing", Channel::Email)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .consents()
        .effective(&ids, "newsletter", Channel::Sms)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .consents()
        .effective(&[], "newsletter", Channel::Email)
        .await
        .unwrap()
        .is_empty());

    // Several subjects' states in one read: the same as one read each; a subject with
    // no state (or unknown) is absent; an empty list reads nothing.
    let many = store.consents().states_of(&ids).await.unwrap();
    for id in ids {
        let one = store.consents().states(id).await.unwrap();
        assert_eq!(many.get(&id).cloned().unwrap_or_default(), one, "{id}");
    }
    assert!(!many.is_empty());
    assert!(!many.contains_key(&ids[4]));
    assert!(store.consents().states_of(&[]).await.unwrap().is_empty());
    let report = store.consents().verify().await.unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);
}

async fn outbox(store: &Store) {
    // Instants long past, so that no other message of this store is due at them.
    let t0 = datetime!(2020-03-01 10:00 UTC);
    let c = person(Some("outbox@example.com"), "Sample");
    let mut m = mail(Some(c.id), "outbox@example.com", t0);
    m.list_unsubscribe = Some("https://crm.example.com/u/abc".into());
    let req = token(
        "outbox-req",
        TokenKind::Request,
        c.id,
        "*",
        now(),
        Duration::days(30),
    );
    store
        .contacts()
        .insert(&c, Some("hash-outbox"), vec![], Some((&req, &m)))
        .await
        .unwrap();
    let e = store.outbox().entry(m.id).await.unwrap().unwrap();
    assert_eq!((e.status.as_str(), e.attempts), ("queued", 0));
    // Messages to no contact (a staff member's test), queued together; due far
    // ahead, so that the claims below do not see them.
    let later = datetime!(2100-01-01 00:00 UTC);
    let tests = [
        mail(None, "staff-test@example.com", later),
        mail(None, "staff-test@example.com", later),
    ];
    store.outbox().queue(&tests).await.unwrap();
    for t in &tests {
        let got = store.outbox().entry(t.id).await.unwrap().unwrap();
        assert_eq!(
            (
                got.status.as_str(),
                got.mail.subject_id,
                got.mail.recipient.as_str()
            ),
            ("queued", None, "staff-test@example.com")
        );
    }
    assert_eq!((e.sent_at, e.last_error.as_deref()), (None, None));
    assert_eq!(e.mail.subject_id, Some(c.id));
    assert_eq!(
        (
            e.mail.message_id.as_str(),
            e.mail.category.as_str(),
            e.mail.recipient.as_str(),
            e.mail.locale.as_str(),
        ),
        (
            m.message_id.as_str(),
            "consent_request",
            "outbox@example.com",
            "fr"
        )
    );
    assert_eq!(
        (
            e.mail.mail_subject.as_str(),
            e.mail.body_text.as_str(),
            e.mail.body_html.as_str()
        ),
        (
            m.mail_subject.as_str(),
            m.body_text.as_str(),
            m.body_html.as_str()
        )
    );
    assert_eq!(e.mail.created_at, t0);
    assert_eq!(e.mail.list_unsubscribe, m.list_unsubscribe);
    assert!(store
        .outbox()
        .entry(Uuid::now_v7())
        .await
        .unwrap()
        .is_none());

    let ids =
        |v: Vec<candor_store::OutboxEntry>| v.into_iter().map(|e| e.mail.id).collect::<Vec<_>>();
    let claimed = store
        .outbox()
        .claim(t0 + Duration::seconds(1), 10, "node-a")
        .await
        .unwrap();
    assert_eq!(ids(claimed), [m.id]);
    let e = store.outbox().entry(m.id).await.unwrap().unwrap();
    assert_eq!((e.status.as_str(), e.attempts), ("sending", 1));

    // A failure to retry: queued again for its retry time, with the error.
    let retry = t0 + Duration::minutes(10);
    store
        .outbox()
        .mark_failed(m.id, "451 try again later", Some(retry))
        .await
        .unwrap();
    let e = store.outbox().entry(m.id).await.unwrap().unwrap();
    assert_eq!((e.status.as_str(), e.attempts), ("queued", 1));
    assert_eq!(e.last_error.as_deref(), Some("451 try again later"));
    assert_eq!(e.sent_at, None);
    assert!(store
        .outbox()
        .claim(retry - Duration::minutes(1), 10, "node-a")
        .await
        .unwrap()
        .is_empty());
    let claimed = store.outbox().claim(retry, 10, "node-a").await.unwrap();
    assert_eq!(
        claimed
            .iter()
            .map(|e| (e.mail.id, e.attempts))
            .collect::<Vec<_>>(),
        [(m.id, 2)]
    );

    // A failure given up: failed for good, never taken again.
    store
        .outbox()
        .mark_failed(m.id, "550 no such mailbox", None)
        .await
        .unwrap();
    let e = store.outbox().entry(m.id).await.unwrap().unwrap();
    assert_eq!((e.status.as_str(), e.attempts), ("failed", 2));
    assert_eq!(e.last_error.as_deref(), Some("550 no such mailbox"));
    assert!(store
        .outbox()
        .claim(t0 + Duration::days(1), 10, "node-a")
        .await
        .unwrap()
        .is_empty());

    // A retried message that is then sent loses its error.
    let c2 = person(Some("outbox-2@example.com"), "Sample");
    let t1 = t0 + Duration::hours(2);
    let m2 = mail(Some(c2.id), "outbox-2@example.com", t1);
    let req2 = token(
        "outbox-req-2",
        TokenKind::Request,
        c2.id,
        "*",
        now(),
        Duration::days(30),
    );
    store
        .contacts()
        .insert(&c2, Some("hash-outbox-2"), vec![], Some((&req2, &m2)))
        .await
        .unwrap();
    assert_eq!(
        ids(store.outbox().claim(t1, 10, "node-a").await.unwrap()),
        [m2.id]
    );
    store
        .outbox()
        .mark_failed(m2.id, "timeout", Some(t1 + Duration::minutes(2)))
        .await
        .unwrap();
    let taken = store
        .outbox()
        .claim(t1 + Duration::minutes(2), 10, "node-a")
        .await
        .unwrap();
    assert_eq!(ids(taken), [m2.id]);
    let sent_at = t1 + Duration::minutes(3);
    store.outbox().mark_sent(m2.id, sent_at).await.unwrap();
    let e = store.outbox().entry(m2.id).await.unwrap().unwrap();
    assert_eq!((e.status.as_str(), e.attempts), ("sent", 2));
    assert_eq!((e.sent_at, e.last_error), (Some(sent_at), None));

    // Leases after a crash: node A dies holding a message. Another node's start
    // releases nothing of A's and cannot take it before the lease ends; A's own start
    // makes it due at once, and it goes first.
    let c3 = person(Some("outbox-3@example.com"), "Sample");
    let t2 = t1 + Duration::hours(1);
    let m3 = mail(Some(c3.id), "outbox-3@example.com", t2);
    let req3 = token(
        "outbox-req-3",
        TokenKind::Request,
        c3.id,
        "*",
        now(),
        Duration::days(30),
    );
    store
        .contacts()
        .insert(&c3, Some("hash-outbox-3"), vec![], Some((&req3, &m3)))
        .await
        .unwrap();
    assert_eq!(
        ids(store.outbox().claim(t2, 10, "node-a").await.unwrap()),
        [m3.id]
    );
    let restart = t2 + Duration::seconds(30);
    assert_eq!(
        store
            .outbox()
            .release_leases("node-b", restart)
            .await
            .unwrap(),
        0
    );
    assert!(store
        .outbox()
        .claim(restart, 10, "node-b")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .outbox()
            .release_leases("node-a", restart)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .outbox()
            .release_leases("node-a", restart)
            .await
            .unwrap(),
        0
    );
    let again = store.outbox().claim(restart, 10, "node-a").await.unwrap();
    assert_eq!(
        again
            .iter()
            .map(|e| (e.mail.id, e.attempts))
            .collect::<Vec<_>>(),
        [(m3.id, 2)]
    );
    // A sent message is no lease to release.
    store.outbox().mark_sent(m3.id, restart).await.unwrap();
    assert_eq!(
        store
            .outbox()
            .release_leases("node-a", restart)
            .await
            .unwrap(),
        0
    );
}

async fn contracts(store: &Store) {
    let x = company("Contracts X Example", None);
    let y = company("Contracts Y Example", None);
    store.companies().insert(&x).await.unwrap();
    store.companies().insert(&y).await.unwrap();
    let a = person(Some("contracts-a@example.com"), "Sample");
    let b = employee("contracts-b@example.com", x.id);
    let c = employee("contracts-c@example.com", y.id);
    let d = person(Some("contracts-d@example.com"), "Sample");
    for (p, h) in [
        (&a, "hash-contracts-a"),
        (&b, "hash-contracts-b"),
        (&c, "hash-contracts-c"),
        (&d, "hash-contracts-d"),
    ] {
        insert(store, p, Some(h)).await;
    }
    let at = now();
    let contract = |party, status, starts_on, ends_on| Contract {
        id: Uuid::now_v7(),
        party,
        reference: format!("C-{}", Uuid::now_v7().simple()),
        status,
        starts_on,
        ends_on,
        created_at: at,
        updated_at: at,
    };
    let mut own = contract(
        Party::Contact(a.id),
        ContractStatus::Active,
        date!(2026 - 01 - 01),
        Some(date!(2026 - 12 - 31)),
    );
    let entries = store
        .contracts()
        .save(&own, vec![access(a.id, AuditAction::Create)])
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    for k in [
        contract(
            Party::Company(x.id),
            ContractStatus::Active,
            date!(2025 - 06 - 01),
            None,
        ),
        contract(
            Party::Company(y.id),
            ContractStatus::Cancelled,
            date!(2025 - 01 - 01),
            None,
        ),
        contract(
            Party::Contact(d.id),
            ContractStatus::Ended,
            date!(2025 - 01 - 01),
            Some(date!(2030 - 12 - 31)),
        ),
    ] {
        store.contracts().save(&k, vec![]).await.unwrap();
    }

    let on = date!(2026 - 06 - 01);
    let has = |contact, company, day| store.contracts().has_active(contact, company, day);
    assert!(has(a.id, None, on).await.unwrap());
    assert!(
        has(a.id, None, date!(2026 - 01 - 01)).await.unwrap(),
        "first day"
    );
    assert!(
        has(a.id, None, date!(2026 - 12 - 31)).await.unwrap(),
        "last day"
    );
    assert!(!has(a.id, None, date!(2025 - 12 - 31)).await.unwrap());
    assert!(!has(a.id, None, date!(2027 - 01 - 01)).await.unwrap());
    assert!(
        has(b.id, Some(x.id), on).await.unwrap(),
        "the company's contract"
    );
    assert!(!has(b.id, Some(x.id), date!(2025 - 05 - 31)).await.unwrap());
    assert!(
        !has(b.id, None, on).await.unwrap(),
        "the company is not given"
    );
    assert!(!has(c.id, Some(y.id), on).await.unwrap(), "cancelled");
    assert!(!has(d.id, None, on).await.unwrap(), "ended");

    let pairs = [
        (a.id, None),
        (b.id, Some(x.id)),
        (c.id, Some(y.id)),
        (d.id, None),
        (Uuid::now_v7(), None),
    ];
    let active = |day| store.contracts().active_for(&pairs, day);
    assert_eq!(active(on).await.unwrap(), HashSet::from([a.id, b.id]));
    assert_eq!(
        active(date!(2027 - 01 - 01)).await.unwrap(),
        HashSet::from([b.id])
    );
    assert!(active(date!(2024 - 01 - 01)).await.unwrap().is_empty());
    assert!(store
        .contracts()
        .active_for(&[], on)
        .await
        .unwrap()
        .is_empty());

    // A contract changed by id stops counting once cancelled.
    own.status = ContractStatus::Cancelled;
    own.updated_at = at + Duration::minutes(1);
    store.contracts().save(&own, vec![]).await.unwrap();
    assert!(!has(a.id, None, on).await.unwrap());
    assert_eq!(active(on).await.unwrap(), HashSet::from([b.id]));
}

async fn table_count(store: &Store, table: &str) -> i64 {
    let counts = store.demo().table_counts().await.unwrap();
    counts.iter().find(|(t, _)| *t == table).unwrap().1
}

async fn activity(store: &Store) {
    let c = person(Some("activity@example.com"), "Sample");
    insert(store, &c, Some("hash-activity")).await;
    let before = table_count(store, "activity").await;
    let trace = |contact_id| ActivityRecord {
        id: Uuid::now_v7(),
        contact_id,
        kind: "web_visit".into(),
        at: now(),
        detail: "/pricing".into(),
    };
    let first = trace(c.id);
    store.activity().record(&first).await.unwrap();
    store.activity().record(&trace(c.id)).await.unwrap();
    assert_eq!(table_count(store, "activity").await, before + 2);
    // A trace of no contact, or the same trace twice, is refused.
    assert!(store
        .activity()
        .record(&trace(Uuid::now_v7()))
        .await
        .is_err());
    assert!(store.activity().record(&first).await.is_err());
    assert_eq!(table_count(store, "activity").await, before + 2);
    // Traces go with their contact.
    assert!(store.contacts().delete(c.id, vec![]).await.unwrap());
    assert_eq!(table_count(store, "activity").await, before);
}

async fn staff(store: &Store) {
    let user = |email: &str, role| StaffUser {
        id: Uuid::now_v7(),
        email: email.into(),
        role,
        locale: "fr".into(),
        password_hash: format!("hash-of-{email}"),
        created_at: now(),
        disabled_at: None,
    };
    let u = user("staff-sales@example.com", Role::Sales);
    let v = user("staff-support@example.com", Role::Support);
    store.staff().insert(&u).await.unwrap();
    store.staff().insert(&v).await.unwrap();

    let got = store
        .staff()
        .by_email("staff-sales@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (got.id, got.role, got.locale.as_str()),
        (u.id, Role::Sales, "fr")
    );
    assert_eq!(
        (got.password_hash.as_str(), got.created_at),
        (u.password_hash.as_str(), u.created_at)
    );
    assert_eq!(got.disabled_at, None);
    assert!(store
        .staff()
        .by_email("nobody@example.com")
        .await
        .unwrap()
        .is_none());
    let got = store.staff().by_id(v.id).await.unwrap().unwrap();
    assert_eq!(
        (got.email.as_str(), got.role),
        ("staff-support@example.com", Role::Support)
    );
    assert!(store.staff().by_id(Uuid::now_v7()).await.unwrap().is_none());

    // Disabled: seen as disabled, by id and by email.
    let at = now();
    store.staff().disable(u.id, at).await.unwrap();
    let got = store.staff().by_id(u.id).await.unwrap().unwrap();
    assert_eq!(got.disabled_at, Some(at));
    let got = store
        .staff()
        .by_email("staff-sales@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.disabled_at, Some(at));

    // A new password replaces the hash and re-enables the account.
    store.staff().set_password(u.id, "hash-new").await.unwrap();
    let got = store.staff().by_id(u.id).await.unwrap().unwrap();
    assert_eq!(
        (got.password_hash.as_str(), got.disabled_at),
        ("hash-new", None)
    );

    store.staff().set_locale(u.id, "en").await.unwrap();
    let got = store.staff().by_id(u.id).await.unwrap().unwrap();
    assert_eq!(got.locale, "en");
    assert_eq!(
        (got.email.as_str(), got.role),
        ("staff-sales@example.com", Role::Sales)
    );

    // The other account is untouched.
    let other = store.staff().by_id(v.id).await.unwrap().unwrap();
    assert_eq!(
        (
            other.locale.as_str(),
            other.password_hash.as_str(),
            other.disabled_at
        ),
        ("fr", v.password_hash.as_str(), None)
    );
}

async fn segments(store: &Store) {
    let t0 = now();
    let city = "Segmentville";
    let z = company("Segments Example", None);
    store.companies().insert(&z).await.unwrap();
    let mut members = Vec::new();
    for i in 0..3 {
        let email = format!("segment{i}@example.com");
        let mut c = if i == 2 {
            employee(&email, z.id)
        } else {
            person(Some(&email), "Sample")
        };
        c.data.city = Some(City::from_stored(city.into()));
        c.created_at = t0 + Duration::seconds(i);
        c.updated_at = c.created_at;
        if i == 1 {
            c.data.locale = Locale::En;
        }
        insert(store, &c, Some(&format!("hash-segment-{i}"))).await;
        members.push(c);
    }
    let mut outsider = person(Some("segment-out@example.com"), "Sample");
    outsider.data.city = Some(City::from_stored("Elsewhere".into()));
    insert(store, &outsider, Some("hash-segment-out")).await;
    let ids: Vec<Uuid> = members.iter().map(|c| c.id).collect();

    // Consents: 0 opted in, 1 opted in then opted out of everything by email.
    for d in [
        draft(ids[0], "newsletter", Channel::Email, Action::Grant, t0),
        draft(ids[1], "newsletter", Channel::Email, Action::Grant, t0),
        draft(
            ids[1],
            "*",
            Channel::Email,
            Action::Withdraw,
            t0 + Duration::seconds(1),
        ),
    ] {
        store
            .consents()
            .append(d, None, None, vec![])
            .await
            .unwrap();
    }
    // 2's company has a running contract.
    let contract = Contract {
        id: Uuid::now_v7(),
        party: Party::Company(z.id),
        reference: "SEG-1".into(),
        status: ContractStatus::Active,
        starts_on: date!(2025 - 01 - 01),
        ends_on: None,
        created_at: t0,
        updated_at: t0,
    };
    store.contracts().save(&contract, vec![]).await.unwrap();

    let text = |column, op| SegmentCondition::Text { column, op };
    let in_city = text("city", TextOp::Equals(city.into()));
    let with = |more: SegmentCondition| vec![in_city.clone(), more];
    let count =
        |conds: Vec<SegmentCondition>| async move { store.segments().count(&conds).await.unwrap() };
    assert_eq!(count(vec![in_city.clone()]).await, 3);
    // Any case of ASCII letters; accented ones differ by backend, which
    // `the_backends_agree_on_edge_inputs` shows.
    assert_eq!(
        count(vec![text("city", TextOp::Contains("GMENTVIL".into()))]).await,
        3,
        "any case"
    );
    assert_eq!(
        count(vec![text(
            "city",
            TextOp::In(vec![city.into(), "Elsewhere".into()])
        )])
        .await,
        4
    );
    assert_eq!(
        count(with(text("locale", TextOp::Equals("en".into())))).await,
        1
    );
    assert_eq!(
        count(with(text("company_id", TextOp::Equals(z.id.to_string())))).await,
        1
    );
    assert_eq!(
        count(vec![]).await,
        store.contacts().count().await.unwrap(),
        "no condition: every contact"
    );
    let consent = |purpose: &str, status| SegmentCondition::Consent {
        purpose: purpose.into(),
        channel: Channel::Email,
        status,
    };
    assert_eq!(
        count(with(consent("newsletter", Status::Effective))).await,
        2
    );
    assert_eq!(
        count(with(consent("newsletter", Status::NeverAsked))).await,
        1
    );
    assert_eq!(count(with(consent("*", Status::Withdrawn))).await, 1);
    let created = |from, to| SegmentCondition::Time {
        column: "created_at",
        from,
        to,
    };
    assert_eq!(
        count(with(created(Some(t0 + Duration::seconds(1)), None))).await,
        2
    );
    assert_eq!(
        count(with(created(None, Some(t0 + Duration::seconds(1))))).await,
        1,
        "the upper bound is exclusive"
    );
    let contract_on = |present| SegmentCondition::ActiveContract {
        on: date!(2026 - 06 - 01),
        present,
        started_from: None,
        started_until: None,
    };
    assert_eq!(count(with(contract_on(true))).await, 1);
    assert_eq!(count(with(contract_on(false))).await, 2);
    // The contract's start, both bounds included.
    let started = |from, until| SegmentCondition::ActiveContract {
        on: date!(2026 - 06 - 01),
        present: true,
        started_from: from,
        started_until: until,
    };
    assert_eq!(
        count(with(started(
            Some(date!(2025 - 01 - 01)),
            Some(date!(2025 - 01 - 01))
        )))
        .await,
        1,
        "a contract started on both bounds"
    );
    assert_eq!(
        count(with(started(Some(date!(2025 - 01 - 02)), None))).await,
        0
    );
    assert_eq!(
        count(with(started(None, Some(date!(2024 - 12 - 31))))).await,
        0
    );

    // Pages in id order.
    let mut sorted = members.clone();
    sorted.sort_by_key(|c| c.id);
    let conds = [in_city.clone()];
    let first = store.segments().page(&conds, page(None, 2)).await.unwrap();
    assert_eq!(
        first.iter().map(|c| c.id).collect::<Vec<_>>(),
        [sorted[0].id, sorted[1].id]
    );
    assert_eq!(first[0].data, sorted[0].data);
    let rest = store
        .segments()
        .page(&conds, page(Some(sorted[1].id), 2))
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|c| c.id).collect::<Vec<_>>(),
        [sorted[2].id]
    );
    assert_eq!(rest[0].data, sorted[2].data);
    assert!(store
        .segments()
        .page(&conds, page(Some(sorted[2].id), 2))
        .await
        .unwrap()
        .is_empty());

    // The audience, in chunks, with the states the rules read.
    let mut rx = store
        .segments()
        .audience(&conds, "newsletter", Channel::Email, 2);
    let mut chunks = Vec::new();
    let mut rows = HashMap::new();
    while let Some(chunk) = rx.recv().await {
        let chunk = chunk.unwrap();
        chunks.push(chunk.len());
        rows.extend(chunk.into_iter().map(|r| (r.id, r)));
    }
    assert_eq!(chunks, [2, 1]);
    assert_eq!(rows.len(), 3);
    let states = |id: Uuid| {
        let mut s: Vec<(String, Status)> = rows[&id]
            .states
            .iter()
            .map(|s| (s.purpose.clone(), s.status))
            .collect();
        s.sort_by(|x, y| x.0.cmp(&y.0));
        s
    };
    let r0 = &rows[&ids[0]];
    assert_eq!(
        (r0.email.as_deref(), r0.locale.as_str(), r0.company_id),
        (Some("segment0@example.com"), "fr", None)
    );
    assert_eq!(
        states(ids[0]),
        [("newsletter".to_owned(), Status::Effective)]
    );
    assert_eq!(rows[&ids[1]].locale, "en");
    assert_eq!(
        states(ids[1]),
        [
            ("*".to_owned(), Status::Withdrawn),
            ("newsletter".to_owned(), Status::Effective)
        ]
    );
    let since = rows[&ids[1]]
        .states
        .iter()
        .find(|s| s.purpose == "*")
        .unwrap()
        .since;
    assert_eq!(since, t0 + Duration::seconds(1));
    assert_eq!(rows[&ids[2]].company_id, Some(z.id));
    assert!(states(ids[2]).is_empty());
    let mut rx = store.segments().audience(
        &[text("city", TextOp::Equals("Nowhere".into()))],
        "newsletter",
        Channel::Email,
        2,
    );
    assert!(
        rx.recv().await.is_none(),
        "an empty audience sends no chunk"
    );
}

async fn campaigns(store: &Store) {
    let t0 = now();
    let segment = SegmentRecord {
        id: Uuid::now_v7(),
        name: "Campaign audience".into(),
        conditions: "[]".into(),
        created_by: "user:every-method".into(),
        created_at: t0,
    };
    store.segments().save(&segment).await.unwrap();
    let campaign = |name: &str| CampaignRecord {
        id: Uuid::now_v7(),
        name: name.into(),
        category: "newsletter".into(),
        channel: "email".into(),
        segment_id: segment.id,
        content: "{}".into(),
        status: "draft".into(),
        report: None,
        created_by: "user:every-method".into(),
        created_at: t0,
        sent_at: None,
        sending_at: None,
    };
    let spring = campaign("Spring news");
    let autumn = campaign("Autumn news");
    store.campaigns().save(&spring).await.unwrap();
    store.campaigns().save(&autumn).await.unwrap();
    let people: Vec<Contact> = (0..3)
        .map(|i| person(Some(&format!("campaign{i}@example.com")), "Sample"))
        .collect();
    for (i, p) in people.iter().enumerate() {
        insert(store, p, Some(&format!("hash-campaign-{i}"))).await;
    }
    let [p0, p1, p2] = [people[0].id, people[1].id, people[2].id];
    assert_eq!(
        store.campaigns().recipient_count(spring.id).await.unwrap(),
        0
    );
    assert_eq!(
        store.campaigns().results(spring.id).await.unwrap(),
        (0, 0, 0)
    );

    let newsletter = |subject: Uuid, to: &str| QueuedMail {
        category: "newsletter".into(),
        list_unsubscribe: Some(format!("https://crm.example.com/u/{subject}")),
        attachment: None,
        forget_after_send: false,
        ..mail(Some(subject), to, t0)
    };
    let reads = |ids: &[Uuid]| {
        ids.iter()
            .map(|id| access(*id, AuditAction::Read))
            .collect::<Vec<_>>()
    };
    let first = [
        newsletter(p0, "campaign0@example.com"),
        newsletter(p1, "campaign1@example.com"),
    ];
    let n = store
        .campaigns()
        .queue(spring.id, &first, reads(&[p0, p1]))
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(
        store.campaigns().recipient_count(spring.id).await.unwrap(),
        2
    );
    let queued = store.outbox().entry(first[0].id).await.unwrap().unwrap();
    assert_eq!(queued.status, "queued");
    assert_eq!(queued.mail.list_unsubscribe, first[0].list_unsubscribe);
    assert_eq!(store.audit().list(p0, 10).await.unwrap().len(), 1);

    // Run again (a send resumed): who had the campaign gets nothing more, nor an audit
    // entry; the newcomer does.
    let again = [
        newsletter(p0, "campaign0@example.com"),
        newsletter(p2, "campaign2@example.com"),
    ];
    let n = store
        .campaigns()
        .queue(spring.id, &again, reads(&[p0, p2]))
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        store.campaigns().recipient_count(spring.id).await.unwrap(),
        3
    );
    assert!(store.outbox().entry(again[0].id).await.unwrap().is_none());
    assert!(store.outbox().entry(again[1].id).await.unwrap().is_some());
    assert_eq!(store.audit().list(p0, 10).await.unwrap().len(), 1);
    assert_eq!(store.audit().list(p2, 10).await.unwrap().len(), 1);

    // Another campaign has recipients of its own.
    assert_eq!(
        store.campaigns().recipient_count(autumn.id).await.unwrap(),
        0
    );
    let n = store
        .campaigns()
        .queue(
            autumn.id,
            &[newsletter(p0, "campaign0@example.com")],
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        store.campaigns().recipient_count(autumn.id).await.unwrap(),
        1
    );
    assert_eq!(
        store.campaigns().recipient_count(spring.id).await.unwrap(),
        3
    );

    // A draft is edited until its sending starts; sending starts once, with its job.
    let other = SegmentRecord {
        id: Uuid::now_v7(),
        name: "Other audience".into(),
        ..segment.clone()
    };
    store.segments().save(&other).await.unwrap();
    let draft = campaign("Winter news");
    store.campaigns().save(&draft).await.unwrap();
    let edited = CampaignRecord {
        name: "Winter news, edited".into(),
        category: "marketing".into(),
        segment_id: other.id,
        content: r#"{"fr":{"subject":"Hiver","body":"Bonjour"}}"#.into(),
        ..draft.clone()
    };
    assert!(store.campaigns().update_draft(&edited).await.unwrap());
    let got = store.campaigns().get(draft.id).await.unwrap().unwrap();
    assert_eq!(
        (
            got.name.as_str(),
            got.category.as_str(),
            got.segment_id,
            got.content.as_str(),
            got.sending_at
        ),
        (
            "Winter news, edited",
            "marketing",
            other.id,
            edited.content.as_str(),
            None
        )
    );
    let job = JobRecord::new(
        "campaign_send",
        serde_json::json!({"campaign": draft.id}),
        t0,
        t0,
    )
    .dedupe(format!("campaign_send:{}", draft.id));
    assert!(store
        .campaigns()
        .start_sending(draft.id, t0, r#"{"allowed":3}"#, &job)
        .await
        .unwrap());
    let got = store.campaigns().get(draft.id).await.unwrap().unwrap();
    assert_eq!(
        (got.status.as_str(), got.sending_at, got.report.as_deref()),
        ("draft", Some(t0), Some(r#"{"allowed":3}"#))
    );
    let scheduled = store
        .jobs()
        .keyed(&format!("campaign_send:{}", draft.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (scheduled.id, scheduled.status.as_str()),
        (job.id, "queued")
    );
    assert!(store
        .jobs()
        .keyed("campaign_send:none")
        .await
        .unwrap()
        .is_none());
    // Started: neither started again (no second job) nor edited, and its segment holds.
    let second = JobRecord::new("campaign_send", serde_json::json!({}), t0, t0)
        .dedupe(format!("campaign_send:{}:again", draft.id));
    assert!(!store
        .campaigns()
        .start_sending(draft.id, t0, "{}", &second)
        .await
        .unwrap());
    assert!(store
        .jobs()
        .keyed(&format!("campaign_send:{}:again", draft.id))
        .await
        .unwrap()
        .is_none());
    let late = CampaignRecord {
        name: "Too late".into(),
        ..edited.clone()
    };
    assert!(!store.campaigns().update_draft(&late).await.unwrap());
    let renamed = SegmentRecord {
        name: "Renamed while sending".into(),
        ..other.clone()
    };
    assert!(!store.segments().update(&renamed).await.unwrap());
    // Once sent, still not editable.
    assert!(store
        .campaigns()
        .mark_sent(draft.id, t0, "{}")
        .await
        .unwrap());
    assert!(!store.campaigns().update_draft(&late).await.unwrap());
    assert_eq!(
        store.campaigns().get(draft.id).await.unwrap().unwrap().name,
        "Winter news, edited"
    );
    // No such campaign.
    let ghost = CampaignRecord {
        id: Uuid::now_v7(),
        ..edited.clone()
    };
    assert!(!store.campaigns().update_draft(&ghost).await.unwrap());

    // Segments: renamed and re-filtered; deleted only when no campaign uses them.
    assert!(store.segments().update(&renamed).await.unwrap());
    let got = store.segments().get(other.id).await.unwrap().unwrap();
    assert_eq!(got.name, "Renamed while sending");
    let used: Vec<Uuid> = store
        .segments()
        .campaigns_of(other.id)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(used, [draft.id]);
    assert!(!store.segments().delete(other.id).await.unwrap());
    assert!(store.segments().get(other.id).await.unwrap().is_some());
    let unused = SegmentRecord {
        id: Uuid::now_v7(),
        name: "Unused".into(),
        ..segment.clone()
    };
    store.segments().save(&unused).await.unwrap();
    assert!(store
        .segments()
        .campaigns_of(unused.id)
        .await
        .unwrap()
        .is_empty());
    assert!(store.segments().delete(unused.id).await.unwrap());
    assert!(store.segments().get(unused.id).await.unwrap().is_none());
    assert!(!store.segments().delete(unused.id).await.unwrap());
    assert!(!store.segments().update(&unused).await.unwrap());

    // Opens and clicks count distinct people, per campaign.
    let engage = |contact_id, kind: &str, campaign: Uuid| ActivityRecord {
        id: Uuid::now_v7(),
        contact_id,
        kind: kind.into(),
        at: now(),
        detail: format!("campaign {campaign}"),
    };
    for a in [
        engage(p0, "email_open", spring.id),
        engage(p0, "email_open", spring.id),
        engage(p1, "email_open", spring.id),
        engage(p0, "email_click", spring.id),
        engage(p1, "web_visit", spring.id),
        engage(p2, "email_open", autumn.id),
    ] {
        store.activity().record(&a).await.unwrap();
    }
    assert_eq!(
        store.campaigns().results(spring.id).await.unwrap(),
        (3, 2, 1)
    );
    assert_eq!(
        store.campaigns().results(autumn.id).await.unwrap(),
        (1, 1, 0)
    );
}

async fn imports(store: &Store) {
    let id = "import-job-1";
    assert!(store.imports().job(id).await.unwrap().is_none());
    let t0 = now();
    let mut job = ImportJob {
        id: id.into(),
        file_name: "people.csv".into(),
        options: r#"{"on_duplicate":"merge"}"#.into(),
        actor: "user:every-method".into(),
        started_at: t0,
        updated_at: t0,
        finished_at: None,
        next_record: 0,
        counts: ImportCounts::default(),
    };
    store.imports().start(&job).await.unwrap();
    let got = store.imports().job(id).await.unwrap().unwrap();
    assert_eq!(
        (
            got.file_name.as_str(),
            got.options.as_str(),
            got.actor.as_str()
        ),
        ("people.csv", job.options.as_str(), "user:every-method")
    );
    assert_eq!(
        (got.started_at, got.updated_at, got.finished_at),
        (t0, t0, None)
    );
    assert_eq!((got.next_record, got.counts), (0, ImportCounts::default()));
    // Starting it again leaves it as it is.
    let restarted = ImportJob {
        file_name: "other.csv".into(),
        started_at: t0 + Duration::hours(1),
        ..job.clone()
    };
    store.imports().start(&restarted).await.unwrap();
    let got = store.imports().job(id).await.unwrap().unwrap();
    assert_eq!((got.file_name.as_str(), got.started_at), ("people.csv", t0));
    // The list shows the newest first, and no more than asked.
    let later = ImportJob {
        id: "import-job-0".into(),
        started_at: t0 + Duration::minutes(5),
        updated_at: t0 + Duration::minutes(5),
        ..job.clone()
    };
    store.imports().start(&later).await.unwrap();
    let ids: Vec<String> = store
        .imports()
        .recent(10)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(ids, ["import-job-0", "import-job-1"]);
    assert_eq!(store.imports().recent(1).await.unwrap().len(), 1);

    let reject = |line: u64, field: &str| ImportReject {
        line,
        field: field.into(),
        rule: "email_format".into(),
        message: "not an email address".into(),
        record: vec!["Sample".into(), "not-an-email".into(), String::new()],
    };
    let a = person(Some("import-a@example.com"), "Sample");
    let b = person(Some("import-b@example.com"), "Sample");
    let req = token(
        "import-req-a",
        TokenKind::Request,
        a.id,
        "*",
        t0,
        Duration::days(30),
    );
    let m = mail(Some(a.id), "import-a@example.com", now());
    let imported = |action| ConsentDraft {
        source: Source::Import,
        ..draft(b.id, "newsletter", Channel::Email, action, t0)
    };
    let first = ImportBatch {
        created: vec![
            (a.clone(), Some("hash-import-a".into())),
            (b.clone(), Some("hash-import-b".into())),
        ],
        merged: vec![],
        consents: vec![imported(Action::Grant)],
        mails: vec![(req, m.clone())],
        audit: vec![
            access(a.id, AuditAction::Create),
            access(b.id, AuditAction::Create),
        ],
        rejects: vec![reject(4, "email")],
        undeliverable: vec![AddressStatus {
            subject_id: b.id,
            channel: Channel::Email,
            reason: "import people.csv line 3: CLEAN_TIME=2024-01-01".into(),
            since: t0,
        }],
    };
    job.next_record = 3;
    job.updated_at = t0 + Duration::seconds(1);
    job.counts = ImportCounts {
        created: 2,
        rejected: 1,
        consents: 1,
        requests: 1,
        grants: 1,
        ..Default::default()
    };
    store.imports().batch(&job, 0, first).await.unwrap();
    let got = store.imports().job(id).await.unwrap().unwrap();
    assert_eq!((got.next_record, got.counts), (3, job.counts));
    assert_eq!((got.updated_at, got.finished_at), (job.updated_at, None));
    assert_eq!(
        store.contacts().get(a.id).await.unwrap().unwrap().data,
        a.data
    );
    assert_eq!(
        store
            .contacts()
            .id_by_email_hash("hash-import-b")
            .await
            .unwrap(),
        Some(b.id)
    );
    assert_eq!(
        statuses(store, b.id).await,
        [("newsletter".to_owned(), Channel::Email, Status::Effective)]
    );
    assert_eq!(store.audit().list(a.id, 10).await.unwrap().len(), 1);
    assert!(store
        .consents()
        .token("import-req-a")
        .await
        .unwrap()
        .is_some());
    let queued = store.outbox().entry(m.id).await.unwrap().unwrap();
    assert_eq!(queued.status, "queued");
    assert_eq!(
        store.imports().rejects(id, 0, 10).await.unwrap(),
        [reject(4, "email")]
    );

    // A batch from a checkpoint that has moved is refused and writes nothing.
    let c = person(Some("import-c@example.com"), "Sample");
    let stale = ImportBatch {
        created: vec![(c.clone(), Some("hash-import-c".into()))],
        rejects: vec![reject(9, "email")],
        ..Default::default()
    };
    match store.imports().batch(&job, 0, stale).await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(store.contacts().get(c.id).await.unwrap().is_none());
    assert_eq!(
        store.imports().job(id).await.unwrap().unwrap().next_record,
        3
    );
    assert_eq!(store.imports().rejects(id, 0, 10).await.unwrap().len(), 1);

    // The next batch: a new contact, a merged one, events and audit entries for
    // contacts that exist already.
    let mut a2 = a.clone();
    a2.data.city = Some(City::from_stored("Importville".into()));
    a2.updated_at = t0 + Duration::seconds(2);
    let mut c_grant = draft(c.id, "marketing", Channel::Sms, Action::Grant, t0);
    c_grant.source = Source::Import;
    let second = ImportBatch {
        created: vec![(c.clone(), Some("hash-import-c".into()))],
        merged: vec![(a2.clone(), Some("hash-import-a".into()))],
        consents: vec![imported(Action::Withdraw), c_grant],
        mails: vec![],
        audit: vec![
            access(a.id, AuditAction::Update),
            access(c.id, AuditAction::Create),
        ],
        rejects: vec![
            reject(5, "email"),
            reject(5, "postal_code"),
            reject(7, "email"),
        ],
        // Learnt again: the first reason stays.
        undeliverable: vec![AddressStatus {
            subject_id: b.id,
            channel: Channel::Email,
            reason: "import other.csv line 9: bounced=yes".into(),
            since: t0 + Duration::days(1),
        }],
    };
    job.next_record = 7;
    job.updated_at = t0 + Duration::seconds(3);
    job.counts = ImportCounts {
        created: 3,
        merged: 1,
        rejected: 4,
        consents: 3,
        requests: 1,
        grants: 2,
        withdrawals: 1,
        names_split: 1,
        undeliverable: 1,
        ..Default::default()
    };
    store.imports().batch(&job, 3, second).await.unwrap();
    let got = store.imports().job(id).await.unwrap().unwrap();
    assert_eq!((got.next_record, got.counts), (7, job.counts));
    let bounced = store.addresses().undeliverable(b.id).await.unwrap();
    assert_eq!(bounced.len(), 1);
    assert_eq!(
        (bounced[0].reason.as_str(), bounced[0].since),
        ("import people.csv line 3: CLEAN_TIME=2024-01-01", t0),
        "the batch marked it, and the address is kept as first learnt"
    );
    let merged = store.contacts().get(a.id).await.unwrap().unwrap();
    assert_eq!(merged.data, a2.data);
    assert_eq!(merged.updated_at, a2.updated_at);
    assert_eq!(
        statuses(store, b.id).await,
        [("newsletter".to_owned(), Channel::Email, Status::Withdrawn)]
    );
    let seqs: Vec<i64> = store
        .consents()
        .events(b.id)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, [1, 2]);
    assert_eq!(
        statuses(store, c.id).await,
        [("marketing".to_owned(), Channel::Sms, Status::Effective)]
    );
    let seqs: Vec<i64> = store
        .audit()
        .list(a.id, 10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, [2, 1]);
    let lines = |v: Vec<ImportReject>| v.into_iter().map(|r| (r.line, r.field)).collect::<Vec<_>>();
    let all = store.imports().rejects(id, 0, 10).await.unwrap();
    assert_eq!(all[1], reject(5, "email"), "rows read back whole");
    assert_eq!(
        lines(all),
        [
            (4, "email".to_owned()),
            (5, "email".to_owned()),
            (5, "postal_code".to_owned()),
            (7, "email".to_owned())
        ]
    );
    assert_eq!(
        lines(store.imports().rejects(id, 4, 2).await.unwrap()),
        [(5, "email".to_owned()), (5, "postal_code".to_owned())]
    );
    assert_eq!(
        lines(store.imports().rejects(id, 5, 10).await.unwrap()),
        [(7, "email".to_owned())]
    );
    assert!(store
        .imports()
        .rejects("another-job", 0, 10)
        .await
        .unwrap()
        .is_empty());
    let report = store.audit().verify().await.unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);
    let report = store.consents().verify().await.unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);

    // Finished: the date is set and the rejected rows go.
    let end = t0 + Duration::minutes(1);
    store.imports().finish(id, end).await.unwrap();
    let got = store.imports().job(id).await.unwrap().unwrap();
    assert_eq!((got.finished_at, got.updated_at), (Some(end), end));
    assert_eq!((got.next_record, got.counts), (7, job.counts));
    assert!(store.imports().rejects(id, 0, 10).await.unwrap().is_empty());
}

async fn counts(store: &Store) -> BTreeMap<&'static str, i64> {
    store
        .demo()
        .table_counts()
        .await
        .unwrap()
        .into_iter()
        .collect()
}

async fn demo(store: &Store) {
    let before = counts(store).await;
    assert_eq!(
        before.keys().copied().collect::<Vec<_>>(),
        [
            "activity",
            "audit_entry",
            "campaign",
            "company",
            "consent_event",
            "contact",
            "contract",
            "customer_order",
            "import_job",
            "job",
            "outbox",
            "request_event",
            "segment",
            "staff_session",
            "subject_request"
        ]
    );
    let co = company("Demo Example", Some("35600000000010"));
    let p = employee("demo-a@example.com", co.id);
    let q = person(None, "Sample");
    let order = OrderRecord {
        id: Uuid::now_v7(),
        contact_id: p.id,
        ordered_at: now(),
        currency: "EUR".into(),
        total_cents: 12_345,
        lines: serde_json::json!([{"sku": "A-1", "quantity": 2, "unit_cents": 6_172}]),
    };
    let trace = ActivityRecord {
        id: Uuid::now_v7(),
        contact_id: q.id,
        kind: "web_visit".into(),
        at: now(),
        detail: "/".into(),
    };
    store
        .demo()
        .insert_batch(
            std::slice::from_ref(&co),
            &[(p.clone(), Some("hash-demo-a".into())), (q.clone(), None)],
            std::slice::from_ref(&order),
            &[trace],
        )
        .await
        .unwrap();
    let after = counts(store).await;
    let grown: BTreeMap<&str, i64> = after
        .iter()
        .map(|(t, n)| (*t, n - before[t]))
        .filter(|(_, d)| *d != 0)
        .collect();
    assert_eq!(
        grown,
        BTreeMap::from([
            ("activity", 1),
            ("company", 1),
            ("contact", 2),
            ("customer_order", 1)
        ])
    );
    assert_eq!(
        store.contacts().get(p.id).await.unwrap().unwrap().data,
        p.data
    );
    assert_eq!(
        store
            .contacts()
            .id_by_email_hash("hash-demo-a")
            .await
            .unwrap(),
        Some(p.id)
    );
    let back = store.companies().get(co.id).await.unwrap().unwrap();
    assert_eq!(
        back.siret.as_ref().map(Siret::as_str),
        Some("35600000000010")
    );
    let orders = store.orders().list(p.id).await.unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(
        (orders[0].id, orders[0].total_cents, &orders[0].lines),
        (order.id, 12_345, &order.lines)
    );

    // A batch that breaks a key writes nothing of itself.
    let co2 = company("Demo Two Example", None);
    let r = person(Some("demo-b@example.com"), "Sample");
    let s = person(Some("demo-c@example.com"), "Sample");
    let refused = store
        .demo()
        .insert_batch(
            std::slice::from_ref(&co2),
            &[
                (r.clone(), Some("hash-demo-b".into())),
                (s, Some("hash-demo-a".into())),
            ],
            &[],
            &[],
        )
        .await;
    assert!(refused.is_err());
    assert_eq!(counts(store).await, after);
    assert!(store.companies().get(co2.id).await.unwrap().is_none());
    assert!(store.contacts().get(r.id).await.unwrap().is_none());
}

async fn bench(store: &Store) {
    let t0 = now();
    // Seven groups of 30, one per outcome of the newsletter baseline.
    const GROUP: usize = 30;
    let outcomes = [
        "allowed",
        "opt_in_pending",
        "global_opt_out",
        "no_opt_in",
        "no_email_address",
        "opted_out_of_purpose",
        "opt_in_refused",
    ];
    let mut people = Vec::new();
    let mut events = Vec::new();
    for (g, outcome) in outcomes.iter().enumerate() {
        for i in 0..GROUP {
            let email = format!("bench-{g}-{i}@example.com");
            let mut c = person(
                (*outcome != "no_email_address").then_some(email.as_str()),
                "Bench",
            );
            c.created_at = t0;
            c.updated_at = t0;
            c.newsletter_open_rate = Some(0.5);
            let later = t0 + Duration::seconds(1);
            let news = |action, at| draft(c.id, "newsletter", Channel::Email, action, at);
            match *outcome {
                "allowed" | "no_email_address" => events.push(news(Action::Grant, t0)),
                "opt_in_pending" => events.push(pending_grant(c.id, "newsletter", t0)),
                "global_opt_out" => {
                    events.push(news(Action::Grant, t0));
                    events.push(draft(c.id, "*", Channel::Email, Action::Withdraw, later));
                }
                "opted_out_of_purpose" => {
                    events.push(news(Action::Grant, t0));
                    events.push(news(Action::Withdraw, later));
                }
                "opt_in_refused" => events.push(news(Action::Refuse, t0)),
                _ => {}
            }
            let hash = c.data.email.as_ref().map(|_| format!("hash-bench-{g}-{i}"));
            people.push((c, hash));
        }
    }
    let n = people.len() as i64;
    let rows = Store::import_rows(ImportBatch {
        created: people.clone(),
        consents: events,
        ..Default::default()
    });
    let contact_rows = rows.iter().find(|r| r.table == "contact").unwrap();
    assert_eq!(contact_rows.len() as i64, n);

    let count_before = store.contacts().count().await.unwrap();
    let (allowed_before, left_before) = store.bench().newsletter_audience().await.unwrap();
    store.bench().write_raw(&rows).await.unwrap();
    assert_eq!(store.contacts().count().await.unwrap(), count_before + n);
    let (sample, _) = &people[GROUP + 3];
    let back = store.contacts().get(sample.id).await.unwrap().unwrap();
    assert_eq!(back.data, sample.data);
    assert_eq!(
        (back.created_at, back.newsletter_open_rate),
        (t0, Some(0.5))
    );
    assert_eq!(
        statuses(store, sample.id).await,
        [("newsletter".to_owned(), Channel::Email, Status::Pending)]
    );
    let report = store.consents().verify().await.unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);

    // The baseline sees each new contact under its outcome.
    let (allowed_after, left_after) = store.bench().newsletter_audience().await.unwrap();
    let before: HashSet<String> = allowed_before.into_iter().collect();
    let new_allowed: HashSet<String> = allowed_after
        .iter()
        .filter(|id| !before.contains(*id))
        .cloned()
        .collect();
    let expected: HashSet<String> = people[..GROUP]
        .iter()
        .map(|(c, _)| c.id.to_string())
        .collect();
    assert_eq!(new_allowed, expected);
    for outcome in &outcomes[1..] {
        let was = left_before.get(*outcome).copied().unwrap_or(0);
        let is = left_after.get(*outcome).copied().unwrap_or(0);
        assert_eq!(is - was, GROUP as u64, "{outcome}");
    }

    // Maintenance changes no row: the audience reads the same after it.
    store.bench().settle().await.unwrap();
    assert_eq!(
        store.bench().newsletter_audience().await.unwrap(),
        (allowed_after, left_after.clone())
    );

    // The heads' root, read without writing: once a checkpoint keeps every head, the
    // root it keeps is the same.
    let (chains, root) = store.bench().heads_root().await.unwrap();
    assert!(chains > 0);
    assert_eq!(
        store.bench().heads_root().await.unwrap(),
        (chains, root.clone())
    );
    store
        .checkpoints()
        .checkpoint(t0, "bench-key", &|h| format!("signed {h}"))
        .await
        .unwrap();
    assert_eq!(
        store.checkpoints().kept_root().await.unwrap(),
        (chains, root)
    );

    // Sample ids: the first contacts in id order.
    let total = store.contacts().count().await.unwrap();
    let sample = store.bench().sample_contact_ids(5).await.unwrap();
    assert_eq!(sample.len(), 5);
    let mut sorted = sample.clone();
    sorted.sort();
    assert_eq!(sample, sorted);
    for id in &sample {
        let id = Uuid::parse_str(id).unwrap();
        assert!(store.contacts().get(id).await.unwrap().is_some());
    }
    let all = store
        .bench()
        .sample_contact_ids(total as u32 + 10)
        .await
        .unwrap();
    assert_eq!(all.len() as i64, total);
    assert_eq!(&all[..5], &sample[..]);
    let all: HashSet<String> = all.into_iter().collect();
    assert!(people.iter().all(|(c, _)| all.contains(&c.id.to_string())));

    // One read and one committed write per call, once the bench table exists.
    let first = people[0].0.id.to_string();
    assert!(
        store.bench().read_and_insert(&first, t0).await.is_err(),
        "no bench table before prepare"
    );
    store.bench().prepare().await.unwrap();
    store.bench().prepare().await.unwrap();
    assert_eq!(
        store.bench().read_and_insert(&first, t0).await.unwrap(),
        Some("Bench".to_owned())
    );
    assert_eq!(
        store
            .bench()
            .read_and_insert(&Uuid::now_v7().to_string(), t0)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .bench()
            .read_and_insert("not-an-id", t0)
            .await
            .unwrap(),
        None
    );
}

/// Staff search (O1): the terms are written with the contact (created, updated,
/// imported) and go with it; every word must start a term of a searchable field; the
/// list's filter and count agree with the quick search.
async fn search(store: &Store) {
    use candor_domain::personal::Phone;
    use candor_domain::search::{query, TermField};
    let find = |q: &str, fields: &[TermField]| {
        let s = candor_store::Search {
            words: query(q),
            fields: fields.to_vec(),
        };
        async move {
            let mut ids: Vec<Uuid> = store
                .contacts()
                .search(&s, 20)
                .await
                .unwrap()
                .iter()
                .map(|c| c.id)
                .collect();
            ids.sort();
            ids
        }
    };
    let all = TermField::ALL;
    let mut h = person(Some("h.lefevre@exemple-search.fr"), "Lefèvre-Dupré");
    h.data.first_name = Some(PersonName::parse("first_name", "Hélène").unwrap());
    h.data.phone = Some(Phone::parse("phone", "06 12 34 56 78").unwrap());
    let mut m = person(Some("helena.searchmartin@example.com"), "Searchmartin");
    m.data.first_name = Some(PersonName::parse("first_name", "Helena").unwrap());
    insert(store, &h, Some("hash-search-h")).await;
    insert(store, &m, Some("hash-search-m")).await;
    let mut both = vec![h.id, m.id];
    both.sort();

    assert_eq!(find("helene lef", &all).await, vec![h.id]);
    assert_eq!(find("HÉLÈNE Lefevre-Dupre", &all).await, vec![h.id]);
    assert_eq!(find("hel searchm", &all).await, vec![m.id]);
    assert_eq!(find("exemple-search", &all).await, vec![h.id]);
    assert_eq!(find("06 12 34 56", &all).await, vec![h.id]);
    assert_eq!(find("+33 6 12", &all).await, vec![h.id]);
    let mut hel = find("hel", &all).await;
    hel.retain(|id| both.contains(id));
    assert_eq!(hel, both);
    assert!(find("helene martin", &all).await.is_empty());
    // A field the role may not read is not searched.
    assert!(find("helene lef", &[TermField::Email, TermField::Phone])
        .await
        .is_empty());
    assert!(find("06 12 34", &[TermField::Name, TermField::Email])
        .await
        .is_empty());
    assert_eq!(
        find("h.lefevre@exemple-search", &[TermField::Email]).await,
        vec![h.id]
    );
    assert!(find("helene", &[]).await.is_empty());

    // The list's filter and count read the same terms.
    let filter = candor_store::ContactFilter {
        search: Some(candor_store::Search {
            words: query("lefevre helene"),
            fields: all.to_vec(),
        }),
        ..Default::default()
    };
    let listed = store
        .contacts()
        .list(&filter, page(None, 10))
        .await
        .unwrap();
    assert_eq!(listed.iter().map(|c| c.id).collect::<Vec<_>>(), vec![h.id]);
    assert_eq!(store.contacts().count_matching(&filter).await.unwrap(), 1);

    // An update replaces the terms.
    h.data.last_name = PersonName::parse("last_name", "Searchdurand").unwrap();
    store
        .contacts()
        .update(&h, Some("hash-search-h"), vec![])
        .await
        .unwrap();
    assert!(find("helene dupre", &all).await.is_empty());
    assert_eq!(find("helene searchdur", &all).await, vec![h.id]);

    // Imported contacts are found; a deleted contact's terms go with it.
    let mut i = person(Some("imported.searchzed@example.com"), "Searchzed");
    i.data.first_name = Some(PersonName::parse("first_name", "Ibrahim").unwrap());
    let rows = Store::import_rows(ImportBatch {
        created: vec![(i.clone(), None)],
        ..Default::default()
    });
    store.bench().write_raw(&rows).await.unwrap();
    assert_eq!(find("ibrahim searchz", &all).await, vec![i.id]);
    for c in [&h, &m, &i] {
        assert!(store.contacts().delete(c.id, vec![]).await.unwrap());
    }
    assert!(find("hel", &all).await.iter().all(|id| !both.contains(id)));
    assert!(find("searchzed", &all).await.is_empty());
}

async fn every_area(store: &Store) {
    contacts(store).await;
    search(store).await;
    addresses(store).await;
    never_asked(store).await;
    companies(store).await;
    api_tokens(store).await;
    custom_fields(store).await;
    consents(store).await;
    outbox(store).await;
    contracts(store).await;
    activity(store).await;
    staff(store).await;
    segments(store).await;
    campaigns(store).await;
    imports(store).await;
    demo(store).await;
    bench(store).await;
}

/// An address marked undeliverable is listed with its reason, audited with the mark,
/// flagged in the audience read for its channel only, kept when the contact changes
/// but keeps its email, and forgotten when the email changes.
async fn addresses(store: &Store) {
    let mut p = person(Some("bounce@example.com"), "Sample");
    insert(store, &p, Some("hash-bounce")).await;
    assert!(store
        .addresses()
        .undeliverable(p.id)
        .await
        .unwrap()
        .is_empty());
    let mark = AddressStatus {
        subject_id: p.id,
        channel: Channel::Email,
        reason: "import a.csv line 2: Email hard bounce reason=Mailbox does not exist".into(),
        since: now(),
    };
    store
        .addresses()
        .mark_undeliverable(&mark, vec![access(p.id, AuditAction::Update)])
        .await
        .unwrap();
    assert_eq!(store.audit().list(p.id, 10).await.unwrap().len(), 1);
    let again = AddressStatus {
        reason: "later".into(),
        ..mark.clone()
    };
    store
        .addresses()
        .mark_undeliverable(&again, vec![])
        .await
        .unwrap();
    assert_eq!(
        store.addresses().undeliverable(p.id).await.unwrap(),
        std::slice::from_ref(&mark)
    );
    let flagged = |channel: Channel| async move {
        let conds = [SegmentCondition::Text {
            column: "email",
            op: TextOp::Equals("bounce@example.com".into()),
        }];
        let mut rx = store.segments().audience(&conds, "newsletter", channel, 10);
        let mut out = Vec::new();
        while let Some(chunk) = rx.recv().await {
            out.extend(chunk.unwrap().into_iter().map(|r| r.undeliverable));
        }
        out
    };
    assert_eq!(flagged(Channel::Email).await, [true]);
    assert_eq!(flagged(Channel::Sms).await, [false]);
    // A change that keeps the email keeps what is known of it.
    p.data.city = Some(City::from_stored("Lille".into()));
    store
        .contacts()
        .update(&p, Some("hash-bounce"), vec![])
        .await
        .unwrap();
    assert_eq!(
        store.addresses().undeliverable(p.id).await.unwrap().len(),
        1
    );
    // A new address is not the one that bounced.
    p.data.email = Some(Email::parse("email", "new@example.com").unwrap());
    store
        .contacts()
        .update(&p, Some("hash-new"), vec![])
        .await
        .unwrap();
    assert!(store
        .addresses()
        .undeliverable(p.id)
        .await
        .unwrap()
        .is_empty());
    store.contacts().delete(p.id, vec![]).await.unwrap();
}

/// A contact with an email and nothing asked is listed as never asked until a consent
/// request is queued for it (with its audit entry, in one transaction); one without
/// an email, or with a consent state, is never listed.
async fn never_asked(store: &Store) {
    let before = store.contacts().count_never_asked().await.unwrap();
    let p = person(Some("never-asked@example.com"), "Sample");
    insert(store, &p, Some("hash-never-asked")).await;
    let no_email = person(None, "Sample");
    insert(store, &no_email, None).await;
    let answered = person(Some("answered@example.com"), "Sample");
    insert(store, &answered, Some("hash-answered")).await;
    store
        .consents()
        .append(
            draft(
                answered.id,
                "newsletter",
                Channel::Email,
                Action::Refuse,
                now(),
            ),
            None,
            None,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        store.contacts().count_never_asked().await.unwrap(),
        before + 1
    );
    let mut listed = Vec::new();
    let mut after = None;
    loop {
        let page = store.contacts().never_asked(after, 2).await.unwrap();
        let Some(last) = page.last().copied() else {
            break;
        };
        assert!(page.len() <= 2);
        after = Some(last);
        listed.extend(page);
    }
    assert_eq!(listed.len() as i64, before + 1);
    assert!(listed.contains(&p.id) && !listed.contains(&no_email.id));
    assert!(listed.windows(2).all(|w| w[0] < w[1]), "in id order");
    let req = token(
        "never-asked-req",
        TokenKind::Request,
        p.id,
        "*",
        now(),
        Duration::days(30),
    );
    let m = mail(Some(p.id), "never-asked@example.com", now());
    store
        .consents()
        .queue_request(&req, &m, vec![access(p.id, AuditAction::Read)])
        .await
        .unwrap();
    assert_eq!(store.contacts().count_never_asked().await.unwrap(), before);
    assert_eq!(store.audit().list(p.id, 10).await.unwrap().len(), 1);
    assert!(store.outbox().entry(m.id).await.unwrap().is_some());
}

async fn sqlite() -> Store {
    let dir = std::env::temp_dir().join(format!("candor-store-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    Store::open_file(&dir.join("c.db")).await.unwrap()
}

#[tokio::test]
async fn every_store_method_on_sqlite() {
    every_area(&sqlite().await).await;
}

#[tokio::test]
async fn every_store_method_on_postgres() {
    let Some(url) = candor_store::testing::fresh_pg_url("every_store_method_on_postgres").await
    else {
        return;
    };
    every_area(&Store::open_url(&url).await.unwrap()).await;
}

/// Contacts written before search existed (or whose terms were lost) are indexed
/// when the store opens, once: the migration asks for it, the store does it.
async fn terms_are_written_at_open(url: &str) {
    let store = Store::open_url(url).await.unwrap();
    let mut c = person(Some("backfill.searchy@example.com"), "Searchyback");
    c.data.first_name = Some(PersonName::parse("first_name", "Élodie").unwrap());
    insert(&store, &c, None).await;
    store.close().await;
    let words = || candor_store::Search {
        words: candor_domain::search::query("elodie searchyb"),
        fields: candor_domain::search::TermField::ALL.to_vec(),
    };
    // Behind the store's back: the terms gone, the backfill asked for again.
    let raw = |sql: &'static str| async move {
        if url.starts_with("postgres") {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&pool).await.unwrap();
            pool.close().await;
        } else {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
    };
    raw("DELETE FROM contact_term; UPDATE contact_term_backfill SET pending = 1").await;
    let store = Store::open_url(url).await.unwrap();
    let found = store.contacts().search(&words(), 5).await.unwrap();
    assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), vec![c.id]);
    store.close().await;
    // Done once: terms lost later are not written again at the next open.
    raw("DELETE FROM contact_term").await;
    let store = Store::open_url(url).await.unwrap();
    assert!(store
        .contacts()
        .search(&words(), 5)
        .await
        .unwrap()
        .is_empty());
    store.close().await;
}

#[tokio::test]
async fn contacts_are_indexed_for_search_at_open() {
    let dir = std::env::temp_dir().join(format!("candor-store-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    terms_are_written_at_open(&format!("sqlite://{}?mode=rwc", dir.join("c.db").display())).await;
    if let Some(url) =
        candor_store::testing::fresh_pg_url("contacts_are_indexed_for_search_at_open").await
    {
        terms_are_written_at_open(&url).await;
    }
}

/// Accented letters against case-insensitive filters. SQLite's `LIKE` and `lower()`
/// fold only ASCII letters, PostgreSQL's `ILIKE` folds every letter: `évry` finds
/// `Évry` on PostgreSQL only. Contact names agree since they are searched through the
/// folded search terms; a segment's text conditions and the company list's name
/// filter still need folded values of their own.
async fn accent_outcomes(store: &Store) -> Vec<(&'static str, String)> {
    let shown =
        |r: Result<i64, StoreError>| r.map_or_else(|_| "an error".to_owned(), |n| n.to_string());
    let mut out = Vec::new();
    let mut c = person(Some("edge-city@example.com"), "Éclat");
    c.data.city = Some(City::from_stored("Évry".into()));
    insert(store, &c, Some("hash-edge-city")).await;
    let contains = |s: &str| SegmentCondition::Text {
        column: "city",
        op: TextOp::Contains(s.into()),
    };
    let n = store.segments().count(&[contains("évry")]).await;
    out.push(("Segments::count, city `Évry` contains `évry`", shown(n)));
    let by_name = candor_store::ContactFilter {
        name_prefix: Some("éclat".into()),
        ..Default::default()
    };
    let n = store.contacts().list(&by_name, page(None, 10)).await;
    out.push((
        "Contacts::list, last name `Éclat` starts with `éclat`",
        shown(n.map(|v| v.len() as i64)),
    ));
    let co = company("Éclair Example", None);
    store.companies().insert(&co).await.unwrap();
    let n = store.companies().list(Some("éclair"), page(None, 10)).await;
    out.push((
        "Companies::list, name `Éclair Example` starts with `éclair`",
        shown(n.map(|v| v.len() as i64)),
    ));
    out
}

/// Inputs on which the backends once disagreed: an empty `in` list (PostgreSQL
/// refused `IN ()`), and a time finer than the microsecond written by the bulk path
/// (PostgreSQL's `COPY` rounded it where every other path truncates).
async fn edge_outcomes(store: &Store) -> Vec<(&'static str, String)> {
    let shown =
        |r: Result<i64, StoreError>| r.map_or_else(|_| "an error".to_owned(), |n| n.to_string());
    let mut out = Vec::new();
    let empty = SegmentCondition::Text {
        column: "city",
        op: TextOp::In(vec![]),
    };
    let n = store.segments().count(&[empty]).await;
    out.push(("Segments::count, city in an empty list", shown(n)));
    let mut t = person(Some("edge-time@example.com"), "Sample");
    t.created_at = datetime!(2026-01-01 10:00:00.9999995 UTC);
    let rows = Store::import_rows(ImportBatch {
        created: vec![(t.clone(), None)],
        ..Default::default()
    });
    store.bench().write_raw(&rows).await.unwrap();
    let back = store.contacts().get(t.id).await.unwrap().unwrap();
    out.push((
        "Bench::write_raw, created_at 10:00:00.9999995 reads back as",
        back.created_at.time().to_string(),
    ));
    out
}

/// The two sets of outcomes, line by line, where they differ.
fn differences(lite: &[(&'static str, String)], pg: &[(&'static str, String)]) -> Vec<String> {
    lite.iter()
        .zip(pg)
        .filter(|(a, b)| a.1 != b.1)
        .map(|((what, a), (_, b))| format!("{what}: sqlite {a}, postgres {b}"))
        .collect()
}

#[tokio::test]
async fn the_backends_agree_on_edge_inputs() {
    let Some(url) = candor_store::testing::fresh_pg_url("the_backends_agree_on_edge_inputs").await
    else {
        return;
    };
    let lite = edge_outcomes(&sqlite().await).await;
    let pg = edge_outcomes(&Store::open_url(&url).await.unwrap()).await;
    assert_eq!(lite[0].1, "0", "an empty list matches no one");
    assert_eq!(lite[1].1, "10:00:00.999999", "truncated to the microsecond");
    let disagree = differences(&lite, &pg);
    assert!(disagree.is_empty(), "{disagree:#?}");
}

/// The one disagreement left, kept visible: `--ignored` runs it.
#[tokio::test]
#[ignore = "SQLite folds only ASCII letters: segment text conditions and company names are not folded yet"]
async fn accented_letters_fold_alike_on_both_backends() {
    let Some(url) =
        candor_store::testing::fresh_pg_url("accented_letters_fold_alike_on_both_backends").await
    else {
        return;
    };
    let lite = accent_outcomes(&sqlite().await).await;
    let pg = accent_outcomes(&Store::open_url(&url).await.unwrap()).await;
    let disagree = differences(&lite, &pg);
    assert!(disagree.is_empty(), "{disagree:#?}");
}
