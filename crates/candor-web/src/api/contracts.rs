use super::contacts::nullable;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Auth};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use candor_app::contracts::ContractView;
use candor_app::Candor;
use candor_domain::contract::{ContractPatch, Party};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A contract to create, or the fields to change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractBody {
    /// Required on creation; 1 to 100 characters.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "CT-2026-0042")]
    reference: Option<Option<String>>,
    /// active (default), ended or cancelled.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "active")]
    status: Option<Option<String>>,
    /// Required on creation: YYYY-MM-DD.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "2026-01-01")]
    starts_on: Option<Option<String>>,
    /// YYYY-MM-DD, not before starts_on; none for an open-ended contract.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "2026-12-31")]
    ends_on: Option<Option<String>>,
}

impl From<ContractBody> for ContractPatch {
    fn from(b: ContractBody) -> Self {
        ContractPatch {
            reference: b.reference,
            status: b.status,
            starts_on: b.starts_on,
            ends_on: b.ends_on,
        }
    }
}

/// A contract as the caller's role may see it; `running` says whether it runs today.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Contract {
    id: Uuid,
    contact_id: Option<Uuid>,
    company_id: Option<Uuid>,
    reference: Option<String>,
    status: Option<String>,
    starts_on: Option<String>,
    ends_on: Option<String>,
    running: Option<bool>,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct ContractList {
    #[schema(value_type = Vec<Contract>)]
    items: Vec<ContractView>,
}

#[utoipa::path(post, path = "/api/v1/contacts/{id}/contracts", tag = "contracts", params(("id" = Uuid, Path)), request_body = ContractBody,
    responses(
        (status = 201, description = "Created", body = Contract),
        (status = 403, description = "A field the role may not write", body = ErrorBody),
        (status = 404, description = "No such contact", body = ErrorBody),
        (status = 422, description = "A value breaks a rule", body = ErrorBody),
    ))]
pub async fn create_contact_contract(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ContractBody>,
) -> Result<(StatusCode, Json<ContractView>), ApiError> {
    let v = app
        .create_contract(
            &auth.actor,
            Party::Contact(id),
            body.into(),
            "POST /api/v1/contacts/{id}/contracts",
        )
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(get, path = "/api/v1/contacts/{id}/contracts", tag = "contracts", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The contact's contracts", body = ContractList),
        (status = 403, description = "The role may read no contract field", body = ErrorBody),
        (status = 404, description = "No such contact", body = ErrorBody),
    ))]
pub async fn list_contact_contracts(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ContractList>, ApiError> {
    let items = app
        .list_contracts(
            &auth.actor,
            Party::Contact(id),
            "GET /api/v1/contacts/{id}/contracts",
        )
        .await?;
    Ok(Json(ContractList { items }))
}

#[utoipa::path(post, path = "/api/v1/companies/{id}/contracts", tag = "contracts", params(("id" = Uuid, Path)), request_body = ContractBody,
    responses(
        (status = 201, description = "Created; it covers the company's contacts", body = Contract),
        (status = 403, description = "A field the role may not write", body = ErrorBody),
        (status = 404, description = "No such company", body = ErrorBody),
        (status = 422, description = "A value breaks a rule", body = ErrorBody),
    ))]
pub async fn create_company_contract(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ContractBody>,
) -> Result<(StatusCode, Json<ContractView>), ApiError> {
    let v = app
        .create_contract(
            &auth.actor,
            Party::Company(id),
            body.into(),
            "POST /api/v1/companies/{id}/contracts",
        )
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(get, path = "/api/v1/companies/{id}/contracts", tag = "contracts", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The company's contracts", body = ContractList),
        (status = 403, description = "The role may read no contract field", body = ErrorBody),
        (status = 404, description = "No such company", body = ErrorBody),
    ))]
pub async fn list_company_contracts(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ContractList>, ApiError> {
    let items = app
        .list_contracts(
            &auth.actor,
            Party::Company(id),
            "GET /api/v1/companies/{id}/contracts",
        )
        .await?;
    Ok(Json(ContractList { items }))
}

#[utoipa::path(patch, path = "/api/v1/contracts/{id}", tag = "contracts", params(("id" = Uuid, Path)), request_body = ContractBody,
    responses(
        (status = 200, description = "Updated", body = Contract),
        (status = 403, description = "A field the role may not write", body = ErrorBody),
        (status = 404, description = "No such contract", body = ErrorBody),
        (status = 422, description = "A value breaks a rule", body = ErrorBody),
    ))]
pub async fn update_contract(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ContractBody>,
) -> Result<Json<ContractView>, ApiError> {
    Ok(Json(
        app.update_contract(&auth.actor, id, body.into(), "PATCH /api/v1/contracts/{id}")
            .await?,
    ))
}
