//! Email over real SMTP (O5) to aiosmtpd, and double opt-in end to end from what the
//! receiver got: the link in the decoded email, GET shows the page, POST confirms.

mod common;

use candor_domain::Role;
use common::TestApp;
use serde_json::{json, Value};

fn text_part(raw: &[u8]) -> (String, String, String) {
    let mail = mailparse::parse_mail(raw).unwrap();
    let header = |n: &str| {
        mail.headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case(n))
            .map(|h| h.get_value())
            .unwrap_or_default()
    };
    let text = mail
        .subparts
        .iter()
        .find(|p| p.ctype.mimetype == "text/plain")
        .unwrap()
        .get_body()
        .unwrap();
    (header("Subject"), header("Message-ID"), text)
}

async fn double_opt_in_over_real_smtp(t: TestApp) {
    let Some(smtp) = common::smtp_receiver("double_opt_in_over_real_smtp").await else {
        return;
    };
    let transport = common::smtp_transport(smtp.port);
    let id = t.contact(json!({"kind": "b2c", "first_name": "Léa", "last_name": "Girard", "email": "lea.girard@example.fr"})).await;
    let grant = json!({"purpose": "newsletter", "channel": "email", "action": "grant", "source": "web_form",
        "evidence": {"form_id": "footer", "wording": "Recevoir la lettre", "ip": "198.51.100.4", "user_agent": "Firefox"}});
    t.post(
        Role::Marketing,
        &format!("/api/v1/contacts/{id}/consents"),
        &grant,
    )
    .await;

    let sent = t.app.deliver_due(&transport).await.unwrap();
    let outbox: Vec<Value> = t
        .get(Role::Dpo, "/api/v1/outbox")
        .await
        .json()
        .await
        .unwrap();
    let errors: Vec<&Value> = outbox.iter().map(|m| &m["last_error"]).collect();
    assert_eq!(
        sent, 2,
        "the consent request and the confirmation; errors: {errors:?}"
    );
    assert_eq!(
        t.app.deliver_due(&transport).await.unwrap(),
        0,
        "nothing twice"
    );
    let mut got: Vec<(String, String, String)> = Vec::new();
    for _ in 0..50 {
        got = smtp.received().iter().map(|r| text_part(r)).collect();
        if got.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(got.len(), 2);
    let outbox: Vec<Value> = t
        .get(Role::Dpo, "/api/v1/outbox")
        .await
        .json()
        .await
        .unwrap();
    assert!(outbox.iter().all(|m| m["status"] == "sent"));
    let (subject, message_id, text) = got
        .iter()
        .find(|(s, _, _)| s.starts_with("Confirmez"))
        .cloned()
        .expect("the confirmation email");
    assert!(
        outbox
            .iter()
            .any(|m| m["message_id"] == message_id.as_str()),
        "the Message-ID fixed at queueing: {message_id}"
    );
    assert!(subject.contains("Lettre d'information"), "{subject}");

    let start = text.find("/consent/confirm/").unwrap();
    let link = format!(
        "{}{}",
        t.url,
        text[start..].split_whitespace().next().unwrap()
    );
    assert_eq!(t.client.get(&link).send().await.unwrap().status(), 200);
    assert_eq!(t.client.post(&link).send().await.unwrap().status(), 200);
    let v: Value = t
        .get(Role::Sales, &format!("/api/v1/contacts/{id}/consents"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["states"][0]["status"], "effective");
}

async fn an_unreachable_server_means_a_retry_later_not_a_loss(t: TestApp) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let transport = common::smtp_transport(closed);
    t.contact(json!({"kind": "b2c", "last_name": "Girard", "email": "girard@example.fr"}))
        .await;
    assert_eq!(t.app.deliver_due(&transport).await.unwrap(), 0);
    let outbox: Vec<Value> = t
        .get(Role::Dpo, "/api/v1/outbox")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (outbox[0]["status"].as_str(), outbox[0]["attempts"].as_i64()),
        (Some("queued"), Some(1))
    );
    assert!(outbox[0]["last_error"].is_string());
}

/// A server that refuses the address itself (550 5.1.1) is not asked again, and the
/// address is marked: no later message goes to it (`address_undeliverable`), and the
/// reply kept names no address. Another person's message still goes.
async fn a_refused_mailbox_is_not_retried_and_gets_nothing_more(t: TestApp) {
    let Some(smtp) = common::smtp_receiver_with(
        "a_refused_mailbox_is_not_retried_and_gets_nothing_more",
        "refusing.RefuseBounces",
    )
    .await
    else {
        return;
    };
    let transport = common::smtp_transport(smtp.port);
    let gone = t
        .contact(json!({"kind": "b2c", "last_name": "Girard", "email": "bounce.girard@example.fr"}))
        .await;
    t.contact(json!({"kind": "b2c", "last_name": "Roux", "email": "roux@example.fr"}))
        .await;
    assert_eq!(t.app.deliver_due(&transport).await.unwrap(), 1);
    assert_eq!(smtp.received().len(), 1, "the other person's request went");
    let outbox: Vec<Value> = t
        .get(Role::Dpo, "/api/v1/outbox")
        .await
        .json()
        .await
        .unwrap();
    let refused = outbox
        .iter()
        .find(|m| m["subject_id"] == gone.as_str())
        .expect("the refused message is listed");
    assert_eq!(refused["status"], "failed", "{refused}");
    let error = refused["last_error"].as_str().unwrap();
    assert!(error.contains("5.1.1"), "{error}");
    assert!(!error.contains("bounce.girard"), "no address kept: {error}");
    let v: Value = t
        .post(
            Role::Marketing,
            "/api/v1/decisions",
            &json!({"contact_id": gone, "category": "security", "channel": "email"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["rule"], "address_undeliverable", "{v}");
    // Nothing is due again.
    assert_eq!(t.app.deliver_due(&transport).await.unwrap(), 0);
    assert_eq!(smtp.received().len(), 1);
}

on_both_backends!(
    a_refused_mailbox_is_not_retried_and_gets_nothing_more,
    double_opt_in_over_real_smtp,
    an_unreachable_server_means_a_retry_later_not_a_loss
);
