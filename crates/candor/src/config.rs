//! Configuration layers: defaults ← `candor.toml` ← `CANDOR_*` environment ← flags.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the database file, the master key and (later) the outbox live.
    pub data_dir: PathBuf,
    /// Address the server listens on.
    pub listen: SocketAddr,
    /// A database URL; by default `sqlite` in the data directory.
    pub database: Option<String>,
    /// The organisation's own field catalogue, replacing the built-in one.
    pub catalogue: Option<PathBuf>,
    /// The organisation's own special-category vocabulary, replacing the built-in one.
    pub lexicon: Option<PathBuf>,
    /// A medical organisation may declare special-category fields (GDPR Art. 9(2)(h)).
    pub medical: bool,
    /// The address people reach Candor at, used in the links of emails.
    pub public_url: String,
    /// The sender of Candor's emails.
    pub mail_from: String,
    /// How many days a double opt-in link stays valid.
    pub confirm_link_days: u16,
    /// How many days after a refusal no consent request is sent (M2).
    pub refusal_quiet_days: u16,
    /// An SMTP server; without it, email goes to the local outbox.
    pub smtp: Option<SmtpConfig>,
    /// Minutes between two checkpoints of the chains' heads (S4); one is also made at
    /// shutdown.
    pub checkpoint_minutes: u32,
    /// The organisation's name, on request receipts and in the emails to people.
    pub organisation: String,
    /// How people reach the data protection officer (an email address): on receipts,
    /// and where the daily digest of due requests goes.
    pub dpo_email: String,
    /// Calendar months to answer a data subject request (Art. 12(3): one).
    pub request_months: u8,
    /// The most one extension may add, in calendar months (Art. 12(3): two).
    pub request_extension_months: u8,
    /// Directories under which removable drives are mounted: a request's bundle is
    /// written to a drive only below one of them.
    pub drive_roots: Vec<PathBuf>,
    /// The retention policies and legal holds (E4); listing any policy replaces the
    /// whole default list.
    pub retention: candor_domain::retention::RetentionConfig,
    /// What the processing register says of transfers outside the EU and of security
    /// measures (S5).
    pub register: candor_domain::register::RegisterConfig,
    /// The annual worldwide turnover in euros, for the fines of Art. 83 on the
    /// compliance dashboard (0 or more); without it, their fixed amounts.
    pub annual_turnover_eur: Option<u64>,
    /// Log filter, in `tracing` syntax.
    pub log: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("candor-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database: None,
            catalogue: None,
            lexicon: None,
            medical: false,
            public_url: "http://127.0.0.1:8080".into(),
            mail_from: "Candor <no-reply@candor.invalid>".into(),
            confirm_link_days: 7,
            refusal_quiet_days: 365,
            smtp: None,
            checkpoint_minutes: 60,
            organisation: "Candor".into(),
            dpo_email: "dpo@candor.invalid".into(),
            request_months: 1,
            request_extension_months: 2,
            drive_roots: vec!["/media".into(), "/mnt".into(), "/run/media".into()],
            retention: candor_domain::retention::RetentionConfig::default(),
            register: candor_domain::register::RegisterConfig::default(),
            annual_turnover_eur: None,
            log: "info,sqlx=warn".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// `starttls` (default), `tls` or `none`.
    #[serde(default = "default_security")]
    pub security: candor_app::mail::Security,
    pub username: Option<String>,
    pub password: Option<String>,
    /// SMTP connections kept open and used at once.
    #[serde(default = "default_connections")]
    pub connections: u32,
    /// A file holding the password (a secret kept out of the configuration file).
    pub password_file: Option<PathBuf>,
}

fn default_connections() -> u32 {
    16
}

fn default_smtp_port() -> u16 {
    587
}

fn default_security() -> candor_app::mail::Security {
    candor_app::mail::Security::Starttls
}

/// Values given on the command line, applied last.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
}

impl Config {
    pub fn load(file: Option<&Path>, flags: Overrides) -> Result<Self, Box<figment::Error>> {
        let default_file = PathBuf::from("candor.toml");
        let file = file.map(Path::to_path_buf).unwrap_or(default_file);
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            // `CANDOR_TEST_*` variables belong to the test suite, not to the server.
            .merge(
                Env::prefixed("CANDOR_")
                    .filter(|k| !k.as_str().to_ascii_lowercase().starts_with("test_")),
            )
            .merge(Serialized::defaults(flags))
            .extract()
            .map_err(Box::new)
    }

    pub fn database_url(&self) -> String {
        self.database
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("candor.db").display()))
    }
}

/// `candor config example`: every setting, commented, with its default.
pub const EXAMPLE: &str = r#"# candor.toml — Candor's configuration. Every setting is optional; the value shown
# is the default. Each can also be set in the environment as CANDOR_<NAME> (for
# example CANDOR_LISTEN=0.0.0.0:8080), and some on the command line, which wins.

# Where the SQLite database, the master key (master.key: back it up, keep it secret)
# and the local outbox live.
data_dir = "candor-data"

# Address the server listens on.
listen = "127.0.0.1:8080"

# Database URL. By default, a SQLite file in data_dir.
# database = "sqlite://candor-data/candor.db"

# The organisation's own field catalogue (TOML), replacing the built-in one. It is
# checked at start: every field needs purposes, a lawful basis, a retention period
# and a justification for each role that may read or write it.
# catalogue = "my-catalogue.toml"

# The organisation's own special-category vocabulary (TOML), replacing the built-in
# French and English one that free-text notes are checked against.
# lexicon = "my-vocabulary.toml"

# Only a medical organisation may declare special-category fields (health, …).
medical = false

# The address people reach Candor at: links in emails (double opt-in…) start with it.
public_url = "http://127.0.0.1:8080"

# The sender of Candor's emails. By default they go to the local outbox
# (data_dir/outbox/*.eml, and GET /api/v1/outbox), so no mail server is needed.
mail_from = "Candor <no-reply@candor.invalid>"

# How many days a double opt-in confirmation link stays valid (single use).
confirm_link_days = 7

# How many days after a person refused consent no consent request is sent to them.
refusal_quiet_days = 365

# Send email through an SMTP server instead of the local outbox. Failed deliveries are
# retried with backoff; every message keeps the Message-ID it was queued with.
# [smtp]
# host = "smtp.example.com"
# port = 587
# security = "starttls"        # or "tls" (port 465), or "none" (local relay only)
# username = "candor"
# password_file = "/run/secrets/smtp-password"
# connections = 16             # kept open and used at once (lower it if the relay limits them)

# Minutes between two signed checkpoints of every audit and consent chain (one is also
# made at start and at shutdown). Each is signed with data_dir/checkpoint.key and
# listed in data_dir/checkpoints.log: keep copies of both away from the database.
checkpoint_minutes = 60

# Data subject requests: the organisation named on the signed receipts, the data
# protection officer's address (on receipts; the daily digest of due and overdue
# requests goes there), the months to answer (Art. 12(3): one) and the most one
# extension may add (two). The seed's "deux mois" is request_months = 2 with
# request_extension_months = 1.
organisation = "Candor"
dpo_email = "dpo@candor.invalid"
request_months = 1
request_extension_months = 2
# A request's bundle is written to a removable drive only below these directories.
drive_roots = ["/media", "/mnt", "/run/media"]

# The compliance dashboard shows the maximum fines of GDPR Art. 83 for this annual
# worldwide turnover (euros): the greater of 4% and EUR 20 million, and of 2% and
# EUR 10 million. Without it, the fixed amounts.
# annual_turnover_eur = 45000000

# Log filter (tracing syntax). Logs never contain personal data.
log = "info,sqlx=warn"

# Retention (E4): how long data is kept, checked at start (a policy with an unknown
# target, a period that is not a positive number of months or days, or a hold shorter
# than the law's is refused, naming it). Every day at 03:00 UTC the policies run; the
# back office (Retention) shows the last runs and a preview, and
# `candor retention run --dry-run` lists what each would do. The field catalogue's
# retention texts take their periods from these policies (`retained_by`).
[retention]
# Orders are kept 10 years from their date (Code de commerce L123-22), contracts 5
# years from their end (Code civil 2224), naming no one, after their person's erasure.
# Longer is allowed, shorter is not.
order_hold_years = 10
contract_hold_years = 5

# Listing any policy replaces the whole list below. The built-in field catalogue names
# inactive_prospects, former_customers (both with one period: its texts say "N years
# after the last contact") and tracking_events: keep those names, or start from your
# own catalogue; Candor refuses to start otherwise, naming the field. Targets:
# inactive_prospects (no
# contract, no order, no sign of life: erased), former_customers (every contract
# ended, no order and no sign of life since: erased, their orders and contracts held),
# pending_consents (a B2C grant never confirmed: lapses), tracking_events (web visits,
# email opens and clicks: deleted), ended_holds (held records past their hold:
# deleted; no period), audit_entries (the access audit's entries, each person's oldest
# first: deleted, the chain left starting after them with a signed start),
# closed_requests (requests answered or refused, kept as proof until then: deleted).
# The CNIL's guidance gives the defaults.
[[retention.policy]]
name = "inactive_prospects"
target = "inactive_prospects"
months = 36

[[retention.policy]]
name = "former_customers"
target = "former_customers"
months = 36

[[retention.policy]]
name = "pending_consents"
target = "pending_consents"
days = 30

[[retention.policy]]
name = "tracking_events"
target = "tracking_events"
months = 13

[[retention.policy]]
name = "ended_holds"
target = "ended_holds"

[[retention.policy]]
name = "audit_entries"
target = "audit_entries"
months = 72

[[retention.policy]]
name = "closed_requests"
target = "closed_requests"
months = 60

# The record of processing activities (Art. 30) is generated from the catalogue and the
# policies above; the organisation states here what the catalogue cannot know: its
# transfers outside the EU and its security measures (Candor's own are listed by
# default; add backups, encryption at rest, hosting…).
# [register]
# transfers = { fr = "Aucun transfert hors de l'Union européenne.", en = "No transfer outside the European Union." }
# security = [
#   { fr = "Contrôle d'accès par rôle et par champ…", en = "Access control per role and per field…" },
# ]
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_is_the_defaults() {
        let from_example: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string(EXAMPLE))
            .extract()
            .unwrap();
        let d = Config::default();
        assert_eq!(from_example.data_dir, d.data_dir);
        assert_eq!(from_example.listen, d.listen);
        assert_eq!(from_example.log, d.log);
        assert_eq!(from_example.retention, d.retention);
        let raw: toml::Value = toml::from_str(EXAMPLE).unwrap();
        assert!(raw.get("listen").is_some());
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn a_listed_policy_replaces_the_default_list_and_is_checked_at_load() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "candor.toml",
                "[retention]\norder_hold_years = 12\n\n[[retention.policy]]\n\
                 name = \"web\"\ntarget = \"tracking_events\"\nmonths = 6\n",
            )?;
            let c = Config::load(None, Overrides::default()).map_err(|e| *e)?;
            assert_eq!(c.retention.order_hold_years, 12);
            assert_eq!(c.retention.contract_hold_years, 5);
            assert_eq!(c.retention.policy.len(), 1);
            let r = c.retention.load().expect("valid");
            assert_eq!(r.holds.order_years, 12);
            // The built-in catalogue names policies this list dropped: refused, named.
            let e = candor_domain::catalogue::Catalogue::load_with(
                candor_domain::catalogue::DEFAULT_CATALOGUE,
                false,
                r,
            )
            .unwrap_err();
            assert_eq!(e.rule, "unknown_policy");
            jail.create_file(
                "candor.toml",
                "[[retention.policy]]\nname = \"web\"\ntarget = \"tracking_events\"\nmonths = -6\n",
            )?;
            let c = Config::load(None, Overrides::default()).map_err(|e| *e)?;
            let e = c.retention.load().unwrap_err();
            assert_eq!(e.field, "retention.policy.web.months");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn flags_override_the_environment_which_overrides_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CANDOR_LISTEN", "127.0.0.1:9001");
            jail.set_env("CANDOR_DATA_DIR", "/tmp/from-env");
            let c = Config::load(None, Overrides::default()).map_err(|e| *e)?;
            assert_eq!(c.listen.port(), 9001);
            let flags = Overrides {
                data_dir: Some("/tmp/from-flag".into()),
                ..Default::default()
            };
            let c = Config::load(None, flags).map_err(|e| *e)?;
            assert_eq!(c.data_dir, PathBuf::from("/tmp/from-flag"));
            assert_eq!(c.listen.port(), 9001);
            Ok(())
        });
    }
}
