//! The privacy portal in a real browser (P1–P3), as a contact uses it: asks for a link,
//! reads it in the email a real SMTP receiver got, signs in, reads what is held and
//! why, turns the newsletter on then off (the rules follow), corrects the phone (a bad
//! value refused next to the field, then a good one), downloads the bundle, asks for
//! erasure and reads the receipt; then the same pages in English, at 1366 and 390 px.
//!
//! `CANDOR_SCREENSHOTS=docs/screenshots cargo test -p candor --test portal_browser`
//! regenerates the README's portal screenshots.

mod common;

use candor_domain::Role;
use common::chromium::{available, browser, overflows, text_of, widest};
use common::{spawn_app, TestApp};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

async fn shot(b: &Client, name: &str) {
    if let Ok(dir) = std::env::var("CANDOR_SCREENSHOTS") {
        let dir = if Path::new(&dir).is_absolute() {
            std::path::PathBuf::from(dir)
        } else {
            common::manifest_dir().join("../..").join(dir)
        };
        std::fs::create_dir_all(&dir).unwrap();
        let png = b.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}

/// At 390 px the page fits (a phone scrolls no page sideways); a screenshot at each
/// width, then back to 1366.
async fn both_widths(b: &Client, name: &str) {
    b.set_window_size(1366, 900).await.unwrap();
    shot(b, &format!("{name}-1366")).await;
    b.set_window_size(390, 844).await.unwrap();
    assert!(
        !overflows(b).await,
        "{name} fits a phone: {}",
        widest(b).await
    );
    shot(b, &format!("{name}-390")).await;
    b.set_window_size(1366, 900).await.unwrap();
}

async fn click(b: &Client, id: &str) {
    b.find(Locator::Id(id))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn type_into(b: &Client, id: &str, text: &str) {
    let e = b.find(Locator::Id(id)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// The sign-in link in the newest email the receiver got, once the outbox sent it.
async fn emailed_link(
    t: &TestApp,
    smtp: &common::SmtpReceiver,
    transport: &candor_app::mail::Transport,
) -> String {
    for _ in 0..100 {
        t.app.deliver_due(transport).await.unwrap();
        for raw in smtp.received() {
            let mail = mailparse::parse_mail(&raw).unwrap();
            let text = mail
                .subparts
                .iter()
                .find(|p| p.ctype.mimetype == "text/plain")
                .map(|p| p.get_body().unwrap())
                .unwrap_or_default();
            if let Some(at) = text.find("/portal/enter/") {
                let token = text[at..].split_whitespace().next().unwrap().to_owned();
                return format!("{}{token}", t.url);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no sign-in link reached the SMTP receiver");
}

async fn allowed(t: &TestApp, contact: &str, category: &str) -> bool {
    let res = t
        .post(
            Role::Sales,
            "/api/v1/decisions",
            &json!({"contact_id": contact, "category": category, "channel": "email"}),
        )
        .await;
    res.json::<Value>().await.unwrap()["allowed"] == true
}

async fn wait_for(b: &Client, css: &str) {
    b.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e:?}"));
}

#[tokio::test]
async fn a_contact_uses_their_privacy_portal_in_french_then_english() {
    if !available("a_contact_uses_their_privacy_portal_in_french_then_english") {
        return;
    }
    let Some(smtp) = common::smtp_receiver("a_contact_uses_their_privacy_portal").await else {
        return;
    };
    let transport = common::smtp_transport(smtp.port);
    let t = spawn_app().await;
    let camille = t
        .contact(
            json!({"kind": "b2c", "first_name": "Camille", "last_name": "Dupont",
            "email": "camille.dupont@example.fr", "phone": "+33 6 11 22 33 44",
            "city": "Nantes", "postal_code": "44000", "country": "FR", "locale": "fr"}),
        )
        .await;
    let br = browser().await;
    let b = &br.client;
    b.set_window_size(1366, 900).await.unwrap();

    // The first page, and the link asked for.
    b.goto(&format!("{}/portal", t.url)).await.unwrap();
    wait_for(b, "html[lang=fr]").await;
    both_widths(b, "portal-start-fr").await;
    type_into(b, "email", "camille.dupont@example.fr").await;
    click(b, "send-link").await;
    wait_for(b, "#portal-notice").await;
    assert!(text_of(b, "#portal-notice")
        .await
        .starts_with("Si nous connaissons cette adresse"));
    let link = emailed_link(&t, &smtp, &transport).await;

    // The link shows a button; the button signs in.
    b.goto(&link).await.unwrap();
    wait_for(b, "#enter").await;
    shot(b, "portal-enter-1366-fr").await;
    click(b, "enter").await;
    wait_for(b, "#held").await;
    assert_eq!(text_of(b, "h1").await, "Bonjour Camille Dupont");
    let held = text_of(b, "#held").await;
    for words in [
        "Qui vous êtes et comment vous joindre",
        "camille.dupont@example.fr",
        "Pourquoi",
        "Base légale",
        "Qui peut la voir",
        "équipe commerciale",
    ] {
        assert!(held.contains(words), "{words}: {held}");
    }
    both_widths(b, "portal-home-fr").await;
    b.execute(
        "document.getElementById('consents').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    shot(b, "portal-consents-1366-fr").await;

    // The newsletter, on then off: the communication rules follow at once.
    click(b, "switch-newsletter-email").await;
    wait_for(b, "#portal-notice").await;
    wait_for(b, "#switch-newsletter-email[aria-pressed=true]").await;
    assert!(allowed(&t, &camille, "newsletter").await);
    click(b, "switch-newsletter-email").await;
    wait_for(b, "#switch-newsletter-email[aria-pressed=false]").await;
    assert!(!allowed(&t, &camille, "newsletter").await);

    // A bad phone: refused next to the field, in French, nothing saved.
    click(b, "to-rectify").await;
    wait_for(b, "#f-phone").await;
    type_into(b, "f-phone", "12").await;
    click(b, "save-corrections").await;
    wait_for(b, "#e-phone").await;
    assert!(text_of(b, "#e-phone")
        .await
        .starts_with("doit être un numéro de téléphone valide"));
    assert_eq!(t.contact_json(&camille).await["phone"], "+33611223344");
    both_widths(b, "portal-rectify-fr").await;
    type_into(b, "f-phone", "06 12 34 56 78").await;
    click(b, "save-corrections").await;
    wait_for(b, "#portal-notice").await;
    assert!(text_of(b, "#portal-notice")
        .await
        .starts_with("Vos corrections sont enregistrées"));
    assert_eq!(t.contact_json(&camille).await["phone"], "+33612345678");

    // The bundle: the browser downloads it; an answered access request records it.
    click(b, "download-bundle").await;
    let mut answered = false;
    for _ in 0..50 {
        let list: Value = t
            .get(Role::Dpo, "/api/v1/requests?kind=access")
            .await
            .json()
            .await
            .unwrap();
        answered = list.as_array().unwrap().iter().any(|r| {
            r["channel"] == "portal" && r["status"] == "answered" && r["subject_id"] == camille
        });
        if answered {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(answered, "the download answered an access request");

    // Erasure asked for: the receipt, its deadline, its signature.
    b.goto(&format!("{}/portal/me", t.url)).await.unwrap();
    wait_for(b, "#request-kind").await;
    type_into(b, "request-details", "Je ne suis plus cliente.").await;
    click(b, "send-request").await;
    wait_for(b, "#receipt").await;
    assert_eq!(text_of(b, "h1").await, "Votre demande est reçue");
    let deadline = text_of(b, "#deadline").await;
    assert_eq!(deadline.len(), 10, "{deadline}");
    both_widths(b, "portal-receipt-fr").await;

    // In English: the same pages, in the other words.
    click(b, "other-lang").await;
    wait_for(b, "html[lang=en]").await;
    assert_eq!(text_of(b, "h1").await, "Your request is received");
    b.goto(&format!("{}/portal/me?lang=en", t.url))
        .await
        .unwrap();
    wait_for(b, "html[lang=en]").await;
    let held = text_of(b, "#held").await;
    for words in [
        "Who you are and how to reach you",
        "Why",
        "Who may see it",
        "sales team",
    ] {
        assert!(held.contains(words), "{words}: {held}");
    }
    let requests = text_of(b, "#my-requests").await;
    assert!(requests.contains("Erase my data"), "{requests}");
    both_widths(b, "portal-home-en").await;
    click(b, "to-rectify").await;
    wait_for(b, "#f-phone").await;
    assert_eq!(text_of(b, "h1").await, "Correct your data");
    both_widths(b, "portal-rectify-en").await;

    // Signing out ends the session: the page is not shown again.
    click(b, "logout").await;
    wait_for(b, "#send-link").await;
    assert_eq!(
        text_of(b, "#portal-notice").await,
        "Your session is closed."
    );
    b.goto(&format!("{}/portal/me", t.url)).await.unwrap();
    wait_for(b, "#send-link").await;
    assert!(b.current_url().await.unwrap().path().ends_with("/portal"));
    br.client.clone().close().await.unwrap();
}
