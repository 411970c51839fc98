//! The `candor` command as a person uses it: demo data, tokens, and `verify` naming
//! the audit row someone altered by hand in the SQLite file.

mod common;

use candor_app::Candor;
use std::path::Path;
use std::process::{Command, Output};

fn candor(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_candor"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("CANDOR_LOG", "warn")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

async fn open(dir: &Path) -> Candor {
    let store = candor_store::Store::open_file(&dir.join("candor.db"))
        .await
        .unwrap();
    Candor::new(
        store,
        candor_domain::catalogue::Catalogue::default_catalogue(),
        candor_domain::lexicon::Lexicon::default_french_english(),
        std::sync::Arc::new(candor_domain::SystemClock),
        candor_app::keys::Keys::load_or_create(dir).unwrap(),
        candor_app::receipts::ReceiptKeys::load_or_create(dir).unwrap(),
        candor_app::Settings::default(),
    )
    .await
    .unwrap()
}

/// Edits the subject's second entry of `table` by hand in the SQLite file, as someone
/// with access to the file could, and returns that entry's id.
async fn tamper(dir: &Path, table: &str, subject: uuid::Uuid, set: &str) -> String {
    let url = format!("sqlite://{}", dir.join("candor.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let (victim,): (String,) = sqlx::query_as(&format!(
        "SELECT id FROM {table} WHERE subject_id = ?1 AND seq = 2"
    ))
    .bind(subject.to_string())
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query(&format!("UPDATE {table} SET {set} WHERE id = ?1"))
        .bind(&victim)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    victim
}

/// What Candor writes is its user's alone: the data directory 0700, the database, its
/// journal and the master key 0600, whatever the caller's umask.
#[cfg(unix)]
#[test]
fn data_files_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir()
        .join(format!("candor-perm-{}", uuid::Uuid::now_v7()))
        .join("data");
    let out = candor(&dir, &["token", "create", "--role", "sales", "--name", "t"]);
    assert!(out.status.success(), "{out:?}");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700, "data directory");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            files += 1;
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
    assert!(files >= 2, "the database and the master key at least");
}

/// An input error is one line on stderr and exit 1, even with RUST_BACKTRACE=1.
#[test]
fn a_user_error_is_one_line_without_a_backtrace() {
    let dir = common::temp_dir("cli-error");
    let out = Command::new(env!("CARGO_BIN_EXE_candor"))
        .arg("--data-dir")
        .arg(&dir)
        .args(["token", "create", "--role", "sales", "--name", ""])
        .env("RUST_BACKTRACE", "1")
        .env("CANDOR_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("Error: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        !err.contains("Stack backtrace") && !err.contains("backtrace"),
        "{err}"
    );
}

#[test]
fn tokens_are_created_listed_and_revoked() {
    let dir = common::temp_dir("cli-token");
    let out = candor(
        &dir,
        &[
            "token",
            "create",
            "--role",
            "sales",
            "--name",
            "Sales laptop",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let secret = stdout(&out).trim().to_owned();
    assert!(secret.starts_with("cdr_") && secret.len() == 68, "{secret}");
    let list = stdout(&candor(&dir, &["token", "list"]));
    assert!(
        list.contains("Sales laptop") && list.contains("sales") && list.contains("active"),
        "{list}"
    );
    assert!(
        !list.contains(&secret[4..]),
        "the list must never show a secret"
    );
    let db = std::fs::read(dir.join("candor.db")).unwrap();
    assert!(
        !db.windows(64).any(|w| w == &secret.as_bytes()[4..]),
        "the secret must not be stored"
    );
    assert!(candor(&dir, &["token", "revoke", "Sales laptop"])
        .status
        .success());
    assert!(stdout(&candor(&dir, &["token", "list"])).contains("revoked"));
    let bad = candor(&dir, &["token", "create", "--role", "boss", "--name", "x"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown role"));
}

#[tokio::test]
async fn verify_passes_then_names_the_row_altered_by_hand() {
    let dir = common::temp_dir("cli-verify");
    assert!(candor(&dir, &["demo", "--contacts", "40"]).status.success());
    let app = open(&dir).await;
    let (tok, _) = app
        .create_token(candor_domain::Role::Sales, "reader")
        .await
        .unwrap();
    let actor = candor_app::Actor {
        id: tok.id,
        role: tok.role,
        audit_name: format!("token:{}", tok.id),
    };
    let page = app
        .list_contacts(&actor, Default::default(), "GET /api/v1/contacts")
        .await
        .unwrap();
    let subject: uuid::Uuid = page.items[3]["id"].as_str().unwrap().parse().unwrap();
    for _ in 0..3 {
        app.get_contact(&actor, subject, "GET /api/v1/contacts/{id}")
            .await
            .unwrap();
    }
    app.store.close().await;

    let ok = candor(&dir, &["verify"]);
    assert!(ok.status.success(), "{ok:?}");
    assert!(stdout(&ok).contains("OK"), "{}", stdout(&ok));

    let victim = tamper(&dir, "audit_entry", subject, "fields = '[\"first_name\"]'").await;

    let broken = candor(&dir, &["verify"]);
    assert!(!broken.status.success());
    let text = stdout(&broken);
    assert!(text.contains(&victim) && text.contains("altered"), "{text}");
}

#[tokio::test]
async fn export_writes_what_the_role_may_read_neutralises_formulas_and_is_audited() {
    let dir = common::temp_dir("cli-export");
    assert!(candor(&dir, &["demo", "--contacts", "1200"])
        .status
        .success());
    let app = open(&dir).await;
    let (tok, _) = app
        .create_token(candor_domain::Role::Sales, "writer")
        .await
        .unwrap();
    let actor = candor_app::Actor {
        id: tok.id,
        role: tok.role,
        audit_name: format!("token:{}", tok.id),
    };
    let patch = candor_domain::contact::ContactPatch {
        kind: Some(Some("b2c".into())),
        last_name: Some(Some("Formule".into())),
        notes: Some(Some("=HYPERLINK(\"http://evil.example\")".into())),
        ..Default::default()
    };
    let made = app.create_contact(&actor, patch, "test").await.unwrap();
    let id = made["id"].as_str().unwrap().to_owned();
    app.store.close().await;

    let sales_csv = dir.join("sales.csv");
    let out = candor(
        &dir,
        &[
            "export",
            "contacts",
            "--role",
            "sales",
            "--out",
            sales_csv.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let mut r = csv::Reader::from_path(&sales_csv).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    assert!(header.contains(&"phone".to_owned()) && header.contains(&"email".to_owned()));
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1201, "every contact once, across pages of 1000");
    let notes = header.iter().position(|h| h == "notes").unwrap();
    let mine = rows.iter().find(|row| row[0] == id).unwrap();
    assert_eq!(&mine[notes], "'=HYPERLINK(\"http://evil.example\")");
    let phone = header.iter().position(|h| h == "phone").unwrap();
    assert!(rows
        .iter()
        .filter(|row| !row[phone].is_empty())
        .all(|row| row[phone].starts_with("'+")));

    let mkt_csv = dir.join("marketing.csv");
    assert!(candor(
        &dir,
        &[
            "export",
            "contacts",
            "--role",
            "marketing",
            "--out",
            mkt_csv.to_str().unwrap()
        ]
    )
    .status
    .success());
    let text = std::fs::read_to_string(&mkt_csv).unwrap();
    let mkt_header = text.lines().next().unwrap();
    for hidden in ["phone", "email", "address_line", "postal_code", "notes"] {
        assert!(
            !mkt_header.split(',').any(|h| h == hidden),
            "marketing export has {hidden}"
        );
    }
    assert!(!text.contains("HYPERLINK"));

    let app = open(&dir).await;
    let audit = app
        .store
        .audit()
        .list(id.parse().unwrap(), 10)
        .await
        .unwrap();
    let exports: Vec<_> = audit
        .iter()
        .filter(|e| e.action == candor_domain::audit::AuditAction::Export)
        .collect();
    assert_eq!(exports.len(), 2);
    assert!(exports
        .iter()
        .any(|e| e.actor == "cli:export:marketing" && !e.fields.contains(&"phone".to_owned())));
    assert!(exports
        .iter()
        .any(|e| e.actor == "cli:export:sales" && e.fields.contains(&"phone".to_owned())));
}

#[tokio::test]
async fn verify_names_the_consent_event_edited_by_hand() {
    let dir = common::temp_dir("cli-consent");
    let app = open(&dir).await;
    let (tok, _) = app
        .create_token(candor_domain::Role::Admin, "admin")
        .await
        .unwrap();
    let actor = candor_app::Actor {
        id: tok.id,
        role: tok.role,
        audit_name: format!("token:{}", tok.id),
    };
    let company = app
        .create_company(
            &actor,
            candor_domain::company::CompanyPatch {
                name: Some(Some("Maison Roux".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let patch = candor_domain::contact::ContactPatch {
        kind: Some(Some("b2b".into())),
        company_id: Some(Some(company["id"].as_str().unwrap().into())),
        last_name: Some(Some("Roux".into())),
        ..Default::default()
    };
    let contact: uuid::Uuid = app.create_contact(&actor, patch, "test").await.unwrap()["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    for action in ["grant", "withdraw", "grant"] {
        let input = candor_app::consent::ConsentInput {
            purpose: "newsletter".into(),
            channel: "email".into(),
            action: action.into(),
            source: "api".into(),
            evidence: candor_domain::consent::Evidence {
                wording: Some("Newsletter: yes".into()),
                ..Default::default()
            },
        };
        app.record_consent(&actor, contact, input, "test")
            .await
            .unwrap();
    }
    app.store.close().await;
    assert!(candor(&dir, &["verify"]).status.success());

    // Turn the withdrawal into a grant, as someone covering a missing consent would.
    let victim = tamper(&dir, "consent_event", contact, "action = 'grant'").await;

    let broken = candor(&dir, &["verify"]);
    assert!(!broken.status.success());
    let text = stdout(&broken);
    assert!(
        text.contains("consent ledger entry") && text.contains(&victim) && text.contains("altered"),
        "{text}"
    );
}

/// The state decisions read is checked against the ledger it comes from (C2): a
/// withdrawal turned effective in `consent_state` alone, which would let campaigns
/// through, is named with its subject, purpose and channel.
#[tokio::test]
async fn verify_names_the_current_consent_edited_by_hand() {
    let dir = common::temp_dir("cli-projection");
    let app = open(&dir).await;
    let (tok, _) = app
        .create_token(candor_domain::Role::Admin, "admin")
        .await
        .unwrap();
    let actor = candor_app::Actor {
        id: tok.id,
        role: tok.role,
        audit_name: format!("token:{}", tok.id),
    };
    let patch = candor_domain::contact::ContactPatch {
        kind: Some(Some("b2c".into())),
        last_name: Some(Some("Roux".into())),
        ..Default::default()
    };
    let contact: uuid::Uuid = app.create_contact(&actor, patch, "test").await.unwrap()["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let input = candor_app::consent::ConsentInput {
        purpose: "newsletter".into(),
        channel: "email".into(),
        action: "withdraw".into(),
        source: "api".into(),
        evidence: Default::default(),
    };
    app.record_consent(&actor, contact, input, "test")
        .await
        .unwrap();
    app.store.close().await;
    let ok = candor(&dir, &["verify"]);
    assert!(ok.status.success(), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("every current consent is its ledger's"));

    let url = format!("sqlite://{}", dir.join("candor.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let edited = sqlx::query(
        "UPDATE consent_state SET status = 'effective' WHERE subject_id = ?1 AND purpose = 'newsletter'",
    )
    .bind(contact.to_string())
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(edited.rows_affected(), 1);
    pool.close().await;

    let broken = candor(&dir, &["verify"]);
    assert!(!broken.status.success());
    let text = stdout(&broken);
    assert!(
        text.contains(&format!(
            "the current consent of subject {contact} for newsletter by email says effective, its ledger says withdrawn"
        )),
        "{text}"
    );
}

/// R2: `candor receipt verify` checks a receipt offline against this installation's
/// keys, or a public key given, and names what is wrong once a byte changed; after a
/// key rotation older receipts still verify. `candor jobs` lists and runs the jobs.
#[tokio::test]
async fn a_receipt_verifies_offline_and_fails_once_changed() {
    let dir = common::temp_dir("cli-receipt");
    let app = open(&dir).await;
    let actor = candor_app::Actor {
        id: uuid::Uuid::nil(),
        role: candor_domain::Role::Dpo,
        audit_name: "token:cli-test".into(),
    };
    let r = app
        .record_request(
            &actor,
            candor_app::requests::RequestInput {
                kind: "access".into(),
                channel: "letter".into(),
                received_on: Some("2026-01-31".into()),
                email: Some("nobody@example.org".into()),
                ..Default::default()
            },
            "POST /api/v1/requests",
        )
        .await
        .unwrap();
    let file = dir.join("receipt.json");
    std::fs::write(&file, app.request_receipt(&actor, r.id).await.unwrap()).unwrap();
    app.store.close().await;

    let ok = candor(&dir, &["receipt", "verify", file.to_str().unwrap()]);
    assert!(ok.status.success(), "{}", stdout(&ok));
    assert!(
        stdout(&ok).contains("deadline 2026-02-28"),
        "{}",
        stdout(&ok)
    );

    // Against the published key alone (PEM), as the person would.
    let pem = candor(&dir, &["receipt", "public-key"]);
    let pem_text: String = stdout(&pem)
        .lines()
        .skip(1)
        .map(|l| format!("{l}\n"))
        .collect();
    let key_file = dir.join("receipt.pub");
    std::fs::write(&key_file, pem_text).unwrap();
    let ok = candor(
        &dir,
        &[
            "receipt",
            "verify",
            file.to_str().unwrap(),
            "--public-key",
            key_file.to_str().unwrap(),
        ],
    );
    assert!(ok.status.success(), "{}", stdout(&ok));

    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.iter().position(|b| *b == b'2').unwrap();
    bytes[at] = b'3';
    let changed = dir.join("changed.json");
    std::fs::write(&changed, bytes).unwrap();
    let bad = candor(&dir, &["receipt", "verify", changed.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stdout(&bad).starts_with("NOT VALID: "), "{}", stdout(&bad));

    let rotated = candor(&dir, &["receipt", "rotate-key"]);
    assert!(rotated.status.success());
    let still = candor(&dir, &["receipt", "verify", file.to_str().unwrap()]);
    assert!(
        still.status.success(),
        "an older receipt after rotation: {}",
        stdout(&still)
    );

    let run = candor(&dir, &["jobs", "run-pending"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let list = candor(&dir, &["jobs", "list"]);
    assert!(stdout(&list).contains("dpo_digest"), "{}", stdout(&list));
}

/// S5: `candor register export` writes the record of processing activities from the
/// catalogue: JSON with one activity per purpose, CSV in English, a printable page in
/// French that stands alone (its style inline, no menu).
#[test]
fn the_register_is_exported_from_the_command_line() {
    let dir = common::temp_dir("cli-register");
    let out = candor(&dir, &["register", "export", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cat = candor_domain::catalogue::Catalogue::default_catalogue();
    assert_eq!(
        r["activities"].as_array().unwrap().len(),
        cat.purposes().len()
    );
    let out = candor(
        &dir,
        &["register", "export", "--format", "csv", "--lang", "en"],
    );
    assert!(stdout(&out).starts_with("Processing,Purpose,"));
    let rows = csv::Reader::from_reader(out.stdout.as_slice())
        .records()
        .count();
    assert_eq!(rows, cat.purposes().len());
    let out = candor(&dir, &["register", "export"]);
    let html = stdout(&out);
    assert!(
        html.contains("<html lang=\"fr\">")
            && html.contains("Registre des activités de traitement")
    );
    assert!(html.contains("<style>") && !html.contains("id=\"logout\""));
    let out = candor(&dir, &["register", "export", "--format", "pdf"]);
    assert!(!out.status.success());
}

/// B1, B2: `candor breach list` shows the register with each clock, and `candor breach
/// notification` prints the authority's notification, as JSON or as the printable
/// page in the order of the CNIL's form, in French or English; an unknown breach is an
/// error.
#[tokio::test]
async fn the_breach_register_is_read_from_the_command_line() {
    let dir = common::temp_dir("cli-breach");
    assert!(candor(&dir, &["demo", "--contacts", "10"]).status.success());
    let app = open(&dir).await;
    let dpo = candor_app::Actor {
        id: uuid::Uuid::nil(),
        role: candor_domain::Role::Dpo,
        audit_name: "test".into(),
    };
    let v = app
        .record_breach(
            &dpo,
            candor_app::breaches::BreachInput {
                discovered_at: Some(candor_domain::contact::rfc3339(
                    app.now() - time::Duration::hours(2),
                )),
                natures: Some(vec!["availability".into()]),
                description: Some(
                    "Le serveur de sauvegarde a été chiffré par un rançongiciel.".into(),
                ),
                data_categories: Some(vec!["transactional".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.store.close().await;
    let id = v.record.id.to_string();
    let list = candor(&dir, &["breach", "list"]);
    assert!(
        stdout(&list).contains(&id) && stdout(&list).contains("running"),
        "{}",
        stdout(&list)
    );
    let html = stdout(&candor(
        &dir,
        &["breach", "notification", &id, "--lang", "en"],
    ));
    assert!(
        html.contains("<html lang=\"en\">")
            && html.contains("Notification of a personal data breach to the CNIL")
            && html.contains("rançongiciel")
            && html.contains("initial notification (not yet made)"),
        "{html}"
    );
    let json: serde_json::Value = serde_json::from_slice(
        &candor(&dir, &["breach", "notification", &id, "--format", "json"]).stdout,
    )
    .unwrap();
    assert_eq!(json["clock"], "running");
    assert_eq!(json["facts"]["natures"][0], "availability");
    let missing = candor(
        &dir,
        &[
            "breach",
            "notification",
            "0190f5d2-0000-7000-8000-000000000000",
        ],
    );
    assert!(!missing.status.success());
}
