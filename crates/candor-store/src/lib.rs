//! Candor's persistence. All SQL lives in this crate, one module per backend.
//!
//! The public surface is [`Store`]; row structs stay inside the backend modules.

mod error;
pub mod model;
mod sqlite;

pub use error::StoreError;
pub use model::*;
pub use sqlite::Store;
