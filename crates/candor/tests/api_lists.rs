//! Listing contacts: filters, pagination, and one audit entry per contact shown (S4).

mod common;

use candor_domain::Role;
use common::{expect_error, TestApp};
use serde_json::{json, Value};
use std::collections::HashSet;

async fn seed(t: &TestApp) -> (String, Vec<String>) {
    let co = t.company("Groupe Martin SA", "12002701600043").await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let body = if i % 2 == 0 {
            json!({"kind": "b2b", "company_id": co, "last_name": format!("Martin{i}"), "email": format!("m{i}@example.com")})
        } else {
            json!({"kind": "b2c", "last_name": format!("Petit{i}"), "email": format!("p{i}@example.com")})
        };
        ids.push(t.contact(body).await);
    }
    (co, ids)
}

async fn page(t: &TestApp, role: Role, q: &str) -> Value {
    let res = t.get(role, &format!("/api/v1/contacts?{q}")).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn the_cursor_walks_every_contact_once(t: TestApp) {
    let (_, ids) = seed(&t).await;
    let mut seen = Vec::new();
    let mut q = "limit=3".to_owned();
    loop {
        let p = page(&t, Role::Sales, &q).await;
        seen.extend(
            p["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned()),
        );
        match p["next_cursor"].as_str() {
            Some(c) => q = format!("limit=3&after={c}"),
            None => break,
        }
    }
    assert_eq!(seen, ids);
}

async fn filters_by_kind_company_and_email(t: TestApp) {
    let (co, ids) = seed(&t).await;
    let b2c = page(&t, Role::Sales, "kind=b2c").await;
    assert_eq!(b2c["items"].as_array().unwrap().len(), 3);
    assert!(b2c["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["kind"] == "b2c"));
    let at_co = page(&t, Role::Sales, &format!("company_id={co}")).await;
    assert_eq!(at_co["items"].as_array().unwrap().len(), 4);
    let one = page(&t, Role::Sales, "email=P3%40Example.com").await;
    let items = one["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], ids[3].as_str());
}

async fn a_role_may_not_filter_on_a_field_it_may_not_read(t: TestApp) {
    seed(&t).await;
    let res = t
        .get(Role::Marketing, "/api/v1/contacts?email=p3%40example.com")
        .await;
    expect_error(res, 403, "field_forbidden", Some("email"), None).await;
    expect_error(
        t.get(Role::Sales, "/api/v1/contacts?shoe=1").await,
        400,
        "invalid_query",
        None,
        None,
    )
    .await;
    expect_error(
        t.get(Role::Sales, "/api/v1/contacts?limit=500").await,
        422,
        "invalid_field",
        Some("limit"),
        Some("page_size"),
    )
    .await;
    expect_error(
        t.get(Role::Sales, "/api/v1/contacts?kind=b3b").await,
        422,
        "invalid_field",
        Some("kind"),
        None,
    )
    .await;
}

async fn listing_logs_one_audit_entry_per_contact_shown(t: TestApp) {
    let (_, ids) = seed(&t).await;
    let p = page(&t, Role::Support, "limit=4").await;
    let shown: HashSet<String> = p["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    for id in &ids {
        let audit: Vec<Value> = t
            .get(Role::Dpo, &format!("/api/v1/contacts/{id}/audit"))
            .await
            .json()
            .await
            .unwrap();
        let listed = audit.iter().filter(|e| e["action"] == "list").count();
        assert_eq!(listed, usize::from(shown.contains(id)), "{id}");
    }
}

/// `q` finds contacts by any word of their names, their email or part of it, their
/// phone in any format, without case or accents, in the fields the role may read;
/// words that leave nothing to search are refused, naming the parameter.
async fn q_searches_names_emails_and_phones(t: TestApp) {
    let helene = t
        .contact(
            json!({"kind": "b2c", "first_name": "Hélène", "last_name": "Lefèvre",
            "email": "helene.lefevre@example.fr", "phone": "+33 6 12 34 56 78"}),
        )
        .await;
    let mathis = t
        .contact(
            json!({"kind": "b2c", "first_name": "Mathis", "last_name": "Durand",
            "email": "m.durand@example.com"}),
        )
        .await;
    let ids = |p: Value| -> Vec<String> {
        p["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    for q in [
        "helene%20lef",
        "LEFEVRE",
        "lef%C3%A8vre%20h%C3%A9l%C3%A8ne",
        "helene.lefevre%40ex",
        "06%2012%2034",
        "0612345678",
    ] {
        assert_eq!(
            ids(page(&t, Role::Sales, &format!("q={q}")).await),
            vec![helene.clone()],
            "{q}"
        );
    }
    assert_eq!(
        ids(page(&t, Role::Sales, "q=mathis%20durand").await),
        vec![mathis.clone()]
    );
    assert_eq!(ids(page(&t, Role::Sales, "q=example").await).len(), 2);
    assert!(ids(page(&t, Role::Sales, "q=helene%20durand").await).is_empty());
    // Marketing may not read emails: an address is not searched for it, names are.
    assert!(ids(page(&t, Role::Marketing, "q=m.durand%40example").await).is_empty());
    assert_eq!(ids(page(&t, Role::Marketing, "q=durand").await), [mathis]);
    expect_error(
        t.get(Role::Sales, "/api/v1/contacts?q=%20-%20").await,
        422,
        "invalid_field",
        Some("q"),
        Some("search_words"),
    )
    .await;
}

on_both_backends!(
    q_searches_names_emails_and_phones,
    the_cursor_walks_every_contact_once,
    filters_by_kind_company_and_email,
    a_role_may_not_filter_on_a_field_it_may_not_read,
    listing_logs_one_audit_entry_per_contact_shown,
);
