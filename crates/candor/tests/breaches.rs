//! The breach register (B1, B2) on both backends, with a test clock: a breach is
//! recorded with its facts (bad ones refused, naming the field, nothing recorded), its
//! 72-hour clock runs from the discovery, the DPO is reminded at 24 and 48 hours and
//! not after the notification, a late first notification needs its reasons, changes are
//! kept in the history, and the authority's notification gives the items of Art. 33(3).

mod common;

use candor_domain::clock::FixedClock;
use candor_domain::Role;
use common::{expect_error, TestApp};
use serde_json::{json, Value};
use std::sync::Arc;

fn leak() -> Value {
    json!({
        "discovered_at": "2026-02-10T08:30:00Z",
        "occurred_from": "2026-02-09T22:00:00Z",
        "natures": ["confidentiality"],
        "description": "Un export des emails des contacts envoyé par erreur à un prestataire.",
        "data_categories": ["contact.email", "identifying"],
        "subject_categories": ["Clients", "Prospects"],
        "subjects_approx": 120,
        "records_approx": 120
    })
}

async fn reminders(t: &TestApp) -> Vec<String> {
    t.app
        .store
        .outbox()
        .list(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.mail.recipient == "dpo@candor.invalid")
        .map(|e| e.mail.mail_subject)
        .filter(|s| s.contains("CNIL"))
        .collect()
}

async fn the_72_hour_clock(t: TestApp, c: Arc<FixedClock>) {
    // Bad facts: refused, named, nothing recorded.
    expect_error(
        t.post(Role::Sales, "/api/v1/breaches", &leak()).await,
        403,
        "role_forbidden",
        None,
        None,
    )
    .await;
    for (change, field, rule) in [
        (
            json!({"discovered_at": "2026-02-11T08:30:00Z"}),
            "discovered_at",
            "not_in_future",
        ),
        (
            json!({"occurred_from": "2026-02-10T09:00:00Z"}),
            "occurred_from",
            "before_discovery",
        ),
        (
            json!({"subjects_approx": -3}),
            "subjects_approx",
            "non_negative",
        ),
        (json!({"natures": ["leak"]}), "natures[0]", "unknown_nature"),
        (
            json!({"data_categories": ["groupe_sanguin"]}),
            "data_categories[0]",
            "unknown_category",
        ),
        (
            json!({"discovered_at": "hier"}),
            "discovered_at",
            "datetime",
        ),
    ] {
        let mut body = leak();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        expect_error(
            t.post(Role::Dpo, "/api/v1/breaches", &body).await,
            422,
            "invalid_field",
            Some(field),
            Some(rule),
        )
        .await;
    }
    let list: Vec<Value> = t
        .get(Role::Dpo, "/api/v1/breaches")
        .await
        .json()
        .await
        .unwrap();
    assert!(list.is_empty(), "nothing recorded: {list:?}");

    // Discovered an hour ago: 71 hours left.
    let res = t.post(Role::Dpo, "/api/v1/breaches", &leak()).await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let b: Value = res.json().await.unwrap();
    let id = b["id"].as_str().unwrap().to_owned();
    assert_eq!(b["clock"]["status"], "running");
    assert_eq!(b["clock"]["minutes_left"], 71 * 60);
    assert_eq!(b["clock"]["deadline"], "2026-02-13T08:30:00Z");
    assert_eq!(b["history"][0]["action"], "recorded");

    // The DPO is reminded at 24 and 48 hours.
    // (The clock is at the discovery plus an hour.)
    c.advance(time::Duration::hours(22));
    t.app.run_due_jobs().await.unwrap();
    assert!(reminders(&t).await.is_empty(), "not before 24 hours");
    c.advance(time::Duration::hours(1));
    t.app.run_due_jobs().await.unwrap();
    assert_eq!(
        reminders(&t).await,
        ["Violation de données : 48 h pour notifier la CNIL"]
    );
    c.advance(time::Duration::hours(24));
    t.app.run_due_jobs().await.unwrap();
    assert_eq!(reminders(&t).await.len(), 2);

    // Assessed, then notified at 50 hours: no reminder at 66.
    let res = t
        .patch(
            Role::Dpo,
            &format!("/api/v1/breaches/{id}"),
            &json!({"risk": "none", "risk_reasoning": "Emails seuls, prestataire de confiance."}),
        )
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("no_notification_reason"),
        Some("required"),
    )
    .await;
    let res = t
        .patch(
            Role::Dpo,
            &format!("/api/v1/breaches/{id}"),
            &json!({"risk": "risk", "risk_reasoning": "Hameçonnage possible.",
                    "consequences": "Des emails d'hameçonnage.", "measures_taken": "Export supprimé chez le prestataire."}),
        )
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    c.advance(time::Duration::hours(2));
    expect_error(
        t.post(
            Role::Dpo,
            &format!("/api/v1/breaches/{id}/notifications"),
            &json!({"phase": "complement"}),
        )
        .await,
        422,
        "invalid_field",
        Some("phase"),
        Some("initial_first"),
    )
    .await;
    let res = t
        .post(
            Role::Dpo,
            &format!("/api/v1/breaches/{id}/notifications"),
            &json!({"reference": "CNIL-2026-0042"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["clock"]["status"], "notified");
    let actions: Vec<&str> = b["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["recorded", "changed", "notified"]);
    assert_eq!(b["history"][1]["changes"]["risk"]["after"], "risk");
    c.advance(time::Duration::hours(20));
    t.app.run_due_jobs().await.unwrap();
    assert_eq!(reminders(&t).await.len(), 2, "no reminder once notified");
    let res = t
        .patch(
            Role::Dpo,
            &format!("/api/v1/breaches/{id}"),
            &json!({"risk": "none", "no_notification_reason": "Finalement sans risque."}),
        )
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("risk"),
        Some("already_notified"),
    )
    .await;

    // What the authority is told (Art. 33(3)).
    let n: Value = t
        .get(Role::Admin, &format!("/api/v1/breaches/{id}/notification"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(n["natures"], json!(["confidentiality"]));
    assert_eq!(n["subjects_approx"], 120);
    assert_eq!(n["dpo_contact"], "dpo@candor.invalid");
    assert_eq!(n["likely_consequences"], "Des emails d'hameçonnage.");
    assert_eq!(n["people_to_inform"], false);

    // A second breach, notified after 72 hours: the reasons for the delay first.
    let mut late = leak();
    late["discovered_at"] = json!("2026-02-12T12:00:00Z");
    let b: Value = t
        .post(Role::Dpo, "/api/v1/breaches", &late)
        .await
        .json()
        .await
        .unwrap();
    let late_id = b["id"].as_str().unwrap().to_owned();
    c.advance(time::Duration::hours(72));
    let b: Value = t
        .get(Role::Dpo, &format!("/api/v1/breaches/{late_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b["clock"]["status"], "late");
    let path = format!("/api/v1/breaches/{late_id}/notifications");
    expect_error(
        t.post(Role::Dpo, &path, &json!({})).await,
        422,
        "invalid_field",
        Some("late_reason"),
        Some("required"),
    )
    .await;
    expect_error(
        t.post(
            Role::Dpo,
            &path,
            &json!({"at": "2026-02-11T12:00:00Z", "late_reason": "x"}),
        )
        .await,
        422,
        "invalid_field",
        Some("at"),
        Some("after_discovery"),
    )
    .await;
    let res = t
        .post(
            Role::Dpo,
            &path,
            &json!({"late_reason": "Le périmètre n'a été connu qu'au quatrième jour."}),
        )
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["clock"]["status"], "notified_late");
    let list: Vec<Value> = t
        .get(Role::Dpo, "/api/v1/breaches")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], json!(late_id), "newest discovery first");
    let late_id = late_id.clone();

    // Once notified, the discovery no longer moves.
    expect_error(
        t.patch(
            Role::Dpo,
            &format!("/api/v1/breaches/{late_id}"),
            &json!({"discovered_at": "2026-02-12T18:00:00Z"}),
        )
        .await,
        422,
        "invalid_field",
        Some("discovered_at"),
        Some("fixed_once_notified"),
    )
    .await;

    // Before it is notified, moving the discovery moves the reminders; a change made
    // from a version someone changed since is refused, not written over.
    let b: Value = t
        .post(
            Role::Dpo,
            "/api/v1/breaches",
            &json!({"discovered_at": "2026-02-16T06:00:00Z", "natures": ["availability"],
                    "description": "Base de sauvegarde illisible.", "data_categories": ["transactional"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let third = b["id"].as_str().unwrap().to_owned();
    let read = b["updated_at"].clone();
    let res = t
        .patch(
            Role::Dpo,
            &format!("/api/v1/breaches/{third}"),
            &json!({"discovered_at": "2026-02-15T08:00:00Z", "updated_at": read}),
        )
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let before = reminders(&t).await.len();
    c.advance(time::Duration::hours(2));
    t.app.run_due_jobs().await.unwrap();
    assert_eq!(
        reminders(&t).await.len(),
        before + 1,
        "the 24-hour reminder moved with the discovery"
    );
    let res = t
        .patch(
            Role::Dpo,
            &format!("/api/v1/breaches/{third}"),
            &json!({"measures_taken": "Restauration.", "updated_at": read}),
        )
        .await;
    assert_eq!(res.status(), 409, "{:?}", res.text().await);

    // The back office: the register for the dpo, in French; none for sales.
    t.staff_accounts(common::STAFF_PASSWORD).await;
    let mut dpo = common::signed_in(&t, Role::Dpo).await;
    let page = dpo.get("/breaches").await.text().await.unwrap();
    assert!(
        page.contains("Registre des violations de données") && page.contains("href=\"/breaches\"")
    );
    assert!(
        page.contains("Notifiée à la CNIL en retard, avec les raisons"),
        "{page}"
    );
    let one = dpo
        .get(&format!("/breaches/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(one.contains("CNIL-2026-0042"));
    // The printable notification, in the order of the CNIL's form, in either language.
    let printable = dpo
        .get(&format!("/breaches/{id}/notification?lang=en"))
        .await
        .text()
        .await
        .unwrap();
    let order = [
        "The organisation and its contact",
        "The notification",
        "Timeline",
        "Nature of the breach",
        "Data concerned",
        "People concerned",
        "Likely consequences",
        "Measures",
        "Informing the people (Art. 34)",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|h| {
            printable
                .find(&format!("<h2>{h}</h2>"))
                .unwrap_or_else(|| panic!("{h}: {printable}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
    assert!(printable.contains("Un export des emails des contacts"));
    assert!(
        !printable.contains("Reasons for the delay"),
        "notified in time"
    );
    // The late one gives the reasons for its delay.
    let late = dpo
        .get(&format!("/breaches/{late_id}/notification?lang=en"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        late.contains("Reasons for the delay") && late.contains("au quatrième jour."),
        "{late}"
    );
    let french = dpo
        .get(&format!("/breaches/{id}/notification"))
        .await
        .text()
        .await
        .unwrap();
    assert!(french.contains("<h2>Chronologie</h2>"));
    let mut sales = common::signed_in(&t, Role::Sales).await;
    assert_eq!(
        sales
            .get(&format!("/breaches/{id}/notification"))
            .await
            .status(),
        403
    );
    assert_eq!(sales.get("/breaches").await.status(), 403);
    assert!(!sales
        .get("/contacts")
        .await
        .text()
        .await
        .unwrap()
        .contains("href=\"/breaches\""));
}

/// The outbox's breach notices: (recipient, subject line, language).
async fn notices(t: &TestApp) -> Vec<(String, String, String)> {
    t.app
        .store
        .outbox()
        .list(10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.mail.category == "legal_notice" && e.mail.recipient != "dpo@candor.invalid")
        .map(|e| (e.mail.recipient, e.mail.mail_subject, e.mail.locale))
        .collect()
}

async fn the_people_a_breach_reached(t: TestApp, _c: Arc<FixedClock>) {
    t.app.generate_demo(400, 11, &mut |_| {}).await.unwrap();
    // The emails of the contacts created in the last three months (B3).
    let mut body = leak();
    body["data_categories"] = json!(["contact.email"]);
    body["scope"] =
        json!({"rule": "created", "from": "2025-11-10T00:00:00Z", "until": "2026-02-10T08:30:00Z"});
    let res = t.post(Role::Dpo, "/api/v1/breaches", &body).await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let b: Value = res.json().await.unwrap();
    let id = b["id"].as_str().unwrap().to_owned();
    let in_scope = "FROM contact WHERE email IS NOT NULL \
        AND created_at >= '2025-11-10T00:00:00.000000Z' AND created_at <= '2026-02-10T08:30:00.000000Z'";
    let subjects: Value = t
        .get(Role::Dpo, &format!("/api/v1/breaches/{id}/subjects"))
        .await
        .json()
        .await
        .unwrap();
    let expected = t.count(&format!("SELECT COUNT(*) {in_scope}")).await;
    let fr = t
        .count(&format!("SELECT COUNT(*) {in_scope} AND locale = 'fr'"))
        .await;
    let en = t
        .count(&format!("SELECT COUNT(*) {in_scope} AND locale = 'en'"))
        .await;
    assert!(
        fr > 0 && en > 0,
        "demo data has people of both languages: {fr} {en}"
    );
    assert_eq!(subjects["subjects"], expected, "{subjects}");
    assert_eq!(subjects["reachable_fr"], fr);
    assert_eq!(subjects["reachable_en"], en);
    assert_eq!(subjects["told"], 0);
    // A segment narrows it: the French-speaking ones only.
    let seg = t
        .post(
            Role::Admin,
            "/api/v1/segments",
            &json!({"name": "Francophones", "conditions": [{"field": "locale", "op": "equals", "value": "fr"}]}),
        )
        .await;
    assert_eq!(seg.status(), 201, "{:?}", seg.text().await);
    let seg: Value = seg.json().await.unwrap();
    let mut scope = body["scope"].clone();
    scope["segment"] = seg["id"].clone();
    let res = t
        .patch(
            Role::Dpo,
            &format!("/api/v1/breaches/{id}"),
            &json!({"scope": scope}),
        )
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let narrowed: Value = t
        .get(Role::Dpo, &format!("/api/v1/breaches/{id}/subjects"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            narrowed["subjects"].clone(),
            narrowed["reachable_en"].clone()
        ),
        (json!(fr), json!(0))
    );
    let res = t
        .patch(
            Role::Dpo,
            &format!("/api/v1/breaches/{id}"),
            &json!({"scope": body["scope"]}),
        )
        .await;
    assert_eq!(res.status(), 200);

    // Bad scopes and notices too early: refused, named, nothing changed or sent.
    let before: Value = t
        .get(Role::Dpo, &format!("/api/v1/breaches/{id}"))
        .await
        .json()
        .await
        .unwrap();
    for (change, field, rule) in [
        (
            json!({"scope": {"rule": "created", "from": "2026-01-10T00:00:00Z", "until": "2026-01-01T00:00:00Z"}}),
            "scope.until",
            "after_start",
        ),
        (
            json!({"scope": {"rule": "yesterday", "from": "2026-01-10T00:00:00Z"}}),
            "scope.rule",
            "unknown_rule",
        ),
        (
            json!({"scope": {"rule": "created"}}),
            "scope.from",
            "required",
        ),
        (
            json!({"scope": {"segment": "0190f5d2-0000-7000-8000-000000000000"}}),
            "scope.segment",
            "unknown_segment",
        ),
    ] {
        expect_error(
            t.patch(Role::Dpo, &format!("/api/v1/breaches/{id}"), &change)
                .await,
            422,
            "invalid_field",
            Some(field),
            Some(rule),
        )
        .await;
    }
    expect_error(
        t.post(
            Role::Dpo,
            &format!("/api/v1/breaches/{id}/subject-notices"),
            &json!({}),
        )
        .await,
        422,
        "invalid_field",
        Some("risk"),
        Some("high_risk_required"),
    )
    .await;
    let after: Value = t
        .get(Role::Dpo, &format!("/api/v1/breaches/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(before, after, "nothing changed");
    assert!(notices(&t).await.is_empty());

    // Assessed as a high risk with the French message only: the English readers need
    // theirs.
    let res = t
        .patch(
            Role::Dpo,
            &format!("/api/v1/breaches/{id}"),
            &json!({"risk": "high", "risk_reasoning": "Adresses exposées : hameçonnage probable.",
                    "subject_message": {"fr": "Méfiez-vous des emails qui se réclament de nous et demandent un mot de passe."}}),
        )
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    expect_error(
        t.post(
            Role::Dpo,
            &format!("/api/v1/breaches/{id}/subject-notices"),
            &json!({}),
        )
        .await,
        422,
        "invalid_field",
        Some("subject_message.en"),
        Some("required_for_language"),
    )
    .await;
    expect_error(
        t.post(
            Role::Sales,
            &format!("/api/v1/breaches/{id}/subject-notices"),
            &json!({}),
        )
        .await,
        403,
        "role_forbidden",
        None,
        None,
    )
    .await;
    let res = t
        .patch(
            Role::Dpo,
            &format!("/api/v1/breaches/{id}"),
            &json!({"subject_message": {"en": "Beware of emails claiming to come from us that ask for a password."}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = t
        .post(
            Role::Dpo,
            &format!("/api/v1/breaches/{id}/subject-notices"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 202, "{:?}", res.text().await);
    let started: Value = res.json().await.unwrap();
    assert_eq!(started["subjects"]["reachable"], fr + en);
    t.app.run_due_jobs().await.unwrap();

    // Each reachable person told once, in their language, whatever their marketing
    // choices; the count on the breach.
    let sent = notices(&t).await;
    assert_eq!(sent.len() as i64, fr + en, "{sent:?}");
    let mut people: Vec<&String> = sent.iter().map(|s| &s.0).collect();
    people.sort();
    people.dedup();
    assert_eq!(people.len(), sent.len(), "no one twice");
    for (_, subject, locale) in &sent {
        match locale.as_str() {
            "fr" => assert!(subject.starts_with("Information importante"), "{subject}"),
            _ => assert!(subject.starts_with("Important:"), "{subject}"),
        }
    }
    let en_body = t
        .app
        .store
        .outbox()
        .list(10_000)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.mail.locale == "en" && e.mail.category == "legal_notice")
        .unwrap()
        .mail
        .body_text;
    assert!(
        en_body.contains("Beware of emails") && en_body.contains("Email address"),
        "{en_body}"
    );
    let b: Value = t
        .get(Role::Dpo, &format!("/api/v1/breaches/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b["subject_notices"], fr + en);
    assert_eq!(
        b["history"].as_array().unwrap().last().unwrap()["action"],
        "subjects_notified"
    );

    // Started again: no one is told twice.
    let res = t
        .post(
            Role::Dpo,
            &format!("/api/v1/breaches/{id}/subject-notices"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 202);
    t.app.run_due_jobs().await.unwrap();
    assert_eq!(notices(&t).await.len(), sent.len());

    // A person told and then erased: their notice record goes, the count stays.
    let told = t.contact_id_of(&sent[0].0).await.unwrap();
    let res = t
        .send(
            Role::Dpo,
            reqwest::Method::DELETE,
            &format!("/api/v1/contacts/{told}"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM breach_notice WHERE subject_id = '{told}'"
        ))
        .await,
        0
    );
    let b: Value = t
        .get(Role::Dpo, &format!("/api/v1/breaches/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b["subject_notices"], fr + en);
}

on_both_backends_with_clock!(the_72_hour_clock, the_people_a_breach_reached);
