//! Test support shared by the workspace's test suites: fresh PostgreSQL databases.
//!
//! Tests that need PostgreSQL run when `CANDOR_TEST_PG_URL` is set and are skipped,
//! saying so, when it is not, unless `CANDOR_TEST_STRICT=1` (CI), which makes a
//! missing server a failure.

use sqlx::postgres::PgPoolOptions;
use std::time::{SystemTime, UNIX_EPOCH};

const PREFIX: &str = "candor_t_";

/// Whether a missing component fails the run rather than skipping the test.
pub fn strict() -> bool {
    std::env::var("CANDOR_TEST_STRICT").is_ok_and(|v| v == "1")
}

/// A URL to a new, empty database on the test server, or `None` (after printing that
/// the test is skipped) when no server is configured outside strict mode. Databases
/// left by earlier runs more than an hour old are dropped on the way.
pub async fn fresh_pg_url(test: &str) -> Option<String> {
    let Ok(url) = std::env::var("CANDOR_TEST_PG_URL") else {
        if strict() {
            panic!(
                "CANDOR_TEST_STRICT=1 but CANDOR_TEST_PG_URL is not set: {test} needs PostgreSQL"
            );
        }
        // Written to the stream directly: the test harness captures `eprintln!`, and a
        // skip must show in a normal run.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: PostgreSQL not configured (set CANDOR_TEST_PG_URL=postgres://… to run it)"
        );
        return None;
    };
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{test}: cannot reach PostgreSQL at CANDOR_TEST_PG_URL: {e}"));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let old: Vec<String> = sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'candor\\_t\\_%'",
    )
    .fetch_all(&admin)
    .await
    .unwrap_or_default();
    for db in old {
        let born: u64 = db
            .trim_start_matches(PREFIX)
            .split('_')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if born + 3600 < now {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
                .execute(&admin)
                .await;
        }
    }
    let name = format!("{PREFIX}{now}_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&admin)
        .await
        .expect("create a test database");
    admin.close().await;
    let base = url.split('?').next().unwrap_or(&url);
    let server = base.rsplit_once('/').map_or(base, |(s, _)| s);
    Some(format!("{server}/{name}"))
}
