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

/// Every API operation documents the refusals that come before its handler (400, 401;
/// 413 and 415 with a body), and the server gives them: a body that is not JSON is a
/// 415 on every operation that takes one, a missing token a 401 on every operation.
#[tokio::test]
async fn every_operation_documents_and_gives_its_edge_errors() {
    let t = spawn_app().await;
    let doc = serde_json::to_value(candor_web::openapi()).unwrap();
    let mut with_body = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for method in ["get", "post", "patch", "put", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let responses = op["responses"].as_object().unwrap();
            // An operation declared public (`security: [{}]`, the export schema) needs
            // no token: it documents no 401 and gives none.
            let public = op["security"] == serde_json::json!([{}]);
            assert!(responses.contains_key("400"), "{method} {path} lacks 400");
            assert_eq!(
                responses.contains_key("401"),
                !public,
                "{method} {path}: 401 documented only where a token is needed"
            );
            let concrete = path.replace("{id}", &uuid::Uuid::now_v7().to_string());
            let url = format!("{}{concrete}", t.url);
            let m: reqwest::Method = method.to_uppercase().parse().unwrap();
            let anonymous = t.client.request(m.clone(), &url).send().await.unwrap();
            let expected = if public { 200 } else { 401 };
            assert_eq!(
                anonymous.status(),
                expected,
                "{method} {path} without a token"
            );
            if op.get("requestBody").is_some() {
                with_body += 1;
                for status in ["413", "415"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} lacks {status}"
                    );
                }
                let res = t
                    .client
                    .request(m, &url)
                    .bearer_auth(&t.tokens[&Role::Admin])
                    .header("content-type", "text/plain")
                    .body("{}")
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 415, "{method} {path} with a text body");
            }
        }
    }
    assert!(with_body >= 8, "only {with_body} operations take a body");
}

/// The vocabularies are read from the domain's own lists: the consent sources the
/// document offers are those staff may record (never the person's own acts or the
/// import's), a creation requires its fields while a PATCH requires none, and response
/// objects are closed so that an undocumented key is a schema violation.
#[test]
fn vocabularies_requirements_and_closed_responses_come_from_the_real_types() {
    let doc = serde_json::to_value(candor_web::openapi()).unwrap();
    let schemas = &doc["components"]["schemas"];
    let words = |schema: &str, prop: &str| -> Vec<String> {
        schemas[schema]["properties"][prop]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{schema}.{prop} has no enum"))
            .iter()
            .map(|v| v.as_str().unwrap_or("null").to_owned())
            .collect()
    };
    let sources = words("ConsentBody", "source");
    for own in ["portal", "email_link", "import"] {
        assert!(!sources.contains(&own.to_owned()), "{own} offered to staff");
    }
    for staff in [
        "web_form",
        "event",
        "business_card",
        "phone",
        "manual",
        "api",
    ] {
        assert!(sources.contains(&staff.to_owned()), "{staff} missing");
    }
    assert_eq!(
        words("ConsentBody", "action"),
        ["grant", "withdraw", "refuse"]
    );
    assert_eq!(
        words("ConsentBody", "channel"),
        ["email", "sms", "phone", "post"]
    );
    assert_eq!(words("ContactBody", "kind"), ["b2b", "b2c", "null"]);
    assert!(words("DecisionAnswer", "rule").contains(&"global_opt_out".to_owned()));
    assert_eq!(
        schemas["NewContact"]["required"],
        serde_json::json!(["kind", "last_name"])
    );
    assert!(schemas["ContactBody"]["required"].is_null());
    assert_eq!(
        doc["paths"]["/api/v1/contacts"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"]["$ref"],
        "#/components/schemas/NewContact"
    );
    assert_eq!(
        doc["paths"]["/api/v1/contacts/{id}"]["patch"]["requestBody"]["content"]
            ["application/json"]["schema"]["$ref"],
        "#/components/schemas/ContactBody"
    );
    for closed in [
        "Contact",
        "Company",
        "Contract",
        "Order",
        "ErrorDetail",
        "OutboxMessage",
    ] {
        assert_eq!(
            schemas[closed]["additionalProperties"], false,
            "{closed} is not closed"
        );
    }
    let limit = doc["paths"]["/api/v1/contacts"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(
        (
            limit["schema"]["minimum"].as_i64(),
            limit["schema"]["maximum"].as_i64()
        ),
        (Some(1), Some(200))
    );
}
