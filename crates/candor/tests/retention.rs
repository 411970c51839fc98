//! Retention (E4), on both backends, with a test clock moved across each boundary: a
//! prospect is kept 3 years less a day after their last sign of life and erased a day
//! after 3 years (through the erasure use case, reason `policy:…`); a customer is not a
//! prospect; a former customer goes 3 years after their last contract ended, one with
//! a running contract stays; a B2C grant never confirmed lapses after 30 days; tracking
//! events go after 13 months; records whose legal hold ended go; a dry run says all of
//! it and changes nothing; every run is recorded; the daily job runs the same.

mod common;

use candor_domain::clock::{Clock, FixedClock};
use candor_domain::Role;
use common::TestApp;
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;
use uuid::Uuid;

fn by_name<'a>(
    out: &'a [candor_app::retention::PolicyOutcome],
    name: &str,
) -> &'a candor_app::retention::PolicyOutcome {
    out.iter().find(|p| p.outcome.name == name).unwrap()
}

async fn visit(t: &TestApp, who: Uuid) {
    t.app
        .store
        .activity()
        .record(&candor_store::ActivityRecord {
            id: Uuid::now_v7(),
            contact_id: who,
            kind: "web_visit".into(),
            at: t.app.now(),
            detail: "/tarifs".into(),
        })
        .await
        .unwrap();
}

async fn policies_run_across_their_boundaries(t: TestApp, c: Arc<FixedClock>) {
    let prospect: Uuid = t
        .contact(json!({"kind": "b2c", "last_name": "Prospect", "email": "prospect@example.fr"}))
        .await
        .parse()
        .unwrap();
    let visitor: Uuid = t
        .contact(json!({"kind": "b2c", "last_name": "Visiteur"}))
        .await
        .parse()
        .unwrap();
    visit(&t, visitor).await;
    let customer: Uuid = t
        .contact(json!({"kind": "b2c", "last_name": "Client"}))
        .await
        .parse()
        .unwrap();
    let order = json!({"currency": "EUR", "lines": [{"description": "Abonnement", "quantity": 1, "unit_price_cents": 11900}]});
    assert_eq!(
        t.post(
            Role::Sales,
            &format!("/api/v1/contacts/{customer}/orders"),
            &order
        )
        .await
        .status(),
        201
    );
    visit(&t, customer).await;
    // The visitor comes back on 29 July 2028: their last sign of life moves.
    c.advance(time::Duration::days(900));
    visit(&t, visitor).await;
    // The customer orders again then: still a customer in 2029.
    assert_eq!(
        t.post(
            Role::Sales,
            &format!("/api/v1/contacts/{customer}/orders"),
            &order
        )
        .await
        .status(),
        201
    );

    // 9 February 2029, three years less a day after the prospect's creation: kept.
    c.advance(time::Duration::days(195));
    let dry = t
        .app
        .run_retention("test", true, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(
        by_name(&dry, "inactive_prospects").outcome.count,
        0,
        "{dry:?}"
    );
    // Two days later, three years and a day: the prospect goes, not the visitor (seen
    // in 2028) nor the customer (an order).
    c.advance(time::Duration::days(2));
    let before = t.snapshot().await;
    let dry = t.app.retention_plan().await.unwrap();
    assert_eq!(t.snapshot().await, before, "a dry run changes nothing");
    let p = by_name(&dry, "inactive_prospects");
    assert_eq!(
        (p.outcome.action.as_str(), p.ids.clone()),
        ("erase", vec![prospect])
    );
    assert_eq!(by_name(&dry, "former_customers").outcome.count, 0);
    let tracking = by_name(&dry, "tracking_events");
    assert_eq!(
        tracking.outcome.count, 2,
        "the two visits of 2026, not the visitor's of 2028"
    );

    let mut heard = 0;
    let done = t
        .app
        .run_retention("test", false, &mut |n| heard = n)
        .await
        .unwrap();
    assert_eq!(heard, 1);
    assert_eq!(by_name(&done, "inactive_prospects").ids, vec![prospect]);
    assert!(t
        .app
        .store
        .contacts()
        .get(prospect)
        .await
        .unwrap()
        .is_none());
    let record = t
        .app
        .store
        .erasures()
        .of_subject(prospect)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.reason, "policy:inactive_prospects");
    assert_eq!(record.actor, "policy:inactive_prospects");
    let left: BTreeSet<String> = t
        .app
        .store
        .subjects()
        .rows(visitor)
        .await
        .unwrap()
        .into_iter()
        .find(|(table, _)| *table == "activity")
        .unwrap()
        .1
        .iter()
        .map(|r| r["at"].as_str().unwrap()[..4].to_owned())
        .collect();
    assert_eq!(
        left,
        BTreeSet::from(["2028".to_owned()]),
        "only the recent visit stays"
    );
    assert!(t
        .app
        .store
        .contacts()
        .get(customer)
        .await
        .unwrap()
        .is_some());
    assert!(t.app.store.contacts().get(visitor).await.unwrap().is_some());
    let again = t
        .app
        .run_retention("test", false, &mut |_| {})
        .await
        .unwrap();
    assert!(again.iter().all(|p| p.outcome.count == 0), "{again:?}");
    // Each run recorded (the unrecorded plan aside), newest first, with its counts.
    let runs = t.app.store.erasures().runs(10).await.unwrap();
    assert_eq!(
        runs.iter().map(|r| r.dry_run).collect::<Vec<_>>(),
        [false, false, true]
    );
    let first = runs[1]
        .outcomes
        .iter()
        .find(|o| o.name == "inactive_prospects")
        .unwrap();
    assert_eq!((first.action.as_str(), first.count), ("erase", 1));

    // The customer erased: the order is held 10 years, then the daily job deletes it.
    let res = t
        .send(
            Role::Dpo,
            reqwest::Method::DELETE,
            &format!("/api/v1/contacts/{customer}"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    t.app.schedule_recurring_jobs().await.unwrap();
    c.advance(time::Duration::days(365 * 6));
    t.app.run_due_jobs().await.unwrap();
    let erased = t
        .app
        .store
        .erasures()
        .of_subject(customer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        t.app.store.erasures().held(erased.id).await.unwrap().len(),
        2,
        "both orders still held"
    );
    c.advance(time::Duration::days(366 * 2));
    t.app.run_due_jobs().await.unwrap();
    let held = t.app.store.erasures().held(erased.id).await.unwrap();
    assert_eq!(
        held.iter().map(|h| h.held_until.year()).collect::<Vec<_>>(),
        [2038],
        "the 2026 order's hold ended in 2036, the 2028 order's runs to 2038"
    );
    for (name, r) in t.app.verify().await.unwrap() {
        assert!(r.breaks.is_empty(), "{name}: {:?}", r.breaks);
    }
}

/// A former customer goes 3 years after their last contract ended, and their contract
/// stays under its hold; a customer with a running contract stays. A B2C grant never
/// confirmed lapses after 30 days (an event in the chain: the chain still verifies,
/// and no message may rely on it).
async fn former_customers_go_and_unconfirmed_grants_lapse(t: TestApp, c: Arc<FixedClock>) {
    let former: Uuid = t
        .contact(json!({"kind": "b2c", "last_name": "Ancien", "email": "ancien@example.fr"}))
        .await
        .parse()
        .unwrap();
    let running: Uuid = t
        .contact(json!({"kind": "b2c", "last_name": "Fidèle"}))
        .await
        .parse()
        .unwrap();
    for (who, body) in [
        (
            former,
            json!({"reference": "C-ANCIEN", "starts_on": "2026-01-05", "ends_on": "2026-03-31"}),
        ),
        (
            running,
            json!({"reference": "C-FIDELE", "starts_on": "2026-01-05"}),
        ),
    ] {
        let res = t
            .post(
                Role::Sales,
                &format!("/api/v1/contacts/{who}/contracts"),
                &body,
            )
            .await;
        assert_eq!(res.status(), 201, "{:?}", res.text().await);
    }
    let reader = t
        .contact(json!({"kind": "b2c", "last_name": "Lecteur", "email": "lecteur@example.fr"}))
        .await;
    let grant = json!({
        "purpose": "newsletter", "channel": "email", "action": "grant", "source": "web_form",
        "evidence": {"form_id": "footer", "wording": "Je souhaite recevoir la lettre.",
                     "ip": "203.0.113.7", "user_agent": "Mozilla/5.0"}
    });
    let res = t
        .post(
            Role::Sales,
            &format!("/api/v1/contacts/{reader}/consents"),
            &grant,
        )
        .await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let reader: Uuid = reader.parse().unwrap();
    let status = |t: &TestApp| {
        let app = t.app.clone();
        async move { app.store.consents().states(reader).await.unwrap()[0].status }
    };
    assert_eq!(status(&t).await, candor_domain::consent::Status::Pending);

    // 29 days: still pending; 31 days: lapsed, and a second run finds nothing.
    c.advance(time::Duration::days(29));
    let plan = t.app.retention_plan().await.unwrap();
    assert_eq!(by_name(&plan, "pending_consents").outcome.count, 0);
    c.advance(time::Duration::days(2));
    let plan = t.app.retention_plan().await.unwrap();
    assert_eq!(by_name(&plan, "pending_consents").outcome.count, 1);
    assert_eq!(status(&t).await, candor_domain::consent::Status::Pending);
    let done = t
        .app
        .run_retention("test", false, &mut |_| {})
        .await
        .unwrap();
    let p = by_name(&done, "pending_consents");
    assert_eq!((p.outcome.action.as_str(), p.outcome.count), ("lapse", 1));
    assert_eq!(status(&t).await, candor_domain::consent::Status::Lapsed);
    let events = t.app.store.consents().events(reader).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(
        (
            last.action,
            last.source,
            last.evidence.recorded_by.as_deref()
        ),
        (
            candor_domain::consent::Action::Lapse,
            candor_domain::consent::Source::WebForm,
            Some("policy:pending_consents")
        )
    );
    let again = t.app.retention_plan().await.unwrap();
    assert_eq!(by_name(&again, "pending_consents").outcome.count, 0);
    // Staff cannot record a lapse themselves.
    let res = t
        .post(
            Role::Admin,
            &format!("/api/v1/contacts/{reader}/consents"),
            &json!({"purpose": "newsletter", "channel": "email", "action": "lapse", "source": "manual"}),
        )
        .await;
    common::expect_error(
        res,
        422,
        "invalid_field",
        Some("action"),
        Some("lapse_by_policy"),
    )
    .await;

    // The contract ended on 31 March 2026: kept until 31 March 2029, gone the day after.
    c.advance(time::Duration::days(1113));
    assert_eq!(c.now().date(), time::macros::date!(2029 - 03 - 30));
    let plan = t.app.retention_plan().await.unwrap();
    assert_eq!(by_name(&plan, "former_customers").ids, Vec::<Uuid>::new());
    c.advance(time::Duration::days(2));
    let plan = t.app.retention_plan().await.unwrap();
    assert_eq!(by_name(&plan, "former_customers").ids, vec![former]);
    let done = t
        .app
        .run_retention("test", false, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(by_name(&done, "former_customers").ids, vec![former]);
    let record = t
        .app
        .store
        .erasures()
        .of_subject(former)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.reason, "policy:former_customers");
    let held = t.app.store.erasures().held(record.id).await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].held_until, time::macros::date!(2031 - 03 - 31));
    assert!(t.app.store.contacts().get(running).await.unwrap().is_some());
    for (name, r) in t.app.verify().await.unwrap() {
        assert!(r.breaks.is_empty(), "{name}: {:?}", r.breaks);
    }
}

/// E5: a year after a person's record was made, and every year after, the daily job
/// tells them in their language what is held on them and why, and their rights; never
/// twice in the year, never to a restricted person.
async fn a_yearly_transparency_message_goes_once(t: TestApp, c: Arc<FixedClock>) {
    let told = |t: &TestApp, to: &'static str| {
        let app = t.app.clone();
        async move {
            app.store
                .outbox()
                .list(1000)
                .await
                .unwrap()
                .into_iter()
                .filter(|e| e.mail.recipient == to && e.mail.category == "legal_notice")
                .filter(|e| {
                    e.mail.mail_subject.contains("holds on you")
                        || e.mail.mail_subject.contains("détient sur vous")
                })
                .map(|e| e.mail)
                .collect::<Vec<_>>()
        }
    };
    t.contact(
        json!({"kind": "b2c", "last_name": "Roux", "email": "roux.yearly@example.fr",
                     "phone": "06 12 34 56 78", "city": "Lyon", "locale": "fr"}),
    )
    .await;
    let restricted = t
        .contact(json!({"kind": "b2c", "last_name": "Blanc", "email": "blanc.yearly@example.fr", "locale": "en"}))
        .await;
    let r = t
        .post(
            Role::Dpo,
            "/api/v1/requests",
            &json!({"kind": "restriction", "channel": "letter", "contact_id": restricted}),
        )
        .await;
    assert_eq!(r.status(), 201);
    t.app.schedule_recurring_jobs().await.unwrap();
    c.advance(time::Duration::days(364));
    t.app.run_due_jobs().await.unwrap();
    assert!(
        told(&t, "roux.yearly@example.fr").await.is_empty(),
        "not before a year"
    );
    c.advance(time::Duration::days(2));
    t.app.run_due_jobs().await.unwrap();
    let first = told(&t, "roux.yearly@example.fr").await;
    assert_eq!(first.len(), 1);
    assert!(
        first[0].body_text.contains("- Téléphone :")
            && first[0].body_text.contains("- Ville :")
            && first[0].body_text.contains("CNIL")
            && first[0].body_text.contains("dpo@candor.invalid")
            && first[0].body_text.contains(&format!("{}/portal ", t.url)),
        "{}",
        first[0].body_text
    );
    assert!(
        told(&t, "blanc.yearly@example.fr").await.is_empty(),
        "restricted: nothing"
    );
    t.app.run_due_jobs().await.unwrap();
    c.advance(time::Duration::hours(20));
    t.app.run_due_jobs().await.unwrap();
    assert_eq!(
        told(&t, "roux.yearly@example.fr").await.len(),
        1,
        "never twice in the year"
    );
    c.advance(time::Duration::days(366));
    t.app.run_due_jobs().await.unwrap();
    assert_eq!(
        told(&t, "roux.yearly@example.fr").await.len(),
        2,
        "again a year later"
    );
}

/// The access audit's entries go after 6 years, each person's oldest first, up to the
/// first newer one; the chain left still verifies from its signed start, the
/// checkpoints that saw the removed entries still verify, and a chain emptied by it
/// too. A start not signed by the key, or an entry removed by hand, is named.
async fn old_audit_entries_go_and_the_chains_still_prove(t: TestApp, c: Arc<FixedClock>) {
    use candor_domain::checkpoint::CheckpointBreak as C;
    let mut ids = Vec::new();
    for name in ["Ancienne", "Oubliée"] {
        let id = t
            .contact(json!({"kind": "b2c", "last_name": name, "email": format!("{}@example.fr", name.to_lowercase().replace('é', "e"))}))
            .await;
        // A running contract: neither a prospect nor a former customer.
        let res = t
            .post(
                Role::Sales,
                &format!("/api/v1/contacts/{id}/contracts"),
                &json!({"reference": format!("C-{name}"), "starts_on": "2026-01-05"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        ids.push(id.parse::<Uuid>().unwrap());
    }
    let (kept, emptied) = (ids[0], ids[1]);
    let count = |t: &TestApp, who: Uuid| {
        let app = t.app.clone();
        async move { app.store.audit().list(who, 1000).await.unwrap().len() }
    };
    let at_start = count(&t, kept).await;
    assert!(at_start >= 2, "creation and contract: {at_start}");
    t.app.checkpoint().await.unwrap().expect("a checkpoint");

    // Five years on, the dpo reads the first person: a newer entry.
    c.advance(time::Duration::days(365 * 5));
    assert_eq!(
        t.get(Role::Dpo, &format!("/api/v1/contacts/{kept}"))
            .await
            .status(),
        200
    );
    assert_eq!(count(&t, kept).await, at_start + 1);
    t.app.checkpoint().await.unwrap().expect("a checkpoint");

    // Six years less a day after the start: nothing goes; a day after: the old ones.
    c.advance(time::Duration::days(365));
    assert_eq!(c.now().date(), time::macros::date!(2032 - 02 - 09));
    let plan = t.app.retention_plan().await.unwrap();
    assert_eq!(by_name(&plan, "audit_entries").outcome.count, 0, "{plan:?}");
    c.advance(time::Duration::days(2));
    let plan = t.app.retention_plan().await.unwrap();
    let due = by_name(&plan, "audit_entries").outcome.count;
    assert_eq!(due as usize, at_start + count(&t, emptied).await);
    let done = t
        .app
        .run_retention("test", false, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(by_name(&done, "audit_entries").outcome.count, due);
    let left = t.app.store.audit().list(kept, 1000).await.unwrap();
    assert_eq!(left.len(), 1, "the read of year five stays: {left:?}");
    assert_eq!(left[0].seq as usize, at_start + 1);
    assert_eq!(count(&t, emptied).await, 0);
    for (name, r) in t.app.verify().await.unwrap() {
        assert!(r.breaks.is_empty(), "{name}: {:?}", r.breaks);
    }
    let breaks = t.app.verify_checkpoints().await.unwrap().breaks;
    assert!(breaks.is_empty(), "{breaks:?}");
    t.app.checkpoint().await.unwrap();
    assert!(t.app.verify_checkpoints().await.unwrap().breaks.is_empty());

    // A person whose whole audit went, past a checkpoint, can still be erased.
    let res = t
        .send(
            Role::Dpo,
            reqwest::Method::DELETE,
            &format!("/api/v1/contacts/{emptied}"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    assert!(t.app.verify_checkpoints().await.unwrap().breaks.is_empty());

    // A start moved without the key is named; an entry removed by hand too.
    t.exec(&format!(
        "UPDATE audit_head SET base_signature = 'ab' WHERE subject_id = '{kept}'"
    ))
    .await;
    let breaks = t.app.verify_checkpoints().await.unwrap().breaks;
    assert!(
        breaks
            .iter()
            .any(|b| matches!(b, C::AuditBaseSignature { subject } if *subject == kept)),
        "{breaks:?}"
    );
    t.exec(&format!(
        "DELETE FROM audit_entry WHERE subject_id = '{kept}'"
    ))
    .await;
    let audit = &t.app.verify().await.unwrap()[0];
    assert!(
        audit.1.breaks.iter().any(|(s, _)| *s == kept),
        "{:?}",
        audit.1.breaks
    );
}

/// Someone without the key moves a recent entry's date back so that retention would
/// remove it: the trim leaves that chain whole (it never signs a start over a changed
/// chain), and `candor verify` names it.
async fn a_trim_never_signs_over_a_changed_chain(t: TestApp, c: Arc<FixedClock>) {
    let id = t
        .contact(json!({"kind": "b2c", "last_name": "Altérée", "email": "alteree@example.fr"}))
        .await;
    let res = t
        .post(
            Role::Sales,
            &format!("/api/v1/contacts/{id}/contracts"),
            &json!({"reference": "C-ALT", "starts_on": "2026-01-05"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let who: Uuid = id.parse().unwrap();
    c.advance(time::Duration::days(365 * 5));
    assert_eq!(
        t.get(Role::Dpo, &format!("/api/v1/contacts/{who}"))
            .await
            .status(),
        200
    );
    let before = t.app.store.audit().list(who, 1000).await.unwrap().len();
    t.exec(&format!(
        "UPDATE audit_entry SET at = (SELECT MIN(x.at) FROM audit_entry x WHERE x.subject_id = '{who}') \
         WHERE subject_id = '{who}' AND seq = (SELECT MAX(y.seq) FROM audit_entry y WHERE y.subject_id = '{who}')"
    ))
    .await;
    c.advance(time::Duration::days(367));
    t.app
        .run_retention("test", false, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(
        t.app.store.audit().list(who, 1000).await.unwrap().len(),
        before,
        "nothing removed from a changed chain"
    );
    assert!(t.app.store.audit().bases().await.unwrap().is_empty());
    let audit = &t.app.verify().await.unwrap()[0].1;
    assert!(
        audit.breaks.iter().any(|(s, _)| *s == who),
        "{:?}",
        audit.breaks
    );
}

/// A request from someone who never was a contact, refused: kept five years after its
/// answer as proof, then deleted with its steps; an open request is never touched.
async fn closed_requests_go_after_five_years(t: TestApp, c: Arc<FixedClock>) {
    let made = |body: serde_json::Value| {
        let t = &t;
        async move {
            let res = t.post(Role::Dpo, "/api/v1/requests", &body).await;
            assert_eq!(res.status(), 201, "{:?}", res.text().await);
            let v: serde_json::Value = res.json().await.unwrap();
            v["id"].as_str().unwrap().to_owned()
        }
    };
    let closed = made(
        json!({"kind": "access", "channel": "letter", "name": "Inconnu Martin",
        "email": "inconnu.martin@example.fr", "details": "Que savez-vous de moi ?"}),
    )
    .await;
    let open = made(
        json!({"kind": "access", "channel": "letter", "name": "Ouvert Durand",
        "email": "ouvert.durand@example.fr"}),
    )
    .await;
    let res = t
        .post(
            Role::Dpo,
            &format!("/api/v1/requests/{closed}/refusal"),
            &json!({"reason": "identity_not_established", "note": "Aucune pièce jointe."}),
        )
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let closed_id: Uuid = closed.parse().unwrap();
    let rows = |t: &TestApp| {
        let app = t.app.clone();
        async move { app.store.requests().get(closed_id).await.unwrap().is_some() }
    };
    // 10 February 2031 less a day: kept; a day after the five years: gone.
    c.advance(time::Duration::days(365 * 5));
    assert_eq!(c.now().date(), time::macros::date!(2031 - 02 - 09));
    let plan = t.app.retention_plan().await.unwrap();
    assert_eq!(by_name(&plan, "closed_requests").outcome.count, 0);
    c.advance(time::Duration::days(2));
    let plan = t.app.retention_plan().await.unwrap();
    assert_eq!(by_name(&plan, "closed_requests").outcome.count, 1);
    assert!(rows(&t).await);
    let done = t
        .app
        .run_retention("test", false, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(by_name(&done, "closed_requests").outcome.count, 1);
    assert!(!rows(&t).await, "the closed request is gone");
    // Deleting its steps now finds none: they went with it.
    let steps = t
        .exec(&format!(
            "DELETE FROM request_event WHERE request_id = '{closed}'"
        ))
        .await;
    assert_eq!(steps, 0, "its steps went with it");
    assert!(t
        .app
        .store
        .requests()
        .get(open.parse().unwrap())
        .await
        .unwrap()
        .is_some());
}

/// The API and the page: dpo and admin read the policies and runs, preview and run;
/// other roles get 403 and no menu entry; a run without the box ticked runs nothing.
async fn retention_through_the_api_and_the_page(t: TestApp, _c: Arc<FixedClock>) {
    for role in [Role::Sales, Role::Marketing, Role::Support] {
        let res = t.get(role, "/api/v1/retention").await;
        common::expect_error(res, 403, "role_forbidden", None, None).await;
        let res = t
            .post(role, "/api/v1/retention/runs", &json!({"dry_run": true}))
            .await;
        common::expect_error(res, 403, "role_forbidden", None, None).await;
    }
    let res = t.get(Role::Dpo, "/api/v1/retention").await;
    assert_eq!(res.status(), 200);
    let doc: serde_json::Value = res.json().await.unwrap();
    let names: Vec<&str> = doc["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "inactive_prospects",
            "former_customers",
            "pending_consents",
            "tracking_events",
            "ended_holds",
            "audit_entries",
            "closed_requests"
        ]
    );
    assert_eq!(doc["policies"][2]["days"], 30);
    assert_eq!(doc["holds"]["order_years"], 10);
    assert_eq!(doc["runs"], json!([]));
    let before = t.snapshot().await;
    let res = t
        .post(
            Role::Admin,
            "/api/v1/retention/runs",
            &json!({"dry_run": true}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let run: serde_json::Value = res.json().await.unwrap();
    assert_eq!(run["outcomes"][0]["ids"], json!([]));
    assert_eq!(t.snapshot().await, before, "a dry run changes no data");
    let res = t
        .post(Role::Admin, "/api/v1/retention/runs", &json!({"dry": true}))
        .await;
    common::expect_error(res, 400, "unknown_field", Some("dry"), None).await;
    let doc: serde_json::Value = t
        .get(Role::Dpo, "/api/v1/retention")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["runs"].as_array().unwrap().len(), 1);
    assert_eq!(doc["runs"][0]["id"], run["id"]);
    assert_eq!(doc["runs"][0]["dry_run"], true);

    // The page: the menu entry for the dpo only; a run without the box does nothing.
    t.staff_accounts(common::STAFF_PASSWORD).await;
    let mut dpo = common::signed_in(&t, Role::Dpo).await;
    let page = dpo.get("/contacts").await.text().await.unwrap();
    assert!(page.contains("href=\"/retention\""));
    let mut sales = common::signed_in(&t, Role::Sales).await;
    assert!(!sales
        .get("/contacts")
        .await
        .text()
        .await
        .unwrap()
        .contains("href=\"/retention\""));
    assert_eq!(sales.get("/retention").await.status(), 403);
    let csrf = dpo.csrf("/retention").await;
    let res = dpo.post("/retention/run", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("Cochez la case pour confirmer"), "{body}");
    assert_eq!(
        t.app.store.erasures().runs(10).await.unwrap().len(),
        1,
        "nothing ran"
    );
    let res = dpo
        .post("/retention/run", &[("csrf", &csrf), ("confirm", "yes")])
        .await;
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    let runs = t.app.store.erasures().runs(10).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(to, format!("/retention?ran={}", runs[0].id));
    let body = dpo.get(&to).await.text().await.unwrap();
    assert!(
        body.contains("Les règles ont été appliquées") && body.contains("class=\"fresh\""),
        "{body}"
    );
}

on_both_backends_with_clock!(
    closed_requests_go_after_five_years,
    old_audit_entries_go_and_the_chains_still_prove,
    a_trim_never_signs_over_a_changed_chain,
    retention_through_the_api_and_the_page,
    policies_run_across_their_boundaries,
    former_customers_go_and_unconfirmed_grants_lapse,
    a_yearly_transparency_message_goes_once
);
