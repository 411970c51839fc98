//! `candor bench export`: the access bundle of one person with many audit and activity
//! events, on a large database, against the raw work of reading the same rows and
//! serialising them to JSON, in the same run.

use anyhow::Result;
use candor_domain::audit::{AccessEvent, AuditAction};
use std::time::Instant;

pub async fn run(contacts: u64, events: u64, postgres: Option<String>) -> Result<()> {
    let pg = postgres.as_deref();
    let (dir, cfg, app, actor) = crate::bench::demo_app("export", contacts, pg).await?;
    let err = |e: candor_app::AppError| anyhow::anyhow!("{e}");
    let subject = uuid::Uuid::parse_str(&app.store.bench().sample_contact_ids(1).await?[0])?;
    let now = app.now();
    let reads: Vec<AccessEvent> = (0..events)
        .map(|i| AccessEvent {
            subject_id: subject,
            actor: actor.audit_name.clone(),
            action: AuditAction::Read,
            fields: vec!["email".into(), "phone".into()],
            endpoint: "GET /api/v1/contacts/{id}".into(),
            at: now + time::Duration::microseconds(i as i64),
        })
        .collect();
    for chunk in reads.chunks(1000) {
        app.store.audit().append(chunk.to_vec()).await?;
    }
    for i in 0..events {
        app.store
            .activity()
            .record(&candor_store::ActivityRecord {
                id: uuid::Uuid::now_v7(),
                contact_id: subject,
                kind: "web_visit".into(),
                at: now + time::Duration::microseconds(i as i64),
                detail: format!("/page/{i}"),
            })
            .await?;
    }
    println!(
        "backend: {}, {contacts} contacts; one person with {events} audit entries and {events} web visits",
        if pg.is_some() { "PostgreSQL" } else { "SQLite" }
    );
    let mut best_bundle = f64::MAX;
    let mut best_raw = f64::MAX;
    let mut size = 0;
    let mut bundle_peak = None;
    for _ in 0..3 {
        let t = Instant::now();
        let tables = app.store.subjects().rows(subject).await?;
        let raw = serde_json::to_vec(&tables)?;
        best_raw = best_raw.min(t.elapsed().as_secs_f64());
        anyhow::ensure!(!raw.is_empty());
        drop((tables, raw));
        let before = crate::bench::rss_mib();
        let reset = crate::bench::reset_peak_rss();
        let t = Instant::now();
        let mut file = candor_app::bundle::spool().map_err(err)?;
        app.write_bundle(&actor, subject, &mut file, "bench export")
            .await
            .map_err(err)?;
        best_bundle = best_bundle.min(t.elapsed().as_secs_f64());
        size = file.metadata()?.len();
        if let (true, Some(b), Some(p)) = (reset, before, crate::bench::peak_rss_mib()) {
            bundle_peak = Some((b, p));
        }
    }
    println!(
        "bundle {best_bundle:.3} s ({:.1} MiB zip, written to a temporary file)  raw read + JSON {best_raw:.3} s  ratio {:.2} (target <= 2.0), best of 3",
        size as f64 / 1048576.0,
        best_bundle / best_raw
    );
    match bundle_peak {
        Some((before, peak)) => println!(
            "memory while the bundle is written: {before:.0} MiB before, peak {peak:.0} MiB (+{:.1} MiB for a {:.1} MiB bundle)",
            peak - before,
            size as f64 / 1048576.0
        ),
        None => println!("memory while the bundle is written: not measurable here (Linux /proc only)"),
    }
    app.store.close().await;
    crate::bench::drop_database(pg, &cfg).await;
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
