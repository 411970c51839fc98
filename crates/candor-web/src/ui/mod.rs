//! The staff back office (O1, X3): server-rendered pages (askama), plain forms that
//! work without JavaScript, htmx where it saves a reload. Every page reads and writes
//! through the same use cases as the API, so a role sees on a page exactly what the
//! catalogue lets it read through the API, and every read is audited the same way.
//!
//! No GET changes anything (the email tracking pixel and links, outside the back
//! office, are the documented exceptions). Every POST carries the session's CSRF
//! token, in the `csrf` field or the `X-CSRF-Token` header (htmx).

mod assets;
pub(crate) mod auth;
pub mod breaches;
mod campaigns;
mod companies;
mod compliance;
mod contacts;
mod countries;
mod erasure;
mod governance;
mod history;
pub mod i18n;
mod imports;
pub(crate) mod limits;
mod opt_out;
pub mod register;
mod requests;
mod retention;
mod segments;
pub mod session;
mod settings;

use crate::ui::i18n::Texts;
use crate::ui::session::{AuthSession, ABSOLUTE_TIMEOUT};
use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use candor_app::StaffUser;
use candor_app::{Actor, AppError, Candor};
use candor_domain::Role;
use rand::RngCore;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::sync::Arc;
use tower_sessions::Session;

/// The back office's routes, with their session and login layers.
pub fn router(app: &Candor) -> Router<Candor> {
    let auth_layer = axum_login::AuthManagerLayerBuilder::new(
        session::Backend(app.clone()),
        session::layer(app),
    )
    .build();
    Router::new()
        .route("/", get(auth::home))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/language", post(auth::language))
        .route("/contacts", get(contacts::list).post(contacts::create))
        .route("/search", get(contacts::quick_search))
        .route("/contacts/new", get(contacts::new_contact))
        .route("/contacts/{id}", get(contacts::show).post(contacts::update))
        .route("/contacts/{id}/edit", get(contacts::edit))
        .route("/contacts/{id}/consents", post(contacts::record_consent))
        .route("/contacts/{id}/opt-out", post(opt_out::opt_out))
        .route("/contacts/{id}/erase", post(erasure::erase))
        .route("/erasures/{id}", get(erasure::show))
        .route(
            "/companies",
            get(contacts::companies).post(companies::create),
        )
        .route("/companies/new", get(companies::new_company))
        .route(
            "/companies/{id}",
            get(contacts::company).post(companies::update),
        )
        .route("/companies/{id}/edit", get(companies::edit))
        .route("/companies/{id}/delete", post(companies::delete))
        .route("/campaigns", get(campaigns::index))
        .route("/segments", post(segments::create))
        .route("/segments/new", get(segments::new_segment))
        .route("/segments/builder", post(segments::rebuild))
        .route("/segments/{id}", get(segments::show).post(segments::update))
        .route("/segments/{id}/edit", get(segments::edit_segment))
        .route("/segments/{id}/delete", post(segments::delete))
        .route(
            "/campaigns/new",
            get(campaigns::new_campaign).post(campaigns::create_campaign),
        )
        .route(
            "/campaigns/{id}",
            get(campaigns::show).post(campaigns::update),
        )
        .route("/campaigns/{id}/edit", get(campaigns::edit))
        .route("/campaigns/{id}/progress", get(campaigns::progress))
        .route(
            "/campaigns/{id}/preview/{lang}",
            get(campaigns::preview_html),
        )
        .route("/campaigns/{id}/test", post(campaigns::test_send))
        .route("/campaigns/{id}/send", post(campaigns::send))
        .route(
            "/imports",
            get(imports::index)
                .post(imports::upload)
                .layer(axum::extract::DefaultBodyLimit::max(imports::UPLOAD_LIMIT)),
        )
        .route("/imports/consent-requests", post(imports::send_requests))
        .route("/imports/{id}", get(imports::preview))
        .route("/imports/{id}/mapping", post(imports::mapping))
        .route("/imports/{id}/start", post(imports::start))
        .route("/imports/{id}/job", get(imports::job))
        .route("/imports/{id}/rejects.csv", get(imports::rejects))
        .route("/imports/{id}/delete", post(imports::delete))
        .route("/requests", get(requests::queue).post(requests::create))
        .route("/requests/{id}", get(requests::show))
        .route("/requests/{id}/receipt", get(requests::receipt))
        .route("/requests/{id}/receipt.json", get(requests::receipt_file))
        .route("/requests/{id}/bundle", post(requests::bundle))
        .route(
            "/requests/{id}/rectification",
            get(requests::rectification).post(requests::rectify),
        )
        .route("/requests/{id}/{step}", post(requests::step))
        .route("/breaches", get(breaches::index).post(breaches::create))
        .route("/breaches/{id}", get(breaches::show))
        .route("/breaches/{id}/assessment", post(breaches::assess))
        .route("/breaches/{id}/notifications", post(breaches::notify))
        .route("/breaches/{id}/scope", post(breaches::scope))
        .route("/breaches/{id}/notification", get(breaches::notification))
        .route("/breaches/{id}/subject-notices", post(breaches::tell))
        .route("/compliance", get(compliance::index))
        .route("/compliance/{item}", get(compliance::list))
        .route("/register", get(register::page))
        .route("/register.csv", get(register::csv))
        .route("/register.json", get(register::json))
        .route("/retention", get(retention::index))
        .route("/retention/run", post(retention::run))
        .route("/audit", get(governance::audit))
        .route("/audit.csv", get(governance::audit_csv))
        .route("/outbox", get(governance::outbox))
        .route("/outbox/{id}", get(governance::outbox_mail))
        .route("/settings", get(settings::index))
        .route("/settings/users", post(settings::add_user))
        .route("/settings/users/{id}/disable", post(settings::disable_user))
        .route("/settings/fields", post(settings::add_field))
        .route("/assets/candor.css", get(assets::css))
        .route("/assets/htmx.min.js", get(assets::htmx))
        .layer(Extension(Arc::new(limits::LoginLimits::new())))
        .layer(Extension(Arc::new(imports::ImportRuns::default())))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            framed_messages,
        ))
        .layer(auth_layer)
        .layer(axum::middleware::from_fn(security_headers))
}

/// The frame around every page: who is signed in, the menu their role opens, the CSRF
/// token for forms, and the words in their language.
pub struct Chrome {
    pub t: &'static Texts,
    pub email: String,
    pub role: Role,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub path: String,
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

impl Chrome {
    fn new(user: &StaffUser, csrf: String, path: &str) -> Self {
        let t = i18n::texts(&user.locale);
        let role = user.role;
        let mut items = vec![("/contacts", t.contacts), ("/companies", t.companies)];
        if matches!(role, Role::Admin | Role::Marketing) {
            items.push(("/campaigns", t.campaigns));
        }
        if role != Role::Marketing {
            items.push(("/requests", t.rq_title));
        }
        if role.governs_data() {
            items.insert(0, ("/compliance", t.nav_compliance));
            items.push(("/audit", t.audit));
            items.push(("/outbox", t.outbox));
            items.push(("/breaches", t.nav_breaches));
            items.push(("/retention", t.nav_retention));
            items.push(("/register", t.nav_register));
        }
        if role == Role::Admin {
            items.push(("/imports", t.imports));
        }
        if role.governs_data() {
            items.push(("/settings", t.settings));
        }
        let nav = items
            .into_iter()
            .map(|(href, label)| NavItem {
                href,
                label,
                current: path.starts_with(href),
            })
            .collect();
        Self {
            t,
            email: user.email.clone(),
            role,
            csrf,
            nav,
            path: path.to_owned(),
        }
    }

    pub fn role_name(&self) -> &'static str {
        self.role.as_str()
    }
}

/// An option of a select: what is sent, what is shown.
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// The purposes that rest on consent, as options.
pub fn consent_purposes(cat: &candor_domain::catalogue::Catalogue, t: &Texts) -> Vec<Choice> {
    cat.purposes()
        .iter()
        .filter(|p| p.consent)
        .map(|p| Choice {
            value: p.id.clone(),
            label: t.pick(&p.label).to_owned(),
        })
        .collect()
}

/// A signed-in staff user, for handlers: the session user, the actor the use cases
/// take, and the page frame. Anyone else is sent to the login page.
pub struct Staff {
    pub user: StaffUser,
    pub actor: Actor,
    pub chrome: Chrome,
}

impl Staff {
    pub fn t(&self) -> &'static Texts {
        self.chrome.t
    }
}

fn to_login(expired: bool) -> Response {
    Redirect::to(if expired {
        "/login?expired=1"
    } else {
        "/login"
    })
    .into_response()
}

/// A random token, hex-encoded.
pub fn random_token() -> String {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    hex::encode(raw)
}

/// The value of cookie `name` when it looks like one of Candor's tokens (64 hex
/// digits); anything else is no cookie at all.
pub fn hex_cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub const CSRF_KEY: &str = "csrf";
pub const LOGIN_AT_KEY: &str = "login_at";

/// The session's CSRF token, created when missing.
pub async fn csrf_token(session: &Session) -> Result<String, Response> {
    match session.get::<String>(CSRF_KEY).await {
        Ok(Some(t)) => Ok(t),
        Ok(None) => {
            let t = random_token();
            session.insert(CSRF_KEY, &t).await.map_err(|_| internal())?;
            Ok(t)
        }
        Err(_) => Err(internal()),
    }
}

impl FromRequestParts<Candor> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Candor) -> Result<Self, Response> {
        let mut auth = AuthSession::from_request_parts(parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let Some(user) = auth.user.clone() else {
            return Err(to_login(false));
        };
        let login_at = auth.session.get::<i64>(LOGIN_AT_KEY).await.ok().flatten();
        let now = app.now().unix_timestamp();
        let too_old = login_at.is_none_or(|at| now - at > ABSOLUTE_TIMEOUT.whole_seconds());
        if too_old {
            let _ = auth.logout().await;
            return Err(to_login(true));
        }
        let csrf = csrf_token(&auth.session).await?;
        let user = user.0;
        let actor = candor_app::staff::staff_actor(&user);
        let chrome = Chrome::new(&user, csrf, parts.uri.path());
        Ok(Staff {
            user,
            actor,
            chrome,
        })
    }
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// A form POST whose CSRF token matches the session's; anything else is refused with
/// 403 before the handler runs, so nothing changes.
pub struct Posted<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<Candor> for Posted<T> {
    type Rejection = Response;

    async fn from_request(req: Request, app: &Candor) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let expected = session.get::<String>(CSRF_KEY).await.ok().flatten();
        let header_token = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = axum::body::to_bytes(body, crate::api::BODY_LIMIT)
            .await
            .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE.into_response())?;
        let form_token = form::<CsrfField>(&parts, bytes.clone(), app)
            .await
            .map(|f| f.csrf)
            .unwrap_or_default();
        let given = header_token.unwrap_or(form_token);
        let ok = expected.is_some_and(|e| !given.is_empty() && constant_eq(&e, &given));
        if !ok {
            let t = texts_of(&session).await;
            return Err(message_page(StatusCode::FORBIDDEN, t, t.csrf_refused));
        }
        if let Some(refusal) = refuse_controls(texts_of(&session).await, &bytes) {
            return Err(refusal);
        }
        form::<T>(&parts, bytes, app)
            .await
            .map(Posted)
            .map_err(|e| (StatusCode::BAD_REQUEST, e).into_response())
    }
}

/// Control characters are refused at the edge, as in the API (no backend sees one): the
/// page naming the field, in the reader's language.
pub(crate) fn refuse_controls(t: &'static Texts, body: &[u8]) -> Option<Response> {
    let name = crate::extract::stray_control_field(body)?;
    let message = i18n::field_message(
        t,
        "no_control_characters",
        "must not contain control characters",
    );
    Some(message_page(
        StatusCode::BAD_REQUEST,
        t,
        &format!("{name}: {message}"),
    ))
}

async fn form<T: DeserializeOwned>(parts: &Parts, bytes: Bytes, app: &Candor) -> Result<T, String> {
    let mut req = Request::new(Body::from(bytes));
    *req.headers_mut() = parts.headers.clone();
    *req.method_mut() = parts.method.clone();
    req.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    Form::<T>::from_request(req, app)
        .await
        .map(|Form(v)| v)
        .map_err(|e| e.body_text())
}

pub(crate) fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

async fn texts_of(session: &Session) -> &'static Texts {
    let locale = session
        .get::<String>("locale")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    i18n::texts(&locale)
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    t: &'static Texts,
    message: String,
}

/// A page with one message: an error, a refusal, a page not found. For a signed-in
/// staff member, [`framed_messages`] draws it again inside the layout, with the menu.
pub fn message_page(status: StatusCode, t: &'static Texts, message: &str) -> Response {
    let mut res = render_with(
        status,
        &MessagePage {
            t,
            message: message.to_owned(),
        },
    );
    res.extensions_mut().insert(Bare(message.to_owned()));
    res
}

/// The message of a [`message_page`], for [`framed_messages`].
#[derive(Clone)]
struct Bare(String);

#[derive(Template)]
#[template(path = "message_framed.html")]
struct FramedMessage {
    c: Chrome,
    message: String,
    title: &'static str,
}

/// Error and refusal pages keep the layout and the menu for whoever is signed in: a
/// message page is drawn again with the staff member's frame (the request's session
/// and headers are kept to find them). Anyone else gets the bare page.
async fn framed_messages(
    axum::extract::State(app): axum::extract::State<Candor>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let (uri, headers, extensions) = (
        parts.uri.clone(),
        parts.headers.clone(),
        parts.extensions.clone(),
    );
    let res = next.run(Request::from_parts(parts, body)).await;
    let Some(Bare(message)) = res.extensions().get::<Bare>().cloned() else {
        return res;
    };
    let mut again = Request::new(Body::empty());
    *again.uri_mut() = uri;
    *again.headers_mut() = headers;
    *again.extensions_mut() = extensions;
    let (mut parts, _) = again.into_parts();
    let Ok(staff) = Staff::from_request_parts(&mut parts, &app).await else {
        return res;
    };
    let t = staff.t();
    let status = res.status();
    let title = match status {
        StatusCode::NOT_FOUND => t.not_found_title,
        StatusCode::FORBIDDEN => t.forbidden_title,
        s if s.is_server_error() => t.error_title,
        _ => t.not_done_title,
    };
    let mut framed = render_with(
        status,
        &FramedMessage {
            c: staff.chrome,
            message,
            title,
        },
    );
    // Every header the page had, each value kept (a header may be given twice).
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            framed.headers_mut().append(name.clone(), value.clone());
        }
    }
    framed
}

pub fn internal() -> Response {
    message_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        &i18n::FR,
        "Erreur interne / Internal error",
    )
}

pub fn render(tpl: &impl Template) -> Response {
    render_with(StatusCode::OK, tpl)
}

pub fn render_with(status: StatusCode, tpl: &impl Template) -> Response {
    match tpl.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page failed to render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Each refused field as "field: message", in the reader's language.
pub fn field_errors(t: &Texts, errs: &candor_domain::FieldErrors) -> Vec<String> {
    errs.0
        .iter()
        .map(|e| {
            format!(
                "{}{} {}",
                i18n::field_label(t, &e.field),
                if t.lang == "fr" { " :" } else { ":" },
                i18n::field_message(t, e.rule, &e.message)
            )
        })
        .collect()
}

/// Use-case refusals as pages: what the role may not do, what does not exist. Field
/// errors are shown next to their field by the handlers themselves.
pub fn app_error(t: &'static Texts, e: AppError) -> Response {
    match e {
        AppError::FieldForbidden { .. } | AppError::RoleForbidden { .. } => {
            message_page(StatusCode::FORBIDDEN, t, t.forbidden)
        }
        AppError::NotFound { .. } => message_page(StatusCode::NOT_FOUND, t, t.not_found),
        AppError::NotEditable { .. } => message_page(StatusCode::CONFLICT, t, t.not_editable),
        AppError::StillReferenced { .. } => message_page(StatusCode::CONFLICT, t, t.still_used),
        AppError::Conflict { .. } => message_page(StatusCode::CONFLICT, t, t.already_exists),
        AppError::Invalid(errs) => {
            let text = field_errors(t, &errs).join("; ");
            message_page(StatusCode::UNPROCESSABLE_ENTITY, t, &text)
        }
        other => {
            tracing::error!(error = %other, "a back-office request failed");
            message_page(StatusCode::INTERNAL_SERVER_ERROR, t, t.error_title)
        }
    }
}

/// A local path to go back to after a form: anything else becomes `fallback`.
pub fn local_path(p: Option<&str>, fallback: &'static str) -> String {
    let safe = |p: &str| {
        let mut chars = p.chars();
        chars.next() == Some('/')
            && !matches!(chars.next(), Some('/' | '\\'))
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/-_.~?&=%#".contains(c))
    };
    match p {
        Some(p) if safe(p) => p.to_owned(),
        _ => fallback.to_owned(),
    }
}

/// Headers on every back-office response: pages full of personal data are not kept by
/// the browser's cache (Back after logout shows nothing), not framed, and leak no
/// address in the Referer.
pub(crate) async fn security_headers(req: Request, next: axum::middleware::Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // A page may set a stricter policy of its own (a campaign's email, shown sandboxed).
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
            ),
        );
    }
    res
}
