//! The test harness: a real server on port 0 over a fresh database in a temporary
//! directory, and one API token per role.
#![allow(dead_code)]

pub mod chromium;

use candor_app::keys::Keys;
use candor_app::{Candor, Settings};
use candor_domain::catalogue::Catalogue;
use candor_domain::lexicon::Lexicon;
use candor_domain::{Role, SystemClock};
use candor_store::Store;
use reqwest::{Client, Response};
use serde_json::Value;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub struct TestApp {
    pub url: String,
    /// The database's URL, to open it again.
    pub db_url: String,
    pub app: Candor,
    pub dir: PathBuf,
    pub tokens: HashMap<Role, String>,
    pub client: Client,
}

/// The package's directory, read when the test runs (cargo sets it), so that a test
/// binary built in another checkout reads this checkout's fixtures.
pub fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("candor-test-{tag}-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The app over a fresh SQLite file.
pub async fn spawn_app() -> TestApp {
    let dir = temp_dir("api");
    let db_url = format!("sqlite://{}", dir.join("candor.db").display());
    spawn_app_on(dir, db_url).await
}

/// The app over a fresh PostgreSQL database, or `None` when the test is skipped.
pub async fn spawn_pg_app(test: &str) -> Option<TestApp> {
    let db_url = candor_store::testing::fresh_pg_url(test).await?;
    Some(spawn_app_on(temp_dir("api-pg"), db_url).await)
}

/// The app over a fresh SQLite file, on a clock the test moves.
pub async fn spawn_app_with_clock(clock: Arc<dyn candor_domain::Clock>) -> TestApp {
    let dir = temp_dir("api");
    let db_url = format!("sqlite://{}", dir.join("candor.db").display());
    spawn_app_full(dir, db_url, clock).await
}

/// The app over a fresh PostgreSQL database on a clock the test moves, or `None` when
/// the test is skipped.
pub async fn spawn_pg_app_with_clock(
    test: &str,
    clock: Arc<dyn candor_domain::Clock>,
) -> Option<TestApp> {
    let db_url = candor_store::testing::fresh_pg_url(test).await?;
    Some(spawn_app_full(temp_dir("api-pg"), db_url, clock).await)
}

async fn spawn_app_on(dir: PathBuf, db_url: String) -> TestApp {
    spawn_app_full(dir, db_url, Arc::new(SystemClock)).await
}

async fn spawn_app_full(
    dir: PathBuf,
    db_url: String,
    clock: Arc<dyn candor_domain::Clock>,
) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let store = Store::open_url(&db_url).await.unwrap();
    let keys = Keys::load_or_create(&dir).unwrap();
    let app = Candor::new(
        store,
        Catalogue::default_catalogue(),
        Lexicon::default_french_english(),
        clock,
        keys,
        candor_app::receipts::ReceiptKeys::load_or_create(&dir).unwrap(),
        Settings {
            public_url: url.clone(),
            work_dir: dir.join("uploads"),
            anchor: Some(dir.join("checkpoints.log")),
            // Test "drives" are directories under the system's temporary directory.
            drive_roots: vec![std::env::temp_dir()],
            outbox_dir: Some(dir.join("outbox")),
            ..Settings::default()
        },
    )
    .await
    .unwrap();
    let mut tokens = HashMap::new();
    for role in Role::ALL {
        let (_, secret) = app
            .create_token(role, &format!("test {role}"))
            .await
            .unwrap();
        tokens.insert(role, secret);
    }
    let service = candor_web::router(app.clone())
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    TestApp {
        url,
        db_url,
        app,
        dir,
        tokens,
        client: Client::new(),
    }
}

impl TestApp {
    /// Another node on the same database (its own name, the same keys and clock), as a
    /// second server would be.
    pub async fn another_node(&self, clock: Arc<dyn candor_domain::Clock>, node: &str) -> Candor {
        Candor::new(
            Store::open_url(&self.db_url).await.unwrap(),
            Catalogue::default_catalogue(),
            Lexicon::default_french_english(),
            clock,
            Keys::load_or_create(&self.dir).unwrap(),
            candor_app::receipts::ReceiptKeys::load_or_create(&self.dir).unwrap(),
            Settings {
                public_url: self.url.clone(),
                work_dir: self.dir.join("uploads"),
                node: node.into(),
                outbox_dir: Some(self.dir.join("outbox")),
                ..Settings::default()
            },
        )
        .await
        .unwrap()
    }

    /// One staff account per role, `<role>@test.example`, all with `password`.
    pub async fn staff_accounts(&self, password: &str) {
        for role in Role::ALL {
            self.app
                .create_staff_user(
                    &format!("{}@test.example", role.as_str()),
                    role,
                    "en",
                    password,
                )
                .await
                .unwrap();
        }
    }

    /// The contact holding this email, found by its blind index.
    pub async fn contact_id_of(&self, email: &str) -> Option<uuid::Uuid> {
        let hash = self.app.email_hash_of(email).unwrap();
        self.app
            .store
            .contacts()
            .id_by_email_hash(&hash)
            .await
            .unwrap()
    }

    /// A contact's global (`*`) consent state on a channel, if any.
    pub async fn global_consent(
        &self,
        id: uuid::Uuid,
        channel: &str,
    ) -> Option<candor_domain::consent::Status> {
        self.app
            .store
            .consents()
            .states(id)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.purpose == "*" && s.channel.as_str() == channel)
            .map(|s| s.status)
    }

    /// The person's mailbox: the messages as delivered, newest first, links included
    /// (staff views of the outbox mask them), in the API's JSON shape.
    pub async fn mailbox(&self) -> Vec<Value> {
        self.app
            .store
            .outbox()
            .list(1000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| {
                serde_json::json!({
                    "id": e.mail.id, "subject_id": e.mail.subject_id, "message_id": e.mail.message_id,
                    "category": e.mail.category, "recipient": e.mail.recipient, "locale": e.mail.locale,
                    "subject": e.mail.mail_subject, "body_text": e.mail.body_text,
                    "body_html": e.mail.body_html, "status": e.status,
                    "attachment": e.mail.attachment.map(|a| serde_json::json!({"name": a.name, "content": a.content})),
                })
            })
            .collect()
    }

    /// Fault injection behind the app's back: while `on`, a trigger refuses every new
    /// access-audit row, so a write whose audit entry should commit with it fails.
    pub async fn fail_audit_writes(&self, on: bool) {
        let pg = self.db_url.starts_with("postgres");
        let sqls: &[&str] = match (pg, on) {
            (false, true) => &["CREATE TRIGGER fail_audit BEFORE INSERT ON audit_entry BEGIN SELECT RAISE(ABORT, 'injected fault'); END"],
            (false, false) => &["DROP TRIGGER fail_audit"],
            (true, true) => &[
                "CREATE OR REPLACE FUNCTION fail_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER fail_audit BEFORE INSERT ON audit_entry FOR EACH ROW EXECUTE FUNCTION fail_audit()",
            ],
            (true, false) => &["DROP TRIGGER fail_audit ON audit_entry"],
        };
        if pg {
            let pool = sqlx::PgPool::connect(&self.db_url).await.unwrap();
            for q in sqls {
                sqlx::raw_sql(q).execute(&pool).await.unwrap();
            }
            pool.close().await;
        } else {
            let pool = sqlx::SqlitePool::connect(&self.db_url).await.unwrap();
            for q in sqls {
                sqlx::raw_sql(q).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
    }

    /// Runs one statement behind the app's back, as someone with write access to the
    /// database could, and returns the number of rows it changed.
    pub async fn exec(&self, sql: &str) -> u64 {
        if self.db_url.starts_with("postgres") {
            let pool = sqlx::PgPool::connect(&self.db_url).await.unwrap();
            let n = sqlx::raw_sql(sql)
                .execute(&pool)
                .await
                .unwrap()
                .rows_affected();
            pool.close().await;
            n
        } else {
            let pool = sqlx::SqlitePool::connect(&self.db_url).await.unwrap();
            let n = sqlx::raw_sql(sql)
                .execute(&pool)
                .await
                .unwrap()
                .rows_affected();
            pool.close().await;
            n
        }
    }

    /// One number read behind the app's back (an independent count).
    pub async fn count(&self, sql: &str) -> i64 {
        if self.db_url.starts_with("postgres") {
            let pool = sqlx::PgPool::connect(&self.db_url).await.unwrap();
            let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        } else {
            let pool = sqlx::SqlitePool::connect(&self.db_url).await.unwrap();
            let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        }
    }

    /// A contact as the admin reads it through the API.
    pub async fn contact_json(&self, id: &str) -> Value {
        self.get(Role::Admin, &format!("/api/v1/contacts/{id}"))
            .await
            .json()
            .await
            .unwrap()
    }

    pub async fn get(&self, role: Role, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.tokens[&role])
            .send()
            .await
            .unwrap()
    }

    pub async fn send(
        &self,
        role: Role,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> Response {
        self.client
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.tokens[&role])
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, role: Role, path: &str, body: &Value) -> Response {
        self.send(role, reqwest::Method::POST, path, body).await
    }

    pub async fn patch(&self, role: Role, path: &str, body: &Value) -> Response {
        self.send(role, reqwest::Method::PATCH, path, body).await
    }

    /// Creates a contact as admin and returns its id.
    pub async fn contact(&self, body: Value) -> String {
        let res = self.post(Role::Admin, "/api/v1/contacts", &body).await;
        assert_eq!(res.status(), 201, "{:?}", res.text().await);
        let v: Value = res.json().await.unwrap();
        v["id"].as_str().unwrap().to_owned()
    }

    pub async fn company(&self, name: &str, siret: &str) -> String {
        let res = self
            .post(
                Role::Admin,
                "/api/v1/companies",
                &serde_json::json!({"name": name, "siret": siret}),
            )
            .await;
        assert_eq!(res.status(), 201, "{:?}", res.text().await);
        let v: Value = res.json().await.unwrap();
        v["id"].as_str().unwrap().to_owned()
    }

    /// Row counts of every table that a refused request must leave alone.
    pub async fn snapshot(&self) -> Vec<(&'static str, i64)> {
        self.app.store.demo().table_counts().await.unwrap()
    }
}

/// Reads an error body and checks its code, field and (when given) rule.
pub async fn expect_error(
    res: Response,
    status: u16,
    code: &str,
    field: Option<&str>,
    rule: Option<&str>,
) -> Value {
    assert_eq!(res.status().as_u16(), status);
    let v: Value = res.json().await.unwrap();
    let e = &v["error"];
    assert_eq!(e["code"], code, "{v}");
    if let Some(f) = field {
        assert_eq!(e["field"], f, "{v}");
    }
    if let Some(r) = rule {
        assert_eq!(e["rule"], r, "{v}");
    }
    v
}

/// Runs each named `async fn(TestApp)` as two tests: on SQLite, and on PostgreSQL
/// (skipped, saying so, when no server is configured outside strict mode).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::common::spawn_app().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(t) = $crate::common::spawn_pg_app(stringify!($name)).await {
                        super::$name(t).await
                    }
                }
            )*
        }
    };
}

/// An app whose clock stands at 10 February 2026, 09:30 UTC, and the clock: on SQLite,
/// or on PostgreSQL for `pg_test` (`None` when it is skipped).
#[allow(dead_code)]
pub async fn app_at(
    pg_test: Option<&str>,
) -> Option<(TestApp, Arc<candor_domain::clock::FixedClock>)> {
    let clock = Arc::new(candor_domain::clock::FixedClock::new(
        time::macros::datetime!(2026-02-10 09:30 UTC),
    ));
    let t = match pg_test {
        None => spawn_app_with_clock(clock.clone()).await,
        Some(test) => spawn_pg_app_with_clock(test, clock.clone()).await?,
    };
    Some((t, clock))
}

/// Runs each named `async fn(TestApp, Arc<FixedClock>)` on both backends, the clock at
/// 10 February 2026, 09:30 UTC (see `app_at`).
#[macro_export]
macro_rules! on_both_backends_with_clock {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let (t, c) = $crate::common::app_at(None).await.unwrap();
                    super::$name(t, c).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some((t, c)) = $crate::common::app_at(Some(stringify!($name))).await {
                        super::$name(t, c).await
                    }
                }
            )*
        }
    };
}

/// A real SMTP receiver (aiosmtpd) on a free loopback port, storing what it receives in
/// a maildir. `None` (after saying so) when aiosmtpd is missing, outside strict mode.
pub struct SmtpReceiver {
    pub port: u16,
    pub maildir: PathBuf,
    child: std::process::Child,
}

impl Drop for SmtpReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn smtp_receiver(test: &str) -> Option<SmtpReceiver> {
    smtp_receiver_with(test, "aiosmtpd.handlers.Mailbox").await
}

/// The same receiver with another handler class: `refusing.RefuseBounces`
/// (`tests/fixtures/smtp/`) refuses every address that starts with "bounce".
pub async fn smtp_receiver_with(test: &str, handler: &str) -> Option<SmtpReceiver> {
    let python = ["/usr/bin/python3", "python3"].into_iter().find(|p| {
        std::process::Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let Some(python) = python else {
        if candor_store::testing::strict() {
            panic!("CANDOR_TEST_STRICT=1 but aiosmtpd is missing (apt-get install python3-aiosmtpd): {test} needs it");
        }
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: aiosmtpd not installed (apt-get install python3-aiosmtpd)"
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let maildir = temp_dir("smtp");
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let child = std::process::Command::new(python)
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            handler,
        ])
        .arg(&maildir)
        .env("PYTHONPATH", manifest_dir().join("tests/fixtures/smtp"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Owned from here, so the process is killed and reaped on every path.
    let receiver = SmtpReceiver {
        port,
        maildir,
        child,
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Some(receiver);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{test}: aiosmtpd did not start");
}

/// Candor's SMTP transport to a server on this loopback port, without TLS or login.
pub fn smtp_transport(port: u16) -> candor_app::mail::Transport {
    candor_app::mail::Transport::smtp(&candor_app::mail::SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: candor_app::mail::Security::None,
        username: None,
        password: None,
        connections: 4,
    })
    .unwrap()
}

impl SmtpReceiver {
    /// The raw messages received so far.
    pub fn received(&self) -> Vec<Vec<u8>> {
        let new = self.maildir.join("new");
        let Ok(dir) = std::fs::read_dir(new) else {
            return Vec::new();
        };
        dir.filter_map(Result::ok)
            .map(|e| std::fs::read(e.path()).unwrap())
            .collect()
    }
}

/// A browser-like client: one cookie, no redirects followed, a chosen source address.
pub struct Visitor {
    pub http: Client,
    pub cookie: Option<String>,
    pub base: String,
}

impl Visitor {
    pub fn new(t: &TestApp, from: &str) -> Self {
        let ip: IpAddr = from.parse().unwrap();
        Self {
            http: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .local_address(ip)
                .build()
                .unwrap(),
            cookie: None,
            base: t.url.clone(),
        }
    }

    /// Keeps the cookies a response sets, as a browser would: one value per name, a
    /// cookie set with `Max-Age=0` forgotten.
    pub fn keep(&mut self, res: &Response) {
        let mut jar: Vec<(String, String)> = self
            .cookie
            .iter()
            .flat_map(|c| c.split("; "))
            .filter_map(|p| p.split_once('='))
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        for set in res.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (name, value) = set.split(';').next().unwrap().split_once('=').unwrap();
            jar.retain(|(n, _)| n != name);
            if !set.contains("Max-Age=0") {
                jar.push((name.to_owned(), value.to_owned()));
            }
        }
        self.cookie = (!jar.is_empty()).then(|| {
            jar.iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        });
    }

    /// The value of one cookie this visitor holds.
    pub fn cookie_named(&self, name: &str) -> Option<String> {
        self.cookie
            .iter()
            .flat_map(|c| c.split("; "))
            .filter_map(|p| p.split_once('='))
            .find(|(n, _)| *n == name)
            .map(|(_, v)| format!("{name}={v}"))
    }

    pub async fn get(&mut self, path: &str) -> Response {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            req = req.header("Cookie", c);
        }
        let res = req.send().await.unwrap();
        self.keep(&res);
        res
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Response {
        let mut req = self.http.post(format!("{}{path}", self.base)).form(form);
        if let Some(c) = &self.cookie {
            req = req.header("Cookie", c);
        }
        let res = req.send().await.unwrap();
        self.keep(&res);
        res
    }

    /// The CSRF token of the page at `path`.
    pub async fn csrf(&mut self, path: &str) -> String {
        let html = self.get(path).await.text().await.unwrap();
        html.split("name=\"csrf\" value=\"")
            .nth(1)
            .expect("the page has a form")
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Response {
        let csrf = self.csrf("/login").await;
        self.post(
            "/login",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }
}

/// The password `TestApp::staff_accounts` is given by `signed_in`'s callers.
#[allow(dead_code)]
pub const STAFF_PASSWORD: &str = "a long enough test password";

/// A staff member of `role` signed in to the back office, reading it in French (the
/// accounts made by `staff_accounts(STAFF_PASSWORD)`).
#[allow(dead_code)]
pub async fn signed_in(t: &TestApp, role: Role) -> Visitor {
    let mut v = Visitor::new(t, "127.0.0.1");
    v.login(&format!("{}@test.example", role.as_str()), STAFF_PASSWORD)
        .await;
    let csrf = v.csrf("/contacts").await;
    v.post(
        "/language",
        &[("csrf", &csrf), ("locale", "fr"), ("back", "/contacts")],
    )
    .await;
    v
}

/// A person with a row in every kind of record a subject has: consents (one with web
/// evidence), an order, a contract, a web visit, an undeliverable address.
#[allow(dead_code)]
pub async fn everything_about(t: &TestApp, email: &str, company: &str) -> String {
    let id = t
        .contact(serde_json::json!({"kind": "b2b", "company_id": company, "first_name": "Zoé", "last_name": "Lefèvre",
                        "email": email, "phone": "06 12 34 56 78", "city": "Lyon", "locale": "fr"}))
        .await;
    let uid = uuid::Uuid::parse_str(&id).unwrap();
    let grant = serde_json::json!({"purpose": "newsletter", "channel": "email", "action": "grant", "source": "phone",
                       "evidence": {"wording": "Oui à la lettre"}});
    assert_eq!(
        t.post(
            candor_domain::Role::Sales,
            &format!("/api/v1/contacts/{id}/consents"),
            &grant
        )
        .await
        .status(),
        201
    );
    let web = serde_json::json!({"purpose": "marketing", "channel": "email", "action": "grant", "source": "web_form",
                     "evidence": {"form_id": "f", "wording": "Oui", "ip": "198.51.100.4", "user_agent": "Firefox"}});
    assert_eq!(
        t.post(
            candor_domain::Role::Sales,
            &format!("/api/v1/contacts/{id}/consents"),
            &web
        )
        .await
        .status(),
        201
    );
    let order = serde_json::json!({"currency": "EUR", "lines": [{"description": "Abonnement", "quantity": 1, "unit_price_cents": 11900}]});
    assert_eq!(
        t.post(
            candor_domain::Role::Sales,
            &format!("/api/v1/contacts/{id}/orders"),
            &order
        )
        .await
        .status(),
        201
    );
    let contract =
        serde_json::json!({"reference": format!("CT-{email}"), "starts_on": "2026-01-01"});
    assert_eq!(
        t.post(
            candor_domain::Role::Sales,
            &format!("/api/v1/contacts/{id}/contracts"),
            &contract
        )
        .await
        .status(),
        201
    );
    t.app
        .store
        .activity()
        .record(&candor_store::ActivityRecord {
            id: uuid::Uuid::now_v7(),
            contact_id: uid,
            kind: "web_visit".into(),
            at: t.app.now(),
            detail: "/tarifs".into(),
        })
        .await
        .unwrap();
    t.app
        .store
        .addresses()
        .mark_undeliverable(
            &candor_store::AddressStatus {
                subject_id: uid,
                channel: candor_domain::consent::Channel::Sms,
                reason: "test bounce".into(),
                since: t.app.now(),
            },
            vec![],
        )
        .await
        .unwrap();
    id
}

/// A newsletter to everyone (a `campaign_recipient` row each), a high-risk breach
/// everyone with an email was told of (a `breach_notice` row each) and an access
/// request of `a`'s answered with a download link (a `bundle_link` row).
#[allow(dead_code)]
pub async fn newsletter_and_a_delivered_request(t: &TestApp, a: &str) {
    let breach: serde_json::Value = t
        .post(
            candor_domain::Role::Dpo,
            "/api/v1/breaches",
            &serde_json::json!({"discovered_at": "2026-01-05T10:00:00Z", "natures": ["confidentiality"],
                "description": "Un export envoyé au mauvais destinataire.", "data_categories": ["contact.email"],
                "risk": "high", "risk_reasoning": "Adresses exposées.",
                "subject_message": {"fr": "Méfiez-vous des faux emails.", "en": "Beware of fake emails."}}),
        )
        .await
        .json()
        .await
        .unwrap();
    let told = t
        .post(
            candor_domain::Role::Dpo,
            &format!(
                "/api/v1/breaches/{}/subject-notices",
                breach["id"].as_str().unwrap()
            ),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(told.status(), 202);
    t.app.run_due_jobs().await.unwrap();
    let seg: serde_json::Value = t
        .post(
            candor_domain::Role::Marketing,
            "/api/v1/segments",
            &serde_json::json!({"name": "all", "conditions": []}),
        )
        .await
        .json()
        .await
        .unwrap();
    let camp: serde_json::Value = t
        .post(candor_domain::Role::Marketing, "/api/v1/campaigns", &serde_json::json!({"name": "Lettre", "category": "newsletter", "channel": "email",
            "segment_id": seg["id"], "content": {"fr": {"subject": "Nouvelles", "body": "Bonjour"}, "en": {"subject": "News", "body": "Hello"}}}))
        .await
        .json()
        .await
        .unwrap();
    let sent = t
        .post(
            candor_domain::Role::Marketing,
            &format!("/api/v1/campaigns/{}/send", camp["id"].as_str().unwrap()),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(sent.status(), 202);
    // The sending job runs (the server's worker does it by itself).
    t.app.run_due_jobs().await.unwrap();
    // An earlier access request of hers, answered by a download link.
    let first: serde_json::Value = t
        .post(
            candor_domain::Role::Dpo,
            "/api/v1/requests",
            &serde_json::json!({"kind": "access", "channel": "phone", "contact_id": a}),
        )
        .await
        .json()
        .await
        .unwrap();
    let fid = first["id"].as_str().unwrap();
    t.post(
        candor_domain::Role::Dpo,
        &format!("/api/v1/requests/{fid}/identity"),
        &serde_json::json!({"method": "rappel"}),
    )
    .await;
    let d = t
        .post(
            candor_domain::Role::Dpo,
            &format!("/api/v1/requests/{fid}/deliveries"),
            &serde_json::json!({"channel": "download"}),
        )
        .await;
    assert_eq!(d.status(), 200);
    // Her privacy portal: a sign-in link spent on a session, and a password account.
    let email = t.contact_json(a).await["email"]
        .as_str()
        .unwrap()
        .to_owned();
    t.app.portal_send_link(&email).await.unwrap();
    let token = t
        .mailbox()
        .await
        .iter()
        .filter(|m| m["recipient"] == email.as_str())
        .find_map(|m| {
            let body = m["body_text"].as_str()?;
            let at = body.find("/portal/enter/")? + "/portal/enter/".len();
            Some(body[at..].split_whitespace().next()?.to_owned())
        })
        .unwrap();
    t.app.portal_enter(&token).await.unwrap().unwrap();
    t.app
        .portal_set_password(
            uuid::Uuid::parse_str(a).unwrap(),
            "a long enough portal password",
            "test",
        )
        .await
        .unwrap();
}
