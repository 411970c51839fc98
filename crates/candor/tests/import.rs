//! `candor import contacts` as a person runs it (O3), on both backends: bad rows in the
//! rejects file with line, column and rule; consents from the file's evidence in the
//! ledger (C2); consent requests for rows without evidence (C4); duplicates merged or
//! skipped; and a job killed with SIGKILL again and again that still ends with every
//! good row exactly once.

mod common;

use candor_domain::consent::Status;
use candor_store::ContactFilter;
use common::TestApp;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn command(t: &TestApp, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_candor"));
    c.arg("--data-dir")
        .arg(&t.dir)
        .arg("--database")
        .arg(&t.db_url)
        .args(args)
        .env("CANDOR_LOG", "warn");
    c
}

fn run(t: &TestApp, args: &[&str]) -> Output {
    command(t, args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(t: &TestApp, name: &str, text: &str) -> PathBuf {
    let p = t.dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn rejects(path: &Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect()
}

async fn contact_id(t: &TestApp, email: &str) -> Option<uuid::Uuid> {
    let hash = t.app.email_hash_of(email).unwrap();
    t.app.store.contact_id_by_email_hash(&hash).await.unwrap()
}

const MAILCHIMP: &str = "\
Email Address,First Name,Last Name,Phone Number,LANGUAGE,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,MEMBER_RATING
alice@example.org,Alice,Martin,+33612345678,fr,2024-03-01 10:00:00,192.0.2.1,2024-03-01 10:05:00,3
bob@example.org,Bob,Durand,not-a-phone,fr,2024-03-01 10:00:00,,,
carol@example.org,Carol,,,en,,,,
ALICE@example.org,Alice,Martin-Dupont,,fr,,,,
dave@example.org,Dave,Petit,,fr,2099-01-01,,,
erin@example.org,Erin,Roux,,en,,,,
frank@example.org,Frank,Blanc,,fr,2024-03-02,not-an-ip,,
gina@example.org,Gina,Noir,,fr,2024-03-02,,,
";

/// A Mailchimp export: each bad row named by line, column and rule, nothing else of it
/// stored; a confirmed double opt-in effective; an unconfirmed one pending with a
/// consent request; no evidence, a consent request; a rerun changes nothing.
async fn a_mailchimp_export_is_imported_with_its_evidence(t: TestApp) {
    let file = write(&t, "members.csv", MAILCHIMP);
    let out = run(
        &t,
        &[
            "import",
            "contacts",
            file.to_str().unwrap(),
            "--kind",
            "b2c",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("Preset mailchimp"), "{said}");
    assert!(
        said.contains("3 created")
            && said.contains("1 duplicates skipped")
            && said.contains("4 rejected"),
        "{said}"
    );
    assert!(said.contains("Columns left out: MEMBER_RATING"), "{said}");

    let rows = rejects(&t.dir.join("members.csv.rejects.csv"));
    let got: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r[0].to_owned(), r[1].to_owned(), r[2].to_owned()))
        .collect();
    let want = [
        ("3", "Phone Number", "phone_format"),
        ("4", "Last Name", "required"),
        ("5", "Email Address", "duplicate_skipped"),
        ("6", "OPTIN_TIME", "not_in_future"),
        ("8", "OPTIN_IP", "ip_address"),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| ((*a).into(), (*b).into(), (*c).into()))
        .collect();
    assert_eq!(got, want);
    // The rejected row is kept as read, to be fixed and imported again.
    assert_eq!(
        rows[0].iter().skip(4).take(4).collect::<Vec<_>>(),
        ["bob@example.org", "Bob", "Durand", "not-a-phone"]
    );

    for gone in [
        "bob@example.org",
        "carol@example.org",
        "dave@example.org",
        "frank@example.org",
    ] {
        assert_eq!(contact_id(&t, gone).await, None, "{gone} was rejected");
    }
    // The duplicate was skipped: Alice keeps her name.
    let alice = contact_id(&t, "alice@example.org").await.expect("alice");
    let stored = t.app.store.get_contact(alice).await.unwrap().unwrap();
    assert_eq!(stored.data.last_name.as_str(), "Martin");

    // Alice: opt-in and confirmation from the file, so the newsletter is effective.
    let events = t.app.store.consent_events(alice).await.unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0].source.as_str(), "import");
    assert_eq!(events[0].evidence.ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(events[0].at.date().to_string(), "2024-03-01");
    let states = t.app.store.consent_states(alice).await.unwrap();
    assert_eq!(states.len(), 1);
    assert_eq!(
        (states[0].purpose.as_str(), states[0].status),
        ("newsletter", Status::Effective)
    );
    // Gina: an opt-in without confirmation stays pending and she is asked.
    let gina = contact_id(&t, "gina@example.org").await.expect("gina");
    let states = t.app.store.consent_states(gina).await.unwrap();
    assert_eq!(states[0].status, Status::Pending, "{states:?}");
    // Erin: no evidence, a consent request (C4). Alice: none.
    let outbox = t.app.store.list_outbox(100).await.unwrap();
    let mut asked: Vec<&str> = outbox.iter().map(|e| e.mail.recipient.as_str()).collect();
    asked.sort_unstable();
    assert_eq!(asked, ["erin@example.org", "gina@example.org"]);
    assert!(outbox.iter().all(|e| e.mail.category == "consent_request"));

    // Every created contact's creation is in its audit chain, and chains verify.
    let audit = t.app.store.list_audit(alice, 10).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].endpoint, "candor import contacts");
    let verify = run(&t, &["verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );

    // The same command again: the job is recognised and nothing is written twice.
    let before = t.snapshot().await;
    let again = run(
        &t,
        &[
            "import",
            "contacts",
            file.to_str().unwrap(),
            "--kind",
            "b2c",
        ],
    );
    assert!(again.status.success());
    assert!(
        stderr(&again).contains("imported already"),
        "{}",
        stderr(&again)
    );
    assert_eq!(t.snapshot().await, before);
    assert_eq!(t.app.store.list_outbox(100).await.unwrap().len(), 2);
}

/// `--on-duplicate merge` fills the existing contact with the row's values and adds
/// the row's consent to its ledger; the mapping is Candor's own with `--map`.
async fn duplicates_merge_into_the_existing_contact(t: TestApp) {
    let first = write(
        &t,
        "first.csv",
        "kind,last_name,email\nb2c,Martin,alice@example.org\n",
    );
    assert!(run(&t, &["import", "contacts", first.to_str().unwrap()])
        .status
        .success());
    let alice = contact_id(&t, "alice@example.org").await.unwrap();
    let second = write(
        &t,
        "second.csv",
        "kind,last_name,email,ville,consent_purposes,consent_date,consent_wording\n\
         b2c,,alice@example.org,Lyon,commercial,2024-05-01,Offres de nos partenaires\n",
    );
    let out = run(
        &t,
        &[
            "import",
            "contacts",
            second.to_str().unwrap(),
            "--on-duplicate",
            "merge",
            "--map",
            "ville=city",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("1 merged"), "{}", stderr(&out));
    let c = t.app.store.get_contact(alice).await.unwrap().unwrap();
    assert_eq!(c.data.city.as_ref().map(|c| c.as_str()), Some("Lyon"));
    assert_eq!(
        c.data.last_name.as_str(),
        "Martin",
        "an empty cell keeps the value"
    );
    let events = t.app.store.consent_events(alice).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].purpose, "commercial");
    assert_eq!(events[0].pending.as_deref(), Some("double_opt_in"));
    assert_eq!(t.app.store.count_contacts().await.unwrap(), 1);
}

/// A file the mapping cannot read is refused before anything is written, naming why.
async fn a_file_without_a_mapping_is_refused_and_changes_nothing(t: TestApp) {
    let before = t.snapshot().await;
    let file = write(
        &t,
        "odd.csv",
        "Nom complet,Courriel\nAlice Martin,a@example.org\n",
    );
    let out = run(
        &t,
        &[
            "import",
            "contacts",
            file.to_str().unwrap(),
            "--kind",
            "b2c",
        ],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("last_name_column_required"),
        "{}",
        stderr(&out)
    );
    let out = run(
        &t,
        &[
            "import",
            "contacts",
            file.to_str().unwrap(),
            "--kind",
            "b2c",
            "--map",
            "Courriel=e_mail",
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("e_mail"), "{}", stderr(&out));
    let out = run(
        &t,
        &[
            "import",
            "contacts",
            file.to_str().unwrap(),
            "--preset",
            "zoho",
        ],
    );
    assert!(stderr(&out).contains("unknown_preset"), "{}", stderr(&out));
    let file = write(&t, "nokind.csv", "last_name,email\nMartin,a@example.org\n");
    let out = run(&t, &["import", "contacts", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--kind"), "{}", stderr(&out));
    assert_eq!(t.snapshot().await, before);
}

const ROWS: usize = 12_000;

/// Row `i` of the big file; every 100th row has a bad phone, every third has no
/// consent evidence (so gets a consent request).
fn big_file(t: &TestApp) -> PathBuf {
    let mut s = String::from(
        "kind,first_name,last_name,email,phone,consent_purposes,consent_date,consent_confirmed_at\n",
    );
    for i in 0..ROWS {
        let phone = if i % 100 == 7 { "12" } else { "+33612345678" };
        let (date, confirmed) = if i % 3 == 0 {
            ("", "")
        } else {
            ("2024-01-02 08:00:00", "2024-01-02 09:00:00")
        };
        s.push_str(&format!(
            "b2c,Prénom{i},Nom{i},person{i}@example.org,{phone},newsletter;marketing,{date},{confirmed}\n"
        ));
    }
    write(t, "big.csv", &s)
}

fn spawn(t: &TestApp, file: &Path) -> Child {
    command(
        t,
        &[
            "import",
            "contacts",
            file.to_str().unwrap(),
            "--batch-size",
            "250",
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap()
}

/// Killed with SIGKILL at three points, then rerun to the end: every good row once,
/// every bad row in the rejects file once, the ledgers intact.
async fn an_import_killed_again_and_again_ends_with_every_row_once(t: TestApp) {
    let file = big_file(&t);
    let bad = ROWS / 100;
    let mut kills = 0;
    for threshold in [1_000, 4_000, 8_000] {
        let mut child = spawn(&t, &file);
        let started = Instant::now();
        loop {
            let n = t.app.store.count_contacts().await.unwrap() as usize;
            if n >= threshold || started.elapsed() > Duration::from_secs(120) {
                break;
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
    }
    assert!(kills >= 2, "the import finished before it could be killed");
    let partial = t.app.store.count_contacts().await.unwrap() as usize;
    assert!(partial < ROWS - bad, "killed before the end: {partial}");
    let out = command(
        &t,
        &[
            "import",
            "contacts",
            file.to_str().unwrap(),
            "--batch-size",
            "250",
        ],
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Resumed job"), "{}", stderr(&out));

    assert_eq!(
        t.app.store.count_contacts().await.unwrap() as usize,
        ROWS - bad
    );
    let mut seen = std::collections::HashSet::new();
    let mut after = None;
    loop {
        let page = t
            .app
            .store
            .list_contacts(
                &ContactFilter::default(),
                candor_store::Page { after, limit: 1000 },
            )
            .await
            .unwrap();
        for c in &page {
            assert!(seen.insert(c.data.email.as_ref().unwrap().as_str().to_owned()));
        }
        if page.len() < 1000 {
            break;
        }
        after = page.last().map(|c| c.id);
    }
    for i in (0..ROWS).filter(|i| i % 100 != 7) {
        assert!(
            seen.contains(&format!("person{i}@example.org")),
            "row {i} missing"
        );
    }
    let rows = rejects(&t.dir.join("big.csv.rejects.csv"));
    let lines: Vec<usize> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    let want: Vec<usize> = (0..ROWS).filter(|i| i % 100 == 7).map(|i| i + 2).collect();
    assert_eq!(lines, want);
    assert!(rows
        .iter()
        .all(|r| &r[1] == "phone" && &r[2] == "phone_format"));
    // One consent request per good row without evidence, none twice.
    let asked = t.app.store.list_outbox(100_000).await.unwrap().len();
    let want_asked = (0..ROWS).filter(|i| i % 3 == 0 && i % 100 != 7).count();
    assert_eq!(asked, want_asked);
    let verify = run(&t, &["verify"]);
    let said = String::from_utf8_lossy(&verify.stdout).into_owned();
    assert!(verify.status.success(), "{said}");
}

on_both_backends!(
    a_mailchimp_export_is_imported_with_its_evidence,
    duplicates_merge_into_the_existing_contact,
    a_file_without_a_mapping_is_refused_and_changes_nothing,
    an_import_killed_again_and_again_ends_with_every_row_once,
);
