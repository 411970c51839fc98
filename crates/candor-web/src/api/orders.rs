use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Auth};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use candor_app::orders::OrderView;
use candor_app::Candor;
use candor_domain::order::{OrderInput, OrderLine};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// One line of an order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderLineBody {
    #[schema(example = "Abonnement annuel")]
    description: String,
    /// 1 to 1,000,000.
    #[schema(example = 1)]
    quantity: i64,
    /// The price of one unit in cents.
    #[schema(example = 11900)]
    unit_price_cents: i64,
}

/// An order; its total is computed from its lines.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderBody {
    /// RFC 3339, not in the future; now when absent.
    ordered_at: Option<String>,
    /// ISO 4217, e.g. EUR.
    #[schema(example = "EUR")]
    currency: String,
    lines: Vec<OrderLineBody>,
}

/// An order as the caller's role may see it.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Order {
    id: Uuid,
    contact_id: Uuid,
    ordered_at: Option<String>,
    currency: Option<String>,
    total_cents: Option<i64>,
    #[schema(value_type = Option<Vec<Object>>)]
    lines: Option<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct OrderList {
    #[schema(value_type = Vec<Order>)]
    items: Vec<OrderView>,
}

#[utoipa::path(post, path = "/api/v1/contacts/{id}/orders", tag = "orders", params(("id" = Uuid, Path)), request_body = OrderBody,
    responses(
        (status = 201, description = "Recorded, with its total", body = Order),
        (status = 403, description = "A field the role may not write", body = ErrorBody),
        (status = 404, description = "No such contact", body = ErrorBody),
        (status = 422, description = "A value breaks a rule", body = ErrorBody),
    ))]
pub async fn create_order(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<OrderBody>,
) -> Result<(StatusCode, Json<OrderView>), ApiError> {
    let input = OrderInput {
        ordered_at: b.ordered_at,
        currency: b.currency,
        lines: b
            .lines
            .into_iter()
            .map(|l| OrderLine {
                description: l.description,
                quantity: l.quantity,
                unit_price_cents: l.unit_price_cents,
            })
            .collect(),
    };
    let v = app
        .create_order(&auth.actor, id, input, "POST /api/v1/contacts/{id}/orders")
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(get, path = "/api/v1/contacts/{id}/orders", tag = "orders", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The contact's orders, newest first", body = OrderList),
        (status = 403, description = "The role may read no order field", body = ErrorBody),
        (status = 404, description = "No such contact", body = ErrorBody),
    ))]
pub async fn list_orders(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<OrderList>, ApiError> {
    let items = app
        .list_orders(&auth.actor, id, "GET /api/v1/contacts/{id}/orders")
        .await?;
    Ok(Json(OrderList { items }))
}
