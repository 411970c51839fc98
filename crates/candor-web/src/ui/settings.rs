//! Settings (admin): the field catalogue with its justifications and retention, the
//! purposes, the staff accounts and their roles; adding a user or a custom field.

use super::i18n::Texts;
use super::{app_error, render_with, Chrome, Posted, Staff};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use candor_app::{AppError, Candor};
use candor_domain::catalogue::{
    Access, DataCategory, Entity, FieldDef, LawfulBasis, Text, ValueType,
};
use candor_domain::Role;
use serde::Deserialize;
use std::collections::BTreeMap;

pub struct FieldLine {
    entity: String,
    key: String,
    label: String,
    purposes: String,
    basis: String,
    retention: String,
    why: String,
    access: String,
    custom: bool,
}

pub struct PurposeLine {
    id: String,
    label: String,
    description: String,
    consent: bool,
}

pub struct UserLine {
    id: String,
    me: bool,
    email: String,
    role: String,
    locale: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    c: Chrome,
    fields: Vec<FieldLine>,
    purposes: Vec<PurposeLine>,
    users: Vec<UserLine>,
    roles: Vec<&'static str>,
    /// The data categories a custom field may declare: value, label.
    categories: Vec<(&'static str, &'static str)>,
    user_errors: Vec<String>,
    field_errors: Vec<String>,
    notice: Option<String>,
    new_password: Option<String>,
    field_form: FieldForm,
    /// Only an admin manages staff accounts; the dpo sees the catalogue and adds fields.
    manages_users: bool,
}

/// The refusal page for anyone who does not govern the catalogue (admin, dpo): the
/// same roles `add_custom_field` lets through.
fn unless_governs(staff: &Staff) -> Option<Response> {
    (!staff.actor.role.governs_data())
        .then(|| super::message_page(StatusCode::FORBIDDEN, staff.t(), staff.t().forbidden))
}

/// The refusal page for anyone but an admin.
fn unless_admin(staff: &Staff) -> Option<Response> {
    (staff.actor.role != Role::Admin)
        .then(|| super::message_page(StatusCode::FORBIDDEN, staff.t(), staff.t().forbidden))
}

pub async fn index(State(app): State<Candor>, staff: Staff) -> Response {
    if let Some(r) = unless_governs(&staff) {
        return r;
    }
    page(&app, staff, Extra::default(), StatusCode::OK).await
}

#[derive(Default)]
struct Extra {
    user_errors: Vec<String>,
    field_errors: Vec<String>,
    notice: Option<String>,
    new_password: Option<String>,
    field_form: FieldForm,
}

async fn page(app: &Candor, staff: Staff, extra: Extra, status: StatusCode) -> Response {
    let t = staff.t();
    let cat = app.catalogue();
    let manages_users = staff.actor.role == Role::Admin;
    let users = if manages_users {
        match app.list_staff_users().await {
            Ok(u) => u,
            Err(e) => return app_error(t, e),
        }
    } else {
        Vec::new()
    };
    let fields = cat
        .fields()
        .iter()
        .map(|f| FieldLine {
            entity: f.entity.as_str().to_owned(),
            key: f.key(),
            label: t.pick(&f.label).to_owned(),
            purposes: f.purposes.join(", "),
            basis: serde_json::to_value(f.basis)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            retention: t.pick(&f.retention).to_owned(),
            why: t.pick(&f.why).to_owned(),
            access: f
                .access
                .iter()
                .map(|(r, a)| format!("{} ({}): {}", r.as_str(), a.can, t.pick(&a.why)))
                .collect::<Vec<_>>()
                .join(" · "),
            custom: f.custom.is_some(),
        })
        .collect();
    let purposes = cat
        .purposes()
        .iter()
        .map(|p| PurposeLine {
            id: p.id.clone(),
            label: t.pick(&p.label).to_owned(),
            description: t.pick(&p.description).to_owned(),
            consent: p.consent,
        })
        .collect();
    render_with(
        status,
        &SettingsPage {
            fields,
            purposes,
            users: users
                .iter()
                .map(|u| UserLine {
                    id: u.id.to_string(),
                    me: u.id == staff.user.id,
                    email: u.email.clone(),
                    role: u.role.as_str().to_owned(),
                    locale: u.locale.clone(),
                    active: u.disabled_at.is_none(),
                })
                .collect(),
            roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
            categories: {
                let t = staff.t();
                vec![
                    ("identifying", t.cat_identifying),
                    ("transactional", t.cat_transactional),
                    ("technical", t.cat_technical),
                    ("special_category", t.cat_special),
                ]
            },
            user_errors: extra.user_errors,
            field_errors: extra.field_errors,
            notice: extra.notice,
            new_password: extra.new_password,
            field_form: extra.field_form,
            manages_users,
            c: staff.chrome,
        },
    )
}

fn messages(t: &Texts, e: &AppError) -> Vec<String> {
    match e {
        AppError::Invalid(errs) => super::field_errors(t, errs),
        AppError::Conflict { field, .. } => vec![format!("{field}: already taken")],
        other => vec![other.to_string()],
    }
}

#[derive(Deserialize)]
pub struct UserForm {
    email: String,
    role: String,
    locale: String,
    #[serde(default)]
    password: String,
}

pub async fn add_user(
    State(app): State<Candor>,
    staff: Staff,
    Posted(f): Posted<UserForm>,
) -> Response {
    if let Some(r) = unless_admin(&staff) {
        return r;
    }
    let role = match f.role.parse::<Role>() {
        Ok(r) => r,
        Err(_) => {
            let extra = Extra {
                user_errors: vec![
                    "role: must be one of admin, dpo, sales, marketing, support".into()
                ],
                ..Extra::default()
            };
            return page(&app, staff, extra, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let generated = f.password.is_empty();
    let password = if generated {
        candor_app::staff::random_password()
    } else {
        f.password.clone()
    };
    match app
        .create_staff_user(&f.email, role, &f.locale, &password)
        .await
    {
        Ok(u) => {
            let extra = Extra {
                notice: Some(format!("{} ({})", u.email, u.role.as_str())),
                new_password: generated.then_some(password),
                ..Extra::default()
            };
            page(&app, staff, extra, StatusCode::OK).await
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let extra = Extra {
                user_errors: messages(staff.t(), &e),
                ..Extra::default()
            };
            page(&app, staff, extra, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(staff.t(), e),
    }
}

pub async fn disable_user(
    State(app): State<Candor>,
    staff: Staff,
    axum::extract::Path(id): axum::extract::Path<uuid::Uuid>,
    Posted(_): Posted<super::auth::Empty>,
) -> Response {
    if let Some(r) = unless_admin(&staff) {
        return r;
    }
    if id == staff.user.id {
        let extra = Extra {
            user_errors: vec!["user: an admin cannot disable their own account".into()],
            ..Extra::default()
        };
        return page(&app, staff, extra, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match app.disable_staff_user(id).await {
        Ok(()) => page(&app, staff, Extra::default(), StatusCode::OK).await,
        Err(e) => app_error(staff.t(), e),
    }
}

/// A custom field as the form gives it: one access line per role, its reason given
/// once and kept for both languages.
#[derive(Deserialize, Default)]
pub struct FieldForm {
    #[serde(default)]
    entity: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    label_fr: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    value_type: String,
    #[serde(default)]
    max_length: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    basis: String,
    #[serde(default)]
    why_fr: String,
    #[serde(default)]
    why_en: String,
    #[serde(default)]
    retention_fr: String,
    #[serde(default)]
    retention_en: String,
    #[serde(default)]
    access_admin: String,
    #[serde(default)]
    why_admin: String,
    #[serde(default)]
    access_dpo: String,
    #[serde(default)]
    why_dpo: String,
    #[serde(default)]
    access_sales: String,
    #[serde(default)]
    why_sales: String,
    #[serde(default)]
    access_marketing: String,
    #[serde(default)]
    why_marketing: String,
    #[serde(default)]
    access_support: String,
    #[serde(default)]
    why_support: String,
}

fn parse_field(t: &Texts, f: &FieldForm) -> Result<FieldDef, Vec<String>> {
    let mut errors = Vec::new();
    let entity = match f.entity.as_str() {
        "company" => Entity::Company,
        _ => Entity::Contact,
    };
    let custom = match f.value_type.as_str() {
        "number" => ValueType::Number,
        "boolean" => ValueType::Boolean,
        "date" => ValueType::Date,
        _ => match Some(f.max_length.trim())
            .filter(|s| !s.is_empty())
            .unwrap_or("200")
            .parse::<usize>()
        {
            Ok(n) if (1..=5000).contains(&n) => ValueType::Text { max_length: n },
            _ => {
                errors.push("max_length: must be a number from 1 to 5000".to_owned());
                ValueType::Text { max_length: 200 }
            }
        },
    };
    let category = match f.category.as_str() {
        "identifying" | "" => DataCategory::Identifying,
        "transactional" => DataCategory::Transactional,
        "technical" => DataCategory::Technical,
        "special_category" => DataCategory::SpecialCategory,
        _ => {
            errors.push(format!(
                "category: {}",
                super::i18n::field_message(
                    t,
                    "data_category",
                    "must be identifying, transactional, technical or special_category"
                )
            ));
            DataCategory::Identifying
        }
    };
    let basis: Result<LawfulBasis, _> =
        serde_json::from_value(serde_json::Value::String(f.basis.clone()));
    let basis = basis.unwrap_or_else(|_| {
        errors.push("basis: must be a lawful basis of GDPR Art. 6".to_owned());
        LawfulBasis::LegitimateInterests
    });
    let mut access = BTreeMap::new();
    for (role, can, why) in [
        (Role::Admin, &f.access_admin, &f.why_admin),
        (Role::Dpo, &f.access_dpo, &f.why_dpo),
        (Role::Sales, &f.access_sales, &f.why_sales),
        (Role::Marketing, &f.access_marketing, &f.why_marketing),
        (Role::Support, &f.access_support, &f.why_support),
    ] {
        if can.is_empty() {
            continue;
        }
        access.insert(
            role,
            Access {
                can: can.clone(),
                why: Text {
                    fr: why.clone(),
                    en: why.clone(),
                },
            },
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(FieldDef {
        entity,
        name: f.name.trim().to_owned(),
        label: Text {
            fr: f.label_fr.clone(),
            en: f.label_en.clone(),
        },
        category,
        purposes: vec![f.purpose.clone()],
        basis,
        retention: Text {
            fr: f.retention_fr.clone(),
            en: f.retention_en.clone(),
        },
        retained_by: Vec::new(),
        why: Text {
            fr: f.why_fr.clone(),
            en: f.why_en.clone(),
        },
        personal: true,
        system: false,
        access,
        custom: Some(custom),
    })
}

pub async fn add_field(
    State(app): State<Candor>,
    staff: Staff,
    Posted(f): Posted<FieldForm>,
) -> Response {
    if let Some(r) = unless_governs(&staff) {
        return r;
    }
    let def = match parse_field(staff.t(), &f) {
        Ok(d) => d,
        Err(errors) => {
            let extra = Extra {
                field_errors: errors,
                field_form: f,
                ..Extra::default()
            };
            return page(&app, staff, extra, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match app.add_custom_field(&staff.actor, def).await {
        Ok(d) => {
            let extra = Extra {
                notice: Some(format!(
                    "{}: {}.{}",
                    staff.t().field_added,
                    d.entity.as_str(),
                    d.key()
                )),
                ..Extra::default()
            };
            page(&app, staff, extra, StatusCode::OK).await
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let extra = Extra {
                field_errors: messages(staff.t(), &e),
                field_form: f,
                ..Extra::default()
            };
            page(&app, staff, extra, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(staff.t(), e),
    }
}
