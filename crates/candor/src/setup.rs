//! Building the application from the configuration, and the server's start.

use crate::config::Config;
use anyhow::{Context, Result};
use candor_app::keys::Keys;
use candor_app::mail::Transport;
use candor_app::{Candor, Settings};
use candor_domain::catalogue::{Catalogue, DEFAULT_CATALOGUE};
use candor_domain::lexicon::{Lexicon, DEFAULT_LEXICON};
use candor_domain::{Role, SystemClock};
use candor_store::Store;
use std::sync::Arc;

pub fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

fn read_or(path: Option<&std::path::Path>, default: &str) -> Result<String> {
    match path {
        Some(p) => std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display())),
        None => Ok(default.to_owned()),
    }
}

/// Opens the store and builds the application; refuses a catalogue that breaks a rule.
pub async fn open(cfg: &Config) -> Result<Candor> {
    std::fs::create_dir_all(&cfg.data_dir)
        .with_context(|| format!("creating the data directory {}", cfg.data_dir.display()))?;
    let retention = cfg
        .retention
        .load()
        .map_err(|e| anyhow::anyhow!("the retention policies were refused: {e}"))?;
    let catalogue = Catalogue::load_with(
        &read_or(cfg.catalogue.as_deref(), DEFAULT_CATALOGUE)?,
        cfg.medical,
        retention,
    )
    .map_err(|e| anyhow::anyhow!("the field catalogue was refused: {e}"))?;
    let lexicon = Lexicon::parse(&read_or(cfg.lexicon.as_deref(), DEFAULT_LEXICON)?)
        .map_err(|e| anyhow::anyhow!("the special-category vocabulary was refused: {e}"))?;
    let keys = Keys::load_or_create(&cfg.data_dir).context("reading the master key")?;
    let store = Store::open_url(&cfg.database_url())
        .await
        .context("opening the database")?;
    if cfg.confirm_link_days == 0 {
        anyhow::bail!("confirm_link_days must be at least 1");
    }
    let settings = Settings {
        public_url: public_url(cfg),
        mail_from: cfg.mail_from.clone(),
        confirm_ttl: time::Duration::days(i64::from(cfg.confirm_link_days)),
        refusal_quiet: time::Duration::days(i64::from(cfg.refusal_quiet_days)),
        work_dir: cfg.data_dir.join("uploads"),
        anchor: Some(cfg.data_dir.join("checkpoints.log")),
        node: candor_app::keys::node_id(&cfg.data_dir).context("reading the node id")?,
        organisation: cfg.organisation.clone(),
        dpo_contact: candor_domain::personal::Email::parse("dpo_email", &cfg.dpo_email)
            .map_err(|e| anyhow::anyhow!("dpo_email: {}", e.message))?
            .as_str()
            .to_owned(),
        deadlines: candor_domain::request::Deadlines {
            months: cfg.request_months,
            max_extension_months: cfg.request_extension_months,
        },
        drive_roots: cfg.drive_roots.clone(),
        // `.eml` copies from the local outbox, even once mail goes through SMTP.
        outbox_dir: Some(cfg.data_dir.join("outbox")),
        register: cfg.register.clone(),
        annual_turnover_eur: cfg.annual_turnover_eur,
    };
    if cfg.request_months == 0 {
        anyhow::bail!("request_months must be at least 1");
    }
    Candor::new(
        store,
        catalogue,
        lexicon,
        Arc::new(SystemClock),
        keys,
        candor_app::receipts::ReceiptKeys::load_or_create(&cfg.data_dir)
            .context("reading the receipt signing key")?,
        settings,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))
}

/// A progress bar with rate and ETA, on standard error.
pub fn progress_bar(len: u64, what: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len).with_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} contacts, {per_sec}, eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message(what);
    bar
}

pub async fn fill_demo(app: &Candor, contacts: u64, seed: u64) -> Result<()> {
    let bar = progress_bar(contacts, "generating");
    let started = std::time::Instant::now();
    let counts = app
        .generate_demo(contacts, seed, &mut |n| bar.set_position(n))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_and_clear();
    eprintln!(
        "Demo data: {} contacts, {} companies, {} consent events, {} contracts, {} orders, {} web visits in {:.1} s",
        counts.contacts,
        counts.companies,
        counts.consents,
        counts.contracts,
        counts.orders,
        counts.visits,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub async fn serve(cfg: &Config, demo: Option<u64>) -> Result<()> {
    let app = open(cfg).await?;
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| format!("listening on {}", cfg.listen))?;
    let url = format!("http://{}", listener.local_addr()?);
    if let Some(n) = demo {
        if app.store.contacts().count().await? == 0 {
            fill_demo(&app, n, 42).await?;
        }
        app.revoke_tokens("demo-admin")
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let (_, secret) = app
            .create_token(Role::Admin, "demo-admin")
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("Demo admin API token (new at each start): {secret}");
        println!("Demo back-office logins at {url}/login (passwords new at each start):");
        for (email, role, password) in demo_users(&app).await? {
            println!("  {:<10} {email:<30} {password}", role.as_str());
        }
        println!("Try: curl -H 'Authorization: Bearer {secret}' {url}/api/v1/contacts?limit=2");
    } else if app
        .list_tokens()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .is_empty()
    {
        println!("No API token yet. Create one with:");
        println!("  candor token create --role admin --name \"your name\"");
        println!("  (or: cargo run --release -- token create --role admin --name \"your name\")");
    }
    println!(
        "Candor listens on {url} (data in {}, API description at {url}/api/openapi.json)",
        cfg.data_dir.display()
    );
    let released = app
        .release_own_leases()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if released > 0 {
        tracing::info!(
            messages = released,
            "messages this node was sending when it stopped are due again"
        );
    }
    let jobs = app
        .release_own_jobs()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if jobs > 0 {
        tracing::info!(
            jobs,
            "jobs this node was running when it stopped are due again"
        );
    }
    let erasures = app
        .finish_erasures()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if erasures > 0 {
        tracing::info!(
            erasures,
            "erasures interrupted before their email copies were deleted are finished"
        );
    }
    app.schedule_recurring_jobs()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    spawn_mail_worker(app.clone(), transport(cfg)?);
    spawn_job_worker(app.clone());
    spawn_checkpoint_worker(app.clone(), cfg.checkpoint_minutes);
    let service = candor_web::router(app.clone())
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    // A last checkpoint at shutdown, so the window it does not cover stays short.
    match app.checkpoint().await {
        Ok(Some(c)) => tracing::info!(seq = c.seq, chains = c.chains, "checkpoint at shutdown"),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "checkpoint at shutdown failed"),
    }
    app.store.close().await;
    Ok(())
}

/// Runs due jobs every ten seconds, at once when woken (a job scheduled for now), and
/// again at once while some completed.
pub fn spawn_job_worker(app: Candor) {
    tokio::spawn(async move {
        loop {
            match app.run_due_jobs().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "job round failed"),
            }
            // Ten seconds, or less when a job is scheduled for now (a campaign sent).
            tokio::select! {
                () = tokio::time::sleep(std::time::Duration::from_secs(10)) => {}
                () = app.jobs_woken() => {}
            }
        }
    });
}

/// Makes a checkpoint every `minutes` (S4), the first one at start.
pub fn spawn_checkpoint_worker(app: Candor, minutes: u32) {
    let every = std::time::Duration::from_secs(u64::from(minutes.max(1)) * 60);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match app.checkpoint().await {
                Ok(Some(c)) => tracing::info!(seq = c.seq, chains = c.chains, "checkpoint"),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "checkpoint failed"),
            }
        }
    });
}

/// The configured public address; left at its default, the address Candor listens on
/// (so that links in emails work when only `--listen` was changed).
fn public_url(cfg: &Config) -> String {
    let default = Config::default();
    if cfg.public_url != default.public_url || cfg.listen == default.listen {
        return cfg.public_url.clone();
    }
    let mut at = cfg.listen;
    if at.ip().is_unspecified() {
        at.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{at}")
}

/// One demo staff account per role, each with a fresh random password.
pub async fn demo_users(app: &Candor) -> Result<Vec<(String, Role, String)>> {
    let mut out = Vec::new();
    for role in Role::ALL {
        let email = format!("{}@demo.candor.example", role.as_str());
        let password = candor_app::staff::random_password();
        app.set_staff_password(&email, role, &password)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        out.push((email, role, password));
    }
    Ok(out)
}

/// SMTP when configured, else the local outbox in the data directory.
pub fn transport(cfg: &Config) -> Result<Transport> {
    let Some(smtp) = &cfg.smtp else {
        return Ok(Transport::Outbox(cfg.data_dir.join("outbox")));
    };
    let password = match (&smtp.password, &smtp.password_file) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(f)) => Some(
            std::fs::read_to_string(f)
                .with_context(|| format!("reading {}", f.display()))?
                .trim()
                .to_owned(),
        ),
        (None, None) => None,
    };
    let settings = candor_app::mail::SmtpSettings {
        host: smtp.host.clone(),
        port: smtp.port,
        security: smtp.security.clone(),
        username: smtp.username.clone(),
        connections: smtp.connections,
        password,
    };
    Transport::smtp(&settings).map_err(|e| anyhow::anyhow!("the SMTP settings were refused: {e}"))
}

/// Delivers queued email every second. A message survives a kill between queueing and
/// delivery (it is in the database), and a crash mid-delivery leaves it leased, then
/// retried with the same Message-ID.
pub fn spawn_mail_worker(app: Candor, transport: Transport) {
    tokio::spawn(async move {
        loop {
            // No pause while messages are due: the next round starts at once.
            match app.deliver_due(&transport).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "mail delivery round failed"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    });
}
