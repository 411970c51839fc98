//! Staff accounts (X3): a role and a password hashed with argon2id. Sessions and the
//! back office's login build on this.

use crate::{Actor, AppError, Candor};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use candor_domain::personal::{Email, Locale};
use candor_domain::{FieldError, FieldErrors, Role};
use candor_store::{StaffUser, StoreError};
use std::sync::OnceLock;
use uuid::Uuid;

const MIN_PASSWORD: usize = 12;
const MAX_PASSWORD: usize = 200;

/// The argon2id PHC string of a password (random salt, the crate's default parameters:
/// 19 MiB, 2 passes, 1 lane — OWASP's minimum for argon2id).
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))
}

pub(crate) fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the account does not exist, so that an unknown
/// address takes as long to refuse as a wrong password.
pub(crate) fn decoy() -> &'static str {
    static D: OnceLock<String> = OnceLock::new();
    D.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default())
}

/// Checks a new password: long enough, not absurdly long, not the address itself.
pub fn check_password(email: &Email, password: &str) -> Result<(), FieldError> {
    let n = password.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&n) {
        return Err(FieldError::new(
            "password",
            "password_length",
            format!("must be {MIN_PASSWORD} to {MAX_PASSWORD} characters"),
        ));
    }
    let local = email
        .as_str()
        .split('@')
        .next()
        .unwrap_or("")
        .to_lowercase();
    if local.len() >= 3 && password.to_lowercase().contains(&local) {
        return Err(FieldError::new(
            "password",
            "password_contains_email",
            "must not contain the email address",
        ));
    }
    Ok(())
}

/// A random password for a new account, shown once (20 characters, ~119 bits).
pub fn random_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect()
}

/// The actor a signed-in staff user acts as: the audit names it `user:<id>`.
pub fn staff_actor(u: &StaffUser) -> Actor {
    Actor {
        id: u.id,
        role: u.role,
        audit_name: format!("user:{}", u.id),
    }
}

impl Candor {
    /// Creates a staff account; every refused value is named, and nothing is stored.
    pub async fn create_staff_user(
        &self,
        email: &str,
        role: Role,
        locale: &str,
        password: &str,
    ) -> Result<StaffUser, AppError> {
        let mut e = FieldErrors::default();
        let email = e.check(Email::parse("email", email));
        let locale = e.check(Locale::parse("locale", locale));
        if let Some(em) = &email {
            e.check(check_password(em, password));
        }
        let (email, locale) = e.finish((email, locale)).map_err(AppError::Invalid)?;
        let u = StaffUser {
            id: Uuid::now_v7(),
            email: email.as_str().to_owned(),
            role,
            locale: locale.as_str().to_owned(),
            password_hash: hash_password(password)?,
            created_at: self.now(),
            disabled_at: None,
        };
        match self.store.staff().insert(&u).await {
            Err(StoreError::Duplicate { .. }) => Err(AppError::Conflict {
                field: "email",
                existing: None,
            }),
            other => other.map(|_| u).map_err(AppError::from),
        }
    }

    /// The account these credentials open, or `None`: unknown address, wrong password
    /// and disabled account are not told apart, and take the same time.
    pub async fn check_staff_password(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<StaffUser>, AppError> {
        let found = match Email::parse("email", email) {
            Ok(e) => self.store.staff().by_email(e.as_str()).await?,
            Err(_) => None,
        };
        let hash = found.as_ref().map_or(decoy(), |u| u.password_hash.as_str());
        let ok = verify(password, hash);
        Ok(found.filter(|u| ok && u.disabled_at.is_none()))
    }

    /// Sets a new password (checked like a new account's), creating the account when
    /// it does not exist: how `serve --demo` gives its demo users fresh passwords.
    pub async fn set_staff_password(
        &self,
        email: &str,
        role: Role,
        password: &str,
    ) -> Result<StaffUser, AppError> {
        let parsed = Email::parse("email", email).map_err(AppError::invalid)?;
        match self.store.staff().by_email(parsed.as_str()).await? {
            None => self.create_staff_user(email, role, "fr", password).await,
            Some(mut u) => {
                check_password(&parsed, password).map_err(AppError::invalid)?;
                u.password_hash = hash_password(password)?;
                self.store
                    .staff()
                    .set_password(u.id, &u.password_hash)
                    .await?;
                u.disabled_at = None;
                Ok(u)
            }
        }
    }

    /// Disables a staff account: its sessions end at their next request (the session
    /// check finds no active user), and its id keeps its meaning in the audit.
    pub async fn disable_staff_user(&self, id: Uuid) -> Result<(), AppError> {
        if self.store.staff().by_id(id).await?.is_none() {
            return Err(AppError::NotFound { what: "user" });
        }
        Ok(self.store.staff().disable(id, self.now()).await?)
    }

    /// A staff account by id: how a session finds its user again at each request.
    pub async fn staff_user(&self, id: Uuid) -> Result<Option<StaffUser>, AppError> {
        Ok(self.store.staff().by_id(id).await?)
    }

    /// Sets the language a staff user reads the back office in (`fr` or `en`).
    pub async fn set_staff_locale(&self, id: Uuid, locale: &str) -> Result<(), AppError> {
        let l = Locale::parse("locale", locale).map_err(AppError::invalid)?;
        Ok(self.store.staff().set_locale(id, l.as_str()).await?)
    }

    pub async fn list_staff_users(&self) -> Result<Vec<StaffUser>, AppError> {
        Ok(self.store.staff().list().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert_ne!(h, hash_password("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn weak_passwords_are_refused_by_rule() {
        let e = Email::parse("email", "camille.martin@example.fr").unwrap();
        assert_eq!(
            check_password(&e, "short").unwrap_err().rule,
            "password_length"
        );
        assert_eq!(
            check_password(&e, "Camille.Martin2026!").unwrap_err().rule,
            "password_contains_email"
        );
        assert!(check_password(&e, "une phrase assez longue").is_ok());
        assert_eq!(random_password().len(), 20);
    }
}
