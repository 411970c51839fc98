//! Segments and campaigns (M3, M4) on both backends: a newsletter to a segment of mixed
//! contacts goes, over real SMTP, to exactly the allowed ones, each email with its
//! RFC 8058 one-click unsubscribe, which works without logging in; the audience report
//! names, rule by rule, who was left out; sending twice sends nothing twice; bad
//! segments and campaigns are refused by name and change nothing.

mod common;

use candor_domain::Role;
use common::{expect_error, TestApp};
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn grant(purpose: &str) -> Value {
    json!({"purpose": purpose, "channel": "email", "action": "grant", "source": "manual",
           "evidence": {"wording": "Oui pour vos offres", "note": "asked at the counter"}})
}

async fn consent(t: &TestApp, id: &str, body: Value) {
    let res = t
        .post(
            Role::Sales,
            &format!("/api/v1/contacts/{id}/consents"),
            &body,
        )
        .await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
}

/// Seven contacts, six of them in France, in every situation the rules know.
async fn people(t: &TestApp) -> Vec<(&'static str, String)> {
    let co = t.company("Atelier Morel SAS", "12002701600043").await;
    let mut out = Vec::new();
    for (key, locale, country) in [
        ("fr_subscriber", "fr", "FR"),
        ("en_subscriber", "en", "FR"),
        ("unsubscribed", "fr", "FR"),
        ("never_asked", "fr", "FR"),
        ("opted_out_of_everything", "fr", "FR"),
        ("elsewhere", "fr", "BE"),
    ] {
        let id = t
            .contact(
                json!({"kind": "b2b", "company_id": co, "last_name": key, "locale": locale,
                            "country": country, "email": format!("{key}@example.fr")}),
            )
            .await;
        out.push((key, id));
    }
    let pending = t
        .contact(json!({"kind": "b2c", "last_name": "pending", "country": "FR", "email": "pending@example.fr"}))
        .await;
    out.push(("pending", pending));
    let id = |k: &str| out.iter().find(|(n, _)| *n == k).unwrap().1.clone();
    for k in [
        "fr_subscriber",
        "en_subscriber",
        "unsubscribed",
        "opted_out_of_everything",
        "elsewhere",
    ] {
        consent(t, &id(k), grant("newsletter")).await;
    }
    consent(
        t,
        &id("unsubscribed"),
        json!({"purpose": "newsletter", "channel": "email", "action": "withdraw", "source": "manual"}),
    )
    .await;
    consent(
        t,
        &id("opted_out_of_everything"),
        json!({"purpose": "*", "channel": "email", "action": "withdraw", "source": "phone"}),
    )
    .await;
    // Only the French subscriber agrees to be measured.
    consent(t, &id("fr_subscriber"), grant("engagement_tracking")).await;
    consent(
        t,
        &id("pending"),
        json!({"purpose": "newsletter", "channel": "email", "action": "grant", "source": "web_form",
               "evidence": {"form_id": "f", "wording": "w", "ip": "198.51.100.4", "user_agent": "ua"}}),
    )
    .await;
    out
}

async fn segment(t: &TestApp) -> String {
    let res = t
        .post(
            Role::Marketing,
            "/api/v1/segments",
            &json!({"name": "France", "conditions": [{"field": "country", "op": "equals", "value": "FR"}]}),
        )
        .await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let v: Value = res.json().await.unwrap();
    v["id"].as_str().unwrap().to_owned()
}

fn content(locales: &[&str]) -> Value {
    let mut m = serde_json::Map::new();
    for l in locales {
        let (s, b) = if *l == "fr" {
            (
                "Nouvelles de décembre",
                "Bonjour,\nVoici nos nouvelles : https://example.fr/offre",
            )
        } else {
            (
                "December news",
                "Hello,\nHere is our news: https://example.fr/offre",
            )
        };
        m.insert((*l).into(), json!({"subject": s, "body": b}));
    }
    Value::Object(m)
}

/// A campaign's sending progress, as the API gives it.
async fn progress(t: &TestApp, camp: &str) -> Value {
    t.get(
        Role::Marketing,
        &format!("/api/v1/campaigns/{camp}/progress"),
    )
    .await
    .json()
    .await
    .unwrap()
}

async fn campaign(t: &TestApp, segment: &str, locales: &[&str]) -> String {
    let res = t
        .post(
            Role::Marketing,
            "/api/v1/campaigns",
            &json!({"name": "Décembre", "category": "newsletter", "channel": "email",
                    "segment_id": segment, "content": content(locales)}),
        )
        .await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let v: Value = res.json().await.unwrap();
    v["id"].as_str().unwrap().to_owned()
}

fn html(raw: &[u8]) -> String {
    let mail = mailparse::parse_mail(raw).unwrap();
    mail.subparts
        .iter()
        .find(|p| p.ctype.mimetype == "text/html")
        .unwrap()
        .get_body()
        .unwrap()
}

/// The first `…` between `start` and a double quote in `text`.
fn attr(text: &str, start: &str) -> Option<String> {
    let i = text.find(start)?;
    Some(text[i..].split('"').next().unwrap().to_owned())
}

fn header(raw: &[u8], name: &str) -> Option<String> {
    let mail = mailparse::parse_mail(raw).unwrap();
    mail.headers
        .iter()
        .find(|h| h.get_key().eq_ignore_ascii_case(name))
        .map(|h| h.get_value())
}

async fn a_newsletter_reaches_exactly_the_allowed_contacts_over_smtp(t: TestApp) {
    let people = people(&t).await;
    let id = |k: &str| people.iter().find(|(n, _)| *n == k).unwrap().1.clone();
    let seg = segment(&t).await;
    let preview: Value = t
        .get(Role::Marketing, &format!("/api/v1/segments/{seg}/preview"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(preview["count"], 6);
    assert!(
        !preview.to_string().contains("\"phone\""),
        "marketing sees no phone"
    );

    // French only, but one allowed recipient reads English: refused, nothing sent.
    let outbox_before = t.app.store.outbox().list(1000).await.unwrap().len();
    let fr_only = campaign(&t, &seg, &["fr"]).await;
    let res = t
        .post(
            Role::Marketing,
            &format!("/api/v1/campaigns/{fr_only}/send"),
            &json!({}),
        )
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("content.en.subject"),
        Some("locale_missing"),
    )
    .await;
    assert_eq!(
        t.app.store.outbox().list(1000).await.unwrap().len(),
        outbox_before
    );

    let camp = campaign(&t, &seg, &["fr", "en"]).await;
    let report: Value = t
        .get(
            Role::Marketing,
            &format!("/api/v1/campaigns/{camp}/audience"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["segment_size"], 6);
    assert_eq!(report["allowed"], 2);
    let excluded: Vec<(String, u64, String)> = report["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["rule"].as_str().unwrap().to_owned(),
                x["count"].as_u64().unwrap(),
                x["contacts"][0].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut want = vec![
        (
            "global_opt_out".to_owned(),
            1,
            id("opted_out_of_everything"),
        ),
        ("no_opt_in".to_owned(), 1, id("never_asked")),
        ("opt_in_pending".to_owned(), 1, id("pending")),
        ("opted_out_of_purpose".to_owned(), 1, id("unsubscribed")),
    ];
    want.sort();
    let mut got = excluded.clone();
    got.sort();
    assert_eq!(got, want);

    // Sending starts a job (202): nothing is queued until it runs.
    let res = t
        .post(
            Role::Marketing,
            &format!("/api/v1/campaigns/{camp}/send"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let sent: Value = res.json().await.unwrap();
    assert_eq!(
        (
            sent["state"].as_str(),
            sent["already_sent"].as_bool(),
            sent["report"]["allowed"].as_u64()
        ),
        (Some("sending"), Some(false), Some(2))
    );
    let p = progress(&t, &camp).await;
    assert_eq!(
        (
            p["state"].as_str(),
            p["queued"].as_i64(),
            p["total"].as_u64()
        ),
        (Some("sending"), Some(0), Some(2))
    );
    // A second send while it is being sent starts nothing.
    let res = t
        .post(
            Role::Marketing,
            &format!("/api/v1/campaigns/{camp}/send"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["already_sent"].as_bool(),
        Some(true)
    );
    // Nor is it edited any more.
    let res = t
        .send(
            Role::Marketing,
            reqwest::Method::PUT,
            &format!("/api/v1/campaigns/{camp}"),
            &json!({"name": "Renamed", "category": "newsletter", "channel": "email", "segment_id": seg,
                    "content": {"fr": {"subject": "S", "body": "B"}, "en": {"subject": "S", "body": "B"}}}),
        )
        .await;
    expect_error(res, 409, "not_editable", None, None).await;
    t.app.run_due_jobs().await.unwrap();
    let p = progress(&t, &camp).await;
    assert_eq!(
        (
            p["state"].as_str(),
            p["queued"].as_i64(),
            p["total"].as_u64()
        ),
        (Some("sent"), Some(2), Some(2))
    );
    let again: Value = t
        .post(
            Role::Marketing,
            &format!("/api/v1/campaigns/{camp}/send"),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (again["state"].as_str(), again["already_sent"].as_bool()),
        (Some("sent"), Some(true))
    );

    let Some(smtp) =
        common::smtp_receiver("a_newsletter_reaches_exactly_the_allowed_contacts_over_smtp").await
    else {
        return;
    };
    let transport = common::smtp_transport(smtp.port);
    while t.app.deliver_due(&transport).await.unwrap() > 0 {}
    let mut newsletters = Vec::new();
    for _ in 0..100 {
        newsletters = smtp
            .received()
            .into_iter()
            .filter(|r| header(r, "List-Unsubscribe").is_some())
            .collect();
        if newsletters.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let to: BTreeSet<String> = newsletters
        .iter()
        .map(|r| header(r, "To").unwrap())
        .collect();
    assert_eq!(
        to,
        BTreeSet::from([
            "en_subscriber@example.fr".to_owned(),
            "fr_subscriber@example.fr".to_owned()
        ])
    );
    let english = newsletters
        .iter()
        .find(|r| header(r, "To").unwrap().starts_with("en_"))
        .unwrap();
    assert_eq!(header(english, "Subject").unwrap(), "December news");
    assert_eq!(
        header(english, "List-Unsubscribe-Post").unwrap(),
        "List-Unsubscribe=One-Click"
    );

    // Opens and clicks: only the French subscriber, who agreed, has a pixel and a
    // tracked link; the English one has the plain link and no pixel.
    let french = newsletters
        .iter()
        .find(|r| header(r, "To").unwrap().starts_with("fr_"))
        .unwrap();
    let (fr_html, en_html) = (html(french), html(english));
    let pixel = attr(&fr_html, &format!("{}/t/o/", t.url)).expect("a pixel for who agreed");
    let link = attr(&fr_html, &format!("{}/t/c/", t.url)).expect("a tracked link for who agreed");
    assert!(
        !en_html.contains("/t/o/") && !en_html.contains("/t/c/"),
        "{en_html}"
    );
    assert!(
        en_html.contains("href=\"https://example.fr/offre\""),
        "{en_html}"
    );
    let visits = |t: &TestApp| {
        let store = t.app.store.clone();
        async move {
            store
                .demo()
                .table_counts()
                .await
                .unwrap()
                .into_iter()
                .find(|(n, _)| *n == "activity")
                .unwrap()
                .1
        }
    };
    let before = visits(&t).await;
    let res = t.client.get(&pixel).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "image/gif");
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = no_redirect.get(&link).send().await.unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "https://example.fr/offre");
    assert_eq!(visits(&t).await, before + 2, "the open and the click");
    // The English subscriber did not agree: even a pixel made for them records nothing;
    // and a forged link records nothing and leads nowhere.
    let camp_id: uuid::Uuid = camp.parse().unwrap();
    let theirs = t
        .app
        .open_pixel(camp_id, id("en_subscriber").parse().unwrap());
    t.client.get(&theirs).send().await.unwrap();
    // The last two characters changed, whatever they were (a signature may end in 00).
    let tail = if link.ends_with("00") { "ff" } else { "00" };
    let forged = format!("{}{tail}", &link[..link.len() - 2]);
    assert_eq!(no_redirect.get(&forged).send().await.unwrap().status(), 404);
    assert_eq!(visits(&t).await, before + 2);

    // The mail client's one-click unsubscribe: a POST, no login, effective at once.
    let url = header(english, "List-Unsubscribe").unwrap();
    let url = url.trim_start_matches('<').trim_end_matches('>').to_owned();
    assert!(url.contains("/newsletter/email/"), "{url}");
    let res = t
        .client
        .post(&url)
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let d: Value = t
        .post(
            Role::Marketing,
            "/api/v1/decisions",
            &json!({"contact_id": id("en_subscriber"), "category": "newsletter", "channel": "email"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(d["rule"], "opted_out_of_purpose");
    let ledger = t
        .app
        .store
        .consents()
        .events(id("en_subscriber").parse().unwrap())
        .await
        .unwrap();
    let last = ledger.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.source.as_str()),
        ("withdraw", "email_link")
    );
}

/// A send whose access-audit entries cannot be written queues nothing: messages,
/// recipients and their audit commit together (S4); the retry sends once.
async fn a_send_and_its_audit_commit_together(
    t: TestApp,
    clock: std::sync::Arc<candor_domain::clock::FixedClock>,
) {
    people(&t).await;
    let seg = segment(&t).await;
    let camp = campaign(&t, &seg, &["fr", "en"]).await;
    let before = t.app.store.outbox().list(1000).await.unwrap().len();
    let res = t
        .post(
            Role::Marketing,
            &format!("/api/v1/campaigns/{camp}/send"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 202);
    // The job's first run cannot write the audit: it queues nothing and fails.
    t.fail_audit_writes(true).await;
    assert_eq!(t.app.run_due_jobs().await.unwrap(), 0);
    t.fail_audit_writes(false).await;
    let id: uuid::Uuid = camp.parse().unwrap();
    assert_eq!(t.app.store.outbox().list(1000).await.unwrap().len(), before);
    assert_eq!(
        t.app.store.campaigns().recipient_count(id).await.unwrap(),
        0
    );
    let p = progress(&t, &camp).await;
    assert_eq!(
        (p["state"].as_str(), p["failed_attempts"].as_i64()),
        (Some("sending"), Some(1))
    );
    assert!(p["retry_at"].is_string(), "{p}");
    // The retry (due a minute later) sends once.
    clock.advance(time::Duration::minutes(2));
    assert_eq!(t.app.run_due_jobs().await.unwrap(), 1);
    let sent = t.app.store.campaigns().recipient_count(id).await.unwrap();
    assert!(sent > 0);
    assert_eq!(
        t.app.store.outbox().list(1000).await.unwrap().len() as i64,
        before as i64 + sent
    );
}

async fn bad_segments_and_campaigns_are_refused_and_change_nothing(t: TestApp) {
    let seg = segment(&t).await;
    let before = t.snapshot().await;
    let res = t
        .post(
            Role::Marketing,
            "/api/v1/segments",
            &json!({"name": "x", "conditions": [{"field": "phone", "op": "contains", "value": "+33"}]}),
        )
        .await;
    expect_error(res, 403, "field_forbidden", Some("phone"), None).await;
    let res = t
        .post(
            Role::Marketing,
            "/api/v1/segments",
            &json!({"name": "x", "conditions": [{"field": "last_name", "op": "sounds_like", "value": "Morel"}]}),
        )
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("conditions[0].op"),
        Some("unknown_operator"),
    )
    .await;
    let res = t
        .post(
            Role::Marketing,
            "/api/v1/segments",
            &json!({"name": "x", "conditions": [{"consent": {"purpose": "newsletter", "channel": "email", "status": "maybe"}}]}),
        )
        .await;
    expect_error(
        res,
        422,
        "invalid_field",
        Some("conditions[0].consent.status"),
        Some("unknown_status"),
    )
    .await;
    let res = t
        .post(
            Role::Marketing,
            "/api/v1/segments",
            &json!({"name": "x", "conditions": [{"has_active_contract": true}]}),
        )
        .await;
    expect_error(res, 403, "field_forbidden", Some("contract.status"), None).await;
    for (body, field, rule) in [
        (
            json!({"name": "x", "category": "promo", "channel": "email", "segment_id": seg, "content": content(&["fr"])}),
            "category",
            "unknown_category",
        ),
        (
            json!({"name": "x", "category": "legal_notice", "channel": "email", "segment_id": seg, "content": content(&["fr"])}),
            "category",
            "not_a_campaign_category",
        ),
        (
            json!({"name": "x", "category": "newsletter", "channel": "sms", "segment_id": seg, "content": content(&["fr"])}),
            "channel",
            "unknown_channel",
        ),
        (
            json!({"name": "x", "category": "newsletter", "channel": "email", "segment_id": seg, "content": {"fr": {"subject": "", "body": "b"}}}),
            "content.fr.subject",
            "subject_format",
        ),
    ] {
        let res = t.post(Role::Marketing, "/api/v1/campaigns", &body).await;
        expect_error(res, 422, "invalid_field", Some(field), Some(rule)).await;
    }
    let res = t
        .post(
            Role::Support,
            "/api/v1/campaigns",
            &json!({"name": "x", "category": "newsletter", "channel": "email", "segment_id": seg, "content": content(&["fr"])}),
        )
        .await;
    expect_error(res, 403, "role_forbidden", None, None).await;
    // Categories that reach people who opted out are the admin's only: a promotion
    // cannot go out as a "security" or "contract_service" notice.
    for category in ["security", "contract_service"] {
        let res = t
            .post(
                Role::Marketing,
                "/api/v1/campaigns",
                &json!({"name": "x", "category": category, "channel": "email", "segment_id": seg, "content": content(&["fr"])}),
            )
            .await;
        expect_error(res, 403, "role_forbidden", None, None).await;
    }
    assert_eq!(t.snapshot().await, before);
    // An admin's security notice cannot be sent by marketing either: the send checks
    // the category's rule too.
    let res = t
        .post(
            Role::Admin,
            "/api/v1/campaigns",
            &json!({"name": "Alerte", "category": "security", "channel": "email", "segment_id": seg, "content": content(&["fr", "en"])}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let camp: Value = res.json().await.unwrap();
    let send = format!("/api/v1/campaigns/{}/send", camp["id"].as_str().unwrap());
    let outbox = t.app.store.outbox().list(1000).await.unwrap().len();
    expect_error(
        t.post(Role::Marketing, &send, &json!({})).await,
        403,
        "role_forbidden",
        None,
        None,
    )
    .await;
    assert_eq!(t.app.store.outbox().list(1000).await.unwrap().len(), outbox);
    assert_eq!(t.post(Role::Admin, &send, &json!({})).await.status(), 202);
}

/// Each kind of condition selects what it says, alone and combined (AND).
/// Segments are campaign audiences: the roles that may run campaigns make and preview
/// them, every other role is refused and changes nothing (issue 13's inconsistency).
async fn segments_follow_the_campaign_roles(t: TestApp) {
    let seg: Value = t
        .post(
            Role::Marketing,
            "/api/v1/segments",
            &json!({"name": "all", "conditions": []}),
        )
        .await
        .json()
        .await
        .unwrap();
    let preview = format!("/api/v1/segments/{}/preview", seg["id"].as_str().unwrap());
    for (role, create, read) in [
        (Role::Admin, 201, 200),
        (Role::Marketing, 201, 200),
        (Role::Dpo, 403, 403),
        (Role::Sales, 403, 403),
        (Role::Support, 403, 403),
    ] {
        let before = t.snapshot().await;
        let res = t
            .post(
                role,
                "/api/v1/segments",
                &json!({"name": "mine", "conditions": []}),
            )
            .await;
        assert_eq!(res.status().as_u16(), create, "{role:?} creates");
        if create != 201 {
            assert_eq!(t.snapshot().await, before, "{role:?} changed something");
        }
        assert_eq!(
            t.get(role, &preview).await.status().as_u16(),
            read,
            "{role:?} previews"
        );
    }
}

async fn segment_conditions_select_what_they_say(t: TestApp) {
    let people = people(&t).await;
    let id = |k: &str| people.iter().find(|(n, _)| *n == k).unwrap().1.clone();
    let contract = t
        .post(
            Role::Sales,
            &format!("/api/v1/contacts/{}/contracts", id("pending")),
            &json!({"reference": "ABO-1", "starts_on": "2020-01-01"}),
        )
        .await;
    assert_eq!(contract.status(), 201);
    let count = |conditions: Value| {
        let t = &t;
        async move {
            let res = t
                .post(
                    Role::Admin,
                    "/api/v1/segments",
                    &json!({"name": "s", "conditions": conditions}),
                )
                .await;
            assert_eq!(res.status(), 201, "{:?}", res.text().await);
            let seg: Value = res.json().await.unwrap();
            let preview: Value = t
                .get(
                    Role::Admin,
                    &format!(
                        "/api/v1/segments/{}/preview?limit=200",
                        seg["id"].as_str().unwrap()
                    ),
                )
                .await
                .json()
                .await
                .unwrap();
            let mut names: Vec<String> = preview["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["last_name"].as_str().unwrap().to_owned())
                .collect();
            names.sort();
            assert_eq!(preview["count"].as_u64().unwrap() as usize, names.len());
            names
        }
    };
    assert_eq!(count(json!([])).await.len(), 7);
    assert_eq!(
        count(json!([{"field": "country", "op": "equals", "value": "BE"}])).await,
        ["elsewhere"]
    );
    assert_eq!(
        count(json!([{"field": "last_name", "op": "contains", "value": "SUBSCRIB"}])).await,
        ["en_subscriber", "fr_subscriber", "unsubscribed"]
    );
    assert_eq!(
        count(json!([{"field": "kind", "op": "in", "values": ["b2c"]}])).await,
        ["pending"]
    );
    let today = time::OffsetDateTime::now_utc().date();
    let (yesterday, tomorrow) = (today.previous_day().unwrap(), today.next_day().unwrap());
    assert_eq!(
        count(json!([{"field": "created_at", "op": "between", "from": yesterday.to_string(), "to": tomorrow.to_string()}])).await.len(),
        7
    );
    assert!(
        count(json!([{"field": "created_at", "op": "between", "to": "2020-01-01"}]))
            .await
            .is_empty()
    );
    assert_eq!(
        count(json!([{"consent": {"purpose": "newsletter", "channel": "email", "status": "withdrawn"}}])).await,
        ["unsubscribed"]
    );
    assert_eq!(
        count(json!([{"consent": {"purpose": "newsletter", "channel": "email", "status": "never_asked"}}])).await,
        ["never_asked"]
    );
    assert_eq!(
        count(json!([{"has_active_contract": true}])).await,
        ["pending"]
    );
    assert_eq!(
        count(json!([
            {"field": "country", "op": "equals", "value": "FR"},
            {"consent": {"purpose": "newsletter", "channel": "email", "status": "effective"}}
        ]))
        .await,
        ["en_subscriber", "fr_subscriber", "opted_out_of_everything"]
    );
}

/// The last names of a segment's members, sorted.
async fn members(t: &TestApp, seg: &str) -> Vec<String> {
    let v: Value = t
        .get(
            Role::Admin,
            &format!("/api/v1/segments/{seg}/preview?limit=50"),
        )
        .await
        .json()
        .await
        .unwrap();
    let mut names: Vec<String> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["last_name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// M3: segments are listed, read with the campaigns that use them, replaced and
/// deleted (kept while a campaign uses them); a running contract is chosen by when it
/// started; a draft is edited until it is sent, previewed per language, and its test
/// goes to a staff member only.
async fn segments_and_drafts_are_edited_listed_and_deleted(t: TestApp) {
    let people = people(&t).await;
    let id = |k: &str| people.iter().find(|(n, _)| *n == k).unwrap().1.clone();
    let res = t
        .post(
            Role::Sales,
            &format!("/api/v1/contacts/{}/contracts", id("pending")),
            &json!({"reference": "ABO-2025", "starts_on": "2025-03-01"}),
        )
        .await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let seg = segment(&t).await;
    let listed: Value = t
        .get(Role::Marketing, "/api/v1/segments")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"][0]["id"], seg.as_str());
    assert_eq!(listed["items"][0]["conditions"][0]["field"], "country");

    // Replaced: French speakers with a contract that started in 2025 (the admin's:
    // marketing does not read contracts).
    let path = format!("/api/v1/segments/{seg}");
    let t = &t;
    let put = |body: Value| {
        let path = path.clone();
        async move {
            t.send(Role::Admin, reqwest::Method::PUT, &path, &body)
                .await
        }
    };
    let res = put(json!({"name": "2025 customers", "conditions": [
        {"field": "locale", "op": "equals", "value": "fr"},
        {"has_active_contract": true, "started_from": "2025-01-01", "started_until": "2025-12-31"}
    ]}))
    .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    assert_eq!(members(t, &seg).await, ["pending"]);
    let res = put(json!({"name": "2024 customers", "conditions": [
        {"has_active_contract": true, "started_until": "2025-02-28"}
    ]}))
    .await;
    assert_eq!(res.status(), 200);
    assert!(members(t, &seg).await.is_empty());
    // Bad input is named and changes nothing.
    let before: Value = t
        .get(Role::Admin, &format!("/api/v1/segments/{seg}"))
        .await
        .json()
        .await
        .unwrap();
    for (body, field, rule) in [
        (
            json!({"name": "x", "conditions": [{"has_active_contract": true, "started_from": "2025-12-31", "started_until": "2025-01-01"}]}),
            "conditions[0].started_until",
            "date_order",
        ),
        (
            json!({"name": "x", "conditions": [{"has_active_contract": true, "started_from": "last year"}]}),
            "conditions[0].started_from",
            "date_format",
        ),
        (
            json!({"name": "x", "conditions": [{"field": "city", "op": "equals", "value": "  "}]}),
            "conditions[0].value",
            "required",
        ),
        (
            json!({"name": "x", "conditions": [{"field": "created_at", "op": "between", "from": "2026-02-01", "to": "2026-01-01"}]}),
            "conditions[0].to",
            "date_order",
        ),
    ] {
        expect_error(
            put(body).await,
            422,
            "invalid_field",
            Some(field),
            Some(rule),
        )
        .await;
    }
    let after: Value = t
        .get(Role::Admin, &format!("/api/v1/segments/{seg}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(before, after);
    assert_eq!(after["name"], "2024 customers");
    // Marketing reads no contract: it may not choose by one.
    let res = t
        .send(
            Role::Marketing,
            reqwest::Method::PUT,
            &path,
            &json!({"name": "x", "conditions": [{"has_active_contract": true, "started_from": "2025-01-01"}]}),
        )
        .await;
    expect_error(res, 403, "field_forbidden", Some("contract.status"), None).await;
    let res = put(json!({"name": "France", "conditions": [{"field": "country", "op": "equals", "value": "FR"}]})).await;
    assert_eq!(res.status(), 200);

    // A draft: edited, previewed in each language, tested on a staff address only.
    let camp = campaign(t, &seg, &["fr"]).await;
    let res = t
        .send(
            Role::Marketing,
            reqwest::Method::PUT,
            &format!("/api/v1/campaigns/{camp}"),
            &json!({"name": "Janvier", "category": "newsletter", "channel": "email", "segment_id": seg,
                    "content": {"fr": {"subject": "Nos nouvelles", "body": "Bonjour, voir https://example.fr/n"},
                                "en": {"subject": "Our news", "body": "Hello"}}}),
        )
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let listed: Value = t
        .get(Role::Marketing, "/api/v1/campaigns")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"][0]["name"], "Janvier");
    let preview: Value = t
        .get(
            Role::Marketing,
            &format!("/api/v1/campaigns/{camp}/preview"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(preview["languages"]["fr"]["subject"], "Nos nouvelles");
    assert!(preview["languages"]["fr"]["text"]
        .as_str()
        .unwrap()
        .contains("Un clic suffit"));
    assert!(preview["languages"]["fr"]["html"]
        .as_str()
        .unwrap()
        .contains("<a href=\"https://example.fr/n\">"));
    assert_eq!(preview["languages"]["en"]["subject"], "Our news");
    // An API token has no address of its own: refused, nothing queued.
    let outbox = t.app.store.outbox().list(1000).await.unwrap().len();
    expect_error(
        t.post(
            Role::Marketing,
            &format!("/api/v1/campaigns/{camp}/test"),
            &json!({}),
        )
        .await,
        422,
        "invalid_field",
        Some("to"),
        Some("staff_only"),
    )
    .await;
    assert_eq!(t.app.store.outbox().list(1000).await.unwrap().len(), outbox);

    // Used by a campaign: the segment is kept and says by which.
    let res = t
        .send(
            Role::Marketing,
            reqwest::Method::DELETE,
            &format!("/api/v1/segments/{seg}"),
            &json!(null),
        )
        .await;
    expect_error(res, 409, "still_referenced", None, None).await;
    let detail: Value = t
        .get(Role::Marketing, &format!("/api/v1/segments/{seg}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["campaigns"][0]["id"], camp.as_str());
    // An unused one goes.
    let other = segment(t).await;
    let res = t
        .send(
            Role::Marketing,
            reqwest::Method::DELETE,
            &format!("/api/v1/segments/{other}"),
            &json!(null),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        t.get(Role::Marketing, &format!("/api/v1/segments/{other}"))
            .await
            .status(),
        404
    );
    // Sales does not run campaigns: neither lists nor deletes segments.
    assert_eq!(t.get(Role::Sales, "/api/v1/segments").await.status(), 403);
    let res = t
        .send(
            Role::Sales,
            reqwest::Method::DELETE,
            &format!("/api/v1/segments/{seg}"),
            &json!(null),
        )
        .await;
    assert_eq!(res.status(), 403);
}

mod clocked {
    use super::*;
    on_both_backends_with_clock!(a_send_and_its_audit_commit_together);
}

on_both_backends!(
    segments_and_drafts_are_edited_listed_and_deleted,
    segment_conditions_select_what_they_say,
    a_newsletter_reaches_exactly_the_allowed_contacts_over_smtp,
    bad_segments_and_campaigns_are_refused_and_change_nothing,
    segments_follow_the_campaign_roles,
);
