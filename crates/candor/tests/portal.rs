//! The contacts' privacy portal over HTTP (P1–P3), on SQLite and PostgreSQL: the
//! one-time link, the session that sees one person only, the consents, corrections,
//! bundle, requests and password account, and what is refused.

mod common;

use candor_domain::clock::FixedClock;
use candor_domain::Role;
use common::{spawn_app_with_clock, spawn_pg_app_with_clock, TestApp, Visitor};
use reqwest::Response;
use serde_json::{json, Value};
use std::io::Read;
use std::sync::Arc;

fn start() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(time::OffsetDateTime::now_utc()))
}

/// The value of the hidden input `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no {name} in the page: {html}"))
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

async fn page(res: Response) -> (u16, String) {
    (res.status().as_u16(), res.text().await.unwrap())
}

fn location(res: &Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// The path of the newest sign-in link mailed to `email` (the link is sent after the
/// page answers: it is waited for).
async fn link_for(t: &TestApp, email: &str, after: usize) -> String {
    for _ in 0..100 {
        let links: Vec<String> = t
            .mailbox()
            .await
            .iter()
            .filter(|m| m["recipient"] == email)
            .filter_map(|m| {
                let body = m["body_text"].as_str()?;
                let at = body.find("/portal/enter/")?;
                Some(body[at..].split_whitespace().next()?.to_owned())
            })
            .collect();
        if links.len() > after {
            return links[0].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no sign-in link reached {email}");
}

async fn ask_link(v: &mut Visitor, email: &str) -> (u16, String) {
    let html = v.get("/portal?lang=fr").await.text().await.unwrap();
    let form = hidden(&html, "form");
    page(
        v.post(
            "/portal/link",
            &[("form", &form), ("lang", "fr"), ("email", email)],
        )
        .await,
    )
    .await
}

/// Opens the portal through `link`: the GET shows a button, the POST signs in.
async fn enter(v: &mut Visitor, link: &str) -> Response {
    let (status, html) = page(v.get(link).await).await;
    assert_eq!(status, 200, "{html}");
    let form = hidden(&html, "form");
    v.post(link, &[("form", &form)]).await
}

async fn people(t: &TestApp) -> (String, String) {
    let ana = t
        .contact(
            json!({"kind": "b2c", "first_name": "Ana", "last_name": "Lefèvre",
            "email": "ana.lefevre@example.fr", "phone": "+33 6 11 22 33 44", "locale": "fr"}),
        )
        .await;
    let bob = t
        .contact(
            json!({"kind": "b2c", "first_name": "Bob", "last_name": "Other",
            "email": "bob.other@example.com", "phone": "+33 6 99 88 77 66", "locale": "en"}),
        )
        .await;
    (ana, bob)
}

async fn decide(t: &TestApp, contact: &str, category: &str) -> bool {
    let res = t
        .post(
            Role::Sales,
            "/api/v1/decisions",
            &json!({"contact_id": contact, "category": category, "channel": "email"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["allowed"] == true
}

async fn the_portal_is_one_persons_own(t: TestApp, clock: Arc<FixedClock>) {
    let (ana, bob) = people(&t).await;
    let mut v = Visitor::new(&t, "127.0.0.2");

    // Known or not, the answer is the same; only the known address gets a link.
    let (s1, known) = ask_link(&mut v, "ana.lefevre@example.fr").await;
    let (s2, unknown) = ask_link(&mut v, "nobody@example.fr").await;
    assert_eq!((s1, s2), (200, 200));
    let notice = |h: &str| {
        h.split("id=\"portal-notice\">")
            .nth(1)
            .map(|s| s[..60].to_owned())
    };
    assert_eq!(notice(&known), notice(&unknown));
    assert!(notice(&known).unwrap().starts_with("Si nous connaissons"));
    let link = link_for(&t, "ana.lefevre@example.fr", 0).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        t.count("SELECT COUNT(*) FROM portal_link").await,
        1,
        "no link for an address nobody holds"
    );
    // Staff reading the outbox never see the link itself.
    let staff_view = t
        .get(Role::Dpo, "/api/v1/outbox")
        .await
        .text()
        .await
        .unwrap();
    assert!(staff_view.contains("/portal/enter/…"), "{staff_view}");
    assert!(!staff_view.contains(&link[14..]));

    // A POST without the page's form token signs no one in and spends nothing.
    let stranger = v.post(&link, &[("form", "0".repeat(64).as_str())]).await;
    assert_eq!(stranger.status(), 403);
    let res = enter(&mut v, &link).await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/portal/me"));
    assert!(v.cookie_named("candor_portal").is_some());
    // The link served once.
    let mut other = Visitor::new(&t, "127.0.0.3");
    let (status, html) = page(other.get(&link).await).await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("déjà servi"));
    let (status, _) = page(other.post(&link, &[("form", "x")]).await).await;
    assert_eq!(status, 403);

    // Two orders of Ana's, one of Bob's: her page counts hers.
    for (who, n) in [(&ana, 2), (&bob, 1)] {
        for _ in 0..n {
            let res = t
                .post(
                    Role::Sales,
                    &format!("/api/v1/contacts/{who}/orders"),
                    &json!({"currency": "EUR", "ordered_at": "2026-11-02T10:00:00Z", "lines": [
                        {"description": "Abonnement", "quantity": 1, "unit_price_cents": 11900}]}),
                )
                .await;
            assert_eq!(res.status(), 201);
        }
    }
    // The page: Ana's data with its purposes, nobody else's.
    let (status, me) = page(v.get("/portal/me").await).await;
    assert!(
        me.contains(
            "<strong>Vos commandes</strong> : <span class=\"value\">2 enregistrement(s)</span>"
        ),
        "{me}"
    );
    assert_eq!(status, 200);
    assert!(me.contains("ana.lefevre@example.fr"));
    assert!(me.contains("Pourquoi") && me.contains("Qui peut la voir"));
    assert!(
        me.contains("Pour vous écrire : compte, suivi"),
        "the email's reason"
    );
    assert!(!me.contains("bob.other") && !me.contains("Other"));
    let csrf = hidden(&me, "csrf");

    // Consents: a grant from the portal is in force at once (the person is signed
    // in through their address); a withdrawal too, and the rules follow.
    let set = |purpose: &'static str, action: &'static str| {
        let csrf = csrf.clone();
        async move {
            vec![
                ("csrf", csrf),
                ("lang", "fr".into()),
                ("purpose", purpose.into()),
                ("channel", "email".into()),
                ("action", action.into()),
            ]
        }
    };
    let form = set("newsletter", "grant").await;
    let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = v.post("/portal/consents", &f).await;
    assert_eq!(res.status(), 303);
    assert!(decide(&t, &ana, "newsletter").await);
    let form = set("newsletter", "withdraw").await;
    let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(v.post("/portal/consents", &f).await.status(), 303);
    assert!(!decide(&t, &ana, "newsletter").await);
    let sources = t
        .count(&format!(
            "SELECT COUNT(*) FROM consent_event WHERE subject_id = '{ana}' AND source = 'portal'"
        ))
        .await;
    assert_eq!(sources, 2);
    // A forged token changes nothing.
    let before = t.snapshot().await;
    let forged = v
        .post(
            "/portal/consents",
            &[
                ("csrf", "forged"),
                ("purpose", "marketing"),
                ("channel", "email"),
                ("action", "grant"),
            ],
        )
        .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(t.snapshot().await, before);

    // A bad phone is refused next to the field, and nothing is recorded.
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("lang", "fr"),
        ("first_name", "Ana"),
        ("last_name", "Lefèvre"),
        ("email", "ana.lefevre@example.fr"),
        ("phone", "12"),
        ("locale", "fr"),
        ("address_line", ""),
        ("postal_code", ""),
        ("city", ""),
        ("country", ""),
    ];
    let (status, html) = page(v.post("/portal/rectify", &fields).await).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("id=\"e-phone\">doit être un numéro de téléphone"),
        "{html}"
    );
    assert!(html.contains("value=\"12\""), "what was typed stays");
    assert_eq!(t.snapshot().await, before);
    // Another contact's address is refused before anything is recorded.
    fields[4] = ("email", "bob.other@example.com");
    fields[5] = ("phone", "06 12 34 56 78");
    let (status, html) = page(v.post("/portal/rectify", &fields).await).await;
    assert_eq!(status, 422);
    assert!(html.contains("ne peut pas servir ici"), "{html}");
    assert!(!html.contains("Bob"));
    assert_eq!(t.snapshot().await, before);
    fields[4] = ("email", "ana.lefevre@example.fr");
    fields[5] = ("phone", "06 12 34 56 78");
    let res = v.post("/portal/rectify", &fields).await;
    assert_eq!(res.status(), 303);
    assert_eq!(t.contact_json(&ana).await["phone"], "+33612345678");
    let fixed: Value = t
        .get(Role::Dpo, "/api/v1/requests?kind=rectification")
        .await
        .json()
        .await
        .unwrap();
    let fixed = &fixed[0];
    assert_eq!(fixed["channel"], "portal");
    assert_eq!(fixed["status"], "answered");
    // A field the person does not correct here is refused by name.
    let res = t
        .app
        .portal_rectify(
            uuid::Uuid::parse_str(&ana).unwrap(),
            candor_domain::contact::ContactPatch {
                kind: Some(Some("b2b".into())),
                ..Default::default()
            },
            "test",
        )
        .await;
    assert!(format!("{res:?}").contains("not_correctable_here"));

    // The bundle: Ana's data, no one else's, no password hash; an answered access
    // request records it.
    let res = v.post("/portal/bundle", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let bytes = res.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut data = String::new();
    zip.by_name("data.json")
        .unwrap()
        .read_to_string(&mut data)
        .unwrap();
    let data: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(data["subject_id"], ana.as_str());
    assert!(!data.to_string().contains("bob.other"));
    assert_eq!(
        data["tables"]["portal_session"].as_array().unwrap().len(),
        1
    );

    // An erasure request with its signed receipt and deadline.
    let res = v
        .post(
            "/portal/requests",
            &[
                ("csrf", &csrf),
                ("lang", "fr"),
                ("kind", "erasure"),
                ("details", "Merci"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let receipt = location(&res);
    let id = receipt
        .trim_start_matches("/portal/requests/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let (status, html) = page(v.get(&receipt).await).await;
    assert_eq!(status, 200);
    assert!(html.contains("Réponse au plus tard le"));
    let r: Value = t
        .get(Role::Dpo, &format!("/api/v1/requests/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let r = &r["request"];
    assert_eq!(
        (r["kind"].as_str(), r["channel"].as_str()),
        (Some("erasure"), Some("portal"))
    );
    assert_eq!(r["status"], "identity_verified");
    let file: Value = v
        .get(&format!("/portal/requests/{id}/receipt.json"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(file["receipt"]["request_id"], id.as_str());
    let requests: Value = t
        .get(Role::Dpo, "/api/v1/requests?kind=erasure")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(requests.as_array().unwrap().len(), 1);

    // Bob's request, by its id: not found, neither page nor file.
    let bobs = t
        .post(
            Role::Dpo,
            "/api/v1/requests",
            &json!({"kind": "access", "channel": "email", "contact_id": bob}),
        )
        .await;
    let bobs: Value = bobs.json().await.unwrap();
    let bobs = bobs["id"].as_str().unwrap();
    for path in [
        format!("/portal/requests/{bobs}"),
        format!("/portal/requests/{bobs}/receipt.json"),
        "/portal/requests/not-a-uuid".to_owned(),
    ] {
        let (status, html) = page(v.get(&path).await).await;
        assert_eq!(status, 404, "{path}");
        assert!(!html.contains("bob.other"));
    }

    // A staff session opens nothing here, and a portal session nothing there.
    t.staff_accounts(common::STAFF_PASSWORD).await;
    let mut staff = common::signed_in(&t, Role::Dpo).await;
    let res = staff.get("/portal/me").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/portal");
    let mut portal_only = Visitor::new(&t, "127.0.0.2");
    portal_only.cookie = v.cookie_named("candor_portal");
    let res = portal_only.get("/contacts").await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/login"));

    // A password account: its creation is a consent of its own; then the password
    // signs in.
    let (status, html) = page(
        v.post(
            "/portal/account",
            &[("csrf", &csrf), ("lang", "fr"), ("password", "court")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("doit compter de 12 à 200 caractères"));
    let res = v
        .post(
            "/portal/account",
            &[
                ("csrf", &csrf),
                ("lang", "fr"),
                ("password", "un mot de passe assez long"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let account = t
        .count(&format!(
            "SELECT COUNT(*) FROM consent_event WHERE subject_id = '{ana}' AND purpose = 'account' AND source = 'portal'"
        ))
        .await;
    assert_eq!(account, 1);
    let res = v.post("/portal/logout", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(v.get("/portal/me").await.status(), 303, "signed out");
    let html = v.get("/portal").await.text().await.unwrap();
    let form = hidden(&html, "form");
    let wrong = v
        .post(
            "/portal/login",
            &[
                ("form", &form),
                ("email", "ana.lefevre@example.fr"),
                ("password", "not the password"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 401);
    let res = v
        .post(
            "/portal/login",
            &[
                ("form", &form),
                ("email", "ana.lefevre@example.fr"),
                ("password", "un mot de passe assez long"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, me) = page(v.get("/portal/me").await).await;
    // Withdrawing the account's consent takes the password away.
    let csrf = hidden(&me, "csrf");
    let res = v
        .post(
            "/portal/consents",
            &[
                ("csrf", csrf.as_str()),
                ("purpose", "account"),
                ("channel", "email"),
                ("action", "withdraw"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(t.count("SELECT COUNT(*) FROM portal_account").await, 0);
    let mut someone = Visitor::new(&t, "127.0.0.7");
    let html = someone.get("/portal").await.text().await.unwrap();
    let form = hidden(&html, "form");
    let again = someone
        .post(
            "/portal/login",
            &[
                ("form", &form),
                ("email", "ana.lefevre@example.fr"),
                ("password", "un mot de passe assez long"),
            ],
        )
        .await;
    assert_eq!(again.status(), 401);

    // A link older than 15 minutes opens nothing; neither does an idle session.
    let mut late = Visitor::new(&t, "127.0.0.4");
    ask_link(&mut late, "ana.lefevre@example.fr").await;
    let fresh = link_for(&t, "ana.lefevre@example.fr", 1).await;
    clock.advance(time::Duration::minutes(16));
    let (status, html) = page(late.get(&fresh).await).await;
    assert_eq!(status, 410);
    assert!(html.contains("a expiré"));
    clock.advance(time::Duration::minutes(20));
    assert_eq!(
        v.get("/portal/me").await.status(),
        303,
        "idle over 30 minutes"
    );
}

#[tokio::test]
async fn the_portal_is_one_persons_own_on_sqlite() {
    let clock = start();
    the_portal_is_one_persons_own(spawn_app_with_clock(clock.clone()).await, clock).await;
}

#[tokio::test]
async fn the_portal_is_one_persons_own_on_postgres() {
    let clock = start();
    if let Some(t) = spawn_pg_app_with_clock("portal_one_person", clock.clone()).await {
        the_portal_is_one_persons_own(t, clock).await;
    }
}

/// X3: links to one address from one client are limited (429 with Retry-After); the
/// same address asked from elsewhere gets the same answer, and at most 3 live links.
#[tokio::test]
async fn sign_in_links_are_rate_limited_without_locking_the_owner_out() {
    let t = common::spawn_app().await;
    people(&t).await;
    let mut stranger = Visitor::new(&t, "127.0.0.5");
    for _ in 0..3 {
        assert_eq!(
            ask_link(&mut stranger, "ana.lefevre@example.fr").await.0,
            200
        );
    }
    let html = stranger.get("/portal?lang=fr").await.text().await.unwrap();
    let form = hidden(&html, "form");
    let res = stranger
        .post(
            "/portal/link",
            &[
                ("form", &form),
                ("lang", "fr"),
                ("email", "ana.lefevre@example.fr"),
            ],
        )
        .await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert!(res.text().await.unwrap().contains("Trop de demandes"));
    // From another client the page answers as ever, but no fourth live link goes out:
    // asking from many addresses floods no one's mailbox, and the owner has working
    // links already.
    for _ in 0..100 {
        if t.count("SELECT COUNT(*) FROM portal_link").await == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut owner = Visitor::new(&t, "127.0.0.6");
    assert_eq!(ask_link(&mut owner, "ana.lefevre@example.fr").await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(t.count("SELECT COUNT(*) FROM portal_link").await, 3);
    // A malformed address is named as such, in the page's language.
    let (status, html) = ask_link(&mut owner, "not an address").await;
    assert_eq!(status, 422);
    assert!(html.contains("adresse e-mail valide"));
}
