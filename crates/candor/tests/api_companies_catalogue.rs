//! Companies (SIRET checks) and the field catalogue with custom fields (S1–S3).

mod common;

use candor_domain::Role;
use common::{expect_error, TestApp};
use serde_json::{json, Value};

async fn a_siret_with_a_wrong_check_digit_is_refused(t: TestApp) {
    let before = t.snapshot().await;
    let res = t
        .post(
            Role::Sales,
            "/api/v1/companies",
            &json!({"name": "Atelier", "siret": "12002701600044"}),
        )
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("siret"),
        Some("siret_checksum"),
    )
    .await;
    assert_eq!(t.snapshot().await, before);
}

async fn companies_are_created_read_updated_listed_and_deleted(t: TestApp) {
    let id = t.company("Maison Roux SARL", "120 027 016 00043").await;
    let dup = t
        .post(
            Role::Sales,
            "/api/v1/companies",
            &json!({"name": "Autre", "siret": "12002701600043"}),
        )
        .await;
    let v = expect_error(dup, 409, "conflict", Some("siret"), None).await;
    assert_eq!(v["error"]["existing_id"], id.as_str());

    let res = t
        .patch(
            Role::Sales,
            &format!("/api/v1/companies/{id}"),
            &json!({"city": "Lyon", "postal_code": "69003"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let c: Value = t
        .get(Role::Support, &format!("/api/v1/companies/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (c["city"].as_str(), c["siret"].as_str()),
        (Some("Lyon"), Some("12002701600043"))
    );
    let m: Value = t
        .get(Role::Marketing, &format!("/api/v1/companies/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(m.get("siret").is_none(), "{m}");

    let list: Value = t
        .get(Role::Sales, "/api/v1/companies?name=maison")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    let contact = t
        .contact(json!({"kind": "b2b", "company_id": id, "last_name": "Roux"}))
        .await;
    let path = format!("/api/v1/companies/{id}");
    let res = t
        .send(Role::Sales, reqwest::Method::DELETE, &path, &json!({}))
        .await;
    expect_error(res, 409, "still_referenced", None, None).await;
    t.send(
        Role::Dpo,
        reqwest::Method::DELETE,
        &format!("/api/v1/contacts/{contact}"),
        &json!({}),
    )
    .await;
    assert_eq!(
        t.send(Role::Sales, reqwest::Method::DELETE, &path, &json!({}))
            .await
            .status(),
        204
    );
}

fn industry(why_sales: &str) -> Value {
    json!({
        "entity": "contact", "name": "industry",
        "label": {"fr": "Secteur", "en": "Industry"},
        "category": "identifying", "purposes": ["commercial"], "basis": "legitimate_interests",
        "retention": {"fr": "3 ans après le dernier contact", "en": "3 years after the last contact"},
        "why": {"fr": "Adapter nos offres à votre secteur.", "en": "Fit our offers to your industry."},
        "custom": {"type": "text", "max_length": 80},
        "access": {
            "sales": {"can": "rw", "fr": why_sales, "en": why_sales},
            "dpo": {"can": "r", "fr": "Répond aux demandes d'accès.", "en": "Answers access requests."}
        }
    })
}

async fn the_catalogue_lists_every_field_with_its_justifications(t: TestApp) {
    let cat: Value = t
        .get(Role::Marketing, "/api/v1/catalogue")
        .await
        .json()
        .await
        .unwrap();
    let phone = cat["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["entity"] == "contact" && f["name"] == "phone")
        .unwrap();
    assert_eq!(phone["basis"], "legitimate_interests");
    assert!(phone["access"]["sales"]["en"].as_str().unwrap().len() > 5);
    assert!(phone["access"].get("marketing").is_none());
}

async fn custom_fields_go_through_the_same_checks(t: TestApp) {
    let res = t
        .post(
            Role::Sales,
            "/api/v1/catalogue/fields",
            &industry("Adapte l'offre."),
        )
        .await;
    expect_error(res, 403, "role_forbidden", None, None).await;
    let res = t
        .post(Role::Admin, "/api/v1/catalogue/fields", &industry(""))
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("contact.custom.industry"),
        Some("justification_required"),
    )
    .await;
    let mut health = industry("Adapte l'offre.");
    health["category"] = json!("special_category");
    let res = t.post(Role::Dpo, "/api/v1/catalogue/fields", &health).await;
    expect_error(
        res,
        422,
        "invalid_field",
        None,
        Some("special_category_refused"),
    )
    .await;
    // S2: a field named for special-category data is refused whatever category it
    // claims, by its name or its label, naming the words.
    let mut blood = industry("Adapte l'offre.");
    blood["name"] = json!("groupe_sanguin");
    blood["label"] = json!({"fr": "Groupe sanguin", "en": "Blood type"});
    let res = t
        .post(Role::Admin, "/api/v1/catalogue/fields", &blood)
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("name"),
        Some("special_category_data"),
    )
    .await;
    let mut faith = industry("Adapte l'offre.");
    faith["name"] = json!("faith");
    faith["label"] = json!({"fr": "Religion", "en": "Faith"});
    let res = t
        .post(Role::Admin, "/api/v1/catalogue/fields", &faith)
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("label.fr"),
        Some("special_category_data"),
    )
    .await;
    let cat: Value = t
        .get(Role::Admin, "/api/v1/catalogue")
        .await
        .json()
        .await
        .unwrap();
    assert!(!cat.to_string().contains("\"industry\""));
    assert!(!cat.to_string().contains("sanguin") && !cat.to_string().contains("\"faith\""));

    assert_eq!(
        t.post(
            Role::Admin,
            "/api/v1/catalogue/fields",
            &industry("Adapte l'offre.")
        )
        .await
        .status(),
        201
    );
    let dup = t
        .post(
            Role::Admin,
            "/api/v1/catalogue/fields",
            &industry("Adapte l'offre."),
        )
        .await;
    expect_error(dup, 422, "invalid_field", None, Some("duplicate_field")).await;

    let id = t
        .contact(json!({"kind": "b2c", "last_name": "Girard"}))
        .await;
    let path = format!("/api/v1/contacts/{id}");
    let res = t
        .patch(
            Role::Sales,
            &path,
            &json!({"custom": {"industry": "Boulangerie"}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let sales: Value = t.get(Role::Sales, &path).await.json().await.unwrap();
    assert_eq!(sales["custom"]["industry"], "Boulangerie");
    let support: Value = t.get(Role::Support, &path).await.json().await.unwrap();
    assert!(support.get("custom").is_none(), "{support}");
    let res = t
        .patch(Role::Support, &path, &json!({"custom": {"industry": "x"}}))
        .await;
    expect_error(res, 403, "field_forbidden", Some("custom.industry"), None).await;
    let res = t
        .patch(
            Role::Sales,
            &path,
            &json!({"custom": {"industry": "association musulmane"}}),
        )
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("custom.industry"),
        Some("special_category_data"),
    )
    .await;
    let res = t
        .patch(Role::Sales, &path, &json!({"custom": {"shoe_size": "42"}}))
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("custom.shoe_size"),
        Some("unknown_field"),
    )
    .await;
    // An unknown name next to a forbidden one does not hide the forbidden one.
    let res = t
        .patch(
            Role::Support,
            &path,
            &json!({"custom": {"aaa_unknown": "1", "industry": "x"}}),
        )
        .await;
    expect_error(res, 403, "field_forbidden", Some("custom.industry"), None).await;
}

async fn custom_fields_survive_a_restart(t: TestApp) {
    assert_eq!(
        t.post(
            Role::Admin,
            "/api/v1/catalogue/fields",
            &industry("Adapte l'offre.")
        )
        .await
        .status(),
        201
    );
    let store = candor_store::Store::open_url(&t.db_url).await.unwrap();
    let again = candor_app::Candor::new(
        store,
        candor_domain::catalogue::Catalogue::default_catalogue(),
        candor_domain::lexicon::Lexicon::default_french_english(),
        std::sync::Arc::new(candor_domain::SystemClock),
        candor_app::keys::Keys::load_or_create(&t.dir).unwrap(),
        candor_app::receipts::ReceiptKeys::load_or_create(&t.dir).unwrap(),
        candor_app::Settings::default(),
    )
    .await
    .unwrap();
    assert!(again
        .catalogue()
        .custom_field(candor_domain::catalogue::Entity::Contact, "industry")
        .is_some());
}

on_both_backends!(
    a_siret_with_a_wrong_check_digit_is_refused,
    companies_are_created_read_updated_listed_and_deleted,
    the_catalogue_lists_every_field_with_its_justifications,
    custom_fields_go_through_the_same_checks,
    custom_fields_survive_a_restart,
);
