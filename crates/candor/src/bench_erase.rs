//! `candor bench erase`: erasing people through the erasure use case (registry walk,
//! sealed heads, legal holds, record, suppression list) against raw SQL deleting the
//! same people's rows, in the same run: one person with many events, then a purge of
//! many people one transaction each, while another task writes and times how long it
//! waits.

use anyhow::Result;
use candor_domain::audit::{AccessEvent, AuditAction};
use candor_domain::erasure::Why;
use std::time::{Duration, Instant};

/// Gives `subject` `events` access-audit entries and `events` web visits.
async fn with_events(
    app: &candor_app::Candor,
    actor: &str,
    subject: uuid::Uuid,
    events: u64,
) -> Result<()> {
    let now = app.now();
    let reads: Vec<AccessEvent> = (0..events)
        .map(|i| AccessEvent {
            subject_id: subject,
            actor: actor.to_owned(),
            action: AuditAction::Read,
            fields: vec!["email".into(), "phone".into()],
            endpoint: "GET /api/v1/contacts/{id}".into(),
            at: now + time::Duration::microseconds(i as i64),
        })
        .collect();
    for chunk in reads.chunks(1000) {
        app.store.audit().append(chunk.to_vec()).await?;
    }
    // In one transaction: the setup, not what is measured.
    let visits: Vec<candor_store::ActivityRecord> = (0..events)
        .map(|i| candor_store::ActivityRecord {
            id: uuid::Uuid::now_v7(),
            contact_id: subject,
            kind: "web_visit".into(),
            at: now + time::Duration::microseconds(i as i64),
            detail: format!("/page/{i}"),
        })
        .collect();
    app.store
        .demo()
        .insert_batch(&[], &[], &[], &visits)
        .await?;
    Ok(())
}

pub async fn run(contacts: u64, events: u64, purge: u64, postgres: Option<String>) -> Result<()> {
    let pg = postgres.as_deref();
    let (dir, cfg, app, actor) = crate::bench::demo_app("erase", contacts, pg).await?;
    let err = |e: candor_app::AppError| anyhow::anyhow!("{e}");
    let n = u32::try_from(6 + 2 * purge).unwrap_or(u32::MAX);
    let ids: Vec<uuid::Uuid> = app
        .store
        .bench()
        .sample_contact_ids(n)
        .await?
        .iter()
        .map(|s| uuid::Uuid::parse_str(s))
        .collect::<Result<_, _>>()?;
    anyhow::ensure!(
        ids.len() as u64 >= 6 + 2 * purge,
        "not enough contacts to erase"
    );
    println!(
        "backend: {}, {contacts} contacts",
        if pg.is_some() { "PostgreSQL" } else { "SQLite" }
    );

    // One person with many events, three times each way, alternating.
    for s in &ids[..6] {
        with_events(&app, &actor.audit_name, *s, events).await?;
    }
    let mut best = f64::MAX;
    let mut best_raw = f64::MAX;
    for pair in ids[..6].chunks(2) {
        let t = Instant::now();
        app.erase_contact(&actor, pair[0], Why::Staff)
            .await
            .map_err(err)?;
        best = best.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        app.store.bench().raw_erase(pair[1]).await?;
        best_raw = best_raw.min(t.elapsed().as_secs_f64());
    }
    println!(
        "one person with {events} audit entries and {events} web visits: erasure {:.1} ms (target < 50 ms)  raw SQL {:.1} ms  ratio {:.2}, best of 3",
        best * 1e3,
        best_raw * 1e3,
        best / best_raw
    );

    if purge > 0 {
        // A writer that keeps writing (an audit entry of a person not erased) and keeps
        // the longest it waited.
        let (stop_tx, mut stop) = tokio::sync::watch::channel(false);
        let writer_app = app.clone();
        let other = ids[ids.len() - 1];
        let name = actor.audit_name.clone();
        let writer = tokio::spawn(async move {
            let mut worst = Duration::ZERO;
            let mut writes = 0u64;
            loop {
                let t = Instant::now();
                let ev = AccessEvent {
                    subject_id: other,
                    actor: name.clone(),
                    action: AuditAction::Read,
                    fields: vec!["email".into()],
                    endpoint: "bench".into(),
                    at: writer_app.now(),
                };
                if writer_app.store.audit().append(vec![ev]).await.is_err() {
                    break;
                }
                worst = worst.max(t.elapsed());
                writes += 1;
                tokio::select! {
                    _ = stop.changed() => break,
                    _ = tokio::time::sleep(Duration::from_millis(5)) => {}
                }
            }
            (worst, writes)
        });
        let people = &ids[6..6 + purge as usize];
        let raw_people = &ids[6 + purge as usize..6 + 2 * purge as usize - 1];
        let t = Instant::now();
        // As a retention run erases: in batches of 500, the log emptied after each.
        for batch in people.chunks(500) {
            app.erase_batch(
                "policy:bench",
                batch,
                &Why::Policy("bench".into()),
                &mut |_| {},
            )
            .await
            .map_err(err)?;
        }
        let took = t.elapsed().as_secs_f64();
        let _ = stop_tx.send(true);
        let (worst, writes) = writer.await?;
        let t = Instant::now();
        for s in raw_people {
            app.store.bench().raw_erase(*s).await?;
        }
        let raw = t.elapsed().as_secs_f64() * people.len() as f64 / raw_people.len().max(1) as f64;
        println!(
            "purge of {} demo people (orders, visits, consents), one transaction each: erasure {took:.2} s ({:.1} ms each)  raw SQL {raw:.2} s  ratio {:.2} (target <= 2.0)",
            people.len(),
            took * 1e3 / people.len() as f64,
            took / raw
        );
        println!(
            "a concurrent writer waited at most {:.1} ms over {writes} writes during the purge (target about 100 ms)",
            worst.as_secs_f64() * 1e3
        );
    }
    app.store.close().await;
    crate::bench::drop_database(pg, &cfg).await;
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
