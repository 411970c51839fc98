//! Candor's domain: the types and GDPR rules, with no I/O.
//!
//! Everything that enters Candor is parsed here into newtypes (SPEC X1); every
//! newtype that holds personal data hides its value from `Debug` (SPEC X2).

pub mod audit;
pub mod breach;
pub mod catalogue;
pub mod chain;
pub mod checkpoint;
pub mod clock;
pub mod communication;
pub mod company;
pub mod compliance;
pub mod consent;
pub mod contact;
pub mod contract;
pub mod erasure;
pub mod error;
pub mod lexicon;
pub mod order;
pub mod personal;
pub mod register;
pub mod request;
pub mod retention;
pub mod role;
pub mod search;

pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{FieldError, FieldErrors};
pub use role::Role;
