//! Candor's HTTP layer: the JSON API under `/api/v1`, its OpenAPI document, and
//! `/health`, the staff back office (`ui`) and the contacts' privacy portal (`portal`). Handlers only translate HTTP to use cases of `candor-app` and back.

pub mod api;
mod error;
mod extract;
mod portal;
pub mod ui;

pub use api::{openapi, router};
pub use error::ApiError;
