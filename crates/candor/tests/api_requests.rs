//! Data subject requests over the API (R1, R2, R7), on a clock the tests move, on both
//! backends: a letter dated 31 January is due on 28 February; its signed receipt
//! verifies and fails once a byte changes; nothing is answered before the identity is
//! verified; one extension within the first month, told to the person; bad input is
//! named and changes nothing; each role sees and does what it may; a restriction stops
//! marketing until lifted; an objection withdraws every channel; the DPO's digest runs
//! once a day, once, even with two nodes.

mod common;

use candor_domain::clock::FixedClock;
use candor_domain::Role;
use common::{expect_error, TestApp};
use serde_json::{json, Value};
use std::sync::Arc;

async fn person(t: &TestApp, email: &str) -> String {
    t.contact(json!({"kind": "b2c", "first_name": "Zoé", "last_name": "Lefèvre", "email": email}))
        .await
}

async fn record(t: &TestApp, role: Role, body: Value) -> Value {
    let res = t.post(role, "/api/v1/requests", &body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

async fn step(t: &TestApp, role: Role, id: &str, what: &str, body: Value) -> reqwest::Response {
    t.post(role, &format!("/api/v1/requests/{id}/{what}"), &body)
        .await
}

/// The emails of one category to one address, newest first.
async fn mails_to(t: &TestApp, to: &str) -> Vec<Value> {
    t.mailbox()
        .await
        .into_iter()
        .filter(|m| m["recipient"] == to)
        .collect()
}

async fn a_letter_is_received_extended_verified_and_its_receipt_holds(
    t: TestApp,
    _c: Arc<FixedClock>,
) {
    let id = person(&t, "zoe.requests@example.fr").await;
    let r = record(
        &t,
        Role::Support,
        json!({"kind": "access", "channel": "letter", "received_on": "2026-01-31",
               "contact_id": id, "details": "Tout ce que vous avez sur moi"}),
    )
    .await;
    assert_eq!(r["deadline"], "2026-02-28");
    assert_eq!(r["status"], "received");
    assert_eq!(r["days_left"], 18);
    let rid = r["id"].as_str().unwrap().to_owned();
    // The receipt went to the person, in French, as a legal notice.
    let mails = mails_to(&t, "zoe.requests@example.fr").await;
    let receipt_mail = mails
        .iter()
        .find(|m| {
            m["subject"]
                .as_str()
                .unwrap()
                .contains("Accusé de réception")
        })
        .expect("receipt emailed");
    assert_eq!(receipt_mail["category"], "legal_notice");
    assert!(receipt_mail["body_text"]
        .as_str()
        .unwrap()
        .contains("2026-02-28"));

    // The signed receipt verifies against the published key, and not once changed.
    let file = t
        .get(Role::Support, &format!("/api/v1/requests/{rid}/receipt"))
        .await
        .bytes()
        .await
        .unwrap();
    let key: Value = t
        .get(Role::Dpo, "/api/v1/receipts/public-key")
        .await
        .json()
        .await
        .unwrap();
    let pk = candor_app::receipts::parse_public_key(key["pem"].as_str().unwrap()).unwrap();
    let known = [(key["key_id"].as_str().unwrap().to_owned(), pk)].into();
    let content = candor_app::receipts::verify(&file, &known).expect("the receipt verifies");
    assert_eq!(
        (content["deadline"].as_str(), content["kind"].as_str()),
        (Some("2026-02-28"), Some("access"))
    );
    // The same signed file went with the email, and the email says how to check it.
    assert_eq!(
        receipt_mail["attachment"]["name"],
        format!("receipt-{rid}.json")
    );
    assert_eq!(
        receipt_mail["attachment"]["content"]
            .as_str()
            .unwrap()
            .as_bytes(),
        &file[..]
    );
    assert!(receipt_mail["body_text"]
        .as_str()
        .unwrap()
        .contains("/api/v1/receipts/public-key"));
    let mut changed = file.to_vec();
    let at = changed.iter().position(|b| *b == b'8').unwrap();
    changed[at] = b'9';
    assert!(candor_app::receipts::verify(&changed, &known).is_err());

    // Nothing is answered before the identity is verified; nothing changed then.
    let before = t.snapshot().await;
    expect_error(
        step(&t, Role::Dpo, &rid, "start", json!({})).await,
        422,
        "invalid_field",
        Some("status"),
        Some("identity_not_verified"),
    )
    .await;
    assert_eq!(t.snapshot().await, before);

    // The dpo extends it by two months with a reason: 28 April, told by email.
    let ext = step(
        &t,
        Role::Dpo,
        &rid,
        "extension",
        json!({"months": 2, "reason": "Dix ans de commandes à rassembler"}),
    )
    .await;
    assert_eq!(ext.status(), 200);
    let ext: Value = ext.json().await.unwrap();
    assert_eq!(ext["deadline"], "2026-04-28");
    assert!(mails_to(&t, "zoe.requests@example.fr")
        .await
        .iter()
        .any(|m| m["body_text"]
            .as_str()
            .unwrap()
            .contains("Dix ans de commandes")));
    let before = t.snapshot().await;
    expect_error(
        step(
            &t,
            Role::Dpo,
            &rid,
            "extension",
            json!({"months": 1, "reason": "encore"}),
        )
        .await,
        422,
        "invalid_field",
        Some("months"),
        Some("extended_once"),
    )
    .await;
    assert_eq!(t.snapshot().await, before);

    let v = step(
        &t,
        Role::Dpo,
        &rid,
        "identity",
        json!({"method": "Pièce d'identité jointe au courrier"}),
    )
    .await;
    assert_eq!(v.status(), 200);
    let v = step(&t, Role::Dpo, &rid, "start", json!({})).await;
    assert_eq!(v.status(), 200);
    // Access is answered by the bundle delivered, not by a note.
    expect_error(
        step(&t, Role::Dpo, &rid, "answer", json!({"note": "ok"})).await,
        422,
        "invalid_field",
        Some("kind"),
        Some("answered_by_its_act"),
    )
    .await;

    let full: Value = t
        .get(Role::Dpo, &format!("/api/v1/requests/{rid}"))
        .await
        .json()
        .await
        .unwrap();
    let steps: Vec<&str> = full["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["received", "extended", "identity_verified", "started"]
    );
    assert_eq!(full["request"]["status"], "in_progress");
    // Each step is in the person's access audit.
    let audit: Vec<Value> = t
        .get(Role::Dpo, &format!("/api/v1/contacts/{id}/audit"))
        .await
        .json()
        .await
        .unwrap();
    let on_request = audit
        .iter()
        .filter(|e| e["fields"][0] == "request.access")
        .count();
    assert_eq!(on_request, 4);
}

async fn an_extension_after_the_first_month_is_refused(t: TestApp, _c: Arc<FixedClock>) {
    let id = person(&t, "late.requests@example.fr").await;
    // Received on 2 January: its first period ended on 2 February, before today (10 February).
    let r = record(&t, Role::Dpo, json!({"kind": "access", "channel": "email", "received_on": "2026-01-02", "contact_id": id})).await;
    assert_eq!(r["deadline"], "2026-02-02");
    let rid = r["id"].as_str().unwrap();
    let before = t.snapshot().await;
    expect_error(
        step(
            &t,
            Role::Dpo,
            rid,
            "extension",
            json!({"months": 2, "reason": "x"}),
        )
        .await,
        422,
        "invalid_field",
        Some("months"),
        Some("extension_too_late"),
    )
    .await;
    assert_eq!(t.snapshot().await, before);
    let overdue: Vec<Value> = t
        .get(Role::Dpo, "/api/v1/requests?overdue=true")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0]["overdue"], true);
    assert!(overdue[0]["days_left"].as_i64().unwrap() < 0);
}

async fn bad_requests_are_named_and_change_nothing(t: TestApp, _c: Arc<FixedClock>) {
    let id = person(&t, "bad.requests@example.fr").await;
    let before = t.snapshot().await;
    for (body, field, rule) in [
        (
            json!({"kind": "deletion", "channel": "letter", "contact_id": id}),
            "kind",
            "request_kind",
        ),
        (
            json!({"kind": "access", "channel": "pigeon", "contact_id": id}),
            "channel",
            "request_channel",
        ),
        (
            json!({"kind": "access", "channel": "portal", "contact_id": id}),
            "channel",
            "person_only_source",
        ),
        (
            json!({"kind": "access", "channel": "letter", "received_on": "2026-02-11", "contact_id": id}),
            "received_on",
            "not_in_future",
        ),
        (
            json!({"kind": "access", "channel": "letter", "received_on": "31/01/2026", "contact_id": id}),
            "received_on",
            "date_format",
        ),
        (
            json!({"kind": "access", "channel": "letter"}),
            "contact_id",
            "subject_required",
        ),
        (
            json!({"kind": "access", "channel": "letter", "contact_id": uuid::Uuid::now_v7()}),
            "contact_id",
            "reference_exists",
        ),
        (
            json!({"kind": "access", "channel": "letter", "email": "not an address"}),
            "email",
            "email_format",
        ),
    ] {
        let res = t.post(Role::Admin, "/api/v1/requests", &body).await;
        expect_error(res, 422, "invalid_field", Some(field), Some(rule)).await;
    }
    expect_error(
        t.get(Role::Dpo, "/api/v1/requests?status=lost").await,
        422,
        "invalid_field",
        Some("status"),
        Some("request_status"),
    )
    .await;
    assert_eq!(t.snapshot().await, before);

    // A person no contact matches: kept with what they gave, and answered "nothing held".
    let r = record(&t, Role::Admin, json!({"kind": "access", "channel": "email", "email": "nobody@example.org", "name": "Nobody"})).await;
    assert_eq!(r["subject_id"], Value::Null);
    assert_eq!(r["requester"]["email"], "nobody@example.org");
    // The address given finds the contact.
    let r = record(
        &t,
        Role::Admin,
        json!({"kind": "information", "channel": "email", "email": "BAD.requests@example.fr"}),
    )
    .await;
    assert_eq!(r["subject_id"], id.as_str());
}

async fn each_role_sees_and_does_what_it_may(t: TestApp, _c: Arc<FixedClock>) {
    let id = person(&t, "roles.requests@example.fr").await;
    let body = json!({"kind": "access", "channel": "phone", "contact_id": id});
    expect_error(
        t.post(Role::Marketing, "/api/v1/requests", &body).await,
        403,
        "role_forbidden",
        None,
        None,
    )
    .await;
    expect_error(
        t.get(Role::Marketing, "/api/v1/requests").await,
        403,
        "role_forbidden",
        None,
        None,
    )
    .await;
    let by_sales = record(&t, Role::Sales, body.clone()).await;
    let by_admin = record(&t, Role::Admin, body.clone()).await;
    let listed: Vec<Value> = t
        .get(Role::Sales, "/api/v1/requests")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|r| r["id"].clone()).collect::<Vec<_>>(),
        [by_sales["id"].clone()]
    );
    let listed: Vec<Value> = t
        .get(Role::Dpo, "/api/v1/requests")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    let other = by_admin["id"].as_str().unwrap();
    expect_error(
        t.get(Role::Sales, &format!("/api/v1/requests/{other}"))
            .await,
        404,
        "not_found",
        None,
        None,
    )
    .await;
    let own = by_sales["id"].as_str().unwrap();
    expect_error(
        step(&t, Role::Sales, own, "identity", json!({"method": "x"})).await,
        403,
        "role_forbidden",
        None,
        None,
    )
    .await;
    expect_error(
        step(&t, Role::Support, own, "identity", json!({"method": "x"})).await,
        403,
        "role_forbidden",
        None,
        None,
    )
    .await;
}

async fn decision(t: &TestApp, id: &str, category: &str) -> String {
    let v: Value = t
        .post(
            Role::Sales,
            "/api/v1/decisions",
            &json!({"contact_id": id, "category": category, "channel": "email"}),
        )
        .await
        .json()
        .await
        .unwrap();
    v["rule"].as_str().unwrap().to_owned()
}

async fn a_restriction_holds_until_lifted_and_an_objection_withdraws(
    t: TestApp,
    _c: Arc<FixedClock>,
) {
    let b2b_company = t.company("Restriction Example", "73282932000074").await;
    let id = t
        .contact(json!({"kind": "b2b", "company_id": b2b_company, "last_name": "Martin", "email": "restricted@example.fr"}))
        .await;
    let grant = json!({"purpose": "newsletter", "channel": "email", "action": "grant", "source": "phone",
                       "evidence": {"wording": "Je veux la lettre"}});
    assert_eq!(
        t.post(
            Role::Sales,
            &format!("/api/v1/contacts/{id}/consents"),
            &grant
        )
        .await
        .status(),
        201
    );
    assert_eq!(decision(&t, &id, "newsletter").await, "opt_in_effective");

    let r = record(
        &t,
        Role::Dpo,
        json!({"kind": "restriction", "channel": "phone", "contact_id": id}),
    )
    .await;
    assert_eq!(r["restricts"], true);
    assert_eq!(
        decision(&t, &id, "newsletter").await,
        "restricted_legal_only"
    );
    // A newsletter's audience leaves her out, naming the rule.
    let seg: Value = t
        .post(
            Role::Marketing,
            "/api/v1/segments",
            &json!({"name": "all", "conditions": []}),
        )
        .await
        .json()
        .await
        .unwrap();
    let camp: Value = t
        .post(
            Role::Marketing,
            "/api/v1/campaigns",
            &json!({"name": "Lettre", "category": "newsletter", "channel": "email", "segment_id": seg["id"],
                    "content": {"fr": {"subject": "Nouvelles", "body": "Bonjour"}}}),
        )
        .await
        .json()
        .await
        .unwrap();
    let audience: Value = t
        .get(
            Role::Marketing,
            &format!(
                "/api/v1/campaigns/{}/audience",
                camp["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        audience.to_string().contains("restricted_legal_only"),
        "{audience}"
    );
    let rid = r["id"].as_str().unwrap();
    expect_error(
        step(&t, Role::Dpo, rid, "answer", json!({"note": "x"})).await,
        422,
        "invalid_field",
        Some("status"),
        Some("identity_not_verified"),
    )
    .await;
    assert_eq!(
        step(
            &t,
            Role::Dpo,
            rid,
            "identity",
            json!({"method": "rappel au numéro du dossier"})
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        step(
            &t,
            Role::Dpo,
            rid,
            "answer",
            json!({"note": "Limitation appliquée"})
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        decision(&t, &id, "newsletter").await,
        "restricted_legal_only"
    );
    expect_error(
        step(&t, Role::Dpo, rid, "lift-restriction", json!({})).await,
        422,
        "invalid_field",
        Some("note"),
        Some("required"),
    )
    .await;
    assert_eq!(
        step(
            &t,
            Role::Dpo,
            rid,
            "lift-restriction",
            json!({"note": "Exactitude vérifiée, personne informée"})
        )
        .await
        .status(),
        200
    );
    assert_eq!(decision(&t, &id, "newsletter").await, "opt_in_effective");

    let o = record(
        &t,
        Role::Dpo,
        json!({"kind": "objection", "channel": "letter", "contact_id": id}),
    )
    .await;
    let oid = o["id"].as_str().unwrap();
    step(
        &t,
        Role::Dpo,
        oid,
        "identity",
        json!({"method": "signature comparée"}),
    )
    .await;
    let answered = step(
        &t,
        Role::Dpo,
        oid,
        "answer",
        json!({"note": "Plus de prospection"}),
    )
    .await;
    assert_eq!(answered.status(), 200);
    assert_eq!(decision(&t, &id, "newsletter").await, "global_opt_out");
    for channel in ["email", "sms", "phone", "post"] {
        assert_eq!(
            t.global_consent(uuid::Uuid::parse_str(&id).unwrap(), channel)
                .await,
            Some(candor_domain::consent::Status::Withdrawn),
            "{channel}"
        );
    }
    // Closed requests move no more.
    expect_error(
        step(&t, Role::Dpo, oid, "answer", json!({"note": "again"})).await,
        422,
        "invalid_field",
        Some("status"),
        Some("request_closed"),
    )
    .await;
}

async fn the_dpo_digest_runs_once_a_day_even_with_two_nodes(t: TestApp, c: Arc<FixedClock>) {
    let id = person(&t, "digest.requests@example.fr").await;
    record(&t, Role::Dpo, json!({"kind": "access", "channel": "email", "received_on": "2026-01-15", "contact_id": id})).await;
    t.app.schedule_recurring_jobs().await.unwrap();
    let b = t.another_node(c.clone(), "node-b").await;
    b.schedule_recurring_jobs().await.unwrap(); // the same key: scheduled once
    assert_eq!(
        t.app.run_due_jobs().await.unwrap(),
        1,
        "not yet 07:00: only the first verification of the chains"
    );
    c.advance(time::Duration::hours(22)); // 11 February, 07:30
    let (a_done, b_done) = tokio::join!(t.app.run_due_jobs(), b.run_due_jobs());
    assert_eq!(
        a_done.unwrap() + b_done.unwrap(),
        4,
        "each job once, on one node or the other: the digest, the retention policies of 03:00, the verification of 04:00, the transparency messages of 05:00"
    );
    let digests = mails_to(&t, "dpo@candor.invalid").await;
    assert_eq!(digests.len(), 1);
    assert!(
        digests[0]["subject"]
            .as_str()
            .unwrap()
            .contains("0 en retard, 1 à échéance"),
        "{}",
        digests[0]["subject"]
    );
    assert_eq!(
        t.app.run_due_jobs().await.unwrap() + b.run_due_jobs().await.unwrap(),
        0
    );
    let jobs = t.app.store.jobs().list(10).await.unwrap();
    assert_eq!(
        jobs.iter().filter(|j| j.kind == "dpo_digest").count(),
        2,
        "today's done, tomorrow's queued"
    );
    assert!(
        digests[0]["body_text"]
            .as_str()
            .unwrap()
            .contains("accès (4 j restants)"),
        "{}",
        digests[0]["body_text"]
    );
    // The DPO's own account reads English: the next digest is in English.
    t.app
        .create_staff_user(
            "dpo@candor.invalid",
            Role::Dpo,
            "en",
            "une phrase assez longue",
        )
        .await
        .unwrap();
    c.advance(time::Duration::days(1));
    assert_eq!(
        t.app.run_due_jobs().await.unwrap(),
        4,
        "the digest, the retention, the verification, the transparency messages"
    );
    let digests = mails_to(&t, "dpo@candor.invalid").await;
    assert_eq!(digests.len(), 2);
    let english = digests
        .iter()
        .find(|m| m["locale"] == "en")
        .expect("the second digest follows the DPO's language");
    assert!(
        english["subject"]
            .as_str()
            .unwrap()
            .contains("0 overdue, 1 due within 7 days")
            && english["body_text"]
                .as_str()
                .unwrap()
                .contains("access (3 d left)"),
        "{english}"
    );
}

async fn access_request(t: &TestApp, email: &str) -> String {
    let id = person(t, email).await;
    let r = record(
        t,
        Role::Dpo,
        json!({"kind": "access", "channel": "email", "contact_id": id}),
    )
    .await;
    let rid = r["id"].as_str().unwrap().to_owned();
    assert_eq!(
        step(
            t,
            Role::Dpo,
            &rid,
            "identity",
            json!({"method": "lien envoyé à l'adresse connue"})
        )
        .await
        .status(),
        200
    );
    rid
}

async fn a_bundle_is_delivered_by_each_channel_and_recorded(t: TestApp, c: Arc<FixedClock>) {
    // By email: the person gets a link, never the data; staff see it cut.
    let rid = access_request(&t, "deliver.email@example.fr").await;
    let res = step(
        &t,
        Role::Dpo,
        &rid,
        "deliveries",
        json!({"channel": "email"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let d: Value = res.json().await.unwrap();
    assert_eq!(d["request"]["status"], "answered");
    // Emailed, the link is the person's alone: the staff member is not given it.
    assert_eq!(d["link"], Value::Null);
    let mails = mails_to(&t, "deliver.email@example.fr").await;
    let mail = mails
        .iter()
        .find(|m| m["body_text"].as_str().unwrap().contains("/download/"))
        .expect("the link is emailed");
    let link = mail["body_text"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .find(|w| w.contains("/download/"))
        .unwrap()
        .to_owned();
    assert!(
        !mail["body_text"].as_str().unwrap().contains("\"format\""),
        "never the data in the body"
    );
    let outbox: Vec<Value> = t
        .get(Role::Dpo, "/api/v1/outbox")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        outbox
            .iter()
            .all(|m| !m["body_text"].as_str().unwrap_or_default().contains(&link)),
        "staff views cut the link"
    );
    // The link: a page that changes nothing, then the zip; a forged one gets nothing.
    let page = t.client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("<form method=\"post\">"));
    let zip = t.client.post(&link).send().await.unwrap();
    assert_eq!(zip.status(), 200);
    assert_eq!(zip.headers()["content-type"], "application/zip");
    assert!(zip.bytes().await.unwrap().starts_with(b"PK"));
    let forged = t
        .client
        .post(format!("{}/download/{}", t.url, "0".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 404);
    let full: Value = t
        .get(Role::Dpo, &format!("/api/v1/requests/{rid}"))
        .await
        .json()
        .await
        .unwrap();
    let delivered = full["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "delivered")
        .expect("recorded");
    assert_eq!(
        (
            delivered["detail"]["channel"].as_str(),
            delivered["actor"].as_str().is_some()
        ),
        (Some("email"), true)
    );
    // Delivered once: the request is closed.
    let before = t.snapshot().await;
    expect_error(
        step(
            &t,
            Role::Dpo,
            &rid,
            "deliveries",
            json!({"channel": "post"}),
        )
        .await,
        422,
        "invalid_field",
        Some("status"),
        Some("request_closed"),
    )
    .await;
    assert_eq!(t.snapshot().await, before);
    // Seven days later the link is spent.
    c.advance(time::Duration::days(8));
    assert_eq!(t.client.post(&link).send().await.unwrap().status(), 404);

    // Written to a drive: an absolute existing directory only.
    let rid = access_request(&t, "deliver.drive@example.fr").await;
    expect_error(
        step(
            &t,
            Role::Dpo,
            &rid,
            "deliveries",
            json!({"channel": "removable_drive", "path": "relative/dir"}),
        )
        .await,
        422,
        "invalid_field",
        Some("path"),
        Some("existing_directory"),
    )
    .await;
    expect_error(
        step(
            &t,
            Role::Dpo,
            &rid,
            "deliveries",
            json!({"channel": "pigeon"}),
        )
        .await,
        422,
        "invalid_field",
        Some("channel"),
        Some("delivery_channel"),
    )
    .await;
    // Never a directory outside the drives' mount points.
    let before = t.snapshot().await;
    expect_error(
        step(
            &t,
            Role::Dpo,
            &rid,
            "deliveries",
            json!({"channel": "removable_drive", "path": "/etc"}),
        )
        .await,
        422,
        "invalid_field",
        Some("path"),
        Some("drive_root"),
    )
    .await;
    assert_eq!(t.snapshot().await, before);
    assert!(!std::path::Path::new(&format!("/etc/data-{rid}.zip")).exists());
    let drive = common::temp_dir("usb-key");
    let d: Value = step(
        &t,
        Role::Dpo,
        &rid,
        "deliveries",
        json!({"channel": "removable_drive", "path": drive.to_str().unwrap()}),
    )
    .await
    .json()
    .await
    .unwrap();
    let file = d["file"].as_str().unwrap();
    assert!(std::fs::read(file).unwrap().starts_with(b"PK"));
    // By post: recorded and answered.
    let rid = access_request(&t, "deliver.post@example.fr").await;
    let d: Value = step(
        &t,
        Role::Dpo,
        &rid,
        "deliveries",
        json!({"channel": "post"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(d["request"]["status"], "answered");
    assert_eq!(d["link"], Value::Null);
}

async fn a_rectification_is_validated_applied_and_told(t: TestApp, _c: Arc<FixedClock>) {
    let id = person(&t, "rectify@example.fr").await;
    let r = record(&t, Role::Support, json!({"kind": "rectification", "channel": "phone", "contact_id": id, "details": "Mon numéro a changé"})).await;
    let rid = r["id"].as_str().unwrap();
    let fix = json!({"phone": "06 98 76 54 32", "city": "Lyon"});
    expect_error(
        step(&t, Role::Dpo, rid, "rectification", fix.clone()).await,
        422,
        "invalid_field",
        Some("status"),
        Some("identity_not_verified"),
    )
    .await;
    step(
        &t,
        Role::Dpo,
        rid,
        "identity",
        json!({"method": "rappel au numéro connu"}),
    )
    .await;
    // An invalid value is named and changes nothing.
    let before = t.snapshot().await;
    expect_error(
        step(&t, Role::Dpo, rid, "rectification", json!({"phone": "12"})).await,
        422,
        "invalid_field",
        Some("phone"),
        Some("phone_format"),
    )
    .await;
    assert_eq!(t.snapshot().await, before);
    let done = step(&t, Role::Dpo, rid, "rectification", fix).await;
    assert_eq!(done.status(), 200);
    let done: Value = done.json().await.unwrap();
    assert_eq!(done["status"], "answered");
    let c: Value = t
        .get(Role::Sales, &format!("/api/v1/contacts/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (c["phone"].as_str(), c["city"].as_str()),
        (Some("+33698765432"), Some("Lyon"))
    );
    // The timeline names the fields, never the values; the audit names the request.
    let full: Value = t
        .get(Role::Dpo, &format!("/api/v1/requests/{rid}"))
        .await
        .json()
        .await
        .unwrap();
    let step_json = full["timeline"].to_string();
    assert!(
        step_json.contains("rectified")
            && step_json.contains("phone")
            && !step_json.contains("98765432"),
        "{step_json}"
    );
    let audit: Vec<Value> = t
        .get(Role::Dpo, &format!("/api/v1/contacts/{id}/audit"))
        .await
        .json()
        .await
        .unwrap();
    assert!(audit.iter().any(|e| e["action"] == "update"
        && e["actor"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/request:{rid}"))
        && e["fields"].as_array().unwrap().iter().any(|f| f == "phone")));
    assert!(mails_to(&t, "rectify@example.fr")
        .await
        .iter()
        .any(|m| m["subject"] == "Vos données sont corrigées"));
    // Only a rectification request takes corrections.
    let other = record(
        &t,
        Role::Dpo,
        json!({"kind": "information", "channel": "phone", "contact_id": id}),
    )
    .await;
    expect_error(
        step(
            &t,
            Role::Dpo,
            other["id"].as_str().unwrap(),
            "rectification",
            json!({"city": "Paris"}),
        )
        .await,
        422,
        "invalid_field",
        Some("kind"),
        Some("rectification_only"),
    )
    .await;
}

on_both_backends_with_clock!(
    a_letter_is_received_extended_verified_and_its_receipt_holds,
    an_extension_after_the_first_month_is_refused,
    bad_requests_are_named_and_change_nothing,
    each_role_sees_and_does_what_it_may,
    a_restriction_holds_until_lifted_and_an_objection_withdraws,
    the_dpo_digest_runs_once_a_day_even_with_two_nodes,
    a_bundle_is_delivered_by_each_channel_and_recorded,
    a_rectification_is_validated_applied_and_told,
);
