//! Imports in the back office over HTTP, on both backends (O3, C6): an admin uploads an
//! export, sees the preset picked from its header, its columns and first rows, and the
//! dry run of the whole file; starts it; follows the job to its end; downloads the
//! refused rows. The result is the command's for the same file: the same counts, a
//! withdrawal for every person who had opted out and no email to any of them. A column
//! that may hold a person's choice stops the import until the admin decides what it
//! holds. Other roles, and forms without their token, change nothing.

mod common;

use candor_domain::consent::Status;
use candor_domain::Role;
use common::{TestApp, Visitor};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;

const PASSWORD: &str = "a long enough test password";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        common::manifest_dir()
            .join("tests/fixtures/exports")
            .join(name),
    )
    .unwrap()
}

async fn admin(t: &TestApp) -> Visitor {
    t.staff_accounts(PASSWORD).await;
    let mut v = Visitor::new(t, "127.0.0.1");
    v.login("admin@test.example", PASSWORD).await;
    v
}

/// Posts a file as the upload form does; returns the response.
async fn upload(
    v: &mut Visitor,
    csrf: Option<&str>,
    name: &str,
    bytes: Vec<u8>,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = Form::new();
    if let Some(c) = csrf {
        form = form.text("csrf", c.to_owned());
    }
    for (k, val) in fields {
        form = form.text((*k).to_owned(), (*val).to_owned());
    }
    form = form.part("file", Part::bytes(bytes).file_name(name.to_owned()));
    let mut req = v.http.post(format!("{}/imports", v.base)).multipart(form);
    if let Some(c) = &v.cookie {
        req = req.header("Cookie", c);
    }
    let res = req.send().await.unwrap();
    v.keep(&res);
    res
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .expect("a redirect")
        .to_str()
        .unwrap()
        .to_owned()
}

/// The number shown in `<dd id="n-{id}">`.
fn figure(html: &str, id: &str) -> u64 {
    let at = format!("<dd id=\"n-{id}\">");
    let from = html.find(&at).unwrap_or_else(|| panic!("no figure {id}")) + at.len();
    html[from..]
        .split('<')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn uploads(t: &TestApp) -> usize {
    std::fs::read_dir(t.dir.join("uploads")).map_or(0, |d| d.count())
}

async fn an_export_imports_through_the_page_as_through_the_command(t: TestApp) {
    let mut v = admin(&t).await;
    let csrf = v.csrf("/imports").await;
    let file = "hubspot-crm-exports-all-contacts-2026-11-30.csv";
    let res = upload(&mut v, Some(&csrf), file, fixture(file), &[("kind", "b2c")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = location(&res);
    let html = v.get(&page).await.text().await.unwrap();
    assert!(
        html.contains("<strong id=\"preset\">hubspot</strong>"),
        "{html}"
    );
    assert!(
        html.contains("Unsubscribed from all email"),
        "the columns are listed"
    );
    assert!(
        html.contains("id=\"preview-rows\""),
        "the first rows are shown"
    );
    assert!(
        html.contains("last_name: Leroy"),
        "a row as it will be stored"
    );
    assert!(
        html.contains("withdraw * email"),
        "an opt-out shows as the withdrawal it becomes"
    );
    let would = (
        figure(&html, "created"),
        figure(&html, "withdrawals"),
        figure(&html, "requests"),
    );
    assert!(would.0 > 0 && would.1 >= 2, "{would:?}");
    assert!(
        t.app.store.contacts().count().await.unwrap() == 0,
        "the preview wrote nothing"
    );

    let id = page.trim_start_matches("/imports/");
    let csrf = v.csrf(&page).await;
    let res = v
        .post(&format!("/imports/{id}/start"), &[("csrf", &csrf)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let job = location(&res);
    let mut html = String::new();
    for _ in 0..200 {
        html = v.get(&job).await.text().await.unwrap();
        if html.contains("id=\"state\">Import finished.") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(html.contains("Import finished."), "{html}");
    assert_eq!(
        (
            figure(&html, "created"),
            figure(&html, "withdrawals"),
            figure(&html, "requests")
        ),
        would,
        "the import did what the dry run said"
    );
    // Every person who had opted out has a withdrawal and no email.
    for email in ["bruno.caron@example.org", "chloe.dumas@example.org"] {
        let id = t.contact_id_of(email).await.unwrap();
        assert_eq!(
            t.global_consent(id, "email").await,
            Some(Status::Withdrawn),
            "{email}"
        );
    }
    let mailbox = t.mailbox().await;
    assert_eq!(
        mailbox.len() as u64,
        would.2,
        "one email per request counted"
    );
    for m in &mailbox {
        let to = m["recipient"].as_str().unwrap();
        assert!(
            ![
                "bruno.caron@example.org",
                "chloe.dumas@example.org",
                "david.roy@example.org"
            ]
            .contains(&to),
            "{to} said no or bounces, and was emailed"
        );
    }
    // The file went with the end of the import; starting again writes nothing twice.
    let dir = t.dir.join("uploads").join(id);
    assert!(!dir.join(file).exists(), "the uploaded file is deleted");
    let csrf = v.csrf(&job).await;
    v.post(&format!("/imports/{id}/start"), &[("csrf", &csrf)])
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let html = v.get(&job).await.text().await.unwrap();
    assert!(html.contains("Import finished."), "{html}");
    assert_eq!(t.mailbox().await.len(), mailbox.len());
    assert_eq!(
        t.app.store.contacts().count().await.unwrap(),
        would.0 as i64,
        "no contact twice"
    );
    // The list shows the job, by the file's own name.
    let html = v.get("/imports").await.text().await.unwrap();
    assert!(html.contains(file), "{html}");
    // Deleting the upload removes its directory, not the contacts.
    let csrf = v.csrf(&job).await;
    let res = v
        .post(&format!("/imports/{id}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(!dir.exists());
    assert_eq!(
        t.app.store.contacts().count().await.unwrap(),
        would.0 as i64
    );
}

/// An unsubscribe column the preset does not know stops the import, marked on its
/// line, until the admin says what it holds; then its people come in withdrawn.
async fn a_choice_column_waits_for_the_admin(t: TestApp) {
    let mut v = admin(&t).await;
    let csrf = v.csrf("/imports").await;
    let csv =
        "last_name,email,Unsubscribed\nMartin,martin@example.org,yes\nPetit,petit@example.org,no\n";
    let res = upload(
        &mut v,
        Some(&csrf),
        "list.csv",
        csv.as_bytes().to_vec(),
        &[("kind", "b2c"), ("preset", "candor")],
    )
    .await;
    let page = location(&res);
    let html = v.get(&page).await.text().await.unwrap();
    assert!(html.contains("id=\"problem\""), "{html}");
    assert!(html.contains("class=\"decide\""), "the column is marked");
    assert!(
        !html.contains("id=\"start-import\""),
        "nothing can start yet"
    );
    // In French too.
    let csrf = v.csrf(&page).await;
    v.post(
        "/language",
        &[
            ("csrf", csrf.as_str()),
            ("locale", "fr"),
            ("back", page.as_str()),
        ],
    )
    .await;
    let html = v.get(&page).await.text().await.unwrap();
    assert!(
        html.contains("peuvent indiquer que des personnes se sont désinscrites"),
        "{html}"
    );
    assert!(html.contains("peut contenir le choix d"), "{html}");
    let id = page.trim_start_matches("/imports/");
    let csrf = v.csrf(&page).await;
    let res = v
        .post(
            &format!("/imports/{id}/mapping"),
            &[("csrf", &csrf), ("col.2", "opt_out.email")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = v.get(&page).await.text().await.unwrap();
    assert!(!html.contains("id=\"problem\""), "{html}");
    assert_eq!(figure(&html, "withdrawals"), 1);
    assert_eq!(figure(&html, "created"), 2);
    let csrf = v.csrf(&page).await;
    v.post(&format!("/imports/{id}/start"), &[("csrf", &csrf)])
        .await;
    for _ in 0..200 {
        if t.app.store.contacts().count().await.unwrap() == 2
            && v.get(&format!("{page}/job"))
                .await
                .text()
                .await
                .unwrap()
                .contains("Import terminé.")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let martin = t.contact_id_of("martin@example.org").await.unwrap();
    assert_eq!(
        t.global_consent(martin, "email").await,
        Some(Status::Withdrawn)
    );
    assert!(t
        .mailbox()
        .await
        .iter()
        .all(|m| m["recipient"] != "martin@example.org"));
}

/// The refused rows download with their line and rule; other roles and forged forms
/// change nothing and keep no file.
async fn rejects_download_and_refusals(t: TestApp) {
    let mut v = admin(&t).await;
    let csrf = v.csrf("/imports").await;
    let csv =
        "last_name,email,phone\nMartin,martin@example.org,06 12 34 56 78\nPetit,not-an-email,\n";
    let res = upload(
        &mut v,
        Some(&csrf),
        "two.csv",
        csv.as_bytes().to_vec(),
        &[("kind", "b2c"), ("preset", "candor")],
    )
    .await;
    let page = location(&res);
    let id = page.trim_start_matches("/imports/").to_owned();
    let html = v.get(&page).await.text().await.unwrap();
    assert_eq!(figure(&html, "rejected"), 1, "{html}");
    assert!(html.contains("id=\"rejects\""));
    let csrf = v.csrf(&page).await;
    v.post(&format!("/imports/{id}/start"), &[("csrf", &csrf)])
        .await;
    let mut res = None;
    for _ in 0..200 {
        let r = v.get(&format!("/imports/{id}/rejects.csv")).await;
        if r.status() == StatusCode::OK {
            res = Some(r);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let res = res.expect("the rejects file is served once the job ends");
    assert!(res
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("two.rejects.csv"));
    let body = res.text().await.unwrap();
    assert!(body.starts_with("line,column,rule,message"), "{body}");
    assert!(body.contains("email_format"), "{body}");

    // No token: refused before the file is kept.
    let before = uploads(&t);
    let res = upload(&mut v, None, "x.csv", b"last_name\nA\n".to_vec(), &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = upload(
        &mut v,
        Some("forged"),
        "x.csv",
        b"last_name\nA\n".to_vec(),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(uploads(&t), before, "no file kept");
    // An empty upload is named, in the page's form.
    let csrf = v.csrf("/imports").await;
    let res = upload(&mut v, Some(&csrf), "empty.csv", Vec::new(), &[]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("id=\"upload-error\""));
    assert_eq!(uploads(&t), before, "no file kept");
    // Every other role is refused each step.
    for role in [Role::Dpo, Role::Sales, Role::Marketing, Role::Support] {
        let mut o = Visitor::new(&t, "127.0.0.1");
        o.login(&format!("{}@test.example", role.as_str()), PASSWORD)
            .await;
        assert_eq!(o.get("/imports").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(o.get(&page).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            o.get(&format!("/imports/{id}/rejects.csv")).await.status(),
            StatusCode::FORBIDDEN
        );
        let csrf = o.csrf("/contacts").await;
        let res = upload(
            &mut o,
            Some(&csrf),
            "x.csv",
            b"last_name\nA\n".to_vec(),
            &[],
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role}");
        let res = o
            .post(&format!("/imports/{id}/start"), &[("csrf", &csrf)])
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role}");
    }
    assert_eq!(uploads(&t), before, "no file kept");
    assert_eq!(t.app.store.contacts().count().await.unwrap(), 1);
}

/// Consent requests held at upload are counted apart, and sent later from the page.
async fn held_requests_are_sent_from_the_page(t: TestApp) {
    let mut v = admin(&t).await;
    let csrf = v.csrf("/imports").await;
    let csv = "last_name,email\nMartin,martin@example.org\nPetit,petit@example.org\n";
    let res = upload(
        &mut v,
        Some(&csrf),
        "held.csv",
        csv.as_bytes().to_vec(),
        &[
            ("kind", "b2c"),
            ("preset", "candor"),
            ("hold_requests", "1"),
        ],
    )
    .await;
    let page = location(&res);
    let html = v.get(&page).await.text().await.unwrap();
    assert_eq!(figure(&html, "requests"), 0, "{html}");
    assert_eq!(figure(&html, "requests-held"), 2, "{html}");
    let id = page.trim_start_matches("/imports/");
    let csrf = v.csrf(&page).await;
    v.post(&format!("/imports/{id}/start"), &[("csrf", &csrf)])
        .await;
    for _ in 0..200 {
        if t.app.store.contacts().count().await.unwrap() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(t.mailbox().await.is_empty(), "nothing sent yet");
    let html = v.get("/imports").await.text().await.unwrap();
    assert!(html.contains("<span id=\"never-asked\">2</span>"), "{html}");
    let csrf = v.csrf("/imports").await;
    let res = v
        .post("/imports/consent-requests", &[("csrf", &csrf)])
        .await;
    let html = res.text().await.unwrap();
    assert!(
        html.contains("id=\"notice\">2 consent requests queued"),
        "{html}"
    );
    assert_eq!(t.mailbox().await.len(), 2);
    assert!(!html.contains("id=\"never-asked\""), "no one left to ask");
}

/// A header two tools could have written is not guessed: the page asks which, and the
/// admin's choice reads the file.
async fn an_ambiguous_header_asks_which_tool(t: TestApp) {
    let mut v = admin(&t).await;
    let csrf = v.csrf("/imports").await;
    let csv = "Mailing City,Mailing Zip,Last Name,Email\nLyon,69002,Martin,m@example.org\n";
    let res = upload(
        &mut v,
        Some(&csrf),
        "both.csv",
        csv.as_bytes().to_vec(),
        &[("kind", "b2c")],
    )
    .await;
    let page = location(&res);
    let html = v.get(&page).await.text().await.unwrap();
    assert!(
        html.contains("looks like the export of more than one tool"),
        "{html}"
    );
    assert!(
        !html.contains("--preset"),
        "no command-line advice on a page: {html}"
    );
    let id = page.trim_start_matches("/imports/");
    let csrf = v.csrf(&page).await;
    v.post(
        &format!("/imports/{id}/mapping"),
        &[("csrf", &csrf), ("preset", "salesforce")],
    )
    .await;
    let html = v.get(&page).await.text().await.unwrap();
    assert!(
        html.contains("<strong id=\"preset\">salesforce</strong>"),
        "{html}"
    );
    assert_eq!(figure(&html, "created"), 1);
}

on_both_backends!(
    an_ambiguous_header_asks_which_tool,
    held_requests_are_sent_from_the_page,
    an_export_imports_through_the_page_as_through_the_command,
    a_choice_column_waits_for_the_admin,
    rejects_download_and_refusals,
);
