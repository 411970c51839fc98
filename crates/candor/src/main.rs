//! `candor`: the server and the tools around it.

mod bench;
mod bench_checkpoint;
mod bench_erase;
mod bench_export;
mod bench_search;
mod config;
mod import;
mod requests_cli;
mod setup;

use anyhow::{Context, Result};
use candor_domain::Role;
use clap::{Parser, Subcommand};
use config::{Config, Overrides};
use std::path::PathBuf;

// The allocator showed at about a tenth of the HTTP read path's profile.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "candor",
    version,
    about = "Candor: a CRM in which the GDPR is the data model"
)]
struct Cli {
    /// Configuration file (default: ./candor.toml if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data directory (database, master key, outbox).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL (default: SQLite in the data directory).
    #[arg(long, global = true)]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Fill an empty database with demo data and print a demo admin token.
        #[arg(long)]
        demo: bool,
        /// How many demo contacts to generate with --demo.
        #[arg(long, default_value_t = 300)]
        demo_contacts: u64,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage staff accounts (people who log in to the back office).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Check every hash chain (access audit, consent ledger) and the signed checkpoints
    /// over them; name every broken entry, vanished chain or rewound head.
    Verify,
    /// Make a signed checkpoint of every chain's head now (the server makes one every
    /// `checkpoint_minutes` and at shutdown).
    Checkpoint,
    /// Fill the database with realistic generated data.
    Demo {
        #[arg(long, default_value_t = 1000)]
        contacts: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Write the people to a CSV file to import (with a confirmed newsletter opt-in
        /// each) instead of adding them to the database.
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        /// With --csv: the percentage of rows with an invalid phone number (0 to 100).
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=100))]
        bad_percent: u64,
    },
    /// Import data from CSV (resumable: rerun the same command after a crash).
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Consent requests (C4) to people never asked.
    ConsentRequests {
        #[command(subcommand)]
        command: ConsentRequestCommand,
    },
    /// Export data as CSV.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Data subject requests (R1, R7).
    Requests {
        #[command(subcommand)]
        command: requests_cli::RequestsCommand,
    },
    /// Signed acknowledgements of receipt of requests (R2): verify one offline.
    Receipt {
        #[command(subcommand)]
        command: requests_cli::ReceiptCommand,
    },
    /// Erasure (E1, E2): erase a person; check that nothing of an email remains.
    Erase {
        #[command(subcommand)]
        command: requests_cli::EraseCommand,
    },
    /// Retention (E4): run the policies now, or see what they would do.
    Retention {
        #[command(subcommand)]
        command: requests_cli::RetentionCommand,
    },
    /// The record of processing activities (S5, Art. 30), generated from the catalogue.
    Register {
        #[command(subcommand)]
        command: requests_cli::RegisterCommand,
    },
    /// The breach register (B1, B2): list it, print a breach's notification to the
    /// authority.
    Breach {
        #[command(subcommand)]
        command: requests_cli::BreachCommand,
    },
    /// Scheduled work (the DPO's daily digest…): list, or run what is due now.
    Jobs {
        #[command(subcommand)]
        command: requests_cli::JobsCommand,
    },
    /// Benchmarks that print figures and their ratio to the raw database.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print its secret (shown once).
    Create {
        #[arg(long)]
        role: Role,
        #[arg(long)]
        name: String,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id, or every live token with this name.
    Revoke { id_or_name: String },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; without --password-file, a random password is printed once.
    Create {
        #[arg(long)]
        role: Role,
        #[arg(long)]
        email: String,
        /// fr or en.
        #[arg(long, default_value = "fr")]
        locale: String,
        /// A file holding the password (at least 12 characters).
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// List accounts (never their passwords).
    List,
}

#[derive(Subcommand)]
enum ConsentRequestCommand {
    /// Ask every contact with an email who was never asked (such as those an import
    /// held with --no-consent-requests), where the communication rules allow it now.
    Send {
        /// Count who would be asked, and send nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Contacts, with their consent evidence; bad rows go to a rejects file.
    Contacts(import::ImportArgs),
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Every contact, with the columns the role may read; each export is audited.
    Contacts {
        #[arg(long)]
        out: PathBuf,
        /// Whose view of the data to export.
        #[arg(long)]
        role: Role,
    },
    /// Everything held on one person, as the zip of an access request (R3, R4):
    /// report.html, data.json, CSV files, contact.vcf, a signed manifest.
    Subject {
        #[arg(long)]
        contact: uuid::Uuid,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print a commented configuration file with every setting.
    Example,
}

/// A user's error (a bad flag, a refused file, an unreachable database) is one clear
/// line and a non-zero exit, whatever `RUST_BACKTRACE` says: the backtrace is for bugs.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    // Everything Candor creates (the data directory, the database and its journal, the
    // master key, .eml files, exports, rejects files) is its user's alone: 0700
    // directories, 0600 files.
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = Cli::parse();
    let listen = match &cli.command {
        Command::Serve { listen, .. } => *listen,
        _ => None,
    };
    let flags = Overrides {
        data_dir: cli.data_dir.clone(),
        database: cli.database.clone(),
        listen,
    };
    let cfg = Config::load(cli.config.as_deref(), flags).context("reading the configuration")?;
    setup::init_logging(&cfg.log);
    match cli.command {
        Command::Serve {
            demo,
            demo_contacts,
            ..
        } => setup::serve(&cfg, demo.then_some(demo_contacts)).await,
        Command::Token { command } => token(&cfg, command).await,
        Command::User { command } => user(&cfg, command).await,
        Command::Verify => verify(&cfg).await,
        Command::Checkpoint => checkpoint(&cfg).await,
        Command::Requests { command } => requests_cli::requests(&cfg, command).await,
        Command::Receipt { command } => requests_cli::receipt(&cfg, command),
        Command::Jobs { command } => requests_cli::jobs(&cfg, command).await,
        Command::Erase { command } => requests_cli::erase(&cfg, command).await,
        Command::Retention { command } => requests_cli::retention(&cfg, command).await,
        Command::Register { command } => requests_cli::register(&cfg, command).await,
        Command::Breach { command } => requests_cli::breach(&cfg, command).await,
        Command::Demo {
            contacts,
            seed,
            csv: Some(path),
            bad_percent,
        } => {
            let file = std::fs::File::create(&path)
                .with_context(|| format!("creating {}", path.display()))?;
            let bad_every = 100u64.checked_div(bad_percent).unwrap_or(0);
            let now = candor_domain::clock::to_micros(time::OffsetDateTime::now_utc());
            candor_app::demo::write_import_csv(
                std::io::BufWriter::new(file),
                contacts,
                seed,
                now,
                bad_every,
            )?;
            let bad = contacts.checked_div(bad_every).unwrap_or(0);
            eprintln!(
                "Wrote {contacts} people ({bad} with an invalid phone) to {}; import them with \
                 `candor import contacts {}`",
                path.display(),
                path.display()
            );
            Ok(())
        }
        Command::Demo { contacts, seed, .. } => {
            let app = setup::open(&cfg).await?;
            setup::fill_demo(&app, contacts, seed).await
        }
        Command::Import {
            command: ImportCommand::Contacts(args),
        } => import::contacts(&cfg, args).await,
        Command::ConsentRequests {
            command: ConsentRequestCommand::Send { dry_run },
        } => {
            let app = setup::open(&cfg).await?;
            let actor = candor_app::Actor {
                id: uuid::Uuid::nil(),
                role: Role::Admin,
                audit_name: "cli:consent-requests".into(),
            };
            let r = app
                .send_consent_requests(&actor, dry_run)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let would = if dry_run { "would be " } else { "" };
            eprintln!(
                "{} contacts with an email were never asked; {} {would}emailed a consent request \
                 (the others: an address that bounces, a global opt-out or a recent refusal).",
                r.never_asked, r.queued
            );
            Ok(())
        }
        Command::Export {
            command: ExportCommand::Contacts { out, role },
        } => export_contacts(&cfg, &out, role).await,
        Command::Export {
            command: ExportCommand::Subject { contact, out },
        } => requests_cli::export_subject(&cfg, contact, &out).await,
        Command::Config {
            command: ConfigCommand::Example,
        } => {
            print!("{}", config::EXAMPLE);
            Ok(())
        }
        Command::Bench { command } => bench::run(command).await,
    }
}

async fn token(cfg: &Config, command: TokenCommand) -> Result<()> {
    let app = setup::open(cfg).await?;
    match command {
        TokenCommand::Create { role, name } => {
            let (t, secret) = app
                .create_token(role, &name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!(
                "Created token {} ({}, role {}). Its secret is shown only now:",
                t.id, t.name, t.role
            );
            println!("{secret}");
        }
        TokenCommand::List => {
            println!(
                "{:<36}  {:<9}  {:<25}  {:<8}  name",
                "id", "role", "created", "state"
            );
            for t in app
                .list_tokens()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                let created = candor_domain::contact::rfc3339(t.created_at);
                println!(
                    "{:<36}  {:<9}  {:<25}  {:<8}  {}",
                    t.id, t.role, created, state, t.name
                );
            }
        }
        TokenCommand::Revoke { id_or_name } => {
            let n = app
                .revoke_tokens(&id_or_name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if n == 0 {
                anyhow::bail!("no active token has this id or name");
            }
            println!("revoked {n} token(s)");
        }
    }
    Ok(())
}

async fn user(cfg: &Config, command: UserCommand) -> Result<()> {
    let app = setup::open(cfg).await?;
    match command {
        UserCommand::Create {
            role,
            email,
            locale,
            password_file,
        } => {
            let (password, generated) = match password_file {
                Some(f) => (
                    std::fs::read_to_string(&f)
                        .with_context(|| format!("reading {}", f.display()))?
                        .trim_end_matches(['\n', '\r'])
                        .to_owned(),
                    false,
                ),
                None => (candor_app::staff::random_password(), true),
            };
            let u = app
                .create_staff_user(&email, role, &locale, &password)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!(
                "Created staff account {} ({}, role {}).",
                u.id, u.email, u.role
            );
            if generated {
                eprintln!("Its password is shown only now:");
                println!("{password}");
            }
        }
        UserCommand::List => {
            println!("{:<36}  {:<9}  {:<8}  email", "id", "role", "state");
            for u in app
                .list_staff_users()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                let state = if u.disabled_at.is_some() {
                    "disabled"
                } else {
                    "active"
                };
                println!("{:<36}  {:<9}  {:<8}  {}", u.id, u.role, state, u.email);
            }
        }
    }
    Ok(())
}

async fn export_contacts(cfg: &Config, out: &std::path::Path, role: Role) -> Result<()> {
    let app = setup::open(cfg).await?;
    let total = app.store.contacts().count().await? as u64;
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let bar = setup::progress_bar(total, "exporting");
    let actor = candor_app::Actor {
        id: uuid::Uuid::nil(),
        role,
        audit_name: format!("cli:export:{role}"),
    };
    let n = app
        .export_contacts(&actor, std::io::BufWriter::new(file), &mut |n| {
            bar.set_position(n)
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_and_clear();
    eprintln!(
        "Exported {n} contacts to {} (columns the role {role} may read; recorded in the audit)",
        out.display()
    );
    Ok(())
}

async fn checkpoint(cfg: &Config) -> Result<()> {
    let app = setup::open(cfg).await?;
    match app.checkpoint().await.map_err(|e| anyhow::anyhow!("{e}"))? {
        Some(c) => println!(
            "Checkpoint #{} over {} chains, root {}, signed (public key {})",
            c.seq, c.chains, c.root, c.public_key
        ),
        None => println!("Nothing changed since the newest checkpoint: none made"),
    }
    app.store.close().await;
    Ok(())
}

async fn verify(cfg: &Config) -> Result<()> {
    use candor_domain::audit::ChainBreak as B;
    let app = setup::open(cfg).await?;
    let mut broken = 0;
    // Recorded for the compliance dashboard (O1), like the server's daily run.
    let (chains, cps, _) = app
        .verify_and_record("cli")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for (ledger, report) in chains {
        println!(
            "{ledger}: {} entries in {} subject chains",
            report.entries, report.subjects
        );
        for (subject, b) in &report.breaks {
            broken += 1;
            match b {
                B::Altered { id, seq } => println!("BROKEN: {ledger} entry {id} (subject {subject}, seq {seq}) was altered: its content no longer matches its hash"),
                B::Unlinked { id, seq } => println!("BROKEN: {ledger} entry {id} (subject {subject}, seq {seq}) does not follow the previous entry: an entry was removed or inserted"),
                B::Truncated { last_seq, head_seq } => println!("BROKEN: {ledger} chain of subject {subject} ends at seq {last_seq} but its head says {head_seq}: entries were removed"),
            }
        }
        let status =
            |s: Option<candor_domain::consent::Status>| s.map_or("no state", |s| s.as_str());
        for m in &report.projection {
            broken += 1;
            println!(
                "BROKEN: the current consent of subject {} for {} by {} says {}, its ledger says {}: \
                 the state that decisions read was changed outside the ledger",
                m.subject,
                m.purpose,
                m.channel.as_str(),
                status(m.stored),
                status(m.ledger)
            );
        }
    }
    use candor_domain::checkpoint::CheckpointBreak as C;
    match &cps.newest {
        Some(n) => println!(
            "checkpoints: {} signed, the newest (#{}, {}) covers {} chains",
            cps.checkpoints, n.seq, n.at, n.chains
        ),
        None => {
            println!("checkpoints: none yet (run `candor checkpoint`, or the server makes them)")
        }
    }
    for b in &cps.breaks {
        broken += 1;
        match b {
            C::Chain { seq } => println!("BROKEN: checkpoint #{seq} was altered, removed or inserted: it does not follow the previous one"),
            C::Signature { seq } => println!("BROKEN: checkpoint #{seq} is not signed by this installation's checkpoint key"),
            C::Root { seq } => println!("BROKEN: the chain heads kept for checkpoint #{seq} were changed: they no longer give its signed root"),
            C::Anchor { seq } => println!("BROKEN: checkpoint #{seq}, listed in the anchor file, is missing from the database or differs"),
            C::ErasureSignature { seq } => println!("BROKEN: erasure record #{seq} is not signed by this installation's checkpoint key"),
            C::AuditBaseSignature { subject } => println!("BROKEN: the access audit of subject {subject} starts after removed entries, and that start is not signed by this installation's checkpoint key"),
            C::Vanished { ledger, subject, seq } => println!("BROKEN: the {ledger} chain of subject {subject} is gone with its head; the last checkpoint saw it at seq {seq}"),
            C::Rewound { ledger, subject, checkpoint_seq, now_seq } => println!("BROKEN: the {ledger} chain of subject {subject} went back from seq {checkpoint_seq} (last checkpoint) to {now_seq}: entries were removed"),
            C::Rewritten { ledger, subject, seq } => println!("BROKEN: the {ledger} chain of subject {subject} was rewritten: its entry at seq {seq} is not the one the last checkpoint saw"),
        }
    }
    if broken == 0 {
        println!("OK: every chain is intact, and every current consent is its ledger's");
        return Ok(());
    }
    eprintln!("{broken} broken chain(s)");
    std::process::exit(1)
}
