//! `candor jobs …`, `candor receipt …` and `candor requests …`.

use crate::config::Config;
use crate::setup;
use anyhow::{Context, Result};
use candor_domain::Role;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum EraseCommand {
    /// Erase a person (E1, E2), as `DELETE /api/v1/contacts/{id}` does, and print what
    /// was done to each kind of record and what the legal holds keep.
    Contact {
        #[arg(long)]
        id: uuid::Uuid,
    },
    /// Search every table for a person's email and report where any remains; exits 1
    /// when something is found (nothing should be, after their erasure).
    Verify {
        #[arg(long)]
        email: String,
    },
}

pub async fn erase(cfg: &Config, c: EraseCommand) -> Result<()> {
    let app = setup::open(cfg).await?;
    let err = |e: candor_app::AppError| anyhow::anyhow!("{e}");
    match c {
        EraseCommand::Contact { id } => {
            let r = app
                .erase_contact(&cli_actor("erase"), id, candor_domain::erasure::Why::Staff)
                .await
                .map_err(err)?;
            println!(
                "Erased: record {} at {}",
                r.record.id,
                candor_domain::contact::rfc3339(r.record.erased_at)
            );
            for (table, n) in &r.record.counts {
                println!(
                    "  {table:<20} deleted {:>6}  minimised {:>4}  held {:>4}  sealed {:>3}",
                    n.deleted, n.minimised, n.held, n.sealed
                );
            }
            for h in &r.held {
                println!(
                    "  held: {} {} until {} ({})",
                    h.kind.as_str(),
                    h.id,
                    h.held_until,
                    h.reason
                );
            }
        }
        EraseCommand::Verify { email } => {
            let found = app
                .find_remains(&cli_actor("erase-verify"), &email)
                .await
                .map_err(err)?;
            if found.is_empty() {
                println!("Nothing found: no table holds this email.");
            } else {
                for (table, n) in &found {
                    println!("{table}: {n} row(s) hold this email");
                }
                anyhow::bail!("this email remains in {} table(s)", found.len());
            }
        }
    }
    app.store.close().await;
    Ok(())
}

#[derive(Subcommand)]
pub enum RetentionCommand {
    /// Run the retention policies now, as the daily job does; with `--dry-run`, list
    /// what each would erase or delete, and why, changing nothing.
    Run {
        #[arg(long)]
        dry_run: bool,
    },
}

pub async fn retention(cfg: &Config, c: RetentionCommand) -> Result<()> {
    let app = setup::open(cfg).await?;
    let err = |e: candor_app::AppError| anyhow::anyhow!("{e}");
    let RetentionCommand::Run { dry_run } = c;
    // The people to erase, counted first for the progress bar.
    let planned: u64 = if dry_run {
        0
    } else {
        app.retention_plan()
            .await
            .map_err(err)?
            .iter()
            .filter(|p| p.outcome.action == "erase")
            .map(|p| p.outcome.count)
            .sum()
    };
    let bar = setup::progress_bar(planned, "erasing");
    let done = app
        .run_retention("cli", dry_run, &mut |n| bar.set_position(n))
        .await
        .map_err(err)?;
    bar.finish_and_clear();
    for p in &done {
        let o = &p.outcome;
        let why = match o.cutoff {
            Some(c) => format!("older than {}", candor_domain::contact::rfc3339(c)),
            None => "legal hold ended".to_owned(),
        };
        println!(
            "{:<22} {:<20} {} {:>8} {}  ({why})",
            o.name,
            o.target,
            if dry_run { "would" } else { "did" },
            o.count,
            match o.action.as_str() {
                "erase" => "people erased",
                "lapse" => "pending consents closed",
                _ => "rows deleted",
            },
        );
        for id in p.ids.iter().take(20) {
            println!("    {id}");
        }
        if p.ids.len() > 20 {
            println!("    … and {} more", p.ids.len() - 20);
        }
    }
    app.store.close().await;
    Ok(())
}

#[derive(Subcommand)]
pub enum RegisterCommand {
    /// Write the register to standard output: `json` (both languages), `csv` or `html`
    /// (a printable page) in `--lang` (fr or en).
    Export {
        #[arg(long, default_value = "html", value_parser = ["json", "csv", "html"])]
        format: String,
        #[arg(long, default_value = "fr", value_parser = ["fr", "en"])]
        lang: String,
    },
}

pub async fn register(cfg: &Config, c: RegisterCommand) -> Result<()> {
    let app = setup::open(cfg).await?;
    let RegisterCommand::Export { format, lang } = c;
    let r = app.register_now();
    let out = match format.as_str() {
        "json" => serde_json::to_string_pretty(&r)?,
        "csv" => {
            candor_app::register::to_csv(&r, lang == "fr").map_err(|e| anyhow::anyhow!("{e}"))?
        }
        _ => candor_web::ui::register::document(&r, &lang)?,
    };
    println!("{out}");
    app.store.close().await;
    Ok(())
}

#[derive(Subcommand)]
pub enum BreachCommand {
    /// The breach register, newest discovery first: id, discovery, where the 72-hour
    /// clock stands, the risk, how many people were told.
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// The notification to the authority (Art. 33(3)) to standard output: `json`, or
    /// `html` (the printable page, in the order of the CNIL's form) in `--lang`.
    Notification {
        id: uuid::Uuid,
        #[arg(long, default_value = "html", value_parser = ["json", "html"])]
        format: String,
        #[arg(long, default_value = "fr", value_parser = ["fr", "en"])]
        lang: String,
    },
}

/// The operator at the command line, reading the breach register as the DPO does.
fn cli_dpo() -> candor_app::Actor {
    candor_app::Actor {
        id: uuid::Uuid::nil(),
        role: candor_domain::Role::Dpo,
        audit_name: "cli".into(),
    }
}

pub async fn breach(cfg: &Config, c: BreachCommand) -> Result<()> {
    let app = setup::open(cfg).await?;
    let actor = cli_dpo();
    match c {
        BreachCommand::List { limit } => {
            for v in app
                .breaches(&actor, limit)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                println!(
                    "{}  discovered {}  {}  risk {}  {} told",
                    v.record.id,
                    candor_domain::contact::rfc3339(v.record.facts.discovered_at),
                    v.clock.as_str(),
                    v.record.facts.risk.map_or("unassessed", |r| r.as_str()),
                    v.record.subject_notices
                );
            }
        }
        BreachCommand::Notification { id, format, lang } => {
            let v = app
                .breach(&actor, id)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let out = if format == "json" {
                serde_json::to_string_pretty(&serde_json::json!({
                    "controller": app.settings().organisation,
                    "dpo_contact": app.settings().dpo_contact,
                    "clock": v.clock.as_str(),
                    "deadline": candor_domain::contact::rfc3339(v.deadline),
                    "facts": v.record.facts,
                    "notifications": v.record.notifications,
                    "people_told": v.record.subject_notices,
                }))?
            } else {
                candor_web::ui::breaches::notification_document(&app, &v, &lang)?
            };
            println!("{out}");
        }
    }
    app.store.close().await;
    Ok(())
}

#[derive(Subcommand)]
pub enum JobsCommand {
    /// List the newest jobs (kind, when, status, attempts, node).
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Run the jobs due now, as the server's worker does, and say how many completed.
    RunPending,
}

#[derive(Subcommand)]
pub enum ReceiptCommand {
    /// Verify a signed receipt file offline: against this installation's keys (current
    /// and earlier), or the public key given (PEM, base64 or hex). Exits 1 naming what
    /// is wrong on any change.
    Verify {
        file: PathBuf,
        #[arg(long)]
        public_key: Option<PathBuf>,
    },
    /// Print this installation's receipt public key (PEM) and its id.
    PublicKey,
    /// Make a new receipt signing key; the old public key is kept so that older
    /// receipts still verify.
    RotateKey,
}

#[derive(Subcommand)]
pub enum RequestsCommand {
    /// List data subject requests by deadline: all open ones, or the overdue ones.
    List {
        #[arg(long)]
        overdue: bool,
        /// Only requests due within this many days.
        #[arg(long)]
        due_within_days: Option<u32>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

fn cli_actor(name: &str) -> candor_app::Actor {
    candor_app::Actor {
        id: uuid::Uuid::nil(),
        role: Role::Admin,
        audit_name: format!("cli:{name}"),
    }
}

pub async fn jobs(cfg: &Config, c: JobsCommand) -> Result<()> {
    let app = setup::open(cfg).await?;
    let err = |e: candor_app::AppError| anyhow::anyhow!("{e}");
    match c {
        JobsCommand::List { limit } => {
            for j in app.store.jobs().list(limit).await? {
                println!(
                    "{}  {:<12} {:<10} run at {}  attempts {}  node {}{}",
                    j.id,
                    j.kind,
                    j.status,
                    candor_domain::contact::rfc3339(j.run_at),
                    j.attempts,
                    j.lease_owner.as_deref().unwrap_or("-"),
                    j.last_error
                        .map(|e| format!("  error: {e}"))
                        .unwrap_or_default()
                );
            }
        }
        JobsCommand::RunPending => {
            app.schedule_recurring_jobs().await.map_err(err)?;
            let n = app.run_due_jobs().await.map_err(err)?;
            println!("{n} job(s) completed");
        }
    }
    app.store.close().await;
    Ok(())
}

pub fn receipt(cfg: &Config, c: ReceiptCommand) -> Result<()> {
    use candor_app::receipts::{self, ReceiptKeys};
    match c {
        ReceiptCommand::Verify { file, public_key } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let known = match public_key {
                Some(p) => {
                    let text = std::fs::read_to_string(&p)
                        .with_context(|| format!("reading {}", p.display()))?;
                    let pk = receipts::parse_public_key(&text).ok_or_else(|| {
                        anyhow::anyhow!(
                            "{} holds no Ed25519 public key (PEM, base64 or hex)",
                            p.display()
                        )
                    })?;
                    [(receipts::key_id(&pk), pk)].into()
                }
                None => ReceiptKeys::load_or_create(&cfg.data_dir)
                    .context("reading the receipt keys")?
                    .known()
                    .clone(),
            };
            match receipts::verify(&bytes, &known) {
                Ok(r) => {
                    println!(
                        "OK: receipt of request {} ({}, received {}, deadline {}), signed by key {}",
                        r["request_id"].as_str().unwrap_or("?"),
                        r["kind"].as_str().unwrap_or("?"),
                        r["received_on"].as_str().unwrap_or("?"),
                        r["deadline"].as_str().unwrap_or("?"),
                        r["key_id"].as_str().unwrap_or("?"),
                    );
                    Ok(())
                }
                Err(e) => {
                    println!("NOT VALID: {e}");
                    std::process::exit(1);
                }
            }
        }
        ReceiptCommand::PublicKey => {
            let keys =
                ReceiptKeys::load_or_create(&cfg.data_dir).context("reading the receipt key")?;
            println!("key id {}", keys.key_id());
            print!("{}", receipts::public_pem(&keys.public_key()));
            Ok(())
        }
        ReceiptCommand::RotateKey => {
            let (old, new) = receipts::rotate(&cfg.data_dir).context("rotating the receipt key")?;
            println!("Receipts are now signed with key {new}; key {old} is kept to verify older receipts (restart the server).");
            Ok(())
        }
    }
}

pub async fn requests(cfg: &Config, c: RequestsCommand) -> Result<()> {
    let app = setup::open(cfg).await?;
    match c {
        RequestsCommand::List {
            overdue,
            due_within_days,
            limit,
        } => {
            let list = app
                .list_requests(
                    &cli_actor("requests"),
                    candor_app::requests::ListRequests {
                        status: None,
                        kind: None,
                        due_within_days,
                        overdue,
                        limit,
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            for r in list {
                println!(
                    "{}  {:<13} {:<17} received {}  deadline {}{}",
                    r.id,
                    r.kind.as_str(),
                    r.status.as_str(),
                    r.received_on,
                    r.deadline,
                    match r.days_left {
                        Some(d) if d < 0 => format!("  OVERDUE by {} days", -d),
                        Some(d) => format!("  {d} days left"),
                        None => String::new(),
                    }
                );
            }
        }
    }
    app.store.close().await;
    Ok(())
}

/// `candor export subject`: the bundle of one contact, written to a file.
pub async fn export_subject(
    cfg: &Config,
    contact: uuid::Uuid,
    out: &std::path::Path,
) -> Result<()> {
    let app = setup::open(cfg).await?;
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let m = app
        .write_bundle(
            &cli_actor("export-subject"),
            contact,
            file,
            "cli export subject",
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "Wrote {} ({} files, manifest signed):",
        out.display(),
        m.files.len() + 1
    );
    for (name, size, sha) in &m.files {
        println!("  {name:<28} {size:>9} bytes  sha256 {sha}");
    }
    app.store.close().await;
    Ok(())
}
