//! The compliance dashboard (O1, R7) on both backends, with a test clock, on demo
//! data: each count equals an independent query, an overdue request and a late breach
//! show with their articles and the maximum fine of their tier, the fines follow the
//! turnover (a negative one is refused, naming it), the chains' verification runs as a
//! job and shows, the lists behind the counts hold the same people, and the DPO's
//! digest names the breaches whose clock runs.

mod common;

use candor_domain::clock::FixedClock;
use candor_domain::Role;
use common::{expect_error, TestApp};
use serde_json::{json, Value};
use std::sync::Arc;

async fn dashboard(t: &TestApp, query: &str) -> Value {
    let res = t
        .get(Role::Dpo, &format!("/api/v1/compliance{query}"))
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn item<'a>(d: &'a Value, name: &str) -> &'a Value {
    d["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == name)
        .unwrap_or_else(|| panic!("no item {name} in {d}"))
}

async fn the_dashboard_counts_what_the_store_holds(t: TestApp, c: Arc<FixedClock>) {
    t.app.generate_demo(300, 5, &mut |_| {}).await.unwrap();
    expect_error(
        t.get(Role::Sales, "/api/v1/compliance").await,
        403,
        "role_forbidden",
        None,
        None,
    )
    .await;

    // Counted independently, the clock at 10 February 2026.
    let no_basis = t
        .count(
            "SELECT COUNT(*) FROM contact WHERE \
             id NOT IN (SELECT subject_id FROM consent_state WHERE status = 'effective' AND purpose <> '*') \
             AND id NOT IN (SELECT contact_id FROM contract WHERE contact_id IS NOT NULL AND status = 'active' \
               AND starts_on <= '2026-02-10' AND (ends_on IS NULL OR ends_on >= '2026-02-10')) \
             AND (company_id IS NULL OR company_id NOT IN (SELECT company_id FROM contract WHERE company_id IS NOT NULL \
               AND status = 'active' AND starts_on <= '2026-02-10' AND (ends_on IS NULL OR ends_on >= '2026-02-10'))) \
             AND id NOT IN (SELECT subject_id FROM subject_request WHERE subject_id IS NOT NULL \
               AND status NOT IN ('answered', 'refused'))",
        )
        .await;
    let pending = t
        .count(
            "SELECT COUNT(DISTINCT subject_id) FROM consent_state WHERE status = 'pending' \
             AND reason = 'double_opt_in' AND since < '2026-02-03T09:30:00.000000Z'",
        )
        .await;
    assert!(no_basis > 0, "demo data has prospects without consent");
    let d = dashboard(&t, "").await;
    assert_eq!(item(&d, "no_lawful_basis")["count"], no_basis, "{d}");
    assert_eq!(item(&d, "pending_consents")["count"], pending, "{d}");
    assert_eq!(item(&d, "unjustified_fields")["count"], 0);
    assert_eq!(item(&d, "overdue_requests")["count"], 0);
    assert_eq!(item(&d, "breaches_late")["count"], 0);
    assert_eq!(item(&d, "retention_late")["count"], 0);
    assert_eq!(item(&d, "no_lawful_basis")["article"], "Art. 6(1)");
    assert_eq!(item(&d, "no_lawful_basis")["tier"], "83(5)");
    assert_eq!(item(&d, "no_lawful_basis")["exposure_eur"], 20_000_000);
    assert_eq!(
        item(&d, "no_lawful_basis")["link"],
        "/compliance/no_lawful_basis"
    );
    // Never verified: it says so.
    assert_eq!(item(&d, "chains_unverified")["count"], 1);
    assert!(d.get("last_verify").is_none());

    // The list behind the count: the same people, a page at a time.
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let page: Value = t
            .get(
                Role::Dpo,
                &format!("/api/v1/compliance/no_lawful_basis/contacts?limit=40{after}"),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["count"], no_basis);
        let ids = page["contacts"].as_array().unwrap().clone();
        if ids.is_empty() {
            break;
        }
        after = format!("&after={}", ids.last().unwrap().as_str().unwrap());
        seen.extend(ids);
    }
    assert_eq!(seen.len() as i64, no_basis);
    assert_eq!(
        t.get(Role::Dpo, "/api/v1/compliance/everyone/contacts")
            .await
            .status(),
        404
    );

    // An overdue request and a breach discovered an hour ago.
    let someone = seen[0].as_str().unwrap();
    let res = t
        .post(
            Role::Dpo,
            "/api/v1/requests",
            &json!({"kind": "access", "channel": "letter", "received_on": "2025-12-01", "contact_id": someone}),
        )
        .await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let res = t
        .post(
            Role::Dpo,
            "/api/v1/breaches",
            &json!({"discovered_at": "2026-02-10T08:30:00Z", "natures": ["confidentiality"],
                    "description": "Un ordinateur portable volé.", "data_categories": ["identifying"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let d = dashboard(&t, "").await;
    assert_eq!(item(&d, "overdue_requests")["count"], 1);
    assert_eq!(item(&d, "overdue_requests")["article"], "Art. 12(3)");
    assert_eq!(
        item(&d, "no_lawful_basis")["count"],
        no_basis - 1,
        "an open request is a reason to keep the person"
    );
    let running = item(&d, "breach_clocks_running");
    assert_eq!(
        (running["count"].clone(), running["warning_only"].clone()),
        (json!(1), json!(true))
    );
    assert!(
        running.get("exposure_eur").is_none(),
        "a clock running is no breach yet"
    );
    assert_eq!(d["exposure_eur"], 20_000_000);
    assert_eq!(d["max_fine_83_4_eur"], 10_000_000);

    // The fines follow the turnover: 4% of EUR 1.2 billion is 48 million.
    let d = dashboard(&t, "?annual_turnover_eur=1200000000").await;
    assert_eq!(d["max_fine_83_5_eur"], 48_000_000);
    assert_eq!(d["max_fine_83_4_eur"], 24_000_000);
    assert_eq!(d["exposure_eur"], 48_000_000);
    expect_error(
        t.get(Role::Dpo, "/api/v1/compliance?annual_turnover_eur=-5")
            .await,
        422,
        "invalid_field",
        Some("annual_turnover_eur"),
        Some("non_negative"),
    )
    .await;

    // The first verification runs at once as a job, and shows.
    t.app.schedule_recurring_jobs().await.unwrap();
    t.app.run_due_jobs().await.unwrap();
    let d = dashboard(&t, "").await;
    assert_eq!(item(&d, "chains_unverified")["count"], 0, "{d}");
    assert_eq!(d["last_verify"]["broken"], 0);
    assert_eq!(d["last_verify"]["actor"], "job:verify");

    // At 07:00 the DPO's digest names the breach whose clock runs.
    c.advance(time::Duration::hours(22));
    t.app.run_due_jobs().await.unwrap();
    let digest = t
        .mailbox()
        .await
        .into_iter()
        .find(|m| {
            m["recipient"] == "dpo@candor.invalid"
                && m["subject"].as_str().unwrap().contains("en retard")
        })
        .expect("a digest");
    let body = digest["body_text"].as_str().unwrap();
    assert!(
        body.contains("violations de données pas encore notifiées à la CNIL : 1")
            && body.contains("h restantes"),
        "{body}"
    );

    // Past 72 hours: late, a breach of Art. 33(1), tier 83(4).
    c.advance(time::Duration::hours(50));
    let d = dashboard(&t, "").await;
    let late = item(&d, "breaches_late");
    assert_eq!(late["count"], 1);
    assert_eq!(late["article"], "Art. 33(1)");
    assert_eq!(late["exposure_eur"], 10_000_000);
    assert_eq!(item(&d, "breach_clocks_running")["count"], 0);
}

on_both_backends_with_clock!(the_dashboard_counts_what_the_store_holds);
