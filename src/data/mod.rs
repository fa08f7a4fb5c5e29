//! Data files: reading partner rows from CSV, JSON, NDJSON and workbooks.
//!
//! The modules form layers, each importing only the layers before it (the
//! order is `DATA_LAYERS` in tests/integration/layering.rs, which enforces
//! it):
//!
//! 1. What every layer shares: `table` (the typed columns), `convert` (the
//!    contract's columns and the conversion of one value), `problem` (a
//!    problem with the data, a row left out, the row-size and problem-count
//!    limits), `ints` (integer columns narrowed and widened) and `period`
//!    (the formats of period labels).
//! 2. The first bytes: `sniff` (files that are not text, by their
//!    signature) and `header` (the header line and the format).
//! 3. The collector, `collect`: fields into typed columns under the
//!    contract, invalid rows into problems, through its row sink
//!    (`collect::Rows`).
//! 4. The readers, which turn bytes into fields: `csv_fast` and `json`. A
//!    reader hands each row's fields to the row sink it is given. And
//!    `excel`, which turns a workbook's sheet into the CSV text it reads as.
//! 5. The loader, `load`: opens the file, cuts it into blocks and parts,
//!    runs the readers on threads and joins what they collected;
//!    `given`, a table from a test's `given` rows; and `cell`, one value of
//!    a loaded table read and replaced under the contract (corrections).

pub mod cell;
mod collect;
mod convert;
mod csv_fast;
pub mod excel;
pub mod given;
pub mod header;
mod ints;
mod json;
pub mod load;
pub mod parquet;
pub mod period;
mod problem;
pub mod sniff;
pub mod table;
