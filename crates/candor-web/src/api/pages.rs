//! The pages a person reaches from an email: confirming a consent (double opt-in).
//! GET only shows the page and changes nothing, so mail scanners that open links
//! confirm nothing; the person's POST confirms (C1, C7).

use crate::error::ApiError;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use candor_app::consent::channel_label;
use candor_app::consent::Confirmation;
use candor_app::Candor;
use candor_domain::personal::Locale;
use std::net::SocketAddr;

struct Texts {
    lang: &'static str,
    title: &'static str,
    ask: &'static str,
    button: &'static str,
    done: &'static str,
    used: &'static str,
    expired: &'static str,
    unknown: &'static str,
}

const FR: Texts = Texts {
    lang: "fr",
    title: "Confirmer votre consentement",
    ask: "Vous avez demandé à recevoir « {purpose} » par {channel}. Confirmez-vous ?",
    button: "Je confirme",
    done: "Merci : c'est confirmé. Vous pourrez retirer ce consentement à tout moment, en un clic depuis chaque message.",
    used: "Ce lien a déjà servi : rien n'a changé.",
    expired: "Ce lien a expiré : rien n'a changé. Vous pouvez refaire votre demande.",
    unknown: "Ce lien n'est pas valide : rien n'a changé.",
};

const EN: Texts = Texts {
    lang: "en",
    title: "Confirm your consent",
    ask: "You asked to receive \"{purpose}\" by {channel}. Do you confirm?",
    button: "I confirm",
    done: "Thank you: it is confirmed. You can withdraw this consent at any time, in one click from every message.",
    used: "This link has already been used: nothing changed.",
    expired: "This link has expired: nothing changed. You can ask again.",
    unknown: "This link is not valid: nothing changed.",
};

fn texts(l: Locale) -> &'static Texts {
    match l {
        Locale::Fr => &FR,
        Locale::En => &EN,
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(t: &Texts, status: StatusCode, code: &str, body: String) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{}</title><style>body{{font-family:sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}}\
         button{{font-size:1.1rem;padding:.6rem 1.4rem;background:#0b5394;color:#fff;border:0;border-radius:4px}}</style></head>\
         <body data-code=\"{code}\"><main><h1>{}</h1>{body}</main></body></html>",
        t.lang, t.title, t.title
    );
    (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

fn outcome(t: &Texts, c: &Confirmation, form: Option<String>) -> Response {
    match (c, form) {
        (Confirmation::Confirmed(_), Some(form)) => page(t, StatusCode::OK, "confirm", form),
        (Confirmation::Confirmed(_), None) => {
            page(t, StatusCode::OK, "confirmed", format!("<p>{}</p>", t.done))
        }
        (Confirmation::AlreadyUsed, _) => page(
            t,
            StatusCode::CONFLICT,
            "already_used",
            format!("<p>{}</p>", t.used),
        ),
        (Confirmation::Expired, _) => page(
            t,
            StatusCode::GONE,
            "expired",
            format!("<p>{}</p>", t.expired),
        ),
        (Confirmation::Unknown, _) => page(
            t,
            StatusCode::NOT_FOUND,
            "not_found",
            format!("<p>{}</p>", t.unknown),
        ),
    }
}

#[utoipa::path(get, path = "/consent/confirm/{token}", tag = "pages", security(()), params(("token" = String, Path)),
    responses(
        (status = 200, description = "HTML page asking the person to confirm; changes nothing"),
        (status = 404, description = "Unknown or forged link"), (status = 409, description = "Link already used"), (status = 410, description = "Link expired"),
    ))]
pub async fn confirm_page(
    State(app): State<Candor>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let (c, locale) = app.confirmation_page(&token).await?;
    let t = texts(locale);
    let form = match &c {
        Confirmation::Confirmed(s) => {
            let purpose = app
                .catalogue()
                .consent_purpose(&s.purpose)
                .map(|p| {
                    if locale == Locale::En {
                        p.label.en.clone()
                    } else {
                        p.label.fr.clone()
                    }
                })
                .unwrap_or_default();
            let ask = t
                .ask
                .replace("{purpose}", &escape(&purpose))
                .replace("{channel}", channel_label(s.channel, locale));
            Some(format!(
                "<p>{ask}</p><form method=\"post\"><button type=\"submit\">{}</button></form>",
                t.button
            ))
        }
        _ => None,
    };
    Ok(outcome(t, &c, form))
}

#[utoipa::path(post, path = "/consent/confirm/{token}", tag = "pages", security(()), params(("token" = String, Path)),
    responses(
        (status = 200, description = "Confirmed: the grant is effective, with the time, IP and user agent as evidence"),
        (status = 404, description = "Unknown or forged link: nothing changed"), (status = 409, description = "Already used: nothing changed"), (status = 410, description = "Expired: nothing changed"),
    ))]
pub async fn confirm(
    State(app): State<Candor>,
    Path(token): Path<String>,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let ua = headers
        .get(header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let (c, locale) = app.confirm(&token, ip, ua).await?;
    Ok(outcome(texts(locale), &c, None))
}
