//! The communication rules over HTTP (M1, M2) and the contracts they read, on both
//! backends: the brief's own case, a globally opted-out customer with a running
//! contract, is told that the contract-end notice may go and the renewal offer not.

mod common;

use candor_domain::Role;
use common::{expect_error, TestApp};
use serde_json::{json, Value};

fn grant(purpose: &str) -> Value {
    json!({"purpose": purpose, "channel": "email", "action": "grant", "source": "manual",
           "evidence": {"wording": "Oui pour vos offres", "note": "asked on the phone"}})
}

async fn decide(t: &TestApp, contact: &str, category: &str) -> Value {
    let res = t
        .post(
            Role::Sales,
            "/api/v1/decisions",
            &json!({"contact_id": contact, "category": category, "channel": "email"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn customer(t: &TestApp) -> (String, String) {
    let co = t.company("Atelier Morel SAS", "12002701600043").await;
    let id = t
        .contact(json!({"kind": "b2b", "company_id": co, "last_name": "Morel", "email": "morel@example.fr"}))
        .await;
    for p in ["newsletter", "marketing"] {
        let res = t
            .post(
                Role::Sales,
                &format!("/api/v1/contacts/{id}/consents"),
                &grant(p),
            )
            .await;
        assert_eq!(res.status(), 201, "{:?}", res.text().await);
    }
    (co, id)
}

async fn a_global_opt_out_with_a_running_contract_allows_only_the_contract_notice(t: TestApp) {
    let (co, id) = customer(&t).await;
    assert_eq!(decide(&t, &id, "newsletter").await["allowed"], true);
    // The company's contract covers its people.
    let res = t
        .post(
            Role::Sales,
            &format!("/api/v1/companies/{co}/contracts"),
            &json!({"reference": "CT-2026-0042", "starts_on": "2020-01-01", "ends_on": "2099-12-31"}),
        )
        .await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let contract: Value = res.json().await.unwrap();
    assert_eq!(contract["running"], true);
    // The person asks to receive nothing more.
    let res = t
        .post(
            Role::Support,
            &format!("/api/v1/contacts/{id}/consents"),
            &json!({"purpose": "*", "channel": "email", "action": "withdraw", "source": "phone",
                    "evidence": {"note": "called to stop everything"}}),
        )
        .await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);

    let notice = decide(&t, &id, "contract_service").await;
    assert_eq!(notice["allowed"], true);
    assert_eq!(notice["rule"], "contract_service_active_contract");
    assert!(notice["explanation"]["fr"]
        .as_str()
        .unwrap()
        .contains("contrat en cours"));
    let renewal = decide(&t, &id, "contract_renewal").await;
    assert_eq!(renewal["allowed"], false);
    assert_eq!(renewal["rule"], "global_opt_out");
    assert_eq!(
        decide(&t, &id, "newsletter").await["rule"],
        "global_opt_out"
    );
    assert_eq!(decide(&t, &id, "security").await["allowed"], true);
    assert_eq!(decide(&t, &id, "legal_notice").await["allowed"], true);

    // The contract ends: the contract notice has nothing left to serve.
    let res = t
        .patch(
            Role::Sales,
            &format!("/api/v1/contracts/{}", contract["id"].as_str().unwrap()),
            &json!({"status": "ended"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let notice = decide(&t, &id, "contract_service").await;
    assert_eq!(notice["rule"], "contract_service_no_contract");
    assert_eq!(notice["allowed"], false);
}

async fn unsubscribing_from_the_newsletter_stops_the_newsletter_only(t: TestApp) {
    let (_, id) = customer(&t).await;
    let res = t
        .post(
            Role::Sales,
            &format!("/api/v1/contacts/{id}/consents"),
            &json!({"purpose": "newsletter", "channel": "email", "action": "withdraw", "source": "manual"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        decide(&t, &id, "newsletter").await["rule"],
        "opted_out_of_purpose"
    );
    assert_eq!(
        decide(&t, &id, "marketing").await["rule"],
        "opt_in_effective"
    );
    assert_eq!(decide(&t, &id, "commercial").await["rule"], "no_opt_in");
    // A renewal offer is marketing: the marketing opt-in lets it through.
    assert_eq!(decide(&t, &id, "contract_renewal").await["allowed"], true);
}

async fn a_b2c_opt_in_waiting_for_confirmation_is_not_consent(t: TestApp) {
    let id = t
        .contact(json!({"kind": "b2c", "last_name": "Petit", "email": "petit@example.fr"}))
        .await;
    let res = t
        .post(
            Role::Sales,
            &format!("/api/v1/contacts/{id}/consents"),
            &grant("newsletter"),
        )
        .await;
    assert_eq!(res.status(), 201);
    let d = decide(&t, &id, "newsletter").await;
    assert_eq!(
        (d["allowed"].as_bool(), d["rule"].as_str()),
        (Some(false), Some("opt_in_pending"))
    );
    // Created by hand, the contact was sent a consent request (C4), still open.
    assert_eq!(
        decide(&t, &id, "consent_request").await["rule"],
        "consent_request_open"
    );
}

async fn bad_questions_and_bad_contracts_are_refused_and_change_nothing(t: TestApp) {
    let (co, id) = customer(&t).await;
    let before = t.snapshot().await;
    let res = t
        .post(
            Role::Sales,
            "/api/v1/decisions",
            &json!({"contact_id": id, "category": "promo", "channel": "email"}),
        )
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("category"),
        Some("unknown_category"),
    )
    .await;
    let res = t
        .post(
            Role::Sales,
            "/api/v1/decisions",
            &json!({"contact_id": id, "category": "newsletter", "channel": "fax"}),
        )
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("channel"),
        Some("unknown_channel"),
    )
    .await;
    let res = t
        .post(
            Role::Sales,
            "/api/v1/decisions",
            &json!({"contact_id": uuid::Uuid::now_v7(), "category": "newsletter", "channel": "email"}),
        )
        .await;
    expect_error(res, 404, "not_found", None, None).await;

    let path = format!("/api/v1/contacts/{id}/contracts");
    let res = t
        .post(
            Role::Sales,
            &path,
            &json!({"reference": "C-1", "starts_on": "2026-05-01", "ends_on": "2026-04-01"}),
        )
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("ends_on"),
        Some("ends_after_start"),
    )
    .await;
    let res = t
        .post(
            Role::Support,
            &path,
            &json!({"reference": "C-1", "starts_on": "2026-05-01"}),
        )
        .await;
    expect_error(res, 403, "field_forbidden", Some("reference"), None).await;
    let res = t
        .post(
            Role::Sales,
            &format!("/api/v1/companies/{}/contracts", uuid::Uuid::now_v7()),
            &json!({"reference": "C-1", "starts_on": "2026-05-01"}),
        )
        .await;
    expect_error(res, 404, "not_found", None, None).await;
    assert_eq!(t.snapshot().await, before);
    let res = t.get(Role::Marketing, &path).await;
    expect_error(res, 403, "role_forbidden", None, None).await;
    let _ = co;
}

async fn a_persons_contract_is_audited(t: TestApp) {
    let id = t
        .contact(json!({"kind": "b2c", "last_name": "Roux", "email": "roux@example.fr"}))
        .await;
    let path = format!("/api/v1/contacts/{id}/contracts");
    let res = t
        .post(
            Role::Sales,
            &path,
            &json!({"reference": "ABO-7", "starts_on": "2026-01-01"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = t.get(Role::Support, &path).await;
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["items"][0]["reference"], "ABO-7");
    assert_eq!(list["items"][0]["running"], true);
    let res = t
        .get(Role::Dpo, &format!("/api/v1/contacts/{id}/audit"))
        .await;
    let audit: Vec<Value> = res.json().await.unwrap();
    let endpoints: Vec<&str> = audit
        .iter()
        .map(|e| e["endpoint"].as_str().unwrap())
        .collect();
    assert!(
        endpoints.contains(&"POST /api/v1/contacts/{id}/contracts"),
        "{endpoints:?}"
    );
    assert!(
        endpoints.contains(&"GET /api/v1/contacts/{id}/contracts"),
        "{endpoints:?}"
    );
}

/// A decision is a read of the person's data: it is audited with the facts it read,
/// and a role that may not read a contract's status gets no answer on the contract
/// categories, whose answer would tell (issue 13).
async fn decisions_are_audited_and_tell_each_role_only_what_it_may_read(t: TestApp) {
    let (_, id) = customer(&t).await;
    let ask = |role: Role, category: &'static str| {
        let t = &t;
        let id = id.clone();
        async move {
            t.post(
                role,
                "/api/v1/decisions",
                &json!({"contact_id": id, "category": category, "channel": "email"}),
            )
            .await
        }
    };
    let audit_len = || async {
        let v: Vec<Value> = t
            .get(
                Role::Dpo,
                &format!("/api/v1/contacts/{id}/audit?limit=1000"),
            )
            .await
            .json()
            .await
            .unwrap();
        v
    };
    for (role, category, status) in [
        (Role::Marketing, "newsletter", 200),
        (Role::Marketing, "contract_service", 403),
        (Role::Marketing, "contract_renewal", 403),
        (Role::Sales, "contract_service", 200),
        (Role::Support, "contract_renewal", 200),
        (Role::Dpo, "contract_service", 200),
    ] {
        let res = ask(role, category).await;
        assert_eq!(res.status().as_u16(), status, "{role} {category}");
        if status == 403 {
            expect_error(res, 403, "field_forbidden", Some("contract.status"), None).await;
        }
    }
    let audit = audit_len().await;
    // Four answers, four entries.
    let decisions: Vec<&Value> = audit
        .iter()
        .filter(|e| e["endpoint"] == "POST /api/v1/decisions")
        .collect();
    assert_eq!(decisions.len(), 4, "{audit:?}");
    assert!(decisions.iter().any(|e| e["fields"]
        .as_array()
        .unwrap()
        .contains(&json!("contract.status"))));
}

on_both_backends!(
    a_global_opt_out_with_a_running_contract_allows_only_the_contract_notice,
    unsubscribing_from_the_newsletter_stops_the_newsletter_only,
    a_b2c_opt_in_waiting_for_confirmation_is_not_consent,
    bad_questions_and_bad_contracts_are_refused_and_change_nothing,
    a_persons_contract_is_audited,
    decisions_are_audited_and_tell_each_role_only_what_it_may_read,
);
