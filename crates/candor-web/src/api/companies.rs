use super::contacts::nullable;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use candor_app::companies::CompanyView;
use candor_app::contacts::{DEFAULT_PAGE, MAX_PAGE};
use candor_app::Candor;
use candor_domain::company::CompanyPatch;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A company to create, or the fields to change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyBody {
    /// Required on creation.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "Atelier Dupont SAS")]
    name: Option<Option<String>>,
    /// 14 digits; the Luhn checksum is checked. Unique.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "12002701600043")]
    siret: Option<Option<String>>,
    /// ISO 3166-1 alpha-2; FR when absent.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "FR")]
    country: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    address_line: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    postal_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    city: Option<Option<String>>,
}

impl From<CompanyBody> for CompanyPatch {
    fn from(b: CompanyBody) -> Self {
        CompanyPatch {
            name: b.name,
            siret: b.siret,
            country: b.country,
            address_line: b.address_line,
            postal_code: b.postal_code,
            city: b.city,
        }
    }
}

/// A company as the caller's role may see it.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Company {
    id: Uuid,
    name: Option<String>,
    siret: Option<String>,
    country: Option<String>,
    address_line: Option<String>,
    postal_code: Option<String>,
    city: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CompanyPage {
    #[schema(value_type = Vec<Company>)]
    items: Vec<CompanyView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompanyListParams {
    /// Names starting with this text (case-insensitive).
    name: Option<String>,
    after: Option<Uuid>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/companies", tag = "companies", params(CompanyListParams),
    responses((status = 200, description = "A page of companies", body = CompanyPage)))]
pub async fn list_companies(
    State(app): State<Candor>,
    auth: Auth,
    ApiQuery(p): ApiQuery<CompanyListParams>,
) -> Result<Json<CompanyPage>, ApiError> {
    let limit = crate::extract::page_limit(p.limit, DEFAULT_PAGE, MAX_PAGE)?;
    let page = app
        .list_companies(&auth.actor, p.name.as_deref(), p.after, limit)
        .await?;
    Ok(Json(CompanyPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(post, path = "/api/v1/companies", tag = "companies", request_body = CompanyBody,
    responses(
        (status = 201, description = "Created", body = Company),
        (status = 403, description = "A field the role may not write", body = ErrorBody),
        (status = 409, description = "Another company has this SIRET", body = ErrorBody),
        (status = 422, description = "A value breaks a rule", body = ErrorBody),
    ))]
pub async fn create_company(
    State(app): State<Candor>,
    auth: Auth,
    ApiJson(body): ApiJson<CompanyBody>,
) -> Result<(StatusCode, Json<CompanyView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(app.create_company(&auth.actor, body.into()).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/companies/{id}", tag = "companies", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The company", body = Company), (status = 404, description = "No such company", body = ErrorBody)))]
pub async fn get_company(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<CompanyView>, ApiError> {
    Ok(Json(app.get_company(&auth.actor, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/companies/{id}", tag = "companies", params(("id" = Uuid, Path)), request_body = CompanyBody,
    responses(
        (status = 200, description = "Updated", body = Company),
        (status = 403, description = "A field the role may not write", body = ErrorBody),
        (status = 404, description = "No such company", body = ErrorBody),
        (status = 409, description = "Another company has this SIRET (`existing_id`)", body = ErrorBody),
        (status = 422, description = "A value breaks a rule", body = ErrorBody),
    ))]
pub async fn update_company(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CompanyBody>,
) -> Result<Json<CompanyView>, ApiError> {
    Ok(Json(
        app.update_company(&auth.actor, id, body.into()).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/companies/{id}", tag = "companies", params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The role may not delete companies", body = ErrorBody),
        (status = 404, description = "No such company", body = ErrorBody),
        (status = 409, description = "Contacts still belong to it", body = ErrorBody),
    ))]
pub async fn delete_company(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    app.delete_company(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
