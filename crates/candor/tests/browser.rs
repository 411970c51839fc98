//! The back office in a real browser (O1, X3): Debian's Chromium, headless, driven
//! through chromedriver by fantoccini, against Candor on a free port. Skipped (saying
//! so) without Chromium, unless CANDOR_TEST_STRICT=1.
//!
//! `CANDOR_SCREENSHOTS=docs/screenshots cargo test -p candor --test browser screenshots`
//! regenerates the README's screenshots.

mod common;

use candor_domain::Role;
use common::chromium::{available, browser, overflows, text_of, widest};
use common::{spawn_app, TestApp};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

const PASSWORD: &str = "correct horse battery staple";
/// One browser at a time: two cores do not run several Chromiums well.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A staff account per role, all with the same test password.
async fn staff(t: &TestApp) {
    t.staff_accounts(PASSWORD).await;
}

async fn login(b: &Client, t: &TestApp, role: Role) {
    b.goto(&format!("{}/login", t.url)).await.unwrap();
    b.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys(&format!("{}@test.example", role.as_str()))
        .await
        .unwrap();
    b.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    b.find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait().for_element(Locator::Id("logout")).await.unwrap();
}

async fn a_contact(t: &TestApp) -> String {
    let company = t.company("Marchand SARL", "73282932000074").await;
    t.contact(json!({
        "kind": "b2b", "company_id": company, "first_name": "Hélène", "last_name": "Marchand",
        "email": "helene.marchand@example.com", "phone": "+33 6 12 34 56 78",
        "city": "Lyon", "locale": "fr"
    }))
    .await
}

#[tokio::test]
async fn login_then_logout_destroys_the_session() {
    if !available("login_then_logout_destroys_the_session") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let t = spawn_app().await;
    staff(&t).await;
    let br = browser().await;
    let b = &br.client;
    // Anonymous: sent to the login page.
    b.goto(&format!("{}/contacts", t.url)).await.unwrap();
    assert!(b.current_url().await.unwrap().path().starts_with("/login"));
    // A wrong password: told so, not signed in.
    b.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys("sales@test.example")
        .await
        .unwrap();
    b.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("not the password at all")
        .await
        .unwrap();
    b.find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let err = b
        .wait()
        .for_element(Locator::Id("login-error"))
        .await
        .unwrap();
    assert!(err.text().await.unwrap().contains("do not open an account"));

    login(b, &t, Role::Sales).await;
    assert_eq!(b.current_url().await.unwrap().path(), "/contacts");
    let cookie = b.get_named_cookie("candor_session").await.unwrap();
    assert_eq!(cookie.http_only(), Some(true));
    let old = cookie.value().to_owned();

    b.find(Locator::Id("logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .unwrap();
    assert!(b.source().await.unwrap().contains("signed out"));
    // The old cookie opens nothing any more: the session is gone server-side.
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/contacts", t.url))
        .header("Cookie", format!("candor_session={old}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login");
    b.goto(&format!("{}/contacts", t.url)).await.unwrap();
    assert!(b.current_url().await.unwrap().path().starts_with("/login"));
    br.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn marketing_never_sees_a_phone_number() {
    if !available("marketing_never_sees_a_phone_number") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let t = spawn_app().await;
    staff(&t).await;
    let id = a_contact(&t).await;
    let contact: Value = t.contact_json(&id).await;
    let company = contact["company_id"].as_str().unwrap().to_owned();
    let br = browser().await;
    let b = &br.client;
    login(b, &t, Role::Marketing).await;
    let pages = [
        "/contacts".to_owned(),
        "/contacts?name=Mar".to_owned(),
        format!("/contacts/{id}"),
        format!("/contacts/{id}/edit"),
        "/companies".to_owned(),
        format!("/companies/{company}"),
        "/campaigns".to_owned(),
    ];
    for p in &pages {
        b.goto(&format!("{}{p}", t.url)).await.unwrap();
        let html = b.source().await.unwrap();
        assert!(
            !html.contains("12 34 56 78") && !html.contains("612345678"),
            "{p} shows the phone"
        );
        for field in ["name=\"phone\"", "field-phone", "f-phone", ">Phone<"] {
            assert!(!html.contains(field), "{p} shows the phone field ({field})");
        }
    }
    // The page does show what marketing may read: the name.
    b.goto(&format!("{}/contacts/{id}", t.url)).await.unwrap();
    assert!(b.source().await.unwrap().contains("Marchand"));
    // The htmx fragment of a search holds no phone either.
    let cookie = b.get_named_cookie("candor_session").await.unwrap();
    let fragment = t
        .client
        .get(format!("{}/contacts?name=Mar", t.url))
        .header("Cookie", format!("candor_session={}", cookie.value()))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(fragment.contains("Marchand"));
    assert!(!fragment.contains("612345678") && !fragment.contains("12 34 56 78"));
    // The same page for sales shows it: the test would see a phone if there were one.
    let sales = browser_login_source(&t, Role::Sales, &format!("/contacts/{id}")).await;
    assert!(sales.contains("+33612345678"), "sales reads the phone");
    br.client.clone().close().await.unwrap();
}

/// A page's HTML for a role, fetched over HTTP with a session opened by the login form.
async fn browser_login_source(t: &TestApp, role: Role, path: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = http.get(format!("{}/login", t.url)).send().await.unwrap();
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = res.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let res = http
        .post(format!("{}/login", t.url))
        .header("Cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", &format!("{}@test.example", role.as_str())),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // The session's cookie (the login token's is cleared in the same answer).
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("candor_session="))
        .expect("login sets the session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    http.get(format!("{}{path}", t.url))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_bad_phone_is_shown_next_to_the_field_and_nothing_is_saved() {
    if !available("a_bad_phone_is_shown_next_to_the_field_and_nothing_is_saved") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let t = spawn_app().await;
    staff(&t).await;
    let id = a_contact(&t).await;
    let before: Value = t.contact_json(&id).await;
    let br = browser().await;
    let b = &br.client;
    login(b, &t, Role::Sales).await;
    b.goto(&format!("{}/contacts/{id}/edit", t.url))
        .await
        .unwrap();
    let city = b.find(Locator::Id("f-city")).await.unwrap();
    city.clear().await.unwrap();
    city.send_keys("Grenoble").await.unwrap();
    let phone = b.find(Locator::Id("f-phone")).await.unwrap();
    phone.clear().await.unwrap();
    phone.send_keys("12ab").await.unwrap();
    b.find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let err = b.wait().for_element(Locator::Id("e-phone")).await.unwrap();
    let msg = err.text().await.unwrap();
    assert!(msg.contains("phone") || msg.contains("number"), "{msg}");
    assert_eq!(
        b.find(Locator::Id("f-phone"))
            .await
            .unwrap()
            .attr("aria-invalid")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    // The typed values stay in the form, and nothing was saved: not even the city.
    assert_eq!(
        b.find(Locator::Id("f-city"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Grenoble")
    );
    let after: Value = t.contact_json(&id).await;
    assert_eq!(before, after);
    // A good phone then saves.
    let phone = b.find(Locator::Id("f-phone")).await.unwrap();
    phone.clear().await.unwrap();
    phone.send_keys("+33 4 72 00 00 00").await.unwrap();
    b.find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .unwrap();
    let saved: Value = t.contact_json(&id).await;
    assert_eq!(saved["phone"], "+33472000000");
    assert_eq!(saved["city"], "Grenoble");
    // A new contact, from the list's button.
    b.goto(&format!("{}/contacts", t.url)).await.unwrap();
    b.find(Locator::Id("new-contact"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let form = b.form(Locator::Css("main form")).await.unwrap();
    form.set_by_name("kind", "b2c").await.unwrap();
    form.set_by_name("locale", "en").await.unwrap();
    b.find(Locator::Id("f-last_name"))
        .await
        .unwrap()
        .send_keys("Okafor")
        .await
        .unwrap();
    b.find(Locator::Id("f-email"))
        .await
        .unwrap()
        .send_keys("not an email")
        .await
        .unwrap();
    form.submit().await.unwrap();
    let err = b.wait().for_element(Locator::Id("e-email")).await.unwrap();
    assert!(!err.text().await.unwrap().is_empty());
    let email = b.find(Locator::Id("f-email")).await.unwrap();
    email.clear().await.unwrap();
    email.send_keys("ada.okafor@example.com").await.unwrap();
    b.form(Locator::Css("main form"))
        .await
        .unwrap()
        .submit()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .unwrap();
    assert_eq!(text_of(b, "main h1").await, "Okafor");
    br.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn a_face_to_face_consent_appears_on_the_timeline() {
    if !available("a_face_to_face_consent_appears_on_the_timeline") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let t = spawn_app().await;
    staff(&t).await;
    let id = a_contact(&t).await;
    let br = browser().await;
    let b = &br.client;
    login(b, &t, Role::Sales).await;
    b.goto(&format!("{}/contacts/{id}", t.url)).await.unwrap();
    let form = b
        .form(Locator::Css(&format!(
            "form[action='/contacts/{id}/consents']"
        )))
        .await
        .unwrap();
    form.set_by_name("purpose", "newsletter").await.unwrap();
    form.set_by_name("channel", "email").await.unwrap();
    form.set_by_name("source", "event").await.unwrap();
    b.find(Locator::Id("c-wording"))
        .await
        .unwrap()
        .send_keys("Oui, je veux recevoir la lettre d'information par e-mail.")
        .await
        .unwrap();
    b.find(Locator::Id("c-doc"))
        .await
        .unwrap()
        .send_keys("SALON-LYON-2026-0042")
        .await
        .unwrap();
    form.submit().await.unwrap();
    b.wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .unwrap();
    let timeline = text_of(b, "#timeline").await;
    assert!(timeline.contains("SALON-LYON-2026-0042"), "{timeline}");
    assert!(
        timeline.contains("je veux recevoir la lettre"),
        "{timeline}"
    );
    assert!(timeline.contains("trade show"), "{timeline}");
    // The ledger holds it, with its evidence and who recorded it.
    let ledger: Value = t
        .get(Role::Admin, &format!("/api/v1/contacts/{id}/consents"))
        .await
        .json()
        .await
        .unwrap();
    let ev = ledger["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["source"] == "event")
        .expect("the event is in the ledger");
    assert_eq!(ev["purpose"], "newsletter");
    assert_eq!(ev["evidence"]["document_ref"], "SALON-LYON-2026-0042");
    assert!(ev["evidence"]["recorded_by"]
        .as_str()
        .unwrap()
        .starts_with("user:"));
    // Without the written evidence, nothing is recorded and the form says why.
    let count = ledger["events"].as_array().unwrap().len();
    b.find(Locator::Id("c-doc"))
        .await
        .unwrap()
        .send_keys("X")
        .await
        .unwrap();
    b.execute(
        "document.getElementById('c-wording').removeAttribute('required')",
        vec![],
    )
    .await
    .unwrap();
    b.form(Locator::Css(&format!(
        "form[action='/contacts/{id}/consents']"
    )))
    .await
    .unwrap()
    .submit()
    .await
    .unwrap();
    b.wait()
        .for_element(Locator::Id("consent-errors"))
        .await
        .unwrap();
    let ledger: Value = t
        .get(Role::Admin, &format!("/api/v1/contacts/{id}/consents"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ledger["events"].as_array().unwrap().len(), count);
    br.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn a_form_posted_without_its_csrf_token_is_refused() {
    if !available("a_form_posted_without_its_csrf_token_is_refused") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let t = spawn_app().await;
    staff(&t).await;
    let id = a_contact(&t).await;
    let before: Value = t.contact_json(&id).await;
    let br = browser().await;
    let b = &br.client;
    login(b, &t, Role::Sales).await;
    b.goto(&format!("{}/contacts/{id}/edit", t.url))
        .await
        .unwrap();
    let city = b.find(Locator::Id("f-city")).await.unwrap();
    city.clear().await.unwrap();
    city.send_keys("Forged").await.unwrap();
    // A form that lost its token, as a forged cross-site form would.
    b.execute(
        "document.querySelector('main form input[name=csrf]').remove()",
        vec![],
    )
    .await
    .unwrap();
    b.find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // In the page's frame, with the menu: the signed-in user's refusal page.
    let msg = b
        .wait()
        .for_element(Locator::Css("main [role=alert]"))
        .await
        .unwrap();
    assert!(b.find(Locator::Css("header.top nav")).await.is_ok());
    assert!(msg
        .text()
        .await
        .unwrap()
        .contains("did not come from Candor"));
    // A wrong token is refused the same way.
    b.goto(&format!("{}/contacts/{id}/edit", t.url))
        .await
        .unwrap();
    b.execute(
        "document.querySelector('main form input[name=csrf]').value = 'f'.repeat(64); document.getElementById('f-city').value = 'Forged';",
        vec![],
    )
    .await
    .unwrap();
    b.find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Css("main [role=alert]"))
        .await
        .unwrap();
    assert!(b
        .source()
        .await
        .unwrap()
        .contains("did not come from Candor"));
    let after: Value = t.contact_json(&id).await;
    assert_eq!(before, after, "nothing changed");
    br.client.clone().close().await.unwrap();
}

/// Regenerates `docs/screenshots/` when CANDOR_SCREENSHOTS names the folder.
#[tokio::test]
async fn screenshots() {
    let Ok(dir) = std::env::var("CANDOR_SCREENSHOTS") else {
        eprintln!("screenshots: set CANDOR_SCREENSHOTS=docs/screenshots to regenerate them");
        return;
    };
    if !available("screenshots") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let dir = if Path::new(&dir).is_absolute() {
        PathBuf::from(dir)
    } else {
        common::manifest_dir().join("../..").join(dir)
    };
    std::fs::create_dir_all(&dir).unwrap();
    let t = spawn_app().await;
    staff(&t).await;
    t.app.generate_demo(120, 7, &mut |_| {}).await.unwrap();
    let first: Value = t
        .get(Role::Admin, "/api/v1/contacts?kind=b2c&limit=1")
        .await
        .json()
        .await
        .unwrap();
    let id = first["items"][0]["id"].as_str().unwrap().to_owned();
    let br = browser().await;
    let b = &br.client;
    let shots: [(Role, String, &str); 6] = [
        (Role::Sales, "/contacts".into(), "contacts"),
        (Role::Sales, format!("/contacts/{id}"), "contact"),
        (Role::Sales, format!("/contacts/{id}/edit"), "contact-edit"),
        (Role::Marketing, "/campaigns".into(), "campaigns"),
        (Role::Dpo, format!("/audit?contact={id}"), "audit"),
        (Role::Admin, "/settings".into(), "settings"),
    ];
    let mut current = None;
    for (role, path, name) in shots {
        if current != Some(role) {
            if current.is_some() {
                b.find(Locator::Id("logout"))
                    .await
                    .unwrap()
                    .click()
                    .await
                    .unwrap();
                b.wait().for_element(Locator::Id("email")).await.unwrap();
            }
            login(b, &t, role).await;
            current = Some(role);
        }
        b.goto(&format!("{}{path}", t.url)).await.unwrap();
        let png = b.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
    br.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn each_role_does_its_daily_work_in_french_and_english() {
    if !available("each_role_does_its_daily_work_in_french_and_english") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let t = spawn_app().await;
    staff(&t).await;
    t.app.generate_demo(80, 11, &mut |_| {}).await.unwrap();
    let br = browser().await;
    let b = &br.client;

    // Marketing, switched to French: a segment, its audience report, a newsletter sent.
    login(b, &t, Role::Marketing).await;
    b.find(Locator::Css("form[action='/language'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Css("html[lang=fr]"))
        .await
        .unwrap();
    b.goto(&format!("{}/segments/new", t.url)).await.unwrap();
    b.find(Locator::Id("s-name"))
        .await
        .unwrap()
        .send_keys("Abonnés lettre")
        .await
        .unwrap();
    pick(b, "c0-field", "consent").await;
    b.wait()
        .for_element(Locator::Id("c0-purpose"))
        .await
        .unwrap();
    pick(b, "c0-purpose", "newsletter").await;
    b.find(Locator::Id("save-segment"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let heading = b
        .wait()
        .for_element(Locator::Id("who-title"))
        .await
        .unwrap();
    assert!(heading
        .text()
        .await
        .unwrap()
        .starts_with("Contacts qu'il contient"));
    b.find(Locator::Id("new-campaign"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.find(Locator::Id("k-name"))
        .await
        .unwrap()
        .send_keys("Lettre de novembre")
        .await
        .unwrap();
    b.find(Locator::Id("k-sfr"))
        .await
        .unwrap()
        .send_keys("Nouvelles de novembre")
        .await
        .unwrap();
    b.find(Locator::Id("k-bfr"))
        .await
        .unwrap()
        .send_keys("Bonjour, voici nos nouvelles.")
        .await
        .unwrap();
    b.find(Locator::Id("k-sen"))
        .await
        .unwrap()
        .send_keys("November news")
        .await
        .unwrap();
    b.find(Locator::Id("k-ben"))
        .await
        .unwrap()
        .send_keys("Hello, here is our news.")
        .await
        .unwrap();
    b.form(Locator::Id("campaign-form"))
        .await
        .unwrap()
        .submit()
        .await
        .unwrap();
    let allowed: u64 = b
        .wait()
        .for_element(Locator::Id("allowed"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert!(allowed > 0, "the demo has newsletter subscribers");
    assert!(b
        .source()
        .await
        .unwrap()
        .contains("Écartés, règle par règle"));
    // Sending needs the report read: the box is required.
    b.find(Locator::Id("confirm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.find(Locator::Id("send"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(b, "notice", "L'envoi a commencé").await;
    t.app.run_due_jobs().await.unwrap();
    let progress = wait_for_text(b, "progress", "Envoyée").await;
    assert!(progress.ends_with(&format!(": {allowed}")), "{progress}");
    b.find(Locator::Id("logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait().for_element(Locator::Id("email")).await.unwrap();

    // Admin, in English: a user and a custom field with its justification.
    login(b, &t, Role::Admin).await;
    b.goto(&format!("{}/settings", t.url)).await.unwrap();
    b.find(Locator::Id("u-email"))
        .await
        .unwrap()
        .send_keys("new.seller@test.example")
        .await
        .unwrap();
    b.form(Locator::Id("user-form"))
        .await
        .unwrap()
        .set_by_name("role", "sales")
        .await
        .unwrap();
    b.form(Locator::Id("user-form"))
        .await
        .unwrap()
        .submit()
        .await
        .unwrap();
    let pw = b
        .wait()
        .for_element(Locator::Id("new-password"))
        .await
        .unwrap();
    assert_eq!(pw.text().await.unwrap().len(), 20);
    assert!(text_of(b, "#users")
        .await
        .contains("new.seller@test.example"));
    for (id, value) in [
        ("f-name", "trade_show"),
        ("f-label-fr", "Salon de rencontre"),
        ("f-label-en", "Trade show met at"),
        ("f-why-fr", "Pour savoir où nous nous sommes rencontrés."),
        ("f-why-en", "To know where we met."),
        ("f-ret-fr", "3 ans après le dernier contact"),
        ("f-ret-en", "3 years after the last contact"),
        ("f-why-sales", "Follows up the people met at shows."),
    ] {
        b.find(Locator::Id(id))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    let form = b.form(Locator::Id("field-form")).await.unwrap();
    form.set_by_name("purpose", "commercial").await.unwrap();
    form.set_by_name("access_sales", "rw").await.unwrap();
    form.submit().await.unwrap();
    // The page before the submit has a notice too (the user added): read the new one.
    wait_for_text(b, "notice", "custom.trade_show").await;
    assert!(text_of(b, "#catalogue")
        .await
        .contains("To know where we met."));
    // A field without a justification is refused and named; nothing is added.
    b.find(Locator::Id("f-name"))
        .await
        .unwrap()
        .send_keys("no_reason")
        .await
        .unwrap();
    b.find(Locator::Id("f-label-fr"))
        .await
        .unwrap()
        .send_keys("Sans raison")
        .await
        .unwrap();
    b.find(Locator::Id("f-label-en"))
        .await
        .unwrap()
        .send_keys("No reason")
        .await
        .unwrap();
    b.form(Locator::Id("field-form"))
        .await
        .unwrap()
        .submit()
        .await
        .unwrap();
    let errors = b
        .wait()
        .for_element(Locator::Id("field-errors"))
        .await
        .unwrap();
    assert!(
        errors.text().await.unwrap().contains("why"),
        "names the missing reason"
    );
    assert!(t
        .app
        .catalogue()
        .custom_field(candor_domain::catalogue::Entity::Contact, "no_reason")
        .is_none());
    b.find(Locator::Id("logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait().for_element(Locator::Id("email")).await.unwrap();

    // DPO: a contact's audit, then the outbox and one email in it.
    login(b, &t, Role::Dpo).await;
    let recipient = t.app.store.outbox().list(1).await.unwrap()[0]
        .mail
        .subject_id
        .unwrap();
    b.goto(&format!("{}/audit?contact={recipient}", t.url))
        .await
        .unwrap();
    let audit = text_of(b, "#audit").await;
    assert!(audit.contains("marketing@test.example"), "{audit}");
    b.goto(&format!("{}/outbox", t.url)).await.unwrap();
    b.find(Locator::Css("#outbox tbody a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let body = b
        .wait()
        .for_element(Locator::Css("pre.mail"))
        .await
        .unwrap();
    let text = body.text().await.unwrap();
    assert!(
        text.contains("nouvelles") || text.contains("news"),
        "{text}"
    );
    br.client.clone().close().await.unwrap();
}

/// Reads `#state` until it says `want` (the job page reloads itself while it runs).
async fn wait_for_state(b: &Client, want: &str) -> String {
    wait_for_text(b, "state", want).await
}

/// Reads the element with this id until it says `want`, across page loads (an element
/// of the page being left goes stale: it is read again on the next one).
async fn wait_for_text(b: &Client, id: &str, want: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(e) = b.find(Locator::Id(id)).await {
            if let Ok(text) = e.text().await {
                if text.contains(want) {
                    return text;
                }
                last = text;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("#{id} never said {want:?}: {last:?}");
}

/// An admin imports a HubSpot export from the page (O3, C6): the preset is picked from
/// the header, the dry run counts the opt-outs, the job runs to its end with the same
/// figures, in English then French, and the pages fit a 390 px phone.
#[tokio::test]
async fn an_admin_imports_an_export_in_the_browser() {
    if !available("an_admin_imports_an_export_in_the_browser") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let t = spawn_app().await;
    staff(&t).await;
    let br = browser().await;
    let b = &br.client;
    let shots = std::env::var("CANDOR_SCREENSHOTS").ok();
    let shot = |name: &'static str| {
        let dir = shots.clone();
        async move {
            if let Some(dir) = dir {
                let png = b.screenshot().await.unwrap();
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(Path::new(&dir).join(format!("{name}.png")), png).unwrap();
            }
        }
    };
    login(b, &t, Role::Admin).await;
    b.find(Locator::Css("nav a[href='/imports']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let file = common::manifest_dir()
        .join("tests/fixtures/exports/hubspot-crm-exports-all-contacts-2026-11-30.csv");
    b.find(Locator::Id("i-file"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    b.find(Locator::Id("i-kind"))
        .await
        .unwrap()
        .select_by_value("b2c")
        .await
        .unwrap();
    shot("import-upload").await;
    b.find(Locator::Id("read-file"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait().for_element(Locator::Id("preset")).await.unwrap();
    assert_eq!(text_of(b, "#preset").await, "hubspot");
    let withdrawals = text_of(b, "#n-withdrawals").await;
    let created = text_of(b, "#n-created").await;
    assert_eq!(withdrawals, "2");
    shot("import-preview").await;
    b.set_window_size(390, 900).await.unwrap();
    shot("import-preview-390").await;
    assert!(
        !overflows(b).await,
        "the preview fits a phone: {}",
        widest(b).await
    );
    b.set_window_size(1366, 900).await.unwrap();
    b.find(Locator::Id("start-import"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_state(b, "Import finished.").await;
    assert_eq!(text_of(b, "#n-created").await, created);
    assert_eq!(text_of(b, "#n-withdrawals").await, withdrawals);
    shot("import-job").await;
    // In French, the same page.
    b.find(Locator::Css("form[action='/language'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Css("html[lang=fr]"))
        .await
        .unwrap();
    wait_for_state(b, "Import terminé.").await;
    b.set_window_size(390, 900).await.unwrap();
    shot("import-job-390-fr").await;
    assert!(
        !overflows(b).await,
        "the job page fits a phone: {}",
        widest(b).await
    );
    b.goto(&format!("{}/imports", t.url)).await.unwrap();
    assert!(
        !overflows(b).await,
        "the imports list fits a phone: {}",
        widest(b).await
    );
    assert!(text_of(b, "#jobs").await.contains("hubspot-crm-exports"));
    br.client.clone().close().await.unwrap();
}

/// R1, R2 in a real browser: the dpo records a letter received on 31 January, sees its
/// deadline, verifies the identity, reads the printable receipt; the queue, the request
/// and the receipt fit a phone, in English and in French.
#[tokio::test]
async fn the_dpo_records_and_handles_a_request_in_the_browser() {
    if !available("the_dpo_records_and_handles_a_request_in_the_browser") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let t = spawn_app().await;
    staff(&t).await;
    let id = t
        .contact(json!({"kind": "b2c", "first_name": "Zoé", "last_name": "Lefèvre", "email": "zoe.browser@example.fr"}))
        .await;
    let br = browser().await;
    let b = &br.client;
    let shots = std::env::var("CANDOR_SCREENSHOTS").ok();
    let shot = |name: &'static str| {
        let dir = shots.clone();
        async move {
            if let Some(dir) = dir {
                let png = b.screenshot().await.unwrap();
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(Path::new(&dir).join(format!("{name}.png")), png).unwrap();
            }
        }
    };
    b.set_window_size(1366, 900).await.unwrap();
    login(b, &t, Role::Dpo).await;
    b.find(Locator::Css("nav a[href='/requests']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait().for_element(Locator::Id("r-kind")).await.unwrap();
    b.find(Locator::Id("r-channel"))
        .await
        .unwrap()
        .select_by_value("letter")
        .await
        .unwrap();
    b.execute(
        "document.getElementById('r-received').value = '2026-01-31';",
        vec![],
    )
    .await
    .unwrap();
    b.find(Locator::Id("r-contact"))
        .await
        .unwrap()
        .send_keys(&id)
        .await
        .unwrap();
    b.find(Locator::Id("r-details"))
        .await
        .unwrap()
        .send_keys("All the data you hold on me")
        .await
        .unwrap();
    b.find(Locator::Id("record-request"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Id("request-deadline"))
        .await
        .unwrap();
    assert_eq!(text_of(b, "#request-deadline").await, "2026-02-28");
    shot("request").await;
    b.find(Locator::Id("s-method"))
        .await
        .unwrap()
        .send_keys("ID card copy enclosed with the letter")
        .await
        .unwrap();
    b.find(Locator::Css("#form-identity button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait().for_element(Locator::Id("notice")).await.unwrap();
    assert_eq!(text_of(b, "#request-status").await, "Identity verified");
    assert!(text_of(b, "#request-timeline")
        .await
        .contains("identity_verified"));
    b.find(Locator::Id("receipt-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Id("receipt-signature"))
        .await
        .unwrap();
    assert!(text_of(b, "#receipt").await.contains("2026-02-28"));
    shot("request-receipt").await;
    for (lang, switch) in [("en", false), ("fr", true)] {
        if switch {
            b.find(Locator::Css("form[action='/language'] button"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            b.wait()
                .for_element(Locator::Css("html[lang=fr]"))
                .await
                .unwrap();
        }
        b.set_window_size(390, 900).await.unwrap();
        b.goto(&format!("{}/requests", t.url)).await.unwrap();
        assert!(
            !overflows(b).await,
            "the queue fits a phone ({lang}): {}",
            widest(b).await
        );
        b.find(Locator::Css("#requests a"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        b.wait()
            .for_element(Locator::Id("request-deadline"))
            .await
            .unwrap();
        assert!(
            !overflows(b).await,
            "the request fits a phone ({lang}): {}",
            widest(b).await
        );
        b.find(Locator::Id("receipt-link"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        b.wait()
            .for_element(Locator::Id("receipt-signature"))
            .await
            .unwrap();
        assert!(
            !overflows(b).await,
            "the receipt fits a phone ({lang}): {}",
            widest(b).await
        );
        if lang == "fr" {
            assert!(text_of(b, "h1").await.contains("Accusé de réception signé"));
            shot("request-receipt-390-fr").await;
        }
        b.set_window_size(1366, 900).await.unwrap();
    }
    br.client.clone().close().await.unwrap();
}

/// Erasure in the browser (E1, E3): the dpo ticks the confirmation on a contact's page
/// and erases; the record's page says what was done and what the legal holds keep, and
/// fits a phone in both languages.
#[tokio::test]
async fn the_dpo_erases_a_contact_in_the_browser() {
    if !available("the_dpo_erases_a_contact_in_the_browser") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let t = spawn_app().await;
    staff(&t).await;
    let id = t
        .contact(json!({"kind": "b2c", "first_name": "Zoé", "last_name": "Effacée", "email": "zoe.erase.browser@example.fr"}))
        .await;
    let order = json!({"currency": "EUR", "lines": [{"description": "Abonnement", "quantity": 1, "unit_price_cents": 11900}]});
    assert_eq!(
        t.post(
            Role::Sales,
            &format!("/api/v1/contacts/{id}/orders"),
            &order
        )
        .await
        .status(),
        201
    );
    let br = browser().await;
    let b = &br.client;
    b.set_window_size(1366, 900).await.unwrap();
    login(b, &t, Role::Dpo).await;
    b.goto(&format!("{}/contacts/{id}", t.url)).await.unwrap();
    b.find(Locator::Id("erase-confirm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.find(Locator::Css("#form-erase button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Id("erasure-counts"))
        .await
        .unwrap();
    assert!(text_of(b, "h1").await.contains("Person erased"));
    assert!(text_of(b, "#erasure-held")
        .await
        .contains("Code de commerce L123-22"));
    assert!(!b.source().await.unwrap().contains("zoe.erase.browser"));
    let record = b.current_url().await.unwrap();
    for (lang, switch) in [("en", false), ("fr", true)] {
        if switch {
            b.find(Locator::Css("form[action='/language'] button"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            b.wait()
                .for_element(Locator::Css("html[lang=fr]"))
                .await
                .unwrap();
        }
        b.set_window_size(390, 900).await.unwrap();
        b.goto(record.as_str()).await.unwrap();
        assert!(
            !overflows(b).await,
            "the erasure record fits a phone ({lang}): {}",
            widest(b).await
        );
        if lang == "fr" {
            assert!(text_of(b, "h1").await.contains("Personne effacée"));
            assert!(text_of(b, "#erasure-held").await.contains("Commande"));
            if let Ok(dir) = std::env::var("CANDOR_SCREENSHOTS") {
                let png = b.screenshot().await.unwrap();
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(Path::new(&dir).join("erasure-390-fr.png"), png).unwrap();
            }
        }
    }
    br.client.clone().close().await.unwrap();
}

/// E4 in the back office: the dpo reads the policies in force, previews what would go
/// (a web visit of 14 months ago; nothing changes), applies the policies once the box
/// is ticked, and finds the run first in the list; the page reads on a phone in French.
#[tokio::test]
async fn the_dpo_previews_and_runs_retention_in_the_browser() {
    if !available("the_dpo_previews_and_runs_retention_in_the_browser") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let t = spawn_app().await;
    staff(&t).await;
    let id = t
        .contact(json!({"kind": "b2c", "last_name": "Visiteur", "email": "visiteur.retention@example.fr"}))
        .await;
    let id: uuid::Uuid = id.parse().unwrap();
    t.app
        .store
        .activity()
        .record(&candor_store::ActivityRecord {
            id: uuid::Uuid::now_v7(),
            contact_id: id,
            kind: "web_visit".into(),
            at: t.app.now() - time::Duration::days(430),
            detail: "/tarifs".into(),
        })
        .await
        .unwrap();
    let br = browser().await;
    let b = &br.client;
    b.set_window_size(1366, 900).await.unwrap();
    login(b, &t, Role::Dpo).await;
    b.goto(&format!("{}/retention", t.url)).await.unwrap();
    assert!(text_of(b, "#retention-policies")
        .await
        .contains("former_customers"));
    assert!(text_of(b, "#retention-holds").await.contains("L123-22"));
    b.find(Locator::Id("retention-preview-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Id("retention-preview"))
        .await
        .unwrap();
    assert!(
        text_of(b, "#retention-preview")
            .await
            .contains("1 row deleted if applied"),
        "{}",
        text_of(b, "#retention-preview").await
    );
    let rows = t.app.store.subjects().rows(id).await.unwrap();
    let visits = |rows: &[(&str, Vec<Value>)]| {
        rows.iter()
            .find(|(table, _)| *table == "activity")
            .map_or(0, |(_, r)| r.len())
    };
    assert_eq!(visits(&rows), 1, "a preview changes nothing");
    b.find(Locator::Id("retention-confirm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.find(Locator::Css("#form-retention-run button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait().for_element(Locator::Id("notice")).await.unwrap();
    let first = text_of(b, "#retention-runs tbody tr").await;
    assert!(
        first.contains("Applied") && first.contains("tracking_events : 1 row deleted"),
        "{first}"
    );
    let rows = t.app.store.subjects().rows(id).await.unwrap();
    assert_eq!(visits(&rows), 0, "the old visit is gone");
    b.find(Locator::Css("form[action='/language'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Css("html[lang=fr]"))
        .await
        .unwrap();
    b.set_window_size(390, 900).await.unwrap();
    b.goto(&format!("{}/retention?preview=1", t.url))
        .await
        .unwrap();
    assert!(text_of(b, "h1").await.contains("Conservation des données"));
    assert!(text_of(b, "#retention-runs").await.contains("Appliqué"));
    assert!(text_of(b, "#retention-preview")
        .await
        .contains("0 ligne supprimée si on les applique"));
    assert!(
        !overflows(b).await,
        "the retention page fits a phone: {}",
        widest(b).await
    );
    if let Ok(dir) = std::env::var("CANDOR_SCREENSHOTS") {
        let png = b.screenshot().await.unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Path::new(&dir).join("retention-390-fr.png"), png).unwrap();
    }
    br.client.clone().close().await.unwrap();
}

/// S5 in the back office: the dpo reads the processing register, one card per purpose,
/// in French on a phone without sideways scrolling, then in English.
#[tokio::test]
async fn the_dpo_reads_the_processing_register_in_the_browser() {
    if !available("the_dpo_reads_the_processing_register_in_the_browser") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let t = spawn_app().await;
    staff(&t).await;
    let br = browser().await;
    let b = &br.client;
    b.set_window_size(1366, 900).await.unwrap();
    login(b, &t, Role::Dpo).await;
    b.goto(&format!("{}/register", t.url)).await.unwrap();
    assert!(text_of(b, "h1")
        .await
        .contains("Record of processing activities"));
    assert!(text_of(b, "#activity-newsletter")
        .await
        .contains("Consent (Art. 6(1)(a))"));
    b.find(Locator::Css("form[action='/language'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Css("html[lang=fr]"))
        .await
        .unwrap();
    b.set_window_size(390, 900).await.unwrap();
    b.goto(&format!("{}/register", t.url)).await.unwrap();
    assert!(text_of(b, "h1")
        .await
        .contains("Registre des activités de traitement"));
    assert!(text_of(b, "#activity-newsletter")
        .await
        .contains("3 ans après le dernier contact"));
    assert!(
        !overflows(b).await,
        "the register fits a phone: {}",
        widest(b).await
    );
    if let Ok(dir) = std::env::var("CANDOR_SCREENSHOTS") {
        let png = b.screenshot().await.unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Path::new(&dir).join("register-390-fr.png"), png).unwrap();
    }
    br.client.clone().close().await.unwrap();
}

/// B1, B2 in the back office: the dpo records a breach (an incomplete form first: the
/// errors in French, nothing recorded), sees its clock, assesses it and records the
/// notification to the CNIL; the breach's page reads on a phone.
#[tokio::test]
async fn the_dpo_records_and_notifies_a_breach_in_the_browser() {
    if !available("the_dpo_records_and_notifies_a_breach_in_the_browser") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let t = spawn_app().await;
    staff(&t).await;
    let br = browser().await;
    let b = &br.client;
    b.set_window_size(1366, 900).await.unwrap();
    login(b, &t, Role::Dpo).await;
    b.goto(&format!("{}/breaches", t.url)).await.unwrap();
    b.find(Locator::Css("form[action='/language'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Css("html[lang=fr]"))
        .await
        .unwrap();
    let hour_ago = (t.app.now() - time::Duration::hours(1))
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]"
        ))
        .unwrap();
    b.execute(
        "document.getElementById('b-discovered').value = arguments[0];",
        vec![json!(hour_ago)],
    )
    .await
    .unwrap();
    b.find(Locator::Css("#form-breach button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Id("breach-errors"))
        .await
        .unwrap();
    let errors = text_of(b, "#breach-errors").await;
    assert!(
        errors.contains("Ce qui s'est passé : ne peut pas être vide") && errors.contains("Nature"),
        "{errors}"
    );
    assert!(t.app.store.breaches().list(10).await.unwrap().is_empty());
    b.find(Locator::Id("b-confidentiality"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.find(Locator::Id("b-identifying"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.find(Locator::Id("b-description"))
        .await
        .unwrap()
        .send_keys("Un ordinateur portable avec un export de contacts a été volé.")
        .await
        .unwrap();
    b.find(Locator::Id("b-subjects-n"))
        .await
        .unwrap()
        .send_keys("300")
        .await
        .unwrap();
    b.find(Locator::Css("#form-breach button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Id("breach-clock"))
        .await
        .unwrap();
    let clock = text_of(b, "#breach-clock").await;
    assert!(clock.contains("restantes pour notifier la CNIL"), "{clock}");
    b.find(Locator::Css("#a-risk option[value=risk]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.find(Locator::Id("a-reasoning"))
        .await
        .unwrap()
        .send_keys("Disque non chiffré : hameçonnage possible.")
        .await
        .unwrap();
    b.find(Locator::Css("#form-assess button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The page after the assessment (the form to notify was on the one before, too).
    b.wait()
        .for_element(Locator::XPath(
            "//table[@id='breach-history']//td[contains(., 'Modifiée')]",
        ))
        .await
        .unwrap();
    b.find(Locator::Id("n-ref"))
        .await
        .unwrap()
        .send_keys("CNIL-2026-0042")
        .await
        .unwrap();
    b.find(Locator::Css("#form-notify button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Id("breach-notifications"))
        .await
        .unwrap();
    assert!(text_of(b, "#breach-clock")
        .await
        .contains("Notifiée à la CNIL dans les délais"));
    assert!(text_of(b, "#breach-history")
        .await
        .contains("Notification enregistrée"));
    b.set_window_size(390, 900).await.unwrap();
    b.refresh().await.unwrap();
    assert!(
        !overflows(b).await,
        "the breach page fits a phone: {}",
        widest(b).await
    );
    if let Ok(dir) = std::env::var("CANDOR_SCREENSHOTS") {
        let png = b.screenshot().await.unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Path::new(&dir).join("breach-390-fr.png"), png).unwrap();
    }
    br.client.clone().close().await.unwrap();
}

/// B3 and O1 in the browser, in French: the dpo lands on the compliance dashboard,
/// tries a turnover (a negative one refused next to it), then tells the people a
/// high-risk breach reached from its page, and every reachable one gets one notice.
#[tokio::test]
async fn the_dpo_reads_the_dashboard_and_tells_the_people_in_the_browser() {
    if !available("the_dpo_reads_the_dashboard_and_tells_the_people_in_the_browser") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let t = spawn_app().await;
    staff(&t).await;
    t.app.generate_demo(60, 3, &mut |_| {}).await.unwrap();
    let br = browser().await;
    let b = &br.client;
    b.set_window_size(1366, 900).await.unwrap();
    login(b, &t, Role::Dpo).await;
    b.find(Locator::Css("form[action='/language'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Css("html[lang=fr]"))
        .await
        .unwrap();
    b.goto(&t.url).await.unwrap();
    b.wait().for_element(Locator::Id("exposure")).await.unwrap();
    assert!(b
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/compliance"));
    let exposure = text_of(b, "#exposure-now")
        .await
        .replace(['\u{202f}', '\u{a0}'], " ");
    assert!(
        exposure.contains("20 000 000 €"),
        "demo prospects without a basis: {exposure}"
    );
    assert!(text_of(b, "#item-no_lawful_basis")
        .await
        .contains("Art. 6(1)"));
    b.find(Locator::Id("c-turnover"))
        .await
        .unwrap()
        .send_keys("-5")
        .await
        .unwrap();
    b.find(Locator::Css("#form-turnover button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait().for_element(Locator::Id("error")).await.unwrap();
    assert!(text_of(b, "#error")
        .await
        .contains("Chiffre d'affaires annuel mondial : doit être un nombre entier, 0 ou plus"));
    b.find(Locator::Id("c-turnover"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    b.find(Locator::Id("c-turnover"))
        .await
        .unwrap()
        .send_keys("1 200 000 000")
        .await
        .unwrap();
    b.find(Locator::Css("#form-turnover button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::XPath(
            "//dd[@id='fine-83-5'][contains(., '48\u{202f}000\u{202f}000')]",
        ))
        .await
        .unwrap();
    if let Ok(dir) = std::env::var("CANDOR_SCREENSHOTS") {
        let png = b.screenshot().await.unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Path::new(&dir).join("compliance-1366-fr.png"), png).unwrap();
    }
    b.set_window_size(390, 900).await.unwrap();
    b.refresh().await.unwrap();
    assert!(
        !overflows(b).await,
        "the dashboard fits a phone: {}",
        widest(b).await
    );
    if let Ok(dir) = std::env::var("CANDOR_SCREENSHOTS") {
        let png = b.screenshot().await.unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Path::new(&dir).join("compliance-390-fr.png"), png).unwrap();
    }
    b.set_window_size(1366, 900).await.unwrap();

    // A high-risk breach of everyone's email address.
    let res = t
        .post(
            Role::Dpo,
            "/api/v1/breaches",
            &json!({"discovered_at": candor_domain::contact::rfc3339(t.app.now() - time::Duration::hours(1)),
                    "natures": ["confidentiality"], "description": "Export des emails publié par erreur.",
                    "data_categories": ["contact.email"], "risk": "high",
                    "risk_reasoning": "Adresses exposées : hameçonnage probable."}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    b.goto(&format!("{}/breaches/{id}", t.url)).await.unwrap();
    let reachable = t.app.store.contacts().count().await.unwrap();
    let affected = text_of(b, "#breach-affected").await;
    assert!(
        affected.starts_with(&format!("{reachable} personnes dans le périmètre")),
        "{affected}"
    );
    // Telling without the English message: refused, named, nothing sent.
    b.find(Locator::Id("s-fr"))
        .await
        .unwrap()
        .send_keys("Méfiez-vous des emails qui se réclament de nous.")
        .await
        .unwrap();
    b.find(Locator::Css("#form-scope button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::XPath(
            "//table[@id='breach-history']//td[contains(., 'Modifiée')]",
        ))
        .await
        .unwrap();
    b.find(Locator::Id("t-confirm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.find(Locator::Css("#form-tell button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Id("breach-errors"))
        .await
        .unwrap();
    let errors = text_of(b, "#breach-errors").await;
    assert!(
        errors.contains("Message aux personnes, en anglais : certaines des personnes à informer lisent cette langue"),
        "{errors}"
    );
    b.find(Locator::Id("s-en"))
        .await
        .unwrap()
        .send_keys("Beware of emails claiming to come from us.")
        .await
        .unwrap();
    b.find(Locator::Css("#form-scope button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::XPath(
            "//textarea[@id='s-en'][contains(., 'Beware')]",
        ))
        .await
        .unwrap();
    b.find(Locator::Id("t-confirm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.find(Locator::Css("#form-tell button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::Id("breach-told"))
        .await
        .unwrap();
    t.app.run_due_jobs().await.unwrap();
    let told = t
        .app
        .store
        .outbox()
        .list(1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.mail.category == "legal_notice" && e.mail.recipient != "dpo@candor.invalid")
        .count();
    assert_eq!(
        told as i64, reachable,
        "each person with an email told once"
    );
    b.refresh().await.unwrap();
    assert!(text_of(b, "#breach-affected")
        .await
        .contains(&format!("{reachable} déjà informées")));
    if let Ok(dir) = std::env::var("CANDOR_SCREENSHOTS") {
        b.execute(
            "document.getElementById('people').scrollIntoView();",
            vec![],
        )
        .await
        .unwrap();
        let png = b.screenshot().await.unwrap();
        std::fs::write(Path::new(&dir).join("breach-people-1366-fr.png"), png).unwrap();
    }
    assert!(text_of(b, "#breach-history")
        .await
        .contains("Information des personnes lancée"));
    br.client.clone().close().await.unwrap();
}

/// O1 as a salesperson does it: types "helene lef" in the header's box (French, 1366
/// px), picks Hélène Lefèvre among the results as they come, and reads her record: her
/// orders, her contracts and the history of her record; the same on a phone (390 px)
/// and in English, without sideways scrolling.
#[tokio::test]
async fn a_salesperson_finds_a_contact_from_the_header_and_reads_her_record() {
    if !available("a_salesperson_finds_a_contact_from_the_header_and_reads_her_record") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let t = spawn_app().await;
    staff(&t).await;
    let id = t
        .contact(
            json!({"kind": "b2c", "first_name": "Hélène", "last_name": "Lefèvre",
            "email": "helene.lefevre@example.fr", "phone": "06 12 34 56 78", "locale": "fr"}),
        )
        .await;
    t.contact(
        json!({"kind": "b2c", "first_name": "Hélène", "last_name": "Martin", "locale": "fr"}),
    )
    .await;
    let order = json!({"currency": "EUR", "ordered_at": "2026-03-02T10:00:00Z",
        "lines": [{"description": "Abonnement", "quantity": 1, "unit_price_cents": 11900}]});
    let res = t
        .post(
            Role::Sales,
            &format!("/api/v1/contacts/{id}/orders"),
            &order,
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = t
        .post(
            Role::Sales,
            &format!("/api/v1/contacts/{id}/contracts"),
            &json!({"reference": "CTR-HL-1", "starts_on": "2025-06-01"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let br = browser().await;
    let b = &br.client;
    for (width, lang) in [(1366, "fr"), (390, "fr"), (390, "en")] {
        b.set_window_size(width, 900).await.unwrap();
        if width == 1366 {
            login(b, &t, Role::Sales).await;
        }
        b.goto(&format!("{}/contacts", t.url)).await.unwrap();
        if b.find(Locator::Css(&format!("html[lang={lang}]")))
            .await
            .is_err()
        {
            b.find(Locator::Css("form[action='/language'] button"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            b.wait()
                .for_element(Locator::Css(&format!("html[lang={lang}]")))
                .await
                .unwrap();
        }
        b.find(Locator::Id("find-q"))
            .await
            .unwrap()
            .send_keys("helene lef")
            .await
            .unwrap();
        let results = wait_for_text(b, "find-results", "Lefèvre").await;
        assert!(!results.contains("Martin"), "{results}");
        if let Ok(dir) = std::env::var("CANDOR_SCREENSHOTS") {
            let png = b.screenshot().await.unwrap();
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                Path::new(&dir).join(format!("search-{width}-{lang}.png")),
                png,
            )
            .unwrap();
        }
        b.find(Locator::Css(&format!(
            "#find-results a[href='/contacts/{id}']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
        b.wait().for_element(Locator::Id("orders")).await.unwrap();
        let (orders, history) = if lang == "fr" {
            ("119,00 EUR", "Fiche créée par")
        } else {
            ("EUR 119.00", "Record created by")
        };
        let shown = text_of(b, "#orders").await;
        assert!(shown.contains(orders), "{shown}");
        let shown = text_of(b, "#contracts").await;
        assert!(shown.contains("CTR-HL-1"), "{shown}");
        let shown = text_of(b, "#history").await;
        assert!(shown.contains(history), "{shown}");
        assert!(
            !overflows(b).await,
            "the record fits {width} px ({lang}): {}",
            widest(b).await
        );
        if let Ok(dir) = std::env::var("CANDOR_SCREENSHOTS") {
            b.execute("document.getElementById('orders').scrollIntoView()", vec![])
                .await
                .unwrap();
            let png = b.screenshot().await.unwrap();
            std::fs::write(
                Path::new(&dir).join(format!("record-{width}-{lang}.png")),
                png,
            )
            .unwrap();
        }
    }
    br.client.clone().close().await.unwrap();
}

/// Sets a form field's value as a person's date picker would (typing into a date input
/// depends on the browser's locale).
async fn set_value(b: &Client, id: &str, value: &str) {
    b.execute(
        "document.getElementById(arguments[0]).value = arguments[1];",
        vec![json!(id), json!(value)],
    )
    .await
    .unwrap();
}

/// Picks an option of a select by its value and lets the page react (htmx redraws the
/// segment builder when a condition's field changes).
async fn pick(b: &Client, id: &str, value: &str) {
    b.find(Locator::Css(&format!("#{id} option[value='{value}']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// M3 in the browser: an admin builds a segment of French-speaking customers whose
/// running contract started last year (htmx draws each condition's inputs), writes a
/// newsletter for it, previews and tests it, sends it and watches the job's progress;
/// the pages fit a 390 px phone in both languages.
#[tokio::test]
async fn an_admin_builds_a_segment_and_sends_a_newsletter_in_the_browser() {
    if !available("an_admin_builds_a_segment_and_sends_a_newsletter_in_the_browser") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let t = spawn_app().await;
    staff(&t).await;
    let co = t.company("Atelier Morel SAS", "12002701600043").await;
    for (name, locale, starts) in [
        ("Durand", "fr", "2025-06-01"),
        ("Petit", "fr", "2025-09-15"),
        ("Smith", "en", "2025-06-01"),
        ("Martin", "fr", "2023-01-01"),
    ] {
        let id = t
            .contact(
                json!({"kind": "b2b", "company_id": co, "last_name": name, "locale": locale,
                "email": format!("{}@example.fr", name.to_lowercase())}),
            )
            .await;
        let res = t
            .post(
                Role::Sales,
                &format!("/api/v1/contacts/{id}/contracts"),
                &json!({"reference": format!("C-{name}"), "starts_on": starts}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let res = t
            .post(
                Role::Sales,
                &format!("/api/v1/contacts/{id}/consents"),
                &json!({"purpose": "newsletter", "channel": "email", "action": "grant", "source": "manual",
                    "evidence": {"wording": "Oui à la lettre", "note": "au salon"}}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let br = browser().await;
    let b = &br.client;
    b.set_window_size(1366, 900).await.unwrap();
    login(b, &t, Role::Admin).await;
    b.goto(&format!("{}/contacts", t.url)).await.unwrap();
    if b.find(Locator::Css("html[lang=fr]")).await.is_err() {
        b.find(Locator::Css("form[action='/language'] button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        b.wait()
            .for_element(Locator::Css("html[lang=fr]"))
            .await
            .unwrap();
    }
    b.goto(&format!("{}/campaigns", t.url)).await.unwrap();
    b.find(Locator::Id("new-segment"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.find(Locator::Id("s-name"))
        .await
        .unwrap()
        .send_keys("Clients francophones 2025")
        .await
        .unwrap();
    // The first condition: the language, picked from a list htmx draws.
    pick(b, "c0-field", "locale").await;
    b.wait()
        .for_element(Locator::Css("select#c0-value option[value='fr']"))
        .await
        .unwrap();
    pick(b, "c0-value", "fr").await;
    // The second: a running contract, started in 2025.
    b.find(Locator::Id("add-condition"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait().for_element(Locator::Id("c1-field")).await.unwrap();
    pick(b, "c1-field", "contract").await;
    b.wait().for_element(Locator::Id("c1-from")).await.unwrap();
    set_value(b, "c1-from", "2025-01-01").await;
    set_value(b, "c1-until", "2025-12-31").await;
    // What was typed survives the redraws.
    let name = b
        .find(Locator::Id("s-name"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(name.as_deref(), Some("Clients francophones 2025"));
    assert!(!overflows(b).await, "the builder fits: {}", widest(b).await);
    if let Ok(dir) = std::env::var("CANDOR_SCREENSHOTS") {
        std::fs::create_dir_all(&dir).unwrap();
        let png = b.screenshot().await.unwrap();
        std::fs::write(Path::new(&dir).join("segment-1366-fr.png"), png).unwrap();
    }
    b.find(Locator::Id("save-segment"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let count = wait_for_text(b, "segment-count", "2").await;
    assert_eq!(count, "2");
    let conditions = text_of(b, "#conditions").await;
    assert!(
        conditions.contains("Langue est « Français »")
            && conditions.contains("commencé du 01/01/2025 au 31/12/2025"),
        "{conditions}"
    );
    // The newsletter for it.
    b.find(Locator::Id("new-campaign"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for (id, text) in [
        ("k-name", "Lettre de janvier"),
        ("k-sfr", "Nos nouvelles de janvier"),
        (
            "k-bfr",
            "Bonjour,\nvoici nos nouvelles : https://example.fr/janvier",
        ),
        ("k-sen", "Our January news"),
        ("k-ben", "Hello,\nhere is our news."),
    ] {
        b.find(Locator::Id(id))
            .await
            .unwrap()
            .send_keys(text)
            .await
            .unwrap();
    }
    b.find(Locator::Id("save-campaign"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let preview = wait_for_text(b, "preview-fr", "Nos nouvelles de janvier").await;
    assert!(preview.contains("Un clic suffit"), "{preview}");
    let allowed = text_of(b, "#allowed").await;
    assert_eq!(allowed, "2");
    b.find(Locator::Id("test-send"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let notice = wait_for_text(b, "notice", "admin@test.example").await;
    assert!(notice.contains("Un essai a été envoyé"), "{notice}");
    b.find(Locator::Id("confirm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.find(Locator::Id("send"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let progress = wait_for_text(b, "progress", "Envoi en cours").await;
    assert!(progress.contains("0 / 2"), "{progress}");
    if let Ok(dir) = std::env::var("CANDOR_SCREENSHOTS") {
        let png = b.screenshot().await.unwrap();
        std::fs::write(Path::new(&dir).join("campaign-1366-fr.png"), png).unwrap();
    }
    // The job runs (the server's worker, here the test); the page follows by itself.
    t.app.run_due_jobs().await.unwrap();
    let progress = wait_for_text(b, "progress", "Envoyée").await;
    assert!(progress.contains(": 2"), "{progress}");
    let campaign_page = b.current_url().await.unwrap().to_string();
    b.goto(&campaign_page).await.unwrap();
    assert_eq!(wait_for_text(b, "state", "Envoyée").await, "Envoyée");
    let segment_page = format!(
        "{}/segments/{}",
        t.url,
        t.app.store.segments().list(1).await.unwrap()[0].id
    );
    // On a phone, in both languages.
    b.set_window_size(390, 900).await.unwrap();
    for lang in ["fr", "en"] {
        if b.find(Locator::Css(&format!("html[lang={lang}]")))
            .await
            .is_err()
        {
            b.find(Locator::Css("form[action='/language'] button"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            b.wait()
                .for_element(Locator::Css(&format!("html[lang={lang}]")))
                .await
                .unwrap();
        }
        for page in [
            campaign_page.clone(),
            format!("{segment_page}/edit"),
            format!("{}/campaigns", t.url),
        ] {
            b.goto(&page).await.unwrap();
            b.wait()
                .for_element(Locator::Css(&format!("html[lang={lang}]")))
                .await
                .unwrap();
            assert!(
                !overflows(b).await,
                "{page} fits 390 px ({lang}): {}",
                widest(b).await
            );
        }
        if let Ok(dir) = std::env::var("CANDOR_SCREENSHOTS") {
            b.goto(&format!("{segment_page}/edit")).await.unwrap();
            let png = b.screenshot().await.unwrap();
            std::fs::write(Path::new(&dir).join(format!("segment-390-{lang}.png")), png).unwrap();
        }
    }
    br.client.clone().close().await.unwrap();
}
