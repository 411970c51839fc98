//! The back office over HTTP, on both backends (X3): the session cookie, its rotation
//! at login and its end at logout, CSRF refusals that change nothing, login rate
//! limits that do not lock the owner out, and pages closed to roles like the API.

mod common;

use candor_domain::Role;
use common::{TestApp, Visitor};
use reqwest::StatusCode;

const PASSWORD: &str = "a long enough test password";

async fn accounts(t: &TestApp) {
    t.staff_accounts(PASSWORD).await;
}

async fn session_cookie_is_safe_rotated_and_ended(t: TestApp) {
    accounts(&t).await;
    let mut v = Visitor::new(&t, "127.0.0.1");
    let res = v.get("/contacts").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login");
    let csrf = v.csrf("/login").await;
    let before = v
        .cookie
        .clone()
        .expect("the login page sets its token's cookie");
    assert!(
        v.cookie_named("candor_session").is_none(),
        "no session before login: {before}"
    );
    let res = v
        .post(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", "sales@test.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let set = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("candor_session="))
        .expect("login sets the session cookie");
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Lax"), "{set}");
    assert!(set.contains("Max-Age=1800"), "idle timeout: {set}");
    assert!(!set.contains("Secure"), "served over http: {set}");
    let after = v.cookie.clone().unwrap();
    assert_ne!(before, after, "a new session id at login");
    assert_eq!(v.get("/contacts").await.status(), StatusCode::OK);
    // The id held before login opens nothing.
    let mut planted = Visitor::new(&t, "127.0.0.1");
    planted.cookie = Some(before);
    assert_eq!(
        planted.get("/contacts").await.status(),
        StatusCode::SEE_OTHER
    );
    // Logout deletes the session: the same cookie, replayed, opens nothing.
    let csrf = v.csrf("/contacts").await;
    let res = v.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let mut replay = Visitor::new(&t, "127.0.0.1");
    replay.cookie = Some(after);
    assert_eq!(
        replay.get("/contacts").await.status(),
        StatusCode::SEE_OTHER
    );
}

async fn forms_without_their_token_change_nothing(t: TestApp) {
    accounts(&t).await;
    let mut v = Visitor::new(&t, "127.0.0.1");
    // Login itself needs the token of the login page.
    v.get("/login").await;
    let res = v
        .post(
            "/login",
            &[("email", "admin@test.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(v.get("/contacts").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        v.login("admin@test.example", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let users_before = t.app.list_staff_users().await.unwrap().len();
    for token in ["", "0000", &"a".repeat(64)] {
        let res = v
            .post(
                "/settings/users",
                &[
                    ("csrf", token),
                    ("email", "new@test.example"),
                    ("role", "sales"),
                    ("locale", "fr"),
                    ("password", ""),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "token {token:?}");
    }
    assert_eq!(t.app.list_staff_users().await.unwrap().len(), users_before);
    // Logout is a POST with the token: a GET or a bare POST does not sign anyone out.
    assert_eq!(
        v.get("/logout").await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(v.post("/logout", &[]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(v.get("/contacts").await.status(), StatusCode::OK);
    // With the token, the same form works.
    let csrf = v.csrf("/settings").await;
    let res = v
        .post(
            "/settings/users",
            &[
                ("csrf", &csrf),
                ("email", "new@test.example"),
                ("role", "sales"),
                ("locale", "fr"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("new-password"),
        "the generated password is shown once"
    );
    assert_eq!(
        t.app.list_staff_users().await.unwrap().len(),
        users_before + 1
    );
    // A control character in any field is refused before the handler, naming it.
    let before = t.snapshot().await;
    let csrf = v.csrf("/contacts/new").await;
    let res = v
        .post(
            "/contacts",
            &[("csrf", &csrf), ("kind", "b2c"), ("last_name", "Nul\u{0}l")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("last_name"));
    assert_eq!(t.snapshot().await, before);
}

/// X3: the login page stores nothing for a visitor who has not signed in, and its
/// token is bound to the browser that read the page.
async fn anonymous_login_pages_store_no_session(t: TestApp) {
    accounts(&t).await;
    let sessions = |s: Vec<(&'static str, i64)>| {
        s.into_iter()
            .find(|(table, _)| *table == "staff_session")
            .unwrap()
            .1
    };
    let before = sessions(t.snapshot().await);
    for i in 0..300 {
        let mut v = Visitor::new(&t, "127.0.0.1");
        let lang = if i % 2 == 0 { "fr" } else { "en" };
        let res = v.get(&format!("/login?lang={lang}")).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(v.cookie_named("candor_session").is_none());
    }
    assert_eq!(sessions(t.snapshot().await), before, "300 anonymous GETs");
    // A token read by someone else's browser does not sign this one in.
    let mut other = Visitor::new(&t, "127.0.0.1");
    let stolen = other.csrf("/login").await;
    let mut v = Visitor::new(&t, "127.0.0.1");
    v.get("/login?lang=en").await;
    let res = v
        .post(
            "/login",
            &[
                ("csrf", &stolen),
                ("lang", "en"),
                ("email", "sales@test.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(sessions(t.snapshot().await), before);
    // The refusal is in the language of the page that was read.
    assert!(res.text().await.unwrap().contains("lang=\"en\""));
    // A failed login stores nothing either; a good one stores one session.
    let mut v = Visitor::new(&t, "127.0.0.1");
    let csrf = v.csrf("/login").await;
    let res = v
        .post(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", "sales@test.example"),
                ("password", "not the password"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(sessions(t.snapshot().await), before);
    // A control character in the login form is refused at the edge, naming the field,
    // as in every other form (PostgreSQL would refuse a NUL in the lookup).
    let res = v
        .post(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", "sales\u{0}@test.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("email:"));
    assert_eq!(sessions(t.snapshot().await), before);
    assert_eq!(
        v.login("sales@test.example", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(sessions(t.snapshot().await), before + 1);
    assert!(
        v.cookie_named("candor_login").is_none(),
        "the login token is cleared once used"
    );
}

async fn login_is_rate_limited_without_locking_the_owner_out(t: TestApp) {
    accounts(&t).await;
    let mut attacker = Visitor::new(&t, "127.0.0.2");
    // Successful logins cost nothing…
    for _ in 0..8 {
        let mut again = Visitor::new(&t, "127.0.0.2");
        let res = again.login("sales@test.example", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    // …failures do.
    for _ in 0..6 {
        let res = attacker
            .login("sales@test.example", "wrong guess number one")
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // The next try from that address is refused before the password is looked at.
    let res = attacker.login("sales@test.example", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=180).contains(&retry), "Retry-After: {retry}");
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("attendez quelques minutes"));
    // The owner, from their own address, signs in.
    let mut owner = Visitor::new(&t, "127.0.0.3");
    assert_eq!(
        owner.login("sales@test.example", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(owner.get("/contacts").await.status(), StatusCode::OK);
}

async fn pages_are_closed_to_roles_like_the_api(t: TestApp) {
    accounts(&t).await;
    let cases: &[(Role, &str, StatusCode)] = &[
        (Role::Support, "/campaigns", StatusCode::FORBIDDEN),
        (Role::Sales, "/settings", StatusCode::FORBIDDEN),
        (Role::Marketing, "/audit", StatusCode::FORBIDDEN),
        (Role::Sales, "/outbox", StatusCode::FORBIDDEN),
        (Role::Marketing, "/campaigns", StatusCode::OK),
        (Role::Dpo, "/audit", StatusCode::OK),
        (Role::Dpo, "/outbox", StatusCode::OK),
        (Role::Admin, "/settings", StatusCode::OK),
        (Role::Dpo, "/settings", StatusCode::OK),
        (Role::Marketing, "/settings", StatusCode::FORBIDDEN),
        (Role::Support, "/settings", StatusCode::FORBIDDEN),
    ];
    for (role, path, status) in cases {
        let mut v = Visitor::new(&t, "127.0.0.1");
        v.login(&format!("{}@test.example", role.as_str()), PASSWORD)
            .await;
        assert_eq!(v.get(path).await.status(), *status, "{role} {path}");
    }
    // A bad date in the audit search is named, and the search changes nothing.
    let mut v = Visitor::new(&t, "127.0.0.1");
    v.login("dpo@test.example", PASSWORD).await;
    let html = v.get("/audit?from=31-12-2026").await.text().await.unwrap();
    assert!(
        html.contains("From (date): must be a date (YYYY-MM-DD)"),
        "{html}"
    );
}

/// The dpo adds custom fields in the back office as through the API (both govern the
/// catalogue), and sees no staff account there: only an admin manages those.
async fn the_dpo_adds_a_custom_field_in_the_back_office(t: TestApp) {
    accounts(&t).await;
    let mut v = Visitor::new(&t, "127.0.0.1");
    v.login("dpo@test.example", PASSWORD).await;
    let html = v.get("/settings").await.text().await.unwrap();
    assert!(html.contains("id=\"field-form\""), "the field form");
    assert!(
        !html.contains("id=\"users\"") && !html.contains("admin@test.example"),
        "no staff accounts for the dpo"
    );
    let csrf = v.csrf("/settings").await;
    let res = v
        .post(
            "/settings/fields",
            &[
                ("csrf", &csrf),
                ("entity", "contact"),
                ("name", "loyalty_tier"),
                ("label_fr", "Niveau de fidélité"),
                ("label_en", "Loyalty tier"),
                ("value_type", "text"),
                ("max_length", "20"),
                ("purpose", "customer_service"),
                ("basis", "legitimate_interests"),
                ("why_fr", "Adapter le service au client"),
                ("why_en", "Fit the service to the customer"),
                ("retention_fr", "3 ans après le dernier contact"),
                ("retention_en", "3 years after the last contact"),
                ("access_dpo", "r"),
                ("why_dpo", "Contrôle"),
                ("access_sales", "rw"),
                ("why_sales", "Suivi du client"),
            ],
        )
        .await;
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        t.app
            .catalogue()
            .fields()
            .iter()
            .any(|f| f.key() == "custom.loyalty_tier"),
        "the field is in the catalogue"
    );
    // S2: a blood-group field is refused by its label, in French, whatever category
    // the form says; nothing is added.
    let fields_before = t.app.catalogue().fields().len();
    let v_fr = {
        let csrf = v.csrf("/contacts").await;
        v.post(
            "/language",
            &[("csrf", &csrf), ("locale", "fr"), ("back", "/settings")],
        )
        .await;
        &mut v
    };
    let res = v_fr
        .post(
            "/settings/fields",
            &[
                ("csrf", &csrf),
                ("entity", "contact"),
                ("category", "identifying"),
                ("name", "groupe"),
                ("label_fr", "Groupe sanguin"),
                ("label_en", "Group"),
                ("value_type", "text"),
                ("max_length", "5"),
                ("purpose", "customer_service"),
                ("basis", "legitimate_interests"),
                ("why_fr", "Pour le service"),
                ("why_en", "For the service"),
                ("retention_fr", "3 ans après le dernier contact"),
                ("retention_en", "3 years after the last contact"),
                ("access_dpo", "r"),
                ("why_dpo", "Contrôle"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.contains("révèle une donnée sensible"), "{body}");
    assert!(
        body.contains("id=\"f-category\""),
        "the form asks for the category"
    );
    assert_eq!(t.app.catalogue().fields().len(), fields_before);
    let users_before = t.app.list_staff_users().await.unwrap().len();
    let res = v
        .post(
            "/settings/users",
            &[
                ("csrf", &csrf),
                ("email", "new@test.example"),
                ("role", "admin"),
                ("locale", "fr"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.app.list_staff_users().await.unwrap().len(), users_before);
}

/// The search behind the contact list: start of a name, part of a company's name,
/// any case; `%` and `_` are letters, not wildcards.
async fn contacts_are_found_by_name_and_company(t: TestApp) {
    let acme = t.company("Acme Industrie", "73282932000074").await;
    let other = t.company("Zenith 100% Bio", "44306184100047").await;
    for (first, last, company) in [
        ("Hélène", "Marchand", &acme),
        ("Marc", "Durand", &other),
        ("Léa", "Martin", &other),
    ] {
        t.contact(serde_json::json!({
            "kind": "b2b", "company_id": company, "first_name": first, "last_name": last,
            "locale": "fr"
        }))
        .await;
    }
    let names = |v: serde_json::Value| -> Vec<String> {
        let mut n: Vec<String> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["last_name"].as_str().unwrap().to_owned())
            .collect();
        n.sort();
        n
    };
    let get = |q: &'static str| {
        let t = &t;
        async move {
            let res = t.get(Role::Sales, &format!("/api/v1/contacts?{q}")).await;
            assert_eq!(res.status(), StatusCode::OK, "{q}");
            res.json::<serde_json::Value>().await.unwrap()
        }
    };
    assert_eq!(
        names(get("name=mar").await),
        ["Durand", "Marchand", "Martin"]
    );
    assert_eq!(names(get("name=MART").await), ["Martin"]);
    assert_eq!(names(get("company=acme").await), ["Marchand"]);
    assert_eq!(names(get("company=100%25").await), ["Durand", "Martin"]);
    assert!(
        names(get("name=%25").await).is_empty(),
        "% is not a wildcard"
    );
    assert_eq!(
        names(get("name=mar&company=zenith").await),
        ["Durand", "Martin"]
    );
}

async fn a_disabled_user_is_signed_out_at_once(t: TestApp) {
    accounts(&t).await;
    let mut sales = Visitor::new(&t, "127.0.0.1");
    sales.login("sales@test.example", PASSWORD).await;
    assert_eq!(sales.get("/contacts").await.status(), StatusCode::OK);
    let mut admin = Visitor::new(&t, "127.0.0.1");
    admin.login("admin@test.example", PASSWORD).await;
    let users = t.app.list_staff_users().await.unwrap();
    let id = |email: &str| users.iter().find(|u| u.email == email).unwrap().id;
    // An admin cannot lock themself out.
    let csrf = admin.csrf("/settings").await;
    let own = format!("/settings/users/{}/disable", id("admin@test.example"));
    let res = admin.post(&own, &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let path = format!("/settings/users/{}/disable", id("sales@test.example"));
    assert_eq!(
        admin.post(&path, &[("csrf", &csrf)]).await.status(),
        StatusCode::OK
    );
    let res = sales.get("/contacts").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the open session ends");
    let mut again = Visitor::new(&t, "127.0.0.4");
    assert_eq!(
        again.login("sales@test.example", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(admin.get("/contacts").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_session_ends_twelve_hours_after_login_however_active() {
    let start = time::OffsetDateTime::now_utc();
    let clock = std::sync::Arc::new(candor_domain::clock::FixedClock::new(start));
    let t = common::spawn_app_with_clock(clock.clone()).await;
    accounts(&t).await;
    let mut v = Visitor::new(&t, "127.0.0.1");
    v.login("support@test.example", PASSWORD).await;
    clock.advance(time::Duration::hours(11) + time::Duration::minutes(59));
    assert_eq!(v.get("/contacts").await.status(), StatusCode::OK);
    clock.advance(time::Duration::minutes(2));
    let res = v.get("/contacts").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login?expired=1");
    // The session is gone, not only refused: signing in again is needed.
    assert_eq!(v.get("/contacts").await.status(), StatusCode::SEE_OTHER);
}

/// A second contact with an email already taken is refused next to the field, as the
/// API refuses it (409), keeping what was typed; no second contact, no error page.
async fn a_duplicate_email_is_named_next_to_its_field(t: TestApp) {
    accounts(&t).await;
    t.contact(serde_json::json!({"kind": "b2c", "last_name": "Roux", "email": "roux@example.fr"}))
        .await;
    let mut v = Visitor::new(&t, "127.0.0.1");
    v.login("sales@test.example", PASSWORD).await;
    let csrf = v.csrf("/contacts/new").await;
    let res = v
        .post(
            "/contacts",
            &[
                ("csrf", csrf.as_str()),
                ("kind", "b2c"),
                ("last_name", "Rousseau"),
                ("email", "roux@example.fr"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("another contact already has this value"),
        "{html}"
    );
    assert!(html.contains("value=\"Rousseau\""), "what was typed stays");
    assert_eq!(t.app.store.contacts().count().await.unwrap(), 1);
}

/// The back-office consent form takes the same rule table as the API: a forged
/// `portal` source is refused for every role, and a role that records no grant is
/// offered none and refused one (C1, C7).
async fn the_consent_form_records_no_act_of_the_person(t: TestApp) {
    accounts(&t).await;
    let id = t
        .contact(
            serde_json::json!({"kind": "b2c", "last_name": "Roux", "email": "roux@example.fr"}),
        )
        .await;
    let page = format!("/contacts/{id}");
    let post = format!("/contacts/{id}/consents");
    for role in Role::ALL {
        let mut v = Visitor::new(&t, "127.0.0.1");
        v.login(&format!("{}@test.example", role.as_str()), PASSWORD)
            .await;
        let csrf = v.csrf(&page).await;
        let forged = [
            ("csrf", csrf.as_str()),
            ("action", "grant"),
            ("purpose", "newsletter"),
            ("channel", "email"),
            ("source", "portal"),
            ("wording", "Oui"),
        ];
        let res = v.post(&post, &forged).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{role}");
        assert!(res.text().await.unwrap().contains("Source: "), "{role}");
        let html = v.get(&page).await.text().await.unwrap();
        let offers_grant = html.contains("<option value=\"grant\"");
        assert_eq!(
            offers_grant,
            matches!(role, Role::Admin | Role::Sales | Role::Support),
            "{role}"
        );
        if !offers_grant {
            let csrf = v.csrf(&page).await;
            let res = v
                .post(
                    &post,
                    &[
                        ("csrf", csrf.as_str()),
                        ("action", "grant"),
                        ("purpose", "newsletter"),
                        ("channel", "email"),
                        ("source", "manual"),
                        ("wording", "Oui"),
                    ],
                )
                .await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role}");
        }
    }
    let v: serde_json::Value = t
        .get(Role::Admin, &format!("/api/v1/contacts/{id}/consents"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["events"].as_array().unwrap().len(),
        0,
        "nothing was written"
    );
}

/// A trade-show grant without the signed document's reference waits for that reference,
/// and the contact page says so in the reader's language; it does not claim to wait for
/// a double opt-in, for which no email went (C3).
async fn a_pending_grant_says_what_it_waits_for(t: TestApp) {
    accounts(&t).await;
    let id = t
        .contact(
            serde_json::json!({"kind": "b2c", "last_name": "Petit", "email": "petit@example.fr"}),
        )
        .await;
    let page = format!("/contacts/{id}");
    let mut v = Visitor::new(&t, "127.0.0.1");
    v.login("sales@test.example", PASSWORD).await;
    let csrf = v.csrf(&page).await;
    let queued = t.mailbox().await.len();
    let res = v
        .post(
            &format!("/contacts/{id}/consents"),
            &[
                ("csrf", csrf.as_str()),
                ("action", "grant"),
                ("purpose", "newsletter"),
                ("channel", "email"),
                ("source", "event"),
                ("wording", "Oui, la lettre d'information"),
            ],
        )
        .await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(
        t.mailbox().await.len(),
        queued,
        "no confirmation email went"
    );
    let html = v.get(&page).await.text().await.unwrap();
    assert!(
        html.contains("Waiting for the reference of the signed document"),
        "{html}"
    );
    assert!(!html.contains("confirmation (double opt-in)"), "{html}");
    for (locale, expected) in [
        ("fr", "En attente de la référence du document signé"),
        ("en", "Waiting for the reference of the signed document"),
    ] {
        let csrf = v.csrf(&page).await;
        v.post(
            "/language",
            &[
                ("csrf", csrf.as_str()),
                ("locale", locale),
                ("back", page.as_str()),
            ],
        )
        .await;
        let html = v.get(&page).await.text().await.unwrap();
        assert!(html.contains(expected), "{locale}: {html}");
    }
}

/// O1: sales makes a company in the back office, a bad SIRET named next to its field
/// in French with what was typed kept and nothing saved; edits it; a B2B contact
/// joins it; deleting it is refused while the contact belongs to it, and done after.
async fn companies_are_made_and_changed_in_the_back_office(t: TestApp) {
    accounts(&t).await;
    let mut v = common::signed_in(&t, candor_domain::Role::Sales).await;
    let html = v.get("/companies").await.text().await.unwrap();
    assert!(html.contains("id=\"new-company\""), "{html}");
    let csrf = v.csrf("/companies/new").await;
    let before = t.snapshot().await;
    let res = v
        .post(
            "/companies",
            &[
                ("csrf", csrf.as_str()),
                ("name", "Boulangerie Lefèvre"),
                ("siret", "732 829 320 00075"),
                ("country", "FR"),
                ("city", "Lyon"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("id=\"e-siret\">n&#39;est pas un SIRET valide")
            || html.contains("id=\"e-siret\">n'est pas un SIRET valide"),
        "{html}"
    );
    assert!(
        html.contains("value=\"Boulangerie Lefèvre\""),
        "what was typed stays"
    );
    assert_eq!(t.snapshot().await, before, "nothing saved");
    let res = v
        .post(
            "/companies",
            &[
                ("csrf", csrf.as_str()),
                ("name", "Boulangerie Lefèvre"),
                ("siret", "732 829 320 00074"),
                ("country", "FR"),
                ("city", "Lyon"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = res.headers()["location"].to_str().unwrap().to_owned();
    let id = page
        .trim_start_matches("/companies/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let html = v.get(&page).await.text().await.unwrap();
    assert!(html.contains("Boulangerie Lefèvre") && html.contains("73282932000074"));
    let res = v
        .post(
            &format!("/companies/{id}"),
            &[
                ("csrf", csrf.as_str()),
                ("name", "Boulangerie Lefèvre"),
                ("city", "Villeurbanne"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let co: serde_json::Value = t
        .get(
            candor_domain::Role::Sales,
            &format!("/api/v1/companies/{id}"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(co["city"], "Villeurbanne");
    // A contact belongs to it: deleting is refused, and the page says why.
    t.contact(serde_json::json!({"kind": "b2b", "company_id": id, "last_name": "Lefèvre"}))
        .await;
    let res = v
        .post(
            &format!("/companies/{id}/delete"),
            &[("csrf", csrf.as_str())],
        )
        .await;
    let refused = res.headers()["location"].to_str().unwrap().to_owned();
    let html = v.get(&refused).await.text().await.unwrap();
    assert!(html.contains("id=\"company-in-use\""), "{html}");
    assert!(html.contains("Lefèvre"));
    // A company no one belongs to goes.
    let other = t.company("Atelier Vide", "44306184100047").await;
    let res = v
        .post(
            &format!("/companies/{other}/delete"),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(res.headers()["location"], "/companies?deleted=1");
    let gone = t
        .get(
            candor_domain::Role::Sales,
            &format!("/api/v1/companies/{other}"),
        )
        .await;
    assert_eq!(gone.status(), 404);
    // Marketing reads companies and changes none.
    let mut m = common::signed_in(&t, candor_domain::Role::Marketing).await;
    let html = m
        .get(&format!("/companies/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("id=\"edit-company\"") && !html.contains("id=\"delete-company\""));
    assert_eq!(
        m.get("/companies/new").await.status(),
        StatusCode::FORBIDDEN
    );
}

/// M3: a campaign's category is named as its consent purpose is, and says which
/// consent it needs, so "offres commerciales" means one thing on every page.
async fn campaign_categories_name_the_consent_they_need(t: TestApp) {
    accounts(&t).await;
    let mut v = common::signed_in(&t, candor_domain::Role::Marketing).await;
    let html = v.get("/campaigns/new").await.text().await.unwrap();
    for option in [
        "Offres commerciales · consentement requis : « Offres commerciales »",
        "Lettre d&#39;information · consentement requis : « Lettre d&#39;information »",
    ] {
        let alt = option.replace("&#39;", "'");
        assert!(
            html.contains(option) || html.contains(&alt),
            "{option}: {html}"
        );
    }
    assert!(
        !html.contains("Offre commerciale<"),
        "the old, misleading name"
    );
    // A refused campaign names its fields as the page does, in French.
    let seg: serde_json::Value = t
        .post(
            candor_domain::Role::Marketing,
            "/api/v1/segments",
            &serde_json::json!({"name": "tous", "conditions": []}),
        )
        .await
        .json()
        .await
        .unwrap();
    let csrf = v.csrf("/campaigns").await;
    let res = v
        .post(
            "/campaigns/new",
            &[
                ("csrf", csrf.as_str()),
                ("name", "Printemps"),
                ("category", "newsletter"),
                ("segment_id", seg["id"].as_str().unwrap()),
                ("subject_fr", "Nouvelles"),
                ("body_fr", "Bonjour"),
                ("subject_en", "News"),
                ("body_en", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Texte du message (anglais) : doit compter de 1 à 50 000 caractères"),
        "{html}"
    );
    // …next to its field too, which says it is the one, and what was typed is kept.
    assert!(
        html.contains("aria-describedby=\"e-body_en\"")
            && html.contains("<span class=\"field-error\" id=\"e-body_en\">"),
        "{html}"
    );
    assert!(html.contains("value=\"Nouvelles\""), "{html}");
    let res = v
        .post(
            "/campaigns/new",
            &[
                ("csrf", csrf.as_str()),
                ("name", "x"),
                ("category", "newsletter"),
                ("segment_id", ""),
            ],
        )
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Segment : choisissez un segment"));
}

/// X3: error, refusal and not-found pages keep the layout and the menu for whoever is
/// signed in, in their language; a stranger gets the bare page.
async fn error_pages_keep_the_menu(t: TestApp) {
    accounts(&t).await;
    let mut v = common::signed_in(&t, candor_domain::Role::Support).await;
    let res = v.get(&format!("/contacts/{}", uuid::Uuid::now_v7())).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<nav aria-label=\"Menu principal\">"),
        "{html}"
    );
    assert!(html.contains("<h1>Page introuvable</h1>"), "{html}");
    assert!(html.contains("support@test.example"), "{html}");
    let res = v.get("/campaigns").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<h1>Action non permise</h1>")
            && html.contains("Votre rôle ne permet pas cela."),
        "{html}"
    );
    assert!(
        html.contains("id=\"find-q\""),
        "the header search too: {html}"
    );
    // A form without its token: refused, in the frame.
    let res = v.post("/contacts", &[("last_name", "X")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<nav aria-label=\"Menu principal\">"),
        "{html}"
    );
    // Someone not signed in is sent to the login page, as before.
    let mut stranger = Visitor::new(&t, "127.0.0.1");
    let res = stranger.get("/campaigns").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

/// S4, O1: the DPO finds a contact's audit by their name (several matches: they pick
/// one), reads staff and API tokens by name, pages back through every entry, downloads
/// the search as CSV; reading the outbox's list writes no audit entry (the addresses
/// are cut), reading one email does.
async fn the_dpo_searches_pages_and_exports_the_audit(t: TestApp) {
    accounts(&t).await;
    let lea = t
        .contact(
            serde_json::json!({"kind": "b2c", "first_name": "Hélène", "last_name": "Lefèvre",
            "email": "helene.lefevre@example.fr"}),
        )
        .await;
    t.contact(serde_json::json!({"kind": "b2c", "first_name": "Hélène", "last_name": "Martin"}))
        .await;
    // An API token reads her (the test's sales token), and 150 reads by a job.
    t.get(
        candor_domain::Role::Sales,
        &format!("/api/v1/contacts/{lea}"),
    )
    .await;
    let id: uuid::Uuid = lea.parse().unwrap();
    let reads: Vec<candor_domain::audit::AccessEvent> = (0..150)
        .map(|i| candor_domain::audit::AccessEvent {
            subject_id: id,
            actor: "job:test".into(),
            action: candor_domain::audit::AuditAction::Read,
            fields: vec!["email".into()],
            endpoint: "job".into(),
            at: t.app.now() - time::Duration::minutes(i),
        })
        .collect();
    t.app.store.audit().append(reads).await.unwrap();
    let mut v = common::signed_in(&t, candor_domain::Role::Dpo).await;
    // "helene" finds two: the page asks which.
    let html = v.get("/audit?contact=helene").await.text().await.unwrap();
    assert!(html.contains("Plusieurs contacts correspondent"), "{html}");
    assert!(
        html.contains(&format!("href=\"/audit?contact={lea}\"")),
        "{html}"
    );
    // "lefevre" finds her alone: her entries, the token by its name.
    let html = v.get("/audit?contact=lefevre").await.text().await.unwrap();
    assert!(html.contains(&format!("title=\"{lea}\"")), "{html}");
    let tokens = t.app.store.tokens().list().await.unwrap();
    let sales = tokens
        .iter()
        .find(|k| k.role == candor_domain::Role::Sales)
        .unwrap();
    assert!(html.contains(&format!("<td>{}</td>", sales.name)), "{html}");
    assert!(!html.contains("<td>token:"), "tokens by name, not id");
    // 100 a page; the next pages hold the rest, none twice.
    let rows = |html: &str| html.matches("<tr><td>").count();
    assert_eq!(rows(&html), 100);
    let next = html
        .split("id=\"older\"")
        .next()
        .unwrap()
        .rsplit("href=\"")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let page2 = v.get(&next).await.text().await.unwrap();
    let total = t
        .app
        .store
        .audit()
        .search(
            &candor_store::AuditFilter {
                subject_id: Some(id),
                ..Default::default()
            },
            1000,
        )
        .await
        .unwrap()
        .len();
    assert!(total > 150, "{total}");
    let mut seen = rows(&html) + rows(&page2);
    let mut last = page2;
    while let Some(more) = last
        .split("id=\"older\"")
        .next()
        .filter(|_| last.contains("id=\"older\""))
    {
        let href = more
            .rsplit("href=\"")
            .next()
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .replace("&amp;", "&");
        last = v.get(&href).await.text().await.unwrap();
        seen += rows(&last);
    }
    // The page's own search (the name search) is audited as it runs: at least all.
    assert!(seen >= total, "{seen} of {total}");
    assert!(last.contains("id=\"first-page\""));
    // CSV: the same search, the token named.
    let res = v.get(&format!("/audit.csv?contact={lea}")).await;
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    assert!(
        csv.starts_with("at,contact_id,actor,actor_name,action,fields,endpoint\n"),
        "{csv}"
    );
    assert!(
        csv.contains(&format!("token:{},{}", sales.id, sales.name)),
        "{csv}"
    );
    assert!(csv.lines().count() > 150);
    // Marketing may not.
    let mut m = common::signed_in(&t, candor_domain::Role::Marketing).await;
    assert_eq!(m.get("/audit.csv").await.status(), StatusCode::FORBIDDEN);

    // The outbox's list: addresses cut, no audit entry.
    let before = t
        .app
        .store
        .audit()
        .search(&candor_store::AuditFilter::default(), 1000)
        .await
        .unwrap()
        .len();
    let html = v.get("/outbox").await.text().await.unwrap();
    assert!(
        html.contains("…@example.fr") && !html.contains("helene.lefevre@example.fr"),
        "{html}"
    );
    let after = t
        .app
        .store
        .audit()
        .search(&candor_store::AuditFilter::default(), 1000)
        .await
        .unwrap()
        .len();
    assert_eq!(after, before, "reading the list writes no audit entry");
}

/// The id in a redirect's location, after `prefix`.
fn located(res: &reqwest::Response, prefix: &str) -> String {
    res.headers()["location"]
        .to_str()
        .unwrap()
        .strip_prefix(prefix)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

/// M3: a segment of French speakers with a running contract started last year is built
/// from the back office with the inputs each condition takes, any number of them,
/// errors in French on their row and nothing typed lost; the campaign is written,
/// checked for the languages its audience reads, previewed, tested on the staff
/// member's own address, sent by a job whose progress the page follows, and no longer
/// edited; a segment in use is kept.
async fn a_segment_is_built_and_its_campaign_previewed_tested_and_sent(t: TestApp) {
    accounts(&t).await;
    // Business contacts: a staff member records their opt-in, effective at once (a
    // private person's waits for their own confirmation).
    let co = t.company("Atelier Morel SAS", "12002701600043").await;
    let mut ids = Vec::new();
    for (name, locale, starts) in [
        ("Durand", "fr", "2025-06-01"),
        ("Smith", "en", "2025-06-01"),
        ("Martin", "fr", "2023-01-01"),
    ] {
        let id = t
            .contact(serde_json::json!({"kind": "b2b", "company_id": co, "last_name": name, "locale": locale,
                "email": format!("{}@example.fr", name.to_lowercase())}))
            .await;
        let res = t
            .post(
                candor_domain::Role::Sales,
                &format!("/api/v1/contacts/{id}/contracts"),
                &serde_json::json!({"reference": format!("C-{name}"), "starts_on": starts}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let res = t
            .post(
                candor_domain::Role::Sales,
                &format!("/api/v1/contacts/{id}/consents"),
                &serde_json::json!({"purpose": "newsletter", "channel": "email", "action": "grant", "source": "manual",
                    "evidence": {"wording": "Oui à la lettre", "note": "au comptoir"}}),
            )
            .await;
        assert_eq!(res.status(), 201);
        ids.push(id);
    }
    // Marketing reads no contract: its builder does not offer one.
    let mut m = common::signed_in(&t, candor_domain::Role::Marketing).await;
    let html = m.get("/segments/new").await.text().await.unwrap();
    assert!(html.contains("name=\"c0_field\"") && !html.contains("value=\"contract\""));

    let mut v = common::signed_in(&t, candor_domain::Role::Admin).await;
    let csrf = v.csrf("/segments/new").await;
    // Adding a condition redraws the form with what was typed; a field's inputs follow
    // its type: a language is picked from a list.
    let res = v
        .post(
            "/segments/builder",
            &[
                ("csrf", &csrf),
                ("name", "Clients francophones 2025"),
                ("rows", "1"),
                ("c0_field", "locale"),
                ("do", "add"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("value=\"Clients francophones 2025\""),
        "{html}"
    );
    assert!(
        html.contains("<option value=\"fr\">Français</option>"),
        "{html}"
    );
    assert!(html.contains("name=\"c1_field\""), "{html}");
    assert!(html.contains("name=\"rows\" value=\"2\""), "{html}");
    // To htmx, the form alone.
    let res = v
        .http
        .post(format!("{}/segments/builder", v.base))
        .header("Cookie", v.cookie.clone().unwrap())
        .header("HX-Request", "true")
        .form(&[
            ("csrf", csrf.as_str()),
            ("rows", "2"),
            ("c0_field", "locale"),
            ("c1_field", "contract"),
        ])
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(
        html.starts_with("<form") && !html.contains("<html"),
        "{html}"
    );
    assert!(html.contains("name=\"c1_from\"") && html.contains("type=\"date\""));
    // A condition whose field changes starts empty: a city typed is not a language.
    let res = v
        .post(
            "/segments/builder",
            &[
                ("csrf", &csrf),
                ("rows", "1"),
                ("c0_was", "city"),
                ("c0_field", "locale"),
                ("c0_op", "contains"),
                ("c0_value", "Paris"),
            ],
        )
        .await;
    let html = res.text().await.unwrap();
    assert!(!html.contains("Paris"), "{html}");
    assert!(
        html.contains("<option value=\"fr\">Français</option>"),
        "{html}"
    );

    // A condition without its value: refused on its row, in French, nothing lost.
    let form = |city: &'static str| {
        vec![
            ("name", "Clients francophones 2025"),
            ("rows", "3"),
            ("c0_field", "locale"),
            ("c0_value", "fr"),
            ("c1_field", "contract"),
            ("c1_present", "yes"),
            ("c1_from", "2025-01-01"),
            ("c1_until", "2025-12-31"),
            ("c2_field", if city.is_empty() { "city" } else { "" }),
            ("c2_op", "equals"),
            ("c2_value", city),
        ]
    };
    let before = t.app.store.segments().list(100).await.unwrap().len();
    let mut f = form("");
    f.push(("csrf", &csrf));
    let res = v.post("/segments", &f).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Condition 3 : ne peut pas être vide"),
        "{html}"
    );
    assert!(html.contains("id=\"c2-error\""), "{html}");
    assert!(html.contains("value=\"2025-12-31\""), "{html}");
    assert!(html.contains("<option value=\"fr\" selected>"), "{html}");
    assert_eq!(
        t.app.store.segments().list(100).await.unwrap().len(),
        before
    );
    // The empty third row is left out: saved.
    let mut f = form("x");
    f.push(("csrf", &csrf));
    let res = v.post("/segments", &f).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let seg = located(&res, "/segments/");
    let html = v
        .get(&format!("/segments/{seg}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Langue est « Français »"), "{html}");
    assert!(
        html.contains("A un contrat en cours, commencé du 01/01/2025 au 31/12/2025"),
        "{html}"
    );
    assert!(
        html.contains("<span id=\"segment-count\">1</span>"),
        "{html}"
    );
    assert!(html.contains(">Durand</a>") && !html.contains(">Martin</a>"));
    // Edited: the form shows what was saved, the last day included.
    let html = v
        .get(&format!("/segments/{seg}/edit"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("value=\"2025-12-31\"") && html.contains("value=\"2025-01-01\""));

    // A campaign in English only, for a French-speaking audience: it says what is
    // missing, and offers no send button.
    let html = v
        .get(&format!("/campaigns/new?segment={seg}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("<option value=\"{seg}\" selected>")),
        "{html}"
    );
    let res = v
        .post(
            "/campaigns/new",
            &[
                ("csrf", &csrf),
                ("name", "Lettre de janvier"),
                ("category", "newsletter"),
                ("segment_id", &seg),
                ("subject_en", "Our news"),
                ("body_en", "Hello"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let camp = located(&res, "/campaigns/");
    let page = format!("/campaigns/{camp}");
    let html = v.get(&page).await.text().await.unwrap();
    assert!(html.contains("id=\"missing-languages\""), "{html}");
    assert!(
        html.contains("des destinataires autorisés lisent le français"),
        "{html}"
    );
    assert!(!html.contains("id=\"send\""));
    // Edited with its French text: previewed as sent, the send button offered.
    let res = v
        .post(
            &page,
            &[
                ("csrf", &csrf),
                ("name", "Lettre de janvier"),
                ("category", "newsletter"),
                ("segment_id", &seg),
                ("subject_fr", "Nos nouvelles"),
                (
                    "body_fr",
                    "Bonjour, tout est sur https://example.fr/janvier",
                ),
                ("subject_en", "Our news"),
                ("body_en", "Hello"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = v.get(&page).await.text().await.unwrap();
    assert!(!html.contains("id=\"missing-languages\""), "{html}");
    assert!(html.contains("id=\"send\""));
    assert!(html.contains("Nos nouvelles") && html.contains("Un clic suffit"));
    let res = v.get(&format!("{page}/preview/fr")).await;
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("sandbox"));
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<a href=\"https://example.fr/janvier\">"),
        "{html}"
    );

    // The test goes to the admin's own address, in each language, and to no contact.
    let outbox = t.app.store.outbox().list(1000).await.unwrap();
    let res = v.post(&format!("{page}/test"), &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = v
        .get(&format!("{page}?tested=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("admin@test.example"), "{html}");
    let after = t.app.store.outbox().list(1000).await.unwrap();
    let mut tests: Vec<(String, String)> = after
        .iter()
        .filter(|e| !outbox.iter().any(|o| o.mail.id == e.mail.id))
        .map(|e| (e.mail.recipient.clone(), e.mail.mail_subject.clone()))
        .collect();
    tests.sort();
    assert_eq!(
        tests,
        [
            (
                "admin@test.example".to_owned(),
                "[Essai] Nos nouvelles".to_owned()
            ),
            (
                "admin@test.example".to_owned(),
                "[Test] Our news".to_owned()
            ),
        ]
    );

    // Sent: the page follows the job.
    let res = v
        .post(
            &format!("{page}/send"),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = v
        .get(&format!("{page}?started=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("L&#39;envoi a commencé") || html.contains("L'envoi a commencé"),
        "{html}"
    );
    assert!(html.contains("hx-get=\"/campaigns/"), "{html}");
    assert!(
        html.contains("Envoi en cours : e-mails mis en file : 0 / 1"),
        "{html}"
    );
    t.app.run_due_jobs().await.unwrap();
    let html = v
        .get(&format!("{page}/progress"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Envoyée : e-mails mis en file : 1"), "{html}");
    assert!(
        !html.contains("hx-trigger"),
        "the page stops asking once sent"
    );
    // No longer edited.
    let res = v.get(&format!("{page}/edit")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = v
        .post(
            &page,
            &[
                ("csrf", &csrf),
                ("name", "Trop tard"),
                ("category", "newsletter"),
                ("segment_id", &seg),
                ("subject_fr", "x"),
                ("body_fr", "x"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("elle ne peut plus être modifiée"));
    // The segment is kept while the campaign uses it, and says so.
    let res = v
        .post(&format!("/segments/{seg}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("les campagnes ci-dessous l&#39;utilisent")
            || html.contains("les campagnes ci-dessous l'utilisent"),
        "{html}"
    );
    assert!(html.contains("Lettre de janvier"));
    assert!(t
        .app
        .store
        .segments()
        .get(seg.parse().unwrap())
        .await
        .unwrap()
        .is_some());
    // An unused one goes.
    let res = v
        .post(
            "/segments",
            &[("csrf", &csrf), ("name", "Tout le monde"), ("rows", "0")],
        )
        .await;
    let other = located(&res, "/segments/");
    let res = v
        .post(&format!("/segments/{other}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(res.headers()["location"], "/campaigns?segment_deleted=1");
    assert!(t
        .app
        .store
        .segments()
        .get(other.parse().unwrap())
        .await
        .unwrap()
        .is_none());
}

/// O1: staff read each field's reason as the catalogue gives it to their role ("calls
/// the contact…"), not the sentence written to the person ("to address you…").
async fn staff_read_their_roles_reasons(t: TestApp) {
    accounts(&t).await;
    let id = t
        .contact(serde_json::json!({"kind": "b2c", "first_name": "Léa", "last_name": "Roux", "phone": "+33 6 12 34 56 78"}))
        .await;
    let mut v = common::signed_in(&t, candor_domain::Role::Sales).await;
    let html = v
        .get(&format!("/contacts/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Pourquoi votre rôle y a accès"), "{html}");
    assert!(
        html.contains("Appelle le contact pour le suivi commercial."),
        "{html}"
    );
    assert!(
        html.contains("Particulier (B2C)"),
        "a code shown as words: {html}"
    );
    let list = v.get("/contacts").await.text().await.unwrap();
    assert!(list.contains("<td>Particulier (B2C)</td>"), "{list}");
    assert!(
        list.contains("id=\"total\"><strong>1</strong> contact(s) trouvé(s)"),
        "{list}"
    );
    assert!(
        !html.contains("Pour s&#39;adresser à vous") && !html.contains("Pour s'adresser à vous")
    );
}

/// An address Candor does not serve gets a page in French and English (or the API's
/// JSON error under /api/), never an empty 404.
async fn an_unknown_address_gets_a_page(t: TestApp) {
    let res = t
        .client
        .get(format!("{}/nulle-part", t.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Cette page n&#39;existe pas") || html.contains("Cette page n'existe pas"),
        "{html}"
    );
    let res = t.get(candor_domain::Role::Sales, "/api/v1/nowhere").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["error"]["code"], "not_found");
}

/// C6: "nothing more from us" in one step from the contact's page: a global withdrawal
/// on every channel, recorded with the source staff give; the rules follow at once.
async fn staff_record_nothing_more_in_one_step(t: TestApp) {
    accounts(&t).await;
    let co = t.company("Atelier Morel SAS", "12002701600043").await;
    let id = t
        .contact(serde_json::json!({"kind": "b2b", "company_id": co, "last_name": "Morel", "email": "morel@example.fr"}))
        .await;
    let res = t
        .post(
            candor_domain::Role::Sales,
            &format!("/api/v1/contacts/{id}/consents"),
            &serde_json::json!({"purpose": "newsletter", "channel": "email", "action": "grant",
                "source": "phone", "evidence": {"wording": "Oui pour la lettre", "note": "appel"}}),
        )
        .await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let mut v = common::signed_in(&t, candor_domain::Role::Sales).await;
    let page = format!("/contacts/{id}");
    let html = v.get(&page).await.text().await.unwrap();
    assert!(html.contains("id=\"opt-out-button\""), "{html}");
    let csrf = v.csrf(&page).await;
    let res = v
        .post(
            &format!("/contacts/{id}/opt-out"),
            &[
                ("csrf", csrf.as_str()),
                ("source", "phone"),
                ("note", "au téléphone"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let uuid = uuid::Uuid::parse_str(&id).unwrap();
    for ch in ["email", "sms", "phone", "post"] {
        assert_eq!(
            t.global_consent(uuid, ch).await,
            Some(candor_domain::consent::Status::Withdrawn),
            "{ch}"
        );
    }
    let d: serde_json::Value = t
        .post(
            candor_domain::Role::Sales,
            "/api/v1/decisions",
            &serde_json::json!({"contact_id": id, "category": "newsletter", "channel": "email"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(d["allowed"], false);
    let html = v
        .get(&format!("{page}?optout=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("plus rien ne part vers cette personne"),
        "{html}"
    );
}

/// The header's search finds as you type (O1): a full name typed without accents, in
/// the reader's language, linked to the record, with the whole list a click away;
/// without htmx the form goes to that list.
async fn the_header_search_finds_as_you_type(t: TestApp) {
    t.staff_accounts(common::STAFF_PASSWORD).await;
    let helene = t
        .contact(
            serde_json::json!({"kind": "b2c", "first_name": "Hélène", "last_name": "Lefèvre",
            "email": "helene.lefevre@example.fr", "phone": "06 12 34 56 78", "locale": "fr"}),
        )
        .await;
    t.contact(serde_json::json!({"kind": "b2c", "first_name": "Mathis", "last_name": "Durand", "locale": "fr"}))
        .await;
    let mut v = common::signed_in(&t, Role::Sales).await;
    let fragment = |v: &Visitor, q: &str| {
        let req = v
            .http
            .get(format!("{}/search?q={q}", v.base))
            .header("HX-Request", "true")
            .header("Cookie", v.cookie.clone().unwrap_or_default());
        async move { req.send().await.unwrap() }
    };
    for q in [
        "helene%20lef",
        "LEFEVRE",
        "helene.lefevre%40",
        "06%2012%2034",
    ] {
        let res = fragment(&v, q).await;
        assert_eq!(res.status(), StatusCode::OK, "{q}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains(&format!("href=\"/contacts/{helene}\"")),
            "{q}: {html}"
        );
        assert!(!html.contains("Durand"), "{q}: {html}");
        assert!(html.contains("Tous les contacts trouvés"), "{html}");
    }
    let none = fragment(&v, "zzz").await.text().await.unwrap();
    assert!(none.contains("Aucun résultat."), "{none}");
    let bad = fragment(&v, "%20-%20").await.text().await.unwrap();
    assert!(
        bad.contains("Recherche : doit contenir une lettre ou un chiffre"),
        "{bad}"
    );
    // The box is in every page's header; without htmx, the list of matches.
    let page = v.get("/contacts").await.text().await.unwrap();
    assert!(page.contains("id=\"find-q\""), "{page}");
    let res = v.get("/search?q=helene%20lef").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/contacts?q=helene%20lef");
    let list = v
        .get("/contacts?q=helene%20lef")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("Lefèvre"), "{list}");
    assert!(!list.contains("Durand"), "{list}");
    assert!(
        list.contains("<strong>1</strong> contact(s) trouvé(s)"),
        "{list}"
    );
}

/// The contact record shows the orders, contracts and history Candor holds (O1), to
/// the roles that may read them: a change names who made it and which fields.
async fn the_contact_record_shows_orders_contracts_and_history(t: TestApp) {
    t.staff_accounts(common::STAFF_PASSWORD).await;
    let id = t
        .contact(
            serde_json::json!({"kind": "b2c", "first_name": "Hélène", "last_name": "Lefèvre",
            "email": "helene.record@example.fr", "locale": "fr"}),
        )
        .await;
    let res = t
        .post(
            Role::Sales,
            &format!("/api/v1/contacts/{id}/orders"),
            &serde_json::json!({"currency": "EUR", "ordered_at": "2026-11-02T10:00:00Z", "lines": [
                {"description": "Abonnement annuel", "quantity": 1, "unit_price_cents": 123450}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = t
        .post(
            Role::Sales,
            &format!("/api/v1/contacts/{id}/contracts"),
            &serde_json::json!({"reference": "CTR-2026-7", "starts_on": "2026-01-01"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = t
        .patch(
            Role::Sales,
            &format!("/api/v1/contacts/{id}"),
            &serde_json::json!({"city": "Lyon"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut v = common::signed_in(&t, Role::Sales).await;
    let html = v
        .get(&format!("/contacts/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"orders-title\">Commandes"), "{html}");
    assert!(html.contains("1\u{202f}234,50 EUR"), "{html}");
    assert!(
        html.contains("CTR-2026-7") && html.contains("en cours"),
        "{html}"
    );
    assert!(html.contains("id=\"history-title\">Historique"), "{html}");
    assert!(html.contains("Modifié par"), "{html}");
    assert!(
        html.contains("Ville"),
        "the changed field by its label: {html}"
    );
    // Marketing reads neither orders nor contracts: the sections are not there.
    let mut m = common::signed_in(&t, Role::Marketing).await;
    let html = m
        .get(&format!("/contacts/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("id=\"orders-title\""), "{html}");
    assert!(!html.contains("CTR-2026-7"), "{html}");
    assert!(html.contains("id=\"history-title\""), "{html}");
    // In English, the same record in English words.
    let csrf = v.csrf("/contacts").await;
    v.post(
        "/language",
        &[("csrf", &csrf), ("locale", "en"), ("back", "/contacts")],
    )
    .await;
    let html = v
        .get(&format!("/contacts/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("EUR 1,234.50"), "{html}");
    assert!(html.contains("Changed by"), "{html}");
}

on_both_backends!(
    the_header_search_finds_as_you_type,
    the_contact_record_shows_orders_contracts_and_history,
    staff_record_nothing_more_in_one_step,
    an_unknown_address_gets_a_page,
    staff_read_their_roles_reasons,
    campaign_categories_name_the_consent_they_need,
    a_segment_is_built_and_its_campaign_previewed_tested_and_sent,
    error_pages_keep_the_menu,
    the_dpo_searches_pages_and_exports_the_audit,
    companies_are_made_and_changed_in_the_back_office,
    a_pending_grant_says_what_it_waits_for,
    a_duplicate_email_is_named_next_to_its_field,
    the_consent_form_records_no_act_of_the_person,
    a_disabled_user_is_signed_out_at_once,
    contacts_are_found_by_name_and_company,
    session_cookie_is_safe_rotated_and_ended,
    forms_without_their_token_change_nothing,
    login_is_rate_limited_without_locking_the_owner_out,
    pages_are_closed_to_roles_like_the_api,
    anonymous_login_pages_store_no_session,
    the_dpo_adds_a_custom_field_in_the_back_office,
);
