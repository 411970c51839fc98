//! Candor's HTTP layer: the JSON API under `/api/v1`, its OpenAPI document, and
//! `/health`, the staff back office (`ui`) and the contacts' privacy portal (`portal`). Handlers only translate HTTP to use cases of `candor-app` and back.

/// A language's words as a struct with one field per word, in English and French:
/// a template that names a missing word does not compile (the back office's and the
/// portal's words).
macro_rules! texts {
    ($($key:ident: $en:literal, $fr:literal;)*) => {
        pub struct Texts {
            pub lang: &'static str,
            $(pub $key: &'static str,)*
        }
        pub const EN: Texts = Texts { lang: "en", $($key: $en,)* };
        pub const FR: Texts = Texts { lang: "fr", $($key: $fr,)* };
    };
}

pub mod api;
mod error;
mod extract;
mod portal;
pub mod ui;

pub use api::{openapi, router};
pub use error::ApiError;
