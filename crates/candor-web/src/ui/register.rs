//! The record of processing activities in the back office (S5): one card per
//! activity, laid out in the order of the CNIL's model register, printable, with its
//! CSV and JSON; the same body as a standalone page for `candor register export`.

use super::{app_error, render_with, Chrome, Staff};
use crate::ui::i18n::{self, Texts};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use candor_app::Candor;
use candor_domain::catalogue::Text;
use candor_domain::register::{basis_words, category_words, Register};

pub struct ActivityView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub bases: Vec<&'static str>,
    pub subjects: Vec<String>,
    pub data: Vec<String>,
    pub recipients: Vec<(String, Vec<String>)>,
    pub processors: Vec<String>,
    pub retention: Vec<String>,
    pub transfers: String,
    pub security: Vec<String>,
}

pub struct RegisterView {
    pub controller: String,
    pub dpo: String,
    pub activities: Vec<ActivityView>,
}

fn view(r: &Register, t: &Texts) -> RegisterView {
    let fr = t.lang == "fr";
    let pick = |x: &Text| t.pick(x).to_owned();
    RegisterView {
        controller: r.controller.clone(),
        dpo: r.dpo.clone(),
        activities: r
            .activities
            .iter()
            .map(|a| ActivityView {
                id: a.purpose.clone(),
                name: pick(&a.name),
                description: pick(&a.description),
                bases: a.bases.iter().map(|b| basis_words(*b, fr)).collect(),
                subjects: a.subjects.iter().map(pick).collect(),
                data: a
                    .data
                    .iter()
                    .map(|d| format!("{} ({})", pick(&d.label), category_words(d.category, fr)))
                    .collect(),
                recipients: a
                    .recipients
                    .iter()
                    .map(|x| (pick(&x.name), x.reasons.iter().map(pick).collect()))
                    .collect(),
                processors: a.processors.iter().map(pick).collect(),
                retention: a.retention.iter().map(pick).collect(),
                transfers: pick(&a.transfers),
                security: a.security.iter().map(pick).collect(),
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    c: Chrome,
    t: &'static Texts,
    r: RegisterView,
}

#[derive(Template)]
#[template(path = "register_print.html")]
struct RegisterDocument {
    t: &'static Texts,
    r: RegisterView,
    css: &'static str,
}

/// The back office's page (dpo, admin), in the reader's language.
pub async fn page(State(app): State<Candor>, staff: Staff) -> Response {
    let t = staff.t();
    match app.processing_register(&staff.actor) {
        Ok(r) => render_with(
            StatusCode::OK,
            &RegisterPage {
                r: view(&r, t),
                t,
                c: staff.chrome,
            },
        ),
        Err(e) => app_error(t, e),
    }
}

/// The register as one standalone HTML page (`fr` or `en`), its style inline: what
/// `candor register export --format html` writes.
pub fn document(r: &Register, lang: &str) -> Result<String, askama::Error> {
    let t = i18n::texts(lang);
    RegisterDocument {
        r: view(r, t),
        t,
        css: super::assets::CSS,
    }
    .render()
}

/// The register as CSV in the reader's language, for a spreadsheet.
pub async fn csv(State(app): State<Candor>, staff: Staff) -> Response {
    use axum::response::IntoResponse;
    let t = staff.t();
    let r = match app.processing_register(&staff.actor) {
        Ok(r) => r,
        Err(e) => return app_error(t, e),
    };
    match candor_app::register::to_csv(&r, t.lang == "fr") {
        Ok(body) => (
            [
                (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    "attachment; filename=\"register.csv\"",
                ),
            ],
            body,
        )
            .into_response(),
        Err(e) => app_error(t, e),
    }
}

/// The register as JSON (both languages).
pub async fn json(State(app): State<Candor>, staff: Staff) -> Response {
    use axum::response::IntoResponse;
    match app.processing_register(&staff.actor) {
        Ok(r) => (
            [(
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"register.json\"",
            )],
            axum::Json(r),
        )
            .into_response(),
        Err(e) => app_error(staff.t(), e),
    }
}
