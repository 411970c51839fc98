//! Tamper evidence that an insider with write access to the database cannot rewrite
//! (S4, C2, issue 13): each case edits the database behind Candor's back, as a table,
//! and `verify` must name what was done, on both backends. The global chain of signed
//! checkpoints catches what the subjects' chains alone cannot: a chain removed with its
//! head, a head moved back, a chain rewritten consistently, a checkpoint removed.

mod common;

use candor_domain::checkpoint::CheckpointBreak as C;
use candor_domain::Role;
use common::TestApp;
use serde_json::json;
use uuid::Uuid;

/// Three contacts, each read a few times (audit chains) with a consent event, and a
/// checkpoint over all of it.
async fn history(t: &TestApp) -> Vec<Uuid> {
    let mut ids = Vec::new();
    for name in ["Roux", "Blanc", "Noir"] {
        let id = t
            .contact(json!({"kind": "b2c", "last_name": name, "email": format!("{}@example.fr", name.to_lowercase())}))
            .await;
        for _ in 0..2 {
            assert_eq!(
                t.get(Role::Sales, &format!("/api/v1/contacts/{id}"))
                    .await
                    .status(),
                200
            );
        }
        let res = t
            .post(
                Role::Sales,
                &format!("/api/v1/contacts/{id}/consents"),
                &json!({"purpose": "newsletter", "channel": "email", "action": "withdraw", "source": "phone", "evidence": {}}),
            )
            .await;
        assert_eq!(res.status(), 201, "{:?}", res.text().await);
        ids.push(id.parse().unwrap());
    }
    let c = t
        .app
        .checkpoint()
        .await
        .unwrap()
        .expect("a first checkpoint");
    assert_eq!(c.seq, 1);
    assert!(
        c.chains >= 6,
        "three audit and three consent chains at least: {c:?}"
    );
    assert!(
        t.app.checkpoint().await.unwrap().is_none(),
        "nothing changed: no second checkpoint"
    );
    ids
}

async fn checkpoint_breaks(t: &TestApp) -> Vec<C> {
    t.app.verify_checkpoints().await.unwrap().breaks
}

async fn chain_breaks(t: &TestApp) -> Vec<(Uuid, candor_domain::audit::ChainBreak)> {
    t.app
        .verify()
        .await
        .unwrap()
        .into_iter()
        .flat_map(|(_, r)| r.breaks)
        .collect()
}

/// The newest audit entry of a subject, as stored.
async fn newest_entry(t: &TestApp, subject: Uuid) -> candor_domain::audit::AuditEntry {
    t.app
        .store
        .audit()
        .list(subject, 1)
        .await
        .unwrap()
        .remove(0)
}

async fn an_untouched_history_verifies_and_grows(t: TestApp) {
    let ids = history(&t).await;
    assert_eq!(checkpoint_breaks(&t).await, []);
    assert_eq!(chain_breaks(&t).await, []);
    // More history, a second checkpoint: still clean, and it follows the first.
    t.get(Role::Sales, &format!("/api/v1/contacts/{}", ids[0]))
        .await;
    let second = t.app.checkpoint().await.unwrap().unwrap();
    assert_eq!(second.seq, 2);
    let report = t.app.verify_checkpoints().await.unwrap();
    assert_eq!(report.checkpoints, 2);
    assert_eq!(report.breaks, []);
}

async fn each_tampering_is_named(t: TestApp) {
    let ids = history(&t).await;
    let (a, b, c) = (ids[0], ids[1], ids[2]);
    let newest_a = newest_entry(&t, a).await;
    let newest_b = newest_entry(&t, b).await;
    // A consistent rewrite of c's newest entry: new content, its hash recomputed, the
    // head moved to it. The chain alone cannot tell.
    let mut rewritten = newest_entry(&t, c).await;
    rewritten.actor = "token:00000000-0000-0000-0000-000000000000".into();
    let new_hash = rewritten.compute_hash();
    let cases: Vec<(&str, String, C)> = vec![
        (
            "a's whole audit chain deleted with its head",
            format!(
                "DELETE FROM audit_entry WHERE subject_id = '{a}'; DELETE FROM audit_head WHERE subject_id = '{a}'"
            ),
            C::Vanished { ledger: "audit".into(), subject: a, seq: newest_a.seq },
        ),
        (
            "b's newest entry deleted and its head rewound",
            format!(
                "DELETE FROM audit_entry WHERE id = '{}'; UPDATE audit_head SET seq = seq - 1, hash = '{}' WHERE subject_id = '{b}'",
                newest_b.id, newest_b.prev_hash
            ),
            C::Rewound { ledger: "audit".into(), subject: b, checkpoint_seq: newest_b.seq, now_seq: newest_b.seq - 1 },
        ),
        (
            "c's newest entry rewritten consistently",
            format!(
                "UPDATE audit_entry SET actor = '{}', hash = '{new_hash}' WHERE id = '{}'; UPDATE audit_head SET hash = '{new_hash}' WHERE subject_id = '{c}'",
                rewritten.actor, rewritten.id
            ),
            C::Rewritten { ledger: "audit".into(), subject: c, seq: rewritten.seq },
        ),
    ];
    for (what, sql, expected) in &cases {
        assert!(t.exec(sql).await > 0, "{what}: the edit changed nothing");
        let found = checkpoint_breaks(&t).await;
        assert!(
            found.contains(expected),
            "{what}: {expected:?} not in {found:?}"
        );
    }
    // All three at once are named, and nothing else is.
    let found = checkpoint_breaks(&t).await;
    assert_eq!(found.len(), 3, "{found:?}");
    // The rewound and vanished chains verify on their own: only the checkpoint shows them.
    let chains = chain_breaks(&t).await;
    assert!(
        chains.iter().all(|(s, _)| *s != a && *s != b && *s != c),
        "the subjects' chains alone pass: {chains:?}"
    );
    // A signed checkpoint made now keeps the evidence: the kept heads do not move back.
    t.app.checkpoint().await.unwrap();
    let again = checkpoint_breaks(&t).await;
    for (what, _, expected) in &cases {
        assert!(
            again.contains(expected),
            "{what} forgotten by the next checkpoint: {again:?}"
        );
    }
}

async fn the_checkpoints_themselves_cannot_be_edited(t: TestApp) {
    let ids = history(&t).await;
    t.get(Role::Sales, &format!("/api/v1/contacts/{}", ids[0]))
        .await;
    t.app.checkpoint().await.unwrap().unwrap();
    let cases: Vec<(&str, String, C)> = vec![
        (
            "a kept head edited",
            format!("UPDATE checkpoint_head SET seq = seq + 1 WHERE subject_id = '{}' AND ledger = 'consent'", ids[1]),
            C::Root { seq: 2 },
        ),
        (
            "the first checkpoint's count edited",
            "UPDATE checkpoint SET chains = chains + 1 WHERE seq = 1".into(),
            C::Chain { seq: 1 },
        ),
        (
            "the newest checkpoint re-signed by someone else",
            "UPDATE checkpoint SET signature = '00' WHERE seq = 2".into(),
            C::Signature { seq: 2 },
        ),
    ];
    for (what, sql, expected) in &cases {
        assert!(t.exec(sql).await > 0, "{what}");
        let found = checkpoint_breaks(&t).await;
        assert!(
            found.contains(expected),
            "{what}: {expected:?} not in {found:?}"
        );
    }
    // The newest checkpoint removed: the anchor file outside the database names it.
    assert_eq!(t.exec("DELETE FROM checkpoint WHERE seq = 2").await, 1);
    let found = checkpoint_breaks(&t).await;
    assert!(found.contains(&C::Anchor { seq: 2 }), "{found:?}");
}

/// A row changed so that it no longer reads is named by id, as altered, and the other
/// chains are still checked.
async fn an_unreadable_row_is_named_and_the_rest_checked(t: TestApp) {
    let ids = history(&t).await;
    let entry = newest_entry(&t, ids[0]).await;
    let event = t
        .app
        .store
        .consents()
        .events(ids[1])
        .await
        .unwrap()
        .remove(0);
    let other = newest_entry(&t, ids[2]).await;
    for sql in [
        format!(
            "UPDATE audit_entry SET fields = '{{\"not\": 1}}' WHERE id = '{}'",
            entry.id
        ),
        format!(
            "UPDATE consent_event SET action = 'nonsense' WHERE id = '{}'",
            event.id
        ),
        format!(
            "UPDATE audit_entry SET endpoint = 'GET /elsewhere' WHERE id = '{}'",
            other.id
        ),
    ] {
        assert_eq!(t.exec(&sql).await, 1, "{sql}");
    }
    let found = chain_breaks(&t).await;
    use candor_domain::audit::ChainBreak as B;
    for (subject, id, seq) in [
        (ids[0], entry.id, entry.seq),
        (ids[1], event.id, 1),
        (ids[2], other.id, other.seq),
    ] {
        assert!(
            found.contains(&(subject, B::Altered { id, seq })),
            "{id} not named: {found:?}"
        );
    }
}

on_both_backends!(
    an_untouched_history_verifies_and_grows,
    each_tampering_is_named,
    the_checkpoints_themselves_cannot_be_edited,
    an_unreadable_row_is_named_and_the_rest_checked,
);
