//! Results of `smprof run`: the schema, a validating loader, and atomic writes.

mod load;
mod schema;
pub mod write;

pub use load::{from_str, load};
pub use schema::*;
pub use write::write_atomic;
