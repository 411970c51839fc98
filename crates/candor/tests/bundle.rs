//! The access bundle (R3, R4), complete and exact, on both backends: a person is given
//! at least one row in every table the registry says holds a person's data (so a table
//! added later fails here until it is covered), and each of those rows is in the
//! bundle, while another person's are not. The files are what they say: data.json
//! valid against the published schema, a CSV per table, a vCard, a report in the
//! person's language, a manifest whose sizes and hashes match and whose signature
//! verifies.

mod common;

use candor_domain::Role;
use candor_store::registry::SUBJECT_TABLES;
use common::TestApp;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Read;

fn read_zip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let mut b = Vec::new();
        f.read_to_end(&mut b).unwrap();
        out.insert(f.name().unwrap().into_owned(), b);
    }
    out
}

async fn a_bundle_holds_every_row_of_its_subject_and_no_other(t: TestApp) {
    let company = t.company("Bundle Example", "73282932000074").await;
    let a = common::everything_about(&t, "zoe.bundle@example.fr", &company).await;
    let b = common::everything_about(&t, "other.bundle@example.fr", &company).await;
    // A newsletter reaches both; an earlier access request of hers was delivered.
    common::newsletter_and_a_delivered_request(&t, &a).await;
    t.app.checkpoint().await.unwrap();
    // The access request, verified, and its bundle.
    let r: Value = t
        .post(
            Role::Dpo,
            "/api/v1/requests",
            &json!({"kind": "access", "channel": "email", "contact_id": a}),
        )
        .await
        .json()
        .await
        .unwrap();
    let rid = r["id"].as_str().unwrap();
    let early = t
        .post(
            Role::Dpo,
            &format!("/api/v1/requests/{rid}/bundle"),
            &json!({}),
        )
        .await;
    common::expect_error(
        early,
        422,
        "invalid_field",
        Some("status"),
        Some("identity_not_verified"),
    )
    .await;
    t.post(
        Role::Dpo,
        &format!("/api/v1/requests/{rid}/identity"),
        &json!({"method": "lien envoyé à l'adresse connue"}),
    )
    .await;
    let res = t
        .post(
            Role::Dpo,
            &format!("/api/v1/requests/{rid}/bundle"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let files = read_zip(&res.bytes().await.unwrap());

    let data: Value = serde_json::from_slice(&files["data.json"]).unwrap();
    assert_eq!(data["subject_id"], a.as_str());
    assert_eq!(data["contact"]["email"], "zoe.bundle@example.fr");
    for table in SUBJECT_TABLES {
        let rows = data["tables"][table.table]
            .as_array()
            .unwrap_or_else(|| panic!("{} missing", table.table));
        assert!(!rows.is_empty(), "the subject has no row in {} in the bundle: give the test data one, and the bundle covers it", table.table);
        for row in rows {
            assert_eq!(
                row[table.subject_column],
                a.as_str(),
                "{}: a row of another subject",
                table.table
            );
        }
        // The CSV holds the same rows: a header, then one record per row.
        let csv = &files[&format!("csv/{}.csv", table.table)];
        let records = csv::Reader::from_reader(csv.as_slice())
            .records()
            .collect::<Result<Vec<_>, _>>()
            .expect("a valid CSV")
            .len();
        assert_eq!(records, rows.len(), "csv/{}.csv", table.table);
    }
    // Her sign-in link is in it cut, as staff read the outbox: the bundle signs no one in.
    let json = String::from_utf8_lossy(&files["data.json"]);
    assert!(
        json.contains("/portal/enter/…"),
        "the link's email is there, cut"
    );
    assert!(!json.contains("/portal/enter/0") && !json.contains("/portal/enter/a"));
    // Her portal account is in it, without its password's hash (registry::SECRET_COLUMNS).
    let account = &data["tables"]["portal_account"][0];
    assert!(account["created_at"].is_string(), "{account}");
    assert!(account.get("password_hash").is_none(), "{account}");
    for (name, bytes) in &files {
        assert!(
            !String::from_utf8_lossy(bytes).contains("$argon2id$"),
            "{name} holds a password hash"
        );
        assert!(
            !String::from_utf8_lossy(bytes).contains(&b),
            "{name} holds the other person's id"
        );
        assert!(
            !String::from_utf8_lossy(bytes).contains("other.bundle@example.fr"),
            "{name} holds the other person's email"
        );
    }

    // The published schema describes data.json.
    let schema: Value = t
        .client
        .get(format!("{}/api/v1/schemas/export.json", t.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let names: Vec<&str> = schema["properties"]["tables"]["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let in_data: Vec<&str> = data["tables"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>(),
        in_data.iter().copied().collect()
    );

    // The vCard, the report in French, the manifest's hashes and signature.
    let vcf = String::from_utf8(files["contact.vcf"].clone()).unwrap();
    assert!(
        vcf.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n")
            && vcf.contains("EMAIL:zoe.bundle@example.fr")
            && vcf.contains("TEL;VALUE=uri:tel:+33612345678")
    );
    let report = String::from_utf8(files["report.html"].clone()).unwrap();
    assert!(
        report.contains("<html lang=\"fr\">")
            && report.contains("Pourquoi nous la gardons")
            && report.contains("Lyon")
    );
    assert!(
        report.contains("personnel (délégué à la protection des données)")
            && report.contains("personnel (équipe commerciale)"),
        "staff named by their role, in the person's words"
    );
    assert!(
        !report.contains("user:") && !report.contains("token:"),
        "no staff account named in the report"
    );
    let manifest =
        candor_app::receipts::verify(&files["manifest.json"], t.app.receipt_keys().known())
            .expect("the manifest is signed");
    let listed = manifest["files"].as_array().unwrap();
    assert_eq!(listed.len(), files.len() - 1);
    for f in listed {
        let bytes = &files[f["name"].as_str().unwrap()];
        assert_eq!(f["size"].as_u64().unwrap(), bytes.len() as u64);
        assert_eq!(f["sha256"].as_str().unwrap(), hex_of(bytes));
    }
    // A cell a spreadsheet would run is inert in the CSV.
    let csv = String::from_utf8_lossy(&files["csv/contact.csv"]).into_owned();
    assert!(
        csv.contains("'+33612345678") && !csv.contains(",+33612345678"),
        "{csv}"
    );

    // Recorded on the request and in the person's audit.
    let full: Value = t
        .get(Role::Dpo, &format!("/api/v1/requests/{rid}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(full["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "bundle_produced"));
    let audit: Vec<Value> = t
        .get(Role::Dpo, &format!("/api/v1/contacts/{a}/audit"))
        .await
        .json()
        .await
        .unwrap();
    assert!(audit.iter().any(|e| e["action"] == "export"));
    // Not for sales, nor for a request of another kind.
    let other: Value = t
        .post(
            Role::Dpo,
            "/api/v1/requests",
            &json!({"kind": "objection", "channel": "email", "contact_id": a}),
        )
        .await
        .json()
        .await
        .unwrap();
    let oid = other["id"].as_str().unwrap();
    common::expect_error(
        t.post(
            Role::Dpo,
            &format!("/api/v1/requests/{oid}/bundle"),
            &json!({}),
        )
        .await,
        422,
        "invalid_field",
        Some("kind"),
        Some("bundle_for_access_or_portability"),
    )
    .await;
    common::expect_error(
        t.post(
            Role::Sales,
            &format!("/api/v1/requests/{rid}/bundle"),
            &json!({}),
        )
        .await,
        403,
        "role_forbidden",
        None,
        None,
    )
    .await;
}

fn hex_of(b: &[u8]) -> String {
    candor_app::keys::secret_hash_bytes(b)
}

on_both_backends!(a_bundle_holds_every_row_of_its_subject_and_no_other);
