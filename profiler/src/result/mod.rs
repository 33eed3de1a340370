//! Results of `smprof run`: the schema, a validating loader, and atomic writes.

mod load;
mod schema;

pub use load::{from_str, load, write_atomic};
pub use schema::*;
