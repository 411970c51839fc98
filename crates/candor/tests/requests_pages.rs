//! The requests queue and request pages of the back office (R1, R2, R7), over HTTP on
//! both backends: support records a letter at the desk and sees only its own; the dpo
//! verifies identity, extends, reads the printable receipt and downloads the signed
//! file; errors are named in the reader's language and change nothing; marketing has
//! no requests page.

mod common;

use candor_domain::Role;
use common::{TestApp, Visitor};
use reqwest::StatusCode;

const PASSWORD: &str = "a long enough test password";

async fn signed_in(t: &TestApp, role: Role) -> Visitor {
    let mut v = Visitor::new(t, "127.0.0.1");
    v.login(&format!("{}@test.example", role.as_str()), PASSWORD)
        .await;
    // In French, as the people who handle requests here read them.
    let csrf = v.csrf("/contacts").await;
    v.post(
        "/language",
        &[("csrf", &csrf), ("locale", "fr"), ("back", "/contacts")],
    )
    .await;
    v
}

async fn the_queue_records_and_handles_a_letter(t: TestApp) {
    t.staff_accounts(PASSWORD).await;
    let id = t
        .contact(serde_json::json!({"kind": "b2c", "last_name": "Roux", "email": "roux.requests@example.fr"}))
        .await;

    // Support records a letter received on 31 January, at the desk.
    let mut support = signed_in(&t, Role::Support).await;
    let csrf = support.csrf("/requests").await;
    let res = support
        .post(
            "/requests",
            &[
                ("csrf", &csrf),
                ("kind", "access"),
                ("channel", "letter"),
                ("received_on", "2026-01-31"),
                ("contact_id", &id),
                ("details", "Copie de toutes mes données"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = res.headers()["location"].to_str().unwrap().to_owned();
    let rid = page
        .trim_start_matches("/requests/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let html = support.get(&page).await.text().await.unwrap();
    assert!(html.contains("2026-02-28"), "the deadline is shown");
    assert!(
        !html.contains("form-identity"),
        "support does not handle requests"
    );

    // An error in French names the field and the rule; nothing is recorded.
    let before = t.snapshot().await;
    let csrf = support.csrf("/requests").await;
    let res = support
        .post(
            "/requests",
            &[
                ("csrf", &csrf),
                ("kind", "access"),
                ("channel", "letter"),
                ("received_on", "2099-01-01"),
                ("contact_id", &id),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Date de réception : ne peut pas être postérieure à aujourd"),
        "{html}"
    );
    assert_eq!(t.snapshot().await, before);

    // The dpo sees it in the queue, verifies identity and extends it.
    let mut dpo = signed_in(&t, Role::Dpo).await;
    let queue = dpo.get("/requests?due=late").await.text().await.unwrap();
    assert!(queue.contains(&rid), "overdue on today's date");
    assert!(queue.contains("due-late"));
    let csrf = dpo.csrf(&page).await;
    let res = dpo
        .post(
            &format!("/requests/{rid}/start"),
            &[("csrf", &csrf), ("note", "x")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("vérifiez d") && html.contains("abord l"),
        "{html}"
    );
    let res = dpo
        .post(
            &format!("/requests/{rid}/identity"),
            &[
                ("csrf", &csrf),
                ("method", "Copie de la carte d'identité jointe"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = dpo.get(&page).await.text().await.unwrap();
    assert!(html.contains("Identité vérifiée"), "{html}");
    // Today is long after 28 February: too late to extend, said in French.
    let csrf = dpo.csrf(&page).await;
    let res = dpo
        .post(
            &format!("/requests/{rid}/extension"),
            &[("csrf", &csrf), ("months", "2"), ("reason", "Archives")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("pendant le premier mois"));

    // The printable receipt and the signed file.
    let receipt = dpo
        .get(&format!("/requests/{rid}/receipt"))
        .await
        .text()
        .await
        .unwrap();
    assert!(receipt.contains("Accusé de réception signé") && receipt.contains("receipt-signature"));
    let file = dpo
        .get(&format!("/requests/{rid}/receipt.json"))
        .await
        .bytes()
        .await
        .unwrap();
    candor_app::receipts::verify(&file, t.app.receipt_keys().known())
        .expect("the downloaded receipt verifies");

    // The bundle, then its delivery by a link shown once to the staff member.
    let csrf = dpo.csrf(&page).await;
    let zip = dpo
        .post(&format!("/requests/{rid}/bundle"), &[("csrf", &csrf)])
        .await;
    assert_eq!(zip.headers()["content-type"], "application/zip");
    let bytes = zip.bytes().await.unwrap();
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a whole zip");
    assert!(archive
        .file_names()
        .any(|n| n.is_ok_and(|n| n == "manifest.json")));
    let res = dpo
        .post(
            &format!("/requests/{rid}/deliveries"),
            &[("csrf", &csrf), ("channel", "download"), ("path", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Remis. Le lien de téléchargement") && html.contains("/download/"),
        "{html}"
    );
    assert!(html.contains("Répondue"));

    // Support sees only what it recorded; marketing has no requests page.
    let mut admin = signed_in(&t, Role::Admin).await;
    let csrf = admin.csrf("/requests").await;
    admin
        .post(
            "/requests",
            &[
                ("csrf", &csrf),
                ("kind", "information"),
                ("channel", "email"),
                ("email", "someone@example.org"),
            ],
        )
        .await;
    let rows = |html: &str| html.matches("<tr class=\"due-").count();
    assert_eq!(
        rows(&support.get("/requests").await.text().await.unwrap()),
        1
    );
    assert_eq!(rows(&dpo.get("/requests").await.text().await.unwrap()), 2);
    let mut marketing = signed_in(&t, Role::Marketing).await;
    assert_eq!(
        marketing.get("/requests").await.status(),
        StatusCode::FORBIDDEN
    );
    let nav = marketing.get("/contacts").await.text().await.unwrap();
    assert!(!nav.contains("href=\"/requests\""));
}

/// R6 from the request page: the correction form shows the contact's fields; a bad
/// value comes back next to its field in French with nothing changed; a good one is
/// saved, the person told and the request answered.
async fn a_rectification_is_applied_from_its_request_page(t: TestApp) {
    t.staff_accounts(PASSWORD).await;
    let id = t
        .contact(
            serde_json::json!({"kind": "b2c", "last_name": "Roux", "phone": "06 12 34 56 78",
                                    "email": "roux.rectify@example.fr"}),
        )
        .await;
    let mut dpo = signed_in(&t, Role::Dpo).await;
    let csrf = dpo.csrf("/requests").await;
    let res = dpo
        .post(
            "/requests",
            &[
                ("csrf", &csrf),
                ("kind", "rectification"),
                ("channel", "email"),
                ("contact_id", &id),
                ("details", "Mon numéro a changé"),
            ],
        )
        .await;
    let page = res.headers()["location"]
        .to_str()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let rid = page.trim_start_matches("/requests/").to_owned();
    // Not before the identity step: the page says so and shows no form.
    assert!(!dpo
        .get(&page)
        .await
        .text()
        .await
        .unwrap()
        .contains("rectify-link"));
    let early = dpo.get(&format!("/requests/{rid}/rectification")).await;
    assert_eq!(early.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let csrf = dpo.csrf(&page).await;
    dpo.post(
        &format!("/requests/{rid}/identity"),
        &[
            ("csrf", &csrf),
            ("method", "Réponse depuis l'adresse connue"),
        ],
    )
    .await;
    let html = dpo.get(&page).await.text().await.unwrap();
    assert!(html.contains("rectify-link"), "{html}");
    let form = dpo
        .get(&format!("/requests/{rid}/rectification"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        form.contains("Appliquer les corrections") && form.contains("value=\"+33612345678\""),
        "{form}"
    );

    let csrf = dpo.csrf(&format!("/requests/{rid}/rectification")).await;
    // Reading the contact to correct it is itself audited: everything else stays.
    let unread = |mut s: Vec<(&'static str, i64)>| {
        s.retain(|(table, _)| *table != "audit_entry");
        s
    };
    let before = unread(t.snapshot().await);
    let bad = dpo
        .post(
            &format!("/requests/{rid}/rectification"),
            &[
                ("csrf", &csrf),
                ("last_name", "Roux"),
                ("phone", "pas un numéro"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await.unwrap();
    assert!(
        html.contains("id=\"e-phone\""),
        "the error is next to the phone: {html}"
    );
    assert!(
        html.contains("value=\"pas un numéro\""),
        "what was typed stays"
    );
    assert_eq!(unread(t.snapshot().await), before, "nothing changed");
    let unchanged: serde_json::Value = t
        .get(Role::Dpo, &format!("/api/v1/contacts/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unchanged["phone"], "+33612345678");

    let good = dpo
        .post(
            &format!("/requests/{rid}/rectification"),
            &[
                ("csrf", &csrf),
                ("last_name", "Roux"),
                ("phone", "07 98 76 54 32"),
            ],
        )
        .await;
    assert_eq!(good.status(), StatusCode::SEE_OTHER);
    let html = dpo
        .get(&format!("{page}?done=rectified"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Corrigé") && html.contains("Répondue"),
        "{html}"
    );
    let contact: serde_json::Value = t
        .get(Role::Dpo, &format!("/api/v1/contacts/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(contact["phone"], "+33798765432");
    let told = t.mailbox().await.into_iter().any(|m| {
        m["recipient"] == "roux.rectify@example.fr"
            && m["body_text"]
                .as_str()
                .unwrap()
                .contains("corrigé : Téléphone.")
    });
    assert!(told, "the person is told which fields were corrected");
}

on_both_backends!(
    the_queue_records_and_handles_a_letter,
    a_rectification_is_applied_from_its_request_page
);
