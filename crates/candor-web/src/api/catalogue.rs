use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Auth};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use candor_app::Candor;
use candor_domain::catalogue::{FieldDef, Purpose};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// The catalogue: purposes, and every field with its category, purposes, lawful
/// basis, retention, reason, and per-role access with its justification.
#[derive(Serialize, ToSchema)]
pub struct CatalogueDoc {
    #[schema(value_type = Vec<Object>)]
    purposes: Vec<Purpose>,
    #[schema(value_type = Vec<Object>)]
    fields: Vec<FieldDef>,
    /// Whether special-category fields are allowed (medical organisations only).
    medical: bool,
}

#[utoipa::path(get, path = "/api/v1/catalogue", tag = "catalogue",
    responses((status = 200, description = "The field catalogue, custom fields included", body = CatalogueDoc)))]
pub async fn get_catalogue(State(app): State<Candor>, _auth: Auth) -> Json<CatalogueDoc> {
    let cat = app.catalogue();
    Json(CatalogueDoc {
        purposes: cat.purposes().to_vec(),
        fields: cat.fields().to_vec(),
        medical: cat.is_medical(),
    })
}

/// A custom field, declared like the built-in ones. Example:
/// `{"entity":"contact","name":"industry","label":{"fr":"Secteur","en":"Industry"},
/// "category":"identifying","purposes":["commercial"],"basis":"legitimate_interests",
/// "retention":{"fr":"3 ans","en":"3 years"},"why":{"fr":"…","en":"…"},
/// "custom":{"type":"text","max_length":80},
/// "access":{"sales":{"can":"rw","fr":"…","en":"…"}}}`
#[utoipa::path(post, path = "/api/v1/catalogue/fields", tag = "catalogue",
    request_body(content = Object, description = "The field's definition: entity, name, label, category, purposes, basis, retention, why, custom (type), access per role with `can` and the justification in fr and en"),
    responses(
        (status = 201, description = "Added to the catalogue", body = Object),
        (status = 403, description = "Only admin and dpo change the catalogue", body = ErrorBody),
        (status = 409, description = "A field already has this name", body = ErrorBody),
        (status = 422, description = "A rule of the catalogue is broken (justification, purpose, special category…)", body = ErrorBody),
    ))]
pub async fn add_custom_field(
    State(app): State<Candor>,
    auth: Auth,
    ApiJson(def): ApiJson<FieldDef>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let def = app.add_custom_field(&auth.actor, def).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::to_value(def).unwrap_or_default()),
    ))
}
