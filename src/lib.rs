//! scorecard: a declarative language for partner scorecards.
//!
//! ```text
//! text ──parse──▶ ast::File ──check──▶ model::Model ──compile──▶ Plan ──evaluate──▶ results
//! ```
//!
//! Each stage has one entry point and its own data type, so tools and tests can
//! stop after any stage. See `docs/architecture.md`.

pub mod advice;
pub mod check;
pub mod cli;
pub mod compile;
pub mod data;
pub mod decide;
pub mod diag;
pub mod diff;
pub mod escape;
pub mod eval;
pub mod explain;
pub mod fmt;
pub mod govern;
pub mod init;
pub mod interrupt;
pub mod lsp;
pub mod model;
pub mod ops;
pub mod plan;
pub mod publish;
pub mod render;
pub mod report;
pub mod source;
pub mod summary;
pub mod syntax;
pub mod testing;
pub mod vocab;
