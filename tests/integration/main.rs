//! One integration test binary: every stage, every example, every diagnostic code.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod backtest;
mod browser;
mod ci_formats;
mod cli;
mod coverage;
mod data;
mod diagnostics;
mod diff;
mod docs_verb;
mod engine;
mod examples;
mod excel;
mod explain;
mod fmt;
mod fuzz_regressions;
mod governance;
mod grammar;
mod init;
mod layering;
mod lsp;
mod numbers;
mod output;
mod parquet;
mod report;
mod reread;
mod robustness;
mod safety;
mod score;
mod semantics;
mod sensitivity;
mod sql;
mod summary;
mod support;
mod test_runner;
mod tutorial;
mod warnings;
mod whatif;
