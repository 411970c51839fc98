//! The store contract: the behaviour every backend must have. It runs on SQLite here;
//! each backend module runs the same `suite`.

use candor_domain::audit::{AccessEvent, AuditAction};
use candor_domain::contact::{Contact, ContactData, ContactKind};
use candor_domain::personal::{Email, Locale, PersonName};
use candor_store::{ContactFilter, Page, Store, StoreError};
use std::collections::BTreeMap;
use uuid::Uuid;

fn contact(email: &str) -> Contact {
    let now = time::OffsetDateTime::now_utc();
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
        .insert_contact(&a, Some("hash-a"), vec![])
        .await
        .unwrap();
    let back = store.get_contact(a.id).await.unwrap().unwrap();
    assert_eq!(back.data.email, a.data.email);
    assert_eq!(back.created_at, a.created_at);
    let dup = contact("a@example.com");
    match store
        .insert_contact(&dup, Some("hash-a"), vec![read(dup.id)])
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

async fn suite(store: Store) {
    contacts_round_trip_and_refuse_a_second_email(&store).await;
    audit_chains_link_per_subject_and_verify(&store).await;
}

#[tokio::test]
async fn sqlite_meets_the_store_contract() {
    let dir = std::env::temp_dir().join(format!("candor-store-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    suite(Store::open_file(&dir.join("c.db")).await.unwrap()).await;
}
