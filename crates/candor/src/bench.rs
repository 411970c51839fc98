//! `candor bench read`: reading one contact over HTTP, its audit entry committed
//! before the answer, under wrk on loopback, against a raw axum + SQLite endpoint
//! doing the same read and insert on the same database in the same run.
//!
//! `candor bench import`: importing a demo CSV file of contacts with a consent each,
//! against the raw bulk insert of the same rows into the same schema (multi-row INSERT
//! on SQLite, COPY on PostgreSQL) in the same run.
//!
//! `candor bench checkpoint`: see `bench_checkpoint.rs`.
//!
//! `candor bench deliver`: delivering a queued newsletter to a local aiosmtpd sink,
//! against a minimal lettre loop sending the same messages through the same pool and
//! concurrency in the same run.

use crate::config::Config;
use anyhow::{bail, Context, Result};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use candor_domain::Role;
use candor_store::Store;
use std::process::Command;

#[derive(clap::Subcommand)]
pub enum BenchCommand {
    /// Contact reads with their audit entries, over HTTP, under wrk.
    Read {
        /// Contacts in the database.
        #[arg(long, default_value_t = 10_000)]
        contacts: u64,
        /// Seconds of load for each endpoint.
        #[arg(long, default_value_t = 10)]
        seconds: u32,
        /// Open connections.
        #[arg(long, default_value_t = 32)]
        connections: u32,
    },
    /// Importing a CSV file of contacts with a consent each, against raw bulk inserts.
    Import {
        /// Rows in the file.
        #[arg(long, default_value_t = 1_000_000)]
        contacts: u64,
        /// A PostgreSQL server URL (two databases are created on it and dropped after);
        /// by default SQLite files in a temporary directory.
        #[arg(long)]
        postgres: Option<String>,
        /// Rows per transaction, for both.
        #[arg(long, default_value_t = 2000)]
        batch: usize,
    },
    /// Delivering a queued newsletter over SMTP to a local aiosmtpd sink, against a
    /// minimal lettre loop sending the same messages (needs python3-aiosmtpd).
    Deliver {
        /// Demo contacts in the database (the newsletter goes to those who agreed).
        #[arg(long, default_value_t = 20_000)]
        contacts: u64,
        /// SMTP connections, for both (the configuration's default).
        #[arg(long, default_value_t = 16)]
        connections: u32,
        /// A PostgreSQL server URL (a database is created on it and dropped after);
        /// by default a SQLite file in a temporary directory.
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Making a signed checkpoint over every chain's head, against reading and hashing
    /// the same heads with nothing written.
    Checkpoint {
        /// Demo contacts in the database (each with its consent chain, and an audit
        /// chain once read).
        #[arg(long, default_value_t = 1_000_000)]
        contacts: u64,
        /// A PostgreSQL server URL (a database is created on it and dropped after);
        /// by default a SQLite file in a temporary directory.
        #[arg(long)]
        postgres: Option<String>,
    },
    /// One person's access bundle (many audit and activity events) against reading the
    /// same rows and serialising them to JSON.
    Export {
        /// Demo contacts in the database.
        #[arg(long, default_value_t = 1_000_000)]
        contacts: u64,
        /// Audit entries, and web visits, of the person.
        #[arg(long, default_value_t = 10_000)]
        events: u64,
        /// A PostgreSQL server URL (a database is created on it and dropped after);
        /// by default a SQLite file in a temporary directory.
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Erasing people through the erasure use case against raw SQL deleting the same
    /// rows: one person with many events, then a purge of many, with the longest wait
    /// of a concurrent writer.
    Erase {
        /// Demo contacts in the database.
        #[arg(long, default_value_t = 1_000_000)]
        contacts: u64,
        /// Audit entries, and web visits, of the one person.
        #[arg(long, default_value_t = 10_000)]
        events: u64,
        /// People erased in the purge (as many again erased by raw SQL).
        #[arg(long, default_value_t = 100_000)]
        purge: u64,
        /// A PostgreSQL server URL (a database is created on it and dropped after);
        /// by default a SQLite file in a temporary directory.
        #[arg(long)]
        postgres: Option<String>,
    },
    /// The header's contact search (names, email, phone) through the application,
    /// audited, as percentiles, against a scan of the names without an index.
    Search {
        /// Demo contacts in the database.
        #[arg(long, default_value_t = 1_000_000)]
        contacts: u64,
        /// Queries searched (made from sampled contacts).
        #[arg(long, default_value_t = 2_000)]
        queries: u32,
        /// A PostgreSQL server URL (a database is created on it and dropped after);
        /// by default a SQLite file in a temporary directory.
        #[arg(long)]
        postgres: Option<String>,
    },
    /// A newsletter audience (allowed ids and exclusions per rule) against hand-written SQL.
    Audience {
        /// Demo contacts in the database.
        #[arg(long, default_value_t = 1_000_000)]
        contacts: u64,
        /// A PostgreSQL server URL (a database is created on it and dropped after);
        /// by default a SQLite file in a temporary directory.
        #[arg(long)]
        postgres: Option<String>,
    },
}

pub async fn run(c: BenchCommand) -> Result<()> {
    match c {
        BenchCommand::Read {
            contacts,
            seconds,
            connections,
        } => read(contacts, seconds, connections).await,
        BenchCommand::Import {
            contacts,
            postgres,
            batch,
        } => import(contacts, postgres, batch).await,
        BenchCommand::Audience { contacts, postgres } => audience(contacts, postgres).await,
        BenchCommand::Search {
            contacts,
            queries,
            postgres,
        } => crate::bench_search::run(contacts, queries, postgres).await,
        BenchCommand::Export {
            contacts,
            events,
            postgres,
        } => crate::bench_export::run(contacts, events, postgres).await,
        BenchCommand::Erase {
            contacts,
            events,
            purge,
            postgres,
        } => crate::bench_erase::run(contacts, events, purge, postgres).await,
        BenchCommand::Checkpoint { contacts, postgres } => {
            crate::bench_checkpoint::run(contacts, postgres).await
        }
        BenchCommand::Deliver {
            contacts,
            connections,
            postgres,
        } => deliver(contacts, connections, postgres).await,
    }
}

struct Figures {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

async fn read(contacts: u64, seconds: u32, connections: u32) -> Result<()> {
    if Command::new("wrk").arg("--version").output().is_err() {
        bail!("wrk is not installed: `apt-get install wrk` (Debian) and run again");
    }
    let dir = std::env::temp_dir().join(format!("candor-bench-{}", uuid::Uuid::now_v7()));
    let cfg = Config {
        data_dir: dir.clone(),
        log: "warn".into(),
        ..Config::default()
    };
    let app = crate::setup::open(&cfg).await?;
    crate::setup::fill_demo(&app, contacts, 7).await?;
    let (_, token) = app
        .create_token(Role::Sales, "bench")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let ids = app.store.bench().sample_contact_ids(1000).await?;
    let script = dir.join("ids.lua");
    std::fs::write(&script, lua(&ids, &token))?;

    let candor_url = spawn(candor_web::router(app.clone())).await?;
    let raw = raw_router(app.store.clone()).await?;
    let raw_url = spawn(raw).await?;

    println!("candor bench read: {contacts} contacts, {connections} connections, {seconds} s each, wrk on loopback");
    let base = wrk(&format!("{raw_url}/raw/"), &script, seconds, connections)?;
    let ours = wrk(
        &format!("{candor_url}/api/v1/contacts/"),
        &script,
        seconds,
        connections,
    )?;
    let audited = app
        .store
        .demo()
        .table_counts()
        .await?
        .into_iter()
        .find(|(t, _)| *t == "audit_entry")
        .map_or(0, |(_, n)| n);
    println!(
        "{:<40} {:>10} {:>9} {:>9} {:>7}",
        "endpoint", "req/s", "p50 ms", "p99 ms", "errors"
    );
    for (name, f) in [
        ("raw axum + SQLite (read + insert)", &base),
        ("Candor GET /api/v1/contacts/{id}", &ours),
    ] {
        println!(
            "{name:<40} {:>10.0} {:>9.2} {:>9.2} {:>7}",
            f.rps, f.p50_ms, f.p99_ms, f.errors
        );
    }
    println!(
        "ratio Candor / raw: {:.2} (audit entries written: {audited})",
        ours.rps / base.rps
    );
    println!(
        "targets: >= 5000 req/s: {}; p99 < 35 ms: {}",
        pass(ours.rps >= 5000.0),
        pass(ours.p99_ms < 35.0)
    );
    app.store.close().await;
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

fn pass(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT MET"
    }
}

/// A wrk script that cycles through contact ids, with the bearer token.
fn lua(ids: &[String], token: &str) -> String {
    let list: Vec<String> = ids.iter().map(|i| format!("\"{i}\"")).collect();
    format!(
        "local ids = {{{}}}\nlocal n = 0\nwrk.headers[\"Authorization\"] = \"Bearer {token}\"\n\
         request = function()\n  n = n + 1\n  return wrk.format(\"GET\", wrk.path .. ids[(n % #ids) + 1])\nend\n",
        list.join(",")
    )
}

async fn spawn(router: Router) -> Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

async fn raw_router(store: Store) -> Result<Router> {
    store.bench().prepare().await?;
    async fn handler(
        State(store): State<Store>,
        Path(id): Path<String>,
    ) -> Result<String, axum::http::StatusCode> {
        let at = time::OffsetDateTime::now_utc();
        match store.bench().read_and_insert(&id, at).await {
            Ok(Some(name)) => Ok(format!(
                "{{\"last_name\":{}}}",
                serde_json::Value::String(name)
            )),
            Ok(None) => Err(axum::http::StatusCode::NOT_FOUND),
            Err(_) => Err(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
    Ok(Router::new()
        .route("/raw/{id}", get(handler))
        .with_state(store))
}

fn wrk(url: &str, script: &std::path::Path, seconds: u32, connections: u32) -> Result<Figures> {
    let out = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-s",
        ])
        .arg(script)
        .arg(url)
        .output()
        .context("running wrk")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |prefix: &str| -> Option<String> {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| {
                l[prefix.len()..]
                    .split_whitespace()
                    .next()
                    .map(str::to_owned)
            })
    };
    let rps: f64 = field("Requests/sec:")
        .context("wrk printed no Requests/sec")?
        .parse()?;
    let errors = text
        .lines()
        .find(|l| l.contains("Non-2xx or 3xx responses:"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    Ok(Figures {
        rps,
        p50_ms: millis(&field("50%").unwrap_or_default()),
        p99_ms: millis(&field("99%").unwrap_or_default()),
        errors,
    })
}

/// wrk prints latencies as `812.00us`, `3.21ms` or `1.02s`.
fn millis(s: &str) -> f64 {
    let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len()));
    let v: f64 = num.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => v / 1000.0,
        "ms" => v,
        "s" => v * 1000.0,
        _ => f64::NAN,
    }
}

/// The peak resident memory of this process so far, in MiB (Linux).
/// Resets the peak resident memory to the current one (Linux: `5` into
/// `/proc/self/clear_refs`), so the next `peak_rss_mib` tells one step's peak.
pub(crate) fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The resident memory now, in MiB (Linux).
pub(crate) fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub(crate) fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// A fresh database for one side of the benchmark: a SQLite file in `dir`, or a new
/// database on the PostgreSQL server.
async fn bench_config(dir: &std::path::Path, postgres: Option<&str>, tag: &str) -> Result<Config> {
    let database = match postgres {
        None => None,
        Some(url) => {
            let admin = sqlx::PgPool::connect(url)
                .await
                .context("connecting to PostgreSQL")?;
            let name = format!("candor_bench_{tag}_{}", uuid::Uuid::now_v7().simple());
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(&admin)
                .await?;
            admin.close().await;
            let base = url.split('?').next().unwrap_or(url);
            let server = base.rsplit_once('/').map_or(base, |(s, _)| s);
            Some(format!("{server}/{name}"))
        }
    };
    Ok(Config {
        data_dir: dir.join(tag),
        database,
        log: "warn".into(),
        ..Config::default()
    })
}

pub(crate) async fn drop_database(postgres: Option<&str>, cfg: &Config) {
    if let (Some(url), Some(db)) = (postgres, &cfg.database) {
        if let (Ok(admin), Some((_, name))) =
            (sqlx::PgPool::connect(url).await, db.rsplit_once('/'))
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&admin)
                .await;
        }
    }
}

async fn import(contacts: u64, postgres: Option<String>, batch: usize) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("candor-bench-import-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    let pg = postgres.as_deref();
    let backend = if pg.is_some() {
        "PostgreSQL (COPY)"
    } else {
        "SQLite (multi-row INSERT)"
    };
    let now = candor_domain::clock::to_micros(time::OffsetDateTime::now_utc());
    let file = dir.join("demo.csv");
    let out = std::io::BufWriter::new(std::fs::File::create(&file)?);
    candor_app::demo::write_import_csv(out, contacts, 42, now, 0)?;
    let size = std::fs::metadata(&file)?.len();
    println!(
        "candor bench import: {contacts} B2C contacts with a confirmed newsletter opt-in each, \
         {:.0} MiB of CSV, {batch} rows per transaction, {backend}, all indexes on",
        size as f64 / 1048576.0
    );

    // Candor: the whole command's work but the progress bar.
    let ours_cfg = bench_config(&dir, pg, "import").await?;
    let app = crate::setup::open(&ours_cfg).await?;
    let actor = candor_app::Actor {
        id: uuid::Uuid::nil(),
        role: Role::Admin,
        audit_name: "cli:import:admin".into(),
    };
    let opts = candor_app::import::ImportOptions {
        preset: None,
        maps: Vec::new(),
        on_duplicate: candor_app::import::OnDuplicate::Skip,
        kind: None,
        purposes: Vec::new(),
        batch_size: batch,
        rejects_path: dir.join("demo.rejects.csv"),
        dry_run: false,
        consent_requests: true,
    };
    let rss_before = peak_rss_mib().unwrap_or(0.0);
    let started = std::time::Instant::now();
    let report = app
        .import_contacts(&actor, &file, &opts, &mut |_| {})
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let ours = started.elapsed().as_secs_f64();
    let rss = peak_rss_mib().unwrap_or(0.0);
    if report.counts.created != contacts {
        bail!(
            "the import created {} contacts of {contacts}",
            report.counts.created
        );
    }
    app.store.close().await;

    // The raw baseline: the same rows, built beforehand, written batch by batch.
    let raw_cfg = bench_config(&dir, pg, "raw").await?;
    let raw_app = crate::setup::open(&raw_cfg).await?;
    let mut raw = std::time::Duration::ZERO;
    for b in raw_app.demo_import_batches(contacts, 42, now, 0, batch) {
        let rows = Store::import_rows(b);
        let t = std::time::Instant::now();
        raw_app.store.bench().write_raw(&rows).await?;
        raw += t.elapsed();
    }
    let raw = raw.as_secs_f64();
    let raw_count = raw_app.store.contacts().count().await? as u64;
    raw_app.store.close().await;
    if raw_count != contacts {
        bail!("the baseline wrote {raw_count} contacts of {contacts}");
    }

    println!("{:<44} {:>10} {:>12}", "", "seconds", "contacts/s");
    println!(
        "{:<44} {:>10.1} {:>12.0}",
        "raw bulk insert of the same rows",
        raw,
        contacts as f64 / raw
    );
    println!(
        "{:<44} {:>10.1} {:>12.0}",
        "candor import contacts",
        ours,
        contacts as f64 / ours
    );
    let ratio = ours / raw;
    println!("ratio Candor / raw (time): {ratio:.2}");
    println!(
        "peak memory of the process during the import: {rss:.0} MiB (before it: {rss_before:.0} MiB)"
    );
    println!(
        "targets: ratio <= 1.5: {}; peak memory < 200 MiB: {}",
        pass(ratio <= 1.5),
        pass(rss < 200.0)
    );
    drop_database(pg, &ours_cfg).await;
    drop_database(pg, &raw_cfg).await;
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn audience(contacts: u64, postgres: Option<String>) -> Result<()> {
    let pg = postgres.as_deref();
    let (dir, cfg, app, actor) = demo_app("audience", contacts, pg).await?;
    let err = |e: candor_app::AppError| anyhow::anyhow!("{e}");
    let campaign = newsletter_to_everyone(&app, &actor, "News").await?;
    println!(
        "candor bench audience: newsletter by email to all {contacts} demo contacts, {}",
        if pg.is_some() { "PostgreSQL" } else { "SQLite" }
    );
    // Five runs each, alternating; the best of each.
    let (mut ours, mut raw) = (f64::MAX, f64::MAX);
    let mut check = None;
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let (allowed, counts) = app.store.bench().newsletter_audience().await?;
        raw = raw.min(t.elapsed().as_secs_f64());
        let t = std::time::Instant::now();
        let report = app
            .campaign_audience(&actor, campaign.id)
            .await
            .map_err(err)?;
        ours = ours.min(t.elapsed().as_secs_f64());
        check = Some((allowed.len() as u64, counts, report));
    }
    let (raw_allowed, raw_counts, report) = check.expect("five runs");
    let ours_counts: std::collections::BTreeMap<String, u64> = report
        .excluded
        .iter()
        .map(|x| (x.rule.clone(), x.count))
        .collect();
    if raw_allowed != report.allowed || raw_counts != ours_counts {
        bail!(
            "the two disagree: raw {raw_allowed} allowed {raw_counts:?}, Candor {} allowed {ours_counts:?}",
            report.allowed
        );
    }
    println!("allowed: {}; left out: {ours_counts:?}", report.allowed);
    println!("{:<44} {:>10}", "", "seconds");
    println!(
        "{:<44} {:>10.2}",
        "hand-written SQL (one query, CASE per rule)", raw
    );
    println!("{:<44} {:>10.2}", "Candor campaign audience", ours);
    let ratio = ours / raw;
    println!("ratio Candor / SQL: {ratio:.2}");

    // Single decisions through the app (store reads and the rules), and the rules alone.
    let ids = app.store.bench().sample_contact_ids(2000).await?;
    let mut api = Vec::with_capacity(ids.len());
    for id in &ids {
        let id: uuid::Uuid = id.parse()?;
        let t = std::time::Instant::now();
        app.decide(&actor, id, "newsletter", "email", "bench")
            .await
            .map_err(err)?;
        api.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    api.sort_by(f64::total_cmp);
    // The same decisions without their audit entry: the contact and its facts read, then
    // the rules.
    let mut read = Vec::with_capacity(ids.len());
    for id in &ids {
        let id: uuid::Uuid = id.parse()?;
        let t = std::time::Instant::now();
        let c = app
            .store
            .contacts()
            .get(id)
            .await?
            .context("a sampled contact")?;
        app.rule_for(
            &c,
            candor_domain::communication::Category::Newsletter,
            candor_domain::consent::Channel::Email,
        )
        .await
        .map_err(err)?;
        read.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    read.sort_by(f64::total_cmp);
    // 32 callers at once: their audit entries share commits.
    let t = std::time::Instant::now();
    {
        use futures_util::StreamExt;
        let outcomes: Vec<Result<(), anyhow::Error>> = futures_util::stream::iter(ids.iter())
            .map(|id| {
                let (app, actor) = (&app, &actor);
                async move {
                    let id: uuid::Uuid = id.parse()?;
                    app.decide(actor, id, "newsletter", "email", "bench")
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    Ok(())
                }
            })
            .buffer_unordered(32)
            .collect()
            .await;
        outcomes.into_iter().collect::<Result<Vec<()>, _>>()?;
    }
    let concurrent = ids.len() as f64 / t.elapsed().as_secs_f64();
    let states = app.store.consents().states(ids[0].parse()?).await?;
    let facts = candor_domain::communication::Facts {
        consents: &states,
        ..candor_domain::communication::Facts::new_contact(
            time::OffsetDateTime::now_utc(),
            candor_domain::communication::DEFAULT_REFUSAL_QUIET_PERIOD,
        )
    };
    let mut pure = Vec::with_capacity(100_000);
    for _ in 0..100_000 {
        let t = std::time::Instant::now();
        std::hint::black_box(candor_domain::communication::decide(
            candor_domain::communication::Category::Newsletter,
            candor_domain::consent::Channel::Email,
            std::hint::black_box(&facts),
        ));
        pure.push(t.elapsed().as_secs_f64() * 1e6);
    }
    pure.sort_by(f64::total_cmp);
    println!(
        "one decision, read and rules: p50 {:.3} ms, p99 {:.3} ms; the rules alone: p99 {:.2} µs",
        percentile(&read, 0.5),
        percentile(&read, 0.99),
        percentile(&pure, 0.99)
    );
    println!(
        "one decision as POST /api/v1/decisions answers it (its audit entry committed first), \
         one caller: p50 {:.3} ms, p99 {:.3} ms; 32 callers at once: {concurrent:.0} decisions/s",
        percentile(&api, 0.5),
        percentile(&api, 0.99),
    );
    println!(
        "targets: ratio <= 1.5: {}; one decision (read and rules) p99 < 1 ms: {}",
        pass(ratio <= 1.5),
        pass(percentile(&read, 0.99) < 1.0)
    );
    app.store.close().await;
    drop_database(pg, &cfg).await;
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

/// A temporary directory, a fresh database (SQLite there, or a new database on `pg`)
/// filled with demo data, and an admin actor for the use cases.
pub(crate) async fn demo_app(
    tag: &str,
    contacts: u64,
    pg: Option<&str>,
) -> Result<(
    std::path::PathBuf,
    Config,
    candor_app::Candor,
    candor_app::Actor,
)> {
    let dir = std::env::temp_dir().join(format!("candor-bench-{tag}-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    let cfg = bench_config(&dir, pg, tag).await?;
    let app = crate::setup::open(&cfg).await?;
    crate::setup::fill_demo(&app, contacts, 42).await?;
    let actor = candor_app::Actor {
        id: uuid::Uuid::nil(),
        role: Role::Admin,
        audit_name: "cli:bench".into(),
    };
    Ok((dir, cfg, app, actor))
}

/// A newsletter by email to every contact, in French and English, not sent yet.
async fn newsletter_to_everyone(
    app: &candor_app::Candor,
    actor: &candor_app::Actor,
    subject: &str,
) -> Result<candor_app::campaigns::CampaignView> {
    use candor_app::campaigns::{CampaignInput, Content};
    let err = |e: candor_app::AppError| anyhow::anyhow!("{e}");
    let segment = app
        .create_segment(actor, "everyone", Vec::new())
        .await
        .map_err(err)?;
    let content = ["fr", "en"]
        .into_iter()
        .map(|l| {
            (
                l.to_owned(),
                Content {
                    subject: subject.into(),
                    body: format!("{subject}\n\nhttps://example.org/news"),
                },
            )
        })
        .collect();
    app.create_campaign(
        actor,
        CampaignInput {
            name: "bench".into(),
            category: "newsletter".into(),
            channel: "email".into(),
            segment_id: segment.id,
            content,
        },
    )
    .await
    .map_err(err)
}

/// A local aiosmtpd that accepts and discards every message, until dropped.
struct Sink(std::process::Child);

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn sink() -> Result<(Sink, u16)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    // Debian's python3 first: python3-aiosmtpd is installed for it.
    let python = ["/usr/bin/python3", "python3"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .args(["-c", "import aiosmtpd"])
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .context("aiosmtpd is not installed (apt-get install python3-aiosmtpd)")?;
    let child = Command::new(python)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Sink"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("starting python3 -m aiosmtpd (apt-get install python3-aiosmtpd)")?;
    let sink = Sink(child);
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok((sink, port));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    bail!("aiosmtpd did not start (apt-get install python3-aiosmtpd)")
}

async fn deliver(contacts: u64, connections: u32, postgres: Option<String>) -> Result<()> {
    use futures_util::StreamExt;
    use lettre::AsyncTransport;
    let (_sink, port) = sink().await?;
    let pg = postgres.as_deref();
    let (dir, cfg, app, actor) = demo_app("deliver", contacts, pg).await?;
    let err = |e: candor_app::AppError| anyhow::anyhow!("{e}");
    let campaign = newsletter_to_everyone(&app, &actor, "December news").await?;
    // Messages queued before (consent requests of the demo data) go first, untimed.
    let settings = candor_app::mail::SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: candor_app::mail::Security::None,
        username: None,
        password: None,
        connections,
    };
    let transport = candor_app::mail::Transport::smtp(&settings).map_err(anyhow::Error::msg)?;
    while app.deliver_due(&transport).await.map_err(err)? > 0 {}
    // The sending is a job: started, then run here until the campaign is sent.
    app.send_campaign(&actor, campaign.id).await.map_err(err)?;
    while app.run_due_jobs().await.map_err(err)? > 0 {}
    let queued = u64::try_from(
        app.campaign_progress(&actor, campaign.id)
            .await
            .map_err(err)?
            .queued,
    )
    .unwrap_or(0);
    if queued == 0 {
        bail!("the demo audience is empty: nothing to deliver");
    }
    let messages: Vec<lettre::Message> = app
        .store
        .outbox()
        .list(u32::try_from(queued).unwrap_or(u32::MAX))
        .await?
        .iter()
        .map(|e| candor_app::mail::message(&e.mail, &cfg.mail_from))
        .collect::<Result<_, _>>()
        .map_err(anyhow::Error::msg)?;
    println!(
        "candor bench deliver: {queued} newsletter messages to a local aiosmtpd sink, {connections} connections, {}",
        if pg.is_some() { "PostgreSQL" } else { "SQLite" }
    );
    let width = connections.max(1) as usize;
    let baseline = || async {
        let client = candor_app::mail::Transport::smtp(&settings).map_err(anyhow::Error::msg)?;
        let client = client.smtp_client().expect("an SMTP transport").clone();
        let t = std::time::Instant::now();
        let failures = futures_util::stream::iter(messages.iter().cloned())
            .map(|m| {
                let client = client.clone();
                async move { client.send(m).await.is_err() }
            })
            .buffer_unordered(width)
            .filter(|failed| std::future::ready(*failed))
            .count()
            .await;
        if failures > 0 {
            bail!("{failures} messages refused by the sink in the baseline");
        }
        Ok::<f64, anyhow::Error>(messages.len() as f64 / t.elapsed().as_secs_f64())
    };
    let before = baseline().await?;
    let t = std::time::Instant::now();
    let mut sent = 0u64;
    loop {
        let n = app.deliver_due(&transport).await.map_err(err)?;
        if n == 0 {
            break;
        }
        sent += u64::from(n);
    }
    let ours = sent as f64 / t.elapsed().as_secs_f64();
    let after = baseline().await?;
    let raw = before.max(after);
    if sent != queued {
        bail!("Candor delivered {sent} of {queued} messages");
    }
    let ratio = ours / raw;
    println!("  lettre loop (best of two):  {raw:>8.0} messages/s");
    println!(
        "  Candor deliver_due:         {ours:>8.0} messages/s (claim, rules, send, mark sent)"
    );
    println!(
        "  ratio {ratio:.2} (target ≥ 0.80: {}), {ours:.0} messages/s (target ≥ 300: {})",
        pass(ratio >= 0.8),
        pass(ours >= 300.0)
    );
    app.store.close().await;
    drop_database(pg, &cfg).await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrk_latencies_read_in_milliseconds() {
        assert_eq!(super::millis("812.00us"), 0.812);
        assert_eq!(super::millis("3.21ms"), 3.21);
        assert_eq!(super::millis("1.50s"), 1500.0);
        assert!(super::millis("").is_nan());
    }
}
