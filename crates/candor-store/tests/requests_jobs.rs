//! The store's data subject requests and jobs, on both backends: a request and its
//! timeline written and read back, a change that finds another status or no request
//! writes nothing, the restriction a request holds; jobs scheduled once per key,
//! claimed with a lease, done once by the node that holds it, retried, cancelled, and
//! taken back by their node after a restart.

use candor_domain::audit::{AccessEvent, AuditAction};
use candor_domain::consent::{Action, Channel, ConsentDraft, Evidence, Source};
use candor_domain::contact::{Contact, ContactData, ContactKind};
use candor_domain::personal::{Locale, PersonName};
use candor_domain::request::{
    IdentityCheck, RequestChannel, RequestEvent, RequestKind, RequestStatus, Requester,
    SubjectRequest,
};
use candor_store::{JobRecord, RequestChange, RequestFilter, Store, StoreError};
use std::collections::{BTreeMap, HashSet};
use time::macros::date;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

fn now() -> OffsetDateTime {
    candor_domain::clock::to_micros(OffsetDateTime::now_utc())
}

async fn contact(store: &Store) -> Uuid {
    let at = now();
    let c = Contact {
        id: Uuid::now_v7(),
        data: ContactData {
            kind: ContactKind::B2c,
            company_id: None,
            first_name: None,
            last_name: PersonName::parse("last_name", "Sample").unwrap(),
            email: None,
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
    };
    store
        .contacts()
        .insert(&c, None, vec![], None)
        .await
        .unwrap();
    c.id
}

fn request(subject: Option<Uuid>, kind: RequestKind) -> SubjectRequest {
    SubjectRequest {
        id: Uuid::now_v7(),
        subject_id: subject,
        kind,
        channel: RequestChannel::Letter,
        status: RequestStatus::Received,
        received_on: date!(2026 - 01 - 31),
        deadline: date!(2026 - 02 - 28),
        extension: None,
        requester: Requester {
            name: Some("Sample".into()),
            ..Requester::default()
        },
        details: "All you hold on me".into(),
        identity: None,
        refusal: None,
        answer: None,
        recorded_by: "token:requests".into(),
        created_at: now(),
        closed_at: None,
        restriction_lifted_at: None,
        receipt: "{\"request_id\":\"x\"}".into(),
        receipt_signature: "c2ln".into(),
    }
}

fn step(r: &SubjectRequest, action: &str) -> RequestEvent {
    RequestEvent {
        request_id: r.id,
        seq: 0,
        at: now(),
        actor: "token:requests".into(),
        action: action.into(),
        detail: serde_json::json!({"status": r.status.as_str()}),
    }
}

fn audit(subject: Uuid) -> Vec<AccessEvent> {
    vec![AccessEvent {
        subject_id: subject,
        actor: "token:requests".into(),
        action: AuditAction::Update,
        fields: vec!["request.status".into()],
        endpoint: "POST /api/v1/requests/{id}/identity".into(),
        at: now(),
    }]
}

async fn requests(store: &Store) {
    let s = contact(store).await;
    let mut r = request(Some(s), RequestKind::Restriction);
    store
        .requests()
        .insert(&r, &step(&r, "received"), None, audit(s))
        .await
        .unwrap();
    assert_eq!(store.requests().get(r.id).await.unwrap().as_ref(), Some(&r));
    assert!(store.requests().restricted(s).await.unwrap());
    assert_eq!(
        store.requests().restricted_subjects().await.unwrap(),
        HashSet::from([s])
    );

    // A request of a person no contact matched.
    let stranger = request(None, RequestKind::Access);
    store
        .requests()
        .insert(&stranger, &step(&stranger, "received"), None, vec![])
        .await
        .unwrap();
    // A reference to no contact is refused, and writes nothing.
    let ghost = request(Some(Uuid::now_v7()), RequestKind::Access);
    assert!(matches!(
        store
            .requests()
            .insert(&ghost, &step(&ghost, "received"), None, vec![])
            .await,
        Err(StoreError::MissingReference { .. })
    ));
    assert!(store.requests().get(ghost.id).await.unwrap().is_none());

    // Identity verified, with a consent event and the audit entry, in one change.
    let expected = r.status;
    r.status = RequestStatus::IdentityVerified;
    r.identity = Some(IdentityCheck {
        method: "ID card seen at the desk".into(),
        by: "token:requests".into(),
        at: now(),
    });
    let draft = ConsentDraft {
        subject_id: s,
        purpose: "*".into(),
        channel: Channel::Email,
        action: Action::Withdraw,
        pending: None,
        source: Source::Manual,
        evidence: Evidence::default(),
        at: now(),
    };
    store
        .requests()
        .update(RequestChange {
            request: &r,
            expected,
            event: &step(&r, "identity_verified"),
            mail: None,
            consents: vec![draft],
            audit: audit(s),
            link: None,
        })
        .await
        .unwrap();
    assert_eq!(store.requests().get(r.id).await.unwrap().as_ref(), Some(&r));
    assert_eq!(store.consents().states(s).await.unwrap().len(), 1);
    assert_eq!(store.audit().list(s, 10).await.unwrap().len(), 2);

    // The same change again expects a status the request no longer has: refused, and
    // nothing written (no timeline step, no audit entry).
    let again = store
        .requests()
        .update(RequestChange {
            request: &r,
            expected,
            event: &step(&r, "identity_verified"),
            mail: None,
            consents: vec![],
            audit: audit(s),
            link: None,
        })
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let missing = request(Some(s), RequestKind::Access);
    assert!(matches!(
        store
            .requests()
            .update(RequestChange {
                request: &missing,
                expected: RequestStatus::Received,
                event: &step(&missing, "x"),
                mail: None,
                consents: vec![],
                audit: vec![],
                link: None,
            })
            .await,
        Err(StoreError::NotFound { .. })
    ));
    let events = store.requests().events(r.id).await.unwrap();
    assert_eq!(
        events
            .iter()
            .map(|e| (e.seq, e.action.as_str()))
            .collect::<Vec<_>>(),
        [(1, "received"), (2, "identity_verified")]
    );
    assert_eq!(store.audit().list(s, 10).await.unwrap().len(), 2);

    // Lifted, the restriction no longer holds.
    let expected = r.status;
    r.restriction_lifted_at = Some(now());
    store
        .requests()
        .update(RequestChange {
            request: &r,
            expected,
            event: &step(&r, "restriction_lifted"),
            mail: None,
            consents: vec![],
            audit: vec![],
            link: None,
        })
        .await
        .unwrap();
    assert!(!store.requests().restricted(s).await.unwrap());
    assert!(store
        .requests()
        .restricted_subjects()
        .await
        .unwrap()
        .is_empty());

    // Lists: by deadline; by status, kind, due date, recorder and subject.
    let all = |f: RequestFilter| async move {
        store
            .requests()
            .list(&RequestFilter { limit: 50, ..f })
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(all(RequestFilter::default()).await, [r.id, stranger.id]);
    assert_eq!(
        all(RequestFilter {
            status: Some(RequestStatus::Received),
            ..Default::default()
        })
        .await,
        [stranger.id]
    );
    assert_eq!(
        all(RequestFilter {
            kind: Some(RequestKind::Restriction),
            ..Default::default()
        })
        .await,
        [r.id]
    );
    assert_eq!(
        all(RequestFilter {
            due_by: Some(date!(2026 - 02 - 27)),
            ..Default::default()
        })
        .await,
        Vec::<Uuid>::new()
    );
    assert_eq!(
        all(RequestFilter {
            due_by: Some(date!(2026 - 02 - 28)),
            subject_id: Some(s),
            ..Default::default()
        })
        .await,
        [r.id]
    );
    assert_eq!(
        all(RequestFilter {
            recorded_by: Some("token:someone-else".into()),
            ..Default::default()
        })
        .await,
        Vec::<Uuid>::new()
    );
}

async fn jobs(store: &Store) {
    let t0 = now();
    let digest = JobRecord::new("dpo_digest", serde_json::json!({}), t0, t0).dedupe("digest:1");
    assert!(store.jobs().schedule(&digest).await.unwrap());
    let twice = JobRecord::new("dpo_digest", serde_json::json!({}), t0, t0).dedupe("digest:1");
    assert!(
        !store.jobs().schedule(&twice).await.unwrap(),
        "one job per key"
    );
    let later = JobRecord::new(
        "other",
        serde_json::json!({"n": 1}),
        t0 + Duration::hours(1),
        t0,
    );
    assert!(store.jobs().schedule(&later).await.unwrap());

    // Due now: only the digest; leased to node A, which another node cannot take.
    let claimed = store.jobs().claim(t0, 10, "node-a").await.unwrap();
    assert_eq!(
        claimed.iter().map(|j| j.id).collect::<Vec<_>>(),
        [digest.id]
    );
    assert_eq!(
        (claimed[0].attempts, claimed[0].status.as_str()),
        (1, "running")
    );
    assert!(store
        .jobs()
        .claim(t0, 10, "node-b")
        .await
        .unwrap()
        .is_empty());

    // Node B cannot complete A's job; A completes it once, with the next digest.
    assert!(!store
        .jobs()
        .complete(digest.id, "node-b", t0, None, None)
        .await
        .unwrap());
    let next = JobRecord::new(
        "dpo_digest",
        serde_json::json!({}),
        t0 + Duration::days(1),
        t0,
    )
    .dedupe("digest:2");
    assert!(store
        .jobs()
        .complete(digest.id, "node-a", t0, Some(&next), None)
        .await
        .unwrap());
    assert!(!store
        .jobs()
        .complete(digest.id, "node-a", t0, None, None)
        .await
        .unwrap());
    let listed = store.jobs().list(10).await.unwrap();
    let done = listed.iter().find(|j| j.id == digest.id).unwrap();
    assert_eq!((done.status.as_str(), done.finished_at), ("done", Some(t0)));
    assert!(listed
        .iter()
        .any(|j| j.id == next.id && j.status == "queued"));

    // A lease that ran out: another node takes the job.
    let t1 = t0 + Duration::hours(1);
    let taken = store.jobs().claim(t1, 10, "node-a").await.unwrap();
    assert_eq!(taken.iter().map(|j| j.id).collect::<Vec<_>>(), [later.id]);
    let t2 = t1 + Duration::minutes(6);
    let retaken = store.jobs().claim(t2, 10, "node-b").await.unwrap();
    assert_eq!(
        retaken
            .iter()
            .map(|j| (j.id, j.attempts))
            .collect::<Vec<_>>(),
        [(later.id, 2)]
    );
    assert!(!store
        .jobs()
        .complete(later.id, "node-a", t2, None, None)
        .await
        .unwrap());

    // A failure retried later, then given up.
    store
        .jobs()
        .fail(later.id, "node-b", "boom", Some(t2 + Duration::minutes(1)))
        .await
        .unwrap();
    assert!(store
        .jobs()
        .claim(t2, 10, "node-b")
        .await
        .unwrap()
        .is_empty());
    let again = store
        .jobs()
        .claim(t2 + Duration::minutes(1), 10, "node-b")
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    store
        .jobs()
        .fail(later.id, "node-b", "boom again", None)
        .await
        .unwrap();
    let failed = store.jobs().list(10).await.unwrap();
    let failed = failed.iter().find(|j| j.id == later.id).unwrap();
    assert_eq!(
        (failed.status.as_str(), failed.last_error.as_deref()),
        ("failed", Some("boom again"))
    );

    // A restart: the node's own leases are due again at once, another's are not.
    let t3 = t0 + Duration::days(1);
    let mine = store.jobs().claim(t3, 10, "node-a").await.unwrap();
    assert_eq!(mine.iter().map(|j| j.id).collect::<Vec<_>>(), [next.id]);
    assert_eq!(store.jobs().release_leases("node-b", t3).await.unwrap(), 0);
    assert_eq!(store.jobs().release_leases("node-a", t3).await.unwrap(), 1);
    assert_eq!(store.jobs().claim(t3, 10, "node-a").await.unwrap().len(), 1);

    // Cancelled by its key while queued; a key no job holds cancels nothing.
    let reminder = JobRecord::new(
        "reminder",
        serde_json::json!({}),
        t3 + Duration::hours(24),
        t3,
    )
    .dedupe("reminder:1");
    store.jobs().schedule(&reminder).await.unwrap();
    assert!(store.jobs().cancel("reminder:1", t3).await.unwrap());
    assert!(!store.jobs().cancel("reminder:1", t3).await.unwrap());
    assert!(store
        .jobs()
        .claim(t3 + Duration::days(2), 10, "node-a")
        .await
        .unwrap()
        .iter()
        .all(|j| j.id != reminder.id));
}

/// A person's rows streamed table by table (`each_row`) are the rows read at once
/// (`rows`), in order and whole; an error from the reader stops the read and comes back.
async fn subject_rows(store: &Store) {
    let s = contact(store).await;
    let other = contact(store).await;
    store.audit().append(audit(s)).await.unwrap();
    store.audit().append(audit(s)).await.unwrap();
    store.audit().append(audit(other)).await.unwrap();
    let all = store.subjects().rows(s).await.unwrap();
    assert_eq!(all.len(), candor_store::registry::SUBJECT_TABLES.len());
    for (table, rows) in &all {
        let mut streamed = Vec::new();
        let n = store
            .subjects()
            .each_row(s, table, &mut |text| {
                streamed.push(serde_json::from_str::<serde_json::Value>(text).unwrap());
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(n as usize, rows.len(), "{table}");
        assert_eq!(&streamed, rows, "{table}");
    }
    let audited = all.iter().find(|(t, _)| *t == "audit_entry").unwrap();
    assert_eq!(
        audited.1.len(),
        2,
        "her two entries, not the other person's"
    );
    let mut seen = 0;
    let stopped = store
        .subjects()
        .each_row(s, "audit_entry", &mut |_| {
            seen += 1;
            Err(std::io::Error::other("disk full"))
        })
        .await;
    assert!(matches!(stopped, Err(StoreError::Io(_))), "{stopped:?}");
    assert_eq!(seen, 1, "the read stops at the first error");
    let unknown = store
        .subjects()
        .each_row(s, "staff_user", &mut |_| Ok(()))
        .await;
    assert!(matches!(unknown, Err(StoreError::NotFound { .. })));
}

async fn sqlite() -> Store {
    let dir = std::env::temp_dir().join(format!("candor-store-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    Store::open_file(&dir.join("c.db")).await.unwrap()
}

#[tokio::test]
async fn requests_and_jobs_on_sqlite() {
    let store = sqlite().await;
    requests(&store).await;
    jobs(&store).await;
    subject_rows(&store).await;
}

#[tokio::test]
async fn requests_and_jobs_on_postgres() {
    let Some(url) = candor_store::testing::fresh_pg_url("requests_and_jobs_on_postgres").await
    else {
        return;
    };
    let store = Store::open_url(&url).await.unwrap();
    requests(&store).await;
    jobs(&store).await;
    subject_rows(&store).await;
}
