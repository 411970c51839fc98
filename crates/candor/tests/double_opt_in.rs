//! Double opt-in end to end (C1, C7, O5): the grant waits, the email is queued in the
//! same transaction, GET shows a page and changes nothing, POST confirms once.

mod common;

use candor_app::mail::Transport;
use candor_domain::Role;
use common::TestApp;
use serde_json::{json, Value};

async fn b2c_with_pending_grant(t: &TestApp) -> String {
    let id = t.contact(json!({"kind": "b2c", "first_name": "Zoé", "last_name": "Roux", "email": "zoe.roux@example.fr"})).await;
    let grant = json!({
        "purpose": "newsletter", "channel": "email", "action": "grant", "source": "web_form",
        "evidence": {"form_id": "footer", "wording": "Recevoir la lettre", "ip": "203.0.113.9", "user_agent": "Firefox"}
    });
    let r: Value = t
        .post(
            Role::Marketing,
            &format!("/api/v1/contacts/{id}/consents"),
            &grant,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["state"]["status"], "pending");
    id
}

/// The confirmation link of the newest message, as the person receives it.
async fn link(t: &TestApp) -> (Value, String) {
    let outbox: Vec<Value> = t.mailbox().await;
    let m = outbox[0].clone();
    let text = m["body_text"].as_str().unwrap();
    let start = text
        .find(&format!("{}/consent/confirm/", t.url))
        .expect("a confirmation link");
    let link = text[start..].split_whitespace().next().unwrap().to_owned();
    (m, link)
}

/// The ledger as the dpo reads it (every piece of evidence; sales reads no IP address).
async fn state(t: &TestApp, id: &str) -> Value {
    let v: Value = t
        .get(Role::Dpo, &format!("/api/v1/contacts/{id}/consents"))
        .await
        .json()
        .await
        .unwrap();
    v
}

async fn the_link_confirms_once_with_its_own_evidence(t: TestApp) {
    let id = b2c_with_pending_grant(&t).await;
    let (m, link) = link(&t).await;
    assert_eq!(
        (
            m["category"].as_str(),
            m["recipient"].as_str(),
            m["locale"].as_str()
        ),
        (
            Some("consent_request"),
            Some("zoe.roux@example.fr"),
            Some("fr")
        )
    );
    assert!(
        m["subject"].as_str().unwrap().starts_with("Confirmez"),
        "{m}"
    );

    let page = t.client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<form method=\"post\"") && html.contains("Je confirme"),
        "{html}"
    );
    assert_eq!(
        state(&t, &id).await["states"][0]["status"],
        "pending",
        "GET must change nothing"
    );

    let done = t
        .client
        .post(&link)
        .header("user-agent", "Zoé's phone")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert!(done
        .text()
        .await
        .unwrap()
        .contains("data-code=\"confirmed\""));
    let v = state(&t, &id).await;
    let s = &v["states"][0];
    assert_eq!(
        (s["status"].as_str(), s["first_opt_in_source"].as_str()),
        (Some("effective"), Some("web_form"))
    );
    let confirm = &v["events"][1];
    assert_eq!(
        (confirm["action"].as_str(), confirm["source"].as_str()),
        (Some("confirm"), Some("email_link"))
    );
    assert_eq!(confirm["evidence"]["ip"], "127.0.0.1");
    assert_eq!(confirm["evidence"]["user_agent"], "Zoé's phone");
    assert_eq!(
        v["events"][0]["evidence"]["ip"], "203.0.113.9",
        "the grant keeps its own evidence"
    );

    let replay = t.client.post(&link).send().await.unwrap();
    assert_eq!(replay.status(), 409);
    assert!(replay
        .text()
        .await
        .unwrap()
        .contains("data-code=\"already_used\""));
    let forged = t
        .client
        .post(format!("{}/consent/confirm/{}", t.url, "ab".repeat(32)))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 404);
    assert_eq!(
        state(&t, &id).await["events"].as_array().unwrap().len(),
        2,
        "replay and forgery change nothing"
    );
}

async fn an_expired_link_changes_nothing(t: TestApp) {
    let id = b2c_with_pending_grant(&t).await;
    let (_, link) = link(&t).await;
    let secret = link.rsplit('/').next().unwrap();
    let later = t.app.now() + time::Duration::days(8);
    let out = t
        .app
        .store
        .consents()
        .confirm(
            &candor_app::keys::secret_hash(secret),
            later,
            Default::default(),
        )
        .await
        .unwrap();
    assert!(
        matches!(out, candor_store::Confirmation::Expired),
        "{out:?}"
    );
    assert_eq!(state(&t, &id).await["states"][0]["status"], "pending");
}

/// A link for a person no longer held changes nothing: neither the confirmation nor
/// the consent request appends an event once the contact is deleted (issue 13).
async fn a_link_for_a_deleted_contact_changes_nothing(t: TestApp) {
    let id = b2c_with_pending_grant(&t).await;
    let (_, confirm) = link(&t).await;
    let mails = t.mailbox().await;
    let request = mails
        .iter()
        .find(|m| {
            m["category"] == "consent_request"
                && m["body_text"]
                    .as_str()
                    .unwrap()
                    .contains("/consent/request/")
        })
        .map(|m| {
            let text = m["body_text"].as_str().unwrap();
            let start = text.find(&format!("{}/consent/request/", t.url)).unwrap();
            text[start..].split_whitespace().next().unwrap().to_owned()
        })
        .expect("the new contact was asked for consent");
    let res = t
        .send(
            Role::Admin,
            reqwest::Method::DELETE,
            &format!("/api/v1/contacts/{id}"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let before = t.snapshot().await;
    let page = t.client.get(&confirm).send().await.unwrap();
    assert_eq!(page.status(), 404);
    let done = t.client.post(&confirm).send().await.unwrap();
    assert_eq!(done.status(), 404);
    assert_eq!(t.client.get(&request).send().await.unwrap().status(), 404);
    let answered = t
        .client
        .post(&request)
        .form(&[("newsletter", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 404);
    assert_eq!(t.snapshot().await, before, "no event, no audit entry");
}

async fn of_two_concurrent_confirmations_exactly_one_succeeds(t: TestApp) {
    let id = b2c_with_pending_grant(&t).await;
    let (_, link) = link(&t).await;
    let (a, b) = tokio::join!(t.client.post(&link).send(), t.client.post(&link).send());
    let mut codes = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    codes.sort();
    assert_eq!(codes, [200, 409]);
    let events = state(&t, &id).await["events"].as_array().unwrap().len();
    assert_eq!(events, 2, "one grant, one confirmation");
}

async fn queued_mail_is_delivered_once_with_a_stable_message_id(t: TestApp) {
    b2c_with_pending_grant(&t).await;
    // A restart between queueing and delivery: a new application over the same database.
    let again = candor_app::Candor::new(
        candor_store::Store::open_url(&t.db_url).await.unwrap(),
        candor_domain::catalogue::Catalogue::default_catalogue(),
        candor_domain::lexicon::Lexicon::default_french_english(),
        std::sync::Arc::new(candor_domain::SystemClock),
        candor_app::keys::Keys::load_or_create(&t.dir).unwrap(),
        candor_app::receipts::ReceiptKeys::load_or_create(&t.dir).unwrap(),
        candor_app::Settings::default(),
    )
    .await
    .unwrap();
    let outbox = t.dir.join("outbox");
    let transport = Transport::Outbox(outbox.clone());
    // The consent request sent at creation (C4), then the confirmation.
    assert_eq!(again.deliver_due(&transport).await.unwrap(), 2);
    assert_eq!(
        again.deliver_due(&transport).await.unwrap(),
        0,
        "never sent twice"
    );
    let (m, link) = link(&t).await;
    assert_eq!(m["status"], "sent");
    let eml =
        std::fs::read_to_string(outbox.join(format!("{}.eml", m["id"].as_str().unwrap()))).unwrap();
    assert!(
        eml.contains(&format!(
            "Message-ID: {}",
            m["message_id"].as_str().unwrap()
        )),
        "{eml}"
    );
    assert!(
        eml.contains(&link) || eml.contains("consent/confirm/"),
        "{eml}"
    );
}

async fn a_b2b_grant_sends_no_confirmation(t: TestApp) {
    let co = t.company("Atelier Morel SAS", "12002701600043").await;
    let id = t.contact(json!({"kind": "b2b", "company_id": co, "last_name": "Morel", "email": "morel@example.com"})).await;
    let grant = json!({"purpose": "newsletter", "channel": "email", "action": "grant", "source": "api",
               "evidence": {"wording": "Newsletter: yes"}});
    t.post(
        Role::Sales,
        &format!("/api/v1/contacts/{id}/consents"),
        &grant,
    )
    .await;
    let outbox: Vec<Value> = t
        .get(Role::Dpo, "/api/v1/outbox")
        .await
        .json()
        .await
        .unwrap();
    assert!(!outbox.is_empty(), "the consent request of the new contact");
    assert!(outbox.iter().all(|m| !m["body_text"]
        .as_str()
        .unwrap()
        .contains("/consent/confirm/")));
    expect_forbidden(&t).await;
}

/// Staff read that a message carried the person's links, never the links: an insider
/// with the outbox cannot confirm, answer or withdraw for the person (C7).
async fn staff_never_see_the_persons_links(t: TestApp) {
    b2c_with_pending_grant(&t).await;
    let (_, real) = link(&t).await;
    let shown: Vec<Value> = t
        .get(Role::Dpo, "/api/v1/outbox")
        .await
        .json()
        .await
        .unwrap();
    let secret = real.rsplit('/').next().unwrap();
    for m in &shown {
        for part in ["body_text", "body_html"] {
            let text = m[part].as_str().unwrap();
            assert!(!text.contains(secret), "{part}: {text}");
            assert!(
                !text.contains("/consent/request/") || text.contains("/consent/request/…"),
                "{text}"
            );
        }
    }
    assert!(shown[0]["body_text"]
        .as_str()
        .unwrap()
        .contains("/consent/confirm/…"));
    // What a staff member could copy from the page confirms nothing.
    let masked = format!("{}/consent/confirm/…", t.url);
    let res = t.client.post(&masked).send().await.unwrap();
    assert_ne!(res.status(), 200);
    // One message as the back office's outbox page reads it.
    let mail_id: uuid::Uuid = shown[0]["id"].as_str().unwrap().parse().unwrap();
    let dpo = candor_app::Actor {
        id: uuid::Uuid::nil(),
        role: Role::Dpo,
        audit_name: "staff:test".into(),
    };
    let one = t
        .app
        .outbox_mail(&dpo, mail_id, "GET /outbox/{id}")
        .await
        .unwrap();
    assert!(!one.mail.body_html.contains(secret) && !one.mail.body_text.contains(secret));
}

/// The pages a person reaches from an email cannot be framed by another site.
async fn public_pages_cannot_be_framed(t: TestApp) {
    let subject = uuid::Uuid::now_v7();
    for path in [
        "/consent/confirm/0000".to_owned(),
        "/consent/request/0000".to_owned(),
        format!("/consent/withdraw/{subject}/newsletter/email/bad"),
    ] {
        let res = t
            .client
            .get(format!("{}{path}", t.url))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["x-frame-options"], "DENY", "{path}");
        assert!(
            res.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
    }
}

async fn expect_forbidden(t: &TestApp) {
    common::expect_error(
        t.get(Role::Marketing, "/api/v1/outbox").await,
        403,
        "role_forbidden",
        None,
        None,
    )
    .await;
}

async fn the_signed_link_withdraws_at_once_and_a_forged_one_changes_nothing(t: TestApp) {
    let id = b2c_with_pending_grant(&t).await;
    let (_, confirm) = link(&t).await;
    let done = t
        .client
        .post(&confirm)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = done
        .find(&format!("{}/consent/withdraw/", t.url))
        .expect("the confirmation page offers to withdraw");
    let withdraw = done[start..].split('"').next().unwrap().to_owned();
    assert_eq!(
        withdraw,
        t.app.withdrawal_link(
            id.parse().unwrap(),
            "newsletter",
            candor_domain::consent::Channel::Email
        )
    );

    let forged = format!(
        "{}{}",
        &withdraw[..withdraw.len() - 2],
        if withdraw.ends_with("00") { "11" } else { "00" }
    );
    assert_eq!(t.client.post(&forged).send().await.unwrap().status(), 404);
    let other_purpose = withdraw.replace("/newsletter/", "/marketing/");
    assert_eq!(
        t.client.post(&other_purpose).send().await.unwrap().status(),
        404
    );
    let page = t
        .client
        .get(&withdraw)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Je retire mon consentement"), "{page}");
    assert_eq!(
        state(&t, &id).await["states"][0]["status"],
        "effective",
        "GET and forged links change nothing"
    );

    // A mail client's RFC 8058 one-click POST.
    let res = t
        .client
        .post(&withdraw)
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("data-code=\"withdrawn\""));
    let v = state(&t, &id).await;
    assert_eq!(v["states"][0]["status"], "withdrawn");
    let again = t
        .client
        .post(&withdraw)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(again.contains("data-code=\"nothing_to_withdraw\""));
    assert_eq!(
        state(&t, &id).await["events"].as_array().unwrap().len(),
        3,
        "grant, confirm, one withdrawal"
    );
}

on_both_backends!(
    a_link_for_a_deleted_contact_changes_nothing,
    public_pages_cannot_be_framed,
    staff_never_see_the_persons_links,
    the_signed_link_withdraws_at_once_and_a_forged_one_changes_nothing,
    the_link_confirms_once_with_its_own_evidence,
    an_expired_link_changes_nothing,
    of_two_concurrent_confirmations_exactly_one_succeeds,
    queued_mail_is_delivered_once_with_a_stable_message_id,
    a_b2b_grant_sends_no_confirmation,
);
