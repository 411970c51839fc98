//! The store contract: the behaviour every backend must have. It runs on SQLite here;
//! each backend module runs the same `suite`.

use candor_domain::audit::{AccessEvent, AuditAction};
use candor_domain::consent::{Action, Channel, Status};
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
        .contacts()
        .insert(&a, Some("hash-a"), vec![], None)
        .await
        .unwrap();
    let back = store.contacts().get(a.id).await.unwrap().unwrap();
    assert_eq!(back.data.email, a.data.email);
    assert_eq!(back.created_at, a.created_at);
    let dup = contact("a@example.com");
    match store
        .contacts()
        .insert(&dup, Some("hash-a"), vec![read(dup.id)], None)
        .await
    {
        Err(StoreError::Duplicate {
            field: "email",
            existing,
        }) => assert_eq!(existing, Some(a.id)),
        other => panic!("expected a duplicate, got {other:?}"),
    }
    assert!(
        store.audit().list(dup.id, 10).await.unwrap().is_empty(),
        "a refused write leaves no audit entry"
    );
    let found = store
        .contacts()
        .list(
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
    assert!(store.contacts().delete(a.id, vec![]).await.unwrap());
    assert!(!store.contacts().delete(a.id, vec![]).await.unwrap());
}

async fn audit_chains_link_per_subject_and_verify(store: &Store) {
    let subject = Uuid::now_v7();
    for _ in 0..3 {
        store
            .audit()
            .append(vec![read(subject), read(Uuid::now_v7())])
            .await
            .unwrap();
    }
    let entries = store.audit().list(subject, 10).await.unwrap();
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 2, 1]);
    assert_eq!(entries[0].prev_hash, entries[1].hash);
    let report = store.audit().verify().await.unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);
    assert!(report.entries >= 6);
}

/// Staff sessions (X3): a deleted session stays deleted, even when a request that
/// began before the logout saves it afterwards; an expired one is not loaded.
async fn sessions_end_for_good(store: &Store) {
    let now = time::OffsetDateTime::now_utc();
    let later = now + time::Duration::minutes(30);
    assert!(store.sessions().create("s1", "{}", later).await.unwrap());
    assert!(
        !store.sessions().create("s1", "{}", later).await.unwrap(),
        "ids are unique"
    );
    store
        .sessions()
        .save("s1", r#"{"k":1}"#, later)
        .await
        .unwrap();
    let (data, _) = store.sessions().load("s1", now).await.unwrap().unwrap();
    assert_eq!(data, r#"{"k":1}"#);
    store.sessions().delete("s1").await.unwrap();
    store.sessions().save("s1", "{}", later).await.unwrap();
    assert!(store.sessions().load("s1", now).await.unwrap().is_none());
    assert!(store
        .sessions()
        .create("s2", "{}", now + time::Duration::seconds(1))
        .await
        .unwrap());
    let after = now + time::Duration::seconds(2);
    assert!(store.sessions().load("s2", after).await.unwrap().is_none());
}

/// The audit search: by contact, by actor and by dates, newest first.
async fn audit_search_filters_by_contact_actor_and_date(store: &Store) {
    let subject = Uuid::now_v7();
    let mut e = read(subject);
    e.actor = "user:search-test".into();
    store
        .audit()
        .append(vec![e.clone(), read(subject)])
        .await
        .unwrap();
    let by_actor = candor_store::AuditFilter {
        actor: Some("user:search-test".into()),
        ..Default::default()
    };
    let found = store.audit().search(&by_actor, 10).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].subject_id, subject);
    let by_subject = candor_store::AuditFilter {
        subject_id: Some(subject),
        ..Default::default()
    };
    assert_eq!(
        store.audit().search(&by_subject, 10).await.unwrap().len(),
        2
    );
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
    assert_eq!(store.audit().search(&in_day, 10).await.unwrap().len(), 2);
    let before = candor_store::AuditFilter {
        subject_id: Some(subject),
        until: Some(today),
        ..Default::default()
    };
    assert!(store.audit().search(&before, 10).await.unwrap().is_empty());
    // Pages follow each other with no entry twice and none left out, the instants tied
    // or not.
    let other = Uuid::now_v7();
    let at = time::macros::datetime!(2026-03-01 09:00 UTC);
    let mut tied = Vec::new();
    for (s, dt) in [
        (subject, 0),
        (other, 0),
        (other, 0),
        (subject, 1),
        (other, 2),
    ] {
        tied.push(AccessEvent {
            at: at - time::Duration::seconds(dt),
            actor: "user:pages".into(),
            ..read(s)
        });
    }
    store.audit().append(tied).await.unwrap();
    let mut filter = candor_store::AuditFilter {
        actor: Some("user:pages".into()),
        ..Default::default()
    };
    let everything = store.audit().search(&filter, 100).await.unwrap();
    assert_eq!(everything.len(), 5);
    let mut paged = Vec::new();
    loop {
        let page = store.audit().search(&filter, 2).await.unwrap();
        let Some(last) = page.last() else { break };
        filter.after = Some(candor_store::AuditCursor {
            at: last.at,
            subject_id: last.subject_id,
            seq: last.seq,
        });
        paged.extend(page.iter().map(|e| e.id));
    }
    assert_eq!(
        paged,
        everything.iter().map(|e| e.id).collect::<Vec<_>>(),
        "{}",
        store.backend()
    );
}

/// Instants compare as instants on both backends, whatever their fraction: on SQLite,
/// variable-length text had `10:00:05Z` sort after `10:00:05.1Z`, so audit search and
/// the outbox's claim of due mail picked the wrong rows.
async fn timestamps_compare_as_instants(store: &Store) {
    use time::macros::datetime;
    let subject = Uuid::now_v7();
    let at = |t| AccessEvent {
        at: t,
        ..read(subject)
    };
    let (t0, t1, t2) = (
        datetime!(2026-01-01 10:00:05 UTC),
        datetime!(2026-01-01 10:00:05.1 UTC),
        datetime!(2026-01-01 10:00:05.05 UTC),
    );
    store
        .audit()
        .append(vec![at(t0), at(t1), at(t2)])
        .await
        .unwrap();
    let mid = datetime!(2026-01-01 10:00:05.06 UTC);
    let search = |from, until| candor_store::AuditFilter {
        subject_id: Some(subject),
        from,
        until,
        ..Default::default()
    };
    let after: Vec<_> = store
        .audit()
        .search(&search(Some(mid), None), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.at)
        .collect();
    assert_eq!(after, [t1], "{}", store.backend());
    let before: Vec<_> = store
        .audit()
        .search(&search(None, Some(mid)), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.at)
        .collect();
    assert_eq!(before, [t2, t0], "newest first: {}", store.backend());
    // A message due at a whole second is due half a second later.
    let c = contact("due@example.com");
    let mail = candor_store::QueuedMail {
        id: Uuid::now_v7(),
        subject_id: Some(c.id),
        message_id: format!("<{}@candor>", Uuid::now_v7()),
        category: "consent_request".into(),
        recipient: "due@example.com".into(),
        locale: "fr".into(),
        mail_subject: "s".into(),
        body_text: "b".into(),
        body_html: "<p>b</p>".into(),
        created_at: t0,
        list_unsubscribe: None,
        attachment: None,
        forget_after_send: false,
    };
    let token = candor_store::ConsentToken {
        token_hash: format!("due-{}", c.id),
        kind: candor_store::TokenKind::Request,
        subject_id: c.id,
        purpose: "*".into(),
        channel: candor_domain::consent::Channel::Email,
        created_at: t0,
        expires_at: t0 + time::Duration::days(30),
        used_at: None,
    };
    store
        .contacts()
        .insert(&c, Some("hash-due"), vec![], Some((&token, &mail)))
        .await
        .unwrap();
    let claimed = store
        .outbox()
        .claim(datetime!(2026-01-01 10:00:05.5 UTC), 10, "node-a")
        .await
        .unwrap();
    assert_eq!(
        claimed.iter().map(|e| e.mail.id).collect::<Vec<_>>(),
        [mail.id],
        "{}",
        store.backend()
    );
}

async fn suite(store: Store) {
    timestamps_compare_as_instants(&store).await;
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

/// O4: one migration tree per backend, kept with the same tables, columns (mapped
/// types and nullability), primary keys, unique keys, references and indexes.
#[tokio::test]
async fn the_two_backends_have_the_same_schema() {
    let Some(url) =
        candor_store::testing::fresh_pg_url("the_two_backends_have_the_same_schema").await
    else {
        return;
    };
    let lite = sqlite().await.schema().await.unwrap();
    let pg = Store::open_url(&url).await.unwrap().schema().await.unwrap();
    let contact = &lite.tables["contact"];
    assert!(lite.indexes.contains("contact_email_key"));
    assert!(
        contact.unique.contains(&vec!["email_hash".to_owned()]),
        "{contact:?}"
    );
    assert_eq!(contact.primary_key, ["id"]);
    assert!(contact
        .foreign_keys
        .contains(&("company_id".into(), "company".into(), "id".into())));
    assert_eq!(
        lite.tables.keys().collect::<Vec<_>>(),
        pg.tables.keys().collect::<Vec<_>>(),
        "tables drifted between migrations/sqlite and migrations/postgres"
    );
    for (name, t) in &lite.tables {
        let p = &pg.tables[name];
        for c in t.columns.iter().chain(&p.columns) {
            assert_ne!(
                c.kind,
                candor_store::ColumnKind::Other,
                "{name}.{}: a type the mapping does not know",
                c.name
            );
        }
        assert_eq!(
            t.columns, p.columns,
            "{name}: columns (names, mapped types, nullability) drifted"
        );
        assert_eq!(t.primary_key, p.primary_key, "{name}: primary key drifted");
        assert_eq!(t.unique, p.unique, "{name}: unique keys drifted");
        assert_eq!(t.foreign_keys, p.foreign_keys, "{name}: references drifted");
    }
    assert_eq!(
        lite.indexes, pg.indexes,
        "indexes drifted between migrations/sqlite and migrations/postgres"
    );
}

/// Rows written before the fixed-width form (RFC 3339 text of any fraction, with an
/// offset) are converted by the migration: text order becomes time order.
#[tokio::test]
async fn sqlite_migration_makes_old_timestamps_fixed_width() {
    let dir = std::env::temp_dir().join(format!("candor-store-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("c.db");
    let store = Store::open_file(&file).await.unwrap();
    store.close().await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", file.display()))
        .await
        .unwrap();
    for (id, at) in [
        (
            "00000000-0000-7000-8000-000000000001",
            "2026-01-01T10:00:05Z",
        ),
        (
            "00000000-0000-7000-8000-000000000002",
            "2026-01-01T10:00:05.1Z",
        ),
        (
            "00000000-0000-7000-8000-000000000003",
            "2026-01-01T12:00:04.999+02:00",
        ),
        (
            "00000000-0000-7000-8000-000000000004",
            "2026-01-01T10:00:05.123456Z",
        ),
    ] {
        sqlx::query("INSERT INTO audit_entry (id, subject_id, seq, actor, action, fields, endpoint, at, prev_hash, hash) VALUES ($1, $1, 1, 'a', 'read', '[]', 'e', $2, 'p', 'h')")
            .bind(id)
            .bind(at)
            .execute(&pool)
            .await
            .unwrap();
    }
    sqlx::raw_sql(include_str!(
        "../migrations/sqlite/0009_fixed_width_timestamps.sql"
    ))
    .execute(&pool)
    .await
    .unwrap();
    let rows: Vec<String> = sqlx::query_scalar("SELECT at FROM audit_entry ORDER BY at")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        rows,
        [
            "2026-01-01T10:00:04.999000Z",
            "2026-01-01T10:00:05.000000Z",
            "2026-01-01T10:00:05.100000Z",
            "2026-01-01T10:00:05.123456Z",
        ]
    );
}

/// A database made before the tables were STRICT keeps every row through migration
/// 0011 (no parent's rebuild cascades to its children), its references still hold, and
/// a value of the wrong type, such as a raw UUID (a BLOB to SQLite), is then refused.
#[tokio::test]
async fn sqlite_strict_tables_keep_every_row_and_refuse_a_wrong_bind() {
    let dir = std::env::temp_dir().join(format!("candor-store-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("c.db");
    let url = format!("sqlite:{}?mode=rwc", file.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    // The migrations before 0011, as a database made then was migrated.
    let earlier = dir.join("migrations");
    std::fs::create_dir_all(&earlier).unwrap();
    // Embedded, so the test reads them wherever its binary runs from.
    for (name, sql) in [
        (
            "0001_foundation.sql",
            include_str!("../migrations/sqlite/0001_foundation.sql"),
        ),
        (
            "0002_consent.sql",
            include_str!("../migrations/sqlite/0002_consent.sql"),
        ),
        (
            "0003_outbox.sql",
            include_str!("../migrations/sqlite/0003_outbox.sql"),
        ),
        (
            "0004_import.sql",
            include_str!("../migrations/sqlite/0004_import.sql"),
        ),
        (
            "0005_contracts.sql",
            include_str!("../migrations/sqlite/0005_contracts.sql"),
        ),
        (
            "0006_campaigns.sql",
            include_str!("../migrations/sqlite/0006_campaigns.sql"),
        ),
        (
            "0007_staff.sql",
            include_str!("../migrations/sqlite/0007_staff.sql"),
        ),
        (
            "0008_sessions.sql",
            include_str!("../migrations/sqlite/0008_sessions.sql"),
        ),
        (
            "0009_fixed_width_timestamps.sql",
            include_str!("../migrations/sqlite/0009_fixed_width_timestamps.sql"),
        ),
        (
            "0010_import_counts.sql",
            include_str!("../migrations/sqlite/0010_import_counts.sql"),
        ),
    ] {
        std::fs::write(earlier.join(name), sql).unwrap();
    }
    sqlx::migrate::Migrator::new(earlier.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let rows = [
        "INSERT INTO company VALUES ('c1', 'Acme', NULL, 'FR', NULL, NULL, NULL, 't', 't')",
        "INSERT INTO contact (id, kind, company_id, last_name, locale, created_at, updated_at) VALUES ('p1', 'b2b', 'c1', 'Durand', 'fr', 't', 't')",
        "INSERT INTO customer_order VALUES ('o1', 'p1', 't', 'EUR', 500, '[]')",
        "INSERT INTO activity VALUES ('a1', 'p1', 'visit', 't', '{}')",
        "INSERT INTO contract VALUES ('k1', 'p1', NULL, 'R-1', 'active', '2026-01-01', NULL, 't', 't')",
        "INSERT INTO segment VALUES ('s1', 'All', '[]', 'u', 't')",
        "INSERT INTO campaign VALUES ('g1', 'News', 'newsletter', 'email', 's1', '{}', 'sent', NULL, 'u', 't', NULL)",
        "INSERT INTO campaign_recipient VALUES ('p1', 'g1', 'm1', 't')",
    ];
    for sql in rows {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;

    let store = Store::open_file(&file).await.unwrap();
    store.close().await;
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    for table in [
        "company",
        "contact",
        "customer_order",
        "activity",
        "contract",
        "segment",
        "campaign",
        "campaign_recipient",
    ] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(n, 1, "{table} kept its row");
        let strict: String =
            sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1")
                .bind(table)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert!(strict.ends_with("STRICT"), "{table} is STRICT: {strict}");
    }
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(broken.is_empty(), "no reference broken: {broken:?}");
    let orphan =
        sqlx::query("INSERT INTO customer_order VALUES ('o2', 'nobody', 't', 'EUR', 1, '[]')")
            .execute(&pool)
            .await;
    assert!(orphan.is_err(), "references are still enforced");
    let raw = sqlx::query("INSERT INTO activity VALUES ($1, 'p1', 'visit', 't', '{}')")
        .bind(Uuid::now_v7())
        .execute(&pool)
        .await;
    let err = raw
        .expect_err("a raw UUID is refused by a text id column")
        .to_string();
    assert!(err.contains("BLOB"), "{err}");
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM activity")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 1, "the refused row changed nothing");
    // Deleting the person still cascades to what is theirs (the references were renamed
    // with the tables, not left on the old ones).
    sqlx::query("DELETE FROM campaign_recipient")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM contact WHERE id = 'p1'")
        .execute(&pool)
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM customer_order")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

/// `verify` folds the ledger again and names a current consent changed outside it, and
/// a state no event gives (C2), on both backends.
async fn a_projection_edited_by_hand_is_named(store: Store, edit: impl AsyncFn(&str)) {
    let c = contact("projection@example.com");
    store
        .contacts()
        .insert(&c, Some("hash-projection"), vec![], None)
        .await
        .unwrap();
    let d = consent_ledger::draft(c.id, "newsletter", Channel::Email, Action::Withdraw, None);
    store
        .consents()
        .append(d, None, None, vec![])
        .await
        .unwrap();
    assert!(store
        .consents()
        .verify()
        .await
        .unwrap()
        .projection
        .is_empty());
    edit(&format!(
        "UPDATE consent_state SET status = 'effective' WHERE subject_id = '{}'",
        c.id
    ))
    .await;
    edit(&format!(
        "INSERT INTO consent_state (subject_id, purpose, channel, status, source, since) \
         VALUES ('{}', 'marketing', 'sms', 'effective', 'api', '2026-01-01T00:00:00.000000Z')",
        c.id
    ))
    .await;
    let found = store.consents().verify().await.unwrap().projection;
    let got: Vec<(&str, &str, Option<Status>, Option<Status>)> = found
        .iter()
        .map(|m| (m.purpose.as_str(), m.channel.as_str(), m.stored, m.ledger))
        .collect();
    assert_eq!(
        got,
        [
            ("marketing", "sms", Some(Status::Effective), None),
            (
                "newsletter",
                "email",
                Some(Status::Effective),
                Some(Status::Withdrawn)
            ),
        ]
    );
    assert!(found.iter().all(|m| m.subject == c.id));
}

#[tokio::test]
async fn a_projection_edited_by_hand_is_named_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("candor-store-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("c.db");
    let store = Store::open_file(&file).await.unwrap();
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", file.display()))
        .await
        .unwrap();
    a_projection_edited_by_hand_is_named(store, async |sql: &str| {
        sqlx::query(sql).execute(&pool).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_projection_edited_by_hand_is_named_on_postgres() {
    let Some(url) =
        candor_store::testing::fresh_pg_url("a_projection_edited_by_hand_is_named_on_postgres")
            .await
    else {
        return;
    };
    let store = Store::open_url(&url).await.unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    a_projection_edited_by_hand_is_named(store, async |sql: &str| {
        sqlx::query(sql).execute(&pool).await.unwrap();
    })
    .await;
}

/// Every table of the migrated schema is declared once in the registry, on both
/// backends, and a table added without an entry is named.
#[tokio::test]
async fn the_registry_declares_every_table_of_both_schemas() {
    let mut stores = vec![sqlite().await];
    if let Some(url) =
        candor_store::testing::fresh_pg_url("the_registry_declares_every_table_of_both_schemas")
            .await
    {
        stores.push(Store::open_url(&url).await.unwrap());
    }
    for store in stores {
        let mut schema = store.schema().await.unwrap();
        assert_eq!(
            candor_store::registry::check(&schema),
            Vec::<String>::new(),
            "{}",
            store.backend()
        );
        // A new table with a person's data and no entry fails the check.
        schema.tables.insert("web_visit".into(), Default::default());
        let problems = candor_store::registry::check(&schema);
        assert!(
            problems.len() == 1 && problems[0].contains("`web_visit` is declared 0 times"),
            "{problems:?}"
        );
    }
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
                        s.audit().append(vec![read(subject)]).await.unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let entries = store.audit().list(subject, 1000).await.unwrap();
        assert_eq!(entries.len(), 80, "{}", store.backend());
        let report = store.audit().verify().await.unwrap();
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
            .audit()
            .append(subjects.iter().map(|s| read(*s)).collect())
            .await
            .unwrap();
    }
    let one = store.audit().list(subjects[5], 10).await.unwrap();
    assert_eq!(one.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 2, 1]);
    let report = store.audit().verify().await.unwrap();
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

    pub(super) fn draft(
        subject: Uuid,
        purpose: &str,
        channel: Channel,
        action: Action,
        pending: Option<consent::Pending>,
    ) -> ConsentDraft {
        ConsentDraft {
            subject_id: subject,
            purpose: purpose.into(),
            channel,
            action,
            pending,
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
                Some(consent::Pending::DoubleOptIn),
            ),
            draft(subject, "marketing", Channel::Sms, Action::Grant, None),
            draft(subject, "newsletter", Channel::Email, Action::Confirm, None),
            draft(subject, "commercial", Channel::Phone, Action::Refuse, None),
            draft(subject, "marketing", Channel::Sms, Action::Withdraw, None),
        ];
        for d in steps {
            store
                .consents()
                .append(d, None, None, Vec::new())
                .await
                .unwrap();
        }
        let events = store.consents().events(subject).await.unwrap();
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
        let stored = store.consents().states(subject).await.unwrap();
        assert_eq!(stored, folded.into_values().collect::<Vec<_>>());
        let newsletter = stored.iter().find(|s| s.purpose == "newsletter").unwrap();
        assert_eq!(newsletter.status, Status::Effective);
        assert_eq!(newsletter.first_opt_in_source, Some(Source::Api));
        let report = store.consents().verify().await.unwrap();
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
            attachment: None,
            forget_after_send: false,
        };
        store
            .contacts()
            .insert(&c, Some(&format!("h{i}")), vec![], Some((&token, &mail)))
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
                let batch = store.outbox().claim(now, 7, "node-a").await.unwrap();
                if batch.is_empty() {
                    break;
                }
                for e in batch {
                    store.outbox().mark_sent(e.mail.id, now).await.unwrap();
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
