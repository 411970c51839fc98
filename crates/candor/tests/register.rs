//! The record of processing activities (S5, Art. 30) on both backends: one activity per
//! purpose of the catalogue and nothing else, each with its bases, data, recipients with
//! their reasons and retention; a custom field changes it; JSON, CSV in French and
//! English, the back-office page and the command line; dpo and admin only.

mod common;

use candor_domain::Role;
use common::{expect_error, TestApp};
use serde_json::{json, Value};

async fn purposes(t: &TestApp) -> Vec<String> {
    let cat: Value = t
        .get(Role::Admin, "/api/v1/catalogue")
        .await
        .json()
        .await
        .unwrap();
    cat["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn register(t: &TestApp) -> Value {
    let res = t.get(Role::Dpo, "/api/v1/register").await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn activity<'a>(r: &'a Value, purpose: &str) -> &'a Value {
    r["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["purpose"] == purpose)
        .unwrap()
}

async fn the_register_is_the_catalogue(t: TestApp) {
    for role in [Role::Sales, Role::Marketing, Role::Support] {
        expect_error(
            t.get(role, "/api/v1/register").await,
            403,
            "role_forbidden",
            None,
            None,
        )
        .await;
    }
    let r = register(&t).await;
    let ids: Vec<String> = r["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["purpose"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, purposes(&t).await, "every purpose, and nothing else");
    assert_eq!(r["dpo"], "dpo@candor.invalid");
    let newsletter = activity(&r, "newsletter");
    assert_eq!(newsletter["bases"][0], "consent");
    assert!(newsletter["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["field"] == "email"));
    assert!(newsletter["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| !x["reasons"].as_array().unwrap().is_empty()));
    assert!(newsletter["retention"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["en"] == "3 years after the last contact"));

    // A custom field under "commercial" joins that activity, and no other.
    let field = json!({
        "entity": "contact", "name": "industry",
        "label": {"fr": "Secteur d'activité", "en": "Industry"},
        "category": "identifying", "purposes": ["commercial"], "basis": "legitimate_interests",
        "retention": {"fr": "{period} après la dernière visite", "en": "{period} after the last visit"},
        "retained_by": ["tracking_events"],
        "why": {"fr": "Adapter nos offres.", "en": "Fit our offers."},
        "custom": {"type": "text", "max_length": 80},
        "access": {"sales": {"can": "rw", "fr": "Cible ses rendez-vous.", "en": "Targets their meetings."}}
    });
    let res = t
        .post(Role::Admin, "/api/v1/catalogue/fields", &field)
        .await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let after = register(&t).await;
    let has = |r: &Value, purpose: &str| {
        activity(r, purpose)["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["field"] == "custom.industry")
    };
    assert!(!has(&r, "commercial") && has(&after, "commercial"));
    assert!(!has(&after, "newsletter"));
    assert!(activity(&after, "commercial")["retention"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["fr"] == "13 mois après la dernière visite"));

    // CSV, a row per activity, in French by default and in English.
    let res = t.get(Role::Admin, "/api/v1/register?format=csv").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = res.text().await.unwrap();
    let mut csv = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(&csv.headers().unwrap()[0], "Traitement");
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), ids.len());
    assert!(rows.iter().any(|r| r[4].contains("Secteur d'activité")));
    let en = t
        .get(Role::Admin, "/api/v1/register?format=csv&lang=en")
        .await
        .text()
        .await
        .unwrap();
    assert!(en.starts_with("Processing,Purpose,Lawful bases"), "{en}");
    for (q, field) in [("format=xml", "format"), ("lang=de", "lang")] {
        expect_error(
            t.get(Role::Dpo, &format!("/api/v1/register?{q}")).await,
            400,
            "invalid_query",
            Some(field),
            None,
        )
        .await;
    }

    // The page, in French, for the dpo only; its CSV link.
    t.staff_accounts(common::STAFF_PASSWORD).await;
    let mut dpo = common::signed_in(&t, Role::Dpo).await;
    let page = dpo.get("/register").await.text().await.unwrap();
    assert!(
        page.contains("Registre des activités de traitement"),
        "{page}"
    );
    // (An apostrophe is escaped in HTML: the texts checked have none.)
    for p in ["Conformité", "Suivi commercial", "Mesure d", "Secteur d"] {
        assert!(page.contains(p), "{p}");
    }
    assert!(page.contains("Consentement (art. 6.1.a)"));
    let csv_page = dpo.get("/register.csv").await;
    assert_eq!(csv_page.status(), 200);
    assert!(csv_page.text().await.unwrap().starts_with("Traitement,"));
    let mut sales = common::signed_in(&t, Role::Sales).await;
    assert_eq!(sales.get("/register").await.status(), 403);
}

on_both_backends!(the_register_is_the_catalogue);
