//! Staff accounts (X3) on both backends: argon2id hashes, credentials checked without
//! telling an unknown address from a wrong password, bad input named and nothing
//! stored; and `candor user create` / `list` as an administrator runs them.

mod common;

use candor_app::AppError;
use candor_domain::Role;
use common::TestApp;
use std::process::Command;

async fn accounts_check_their_passwords_and_refuse_bad_input(t: TestApp) {
    let u = t
        .app
        .create_staff_user(
            "Camille.Martin@Example.fr",
            Role::Sales,
            "fr",
            "une phrase assez longue",
        )
        .await
        .unwrap();
    assert_eq!(u.email, "camille.martin@example.fr");
    assert!(u.password_hash.starts_with("$argon2id$"));
    let ok = t
        .app
        .check_staff_password("camille.martin@example.fr", "une phrase assez longue")
        .await
        .unwrap();
    assert_eq!(ok.map(|u| u.role), Some(Role::Sales));
    for (email, password) in [
        ("camille.martin@example.fr", "une phrase assez longuE"),
        ("personne@example.fr", "une phrase assez longue"),
        ("not an email", "une phrase assez longue"),
    ] {
        assert!(t
            .app
            .check_staff_password(email, password)
            .await
            .unwrap()
            .is_none());
    }
    let before = t.app.list_staff_users().await.unwrap().len();
    match t
        .app
        .create_staff_user(
            "camille.martin@example.fr",
            Role::Admin,
            "fr",
            "une autre phrase longue",
        )
        .await
    {
        Err(AppError::Conflict { field: "email", .. }) => {}
        other => panic!("{other:?}"),
    }
    match t
        .app
        .create_staff_user("dominique@example.fr", Role::Dpo, "de", "court")
        .await
    {
        Err(AppError::Invalid(e)) => {
            let rules: Vec<(&str, &str)> = e.0.iter().map(|x| (x.field.as_str(), x.rule)).collect();
            assert_eq!(
                rules,
                [("locale", "locale"), ("password", "password_length")]
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(t.app.list_staff_users().await.unwrap().len(), before);
    // A new password replaces the old one.
    t.app
        .set_staff_password(
            "camille.martin@example.fr",
            Role::Sales,
            "encore une autre phrase",
        )
        .await
        .unwrap();
    assert!(t
        .app
        .check_staff_password("camille.martin@example.fr", "une phrase assez longue")
        .await
        .unwrap()
        .is_none());
}

#[test]
fn the_first_admin_is_created_from_the_command_line() {
    let dir = common::temp_dir("cli-user");
    let candor = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_candor"))
            .arg("--data-dir")
            .arg(&dir)
            .args(args)
            .env("CANDOR_LOG", "warn")
            .output()
            .unwrap()
    };
    let out = candor(&[
        "user",
        "create",
        "--role",
        "admin",
        "--email",
        "admin@example.fr",
    ]);
    assert!(out.status.success(), "{out:?}");
    let password = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(password.len(), 20);
    let list = String::from_utf8(candor(&["user", "list"]).stdout).unwrap();
    assert!(
        list.contains("admin@example.fr") && list.contains("admin") && list.contains("active"),
        "{list}"
    );
    assert!(
        !list.contains(&password) && !list.contains("argon2"),
        "{list}"
    );
    let again = candor(&[
        "user",
        "create",
        "--role",
        "dpo",
        "--email",
        "admin@example.fr",
    ]);
    assert!(!again.status.success());
    let file = dir.join("pw");
    std::fs::write(&file, "trop court\n").unwrap();
    let weak = candor(&[
        "user",
        "create",
        "--role",
        "dpo",
        "--email",
        "dpo@example.fr",
        "--password-file",
        file.to_str().unwrap(),
    ]);
    assert!(
        String::from_utf8_lossy(&weak.stderr).contains("password_length"),
        "{weak:?}"
    );
    let list = String::from_utf8(candor(&["user", "list"]).stdout).unwrap();
    assert!(!list.contains("dpo@example.fr"), "{list}");
}

on_both_backends!(accounts_check_their_passwords_and_refuse_bad_input);
