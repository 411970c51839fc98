//! `/api/openapi.json` describes every endpoint, and every described endpoint exists.

mod common;

use candor_domain::catalogue::{Catalogue, Entity};
use candor_domain::Role;
use common::spawn_app;
use serde_json::Value;

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let t = spawn_app().await;
    let doc: Value = t
        .client
        .get(format!("{}/api/openapi.json", t.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let mut checked = 0;
    for (path, item) in paths {
        for method in ["get", "post", "patch", "put", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            let concrete = path.replace("{id}", &uuid::Uuid::now_v7().to_string());
            let res = t
                .client
                .request(
                    method.to_uppercase().parse().unwrap(),
                    format!("{}{concrete}", t.url),
                )
                .bearer_auth(&t.tokens[&Role::Dpo])
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            // The router answers 404 with an empty body and 405 for an unknown route or
            // method; our handlers' 404s carry an error code.
            let body = res.text().await.unwrap();
            assert_ne!(status, 405, "{method} {path} is documented but not routed");
            assert!(
                status != 404 || body.contains("not_found"),
                "{method} {path} is documented but not routed"
            );
            checked += 1;
        }
    }
    assert!(checked >= 16, "only {checked} operations documented");
}

#[tokio::test]
async fn the_routes_the_issue_names_are_documented() {
    let doc = candor_web::openapi();
    let json = serde_json::to_value(&doc).unwrap();
    for (path, method) in [
        ("/health", "get"),
        ("/api/openapi.json", "get"),
        ("/api/v1/contacts", "get"),
        ("/api/v1/contacts", "post"),
        ("/api/v1/contacts/{id}", "get"),
        ("/api/v1/contacts/{id}", "patch"),
        ("/api/v1/contacts/{id}", "delete"),
        ("/api/v1/contacts/{id}/audit", "get"),
        ("/api/v1/contacts/{id}/consents", "get"),
        ("/api/v1/contacts/{id}/consents", "post"),
        ("/api/v1/companies", "get"),
        ("/api/v1/companies", "post"),
        ("/api/v1/companies/{id}", "get"),
        ("/api/v1/companies/{id}", "patch"),
        ("/api/v1/companies/{id}", "delete"),
        ("/api/v1/catalogue", "get"),
        ("/api/v1/catalogue/fields", "post"),
    ] {
        assert!(
            json["paths"][path][method].is_object(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
}

#[test]
fn the_contact_schema_names_every_catalogued_contact_field() {
    let doc = serde_json::to_value(candor_web::openapi()).unwrap();
    let props = doc["components"]["schemas"]["Contact"]["properties"]
        .as_object()
        .unwrap();
    for f in Catalogue::default_catalogue().entity_fields(Entity::Contact) {
        assert!(
            props.contains_key(&f.name),
            "Contact schema lacks {}",
            f.name
        );
    }
    let body = doc["components"]["schemas"]["ContactBody"]["properties"]
        .as_object()
        .unwrap();
    for f in Catalogue::default_catalogue()
        .entity_fields(Entity::Contact)
        .filter(|f| !f.system)
    {
        assert!(
            body.contains_key(&f.name),
            "ContactBody schema lacks {}",
            f.name
        );
    }
}
