//! X2: a whole API session at the most verbose log level leaves no email, name or
//! phone of its contacts in the logs, including on refused input and errors.

mod common;

use candor_domain::Role;
use common::spawn_app;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_of_a_whole_api_session_hold_no_personal_data() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .init();

    let t = spawn_app().await;
    let co = t.company("Bureau Garnier SAS", "12002701600043").await;
    let id = t
        .contact(json!({"kind": "b2b", "company_id": co, "first_name": "Ophélie", "last_name": "Vasseur-Quentin",
            "email": "ophelie.vasseur@example.org", "phone": "06 48 27 19 36", "notes": "Rappeler jeudi"}))
        .await;
    let path = format!("/api/v1/contacts/{id}");
    for role in Role::ALL {
        t.get(role, &path).await;
    }
    t.get(
        Role::Sales,
        "/api/v1/contacts?email=ophelie.vasseur%40example.org",
    )
    .await;
    t.get(
        Role::Marketing,
        "/api/v1/contacts?email=ophelie.vasseur%40example.org",
    )
    .await;
    t.patch(Role::Sales, &path, &json!({"phone": "06 48 27"}))
        .await;
    t.patch(
        Role::Sales,
        &path,
        &json!({"email": "ophelie.vasseur@@example"}),
    )
    .await;
    t.patch(
        Role::Sales,
        &path,
        &json!({"notes": "Ophélie est enceinte"}),
    )
    .await;
    t.patch(
        Role::Marketing,
        &path,
        &json!({"last_name": "Vasseur-Quentin"}),
    )
    .await;
    t.post(Role::Sales, "/api/v1/contacts", &json!({"kind": "b2c", "last_name": "Vasseur-Quentin", "email": "ophelie.vasseur@example.org"})).await;
    t.get(Role::Dpo, &format!("{path}/audit")).await;
    t.send(Role::Dpo, reqwest::Method::DELETE, &path, &json!({}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("request"),
        "the capture saw no request log: is logging on?"
    );
    for secret in [
        "ophelie",
        "Ophélie",
        "Vasseur",
        "example.org",
        "648271936",
        "06 48 27 19 36",
        "enceinte",
        "Rappeler",
    ] {
        assert!(!text.contains(secret), "the logs contain {secret}");
    }
}
