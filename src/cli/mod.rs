//! The command line: the only module that knows clap, terminals and exit codes.

mod backtest;
mod check;
mod compile;
mod diff;
mod docs;
mod explain;
mod explain_code;
mod fmt;
pub mod govern;
mod init;
mod lsp;
pub mod output;
mod report;
pub mod score;
mod sensitivity;
mod test;
mod whatif;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Nothing to report.
    Clean = 0,
    /// Diagnostics with errors (or warnings under `--deny warnings`), failed tests.
    Findings = 1,
    /// The command could not run: bad arguments, unreadable files.
    Usage = 2,
    /// Stopped by SIGINT or SIGTERM before finishing; nothing was written.
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "scorecard",
    version,
    about = "Check, run and test partner scorecards",
    long_about = "scorecard reads `.scorecard` files — metrics, segments, weights, rubrics, \
guardrails and intervention rules — checks them, and scores partner data with them."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse, resolve, type-check and lint scorecards.
    Check(check::CheckArgs),
    /// Score partner data with a scorecard.
    Score(score::ScoreArgs),
    /// Explain one partner's scores: segments, metrics, guardrails, tier, rules.
    Explain(explain::ExplainArgs),
    /// Compare two versions of a scorecard on the same data: tier migration, score changes, actions.
    Diff(diff::DiffArgs),
    /// Run the test cases and output snapshots written in scorecards.
    Test(test::TestArgs),
    /// Print the documentation of a diagnostic code (or list every code).
    ExplainCode(explain_code::ExplainCodeArgs),
    /// Lay scorecards out canonically, keeping every comment (`--check` changes nothing).
    Fmt(fmt::FmtArgs),
    /// Write a starter scorecard whose input contract is inferred from a data file.
    Init(init::InitArgs),
    /// Write the metric catalogue and the published rubric (Markdown or HTML).
    Docs(docs::DocsArgs),
    /// Write one self-contained HTML report of the scores (or one partner's page).
    Report(report::ReportArgs),
    /// Run the language server on standard input and output (for editors).
    Lsp(lsp::LspArgs),
    /// What changing weights, thresholds, band points or guardrails would do to the partners.
    Whatif(whatif::WhatifArgs),
    /// Which weights and tier thresholds the tiers are fragile to; partners near a boundary.
    Sensitivity(sensitivity::SensitivityArgs),
    /// Does the score at period t predict an outcome at t+N? Spearman, tiers, deciles, AUC, drift, experiments.
    Backtest(backtest::BacktestArgs),
    /// Write SQL for DuckDB, PostgreSQL or Spark that computes what `score` writes.
    Compile(compile::CompileArgs),
}

/// Output formats for diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    /// miette's graphical report (colour on a terminal unless NO_COLOR is set).
    Human,
    /// A JSON array, one object per diagnostic.
    Json,
    /// GitHub Actions workflow annotations.
    Github,
    /// SARIF 2.1.0, for code-scanning services.
    Sarif,
    /// JUnit XML: one test case per file.
    Junit,
}

/// Warnings that `--deny` can turn into failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Deny {
    Warnings,
}

/// Whether to use colour on standard output.
pub fn stdout_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// Whether to use colour on standard error.
pub fn stderr_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Run the command line; the library's whole behaviour behind `main`.
pub fn run(args: Vec<std::ffi::OsString>) -> Exit {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Clean
            };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Score(args) => score::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::ExplainCode(args) => explain_code::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Fmt(args) => fmt::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Docs(args) => docs::run(&args),
        Command::Lsp(args) => lsp::run(&args),
        Command::Whatif(args) => whatif::run(&args),
        Command::Sensitivity(args) => sensitivity::run(&args),
        Command::Backtest(args) => backtest::run(&args),
        Command::Compile(args) => compile::run(&args),
    }
}

/// Write to standard output, ignoring a closed pipe (`scorecard check | head`).
pub fn print(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Report a problem that stops the command (exit code 2).
pub fn fail(message: &str) -> Exit {
    eprintln!("error: {}", crate::escape::terminal_lines(message));
    Exit::Usage
}
