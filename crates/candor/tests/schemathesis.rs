//! The API against its own OpenAPI document, by schemathesis (a property-based API
//! tester, from PyPI): generated requests to every operation, on demo data, as an admin
//! as marketing and as sales (whose answers are role-filtered), on both backends. A server
//! error, a status the document does not list, an undocumented content type or a body
//! that breaks its schema (response objects are closed: a key the document does not
//! name fails) fails the test, with schemathesis's report.
//!
//! Needs `schemathesis` on the PATH or named by `CANDOR_TEST_SCHEMATHESIS`; `.ci/run`
//! installs it. Skipped, saying so, without it, unless `CANDOR_TEST_STRICT=1`.
//! `CANDOR_TEST_SCHEMATHESIS_EXAMPLES` raises the number of examples per operation.

mod common;

use candor_domain::Role;
use common::TestApp;
use std::process::Command;

/// The schemathesis command, or `None` (after saying so) outside strict mode.
fn schemathesis(test: &str) -> Option<String> {
    let cmd = std::env::var("CANDOR_TEST_SCHEMATHESIS").unwrap_or_else(|_| "schemathesis".into());
    let found = Command::new(&cmd)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some(cmd);
    }
    if candor_store::testing::strict() {
        panic!("CANDOR_TEST_STRICT=1 but schemathesis is missing (pip install schemathesis, or set CANDOR_TEST_SCHEMATHESIS): {test} needs it");
    }
    eprintln!("SKIPPED {test}: schemathesis not installed (pip install schemathesis)");
    None
}

async fn with_demo_data(t: &TestApp) {
    t.app.generate_demo(60, 7, &mut |_| {}).await.unwrap();
}

/// Runs schemathesis as `role` and panics with its report on any failure.
async fn run(t: &TestApp, cmd: &str, role: Role) {
    let examples =
        std::env::var("CANDOR_TEST_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "15".into());
    let url = format!("{}/api/openapi.json", t.url);
    let auth = format!("Authorization: Bearer {}", t.tokens[&role]);
    let report = common::temp_dir("schemathesis");
    let cmd = cmd.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(cmd)
            .args(["run", &url, "-H", &auth])
            .args([
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                &examples,
                "--seed",
                "1",
                "--workers",
                "1",
                "--no-color",
                "--request-timeout",
                "30",
            ])
            .current_dir(&report)
            .output()
            .expect("schemathesis runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "schemathesis found failures as {role}:\n{stdout}\n{stderr}"
    );
    // It tested something: the summary counts the operations it reached.
    assert!(
        stdout.contains("passed") && !stdout.contains("Tested: 0"),
        "schemathesis ran no test as {role}:\n{stdout}"
    );
}

async fn the_api_keeps_to_its_document(t: TestApp) {
    let Some(cmd) = schemathesis("the_api_keeps_to_its_document") else {
        return;
    };
    with_demo_data(&t).await;
    // Admin reaches every operation; marketing and sales are refused some and see
    // fewer fields (role-filtered answers, 403s that must be documented).
    for role in [Role::Admin, Role::Marketing, Role::Sales] {
        run(&t, &cmd, role).await;
    }
}

on_both_backends!(the_api_keeps_to_its_document);
