//! Orders over HTTP on both backends: the total computed from the lines, the catalogue's
//! role rules, bad input named and refused with nothing stored, reads and writes audited.

mod common;

use candor_domain::Role;
use common::{expect_error, TestApp};
use serde_json::{json, Value};

async fn orders_are_recorded_totalled_filtered_and_audited(t: TestApp) {
    let id = t
        .contact(json!({"kind": "b2c", "last_name": "Roux", "email": "roux@example.fr"}))
        .await;
    let path = format!("/api/v1/contacts/{id}/orders");
    let res = t
        .post(
            Role::Sales,
            &path,
            &json!({"currency": "EUR", "ordered_at": "2026-11-02T10:00:00Z", "lines": [
                {"description": "Abonnement annuel", "quantity": 1, "unit_price_cents": 11900},
                {"description": "Carte cadeau", "quantity": 2, "unit_price_cents": 2500}]}),
        )
        .await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let o: Value = res.json().await.unwrap();
    assert_eq!(o["total_cents"], 16900);
    let list: Value = t.get(Role::Support, &path).await.json().await.unwrap();
    assert_eq!(list["items"][0]["lines"][1]["description"], "Carte cadeau");
    expect_error(
        t.get(Role::Marketing, &path).await,
        403,
        "role_forbidden",
        None,
        None,
    )
    .await;

    let before = t.snapshot().await;
    let res = t
        .post(Role::Support, &path, &json!({"currency": "EUR", "lines": [{"description": "x", "quantity": 1, "unit_price_cents": 1}]}))
        .await;
    expect_error(res, 403, "field_forbidden", None, None).await;
    let res = t
        .post(Role::Sales, &path, &json!({"currency": "EUR", "lines": [{"description": "x", "quantity": 0, "unit_price_cents": 1}]}))
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("lines[0].quantity"),
        Some("quantity_range"),
    )
    .await;
    let res = t
        .post(Role::Sales, &path, &json!({"currency": "€", "lines": [{"description": "x", "quantity": 1, "unit_price_cents": 1}]}))
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("currency"),
        Some("currency_code"),
    )
    .await;
    assert_eq!(t.snapshot().await, before);

    let audit: Vec<Value> = t
        .get(Role::Dpo, &format!("/api/v1/contacts/{id}/audit"))
        .await
        .json()
        .await
        .unwrap();
    let endpoints: Vec<&str> = audit
        .iter()
        .map(|e| e["endpoint"].as_str().unwrap())
        .collect();
    assert!(
        endpoints.contains(&"POST /api/v1/contacts/{id}/orders"),
        "{endpoints:?}"
    );
    assert!(
        endpoints.contains(&"GET /api/v1/contacts/{id}/orders"),
        "{endpoints:?}"
    );
}

on_both_backends!(orders_are_recorded_totalled_filtered_and_audited);
