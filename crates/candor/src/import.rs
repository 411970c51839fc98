//! `candor import contacts`: the command around `Candor::import_contacts`, with a
//! progress bar (bytes of the file, rows/s, ETA) and a summary.

use crate::config::Config;
use crate::setup;
use anyhow::{Context, Result};
use candor_app::import::{ImportOptions, OnDuplicate};
use candor_domain::contact::ContactKind;
use candor_domain::Role;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Clone, Copy, ValueEnum)]
pub enum Duplicate {
    /// Fill the existing contact with the row's non-empty values and add its consents.
    Merge,
    /// Leave the existing contact alone; the row is listed in the rejects file.
    Skip,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Kind {
    B2b,
    B2c,
}

#[derive(Args)]
pub struct ImportArgs {
    /// The CSV file: UTF-8 (with or without BOM), UTF-16 with BOM or Windows-1252;
    /// `,`, `;` or tab between cells; a header line.
    file: PathBuf,
    /// Column mapping preset (default: the one whose tool's columns the header has; the
    /// import refuses to guess between two).
    #[arg(long)]
    preset: Option<String>,
    /// Map a column to a field, over the preset: `--map "Zip=postal_code"`;
    /// `--map "Column="` leaves a column out. Repeatable.
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    maps: Vec<String>,
    /// What to do with a row whose email is already a contact's.
    #[arg(long, value_enum, default_value = "skip")]
    on_duplicate: Duplicate,
    /// The kind of contacts for rows without a kind column.
    #[arg(long, value_enum)]
    kind: Option<Kind>,
    /// The purposes of the consents in the file, when it has no consent purposes column.
    #[arg(long = "consent-purpose", value_name = "PURPOSE")]
    purposes: Vec<String>,
    /// Where to write the rejected rows (default: FILE.rejects.csv).
    #[arg(long)]
    rejects: Option<PathBuf>,
    /// Whose rights the import uses (the fields it may write).
    #[arg(long, default_value = "admin")]
    role: Role,
    /// Rows per transaction.
    #[arg(long, default_value_t = 2000, hide = true)]
    batch_size: usize,
    /// Read and check the whole file, write nothing but the rejects file, and print what
    /// the import would do: contacts, consent events, withdrawals, emails.
    #[arg(long)]
    dry_run: bool,
    /// Queue no consent request: the new contacts never asked wait, to be asked later
    /// with `candor consent-requests send` or from the back office's Imports page.
    #[arg(long)]
    no_consent_requests: bool,
}

impl ImportArgs {
    fn options(&self) -> Result<ImportOptions> {
        let mut maps = Vec::new();
        for m in &self.maps {
            let (col, field) = m
                .split_once('=')
                .with_context(|| format!("--map `{m}`: write it COLUMN=FIELD"))?;
            maps.push((col.to_owned(), field.to_owned()));
        }
        let rejects = self.rejects.clone().unwrap_or_else(|| {
            let mut p = self.file.clone().into_os_string();
            p.push(".rejects.csv");
            p.into()
        });
        Ok(ImportOptions {
            preset: self.preset.clone(),
            maps,
            on_duplicate: match self.on_duplicate {
                Duplicate::Merge => OnDuplicate::Merge,
                Duplicate::Skip => OnDuplicate::Skip,
            },
            kind: self.kind.map(|k| match k {
                Kind::B2b => ContactKind::B2b,
                Kind::B2c => ContactKind::B2c,
            }),
            purposes: self.purposes.clone(),
            batch_size: self.batch_size.max(1),
            rejects_path: rejects,
            dry_run: self.dry_run,
            consent_requests: !self.no_consent_requests,
        })
    }
}

pub async fn contacts(cfg: &Config, args: ImportArgs) -> Result<()> {
    let opts = args.options()?;
    let app = setup::open(cfg).await?;
    let actor = candor_app::Actor {
        id: uuid::Uuid::nil(),
        role: args.role,
        audit_name: format!("cli:import:{}", args.role),
    };
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("importing [{bar:30}] {percent}% {msg}, eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let started = Instant::now();
    let mut first: Option<u64> = None;
    let report = app
        .import_contacts(&actor, &args.file, &opts, &mut |p| {
            bar.set_length(p.total_bytes);
            bar.set_position(p.bytes);
            let base = *first.get_or_insert(p.records.saturating_sub(opts.batch_size as u64));
            let secs = started.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "{} rows, {:.0} rows/s",
                p.records,
                (p.records - base) as f64 / secs
            ));
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_and_clear();
    let c = report.counts;
    if report.already_done {
        eprintln!(
            "This file was imported already with these options (job {}): nothing done.",
            &report.job_id[..12]
        );
    } else if report.resumed_from > 0 {
        eprintln!(
            "Resumed job {} after row {}.",
            &report.job_id[..12],
            report.resumed_from
        );
    }
    let would = if report.dry_run { "would be " } else { "" };
    if report.dry_run {
        eprintln!("Dry run: nothing was written (but the rejects file).");
    }
    eprintln!(
        "Preset {}, file read as {}. {} rows: {} {would}created, {} {would}merged, {} duplicates {would}skipped, {} rejected ({:.1} s).",
        report.preset,
        report.format,
        report.records,
        c.created,
        c.merged,
        c.skipped,
        c.rejected,
        started.elapsed().as_secs_f64()
    );
    eprintln!(
        "Consent events {would}recorded: {} ({} grants, {} confirmations of a double opt-in done in the earlier tool, {} withdrawals the file states); {} people {would}emailed a consent request.",
        c.consents, c.grants, c.confirmations, c.withdrawals, c.requests
    );
    if c.requests_held > 0 {
        eprintln!(
            "{} people {would}left unasked (--no-consent-requests): ask them later with \
             `candor consent-requests send` (try it with --dry-run), or from Imports in the back office.",
            c.requests_held
        );
    }
    if c.undeliverable > 0 {
        eprintln!(
            "{} addresses the file says bounce (bounced, cleaned, invalid): they {would}get no email from the import.",
            c.undeliverable
        );
    }
    if c.names_split > 0 {
        eprintln!(
            "{} whole names {would}split into first and last names (the first word as first name).",
            c.names_split
        );
    }
    if !report.ignored_columns.is_empty() {
        eprintln!(
            "Columns left out: {} (map them with --map COLUMN=FIELD).",
            report.ignored_columns.join(", ")
        );
    }
    if let Some(p) = &report.rejects_file {
        eprintln!(
            "Rejected and skipped rows, with the line, column and rule: {}",
            p.display()
        );
    }
    Ok(())
}
