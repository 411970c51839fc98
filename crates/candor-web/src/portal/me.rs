//! The signed-in person's pages: what is held and why, the consent switches, the
//! corrections, the bundle, the requests and their receipts, the password.

use super::*;

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

pub(super) async fn home(
    State(app): State<Candor>,
    p: Person,
    Query(q): Query<PageQuery>,
) -> Response {
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

pub(super) async fn consents(
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
        _ => return message(StatusCode::UNPROCESSABLE_ENTITY, t, t.refused),
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
                crate::api::pages::user_agent(&headers),
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

pub(super) async fn rectify_page(
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

pub(super) async fn rectify(
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
    let new_address = patch.email.is_some();
    match app
        .portal_rectify(p.subject, patch, "POST /portal/rectify")
        .await
    {
        // A new address ends the other sessions: whoever held one signed in through
        // the old address.
        Ok(_) if new_address => match app.portal_end_other_sessions(p.subject, &p.secret).await {
            Ok(_) => back_to(t, "corrected", "correct"),
            Err(e) => refusal(t, e),
        },
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

pub(super) async fn bundle(
    State(app): State<Candor>,
    p: Person,
    Form(f): Form<CsrfForm>,
) -> Response {
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

pub(super) async fn request(
    State(app): State<Candor>,
    p: Person,
    Form(f): Form<RequestForm>,
) -> Response {
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

pub(super) async fn receipt(
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

pub(super) async fn receipt_file(
    State(app): State<Candor>,
    p: Person,
    Path(id): Path<String>,
) -> Response {
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

pub(super) async fn account(
    State(app): State<Candor>,
    p: Person,
    Form(f): Form<AccountForm>,
) -> Response {
    let t = p.texts(&app, Some(&f.lang)).await;
    if !p.posted(&f.csrf) {
        return message(StatusCode::FORBIDDEN, t, t.refused);
    }
    match app
        .portal_set_password(p.subject, &f.password, "POST /portal/account")
        .await
    {
        Ok(()) => match app.portal_end_other_sessions(p.subject, &p.secret).await {
            Ok(_) => back_to(t, "password", "account"),
            Err(e) => refusal(t, e),
        },
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
