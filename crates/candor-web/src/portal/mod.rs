//! The contacts' privacy portal (P1–P3), beside the back office and apart from it: its
//! own cookie (`candor_portal`, only the SHA-256 of its secret kept, path `/portal`,
//! SameSite=Strict), its own CSRF token (derived from the session's secret), and one
//! subject per session, taken from the session and never from the request. A staff
//! cookie opens nothing here, and a portal cookie nothing in the back office.
//!
//! Entering: the person types their address and gets a one-time link (the page answers
//! the same whatever the address, and the work is done after the answer, so it also
//! takes the same time); the link's GET shows a button, only its POST opens a session.
//! Forms shown before a session carry a token of their own (`candor_portal_form`,
//! double-submitted), so no other site can sign a browser in.
//!
//! The language is the `lang` of the address or form, else the person's own, else
//! French (P3); every link and form carries it on.

mod texts;

use crate::api::pages::ConnectIp;
use crate::ui::auth::ClientIp;
use crate::ui::limits::{LinkLimits, LoginLimits};
use crate::ui::{constant_eq, random_token, render_with};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use candor_app::portal::LinkRefusal;
use candor_app::portal::{Overview, REQUEST_KINDS};
use candor_app::{AppError, Candor};
use candor_domain::consent::Channel;
use candor_domain::contact::ContactPatch;
use candor_domain::personal::{Email, Locale};
use candor_domain::request::RequestKind;
use serde::Deserialize;
use std::sync::Arc;
use texts::Texts;
use uuid::Uuid;

const SESSION_COOKIE: &str = "candor_portal";
const FORM_COOKIE: &str = "candor_portal_form";

pub fn router() -> Router<Candor> {
    Router::new()
        .route("/portal", get(start))
        .route("/portal/link", post(send_link))
        .route("/portal/login", post(login))
        .route("/portal/enter/{token}", get(enter_page).post(enter))
        .route("/portal/me", get(home))
        .route("/portal/consents", post(consents))
        .route("/portal/rectify", get(rectify_page).post(rectify))
        .route("/portal/bundle", post(bundle))
        .route("/portal/requests", post(request))
        .route("/portal/requests/{id}", get(receipt))
        .route("/portal/requests/{id}/receipt.json", get(receipt_file))
        .route("/portal/account", post(account))
        .route("/portal/logout", post(logout))
        .layer(Extension(Arc::new(LinkLimits::new())))
        .layer(Extension(Arc::new(LoginLimits::new())))
        .layer(axum::middleware::from_fn(crate::ui::security_headers))
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
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

/// A `Set-Cookie` for the portal (`None` clears it); `age` in seconds, or a cookie that
/// ends with the browser.
fn set_cookie(app: &Candor, name: &str, value: Option<&str>, age: Option<i64>) -> HeaderValue {
    let secure = if app.settings().public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let age = match (value, age) {
        (None, _) => "; Max-Age=0".to_owned(),
        (Some(_), Some(a)) => format!("; Max-Age={a}"),
        (Some(_), None) => String::new(),
    };
    let v = format!(
        "{name}={}; Path=/portal; HttpOnly; SameSite=Strict{age}{secure}",
        value.unwrap_or("")
    );
    HeaderValue::from_str(&v).expect("a hex token makes a valid header")
}

fn with_cookie(mut res: Response, c: HeaderValue) -> Response {
    res.headers_mut().append(header::SET_COOKIE, c);
    res
}

/// The language asked for (`lang`), else `fallback`.
fn texts_for(lang: Option<&str>, fallback: Locale) -> &'static Texts {
    match lang {
        Some("en") => &texts::EN,
        Some("fr") => &texts::FR,
        _ => texts::texts(fallback),
    }
}

/// A field error in the reader's language (the back office's wording of the rules).
fn field_message(t: &Texts, rule: &str, message: &str) -> String {
    crate::ui::i18n::field_message(crate::ui::i18n::texts(t.lang), rule, message)
}

#[derive(Template)]
#[template(path = "portal_message.html")]
struct MessagePage {
    t: &'static Texts,
    message: String,
}

fn message(status: StatusCode, t: &'static Texts, text: &str) -> Response {
    render_with(
        status,
        &MessagePage {
            t,
            message: text.to_owned(),
        },
    )
}

/// A use case's refusal as a page in the reader's language.
fn refusal(t: &'static Texts, e: AppError) -> Response {
    match e {
        AppError::NotFound { .. } => message(StatusCode::NOT_FOUND, t, t.not_found),
        AppError::Invalid(errs) => {
            let text: Vec<String> = errs
                .0
                .iter()
                .map(|e| field_message(t, e.rule, &e.message))
                .collect();
            message(StatusCode::UNPROCESSABLE_ENTITY, t, &text.join(" ; "))
        }
        other => {
            tracing::error!(error = %other, "a portal request failed");
            message(StatusCode::INTERNAL_SERVER_ERROR, t, t.error)
        }
    }
}

/// The person signed in to the portal; anyone else is sent to its first page.
pub struct Person {
    subject: Uuid,
    secret: String,
    csrf: String,
}

impl axum::extract::FromRequestParts<Candor> for Person {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &Candor,
    ) -> Result<Self, Response> {
        let gone = || Redirect::to("/portal?expired=1").into_response();
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(gone());
        };
        match app.portal_session(&secret).await {
            Ok(Some(subject)) => Ok(Person {
                subject,
                csrf: Candor::portal_csrf(&secret),
                secret,
            }),
            Ok(None) => Err(with_cookie(
                gone(),
                set_cookie(app, SESSION_COOKIE, None, None),
            )),
            Err(e) => Err(refusal(&texts::FR, e)),
        }
    }
}

impl Person {
    /// The page's words: the language asked for, else the person's own.
    async fn texts(&self, app: &Candor, lang: Option<&str>) -> &'static Texts {
        if let Some(t) = lang.filter(|l| matches!(*l, "fr" | "en")) {
            return texts_for(Some(t), Locale::Fr);
        }
        texts::texts(app.portal_locale(self.subject).await.unwrap_or(Locale::Fr))
    }

    fn posted(&self, csrf: &str) -> bool {
        !csrf.is_empty() && constant_eq(&self.csrf, csrf)
    }
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    lang: Option<String>,
    expired: Option<String>,
    bye: Option<String>,
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "portal_start.html")]
struct StartPage {
    t: &'static Texts,
    form: String,
    email: String,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    password_open: bool,
}

/// The first page, with a fresh form token in its cookie.
fn start_page(
    app: &Candor,
    status: StatusCode,
    mut page: StartPage,
    form: Option<String>,
) -> Response {
    let token = form.unwrap_or_else(random_token);
    page.form = token.clone();
    with_cookie(
        render_with(status, &page),
        set_cookie(app, FORM_COOKIE, Some(&token), Some(3600)),
    )
}

fn blank(t: &'static Texts) -> StartPage {
    StartPage {
        t,
        form: String::new(),
        email: String::new(),
        notice: None,
        error: None,
        password_open: false,
    }
}

async fn start(
    State(app): State<Candor>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        if let Ok(Some(_)) = app.portal_session(&secret).await {
            return Redirect::to("/portal/me").into_response();
        }
    }
    let t = texts_for(q.lang.as_deref(), Locale::Fr);
    let mut page = blank(t);
    page.notice = if q.expired.is_some() {
        Some(t.expired_session)
    } else if q.bye.is_some() {
        Some(t.signed_out)
    } else {
        None
    };
    start_page(&app, StatusCode::OK, page, None)
}

#[derive(Deserialize, Default)]
pub struct LinkForm {
    #[serde(default)]
    form: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// The form token matches the cookie the form came with.
fn form_ok(headers: &HeaderMap, given: &str) -> bool {
    cookie(headers, FORM_COOKIE).is_some_and(|c| !given.is_empty() && constant_eq(&c, given))
}

fn too_many(app: &Candor, t: &'static Texts, email: &str, wait: std::time::Duration) -> Response {
    let mut page = blank(t);
    page.email = email.to_owned();
    page.error = Some(t.limited);
    let mut res = start_page(app, StatusCode::TOO_MANY_REQUESTS, page, None);
    let secs = wait.as_secs().max(1).to_string();
    if let Ok(v) = HeaderValue::from_str(&secs) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

async fn send_link(
    State(app): State<Candor>,
    ClientIp(ip): ClientIp,
    Extension(limits): Extension<Arc<LinkLimits>>,
    headers: HeaderMap,
    Form(f): Form<LinkForm>,
) -> Response {
    let t = texts_for(Some(&f.lang), Locale::Fr);
    if !form_ok(&headers, &f.form) {
        let mut page = blank(t);
        page.error = Some(t.refused);
        return start_page(&app, StatusCode::FORBIDDEN, page, None);
    }
    let email = f.email.trim().to_owned();
    if Email::parse("email", &email).is_err() {
        let mut page = blank(t);
        page.email = email;
        page.error = Some(t.email_invalid);
        return start_page(&app, StatusCode::UNPROCESSABLE_ENTITY, page, Some(f.form));
    }
    if let Err(wait) = limits.check(&email, ip) {
        return too_many(&app, t, &email, wait);
    }
    // The answer goes before the work: known or not, the page takes the same time.
    let worker = app.clone();
    let address = email.clone();
    tokio::spawn(async move {
        if let Err(e) = worker.portal_send_link(&address).await {
            tracing::error!(error = %e, "a portal sign-in link was not sent");
        }
    });
    let mut page = blank(t);
    page.email = email;
    page.notice = Some(t.link_sent);
    start_page(&app, StatusCode::OK, page, Some(f.form))
}

fn opened(app: &Candor, o: candor_app::portal::Opened, lang: Option<&str>) -> Response {
    let lang = lang.unwrap_or(if o.locale == Locale::En { "en" } else { "fr" });
    let res = Redirect::to(&format!("/portal/me?lang={lang}")).into_response();
    let res = with_cookie(res, set_cookie(app, SESSION_COOKIE, Some(&o.secret), None));
    with_cookie(res, set_cookie(app, FORM_COOKIE, None, None))
}

async fn login(
    State(app): State<Candor>,
    ClientIp(ip): ClientIp,
    Extension(limits): Extension<Arc<LoginLimits>>,
    headers: HeaderMap,
    Form(f): Form<LinkForm>,
) -> Response {
    let t = texts_for(Some(&f.lang), Locale::Fr);
    if !form_ok(&headers, &f.form) {
        let mut page = blank(t);
        page.error = Some(t.refused);
        return start_page(&app, StatusCode::FORBIDDEN, page, None);
    }
    let email = f.email.trim().to_owned();
    if let Err(wait) = limits.check(&email, ip) {
        return too_many(&app, t, &email, wait);
    }
    match app.portal_login(&email, &f.password).await {
        Ok(Some(o)) => opened(&app, o, Some(t.lang)),
        Ok(None) => {
            limits.failed(&email, ip);
            let mut page = blank(t);
            page.email = email;
            page.error = Some(t.login_failed);
            page.password_open = true;
            start_page(&app, StatusCode::UNAUTHORIZED, page, Some(f.form))
        }
        Err(e) => refusal(t, e),
    }
}

#[derive(Template)]
#[template(path = "portal_enter.html")]
struct EnterPage {
    t: &'static Texts,
    form: String,
    refusal: Option<&'static str>,
    code: &'static str,
}

fn refused_link(t: &'static Texts, r: LinkRefusal) -> Response {
    let (status, text, code) = match r {
        LinkRefusal::Used => (StatusCode::CONFLICT, t.link_used, "already_used"),
        LinkRefusal::Expired => (StatusCode::GONE, t.link_expired, "expired"),
        LinkRefusal::Unknown => (StatusCode::NOT_FOUND, t.link_unknown, "not_found"),
    };
    render_with(
        status,
        &EnterPage {
            t,
            form: String::new(),
            refusal: Some(text),
            code,
        },
    )
}

#[derive(Deserialize, Default)]
pub struct LangQuery {
    lang: Option<String>,
}

async fn enter_page(
    State(app): State<Candor>,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
) -> Response {
    let (locale, state) = match app.portal_link_state(&token).await {
        Ok(s) => s,
        Err(e) => return refusal(&texts::FR, e),
    };
    let t = texts_for(q.lang.as_deref(), locale);
    match state {
        Ok(()) => {
            let form = random_token();
            let page = EnterPage {
                t,
                form: form.clone(),
                refusal: None,
                code: "enter",
            };
            with_cookie(
                render_with(StatusCode::OK, &page),
                set_cookie(&app, FORM_COOKIE, Some(&form), Some(3600)),
            )
        }
        Err(r) => refused_link(t, r),
    }
}

#[derive(Deserialize, Default)]
pub struct EnterForm {
    #[serde(default)]
    form: String,
}

async fn enter(
    State(app): State<Candor>,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    Form(f): Form<EnterForm>,
) -> Response {
    let t = texts_for(q.lang.as_deref(), Locale::Fr);
    if !form_ok(&headers, &f.form) {
        return message(StatusCode::FORBIDDEN, t, t.refused);
    }
    match app.portal_enter(&token).await {
        Ok(Ok(o)) => opened(&app, o, q.lang.as_deref()),
        Ok(Err(r)) => {
            let locale = app
                .portal_link_state(&token)
                .await
                .map_or(Locale::Fr, |(l, _)| l);
            refused_link(texts_for(q.lang.as_deref(), locale), r)
        }
        Err(e) => refusal(t, e),
    }
}

#[derive(Template)]
#[template(path = "portal_home.html")]
struct HomePage {
    t: &'static Texts,
    csrf: String,
    path: &'static str,
    ov: Overview,
    notice: Option<&'static str>,
    account_error: Option<String>,
    channels: &'static [Channel],
    kinds: [RequestKind; 3],
}

/// A date for the reader: 07/12/2026 in French, 2026-12-07 in English.
fn day_of(t: &Texts, d: time::Date) -> String {
    if t.lang == "fr" {
        format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
    } else {
        d.to_string()
    }
}

fn date_text(t: &Texts, s: &str) -> String {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_or_else(|_| s.to_owned(), |d| day_of(t, d))
}

impl HomePage {
    fn day(&self, at: &time::OffsetDateTime) -> String {
        day_of(self.t, at.date())
    }

    fn date(&self, s: &str) -> String {
        date_text(self.t, s)
    }

    fn purpose_label(&self, id: &str) -> String {
        if id == candor_domain::communication::ALL_PURPOSES {
            return self.t.all_purposes.to_owned();
        }
        self.ov
            .consents
            .iter()
            .find(|r| r.purpose == id)
            .map_or_else(|| id.to_owned(), |r| r.label.clone())
    }
}

async fn home_page(
    app: &Candor,
    p: &Person,
    t: &'static Texts,
    notice: Option<&'static str>,
    account_error: Option<String>,
    status: StatusCode,
) -> Response {
    let ov = match app
        .portal_overview(p.subject, t.locale(), "GET /portal/me")
        .await
    {
        Ok(ov) => ov,
        Err(e) => return refusal(t, e),
    };
    render_with(
        status,
        &HomePage {
            t,
            csrf: p.csrf.clone(),
            path: "/portal/me",
            ov,
            notice,
            account_error,
            channels: Channel::ALL,
            kinds: REQUEST_KINDS,
        },
    )
}

async fn home(State(app): State<Candor>, p: Person, Query(q): Query<PageQuery>) -> Response {
    let t = p.texts(&app, q.lang.as_deref()).await;
    let notice = match q.done.as_deref() {
        Some("consent") => Some(t.consent_saved),
        Some("corrected") => Some(t.corrected),
        Some("password") => Some(t.account_saved),
        _ => None,
    };
    home_page(&app, &p, t, notice, None, StatusCode::OK).await
}

fn back_to(t: &Texts, done: &str, anchor: &str) -> Response {
    Redirect::to(&format!("/portal/me?lang={}&done={done}#{anchor}", t.lang)).into_response()
}

#[derive(Deserialize, Default)]
pub struct ConsentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    action: String,
}

fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

async fn consents(
    State(app): State<Candor>,
    p: Person,
    ConnectIp(ip): ConnectIp,
    headers: HeaderMap,
    Form(f): Form<ConsentForm>,
) -> Response {
    let t = p.texts(&app, Some(&f.lang)).await;
    if !p.posted(&f.csrf) {
        return message(StatusCode::FORBIDDEN, t, t.refused);
    }
    let grant = match f.action.as_str() {
        "grant" => true,
        "withdraw" => false,
        _ => return message(StatusCode::UNPROCESSABLE_ENTITY, t, t.not_found),
    };
    // "Nothing more from us": every channel at once.
    let channels: Vec<String> = if f.channel.is_empty() && !grant {
        Channel::ALL.iter().map(|c| c.as_str().to_owned()).collect()
    } else {
        vec![f.channel.clone()]
    };
    for ch in channels {
        if let Err(e) = app
            .portal_consent(
                p.subject,
                &f.purpose,
                &ch,
                grant,
                ip.clone(),
                user_agent(&headers),
                "POST /portal/consents",
            )
            .await
        {
            return refusal(t, e);
        }
    }
    back_to(t, "consent", "consents")
}

struct FieldRow {
    name: String,
    label: String,
    value: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "portal_rectify.html")]
struct RectifyPage {
    t: &'static Texts,
    csrf: String,
    path: &'static str,
    fields: Vec<FieldRow>,
    error: Option<&'static str>,
}

async fn rectify_page(
    State(app): State<Candor>,
    p: Person,
    Query(q): Query<LangQuery>,
) -> Response {
    let t = p.texts(&app, q.lang.as_deref()).await;
    let fields = match app.portal_fields(p.subject, t.locale()).await {
        Ok(f) => f,
        Err(e) => return refusal(t, e),
    };
    render_with(
        StatusCode::OK,
        &RectifyPage {
            t,
            csrf: p.csrf.clone(),
            path: "/portal/rectify",
            fields: fields
                .into_iter()
                .map(|(name, label, value)| FieldRow {
                    name,
                    label,
                    value,
                    error: None,
                })
                .collect(),
            error: None,
        },
    )
}

async fn rectify(
    State(app): State<Candor>,
    p: Person,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let t = p.texts(&app, Some(&get("lang"))).await;
    if !p.posted(&get("csrf")) {
        return message(StatusCode::FORBIDDEN, t, t.refused);
    }
    let held = match app.portal_fields(p.subject, t.locale()).await {
        Ok(f) => f,
        Err(e) => return refusal(t, e),
    };
    // Only what the person changed is a correction.
    let mut patch = ContactPatch::default();
    for (name, _, value) in &held {
        let typed = get(name);
        if typed.trim() != value.trim() {
            set(&mut patch, name, typed);
        }
    }
    let rows = |errors: &[(String, String)]| -> Vec<FieldRow> {
        held.iter()
            .map(|(name, label, _)| FieldRow {
                name: name.clone(),
                label: label.clone(),
                value: get(name),
                error: errors
                    .iter()
                    .find(|(f, _)| f == name)
                    .map(|(_, m)| m.clone()),
            })
            .collect()
    };
    let page = |fields, error| RectifyPage {
        t,
        csrf: p.csrf.clone(),
        path: "/portal/rectify",
        fields,
        error: Some(error),
    };
    match app
        .portal_rectify(p.subject, patch, "POST /portal/rectify")
        .await
    {
        Ok(_) => back_to(t, "corrected", "correct"),
        Err(AppError::Invalid(errs)) => {
            let unchanged = errs.0.iter().any(|e| e.rule == "nothing_changed");
            let errors: Vec<(String, String)> = errs
                .0
                .iter()
                .map(|e| (e.field.clone(), field_message(t, e.rule, &e.message)))
                .collect();
            let text = if unchanged {
                t.nothing_changed
            } else {
                t.not_saved
            };
            render_with(StatusCode::UNPROCESSABLE_ENTITY, &page(rows(&errors), text))
        }
        Err(e) => refusal(t, e),
    }
}

fn set(p: &mut ContactPatch, name: &str, v: String) {
    let v = Some(Some(v));
    match name {
        "first_name" => p.first_name = v,
        "last_name" => p.last_name = v,
        "email" => p.email = v,
        "phone" => p.phone = v,
        "locale" => p.locale = v,
        "address_line" => p.address_line = v,
        "postal_code" => p.postal_code = v,
        "city" => p.city = v,
        "country" => p.country = v,
        _ => {}
    }
}

#[derive(Deserialize, Default)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
}

async fn bundle(State(app): State<Candor>, p: Person, Form(f): Form<CsrfForm>) -> Response {
    let t = p.texts(&app, Some(&f.lang)).await;
    if !p.posted(&f.csrf) {
        return message(StatusCode::FORBIDDEN, t, t.refused);
    }
    let mut file = match candor_app::bundle::spool() {
        Ok(f) => f,
        Err(e) => return refusal(t, e),
    };
    match app
        .portal_bundle(p.subject, &mut file, "POST /portal/bundle")
        .await
        .and_then(|_| crate::api::download::zip_response(file, "my-data.zip"))
    {
        Ok(res) => res,
        Err(e) => refusal(t, e),
    }
}

#[derive(Deserialize, Default)]
pub struct RequestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    details: String,
}

async fn request(State(app): State<Candor>, p: Person, Form(f): Form<RequestForm>) -> Response {
    let t = p.texts(&app, Some(&f.lang)).await;
    if !p.posted(&f.csrf) {
        return message(StatusCode::FORBIDDEN, t, t.refused);
    }
    match app
        .portal_request(
            p.subject,
            &f.kind,
            Some(&f.details),
            "POST /portal/requests",
        )
        .await
    {
        Ok(r) => Redirect::to(&format!("/portal/requests/{}?lang={}&done=1", r.id, t.lang))
            .into_response(),
        Err(e) => refusal(t, e),
    }
}

#[derive(Template)]
#[template(path = "portal_receipt.html")]
struct ReceiptPage {
    t: &'static Texts,
    csrf: String,
    path: String,
    r: candor_app::requests::RequestView,
    signature: String,
}

impl ReceiptPage {
    fn date(&self, s: &str) -> String {
        date_text(self.t, s)
    }
}

async fn receipt(
    State(app): State<Candor>,
    p: Person,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let t = p.texts(&app, q.lang.as_deref()).await;
    let Ok(id) = Uuid::parse_str(&id) else {
        return message(StatusCode::NOT_FOUND, t, t.not_found);
    };
    match app.portal_receipt(p.subject, id).await {
        Ok((r, _, signature)) => render_with(
            StatusCode::OK,
            &ReceiptPage {
                t,
                csrf: p.csrf.clone(),
                path: format!("/portal/requests/{id}"),
                r,
                signature,
            },
        ),
        Err(e) => refusal(t, e),
    }
}

async fn receipt_file(State(app): State<Candor>, p: Person, Path(id): Path<String>) -> Response {
    let t = p.texts(&app, None).await;
    let Ok(id) = Uuid::parse_str(&id) else {
        return message(StatusCode::NOT_FOUND, t, t.not_found);
    };
    match app.portal_receipt(p.subject, id).await {
        Ok((_, file, _)) => (
            [
                (header::CONTENT_TYPE, "application/json".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"receipt-{id}.json\""),
                ),
            ],
            file,
        )
            .into_response(),
        Err(e) => refusal(t, e),
    }
}

#[derive(Deserialize, Default)]
pub struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    password: String,
}

async fn account(State(app): State<Candor>, p: Person, Form(f): Form<AccountForm>) -> Response {
    let t = p.texts(&app, Some(&f.lang)).await;
    if !p.posted(&f.csrf) {
        return message(StatusCode::FORBIDDEN, t, t.refused);
    }
    match app
        .portal_set_password(p.subject, &f.password, "POST /portal/account")
        .await
    {
        Ok(()) => back_to(t, "password", "account"),
        Err(AppError::Invalid(errs)) => {
            let text: Vec<String> = errs
                .0
                .iter()
                .map(|e| field_message(t, e.rule, &e.message))
                .collect();
            home_page(
                &app,
                &p,
                t,
                None,
                Some(text.join(" ; ")),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => refusal(t, e),
    }
}

async fn logout(State(app): State<Candor>, p: Person, Form(f): Form<CsrfForm>) -> Response {
    let t = p.texts(&app, Some(&f.lang)).await;
    if !p.posted(&f.csrf) {
        return message(StatusCode::FORBIDDEN, t, t.refused);
    }
    if let Err(e) = app.portal_logout(&p.secret).await {
        return refusal(t, e);
    }
    with_cookie(
        Redirect::to(&format!("/portal?bye=1&lang={}", t.lang)).into_response(),
        set_cookie(&app, SESSION_COOKIE, None, None),
    )
}
