//! Signing in and out, and the language a staff user reads the back office in.

use super::i18n::{self, Texts};
use super::limits::LoginLimits;
use super::session::{AuthSession, Credentials, SessionUser};
use super::{local_path, render_with, Posted, Staff, CSRF_KEY, LOGIN_AT_KEY};
use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use candor_app::Candor;
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// The client's address, as the connection gives it.
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip()),
        ))
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: &'static Texts,
    csrf: String,
    email: String,
    next: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    expired: Option<String>,
    bye: Option<String>,
    next: Option<String>,
    lang: Option<String>,
}

/// The dpo's and admin's home is the compliance dashboard; everyone else's the
/// contacts.
pub async fn home(staff: Staff) -> Response {
    if staff.actor.role.governs_data() {
        Redirect::to("/compliance").into_response()
    } else {
        Redirect::to("/contacts").into_response()
    }
}

/// The language a browser asks for first, among French and English.
fn preferred(headers: &HeaderMap) -> &'static str {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept
        .split(',')
        .map(|tag| tag.trim().to_ascii_lowercase())
        .find_map(|tag| {
            if tag.starts_with("fr") {
                Some("fr")
            } else if tag.starts_with("en") {
                Some("en")
            } else {
                None
            }
        })
        .unwrap_or("fr")
}

/// The login form's CSRF token travels in its own cookie (double submit), not in a
/// session: nothing is stored for a visitor who has not signed in (X3), so anonymous
/// requests to the login page cannot fill the session table.
pub const LOGIN_COOKIE: &str = "candor_login";

/// The login token the browser already holds, when it looks like one of ours.
fn login_token(headers: &HeaderMap) -> Option<String> {
    super::hex_cookie(headers, LOGIN_COOKIE)
}

/// The `Set-Cookie` value for the login token (`None` clears it).
fn login_cookie(app: &Candor, token: Option<&str>) -> axum::http::HeaderValue {
    let secure = if app.settings().public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let (value, age) = token.map_or(("", 0), |t| (t, 3600));
    let cookie = format!(
        "{LOGIN_COOKIE}={value}; Path=/login; HttpOnly; SameSite=Strict; Max-Age={age}{secure}"
    );
    axum::http::HeaderValue::from_str(&cookie).expect("a hex token makes a valid header")
}

pub async fn login_page(
    State(app): State<Candor>,
    auth: AuthSession,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    if auth.user.is_some() {
        return Redirect::to("/contacts").into_response();
    }
    let t = i18n::texts(q.lang.as_deref().unwrap_or(preferred(&headers)));
    let csrf = login_token(&headers).unwrap_or_else(super::random_token);
    let notice = if q.expired.is_some() {
        Some(t.expired)
    } else if q.bye.is_some() {
        Some(t.logged_out)
    } else {
        None
    };
    let mut res = render_with(
        StatusCode::OK,
        &LoginPage {
            t,
            csrf: csrf.clone(),
            email: String::new(),
            next: local_path(q.next.as_deref(), "/contacts"),
            error: None,
            notice,
        },
    );
    res.headers_mut()
        .insert(header::SET_COOKIE, login_cookie(&app, Some(&csrf)));
    res
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
    email: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn login(
    State(app): State<Candor>,
    mut auth: AuthSession,
    ClientIp(ip): ClientIp,
    Extension(limits): Extension<Arc<LoginLimits>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Ok(f) = serde_urlencoded::from_bytes::<LoginForm>(&body) else {
        let t = i18n::texts("");
        return super::message_page(StatusCode::BAD_REQUEST, t, t.csrf_refused);
    };
    let t = i18n::texts(&f.lang);
    if let Some(refusal) = super::refuse_controls(t, &body) {
        return refusal;
    }
    let csrf = f.csrf.clone();
    let held = login_token(&headers);
    if !held.is_some_and(|h| !csrf.is_empty() && super::constant_eq(&h, &csrf)) {
        return super::message_page(StatusCode::FORBIDDEN, t, t.csrf_refused);
    }
    let again = |status, error, csrf: String| {
        render_with(
            status,
            &LoginPage {
                t,
                csrf,
                email: f.email.clone(),
                next: local_path(f.next.as_deref(), "/contacts"),
                error: Some(error),
                notice: None,
            },
        )
    };
    if let Err(wait) = limits.check(&f.email, ip) {
        let mut res = again(StatusCode::TOO_MANY_REQUESTS, t.login_limited, csrf);
        // Whole seconds, rounded up: a client that waits that long is let in.
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        if let Ok(v) = axum::http::HeaderValue::from_str(&secs.max(1).to_string()) {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        return res;
    }
    let creds = Credentials {
        email: f.email.clone(),
        password: f.password.clone(),
    };
    let user: SessionUser = match auth.authenticate(creds).await {
        Ok(Some(u)) => u,
        Ok(None) => {
            limits.failed(&f.email, ip);
            return again(StatusCode::UNAUTHORIZED, t.login_failed, csrf);
        }
        Err(_) => return super::internal(),
    };
    // A new session id at every login (axum-login renews it only for a session not
    // signed in yet): an id planted before login is worthless.
    if auth.login(&user).await.is_err() || auth.session.cycle_id().await.is_err() {
        return super::internal();
    }
    let session = &auth.session;
    let stored = async {
        session
            .insert(LOGIN_AT_KEY, app.now().unix_timestamp())
            .await?;
        session.insert(CSRF_KEY, super::random_token()).await?;
        session.insert("locale", &user.0.locale).await
    };
    if stored.await.is_err() {
        return super::internal();
    }
    let mut res = Redirect::to(&local_path(f.next.as_deref(), "/")).into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, login_cookie(&app, None));
    res
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(mut auth: AuthSession, Posted(_): Posted<Empty>) -> Response {
    let lang = auth
        .user
        .as_ref()
        .map_or("fr", |u| i18n::texts(&u.0.locale).lang);
    // Deletes the session row: the old cookie opens nothing any more.
    if auth.logout().await.is_err() {
        return super::internal();
    }
    Redirect::to(&format!("/login?bye=1&lang={lang}")).into_response()
}

#[derive(Deserialize)]
pub struct LanguageForm {
    locale: String,
    #[serde(default)]
    back: Option<String>,
}

pub async fn language(
    State(app): State<Candor>,
    auth: AuthSession,
    staff: Staff,
    Posted(f): Posted<LanguageForm>,
) -> Response {
    if let Err(e) = app.set_staff_locale(staff.user.id, &f.locale).await {
        return super::app_error(staff.t(), e);
    }
    let _ = auth.session.insert("locale", &f.locale).await;
    Redirect::to(&local_path(f.back.as_deref(), "/contacts")).into_response()
}
