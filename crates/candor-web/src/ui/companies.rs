//! Companies made and changed in the back office (O1): the form shows the fields the
//! role may write, from the catalogue, with their reasons; a refused value is named
//! next to its field in the reader's language, what was typed stays, nothing is saved.
//! A company some contacts still belong to is not deleted: its page says so above them.

use super::contacts::{EditPage, FieldRow, InputKind};
use super::i18n::{field_message, Texts};
use super::{app_error, render_with, Posted, Staff};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use candor_app::companies::CompanyView;
use candor_app::{AppError, Candor};
use candor_domain::catalogue::{Catalogue, Entity};
use candor_domain::company::CompanyPatch;
use candor_domain::Role;
use std::collections::HashMap;
use uuid::Uuid;

/// Whether `role` may change companies: it writes at least their name.
pub fn may_edit(cat: &Catalogue, role: Role) -> bool {
    cat.field(Entity::Company, "name")
        .is_some_and(|f| f.can_write(role))
}

fn text(v: Option<&serde_json::Value>) -> String {
    v.and_then(|v| v.as_str()).unwrap_or_default().to_owned()
}

/// The form's rows: the company's writable fields, with what was typed (or is held)
/// and the error for each.
fn rows(
    cat: &Catalogue,
    t: &Texts,
    role: Role,
    values: &dyn Fn(&str) -> String,
    errors: &HashMap<String, String>,
) -> Vec<FieldRow> {
    cat.entity_fields(Entity::Company)
        .filter(|f| f.can_write(role) && !f.system && f.custom.is_none())
        .map(|f| FieldRow {
            key: f.name.clone(),
            label: t.pick(&f.label).to_owned(),
            value: values(&f.name),
            why: super::contacts::staff_reason(t, f, role),
            error: errors.get(&f.name).cloned(),
            input: InputKind::Text,
            options: Vec::new(),
            href: None,
        })
        .collect()
}

/// The changes a form asks for: the fields that differ from `current`.
fn patch(form: &HashMap<String, String>, current: &CompanyView) -> CompanyPatch {
    let get = |k: &str| {
        let typed = form.get(k)?.trim().to_owned();
        (typed != text(current.get(k)).trim()).then_some(Some(typed))
    };
    CompanyPatch {
        name: get("name"),
        siret: get("siret"),
        country: get("country"),
        address_line: get("address_line"),
        postal_code: get("postal_code"),
        city: get("city"),
    }
}

fn form_page(
    app: &Candor,
    staff: Staff,
    id: Option<Uuid>,
    values: &dyn Fn(&str) -> String,
    errors: HashMap<String, String>,
    status: StatusCode,
) -> Response {
    let t = staff.t();
    let fields = rows(&app.catalogue(), t, staff.actor.role, values, &errors);
    if fields.is_empty() {
        return super::message_page(StatusCode::FORBIDDEN, t, t.forbidden);
    }
    let (heading, action, back) = match id {
        Some(id) => (
            format!("{} · {}", t.edit, values("name")),
            format!("/companies/{id}"),
            format!("/companies/{id}"),
        ),
        None => (
            t.new_company.to_owned(),
            "/companies".to_owned(),
            "/companies".to_owned(),
        ),
    };
    render_with(
        status,
        &EditPage {
            heading,
            action,
            back,
            fields,
            failed: !errors.is_empty(),
            other: Vec::new(),
            c: staff.chrome,
        },
    )
}

/// A refusal of the use case as errors by field, in the reader's language; `None` for
/// one that is not about the values typed.
fn by_field(t: &Texts, e: &AppError) -> Option<HashMap<String, String>> {
    match e {
        AppError::Invalid(errs) => Some(
            errs.0
                .iter()
                .map(|e| (e.field.clone(), field_message(t, e.rule, &e.message)))
                .collect(),
        ),
        AppError::Conflict { field, .. } => Some(HashMap::from([(
            field.to_string(),
            field_message(t, "already_taken", "another company already has this value"),
        )])),
        _ => None,
    }
}

pub async fn new_company(State(app): State<Candor>, staff: Staff) -> Response {
    form_page(
        &app,
        staff,
        None,
        &|k| {
            if k == "country" {
                "FR".into()
            } else {
                String::new()
            }
        },
        HashMap::new(),
        StatusCode::OK,
    )
}

pub async fn create(
    State(app): State<Candor>,
    staff: Staff,
    Posted(form): Posted<HashMap<String, String>>,
) -> Response {
    let p = patch(&form, &CompanyView::new());
    match app.create_company(&staff.actor, p).await {
        Ok(v) => Redirect::to(&format!("/companies/{}?saved=1", text(v.get("id")))).into_response(),
        Err(e) => match by_field(staff.t(), &e) {
            Some(errors) => {
                let typed = |k: &str| form.get(k).cloned().unwrap_or_default();
                form_page(
                    &app,
                    staff,
                    None,
                    &typed,
                    errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
            }
            None => app_error(staff.t(), e),
        },
    }
}

pub async fn edit(State(app): State<Candor>, staff: Staff, Path(id): Path<Uuid>) -> Response {
    let view = match app.get_company(&staff.actor, id).await {
        Ok(v) => v,
        Err(e) => return app_error(staff.t(), e),
    };
    let held = |k: &str| text(view.get(k));
    form_page(&app, staff, Some(id), &held, HashMap::new(), StatusCode::OK)
}

pub async fn update(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Posted(form): Posted<HashMap<String, String>>,
) -> Response {
    let view = match app.get_company(&staff.actor, id).await {
        Ok(v) => v,
        Err(e) => return app_error(staff.t(), e),
    };
    match app
        .update_company(&staff.actor, id, patch(&form, &view))
        .await
    {
        Ok(_) => Redirect::to(&format!("/companies/{id}?saved=1")).into_response(),
        Err(e) => match by_field(staff.t(), &e) {
            Some(errors) => {
                let typed = |k: &str| form.get(k).cloned().unwrap_or_else(|| text(view.get(k)));
                form_page(
                    &app,
                    staff,
                    Some(id),
                    &typed,
                    errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
            }
            None => app_error(staff.t(), e),
        },
    }
}

#[derive(serde::Deserialize)]
pub struct Nothing {}

pub async fn delete(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Posted(_): Posted<Nothing>,
) -> Response {
    match app.delete_company(&staff.actor, id).await {
        Ok(()) => Redirect::to("/companies?deleted=1").into_response(),
        Err(AppError::StillReferenced { .. }) => {
            Redirect::to(&format!("/companies/{id}?still=1")).into_response()
        }
        Err(e) => app_error(staff.t(), e),
    }
}
