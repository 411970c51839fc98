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
    let mut sales = common::signed_in(&t, Role::Sales).await;
    assert_eq!(sales.get("/breaches").await.status(), 403);
    assert!(!sales
        .get("/contacts")
        .await
        .text()
        .await
        .unwrap()
        .contains("href=\"/breaches\""));
}

on_both_backends_with_clock!(the_72_hour_clock);
