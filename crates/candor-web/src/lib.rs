//! Candor's HTTP layer: the JSON API under `/api/v1`, its OpenAPI document, and
//! `/health`, and the staff back office (`ui`). Handlers only translate HTTP to use cases of `candor-app` and back.

pub mod api;
mod error;
mod extract;
pub mod ui;

pub use api::{openapi, router};
pub use error::ApiError;
