//! The contacts API: role-filtered fields (S3), access audit (S4), validation (X1).

mod common;

use candor_domain::Role;
use common::{expect_error, TestApp};
use serde_json::{json, Value};

fn b2c() -> Value {
    json!({
        "kind": "b2c", "first_name": "Zoé", "last_name": "Lefèvre",
        "email": "Zoe.Lefevre@Example.FR", "phone": "06 12 34 56 78",
        "address_line": "12 rue des Lilas", "postal_code": "75011", "city": "Paris",
        "country": "FR", "locale": "fr"
    })
}

async fn sales_sees_email_and_phone_marketing_sees_neither_and_both_reads_are_audited(t: TestApp) {
    let id = t.contact(b2c()).await;

    let sales: Value = t
        .get(Role::Sales, &format!("/api/v1/contacts/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sales["email"], "zoe.lefevre@example.fr");
    assert_eq!(sales["phone"], "+33612345678");

    let res = t
        .get(Role::Marketing, &format!("/api/v1/contacts/{id}"))
        .await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    for hidden in [
        "612345678",
        "zoe.lefevre",
        "Lilas",
        "75011",
        "\"phone\"",
        "\"email\"",
        "\"address_line\"",
    ] {
        assert!(!body.contains(hidden), "marketing saw {hidden}: {body}");
    }
    let marketing: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(marketing["first_name"], "Zoé");

    let audit: Vec<Value> = t
        .get(Role::Dpo, &format!("/api/v1/contacts/{id}/audit"))
        .await
        .json()
        .await
        .unwrap();
    let reads: Vec<&Value> = audit.iter().filter(|e| e["action"] == "read").collect();
    assert_eq!(reads.len(), 2, "{audit:?}");
    let marketing_read = reads
        .iter()
        .find(|e| !e["fields"].as_array().unwrap().contains(&json!("phone")))
        .unwrap();
    assert!(marketing_read["fields"]
        .as_array()
        .unwrap()
        .contains(&json!("first_name")));
    assert!(reads
        .iter()
        .any(|e| e["fields"].as_array().unwrap().contains(&json!("phone"))));
    assert!(reads
        .iter()
        .all(|e| e["endpoint"] == "GET /api/v1/contacts/{id}"));
    assert!(audit.iter().any(|e| e["action"] == "create"));
    assert!(audit
        .iter()
        .all(|e| e["actor"].as_str().unwrap().starts_with("token:")));
}

async fn a_note_revealing_health_data_is_refused_naming_the_word_and_nothing_is_written(
    t: TestApp,
) {
    let before = t.snapshot().await;
    let mut body = b2c();
    body["notes"] = json!("client diabétique, rappeler le matin");
    let res = t.post(Role::Sales, "/api/v1/contacts", &body).await;
    let v = expect_error(
        res,
        422,
        "invalid_field",
        Some("notes"),
        Some("special_category_data"),
    )
    .await;
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("diabétique"),
        "{v}"
    );
    assert_eq!(t.snapshot().await, before);
}

async fn a_bad_phone_is_refused_naming_the_field_and_rule_and_nothing_is_written(t: TestApp) {
    let id = t.contact(b2c()).await;
    let before = t.snapshot().await;
    let res = t
        .patch(
            Role::Sales,
            &format!("/api/v1/contacts/{id}"),
            &json!({"phone": "06 12"}),
        )
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("phone"),
        Some("phone_format"),
    )
    .await;
    assert_eq!(t.snapshot().await, before);
    let v: Value = t
        .get(Role::Sales, &format!("/api/v1/contacts/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["phone"], "+33612345678");
}

async fn every_refused_field_is_listed(t: TestApp) {
    let res = t
        .post(
            Role::Sales,
            "/api/v1/contacts",
            &json!({"kind": "b2c", "last_name": "X", "email": "nope", "postal_code": "1"}),
        )
        .await;
    let v = expect_error(
        res,
        422,
        "invalid_field",
        Some("email"),
        Some("email_format"),
    )
    .await;
    let fields: Vec<&str> = v["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "postal_code"]);
}

async fn the_same_email_twice_is_a_conflict_naming_the_existing_contact(t: TestApp) {
    let id = t.contact(b2c()).await;
    let before = t.snapshot().await;
    let mut again = b2c();
    again["email"] = json!("  zoe.lefevre@example.fr ");
    let v = expect_error(
        t.post(Role::Sales, "/api/v1/contacts", &again).await,
        409,
        "conflict",
        Some("email"),
        None,
    )
    .await;
    assert_eq!(v["error"]["existing_id"], id.as_str());
    assert_eq!(t.snapshot().await, before);
}

async fn unknown_json_fields_and_oversized_bodies_are_refused(t: TestApp) {
    let before = t.snapshot().await;
    let mut body = b2c();
    body["shoe_size"] = json!(42);
    expect_error(
        t.post(Role::Admin, "/api/v1/contacts", &body).await,
        400,
        "unknown_field",
        Some("shoe_size"),
        None,
    )
    .await;
    let mut wrong_type = b2c();
    wrong_type["phone"] = json!(612345678);
    expect_error(
        t.post(Role::Admin, "/api/v1/contacts", &wrong_type).await,
        400,
        "invalid_json",
        Some("phone"),
        None,
    )
    .await;
    let mut huge = b2c();
    huge["notes"] = json!("x".repeat(100_000));
    expect_error(
        t.post(Role::Admin, "/api/v1/contacts", &huge).await,
        413,
        "payload_too_large",
        None,
        None,
    )
    .await;
    assert_eq!(t.snapshot().await, before);
}

async fn a_role_cannot_write_a_field_it_may_not_write(t: TestApp) {
    let id = t.contact(b2c()).await;
    let before = t.snapshot().await;
    let res = t
        .patch(
            Role::Marketing,
            &format!("/api/v1/contacts/{id}"),
            &json!({"phone": "0699999999"}),
        )
        .await;
    expect_error(res, 403, "field_forbidden", Some("phone"), None).await;
    let res = t.post(Role::Support, "/api/v1/contacts", &b2c()).await;
    expect_error(res, 403, "field_forbidden", Some("kind"), None).await;
    assert_eq!(t.snapshot().await, before);
}

async fn b2b_contacts_need_an_existing_company_and_b2c_ones_have_none(t: TestApp) {
    let co = t.company("Atelier Dupont SAS", "12002701600043").await;
    let res = t
        .post(
            Role::Sales,
            "/api/v1/contacts",
            &json!({"kind": "b2b", "last_name": "Roux"}),
        )
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("company_id"),
        Some("b2b_needs_company"),
    )
    .await;
    let ghost = uuid::Uuid::now_v7().to_string();
    let res = t
        .post(
            Role::Sales,
            "/api/v1/contacts",
            &json!({"kind": "b2b", "last_name": "Roux", "company_id": ghost}),
        )
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("company_id"),
        Some("company_exists"),
    )
    .await;
    let res = t
        .post(
            Role::Sales,
            "/api/v1/contacts",
            &json!({"kind": "b2c", "last_name": "Roux", "company_id": co}),
        )
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("company_id"),
        Some("b2c_no_company"),
    )
    .await;
    let res = t
        .post(
            Role::Sales,
            "/api/v1/contacts",
            &json!({"kind": "b2b", "last_name": "Roux", "company_id": co}),
        )
        .await;
    assert_eq!(res.status(), 201);
}

async fn null_clears_a_field_and_absence_keeps_it(t: TestApp) {
    let id = t.contact(b2c()).await;
    let res = t
        .patch(
            Role::Sales,
            &format!("/api/v1/contacts/{id}"),
            &json!({"phone": null, "city": "Lyon", "postal_code": "69003"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["phone"], Value::Null);
    assert_eq!(v["city"], "Lyon");
    assert_eq!(v["email"], "zoe.lefevre@example.fr");
    let res = t
        .patch(
            Role::Sales,
            &format!("/api/v1/contacts/{id}"),
            &json!({"last_name": null}),
        )
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("last_name"),
        Some("required"),
    )
    .await;
}

async fn deleting_a_contact_erases_it_and_only_the_dpo_and_admin_may(t: TestApp) {
    let id = t.contact(b2c()).await;
    let path = format!("/api/v1/contacts/{id}");
    for role in [Role::Support, Role::Sales, Role::Marketing] {
        let res = t
            .send(role, reqwest::Method::DELETE, &path, &json!({}))
            .await;
        expect_error(res, 403, "role_forbidden", None, None).await;
    }
    let res = t
        .send(Role::Admin, reqwest::Method::DELETE, &path, &json!({}))
        .await;
    assert_eq!(res.status(), 200);
    let erased: Value = res.json().await.unwrap();
    assert_eq!(erased["counts"]["contact"]["deleted"], 1);
    expect_error(
        t.get(Role::Sales, &path).await,
        404,
        "not_found",
        None,
        None,
    )
    .await;
    // The person's audit went with them; the erasure is its record.
    let record: Value = t
        .get(Role::Dpo, &format!("{path}/erasure"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(record["subject_id"], id.as_str());
    assert!(record["actor"].as_str().unwrap().starts_with("token:"));
}

async fn a_malformed_id_is_a_400_naming_it(t: TestApp) {
    expect_error(
        t.get(Role::Sales, "/api/v1/contacts/not-a-uuid").await,
        400,
        "invalid_path",
        Some("id"),
        None,
    )
    .await;
}

async fn only_the_dpo_and_admin_read_the_audit(t: TestApp) {
    let id = t.contact(b2c()).await;
    for role in [Role::Sales, Role::Marketing, Role::Support] {
        expect_error(
            t.get(role, &format!("/api/v1/contacts/{id}/audit")).await,
            403,
            "role_forbidden",
            None,
            None,
        )
        .await;
    }
    assert_eq!(
        t.get(Role::Admin, &format!("/api/v1/contacts/{id}/audit"))
            .await
            .status(),
        200
    );
}

async fn requests_without_a_valid_token_are_refused(t: TestApp) {
    let res = t
        .client
        .get(format!("{}/api/v1/contacts", t.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    expect_error(res, 401, "unauthenticated", None, None).await;
    let forged = format!("cdr_{}", "0".repeat(64));
    let res = t
        .client
        .get(format!("{}/api/v1/contacts", t.url))
        .bearer_auth(forged)
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthenticated", None, None).await;
    let (tok, secret) = t
        .app
        .create_token(Role::Sales, "short-lived")
        .await
        .unwrap();
    let ok = t
        .client
        .get(format!("{}/api/v1/contacts", t.url))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    t.app.revoke_tokens(&tok.id.to_string()).await.unwrap();
    let res = t
        .client
        .get(format!("{}/api/v1/contacts", t.url))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthenticated", None, None).await;
}

/// A role that may write no contact field gets 403 even for `{}`; a write that changes
/// nothing writes nothing (no new `updated_at`, no audit entry of a change).
async fn a_write_without_a_permitted_field_or_a_change_writes_nothing(t: TestApp) {
    let id = t
        .contact(json!({"kind": "b2c", "last_name": "Roux", "email": "roux@example.fr"}))
        .await;
    let path = format!("/api/v1/contacts/{id}");
    let before = t.contact_json(&id).await;
    for role in [Role::Dpo, Role::Marketing] {
        expect_error(
            t.patch(role, &path, &json!({})).await,
            403,
            "role_forbidden",
            None,
            None,
        )
        .await;
    }
    let subject: uuid::Uuid = id.parse().unwrap();
    let updates = |entries: Vec<candor_domain::audit::AuditEntry>| {
        entries
            .iter()
            .filter(|e| e.action == candor_domain::audit::AuditAction::Update)
            .count()
    };
    let audited = updates(t.app.store.audit().list(subject, 100).await.unwrap());
    for body in [json!({}), json!({"last_name": "Roux"})] {
        let res = t.patch(Role::Sales, &path, &body).await;
        assert_eq!(res.status(), 200, "{body}");
    }
    let after = t.contact_json(&id).await;
    assert_eq!(before["updated_at"], after["updated_at"], "nothing changed");
    assert_eq!(
        updates(t.app.store.audit().list(subject, 100).await.unwrap()),
        audited
    );
    // A real change is written and audited.
    t.patch(Role::Sales, &path, &json!({"last_name": "Rousseau"}))
        .await;
    assert_ne!(
        t.contact_json(&id).await["updated_at"],
        before["updated_at"]
    );
    assert_eq!(
        updates(t.app.store.audit().list(subject, 100).await.unwrap()),
        audited + 1
    );
}

/// Control characters (U+0000 among them) are refused at the edge with a 4xx naming
/// the field, in bodies and queries alike, on both backends; malformed or unknown
/// query parameters are a 400 naming the parameter; out-of-range page sizes are
/// refused, never clamped (issue 13). Nothing changes.
async fn bad_input_at_the_edge_is_named_and_changes_nothing(t: TestApp) {
    let id = t
        .contact(json!({"kind": "b2c", "first_name": "Ana", "last_name": "Lopes", "email": "ana@example.fr"}))
        .await;
    let seg: Value = t
        .post(
            Role::Marketing,
            "/api/v1/segments",
            &json!({"name": "s", "conditions": []}),
        )
        .await
        .json()
        .await
        .unwrap();
    let seg = seg["id"].as_str().unwrap().to_owned();
    let before = t.snapshot().await;
    let consent = |evidence: Value| {
        json!({"purpose": "newsletter", "channel": "email", "action": "grant",
               "source": "web_form", "evidence": evidence})
    };
    let campaign = |name: &str, body: &str| {
        json!({"name": name, "category": "newsletter", "channel": "email", "segment_id": seg,
               "content": {"fr": {"subject": "Nouvelles", "body": body}}})
    };
    let bodies: Vec<(Role, String, Value, &str)> = vec![
        (
            Role::Marketing,
            format!("/api/v1/contacts/{id}/consents"),
            consent(json!({"form_id": "f", "wording": "Oui", "note": "a\u{0}b"})),
            "evidence.note",
        ),
        (
            Role::Marketing,
            format!("/api/v1/contacts/{id}/consents"),
            consent(json!({"form_id": "f", "wording": "O\u{0}ui"})),
            "evidence.wording",
        ),
        (
            Role::Marketing,
            "/api/v1/segments".into(),
            json!({"name": "a\u{0}", "conditions": []}),
            "name",
        ),
        (
            Role::Marketing,
            "/api/v1/segments".into(),
            json!({"name": "s", "conditions": [{"field": "last_name", "op": "contains", "value": "x\u{0}"}]}),
            "conditions[0].value",
        ),
        (
            Role::Marketing,
            "/api/v1/campaigns".into(),
            campaign("c\u{0}", "Bonjour"),
            "name",
        ),
        (
            Role::Marketing,
            "/api/v1/campaigns".into(),
            campaign("c", "Bon\u{0}jour"),
            "content.fr.body",
        ),
        (
            Role::Sales,
            "/api/v1/contacts".into(),
            json!({"kind": "b2c", "last_name": "Ren\u{202e}\u{7f}"}),
            "last_name",
        ),
    ];
    for (role, path, body, field) in bodies {
        let res = t.post(role, &path, &body).await;
        assert!(
            res.status().is_client_error(),
            "{path} {field}: {}",
            res.status()
        );
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["error"]["field"], field, "{v}");
        assert_eq!(v["error"]["rule"], "no_control_characters", "{v}");
    }
    for (path, field, rule) in [
        (
            "/api/v1/contacts?name=a%00b",
            "name",
            "no_control_characters",
        ),
        (
            "/api/v1/contacts?company=a%00b",
            "company",
            "no_control_characters",
        ),
        (
            "/api/v1/companies?name=a%00b",
            "name",
            "no_control_characters",
        ),
        ("/api/v1/contacts?after=garbage", "after", "type"),
        ("/api/v1/companies?after=garbage", "after", "type"),
        ("/api/v1/contacts?limit=99999999999", "limit", "type"),
        ("/api/v1/companies?color=blue", "color", "unknown_parameter"),
    ] {
        expect_error(
            t.get(Role::Admin, path).await,
            400,
            "invalid_query",
            Some(field),
            Some(rule),
        )
        .await;
    }
    for path in [
        format!("/api/v1/contacts/{id}/audit?limit=1001"),
        "/api/v1/outbox?limit=0".to_owned(),
        "/api/v1/contacts?limit=2147483648".to_owned(),
        "/api/v1/companies?limit=201".to_owned(),
    ] {
        expect_error(
            t.get(Role::Admin, &path).await,
            422,
            "invalid_field",
            Some("limit"),
            Some("page_size"),
        )
        .await;
    }
    assert_eq!(t.snapshot().await, before, "nothing written");
}

/// NFC and NFD, Unicode and IDNA spellings of one address are one contact; an
/// address the mailer could not send to, or a look-alike domain, is refused; a
/// direction override in a name is refused (issue 13).
async fn one_address_in_two_spellings_is_one_contact(t: TestApp) {
    let first = t
        .contact(json!({"kind": "b2c", "last_name": "Roux", "email": "zoe@caf\u{e9}.fr"}))
        .await;
    for spelling in ["zoe@cafe\u{301}.fr", "ZOE@xn--caf-dma.fr"] {
        let res = t
            .post(
                Role::Sales,
                "/api/v1/contacts",
                &json!({"kind": "b2c", "last_name": "Roux", "email": spelling}),
            )
            .await;
        let v = expect_error(res, 409, "conflict", Some("email"), None).await;
        assert_eq!(v["error"]["existing_id"], first.as_str());
    }
    let before = t.snapshot().await;
    for (body, field, rule) in [
        (
            json!({"kind": "b2c", "last_name": "A", "email": "\"a,b>c\"@example.org"}),
            "email",
            "email_format",
        ),
        (
            json!({"kind": "b2c", "last_name": "A", "email": "jean@p\u{430}ypal.com"}),
            "email",
            "mixed_script",
        ),
        (
            json!({"kind": "b2c", "last_name": "Martin\u{202e}nitraM"}),
            "last_name",
            "no_hidden_characters",
        ),
        (
            json!({"kind": "b2c", "last_name": "\u{feff}Martin"}),
            "last_name",
            "no_hidden_characters",
        ),
    ] {
        let res = t.post(Role::Sales, "/api/v1/contacts", &body).await;
        expect_error(res, 422, "invalid_field", Some(field), Some(rule)).await;
    }
    assert_eq!(t.snapshot().await, before);
}

on_both_backends!(
    a_write_without_a_permitted_field_or_a_change_writes_nothing,
    sales_sees_email_and_phone_marketing_sees_neither_and_both_reads_are_audited,
    a_note_revealing_health_data_is_refused_naming_the_word_and_nothing_is_written,
    a_bad_phone_is_refused_naming_the_field_and_rule_and_nothing_is_written,
    every_refused_field_is_listed,
    the_same_email_twice_is_a_conflict_naming_the_existing_contact,
    unknown_json_fields_and_oversized_bodies_are_refused,
    a_role_cannot_write_a_field_it_may_not_write,
    b2b_contacts_need_an_existing_company_and_b2c_ones_have_none,
    null_clears_a_field_and_absence_keeps_it,
    deleting_a_contact_erases_it_and_only_the_dpo_and_admin_may,
    a_malformed_id_is_a_400_naming_it,
    only_the_dpo_and_admin_read_the_audit,
    requests_without_a_valid_token_are_refused,
    bad_input_at_the_edge_is_named_and_changes_nothing,
    one_address_in_two_spellings_is_one_contact,
);
