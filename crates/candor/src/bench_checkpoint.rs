//! `candor bench checkpoint`: the cost of a signed checkpoint (S4) over every chain's
//! head of a large database. A checkpoint holds the write transaction while it moves
//! the kept heads forward and hashes them all in order, so its time is how long
//! writers wait. Three checkpoints are timed: the first (every head new), one after 1%
//! of the contacts were read (their audit chains grow or start), and one with nothing
//! changed (it still compares every head, then writes nothing); each against reading
//! and hashing the same heads with nothing written, in the same run.

use anyhow::Result;
use std::time::Instant;

pub async fn run(contacts: u64, postgres: Option<String>) -> Result<()> {
    let pg = postgres.as_deref();
    let (dir, cfg, app, actor) = crate::bench::demo_app("checkpoint", contacts, pg).await?;
    let err = |e: candor_app::AppError| anyhow::anyhow!("{e}");
    println!(
        "backend: {}, {contacts} contacts",
        if pg.is_some() { "PostgreSQL" } else { "SQLite" }
    );

    let timed_raw = || async {
        let t = Instant::now();
        let (chains, root) = app.store.bench().heads_root().await?;
        anyhow::Ok((t.elapsed().as_secs_f64(), chains, root))
    };
    let timed_checkpoint = || async {
        let t = Instant::now();
        let made = app.checkpoint().await.map_err(err)?;
        anyhow::Ok((t.elapsed().as_secs_f64(), made))
    };
    let report = |what: &str, secs: f64, raw: f64, chains: u64, made: bool| {
        println!(
            "{what:<34} {chains:>9} chains  checkpoint {secs:>7.3} s  raw read+hash {raw:>7.3} s  ratio {:>5.2}{}",
            secs / raw,
            if made { "" } else { "  (nothing changed: none written)" }
        );
    };

    let (raw, chains, root) = timed_raw().await?;
    let (secs, made) = timed_checkpoint().await?;
    let made = made.ok_or_else(|| anyhow::anyhow!("the first checkpoint made nothing"))?;
    anyhow::ensure!(
        made.root == root,
        "the checkpoint's root differs from the raw one"
    );
    report("first (every head new)", secs, raw, chains, true);

    let sample = app
        .store
        .bench()
        .sample_contact_ids((contacts / 100).max(1) as u32)
        .await?;
    for id in &sample {
        let id = uuid::Uuid::parse_str(id)?;
        app.get_contact(&actor, id, "bench checkpoint")
            .await
            .map_err(err)?;
    }
    let (raw, chains, root) = timed_raw().await?;
    let (secs, made) = timed_checkpoint().await?;
    let made = made.ok_or_else(|| anyhow::anyhow!("the second checkpoint made nothing"))?;
    anyhow::ensure!(
        made.root == root,
        "the checkpoint's root differs from the raw one"
    );
    report(
        &format!("after {} reads (1%)", sample.len()),
        secs,
        raw,
        chains,
        true,
    );

    let (raw, chains, _) = timed_raw().await?;
    let (secs, made) = timed_checkpoint().await?;
    report("nothing changed", secs, raw, chains, made.is_some());
    if let Some(mib) = crate::bench::peak_rss_mib() {
        println!("peak memory: {mib:.0} MiB");
    }

    app.store.close().await;
    crate::bench::drop_database(pg, &cfg).await;
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
