//! Data files: reading partner rows from CSV, JSON and NDJSON.

mod collect;
mod convert;
mod csv_fast;
pub mod given;
pub mod header;
mod ints;
mod json;
pub mod load;
pub mod sniff;
pub mod table;
