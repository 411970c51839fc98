//! The consent ledger over HTTP (C1–C3, C5, C6).

mod common;

use candor_domain::Role;
use common::{expect_error, TestApp};
use serde_json::{json, Value};

fn web_form(purpose: &str) -> Value {
    json!({
        "purpose": purpose, "channel": "email", "action": "grant", "source": "web_form",
        "evidence": {"form_id": "newsletter-footer", "wording": "Je souhaite recevoir la lettre d'information.",
                     "ip": "203.0.113.7", "user_agent": "Mozilla/5.0"}
    })
}

async fn b2b(t: &TestApp) -> String {
    let co = t.company("Atelier Morel SAS", "12002701600043").await;
    t.contact(json!({"kind": "b2b", "company_id": co, "last_name": "Morel"}))
        .await
}

async fn consents(t: &TestApp, id: &str) -> Value {
    let res = t
        .get(Role::Sales, &format!("/api/v1/contacts/{id}/consents"))
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn state<'a>(v: &'a Value, purpose: &str, channel: &str) -> &'a Value {
    v["states"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["purpose"] == purpose && s["channel"] == channel)
        .unwrap()
}

async fn a_b2b_grant_is_effective_at_once_with_its_first_opt_in(t: TestApp) {
    let id = b2b(&t).await;
    let res = t
        .post(
            Role::Marketing,
            &format!("/api/v1/contacts/{id}/consents"),
            &web_form("newsletter"),
        )
        .await;
    assert_eq!(res.status(), 201);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["state"]["status"], "effective");
    // Marketing does not read who recorded it (catalogue, entity `consent`); the dpo does.
    assert!(r["event"]["evidence"].get("recorded_by").is_none(), "{r}");
    let v: Value = t
        .get(Role::Dpo, &format!("/api/v1/contacts/{id}/consents"))
        .await
        .json()
        .await
        .unwrap();
    assert!(v["events"][0]["evidence"]["recorded_by"]
        .as_str()
        .unwrap()
        .starts_with("token:"));
    let v = consents(&t, &id).await;
    let s = state(&v, "newsletter", "email");
    assert_eq!(
        (s["status"].as_str(), s["first_opt_in_source"].as_str()),
        (Some("effective"), Some("web_form"))
    );
    assert!(s["first_opt_in_at"].is_string());
    assert!(v["never_asked"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["purpose"] == "marketing" && n["channel"] == "sms"));
    assert_eq!(
        v["events"][0]["evidence"]["wording"],
        "Je souhaite recevoir la lettre d'information."
    );
}

async fn a_b2c_grant_waits_for_double_opt_in(t: TestApp) {
    let id = t
        .contact(json!({"kind": "b2c", "last_name": "Roux", "email": "roux@example.fr"}))
        .await;
    let r: Value = t
        .post(
            Role::Sales,
            &format!("/api/v1/contacts/{id}/consents"),
            &web_form("newsletter"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (r["state"]["status"].as_str(), r["state"]["reason"].as_str()),
        (Some("pending"), Some("double_opt_in"))
    );
    assert!(state(&consents(&t, &id).await, "newsletter", "email")["first_opt_in_at"].is_null());
}

async fn a_trade_show_grant_needs_written_evidence(t: TestApp) {
    let id = b2b(&t).await;
    let path = format!("/api/v1/contacts/{id}/consents");
    let tacit = json!({"purpose": "commercial", "channel": "phone", "action": "grant", "source": "event",
               "evidence": {"wording": "Rappelez-moi pour une offre"}});
    let r: Value = t
        .post(Role::Sales, &path, &tacit)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (r["state"]["status"].as_str(), r["state"]["reason"].as_str()),
        (Some("pending"), Some("written_consent_required"))
    );
    let signed = json!({"purpose": "commercial", "channel": "phone", "action": "grant", "source": "event",
                        "evidence": {"wording": "Rappelez-moi pour une offre", "document_ref": "SALON-LYON-2026-0042"}});
    let r: Value = t
        .post(Role::Sales, &path, &signed)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["state"]["status"], "effective");
}

async fn a_withdrawal_takes_effect_at_once(t: TestApp) {
    let id = b2b(&t).await;
    let path = format!("/api/v1/contacts/{id}/consents");
    t.post(Role::Sales, &path, &web_form("marketing")).await;
    let r: Value = t
        .post(Role::Support, &path, &json!({"purpose": "marketing", "channel": "email", "action": "withdraw", "source": "phone"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["state"]["status"], "withdrawn");
    let v = consents(&t, &id).await;
    assert_eq!(
        state(&v, "marketing", "email")["first_opt_in_source"],
        "web_form"
    );
    assert_eq!(
        v["events"].as_array().unwrap().len(),
        2,
        "the grant stays in the ledger"
    );
}

async fn bad_consents_are_refused_naming_the_field_and_nothing_is_written(t: TestApp) {
    let id = b2b(&t).await;
    let path = format!("/api/v1/contacts/{id}/consents");
    let mut bad = web_form("horoscope");
    expect_error(
        t.post(Role::Sales, &path, &bad).await,
        422,
        "invalid_field",
        Some("purpose"),
        Some("unknown_purpose"),
    )
    .await;
    bad = web_form("newsletter");
    bad["channel"] = json!("pigeon");
    expect_error(
        t.post(Role::Sales, &path, &bad).await,
        422,
        "invalid_field",
        Some("channel"),
        Some("unknown_channel"),
    )
    .await;
    bad = web_form("newsletter");
    bad["evidence"]["wording"] = Value::Null;
    expect_error(
        t.post(Role::Sales, &path, &bad).await,
        422,
        "invalid_field",
        Some("evidence.wording"),
        Some("web_evidence_required"),
    )
    .await;
    bad = web_form("newsletter");
    bad["action"] = json!("confirm");
    expect_error(
        t.post(Role::Sales, &path, &bad).await,
        422,
        "invalid_field",
        Some("action"),
        Some("confirm_by_link"),
    )
    .await;
    bad = web_form("newsletter");
    bad["evidence"]["recorded_by"] = json!("someone else");
    expect_error(
        t.post(Role::Sales, &path, &bad).await,
        400,
        "unknown_field",
        Some("recorded_by"),
        None,
    )
    .await;
    let ghost = uuid::Uuid::now_v7();
    expect_error(
        t.post(
            Role::Sales,
            &format!("/api/v1/contacts/{ghost}/consents"),
            &web_form("newsletter"),
        )
        .await,
        404,
        "not_found",
        None,
        None,
    )
    .await;
    assert_eq!(
        consents(&t, &id).await["events"].as_array().unwrap().len(),
        0
    );
}

async fn reading_and_recording_consents_is_audited(t: TestApp) {
    let id = b2b(&t).await;
    t.post(
        Role::Sales,
        &format!("/api/v1/contacts/{id}/consents"),
        &web_form("newsletter"),
    )
    .await;
    consents(&t, &id).await;
    let audit: Vec<Value> = t
        .get(Role::Dpo, &format!("/api/v1/contacts/{id}/audit"))
        .await
        .json()
        .await
        .unwrap();
    let consent_entries: Vec<&Value> = audit
        .iter()
        .filter(|e| e["fields"] == json!(["consents"]))
        .collect();
    assert_eq!(consent_entries.len(), 2);
    assert!(consent_entries.iter().any(|e| e["action"] == "update"));
    assert!(consent_entries.iter().any(|e| e["action"] == "read"));
}

/// The person's own acts (their portal, the links Candor emails them) and the import's
/// are never accepted from staff input, whatever the role and the evidence: a B2C
/// grant stays out of reach of every staff token (C1, C7).
async fn staff_cannot_record_the_persons_own_act(t: TestApp) {
    let id = t
        .contact(json!({"kind": "b2c", "last_name": "Roux", "email": "roux@example.fr"}))
        .await;
    let path = format!("/api/v1/contacts/{id}/consents");
    // The consent request (C4) that comes with the new contact.
    let queued = t.app.store.outbox().list(100).await.unwrap().len();
    for role in Role::ALL {
        for (source, rule) in [
            ("portal", "person_only_source"),
            ("email_link", "person_only_source"),
            ("import", "import_only_source"),
        ] {
            for action in ["grant", "withdraw"] {
                let body = json!({"purpose": "newsletter", "channel": "email", "action": action,
                                  "source": source, "evidence": {"wording": "Oui"}});
                expect_error(
                    t.post(role, &path, &body).await,
                    422,
                    "invalid_field",
                    Some("source"),
                    Some(rule),
                )
                .await;
            }
        }
    }
    assert_eq!(
        consents(&t, &id).await["events"].as_array().unwrap().len(),
        0,
        "nothing was written"
    );
    assert_eq!(
        t.app.store.outbox().list(100).await.unwrap().len(),
        queued,
        "no confirmation email either"
    );
    let d: Value = t
        .post(
            Role::Marketing,
            "/api/v1/decisions",
            &json!({"contact_id": id, "category": "newsletter", "channel": "email"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(d["allowed"], false, "{d}");
}

/// Who may record which consent event, over HTTP: the rule table of
/// `candor_domain::consent::staff_may_record`, one row per role × action × source.
async fn each_role_records_the_consent_events_its_work_needs(t: TestApp) {
    let id = b2b(&t).await;
    let path = format!("/api/v1/contacts/{id}/consents");
    let body = |action: &str, source: &str| {
        json!({"purpose": "commercial", "channel": "email", "action": action, "source": source,
               "evidence": {"wording": "Oui pour vos offres", "form_id": "f", "ip": "203.0.113.7",
                            "user_agent": "Mozilla/5.0", "document_ref": "SALON-2026-1"}})
    };
    use Role::*;
    let table: &[(Role, &str, &str, u16)] = &[
        (Admin, "grant", "manual", 201),
        (Sales, "grant", "event", 201),
        (Support, "grant", "phone", 201),
        (Dpo, "grant", "manual", 403),
        (Marketing, "grant", "business_card", 403),
        (Marketing, "grant", "web_form", 201),
        (Marketing, "grant", "api", 201),
        (Dpo, "grant", "web_form", 403),
        (Dpo, "withdraw", "manual", 201),
        (Marketing, "withdraw", "phone", 201),
        (Dpo, "refuse", "manual", 201),
        (Sales, "withdraw", "api", 201),
    ];
    let mut written = 0;
    for (role, action, source, status) in table {
        let res = t.post(*role, &path, &body(action, source)).await;
        assert_eq!(res.status().as_u16(), *status, "{role} {action} {source}");
        if *status == 201 {
            written += 1;
        } else {
            let v: Value = res.json().await.unwrap();
            assert_eq!(v["error"]["code"], "role_forbidden", "{v}");
        }
        assert_eq!(
            consents(&t, &id).await["events"].as_array().unwrap().len(),
            written,
            "a refusal writes nothing: {role} {action} {source}"
        );
    }
}

/// A fault injected between the ledger's write and its audit entry's (a trigger that
/// refuses audit rows) leaves neither: no event, no state, no confirmation email; the
/// retry then records the event once.
async fn a_consent_and_its_audit_entry_commit_together(t: TestApp) {
    let id = t
        .contact(json!({"kind": "b2c", "last_name": "Roux", "email": "roux@example.fr"}))
        .await;
    let path = format!("/api/v1/contacts/{id}/consents");
    let outbox = t.app.store.outbox().list(100).await.unwrap().len();
    t.fail_audit_writes(true).await;
    let res = t.post(Role::Sales, &path, &web_form("newsletter")).await;
    assert_eq!(res.status(), 500);
    let subject: uuid::Uuid = id.parse().unwrap();
    assert!(t
        .app
        .store
        .consents()
        .events(subject)
        .await
        .unwrap()
        .is_empty());
    assert!(t
        .app
        .store
        .consents()
        .states(subject)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(t.app.store.outbox().list(100).await.unwrap().len(), outbox);
    t.fail_audit_writes(false).await;
    let res = t.post(Role::Sales, &path, &web_form("newsletter")).await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        t.app.store.consents().events(subject).await.unwrap().len(),
        1
    );
    assert_eq!(
        t.app.store.outbox().list(100).await.unwrap().len(),
        outbox + 1
    );
}

/// Each role reads of a consent event's evidence only what the catalogue declares for
/// it (entity `consent`): the IP address and browser go to the dpo and admin only
/// (issue 13).
async fn each_role_reads_the_evidence_its_work_needs(t: TestApp) {
    let id = b2b(&t).await;
    let path = format!("/api/v1/contacts/{id}/consents");
    let res = t
        .post(
            Role::Admin,
            &path,
            &json!({"purpose": "commercial", "channel": "email", "action": "grant", "source": "manual",
                    "evidence": {"wording": "Oui pour vos offres", "form_id": "f", "ip": "203.0.113.7",
                                 "user_agent": "Mozilla/5.0", "document_ref": "SALON-2026-1",
                                 "note": "a demandé à être rappelée en janvier"}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    use Role::*;
    let all = [
        "document_ref",
        "form_id",
        "ip",
        "note",
        "recorded_by",
        "user_agent",
        "wording",
    ];
    let table: &[(Role, &[&str])] = &[
        (Admin, &all),
        (Dpo, &all),
        (Sales, &["document_ref", "note", "recorded_by", "wording"]),
        (Support, &["document_ref", "note", "recorded_by", "wording"]),
        (Marketing, &["form_id", "wording"]),
    ];
    for (role, shown) in table {
        let v: Value = t.get(*role, &path).await.json().await.unwrap();
        let evidence = v["events"][0]["evidence"].as_object().unwrap();
        let mut keys: Vec<&str> = evidence.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(&keys, shown, "{role}");
    }
    // What a role records comes back filtered the same way.
    let res = t
        .post(
            Marketing,
            &path,
            &json!({"purpose": "commercial", "channel": "email", "action": "withdraw", "source": "web_form",
                    "evidence": {"form_id": "footer", "wording": "Ne plus recevoir d'offres", "ip": "203.0.113.8", "user_agent": "Firefox"}}),
        )
        .await;
    let v: Value = res.json().await.unwrap();
    let evidence = v["event"]["evidence"]
        .as_object()
        .unwrap_or_else(|| panic!("{v}"));
    assert!(
        !evidence.contains_key("ip") && evidence.contains_key("form_id"),
        "{v}"
    );
}

on_both_backends!(
    a_consent_and_its_audit_entry_commit_together,
    staff_cannot_record_the_persons_own_act,
    each_role_records_the_consent_events_its_work_needs,
    a_b2b_grant_is_effective_at_once_with_its_first_opt_in,
    a_b2c_grant_waits_for_double_opt_in,
    a_trade_show_grant_needs_written_evidence,
    a_withdrawal_takes_effect_at_once,
    bad_consents_are_refused_naming_the_field_and_nothing_is_written,
    reading_and_recording_consents_is_audited,
    each_role_reads_the_evidence_its_work_needs,
);
