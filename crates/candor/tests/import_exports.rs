//! The exports of the tools people leave, read as those tools write them (O3, C2, C6),
//! on both backends: each file's preset is picked from its header alone (no --preset,
//! no --map), every person who had opted out comes in with a withdrawal in their
//! timeline and gets no email, an address the file says bounces gets none either, and
//! the dry run's count of consent requests is the number of emails the real run
//! queues. The fixtures (`tests/fixtures/exports/`) follow the column names, encodings
//! and quirks those tools document for their exports.

mod common;

use candor_domain::consent::Status;
use common::TestApp;
use std::path::{Path, PathBuf};
use std::process::Output;

fn run(t: &TestApp, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_candor"))
        .arg("--data-dir")
        .arg(&t.dir)
        .arg("--database")
        .arg(&t.db_url)
        .args(args)
        .env("CANDOR_LOG", "warn")
        .output()
        .unwrap()
}

fn fixture(name: &str) -> PathBuf {
    common::manifest_dir()
        .join("tests/fixtures/exports")
        .join(name)
}

/// The number in "… N people [would be ]emailed a consent request".
fn requests_said(said: &str) -> usize {
    let at = said.find(" people ").expect(said);
    said[..at]
        .rsplit(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

struct Export {
    file: &'static str,
    kind: &'static str,
    preset: &'static str,
    /// People who had opted out, with the channels they refused.
    opted_out: &'static [(&'static str, &'static [&'static str])],
    /// Addresses the file says bounce: no email, no withdrawal invented.
    undeliverable: &'static [&'static str],
    /// People who are asked for their consent.
    asked: &'static [&'static str],
    /// Rows refused, by rule.
    rejected: &'static [&'static str],
}

const EXPORTS: &[Export] = &[
    Export {
        file: "hubspot-crm-exports-all-contacts-2026-11-30.csv",
        kind: "b2c",
        preset: "hubspot",
        opted_out: &[
            ("bruno.caron@example.org", &["email"]),
            ("chloe.dumas@example.org", &["email"]),
        ],
        undeliverable: &["david.roy@example.org"],
        asked: &["anna.leroy@example.org"],
        rejected: &[],
    },
    Export {
        file: "salesforce-report-contacts.csv",
        kind: "b2b",
        preset: "salesforce",
        opted_out: &[
            ("felix.morel@example.com", &["email"]),
            ("gaelle.perrin@example.com", &["phone"]),
        ],
        undeliverable: &[],
        asked: &["emma.morel@example.com"],
        rejected: &[],
    },
    Export {
        file: "salesforce-dataloader-extract.csv",
        kind: "b2b",
        preset: "salesforce",
        opted_out: &[("ines.garnier@example.com", &["email"])],
        undeliverable: &[],
        asked: &["hugo.blanc@example.com"],
        rejected: &[],
    },
    Export {
        file: "subscribed_members_export_1a2b3c4d5e.csv",
        kind: "b2c",
        preset: "mailchimp",
        opted_out: &[],
        undeliverable: &[],
        // Jade confirmed her double opt-in in Mailchimp; Kevin's opt-in waits.
        asked: &["kevin.morin@example.org"],
        rejected: &[],
    },
    Export {
        file: "unsubscribed_members_export_1a2b3c4d5e.csv",
        kind: "b2c",
        preset: "mailchimp",
        opted_out: &[("lina.robin@example.org", &["email"])],
        undeliverable: &[],
        asked: &[],
        rejected: &[],
    },
    Export {
        file: "cleaned_members_export_1a2b3c4d5e.csv",
        kind: "b2c",
        preset: "mailchimp",
        opted_out: &[],
        undeliverable: &["max.girard@example.org"],
        asked: &[],
        rejected: &[],
    },
    Export {
        file: "brevo-contacts-export.csv",
        kind: "b2c",
        preset: "brevo",
        opted_out: &[("marc.petit@example.fr", &["email"])],
        undeliverable: &[],
        asked: &["lea.moulin@example.fr"],
        rejected: &[],
    },
    Export {
        file: "Export_Contact.csv",
        kind: "b2b",
        preset: "espocrm",
        opted_out: &[("oscar.roux@example.com", &["email"])],
        undeliverable: &[],
        asked: &["nina.faure@example.com"],
        rejected: &["duplicate_skipped"],
    },
    Export {
        file: "res.partner.csv",
        kind: "b2b",
        preset: "odoo",
        opted_out: &[("jp.delatour@example.fr", &["email"])],
        undeliverable: &[],
        asked: &["brandon.freeman@azure.example.com"],
        rejected: &["company_row"],
    },
    Export {
        file: "people-export.csv",
        kind: "b2b",
        preset: "pipedrive",
        opted_out: &[("rose.vidal@example.fr", &["email"])],
        undeliverable: &["sam.noel@example.fr"],
        asked: &["paul.mercier@example.fr"],
        rejected: &[],
    },
    Export {
        file: "Contacts_001.csv",
        kind: "b2b",
        preset: "zoho",
        opted_out: &[("ugo.henry@example.fr", &["email"])],
        undeliverable: &[],
        asked: &["theo.lucas@example.fr"],
        rejected: &[],
    },
];

async fn every_export_keeps_its_opt_outs_and_mails_nobody_who_said_no(t: TestApp) {
    for e in EXPORTS {
        let path = fixture(e.file);
        let file = path.to_str().unwrap();
        let rejects = t.dir.join(format!("{}.rejects.csv", e.file));
        let rejects = rejects.to_str().unwrap();
        let args = [
            "import",
            "contacts",
            file,
            "--kind",
            e.kind,
            "--rejects",
            rejects,
        ];
        let before = t.snapshot().await;
        let outbox_before = t.app.store.outbox().list(1000).await.unwrap().len();
        let dry = run(&t, &[&args[..], &["--dry-run"]].concat());
        let said = String::from_utf8_lossy(&dry.stderr).into_owned();
        assert!(dry.status.success(), "{}: {said}", e.file);
        assert!(said.contains("Dry run: nothing was written"), "{said}");
        assert!(
            said.contains(&format!("Preset {},", e.preset)),
            "{}: {said}",
            e.file
        );
        assert_eq!(
            t.snapshot().await,
            before,
            "{}: the dry run wrote nothing",
            e.file
        );
        let would = requests_said(&said);

        let real = run(&t, &args);
        let said = String::from_utf8_lossy(&real.stderr).into_owned();
        assert!(real.status.success(), "{}: {said}", e.file);
        let outbox = t.app.store.outbox().list(1000).await.unwrap();
        assert_eq!(
            outbox.len() - outbox_before,
            would,
            "{}: the dry run's count of consent requests is what the real run queued",
            e.file
        );
        assert_eq!(requests_said(&said), would, "{said}");
        for (email, channels) in e.opted_out {
            let id = t
                .contact_id_of(email)
                .await
                .unwrap_or_else(|| panic!("{}: {email}", e.file));
            for c in *channels {
                assert_eq!(
                    t.global_consent(id, c).await,
                    Some(Status::Withdrawn),
                    "{}: {email} {c}",
                    e.file
                );
            }
            assert!(
                outbox.iter().all(|m| m.mail.subject_id != Some(id)),
                "{}: {email} opted out and gets no email",
                e.file
            );
        }
        for email in e.undeliverable {
            let id = t
                .contact_id_of(email)
                .await
                .unwrap_or_else(|| panic!("{}: {email}", e.file));
            assert!(
                outbox.iter().all(|m| m.mail.subject_id != Some(id)),
                "{}: {email}",
                e.file
            );
            assert_eq!(
                t.global_consent(id, "email").await,
                None,
                "no withdrawal invented: {email}"
            );
            // The bounce is kept: nothing goes to that address later either.
            for category in ["consent_request", "newsletter", "security"] {
                let res = t
                    .post(
                        candor_domain::Role::Marketing,
                        "/api/v1/decisions",
                        &serde_json::json!({"contact_id": id, "category": category, "channel": "email"}),
                    )
                    .await;
                let v: serde_json::Value = res.json().await.unwrap();
                assert_eq!(
                    v["rule"], "address_undeliverable",
                    "{}: {email} {category}",
                    e.file
                );
            }
        }
        for email in e.asked {
            let id = t
                .contact_id_of(email)
                .await
                .unwrap_or_else(|| panic!("{}: {email}", e.file));
            assert!(
                outbox.iter().any(|m| m.mail.subject_id == Some(id)),
                "{}: {email} is asked",
                e.file
            );
        }
        let rules: Vec<String> = if e.rejected.is_empty() {
            assert!(!Path::new(rejects).exists() || e.rejected.is_empty());
            vec![]
        } else {
            csv::ReaderBuilder::new()
                .flexible(true)
                .from_path(rejects)
                .unwrap()
                .records()
                .map(|r| r.unwrap()[2].to_owned())
                .collect()
        };
        assert_eq!(rules, e.rejected, "{}", e.file);
    }
    // Values as the tools write them.
    let anna = t.contact_id_of("anna.leroy@example.org").await.unwrap();
    let c = t.app.store.contacts().get(anna).await.unwrap().unwrap();
    assert_eq!(
        c.data.country.as_ref().map(|c| c.as_str()),
        Some("FR"),
        "\"France\" is FR"
    );
    let chloe = t.contact_id_of("chloe.dumas@example.org").await.unwrap();
    let c = t.app.store.contacts().get(chloe).await.unwrap().unwrap();
    assert_eq!(
        c.data.country.as_ref().map(|c| c.as_str()),
        Some("BE"),
        "\"Belgique\" is BE"
    );
    let paul = t.contact_id_of("paul.mercier@example.fr").await.unwrap();
    let c = t.app.store.contacts().get(paul).await.unwrap().unwrap();
    assert_eq!(
        c.data.phone.as_ref().map(|p| p.as_str()),
        Some("+590590201234"),
        "Guadeloupe"
    );
    let theo = t.contact_id_of("theo.lucas@example.fr").await.unwrap();
    let c = t.app.store.contacts().get(theo).await.unwrap().unwrap();
    assert_eq!(
        c.data.phone.as_ref().map(|p| p.as_str()),
        Some("+596696201234"),
        "Martinique"
    );
    let jp = t.contact_id_of("jp.delatour@example.fr").await.unwrap();
    let c = t.app.store.contacts().get(jp).await.unwrap().unwrap();
    assert_eq!(
        (
            c.data.first_name.as_ref().map(|n| n.as_str()),
            c.data.last_name.as_str()
        ),
        (Some("Jean-Pierre"), "de La Tour"),
        "Odoo's one name column, split"
    );
    assert_eq!(
        c.data.address_line.as_ref().map(|a| a.as_str()),
        Some("8 rue de la Paix, Bâtiment B")
    );
    let brandon = t
        .contact_id_of("brandon.freeman@azure.example.com")
        .await
        .unwrap();
    let c = t.app.store.contacts().get(brandon).await.unwrap().unwrap();
    let company = t
        .app
        .store
        .companies()
        .get(c.data.company_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(company.name.as_str(), "Azure Interior");
    assert_eq!(
        c.data.first_name.as_ref().map(|n| n.as_str()),
        Some("Brandon")
    );
    let nina = t.contact_id_of("nina.faure@example.com").await.unwrap();
    let c = t.app.store.contacts().get(nina).await.unwrap().unwrap();
    assert_eq!(
        c.data.phone.as_ref().map(|p| p.as_str()),
        Some("+33478000000"),
        "EspoCRM's ' before +"
    );
    // The withdrawal says where it came from.
    let lina = t.contact_id_of("lina.robin@example.org").await.unwrap();
    let events = t.app.store.consents().events(lina).await.unwrap();
    let w = events.iter().find(|e| e.purpose == "*").unwrap();
    let note = w.evidence.note.as_deref().unwrap();
    assert!(
        note.contains("UNSUB_TIME") && note.contains("No longer interested"),
        "{note}"
    );
}

/// A file saved by Excel on a French Windows (Windows-1252, `;`) reads with its accents.
async fn a_windows_1252_file_keeps_its_accents(t: TestApp) {
    let path = fixture("excel-windows-1252.csv");
    let out = run(&t, &["import", "contacts", path.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("windows-1252, ';'-separated"), "{said}");
    let id = t.contact_id_of("zoe.lefevre@example.fr").await.unwrap();
    let c = t.app.store.contacts().get(id).await.unwrap().unwrap();
    assert_eq!(c.data.last_name.as_str(), "Lefèvre");
    assert_eq!(c.data.city.as_ref().map(|c| c.as_str()), Some("Besançon"));
}

/// Bad input is named row by row: a row with a cell too many, an unknown country, a
/// date no format reads; the rejects file is safe to open in a spreadsheet; a header
/// two presets claim equally is refused, naming both, before anything is written.
async fn bad_rows_are_named_and_nothing_is_guessed(t: TestApp) {
    let file = t.dir.join("bad.csv");
    std::fs::write(
        &file,
        "kind,last_name,email,country,consent_purposes,consent_date\n\
         b2c,Martin,a@example.org,France,newsletter,2024-01-01\n\
         b2c,Durand,b@example.org,FR,newsletter,2024-01-01,extra\n\
         b2c,Petit,c@example.org,Atlantide,newsletter,2024-01-01\n\
         b2c,Roux,d@example.org,FR,newsletter,le 3 mars\n\
         b2c,=HYPERLINK(\"http://example.org\"),e@example.org,@SUM(1),newsletter,2024-01-01\n\
         b2c;Lemoine;f@example.org;FR;newsletter;2024-01-01\n",
    )
    .unwrap();
    let out = run(&t, &["import", "contacts", file.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{said}");
    let text = std::fs::read_to_string(t.dir.join("bad.csv.rejects.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    let got: Vec<(&str, &str, &str)> = rows.iter().map(|r| (&r[0], &r[1], &r[2])).collect();
    assert_eq!(
        got,
        [
            ("3", "(row)", "cell_count"),
            ("4", "country", "unknown_country"),
            ("5", "consent_date", "date_format"),
            ("6", "country", "unknown_country"),
            // Mixed separators: a `;` row under a `,` header is one cell, not a guess.
            ("7", "(row)", "cell_count"),
        ]
    );
    assert!(t.contact_id_of("f@example.org").await.is_none());
    assert!(text.contains("'=HYPERLINK("), "neutralised: {text}");
    assert!(text.contains("'@SUM(1)"), "neutralised: {text}");
    assert!(!text.contains(",=HYPERLINK"), "{text}");

    // Salesforce's report labels and Zoho's columns, as many of each: Candor does not pick.
    let both = t.dir.join("both.csv");
    std::fs::write(
        &both,
        "Mailing City,Mailing Zip,Last Name,Email\nLyon,69002,Martin,m@example.org\n",
    )
    .unwrap();
    let before = t.snapshot().await;
    let out = run(
        &t,
        &[
            "import",
            "contacts",
            both.to_str().unwrap(),
            "--kind",
            "b2c",
        ],
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        said.contains("preset_ambiguous") && said.contains("salesforce") && said.contains("zoho"),
        "{said}"
    );
    assert_eq!(t.snapshot().await, before);
}

/// `--no-consent-requests` queues none and says how many wait; `candor consent-requests
/// send` then asks exactly the people the import would have asked (C4), no one who said
/// no or whose address bounces, and a second run asks no one twice.
async fn held_consent_requests_are_sent_later_to_the_same_people(t: TestApp) {
    let path = fixture("hubspot-crm-exports-all-contacts-2026-11-30.csv");
    let file = path.to_str().unwrap();
    let dry = run(
        &t,
        &["import", "contacts", file, "--kind", "b2c", "--dry-run"],
    );
    let would = requests_said(&String::from_utf8_lossy(&dry.stderr));
    assert!(would > 0);
    let held = run(
        &t,
        &[
            "import",
            "contacts",
            file,
            "--kind",
            "b2c",
            "--no-consent-requests",
        ],
    );
    let said = String::from_utf8_lossy(&held.stderr).into_owned();
    assert!(held.status.success(), "{said}");
    assert_eq!(requests_said(&said), 0, "{said}");
    assert!(
        said.contains(&format!(
            "{would} people left unasked (--no-consent-requests)"
        )),
        "{said}"
    );
    assert!(said.contains("candor consent-requests send"), "{said}");
    assert!(t.mailbox().await.is_empty(), "nothing queued");
    let dry = run(&t, &["consent-requests", "send", "--dry-run"]);
    let said = String::from_utf8_lossy(&dry.stderr).into_owned();
    assert!(
        said.contains(&format!("{would} would be emailed")),
        "{said}"
    );
    assert!(t.mailbox().await.is_empty(), "the dry run sent nothing");
    let sent = run(&t, &["consent-requests", "send"]);
    let said = String::from_utf8_lossy(&sent.stderr).into_owned();
    assert!(sent.status.success(), "{said}");
    let mailbox = t.mailbox().await;
    assert_eq!(mailbox.len(), would, "{said}");
    for m in &mailbox {
        assert_eq!(m["category"], "consent_request");
        let to = m["recipient"].as_str().unwrap();
        assert!(
            ![
                "bruno.caron@example.org",
                "chloe.dumas@example.org",
                "david.roy@example.org"
            ]
            .contains(&to),
            "{to} said no or bounces"
        );
    }
    let again = run(&t, &["consent-requests", "send"]);
    let said = String::from_utf8_lossy(&again.stderr).into_owned();
    assert!(said.contains(" 0 emailed"), "{said}");
    assert_eq!(t.mailbox().await.len(), would, "no one asked twice");
}

on_both_backends!(
    held_consent_requests_are_sent_later_to_the_same_people,
    every_export_keeps_its_opt_outs_and_mails_nobody_who_said_no,
    a_windows_1252_file_keeps_its_accents,
    bad_rows_are_named_and_nothing_is_guessed,
);
