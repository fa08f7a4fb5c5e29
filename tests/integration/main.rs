//! One integration test binary: every stage, every example, every diagnostic code.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod cli;
mod diagnostics;
mod engine;
mod examples;
mod grammar;
mod robustness;
mod semantics;
mod support;
