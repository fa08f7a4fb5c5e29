//! Data files: reading partner rows from CSV, JSON and NDJSON.
//!
//! The modules form layers, each importing only the layers below it, save
//! that the readers write each row through the collector's row sink:
//!
//! 1. What every layer shares: `problem` (a problem with the data, a row
//!    left out, the row-size and problem-count limits), `convert` (the
//!    contract's columns and the conversion of one value), `table` (the
//!    typed columns) and `ints` (integer columns narrowed and widened).
//! 2. The readers, which turn bytes into fields: `sniff` (the format),
//!    `header` (the first line), `csv_fast` and `json`. A reader hands each
//!    row's fields to the row sink it is given (`collect::Rows`); it never
//!    imports `load`.
//! 3. The collector, `collect`: fields into typed columns under the
//!    contract, invalid rows into problems.
//! 4. The loader, `load`: opens the file, cuts it into blocks and parts,
//!    runs the readers on threads and joins what they collected.

pub mod cell;
mod collect;
mod convert;
mod csv_fast;
pub mod given;
pub mod header;
mod ints;
mod json;
pub mod load;
mod problem;
pub mod sniff;
pub mod table;
