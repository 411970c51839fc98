//! No message reaches the outbox without the communication rules' permit (M2): the
//! outbox's message type is built in one function, `mail::queued`, which takes a
//! `Permit`, and a `Permit` is made only by the decision. This test reads the
//! workspace's sources and fails if any other code builds either.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "target") {
                sources(&p, out);
            }
        } else if p.extension().is_some_and(|e| e == "rs") && !p.ends_with("send_paths.rs") {
            out.push(p);
        }
    }
}

fn builders_of(pattern: &str) -> Vec<String> {
    // Read when the test runs (cargo sets it), so a binary built in another checkout
    // reads this one.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    let crates = manifest.parent().unwrap();
    let mut files = Vec::new();
    sources(crates, &mut files);
    let mut found = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.contains(pattern) && !code.contains("struct ") {
                let rel = f.strip_prefix(crates).unwrap().display().to_string();
                found.push(format!("{rel}:{}", i + 1));
            }
        }
    }
    found
}

#[test]
fn only_the_decision_makes_a_permit() {
    let found = builders_of("Permit {");
    assert!(
        found
            .iter()
            .all(|f| f.starts_with("candor-domain/src/communication.rs:")),
        "{found:?}"
    );
    assert!(
        !found.is_empty(),
        "the pattern no longer finds the decision itself"
    );
}

#[test]
fn only_mail_queued_builds_an_outgoing_message() {
    let found = builders_of("QueuedMail {");
    // Building one to send: mail.rs. Reading a stored one back: the store's outbox
    // queries. Store tests queue rows directly to test the queue itself.
    let allowed = [
        "candor-app/src/mail.rs:",
        "candor-store/src/sql/outbox.rs:",
        "candor-store/tests/",
    ];
    let stray: Vec<&String> = found
        .iter()
        .filter(|f| !allowed.iter().any(|a| f.starts_with(a)))
        .collect();
    assert!(
        stray.is_empty(),
        "messages built outside mail::queued: {stray:?}"
    );
    assert!(found
        .iter()
        .any(|f| f.starts_with("candor-app/src/mail.rs:")));
}
