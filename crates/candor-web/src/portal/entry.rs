//! Entering the portal: the first page, the emailed link (its GET shows a button,
//! its POST signs in), the password, signing out.

use super::*;

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

/// A first-page form that came without its token: nothing done, a fresh form.
fn refused_form(app: &Candor, t: &'static Texts) -> Response {
    let mut page = blank(t);
    page.error = Some(t.refused);
    start_page(app, StatusCode::FORBIDDEN, page, None)
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

pub(super) async fn start(
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

pub(super) async fn send_link(
    State(app): State<Candor>,
    ClientIp(ip): ClientIp,
    Extension(limits): Extension<Arc<LinkLimits>>,
    headers: HeaderMap,
    Form(f): Form<LinkForm>,
) -> Response {
    let t = texts_for(Some(&f.lang), Locale::Fr);
    if !form_ok(&headers, &f.form) {
        return refused_form(&app, t);
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

pub(super) async fn login(
    State(app): State<Candor>,
    ClientIp(ip): ClientIp,
    Extension(limits): Extension<Arc<LoginLimits>>,
    headers: HeaderMap,
    Form(f): Form<LinkForm>,
) -> Response {
    let t = texts_for(Some(&f.lang), Locale::Fr);
    if !form_ok(&headers, &f.form) {
        return refused_form(&app, t);
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

pub(super) async fn enter_page(
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

pub(super) async fn enter(
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
        Ok(Ok(o)) => opened(&app, o, q.lang.as_deref().map(|_| t.lang)),
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

pub(super) async fn logout(
    State(app): State<Candor>,
    p: Person,
    Form(f): Form<CsrfForm>,
) -> Response {
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
