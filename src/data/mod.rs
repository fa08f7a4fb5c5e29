//! Data files: reading partner rows from CSV, JSON and NDJSON.

pub mod header;
