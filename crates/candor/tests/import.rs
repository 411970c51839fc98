//! `candor import contacts` as a person runs it (O3), on both backends: bad rows in the
//! rejects file with line, column and rule; consents from the file's evidence in the
//! ledger (C2); consent requests for rows without evidence (C4); duplicates merged or
//! skipped; and a job killed with SIGKILL again and again that still ends with every
//! good row exactly once.

mod common;

use candor_domain::consent::{Pending, Status};
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
        assert_eq!(t.contact_id_of(gone).await, None, "{gone} was rejected");
    }
    // The duplicate was skipped: Alice keeps her name.
    let alice = t.contact_id_of("alice@example.org").await.expect("alice");
    let stored = t.app.store.contacts().get(alice).await.unwrap().unwrap();
    assert_eq!(stored.data.last_name.as_str(), "Martin");

    // Alice: opt-in and confirmation from the file, so the newsletter is effective.
    let events = t.app.store.consents().events(alice).await.unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0].source.as_str(), "import");
    assert_eq!(events[0].evidence.ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(events[0].at.date().to_string(), "2024-03-01");
    let states = t.app.store.consents().states(alice).await.unwrap();
    assert_eq!(states.len(), 1);
    assert_eq!(
        (states[0].purpose.as_str(), states[0].status),
        ("newsletter", Status::Effective)
    );
    // Gina: an opt-in without confirmation stays pending and she is asked.
    let gina = t.contact_id_of("gina@example.org").await.expect("gina");
    let states = t.app.store.consents().states(gina).await.unwrap();
    assert_eq!(states[0].status, Status::Pending, "{states:?}");
    // Erin: no evidence, a consent request (C4). Alice: none.
    let outbox = t.app.store.outbox().list(100).await.unwrap();
    let mut asked: Vec<&str> = outbox.iter().map(|e| e.mail.recipient.as_str()).collect();
    asked.sort_unstable();
    assert_eq!(asked, ["erin@example.org", "gina@example.org"]);
    assert!(outbox.iter().all(|e| e.mail.category == "consent_request"));

    // Every created contact's creation is in its audit chain, and chains verify.
    let audit = t.app.store.audit().list(alice, 10).await.unwrap();
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
    assert_eq!(t.app.store.outbox().list(100).await.unwrap().len(), 2);
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
    let alice = t.contact_id_of("alice@example.org").await.unwrap();
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
    let c = t.app.store.contacts().get(alice).await.unwrap().unwrap();
    assert_eq!(c.data.city.as_ref().map(|c| c.as_str()), Some("Lyon"));
    assert_eq!(
        c.data.last_name.as_str(),
        "Martin",
        "an empty cell keeps the value"
    );
    let events = t.app.store.consents().events(alice).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].purpose, "commercial");
    assert_eq!(events[0].pending, Some(Pending::DoubleOptIn));
    assert_eq!(t.app.store.contacts().count().await.unwrap(), 1);
}

/// E2: an erased person's row (same email in another case, or same phone) is skipped
/// and reported, and not kept in the rejects file; the other rows come in.
async fn an_erased_persons_row_is_skipped_and_not_kept(t: TestApp) {
    let first = write(
        &t,
        "first.csv",
        "kind,last_name,email,phone\nb2c,Martin,alice@example.org,06 11 22 33 44\n",
    );
    assert!(run(&t, &["import", "contacts", first.to_str().unwrap()])
        .status
        .success());
    let alice = t.contact_id_of("alice@example.org").await.unwrap();
    let erased = t
        .send(
            candor_domain::Role::Dpo,
            reqwest::Method::DELETE,
            &format!("/api/v1/contacts/{alice}"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(erased.status(), 200);
    let again = write(
        &t,
        "again.csv",
        "kind,last_name,email,phone\n\
         b2c,Martin,ALICE@example.org,\n\
         b2c,Martin,,+33611223344\n\
         b2c,Durand,bob@example.org,\n",
    );
    let out = run(&t, &["import", "contacts", again.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(t.contact_id_of("alice@example.org").await.is_none());
    assert!(t.contact_id_of("bob@example.org").await.is_some());
    assert_eq!(t.app.store.contacts().count().await.unwrap(), 1);
    let rows = rejects(&t.dir.join("again.csv.rejects.csv"));
    let said: Vec<(&str, &str, &str)> = rows.iter().map(|r| (&r[0], &r[1], &r[2])).collect();
    assert_eq!(
        said,
        vec![("2", "email", "suppressed"), ("3", "phone", "suppressed")]
    );
    let text = std::fs::read_to_string(t.dir.join("again.csv.rejects.csv")).unwrap();
    assert!(
        !text.to_lowercase().contains("alice") && !text.contains("11223344"),
        "{text}"
    );
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
        stderr(&out).contains("preset_undetected"),
        "no tool's columns, no --map: Candor does not guess: {}",
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
            "Courriel=email",
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
            "act",
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
            let n = t.app.store.contacts().count().await.unwrap() as usize;
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
    let partial = t.app.store.contacts().count().await.unwrap() as usize;
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
        t.app.store.contacts().count().await.unwrap() as usize,
        ROWS - bad
    );
    let mut seen = std::collections::HashSet::new();
    let mut after = None;
    loop {
        let page = t
            .app
            .store
            .contacts()
            .list(
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
    let asked = t.app.store.outbox().list(100_000).await.unwrap().len();
    let want_asked = (0..ROWS).filter(|i| i % 3 == 0 && i % 100 != 7).count();
    assert_eq!(asked, want_asked);
    let verify = run(&t, &["verify"]);
    let said = String::from_utf8_lossy(&verify.stdout).into_owned();
    assert!(verify.status.success(), "{said}");
}

/// The exports of the tools people leave, with people who had unsubscribed there
/// (C6, O3): each opted-out person comes in with a global withdrawal on the channel
/// they refused, the column and its value as evidence, and no email from the import.
async fn people_who_opted_out_come_in_with_their_withdrawal_and_no_email(t: TestApp) {
    // (file, preset, text, opted out: (email, channels), not opted out)
    type Export<'a> = (
        &'a str,
        &'a str,
        &'a str,
        &'a [(&'a str, &'a [&'a str])],
        &'a [&'a str],
    );
    let files: &[Export] = &[
        (
            "hubspot.csv",
            "hubspot",
            "First Name,Last Name,Email,Unsubscribed from all email\n\
             Anna,Leroy,anna@example.org,true\n\
             Ben,Moreau,ben@example.org,false\n",
            &[("anna@example.org", &["email"])],
            &["ben@example.org"],
        ),
        (
            "salesforce-report.csv",
            "salesforce",
            "First Name,Last Name,Email,Email Opt Out,Do Not Call,Fax Opt Out\n\
             Cléo,Garnier,cleo@example.org,1,0,1\n\
             Dan,Faure,dan@example.org,0,1,0\n\
             Eva,Girard,eva@example.org,0,0,0\n",
            &[("cleo@example.org", &["email"]), ("dan@example.org", &["phone"])],
            &["eva@example.org"],
        ),
        (
            "salesforce-api.csv",
            "salesforce",
            "FirstName,LastName,Email,HasOptedOutOfEmail,DoNotCall\n\
             Gil,Perrin,gil@example.org,true,true\n\
             Hana,Roussel,hana@example.org,false,false\n",
            &[("gil@example.org", &["email", "phone"])],
            &["hana@example.org"],
        ),
        (
            "mailchimp-unsubscribed.csv",
            "mailchimp",
            "Email Address,First Name,Last Name,OPTIN_TIME,CONFIRM_TIME,UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_REASON,UNSUB_REASON_OTHER\n\
             fay@example.org,Fay,Henry,2023-01-01 10:00:00,2023-01-01 10:05:00,2024-06-01 09:00:00,Lettre de juin,No longer interested,\n\
             ivo@example.org,Ivo,Lemaire,2023-01-01 10:00:00,2023-01-01 10:05:00,2024-06-02 09:00:00,Lettre de juin,Other,Trop de messages\n",
            &[("fay@example.org", &["email"]), ("ivo@example.org", &["email"])],
            &[],
        ),
    ];
    for (name, preset, text, out, kept) in files {
        let file = write(&t, name, text);
        let res = run(
            &t,
            &[
                "import",
                "contacts",
                file.to_str().unwrap(),
                "--preset",
                preset,
                "--kind",
                "b2c",
            ],
        );
        assert!(res.status.success(), "{name}: {}", stderr(&res));
        let outbox = t.app.store.outbox().list(1000).await.unwrap();
        for (email, channels) in out.iter() {
            let id = t.contact_id_of(email).await.expect(email);
            for c in *channels {
                assert_eq!(
                    t.global_consent(id, c).await,
                    Some(Status::Withdrawn),
                    "{name}: {email} on {c}"
                );
            }
            let events = t.app.store.consents().events(id).await.unwrap();
            let withdrawal = events
                .iter()
                .find(|e| e.purpose == "*" && e.action.as_str() == "withdraw")
                .expect("a withdrawal in the timeline");
            assert_eq!(withdrawal.source.as_str(), "import");
            let note = withdrawal.evidence.note.as_deref().unwrap();
            assert!(note.contains(name) && note.contains("column `"), "{note}");
            assert!(
                outbox.iter().all(|m| m.mail.subject_id != Some(id)),
                "{name}: {email} gets no message"
            );
        }
        for email in kept.iter() {
            let id = t.contact_id_of(email).await.expect(email);
            assert_eq!(t.global_consent(id, "email").await, None, "{name}: {email}");
            assert!(
                outbox.iter().any(|m| m.mail.subject_id == Some(id)),
                "{name}: {email} is asked for consent"
            );
        }
    }
    // Mailchimp's reasons are kept with the withdrawal, and the campaign left out.
    let ivo = t.contact_id_of("ivo@example.org").await.unwrap();
    let events = t.app.store.consents().events(ivo).await.unwrap();
    let note = events.last().unwrap().evidence.note.clone().unwrap();
    assert!(
        note.contains("UNSUB_REASON: Other") && note.contains("Trop de messages"),
        "{note}"
    );
    assert!(!note.contains("Lettre de juin"), "{note}");
    assert_eq!(events.last().unwrap().at.date().to_string(), "2024-06-02");
}

/// A column whose name suggests a consent or an opt-out is never dropped unseen: the
/// file is refused, naming it, until it is mapped or left out knowingly; a value the
/// import cannot read as yes, no or a date rejects its row.
async fn a_column_that_may_carry_a_choice_is_never_dropped_unseen(t: TestApp) {
    let text = "kind,last_name,email,Statut désinscription\n\
                b2c,Roux,roux@example.org,oui\n\
                b2c,Petit,petit@example.org,non\n\
                b2c,Blanc,blanc@example.org,peut-être\n";
    let file = write(&t, "crm.csv", text);
    let before = t.snapshot().await;
    let res = run(&t, &["import", "contacts", file.to_str().unwrap()]);
    assert!(!res.status.success());
    let said = stderr(&res);
    assert!(
        said.contains("choice_column_unmapped") && said.contains("`Statut désinscription`"),
        "{said}"
    );
    assert_eq!(t.snapshot().await, before, "nothing written");

    let res = run(
        &t,
        &[
            "import",
            "contacts",
            file.to_str().unwrap(),
            "--map",
            "Statut désinscription=opt_out.email",
        ],
    );
    assert!(res.status.success(), "{}", stderr(&res));
    assert!(stderr(&res).contains("1 rejected"), "{}", stderr(&res));
    let roux = t.contact_id_of("roux@example.org").await.unwrap();
    assert_eq!(
        t.global_consent(roux, "email").await,
        Some(Status::Withdrawn)
    );
    let petit = t.contact_id_of("petit@example.org").await.unwrap();
    assert_eq!(t.global_consent(petit, "email").await, None);
    assert_eq!(t.contact_id_of("blanc@example.org").await, None);
    let rows = rejects(&t.dir.join("crm.csv.rejects.csv"));
    assert_eq!(
        (&rows[0][0], &rows[0][1], &rows[0][2]),
        ("4", "Statut désinscription", "opt_out_value")
    );
    let asked: Vec<String> = t
        .app
        .store
        .outbox()
        .list(100)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.mail.recipient)
        .collect();
    assert_eq!(asked, ["petit@example.org"]);

    // Left out knowingly: the operator's decision, and the file imports.
    let other = write(
        &t,
        "crm2.csv",
        "kind,last_name,email,Opt-out date\nb2c,Noir,noir@example.org,\n",
    );
    let res = run(
        &t,
        &[
            "import",
            "contacts",
            other.to_str().unwrap(),
            "--map",
            "Opt-out date=",
        ],
    );
    assert!(res.status.success(), "{}", stderr(&res));
    assert!(
        stderr(&res).contains("Columns left out: Opt-out date"),
        "{}",
        stderr(&res)
    );
}

/// Property (C6): whatever mix of opt-outs, evidence, duplicates and batch sizes a file
/// holds, no person whose row says they opted out is ever sent a message from it —
/// not even when an earlier row of the same person, in an earlier batch, queued one.
async fn no_row_that_opted_out_is_ever_emailed(t: TestApp) {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    const CELLS: [&str; 10] = [
        "",
        "false",
        "no",
        "0",
        "non",
        "true",
        "yes",
        "1",
        "2024-02-01",
        "oui",
    ];
    let opted_out = |c: usize| c >= 5;
    let strategy = (
        proptest::collection::vec((0..CELLS.len(), proptest::bool::ANY, 0usize..4), 1..30),
        1usize..6,
    );
    let mut runner = TestRunner::default();
    let outbox_dir = t.dir.join("outbox-prop");
    let transport = candor_app::mail::Transport::Outbox(outbox_dir);
    let actor = candor_app::Actor {
        id: uuid::Uuid::nil(),
        role: candor_domain::Role::Admin,
        audit_name: "cli:import:admin".into(),
    };
    for case in 0..16 {
        let (rows, batch) = strategy.new_tree(&mut runner).unwrap().current();
        let mut text = String::from("kind,last_name,email,consent_purposes,consent_date,unsub\n");
        let mut emails: Vec<String> = Vec::new();
        let mut said_no = std::collections::BTreeSet::new();
        for (i, (cell, evidence, dup)) in rows.iter().enumerate() {
            let email = if *dup > 0 && i >= *dup {
                emails[i - dup].clone()
            } else {
                format!("p{case}-{i}@example.org")
            };
            emails.push(email.clone());
            if opted_out(*cell) {
                said_no.insert(email.clone());
            }
            let date = if *evidence { "2024-01-01" } else { "" };
            text.push_str(&format!(
                "b2c,Nom,{email},newsletter,{date},{}\n",
                CELLS[*cell]
            ));
        }
        let file = write(&t, &format!("prop-{case}.csv"), &text);
        let opts = candor_app::import::ImportOptions {
            consent_requests: true,
            preset: Some("candor".into()),
            maps: vec![("unsub".into(), "opt_out.email".into())],
            on_duplicate: candor_app::import::OnDuplicate::Merge,
            kind: None,
            purposes: vec![],
            batch_size: batch,
            rejects_path: t.dir.join(format!("prop-{case}.rejects.csv")),
            dry_run: false,
        };
        t.app
            .import_contacts(&actor, &file, &opts, &mut |_| {})
            .await
            .unwrap();
        while t.app.deliver_due(&transport).await.unwrap() > 0 {}
        let outbox = t.app.store.outbox().list(100_000).await.unwrap();
        for email in &said_no {
            let id = t.contact_id_of(email).await.unwrap();
            assert_eq!(
                t.global_consent(id, "email").await,
                Some(Status::Withdrawn),
                "case {case} {rows:?} batch {batch}: {email}"
            );
            assert!(
                outbox
                    .iter()
                    .filter(|m| m.mail.subject_id == Some(id))
                    .all(|m| m.status != "sent"),
                "case {case} {rows:?} batch {batch}: {email} was sent a message"
            );
        }
    }
}

on_both_backends!(
    people_who_opted_out_come_in_with_their_withdrawal_and_no_email,
    a_column_that_may_carry_a_choice_is_never_dropped_unseen,
    no_row_that_opted_out_is_ever_emailed,
    a_mailchimp_export_is_imported_with_its_evidence,
    duplicates_merge_into_the_existing_contact,
    a_file_without_a_mapping_is_refused_and_changes_nothing,
    an_import_killed_again_and_again_ends_with_every_row_once,
    an_erased_persons_row_is_skipped_and_not_kept,
);
