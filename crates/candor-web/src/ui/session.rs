//! Staff sessions (X3): tower-sessions keeps them in Candor's own store (both
//! backends), axum-login ties them to a staff account. The cookie carries only a
//! random id; it is HttpOnly, SameSite=Lax, Secure when Candor is served over TLS,
//! renewed at login, expires after 30 idle minutes, and dies after 12 hours whatever
//! happens. Logout deletes the session row. No row exists before a sign-in succeeds:
//! the login form's token is a cookie of its own (see `auth::LOGIN_COOKIE`).

use axum_login::{AuthUser, AuthnBackend, UserId};
use candor_app::Candor;
use candor_app::StaffUser;
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::{Expiry, SessionManagerLayer};

/// Idle time after which a session ends.
pub const IDLE_TIMEOUT: time::Duration = time::Duration::minutes(30);
/// Time after login at which a session ends, however active.
pub const ABSOLUTE_TIMEOUT: time::Duration = time::Duration::hours(12);
pub const COOKIE_NAME: &str = "candor_session";

/// Sessions in the `staff_session` table.
#[derive(Clone)]
pub struct StoreSessions(pub Candor);

impl std::fmt::Debug for StoreSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreSessions")
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn encode(r: &Record) -> session_store::Result<String> {
    serde_json::to_string(&r.data).map_err(|e| session_store::Error::Encode(e.to_string()))
}

#[async_trait::async_trait]
impl SessionStore for StoreSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = encode(record)?;
        loop {
            let id = record.id.to_string();
            if self
                .0
                .store
                .sessions()
                .create(&id, &data, record.expiry_date)
                .await
                .map_err(backend)?
            {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.0
            .store
            .sessions()
            .save(&record.id.to_string(), &encode(record)?, record.expiry_date)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let found = self
            .0
            .store
            // tower-sessions dates the expiry by the system clock: compare with it.
            .sessions()
            .load(&id.to_string(), time::OffsetDateTime::now_utc())
            .await
            .map_err(backend)?;
        found
            .map(|(data, expiry_date)| {
                Ok(Record {
                    id: *id,
                    data: serde_json::from_str(&data)
                        .map_err(|e| session_store::Error::Decode(e.to_string()))?,
                    expiry_date,
                })
            })
            .transpose()
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.0
            .store
            .sessions()
            .delete(&id.to_string())
            .await
            .map_err(backend)
    }
}

/// The session cookie's settings.
pub fn layer(app: &Candor) -> SessionManagerLayer<StoreSessions> {
    let secure = app.settings().public_url.starts_with("https://");
    SessionManagerLayer::new(StoreSessions(app.clone()))
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_path("/")
        .with_always_save(true)
        .with_expiry(Expiry::OnInactivity(IDLE_TIMEOUT))
}

/// A signed-in staff user, as axum-login holds it.
#[derive(Clone)]
pub struct SessionUser(pub StaffUser);

impl std::fmt::Debug for SessionUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No address or hash in logs.
        write!(f, "SessionUser({})", self.0.id)
    }
}

impl AuthUser for SessionUser {
    type Id = uuid::Uuid;

    fn id(&self) -> uuid::Uuid {
        self.0.id
    }

    /// A new password (or a disabled account) ends every session of the account.
    fn session_auth_hash(&self) -> &[u8] {
        self.0.password_hash.as_bytes()
    }
}

pub struct Credentials {
    pub email: String,
    pub password: String,
}

#[derive(Clone)]
pub struct Backend(pub Candor);

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BackendError(String);

impl AuthnBackend for Backend {
    type User = SessionUser;
    type Credentials = Credentials;
    type Error = BackendError;

    async fn authenticate(&self, c: Credentials) -> Result<Option<SessionUser>, BackendError> {
        self.0
            .check_staff_password(&c.email, &c.password)
            .await
            .map(|u| u.map(SessionUser))
            .map_err(|e| BackendError(e.to_string()))
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<SessionUser>, BackendError> {
        let found = self
            .0
            .staff_user(*id)
            .await
            .map_err(|e| BackendError(e.to_string()))?;
        Ok(found.filter(|u| u.disabled_at.is_none()).map(SessionUser))
    }
}

pub type AuthSession = axum_login::AuthSession<Backend>;
