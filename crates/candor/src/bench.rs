//! `candor bench read`: reading one contact over HTTP, its audit entry committed
//! before the answer, under wrk on loopback, against a raw axum + SQLite endpoint
//! doing the same read and insert on the same database in the same run.

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
}

pub async fn run(c: BenchCommand) -> Result<()> {
    match c {
        BenchCommand::Read {
            contacts,
            seconds,
            connections,
        } => read(contacts, seconds, connections).await,
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
    let ids = app.store.sample_contact_ids(1000).await?;
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
    store.baseline_prepare().await?;
    async fn handler(
        State(store): State<Store>,
        Path(id): Path<String>,
    ) -> Result<String, axum::http::StatusCode> {
        let at = time::OffsetDateTime::now_utc();
        match store.baseline_read_and_insert(&id, at).await {
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
