//! Debian's Chromium, headless, driven through chromedriver by fantoccini: the browser
//! the back-office and portal tests use. Skipped (saying so) without Chromium, unless
//! CANDOR_TEST_STRICT=1.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

pub fn available(test: &str) -> bool {
    let found = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !found {
        if candor_store::testing::strict() {
            panic!("CANDOR_TEST_STRICT=1 but Chromium is missing (apt-get install chromium chromium-driver): {test} needs it");
        }
        eprintln!(
            "SKIPPED {test}: Chromium not installed (apt-get install chromium chromium-driver)"
        );
    }
    found
}

pub async fn browser() -> Browser {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let profile = super::temp_dir("chromium-profile");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let mut last = None;
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => {
                return Browser {
                    client,
                    driver,
                    _profile: profile,
                }
            }
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("chromedriver did not answer: {last:?}");
}

/// The text of the first element matching `css`; found again when the page replaced
/// it between the finding and the reading (a navigation still settling).
pub async fn text_of(b: &Client, css: &str) -> String {
    let mut tries = 0;
    loop {
        let found = b.find(Locator::Css(css)).await.unwrap();
        match found.text().await {
            Ok(text) => return text,
            Err(e) if tries < 20 && format!("{e:?}").contains("StaleElementReference") => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("reading {css}: {e:?}"),
        }
    }
}

/// The elements that reach past the window's right edge, for a failure message.
pub async fn widest(b: &Client) -> String {
    b.execute(
        "return 'doc ' + document.documentElement.scrollWidth + ' body ' + document.body.scrollWidth + ' win ' + window.innerWidth + ' ' + [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('div.scroll')).slice(0, 8).map(e => e.tagName + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '') + ':' + Math.round(e.getBoundingClientRect().right)).join(', ')",
        vec![],
    )
    .await
    .unwrap()
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Whether the page is wider than the window (a phone scrolls the whole page sideways).
pub async fn overflows(b: &Client) -> bool {
    b.execute(
        "return document.documentElement.scrollWidth > window.innerWidth + 1",
        vec![],
    )
    .await
    .unwrap()
    .as_bool()
    .unwrap()
}
