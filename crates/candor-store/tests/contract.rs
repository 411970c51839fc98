//! The store contract: the behaviour every backend must have. It runs on SQLite here;
//! each backend module runs the same `suite`.

use candor_domain::audit::{AccessEvent, AuditAction};
use candor_domain::contact::{Contact, ContactData, ContactKind};
use candor_domain::personal::{Email, Locale, PersonName};
use candor_store::{ContactFilter, Page, Store, StoreError};
use std::collections::BTreeMap;
use uuid::Uuid;

fn contact(email: &str) -> Contact {
    let now = candor_domain::clock::to_micros(time::OffsetDateTime::now_utc());
    Contact {
        id: Uuid::now_v7(),
        data: ContactData {
            kind: ContactKind::B2c,
            company_id: None,
            first_name: None,
            last_name: PersonName::parse("last_name", "Durand").unwrap(),
            email: Some(Email::parse("email", email).unwrap()),
            phone: None,
            locale: Locale::Fr,
            address_line: None,
            postal_code: None,
            city: None,
            country: None,
            notes: None,
            custom: BTreeMap::new(),
        },
        created_at: now,
        updated_at: now,
        newsletter_subscribed_at: None,
        newsletter_open_rate: None,
    }
}

fn read(subject: Uuid) -> AccessEvent {
    AccessEvent {
        subject_id: subject,
        actor: "token:test".into(),
        action: AuditAction::Read,
        fields: vec!["last_name".into()],
        endpoint: "GET /api/v1/contacts/{id}".into(),
        at: time::OffsetDateTime::now_utc(),
    }
}

async fn contacts_round_trip_and_refuse_a_second_email(store: &Store) {
    let a = contact("a@example.com");
    store
        .insert_contact(&a, Some("hash-a"), vec![], None)
        .await
        .unwrap();
    let back = store.get_contact(a.id).await.unwrap().unwrap();
    assert_eq!(back.data.email, a.data.email);
    assert_eq!(back.created_at, a.created_at);
    let dup = contact("a@example.com");
    match store
        .insert_contact(&dup, Some("hash-a"), vec![read(dup.id)], None)
        .await
    {
        Err(StoreError::Duplicate {
            field: "email",
            existing,
        }) => assert_eq!(existing, Some(a.id)),
        other => panic!("expected a duplicate, got {other:?}"),
    }
    assert!(
        store.list_audit(dup.id, 10).await.unwrap().is_empty(),
        "a refused write leaves no audit entry"
    );
    let found = store
        .list_contacts(
            &ContactFilter {
                email_hash: Some("hash-a".into()),
                ..Default::default()
            },
            Page {
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert!(store.delete_contact(a.id, vec![]).await.unwrap());
    assert!(!store.delete_contact(a.id, vec![]).await.unwrap());
}

async fn audit_chains_link_per_subject_and_verify(store: &Store) {
    let subject = Uuid::now_v7();
    for _ in 0..3 {
        store
            .append_audit(vec![read(subject), read(Uuid::now_v7())])
            .await
            .unwrap();
    }
    let entries = store.list_audit(subject, 10).await.unwrap();
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 2, 1]);
    assert_eq!(entries[0].prev_hash, entries[1].hash);
    let report = store.verify_audit().await.unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);
    assert!(report.entries >= 6);
}

/// Staff sessions (X3): a deleted session stays deleted, even when a request that
/// began before the logout saves it afterwards; an expired one is not loaded.
async fn sessions_end_for_good(store: &Store) {
    let now = time::OffsetDateTime::now_utc();
    let later = now + time::Duration::minutes(30);
    assert!(store.create_session("s1", "{}", later).await.unwrap());
    assert!(
        !store.create_session("s1", "{}", later).await.unwrap(),
        "ids are unique"
    );
    store.save_session("s1", r#"{"k":1}"#, later).await.unwrap();
    let (data, _) = store.load_session("s1", now).await.unwrap().unwrap();
    assert_eq!(data, r#"{"k":1}"#);
    store.delete_session("s1").await.unwrap();
    store.save_session("s1", "{}", later).await.unwrap();
    assert!(store.load_session("s1", now).await.unwrap().is_none());
    assert!(store
        .create_session("s2", "{}", now + time::Duration::seconds(1))
        .await
        .unwrap());
    let after = now + time::Duration::seconds(2);
    assert!(store.load_session("s2", after).await.unwrap().is_none());
}

/// The audit search: by contact, by actor and by dates, newest first.
async fn audit_search_filters_by_contact_actor_and_date(store: &Store) {
    let subject = Uuid::now_v7();
    let mut e = read(subject);
    e.actor = "user:search-test".into();
    store
        .append_audit(vec![e.clone(), read(subject)])
        .await
        .unwrap();
    let by_actor = candor_store::AuditFilter {
        actor: Some("user:search-test".into()),
        ..Default::default()
    };
    let found = store.search_audit(&by_actor, 10).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].subject_id, subject);
    let by_subject = candor_store::AuditFilter {
        subject_id: Some(subject),
        ..Default::default()
    };
    assert_eq!(store.search_audit(&by_subject, 10).await.unwrap().len(), 2);
    let today = time::OffsetDateTime::now_utc()
        .date()
        .midnight()
        .assume_utc();
    let tomorrow = today + time::Duration::days(1);
    let in_day = candor_store::AuditFilter {
        subject_id: Some(subject),
        from: Some(today),
        until: Some(tomorrow),
        ..Default::default()
    };
    assert_eq!(store.search_audit(&in_day, 10).await.unwrap().len(), 2);
    let before = candor_store::AuditFilter {
        subject_id: Some(subject),
        until: Some(today),
        ..Default::default()
    };
    assert!(store.search_audit(&before, 10).await.unwrap().is_empty());
}

async fn suite(store: Store) {
    contacts_round_trip_and_refuse_a_second_email(&store).await;
    audit_chains_link_per_subject_and_verify(&store).await;
    sessions_end_for_good(&store).await;
    audit_search_filters_by_contact_actor_and_date(&store).await;
}

async fn sqlite() -> Store {
    let dir = std::env::temp_dir().join(format!("candor-store-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    Store::open_file(&dir.join("c.db")).await.unwrap()
}

#[tokio::test]
async fn sqlite_meets_the_store_contract() {
    suite(sqlite().await).await;
}

#[tokio::test]
async fn postgres_meets_the_store_contract() {
    let Some(url) = candor_store::testing::fresh_pg_url("postgres_meets_the_store_contract").await
    else {
        return;
    };
    suite(Store::open_url(&url).await.unwrap()).await;
}

/// O4: one migration tree per backend, kept with the same tables, columns and indexes.
#[tokio::test]
async fn the_two_backends_have_the_same_schema() {
    let Some(url) =
        candor_store::testing::fresh_pg_url("the_two_backends_have_the_same_schema").await
    else {
        return;
    };
    let lite = sqlite().await.schema().await.unwrap();
    let pg = Store::open_url(&url).await.unwrap().schema().await.unwrap();
    assert!(lite.columns.contains_key("contact") && lite.indexes.contains("contact_email_key"));
    assert_eq!(
        lite.columns, pg.columns,
        "columns drifted between migrations/sqlite and migrations/postgres"
    );
    assert_eq!(
        lite.indexes, pg.indexes,
        "indexes drifted between migrations/sqlite and migrations/postgres"
    );
}

/// Two writers appending to one subject's chain at once must queue, not fork it.
#[tokio::test]
async fn concurrent_audit_writers_keep_one_chain_per_subject() {
    let mut stores = vec![sqlite().await];
    if let Some(url) =
        candor_store::testing::fresh_pg_url("concurrent_audit_writers_keep_one_chain_per_subject")
            .await
    {
        stores.push(Store::open_url(&url).await.unwrap());
    }
    for store in stores {
        let subject = Uuid::now_v7();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let s = store.clone();
                tokio::spawn(async move {
                    for _ in 0..10 {
                        s.append_audit(vec![read(subject)]).await.unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let entries = store.list_audit(subject, 1000).await.unwrap();
        assert_eq!(entries.len(), 80, "{}", store.backend());
        let report = store.verify_audit().await.unwrap();
        assert!(
            report.breaks.is_empty(),
            "{}: {:?}",
            store.backend(),
            report.breaks
        );
    }
}

/// O4: the event table partitioned by subject, as a distributed engine would shard it,
/// serves the same queries; each subject's entries stay in one partition.
#[tokio::test]
async fn audit_queries_work_on_a_hash_partitioned_event_table() {
    let Some(url) =
        candor_store::testing::fresh_pg_url("audit_queries_work_on_a_hash_partitioned_event_table")
            .await
    else {
        return;
    };
    let store = Store::open_url(&url).await.unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let mut ddl = vec![
        "ALTER TABLE audit_entry RENAME TO audit_entry_plain".to_owned(),
        "CREATE TABLE audit_entry (LIKE audit_entry_plain INCLUDING ALL) PARTITION BY HASH (subject_id)".to_owned(),
    ];
    for r in 0..4 {
        ddl.push(format!("CREATE TABLE audit_entry_p{r} PARTITION OF audit_entry FOR VALUES WITH (MODULUS 4, REMAINDER {r})"));
    }
    ddl.push("DROP TABLE audit_entry_plain".to_owned());
    for stmt in ddl {
        sqlx::query(&stmt).execute(&pool).await.unwrap();
    }

    let subjects: Vec<Uuid> = (0..24).map(|_| Uuid::now_v7()).collect();
    for _ in 0..3 {
        store
            .append_audit(subjects.iter().map(|s| read(*s)).collect())
            .await
            .unwrap();
    }
    let one = store.list_audit(subjects[5], 10).await.unwrap();
    assert_eq!(one.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 2, 1]);
    let report = store.verify_audit().await.unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);
    assert_eq!(report.entries, 72);

    let (partitions, split): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(DISTINCT tableoid) FROM audit_entry), \
                (SELECT COUNT(*) FROM (SELECT subject_id FROM audit_entry GROUP BY subject_id \
                 HAVING COUNT(DISTINCT tableoid) > 1) s)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(partitions > 1, "the entries all landed in one partition");
    assert_eq!(split, 0, "a subject's entries were split across partitions");
}

mod consent_ledger {
    use super::*;
    use candor_domain::consent::{
        self, Action, Channel, ConsentDraft, ConsentState, Evidence, Source, Status,
    };

    fn draft(
        subject: Uuid,
        purpose: &str,
        channel: Channel,
        action: Action,
        pending: Option<&str>,
    ) -> ConsentDraft {
        ConsentDraft {
            subject_id: subject,
            purpose: purpose.into(),
            channel,
            action,
            pending: pending.map(str::to_owned),
            source: Source::Api,
            evidence: Evidence {
                recorded_by: Some("token:test".into()),
                ..Default::default()
            },
            at: time::OffsetDateTime::now_utc(),
        }
    }

    /// C2: the stored projection is exactly the fold of the stored ledger.
    pub async fn the_projection_is_the_fold_of_the_ledger(store: &Store) {
        let subject = Uuid::now_v7();
        let steps = [
            draft(
                subject,
                "newsletter",
                Channel::Email,
                Action::Grant,
                Some(consent::PENDING_DOUBLE_OPT_IN),
            ),
            draft(subject, "marketing", Channel::Sms, Action::Grant, None),
            draft(subject, "newsletter", Channel::Email, Action::Confirm, None),
            draft(subject, "commercial", Channel::Phone, Action::Refuse, None),
            draft(subject, "marketing", Channel::Sms, Action::Withdraw, None),
        ];
        for d in steps {
            store.append_consent(d, None, None).await.unwrap();
        }
        let events = store.consent_events(subject).await.unwrap();
        assert_eq!(
            events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
        let mut folded: std::collections::BTreeMap<(String, &str), ConsentState> =
            Default::default();
        for e in &events {
            let key = (e.purpose.clone(), e.channel.as_str());
            let next = consent::apply(folded.get(&key), e);
            folded.insert(key, next);
        }
        let stored = store.consent_states(subject).await.unwrap();
        assert_eq!(stored, folded.into_values().collect::<Vec<_>>());
        let newsletter = stored.iter().find(|s| s.purpose == "newsletter").unwrap();
        assert_eq!(newsletter.status, Status::Effective);
        assert_eq!(newsletter.first_opt_in_source, Some(Source::Api));
        let report = store.verify_consents().await.unwrap();
        assert!(report.breaks.is_empty(), "{:?}", report.breaks);
    }
}

#[tokio::test]
async fn the_consent_projection_is_the_fold_of_the_ledger_on_both_backends() {
    consent_ledger::the_projection_is_the_fold_of_the_ledger(&sqlite().await).await;
    if let Some(url) = candor_store::testing::fresh_pg_url(
        "the_consent_projection_is_the_fold_of_the_ledger (postgres)",
    )
    .await
    {
        consent_ledger::the_projection_is_the_fold_of_the_ledger(
            &Store::open_url(&url).await.unwrap(),
        )
        .await;
    }
}

/// Queues `n` emails, each caused by a new contact, as the consent request does.
async fn queue_mails(store: &Store, n: usize) {
    let now = candor_domain::clock::to_micros(time::OffsetDateTime::now_utc());
    for i in 0..n {
        let c = contact(&format!("worker{i}@example.com"));
        let token = candor_store::ConsentToken {
            token_hash: format!("t{i}"),
            kind: candor_store::TokenKind::Request,
            subject_id: c.id,
            purpose: "*".into(),
            channel: candor_domain::consent::Channel::Email,
            created_at: now,
            expires_at: now + time::Duration::days(30),
            used_at: None,
        };
        let mail = candor_store::QueuedMail {
            id: Uuid::now_v7(),
            subject_id: Some(c.id),
            message_id: format!("<{}@candor>", Uuid::now_v7()),
            category: "consent_request".into(),
            recipient: format!("worker{i}@example.com"),
            locale: "fr".into(),
            mail_subject: "s".into(),
            body_text: "b".into(),
            body_html: "<p>b</p>".into(),
            created_at: now,
            list_unsubscribe: None,
        };
        store
            .insert_contact(&c, Some(&format!("h{i}")), vec![], Some((&token, &mail)))
            .await
            .unwrap();
    }
}

/// Two delivery workers drain one queue at once: every message is taken exactly once
/// (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one writer).
async fn two_workers_never_take_the_same_message(store: Store) {
    const N: usize = 300;
    queue_mails(&store, N).await;
    let worker = |store: Store| {
        tokio::spawn(async move {
            let mut taken = Vec::new();
            loop {
                let now = time::OffsetDateTime::now_utc();
                let batch = store.claim_mail(now, 7).await.unwrap();
                if batch.is_empty() {
                    break;
                }
                for e in batch {
                    store.mark_sent(e.mail.id, now).await.unwrap();
                    taken.push(e.mail.id);
                }
                tokio::task::yield_now().await;
            }
            taken
        })
    };
    let (a, b) = (worker(store.clone()), worker(store.clone()));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert!(
        !a.is_empty() && !b.is_empty(),
        "both workers took part: {} / {}",
        a.len(),
        b.len()
    );
    let mut all: Vec<Uuid> = a.into_iter().chain(b).collect();
    let total = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), total, "a message was taken twice");
    assert_eq!(total, N);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_sqlite() {
    two_workers_never_take_the_same_message(sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_postgres() {
    let Some(url) = candor_store::testing::fresh_pg_url("two_workers_on_postgres").await else {
        return;
    };
    two_workers_never_take_the_same_message(Store::open_url(&url).await.unwrap()).await;
}
