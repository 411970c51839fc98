//! C4: a contact entered by API gets a consent request in its language that lists the
//! data held and the purposes; the answers are ledger events from `email_link`.

mod common;

use candor_domain::Role;
use common::TestApp;
use serde_json::{json, Value};

/// The messages as the person receives them (staff views mask the person's links).
async fn outbox(t: &TestApp) -> Vec<Value> {
    t.mailbox().await
}

fn request_link(t: &TestApp, m: &Value) -> String {
    let text = m["body_text"].as_str().unwrap();
    let start = text
        .find(&format!("{}/consent/request/", t.url))
        .expect("a request link");
    text[start..].split_whitespace().next().unwrap().to_owned()
}

async fn a_new_contact_is_asked_in_french_what_it_agrees_to(t: TestApp) {
    let id = t.contact(json!({"kind": "b2c", "first_name": "Inès", "last_name": "Fournier", "email": "ines@example.fr", "phone": "0612345678"})).await;
    t.contact(json!({"kind": "b2c", "last_name": "Sans Email"}))
        .await;
    let mails = outbox(&t).await;
    assert_eq!(mails.len(), 1, "no email, no request");
    let m = &mails[0];
    assert_eq!(
        (
            m["category"].as_str(),
            m["locale"].as_str(),
            m["subject_id"].as_str()
        ),
        (Some("consent_request"), Some("fr"), Some(id.as_str()))
    );
    let body = m["body_text"].as_str().unwrap();
    for expected in [
        "Bonjour Inès",
        "Adresse e-mail",
        "Téléphone",
        "Lettre d'information",
        "Offres commerciales",
    ] {
        assert!(body.contains(expected), "{expected} missing from:\n{body}");
    }
    assert!(
        !body.contains("ines@example.fr") && !body.contains("612345678"),
        "the request names the data, not its values"
    );

    let link = request_link(&t, m);
    let page = t
        .client
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("name=\"newsletter\" value=\"yes\"") && page.contains("Adresse e-mail"),
        "{page}"
    );
    let v: Value = t
        .get(Role::Sales, &format!("/api/v1/contacts/{id}/consents"))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        v["events"].as_array().unwrap().is_empty(),
        "GET changes nothing"
    );

    let res = t
        .client
        .post(&link)
        .form(&[
            ("newsletter", "yes"),
            ("marketing", "no"),
            ("horoscope", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = t
        .get(Role::Sales, &format!("/api/v1/contacts/{id}/consents"))
        .await
        .json()
        .await
        .unwrap();
    let st = |p: &str| {
        v["states"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["purpose"] == p)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        (
            st("newsletter")["status"].as_str(),
            st("newsletter")["first_opt_in_source"].as_str()
        ),
        (Some("effective"), Some("email_link"))
    );
    assert_eq!(st("marketing")["status"], "refused");
    assert_eq!(
        v["events"].as_array().unwrap().len(),
        2,
        "unknown purposes are ignored"
    );

    let replay = t
        .client
        .post(&link)
        .form(&[("marketing", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 409);
    let v: Value = t
        .get(Role::Sales, &format!("/api/v1/contacts/{id}/consents"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["events"].as_array().unwrap().len(),
        2,
        "a replay changes nothing"
    );
}

async fn an_english_contact_is_asked_in_english_and_the_link_confirms_nothing_else(t: TestApp) {
    let id = t.contact(json!({"kind": "b2c", "last_name": "Wood", "email": "wood@example.com", "locale": "en"})).await;
    let mails = outbox(&t).await;
    assert!(mails[0]["subject"]
        .as_str()
        .unwrap()
        .starts_with("Your data"));
    let link = request_link(&t, &mails[0]);
    let as_confirmation = link.replace("/consent/request/", "/consent/confirm/");
    assert_eq!(
        t.client
            .post(&as_confirmation)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let v: Value = t
        .get(Role::Sales, &format!("/api/v1/contacts/{id}/consents"))
        .await
        .json()
        .await
        .unwrap();
    assert!(v["events"].as_array().unwrap().is_empty());
}

on_both_backends!(
    a_new_contact_is_asked_in_french_what_it_agrees_to,
    an_english_contact_is_asked_in_english_and_the_link_confirms_nothing_else,
);
