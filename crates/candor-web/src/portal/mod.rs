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

mod entry;
mod me;
mod texts;

use entry::{enter, enter_page, login, logout, send_link, start};
use me::{account, bundle, consents, home, receipt, receipt_file, rectify, rectify_page, request};

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
    crate::ui::hex_cookie(headers, name)
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
        AppError::Conflict { .. } | AppError::Suppressed { .. } => message(
            StatusCode::UNPROCESSABLE_ENTITY,
            t,
            &field_message(
                t,
                "address_unavailable",
                "this cannot be used here: write to our data protection officer",
            ),
        ),
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
            return Err(Redirect::to("/portal").into_response());
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
pub struct LangQuery {
    lang: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    lang: Option<String>,
    expired: Option<String>,
    bye: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
}
