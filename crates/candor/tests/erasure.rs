//! Erasure (E1–E3), on both backends: a person with a row in every table that holds a
//! person's data is erased through `DELETE /api/v1/contacts/{id}`; every row is handled
//! as the registry says (counts equal to the rows there were), nothing of theirs is
//! left under their id, another person is untouched to the byte, orders and contracts
//! stay under their legal hold naming no one, `verify` still passes and still catches
//! tampering, and their email and phone are on the suppression list.

mod common;

use candor_domain::checkpoint::CheckpointBreak as C;
use candor_domain::Role;
use candor_store::registry::{OnErasure, SUBJECT_TABLES};
use common::{expect_error, signed_in, TestApp, STAFF_PASSWORD as PASSWORD};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Every row held on a person, table by table.
async fn rows_of(t: &TestApp, id: Uuid) -> BTreeMap<&'static str, Vec<Value>> {
    t.app
        .store
        .subjects()
        .rows(id)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

async fn a_person_is_erased_and_no_one_else_is_touched(t: TestApp) {
    let company = t.company("Erasure Example", "73282932000074").await;
    let a = common::everything_about(&t, "zoe.erasure@example.fr", &company).await;
    let b = common::everything_about(&t, "other.erasure@example.fr", &company).await;
    let (ua, ub): (Uuid, Uuid) = (a.parse().unwrap(), b.parse().unwrap());
    // A newsletter reaches both (campaign_recipient); an earlier access request of
    // hers was answered with a download link (bundle_link).
    common::newsletter_and_a_delivered_request(&t, &a).await;
    // An erasure request of hers, recorded and verified (kept as proof, minimised).
    let r: Value = t
        .post(
            Role::Dpo,
            "/api/v1/requests",
            &json!({"kind": "erasure", "channel": "letter", "contact_id": a,
                    "details": "Effacez tout, Zoé Lefèvre, 12 rue des Lilas"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let rid = r["id"].as_str().unwrap().to_owned();
    t.post(
        Role::Dpo,
        &format!("/api/v1/requests/{rid}/identity"),
        &json!({"method": "carte d'identité n° 123456"}),
    )
    .await;
    t.app.checkpoint().await.unwrap();
    // Reads after the checkpoint: her chain goes beyond what it kept.
    t.get(Role::Sales, &format!("/api/v1/contacts/{a}")).await;

    let before_a = rows_of(&t, ua).await;
    let before_b = rows_of(&t, ub).await;
    for table in SUBJECT_TABLES {
        assert!(
            !before_a[table.table].is_empty(),
            "the test gives her a row in {}",
            table.table
        );
    }

    // Sales may not erase; the dpo does.
    let path = format!("/api/v1/contacts/{a}");
    expect_error(
        t.send(Role::Sales, reqwest::Method::DELETE, &path, &json!({}))
            .await,
        403,
        "role_forbidden",
        None,
        None,
    )
    .await;
    let res = t
        .send(Role::Dpo, reqwest::Method::DELETE, &path, &json!({}))
        .await;
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["subject_id"], a.as_str());
    assert_eq!(report["reason"], "staff");
    // She is told, with the erasure, in French, what the holds keep until when; the
    // message names no subject.
    let told: Vec<Value> = t
        .mailbox()
        .await
        .into_iter()
        .filter(|m| m["recipient"] == "zoe.erasure@example.fr")
        .collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["subject"], "Vos données sont effacées");
    assert_eq!(told[0]["subject_id"], Value::Null);
    let body = told[0]["body_text"].as_str().unwrap();
    assert!(
        body.contains("Vos commandes") && body.contains("Vos contrats"),
        "{body}"
    );
    // Every row she had is counted under what the registry says erasure does there.
    for table in SUBJECT_TABLES {
        let had = before_a[table.table].len() as u64;
        let c = &report["counts"][table.table];
        let n = |k: &str| c[k].as_u64().unwrap_or(0);
        let (done, kind) = match table.on_erasure {
            OnErasure::Delete => (n("deleted"), "deleted"),
            OnErasure::Seal if table.table == "checkpoint_head" => (n("sealed"), "sealed"),
            OnErasure::Seal => (n("deleted"), "deleted"),
            OnErasure::Anonymise => (n("held"), "held"),
            OnErasure::LegalHold if table.table == "contract" => (n("held"), "held"),
            OnErasure::LegalHold => (n("minimised"), "minimised"),
        };
        assert_eq!(done, had, "{}: {had} rows, {done} {kind}", table.table);
    }
    // Nothing is left under her id but the kept chain heads (a number and a hash).
    let after_a = rows_of(&t, ua).await;
    for (table, rows) in &after_a {
        if *table == "checkpoint_head" {
            assert_eq!(rows, &before_a["checkpoint_head"]);
            continue;
        }
        assert!(
            rows.is_empty(),
            "{table} still holds {} rows of hers",
            rows.len()
        );
    }
    // The other person is untouched, to the byte.
    assert_eq!(rows_of(&t, ub).await, before_b);
    // The request stays as proof, without what she gave.
    let kept: Value = t
        .get(Role::Dpo, &format!("/api/v1/requests/{rid}"))
        .await
        .json()
        .await
        .unwrap();
    let text = kept.to_string();
    assert!(
        !text.contains("Lilas") && !text.contains("123456") && !text.contains(&a),
        "{text}"
    );

    // Orders and contracts under their legal holds, naming no one.
    let held = report["held"].as_array().unwrap();
    let order = held
        .iter()
        .find(|h| h["kind"] == "order")
        .expect("the order is held");
    let ordered = before_a["customer_order"][0]["ordered_at"]
        .as_str()
        .unwrap()[..4]
        .parse::<i32>()
        .unwrap();
    assert!(order["held_until"]
        .as_str()
        .unwrap()
        .starts_with(&(ordered + 10).to_string()));
    assert_eq!(order["reason"], "Code de commerce L123-22");
    assert!(held.iter().any(|h| h["kind"] == "contract"));

    // She is gone from the API; a second erasure says so and changes nothing.
    expect_error(t.get(Role::Dpo, &path).await, 404, "not_found", None, None).await;
    let snapshot = t.snapshot().await;
    expect_error(
        t.send(Role::Dpo, reqwest::Method::DELETE, &path, &json!({}))
            .await,
        422,
        "invalid_field",
        Some("id"),
        Some("already_erased"),
    )
    .await;
    assert_eq!(t.snapshot().await, snapshot);
    let record: Value = t
        .get(Role::Dpo, &format!("{path}/erasure"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(record["id"], report["id"]);
    assert_eq!(record["held"], report["held"]);

    // A read queued before the erasure and written after it starts no chain again.
    let late = candor_domain::audit::AccessEvent {
        subject_id: ua,
        actor: "token:late".into(),
        action: candor_domain::audit::AuditAction::Read,
        fields: vec!["email".into()],
        endpoint: "GET /api/v1/contacts/{id}".into(),
        at: t.app.now(),
    };
    t.app.store.audit().append(vec![late]).await.unwrap();
    assert!(rows_of(&t, ua).await["audit_entry"].is_empty());
    assert!(rows_of(&t, ua).await["audit_head"].is_empty());

    // Every chain still verifies, before and after the next checkpoint.
    let clean = |t: &TestApp| {
        let app = t.app.clone();
        async move {
            for (name, r) in app.verify().await.unwrap() {
                assert!(r.breaks.is_empty(), "{name}: {:?}", r.breaks);
            }
            let c = app.verify_checkpoints().await.unwrap();
            assert!(c.breaks.is_empty(), "{:?}", c.breaks);
        }
    };
    clean(&t).await;
    t.app
        .checkpoint()
        .await
        .unwrap()
        .expect("the erasure moves the global chain");
    clean(&t).await;

    // Her email and phone are on the suppression list: not taken again unnoticed.
    let again = t
        .post(
            Role::Sales,
            "/api/v1/contacts",
            &json!({"kind": "b2c", "last_name": "Lefèvre", "email": "Zoe.Erasure@example.fr"}),
        )
        .await;
    expect_error(again, 409, "suppressed", Some("email"), Some("suppressed")).await;
    let by_phone = t
        .post(
            Role::Sales,
            "/api/v1/contacts",
            &json!({"kind": "b2c", "last_name": "Lefèvre", "phone": "+33 6 12 34 56 78"}),
        )
        .await;
    expect_error(
        by_phone,
        409,
        "suppressed",
        Some("phone"),
        Some("suppressed"),
    )
    .await;
    assert_eq!(t.snapshot().await, snapshot, "nothing created");
    // An admin may take her back, with a reason; not sales, not without one.
    let back = |reason: &str| json!({"kind": "b2c", "last_name": "Lefèvre", "email": "zoe.erasure@example.fr", "suppression_override": reason});
    expect_error(
        t.post(
            Role::Sales,
            "/api/v1/contacts",
            &back("Elle est revenue d'elle-même"),
        )
        .await,
        403,
        "role_forbidden",
        None,
        None,
    )
    .await;
    expect_error(
        t.post(Role::Admin, "/api/v1/contacts", &back("  ")).await,
        422,
        "invalid_field",
        Some("suppression_override"),
        Some("reason_required"),
    )
    .await;
    assert_eq!(
        t.snapshot().await,
        snapshot,
        "nothing created, nothing lifted"
    );
    let res = t
        .post(
            Role::Admin,
            "/api/v1/contacts",
            &back("Elle est revenue d'elle-même au salon"),
        )
        .await;
    assert_eq!(res.status(), 201);
    let lifted = t
        .app
        .store
        .erasures()
        .find_text("revenue d'elle-même")
        .await
        .unwrap();
    assert_eq!(lifted, vec![("suppression_lift", 1)]);
    let her: Value = res.json().await.unwrap();
    expect_error(
        t.patch(
            Role::Admin,
            &format!("/api/v1/contacts/{}", her["id"].as_str().unwrap()),
            &json!({"suppression_override": "x"}),
        )
        .await,
        422,
        "invalid_field",
        Some("suppression_override"),
        Some("creation_only"),
    )
    .await;
    // Another record changed to her phone is refused too, and unchanged.
    let other = t
        .contact(json!({"kind": "b2c", "last_name": "Autre"}))
        .await;
    let snapshot = t.snapshot().await;
    expect_error(
        t.patch(
            Role::Sales,
            &format!("/api/v1/contacts/{other}"),
            &json!({"phone": "+33612345678"}),
        )
        .await,
        409,
        "suppressed",
        Some("phone"),
        Some("suppressed"),
    )
    .await;
    assert_eq!(t.snapshot().await, snapshot);
    // Her phone is still on the list: only what the new record holds was lifted.
    expect_error(
        t.post(
            Role::Sales,
            "/api/v1/contacts",
            &json!({"kind": "b2c", "last_name": "L", "phone": "06 12 34 56 78"}),
        )
        .await,
        409,
        "suppressed",
        Some("phone"),
        Some("suppressed"),
    )
    .await;

    // Tampering is still caught: the erasure record removed, another person's chain
    // deleted with its head.
    t.exec(&format!("DELETE FROM held_record; DELETE FROM suppression; DELETE FROM suppression_lift; DELETE FROM erasure WHERE subject_id = '{a}'")).await;
    assert!(t
        .app
        .store
        .erasures()
        .of_subject(ua)
        .await
        .unwrap()
        .is_none());
    t.exec(&format!(
        "DELETE FROM audit_entry WHERE subject_id = '{b}'; DELETE FROM audit_head WHERE subject_id = '{b}'"
    ))
    .await;
    let breaks = t.app.verify_checkpoints().await.unwrap().breaks;
    let vanished = |who: Uuid, ledger: &str| {
        breaks.iter().any(|x| matches!(x, C::Vanished { subject, ledger: l, .. } if *subject == who && l == ledger))
    };
    assert!(vanished(Uuid::nil(), "erasure"), "{breaks:?}");
    assert!(
        vanished(ua, "audit") && vanished(ua, "consent"),
        "{breaks:?}"
    );
    assert!(vanished(ub, "audit"), "{breaks:?}");
}

/// The back office (E1, E3): the dpo erases from the contact's page after ticking the
/// confirmation; the record's page says what was done and what the holds keep, in
/// French; sales see no such form and may not post it.
async fn the_dpo_erases_from_the_contact_page(t: TestApp) {
    t.staff_accounts(PASSWORD).await;
    let company = t.company("Erasure Pages", "73282932000074").await;
    let a = common::everything_about(&t, "zoe.pages@example.fr", &company).await;
    let page = format!("/contacts/{a}");

    let mut sales = signed_in(&t, Role::Sales).await;
    assert!(!sales
        .get(&page)
        .await
        .text()
        .await
        .unwrap()
        .contains("form-erase"));
    let csrf = sales.csrf(&page).await;
    let res = sales
        .post(
            &format!("{page}/erase"),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::FORBIDDEN);

    let mut dpo = signed_in(&t, Role::Dpo).await;
    let html = dpo.get(&page).await.text().await.unwrap();
    assert!(html.contains("form-erase") && html.contains("Effacer cette personne"));
    let before = t.snapshot().await;
    let csrf = dpo.csrf(&page).await;
    let unticked = dpo.post(&format!("{page}/erase"), &[("csrf", &csrf)]).await;
    assert_eq!(unticked.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unticked.text().await.unwrap().contains("Cochez la case"));
    let mut counts = t.snapshot().await;
    counts.retain(|(table, _)| *table != "audit_entry");
    let mut was = before.clone();
    was.retain(|(table, _)| *table != "audit_entry");
    assert_eq!(counts, was, "nothing erased (the page's reads are audited)");

    let csrf = dpo.csrf(&page).await;
    let res = dpo
        .post(
            &format!("{page}/erase"),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
    let record = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(record, format!("/erasures/{a}?done=1"));
    let html = dpo.get(&record).await.text().await.unwrap();
    for words in [
        "Personne effacée",
        "Commandes",
        "Sous obligation légale",
        "Code de commerce L123-22",
        "Contrat",
    ] {
        assert!(html.contains(words), "{words}: {html}");
    }
    assert!(
        !html.contains("zoe.pages"),
        "no personal data on the record's page"
    );
    assert_eq!(
        dpo.get(&page).await.status(),
        reqwest::StatusCode::NOT_FOUND
    );
}

/// An erasure request (Art. 17) is answered by the erasure: not before the identity
/// step; then the person is erased, the request answered and kept without what they
/// gave, and told by email in their language (with what the holds keep), a message
/// whose row goes once it is sent; its `.eml` copies of earlier messages are gone.
async fn an_erasure_request_is_answered_by_erasing(t: TestApp) {
    let company = t.company("Erasure Requests", "73282932000074").await;
    let a = common::everything_about(&t, "zoe.request@example.fr", &company).await;
    let ua: Uuid = a.parse().unwrap();
    // Her consent request went to the local outbox as a file.
    let outbox = t.dir.join("outbox");
    let transport = candor_app::mail::Transport::Outbox(outbox.clone());
    while t.app.deliver_due(&transport).await.unwrap() > 0 {}
    let files = || std::fs::read_dir(&outbox).map(|d| d.count()).unwrap_or(0);
    let before_files = files();
    assert!(before_files > 0, "her emails are in the outbox as files");
    let r: Value = t
        .post(
            Role::Support,
            "/api/v1/requests",
            &json!({"kind": "erasure", "channel": "email", "contact_id": a}),
        )
        .await
        .json()
        .await
        .unwrap();
    let rid = r["id"].as_str().unwrap().to_owned();
    let erase = format!("/api/v1/requests/{rid}/erasure");
    let snapshot = t.snapshot().await;
    expect_error(
        t.post(Role::Support, &erase, &json!({})).await,
        403,
        "role_forbidden",
        None,
        None,
    )
    .await;
    expect_error(
        t.post(Role::Dpo, &erase, &json!({})).await,
        422,
        "invalid_field",
        Some("status"),
        None,
    )
    .await;
    assert_eq!(
        t.snapshot().await,
        snapshot,
        "nothing erased before the identity step"
    );
    t.post(
        Role::Dpo,
        &format!("/api/v1/requests/{rid}/identity"),
        &json!({"method": "réponse depuis l'adresse connue"}),
    )
    .await;
    let res = t.post(Role::Dpo, &erase, &json!({})).await;
    assert_eq!(res.status(), 200);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["request"]["status"], "answered");
    assert_eq!(answer["request"]["subject_id"], Value::Null);
    assert_eq!(answer["erasure"]["reason"], format!("request:{rid}"));
    assert!(t.app.store.contacts().get(ua).await.unwrap().is_none());
    // Told, in French, with what the holds keep; the message names no subject.
    let told: Vec<Value> = t
        .mailbox()
        .await
        .into_iter()
        .filter(|m| m["recipient"] == "zoe.request@example.fr")
        .collect();
    assert_eq!(told.len(), 1, "only the answer is left: {told:?}");
    assert_eq!(told[0]["subject"], "Vos données sont effacées");
    assert_eq!(told[0]["subject_id"], Value::Null);
    assert!(told[0]["body_text"]
        .as_str()
        .unwrap()
        .contains("gardées sans vous nommer jusqu'au"));
    // Her earlier emails' files are gone; once the answer is sent, its row is too.
    assert!(
        files() < before_files,
        "{} files of {before_files}",
        files()
    );
    while t.app.deliver_due(&transport).await.unwrap() > 0 {}
    assert!(t
        .mailbox()
        .await
        .iter()
        .all(|m| m["recipient"] != "zoe.request@example.fr"));
    // Asked again, it changes nothing.
    let snapshot = t.snapshot().await;
    expect_error(
        t.post(Role::Dpo, &erase, &json!({})).await,
        422,
        "invalid_field",
        Some("status"),
        None,
    )
    .await;
    assert_eq!(t.snapshot().await, snapshot);
    let rid: Uuid = rid.parse().unwrap();
    let erased_step = || async {
        t.app
            .store
            .requests()
            .events(rid)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "erased")
            .collect::<Vec<_>>()
    };
    let first = erased_step().await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].detail["told_by_email"], true);
    // A crash after the erasure committed and before the request was answered: run
    // again, the request is answered without erasing twice, and says truly that the
    // person was told with the erasure.
    let erasures = t.count("SELECT COUNT(*) FROM erasure").await;
    t.exec(&format!(
        "UPDATE subject_request SET status = 'identity_verified', answer = NULL, closed_at = NULL \
         WHERE id = '{rid}'; DELETE FROM request_event WHERE request_id = '{rid}' AND action = 'erased'"
    ))
    .await;
    let res = t.post(Role::Dpo, &erase, &json!({})).await;
    assert_eq!(res.status(), 200);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["request"]["status"], "answered");
    assert_eq!(t.count("SELECT COUNT(*) FROM erasure").await, erasures);
    let again = erased_step().await;
    assert_eq!(again.len(), 1);
    assert_eq!(
        again[0].detail["told_by_email"], true,
        "{:?}",
        again[0].detail
    );
    assert_eq!(again[0].detail["erasure"], first[0].detail["erasure"]);
}

/// Every file under a directory, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Proof that nothing remains (E2): a person with distinctive values in every field,
/// a consent with its evidence, web visits, a request and emails (their `.eml` files
/// too) is erased; no table holds any of the values (`candor erase verify`'s search,
/// both backends) and, on SQLite, no byte of the database, its WAL or any file of the
/// data directory does (`secure_delete`, then a checkpoint of the WAL).
async fn nothing_of_the_person_remains(t: TestApp) {
    let canaries = [
        "canary.person@example.org",
        "Canaryfirst",
        "Canarylast",
        "698765431",
        "Canarystreet",
        "Canarycity",
        "canarynote",
        "canarywording",
        "203.0.113.77",
        "CanaryAgent",
        "canary-page",
        "canarydetails",
    ];
    let id = t
        .contact(
            json!({"kind": "b2c", "first_name": "Canaryfirst", "last_name": "Canarylast",
            "email": "Canary.Person@example.org", "phone": "06 98 76 54 31", "locale": "fr",
            "address_line": "17 rue Canarystreet", "postal_code": "75011", "city": "Canarycity",
            "country": "FR", "notes": "canarynote"}),
        )
        .await;
    let uid: Uuid = id.parse().unwrap();
    let web = json!({"purpose": "marketing", "channel": "email", "action": "grant", "source": "web_form",
        "evidence": {"form_id": "f", "wording": "canarywording", "ip": "203.0.113.77", "user_agent": "CanaryAgent/1.0"}});
    let res = t
        .post(
            Role::Sales,
            &format!("/api/v1/contacts/{id}/consents"),
            &web,
        )
        .await;
    assert_eq!(res.status(), 201);
    t.app
        .store
        .activity()
        .record(&candor_store::ActivityRecord {
            id: Uuid::now_v7(),
            contact_id: uid,
            kind: "web_visit".into(),
            at: t.app.now(),
            detail: "/canary-page".into(),
        })
        .await
        .unwrap();
    let r = t
        .post(
            Role::Dpo,
            "/api/v1/requests",
            &json!({"kind": "access", "channel": "letter",
            "contact_id": id, "details": "canarydetails"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let transport = candor_app::mail::Transport::Outbox(t.dir.join("outbox"));
    while t.app.deliver_due(&transport).await.unwrap() > 0 {}
    t.app.checkpoint().await.unwrap();
    for c in canaries {
        assert!(
            !t.app
                .store
                .erasures()
                .find_text(c)
                .await
                .unwrap()
                .is_empty(),
            "{c} is in the store before the erasure"
        );
    }

    let res = t
        .send(
            Role::Dpo,
            reqwest::Method::DELETE,
            &format!("/api/v1/contacts/{id}"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // The notice telling her goes (the local outbox keeps no copy of it) and its row
    // with it.
    while t.app.deliver_due(&transport).await.unwrap() > 0 {}
    let dpo = candor_app::Actor {
        id: Uuid::nil(),
        role: Role::Dpo,
        audit_name: "test:dpo".into(),
    };
    assert_eq!(
        t.app
            .find_remains(&dpo, "canary.person@example.org")
            .await
            .unwrap(),
        vec![],
        "candor erase verify finds nothing"
    );
    for c in canaries {
        assert_eq!(
            t.app.store.erasures().find_text(c).await.unwrap(),
            vec![],
            "{c} remains in a table"
        );
    }
    if t.db_url.starts_with("sqlite") {
        // No checkpoint of the log by hand: what Candor does after an erasure and
        // after sending the notice must leave nothing in the file, its log or its
        // shared memory.
        t.app.checkpoint().await.unwrap();
        let files = files_under(&t.dir);
        assert!(files.iter().any(|f| f.ends_with("candor.db")));
        for f in &files {
            let bytes = std::fs::read(f).unwrap().to_ascii_lowercase();
            for c in canaries {
                let needle = c.to_ascii_lowercase().into_bytes();
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                    "{c} remains in the bytes of {}",
                    f.display()
                );
            }
        }
    }
}

/// Erasure cannot hide tampering (S4, E2): a person whose chain was cut below what the
/// last checkpoint kept is not erased (that would seal the cut); an erasure record not
/// signed by the checkpoint key is named by `verify`.
async fn an_erasure_neither_hides_nor_forges(t: TestApp) {
    let a = t
        .contact(json!({"kind": "b2c", "last_name": "Roux", "email": "roux.seal@example.fr"}))
        .await;
    let b = t
        .contact(json!({"kind": "b2c", "last_name": "Blanc", "email": "blanc.seal@example.fr"}))
        .await;
    for id in [&a, &b] {
        for _ in 0..3 {
            t.get(Role::Sales, &format!("/api/v1/contacts/{id}")).await;
        }
    }
    t.app.checkpoint().await.unwrap().expect("a checkpoint");
    // Her newest audit entries removed and her head moved back, behind Candor's back.
    t.exec(&format!(
        "DELETE FROM audit_entry WHERE subject_id = '{a}' AND seq > 1; \
         UPDATE audit_head SET seq = 1, hash = (SELECT hash FROM audit_entry WHERE subject_id = '{a}' AND seq = 1) WHERE subject_id = '{a}'"
    ))
    .await;
    let res = t
        .send(
            Role::Dpo,
            reqwest::Method::DELETE,
            &format!("/api/v1/contacts/{a}"),
            &json!({}),
        )
        .await;
    assert_eq!(
        res.status(),
        500,
        "refused: erasing would seal the tampering"
    );
    assert!(t
        .app
        .store
        .erasures()
        .of_subject(a.parse().unwrap())
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        t.get(Role::Dpo, &format!("/api/v1/contacts/{a}"))
            .await
            .status(),
        200
    );

    // A record whose signature is not the key's is named.
    let res = t
        .send(
            Role::Dpo,
            reqwest::Method::DELETE,
            &format!("/api/v1/contacts/{b}"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let breaks = t.app.verify_checkpoints().await.unwrap().breaks;
    assert!(
        !breaks
            .iter()
            .any(|x| matches!(x, C::ErasureSignature { .. })),
        "{breaks:?}"
    );
    t.exec(&format!(
        "UPDATE erasure SET signature = 'ab' WHERE subject_id = '{b}'"
    ))
    .await;
    let breaks = t.app.verify_checkpoints().await.unwrap().breaks;
    assert!(
        breaks
            .iter()
            .any(|x| matches!(x, C::ErasureSignature { seq: 1 })),
        "{breaks:?}"
    );
}

on_both_backends!(
    an_erasure_neither_hides_nor_forges,
    nothing_of_the_person_remains,
    a_person_is_erased_and_no_one_else_is_touched,
    the_dpo_erases_from_the_contact_page,
    an_erasure_request_is_answered_by_erasing
);
