//! Data files: reading partner rows from CSV, JSON and NDJSON.

pub mod given;
pub mod header;
pub mod table;
