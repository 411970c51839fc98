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
    undo: &'static str,
    withdraw_title: &'static str,
    withdraw_ask: &'static str,
    withdraw_button: &'static str,
    withdrawn: &'static str,
    nothing_to_withdraw: &'static str,
    request_title: &'static str,
    request_data: &'static str,
    request_ask: &'static str,
    yes: &'static str,
    no: &'static str,
    send: &'static str,
    thanks: &'static str,
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
    undo: "Changé d'avis ? Retirer ce consentement",
    withdraw_title: "Retirer votre consentement",
    withdraw_ask: "Ne plus recevoir « {purpose} » par {channel} ?",
    withdraw_button: "Je retire mon consentement",
    withdrawn: "C'est fait : votre consentement est retiré, dès maintenant.",
    nothing_to_withdraw: "Aucun consentement en cours pour cela : rien n'a changé.",
    request_title: "Vos données et votre accord",
    request_data: "Nous conservons sur vous :",
    request_ask: "Acceptez-vous ces usages ? Vous choisissez usage par usage ; sans réponse, c'est non.",
    yes: "Oui",
    no: "Non",
    send: "Envoyer mes choix",
    thanks: "Merci : vos choix sont enregistrés. Vous pourrez les changer à tout moment.",
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
    undo: "Changed your mind? Withdraw this consent",
    withdraw_title: "Withdraw your consent",
    withdraw_ask: "Stop receiving \"{purpose}\" by {channel}?",
    withdraw_button: "I withdraw my consent",
    withdrawn: "Done: your consent is withdrawn, as of now.",
    nothing_to_withdraw: "No consent is given for this: nothing changed.",
    request_title: "Your data and your consent",
    request_data: "We keep about you:",
    request_ask: "Do you agree to these uses? You choose use by use; no answer means no.",
    yes: "Yes",
    no: "No",
    send: "Send my choices",
    thanks: "Thank you: your choices are recorded. You can change them at any time.",
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
    titled(t, t.title, status, code, body)
}

fn titled(t: &Texts, title: &str, status: StatusCode, code: &str, body: String) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{}</title><style>body{{font-family:sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}}\
         button{{font-size:1.1rem;padding:.6rem 1.4rem;background:#0b5394;color:#fff;border:0;border-radius:4px}}</style></head>\
         <body data-code=\"{code}\"><main><h1>{}</h1>{body}</main></body></html>",
        t.lang, title, title
    );
    (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

fn outcome(t: &Texts, c: &Confirmation) -> Response {
    match c {
        Confirmation::Confirmed(_) => {
            page(t, StatusCode::OK, "confirmed", format!("<p>{}</p>", t.done))
        }
        Confirmation::AlreadyUsed => page(
            t,
            StatusCode::CONFLICT,
            "already_used",
            format!("<p>{}</p>", t.used),
        ),
        Confirmation::Expired => page(
            t,
            StatusCode::GONE,
            "expired",
            format!("<p>{}</p>", t.expired),
        ),
        Confirmation::Unknown => page(
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
    let (locale, open) = app.confirmation_page(&token).await?;
    let t = texts(locale);
    match open {
        Ok((purpose, channel)) => {
            let ask = t
                .ask
                .replace("{purpose}", &escape(&purpose_label(&app, &purpose, locale)))
                .replace("{channel}", channel_label(channel, locale));
            let form = format!(
                "<p>{ask}</p><form method=\"post\"><button type=\"submit\">{}</button></form>",
                t.button
            );
            Ok(page(t, StatusCode::OK, "confirm", form))
        }
        Err(refused) => Ok(outcome(t, &refused)),
    }
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
    ConnectIp(ip): ConnectIp,
) -> Result<Response, ApiError> {
    let ua = user_agent(&headers);
    let (c, locale, undo) = app.confirm(&token, ip, ua).await?;
    let t = texts(locale);
    if let (Confirmation::Confirmed(_), Some(link)) = (&c, undo) {
        let body = format!(
            "<p>{}</p><p><a href=\"{}\">{}</a></p>",
            t.done,
            escape(&link),
            t.undo
        );
        return Ok(page(t, StatusCode::OK, "confirmed", body));
    }
    Ok(outcome(t, &c))
}

fn purpose_label(app: &Candor, purpose: &str, locale: Locale) -> String {
    app.catalogue()
        .consent_purpose(purpose)
        .map(|p| {
            if locale == Locale::En {
                p.label.en.clone()
            } else {
                p.label.fr.clone()
            }
        })
        .unwrap_or_default()
}

/// The link's parts as written: a subject that is not even a UUID is a forged link like
/// any other, answered with the same page.
type WithdrawPath = Path<(String, String, String, String)>;

/// The answer to a link Candor did not make, or no longer knows: nothing changed.
pub(super) fn unknown_link() -> Response {
    page(
        &FR,
        StatusCode::NOT_FOUND,
        "not_found",
        format!("<p>{}</p><p lang=\"en\">{}</p>", FR.unknown, EN.unknown),
    )
}

#[utoipa::path(get, path = "/consent/withdraw/{subject}/{purpose}/{channel}/{signature}", tag = "pages", security(()),
    params(("subject" = Uuid, Path), ("purpose" = String, Path), ("channel" = String, Path), ("signature" = String, Path)),
    responses((status = 200, description = "HTML page with the one button that withdraws; changes nothing"), (status = 404, description = "Forged or unknown link")))]
pub async fn withdraw_page(
    State(app): State<Candor>,
    Path((subject, purpose, channel, sig)): WithdrawPath,
) -> Result<Response, ApiError> {
    let Ok(subject) = uuid::Uuid::parse_str(&subject) else {
        return Ok(unknown_link());
    };
    let Some((locale, ch, _)) = app
        .withdrawal_page(subject, &purpose, &channel, &sig)
        .await?
    else {
        return Ok(unknown_link());
    };
    let t = texts(locale);
    let ask = t
        .withdraw_ask
        .replace("{purpose}", &escape(&purpose_label(&app, &purpose, locale)))
        .replace("{channel}", channel_label(ch, locale));
    let body = format!(
        "<p>{ask}</p><form method=\"post\"><button type=\"submit\">{}</button></form>",
        t.withdraw_button
    );
    Ok(titled(
        t,
        t.withdraw_title,
        StatusCode::OK,
        "withdraw",
        body,
    ))
}

#[utoipa::path(post, path = "/consent/withdraw/{subject}/{purpose}/{channel}/{signature}", tag = "pages", security(()),
    params(("subject" = Uuid, Path), ("purpose" = String, Path), ("channel" = String, Path), ("signature" = String, Path)),
    responses((status = 200, description = "Withdrawn at once (also the RFC 8058 one-click POST)"), (status = 404, description = "Forged or unknown link: nothing changed")))]
pub async fn withdraw(
    State(app): State<Candor>,
    Path((subject, purpose, channel, sig)): WithdrawPath,
    headers: HeaderMap,
    ConnectIp(ip): ConnectIp,
) -> Result<Response, ApiError> {
    let Ok(subject) = uuid::Uuid::parse_str(&subject) else {
        return Ok(unknown_link());
    };
    let ua = user_agent(&headers);
    let Some((locale, was_active)) = app
        .withdraw_by_link(subject, &purpose, &channel, &sig, ip, ua)
        .await?
    else {
        return Ok(unknown_link());
    };
    let t = texts(locale);
    let (code, text) = if was_active {
        ("withdrawn", t.withdrawn)
    } else {
        ("nothing_to_withdraw", t.nothing_to_withdraw)
    };
    Ok(titled(
        t,
        t.withdraw_title,
        StatusCode::OK,
        code,
        format!("<p>{text}</p>"),
    ))
}

#[utoipa::path(get, path = "/consent/request/{token}", tag = "pages", security(()), params(("token" = String, Path)),
    responses((status = 200, description = "HTML page listing the data held and a yes/no choice per purpose; changes nothing"),
        (status = 404, description = "Unknown link"), (status = 409, description = "Already answered"), (status = 410, description = "Expired")))]
pub async fn request_page(
    State(app): State<Candor>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let (locale, open) = app.consent_request_page(&token).await?;
    let t = texts(locale);
    let p = match open {
        Ok(p) => p,
        Err(refused) => return Ok(outcome(t, &refused)),
    };
    let data: String = p
        .data
        .iter()
        .map(|(l, why)| format!("<li><strong>{}</strong> : {}</li>", escape(l), escape(why)))
        .collect();
    let choices: String = p
        .purposes
        .iter()
        .map(|(id, label, d)| {
            format!(
                "<fieldset><legend>{}</legend><p>{}</p><label><input type=\"radio\" name=\"{id}\" value=\"yes\"> {}</label> \
                 <label><input type=\"radio\" name=\"{id}\" value=\"no\"> {}</label></fieldset>",
                escape(label), escape(d), t.yes, t.no
            )
        })
        .collect();
    let body = format!("<p>{}</p><ul>{data}</ul><p>{}</p><form method=\"post\">{choices}<p><button type=\"submit\">{}</button></p></form>", t.request_data, t.request_ask, t.send);
    Ok(titled(t, t.request_title, StatusCode::OK, "request", body))
}

#[utoipa::path(post, path = "/consent/request/{token}", tag = "pages", security(()), params(("token" = String, Path)),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "purpose=yes|no for each purpose answered"),
    responses((status = 200, description = "The answers are ledger events (source email_link)"),
        (status = 404, description = "Unknown link or no answer: nothing changed"), (status = 409, description = "Already answered: nothing changed"), (status = 410, description = "Expired: nothing changed")))]
pub async fn answer_request(
    State(app): State<Candor>,
    Path(token): Path<String>,
    headers: HeaderMap,
    ConnectIp(ip): ConnectIp,
    form: Result<axum::Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Result<Response, ApiError> {
    let ua = user_agent(&headers);
    let answers: Vec<(String, bool)> = form
        .map(|axum::Form(f)| f)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| match v.as_str() {
            "yes" => Some((k, true)),
            "no" => Some((k, false)),
            _ => None,
        })
        .collect();
    let (c, locale) = app.answer_consent_request(&token, &answers, ip, ua).await?;
    let t = texts(locale);
    match c {
        Confirmation::Confirmed(_) => Ok(titled(
            t,
            t.request_title,
            StatusCode::OK,
            "answered",
            format!("<p>{}</p>", t.thanks),
        )),
        other => Ok(outcome(t, &other)),
    }
}

pub(crate) fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// The client's IP address, when the server was started with connection info.
pub struct ConnectIp(pub Option<String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ConnectIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ConnectIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        ))
    }
}
