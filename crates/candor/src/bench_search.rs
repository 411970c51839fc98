//! `candor bench search`: the header's contact search (O1) as staff use it, through
//! the application (role rights, search terms, the audit entries of the contacts
//! shown), on queries made from sampled contacts: full names, a first name and the
//! start of a last name, starts of last names, starts of emails, phone numbers as
//! people write them. Printed as percentiles, with the list page's search (a page and
//! its count), against a scan of the names without an index in the same run.

use anyhow::{ensure, Result};
use std::time::Instant;

/// Percentiles of durations, in milliseconds.
fn percentiles(mut ms: Vec<f64>) -> (f64, f64, f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 * p).ceil() as usize).clamp(1, ms.len()) - 1];
    (at(0.50), at(0.95), at(0.99), at(1.0))
}

/// The first `n` characters of `s`.
fn start(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// A phone number as a person types it: "06 12 34" for +33612345678.
fn typed_phone(e164: &str) -> String {
    let national = match e164.strip_prefix("+33") {
        Some(rest) => format!("0{rest}"),
        None => e164.to_owned(),
    };
    let digits: Vec<char> = national.chars().take(6).collect();
    digits
        .chunks(2)
        .map(|p| p.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

pub async fn run(contacts: u64, queries: u32, postgres: Option<String>) -> Result<()> {
    let pg = postgres.as_deref();
    let (dir, cfg, app, actor) = crate::bench::demo_app("search", contacts, pg).await?;
    let err = |e: candor_app::AppError| anyhow::anyhow!("{e}");
    println!(
        "candor bench search: {contacts} demo contacts, {}",
        if pg.is_some() { "PostgreSQL" } else { "SQLite" }
    );
    // A bulk load leaves no statistics (and on PostgreSQL no visibility map): a live
    // database has both from autovacuum.
    let t = Instant::now();
    app.store.bench().settle().await?;
    println!(
        "settled (PostgreSQL VACUUM (ANALYZE), SQLite ANALYZE) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // Contacts spread over the table: every k-th of the sampled ids.
    let ids = app
        .store
        .bench()
        .sample_contact_ids(u32::try_from(contacts).unwrap_or(u32::MAX))
        .await?;
    let step = (ids.len() / queries.max(1) as usize).max(1);
    let mut work: Vec<(String, uuid::Uuid, bool)> = Vec::new();
    for (i, id) in ids.iter().step_by(step).enumerate() {
        let id = uuid::Uuid::parse_str(id)?;
        let Some(c) = app.store.contacts().get(id).await? else {
            continue;
        };
        let last = c.data.last_name.as_str().to_owned();
        let first = c
            .data
            .first_name
            .as_ref()
            .map(|f| f.as_str().to_owned())
            .unwrap_or_default();
        // (query, the contact it comes from, whether that contact must be among the
        // first results: only for what names one person).
        let q = match i % 5 {
            0 => (format!("{first} {last}").to_lowercase(), false),
            1 => (format!("{first} {}", start(&last, 3)), false),
            2 => (start(&last, 2 + i % 3), false),
            3 => match &c.data.email {
                Some(e) => (e.as_str().to_owned(), true),
                None => (last.clone(), false),
            },
            _ => match &c.data.phone {
                Some(p) => (typed_phone(p.as_str()), false),
                None => (format!("{last} {first}"), false),
            },
        };
        work.push((q.0, id, q.1));
        if work.len() >= queries as usize {
            break;
        }
    }
    ensure!(!work.is_empty(), "no contacts to search");

    // The header's search, through the application, as you type: 8 results.
    let mut quick = Vec::with_capacity(work.len());
    let mut missed = 0;
    let mut empty = 0;
    for (q, id, exact) in &work {
        let t = Instant::now();
        let found = app
            .search_contacts(&actor, q, 8, "bench")
            .await
            .map_err(err)?;
        quick.push(t.elapsed().as_secs_f64() * 1e3);
        if found.is_empty() {
            empty += 1;
        }
        if *exact && !found.iter().any(|v| v["id"] == id.to_string()) {
            missed += 1;
        }
    }
    ensure!(
        missed == 0,
        "{missed} email searches did not find their contact"
    );
    // The list page: 25 contacts and the count of all that match.
    let mut list = Vec::new();
    for (q, _, _) in work.iter().take(500) {
        let query = candor_app::contacts::ListQuery {
            q: Some(q.clone()),
            limit: Some(25),
            ..Default::default()
        };
        let t = Instant::now();
        app.count_contacts(&actor, &query).await.map_err(err)?;
        app.list_contacts(&actor, query, "bench")
            .await
            .map_err(err)?;
        list.push(t.elapsed().as_secs_f64() * 1e3);
    }
    // Without an index: the names scanned for the name queries (a sample: each reads
    // the whole table).
    let mut scan = Vec::new();
    let mut ours_same = Vec::new();
    for (i, (q, _, _)) in work.iter().enumerate().filter(|(i, _)| i % 5 == 0).take(20) {
        let pattern = format!("%{}%", q.to_lowercase());
        let t = Instant::now();
        app.store.bench().scan_names(&pattern, 8).await?;
        scan.push(t.elapsed().as_secs_f64() * 1e3);
        ours_same.push(quick[i]);
    }

    let (p50, p95, p99, max) = percentiles(quick.clone());
    println!(
        "header search, {} queries (full names, first name and start of last name, starts of last names, emails, phones typed as people do), 8 results, audited:",
        quick.len()
    );
    println!(
        "  p50 {p50:.2} ms  p95 {p95:.2} ms  p99 {p99:.2} ms (target < 50 ms)  max {max:.2} ms; {empty} found no one"
    );
    let listed = list.len();
    let (l50, l95, l99, lmax) = percentiles(list);
    println!(
        "list page search (25 contacts, and the count of the matches up to 10,001), {listed} queries: p50 {l50:.2} ms  p95 {l95:.2} ms  p99 {l99:.2} ms  max {lmax:.2} ms"
    );
    let (s50, _, _, _) = percentiles(scan);
    let (o50, _, _, _) = percentiles(ours_same);
    println!(
        "full names without an index (a LIKE scan of every name, the first 8 by name), 20 queries: p50 {s50:.1} ms; the header search on the same queries p50 {o50:.2} ms; ratio scan / search {:.0}",
        s50 / o50.max(1e-6)
    );
    app.store.close().await;
    crate::bench::drop_database(pg, &cfg).await;
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
