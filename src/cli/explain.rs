//! `scorecard explain SCORECARD --data FILE --partner ID`: how one partner's
//! numbers came about — segments, metric points, weights, adjustments,
//! guardrails, tier, rules, flags and actions.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::Exit;
use super::score::{DataArgs, load_scorecard_denying};
use crate::explain;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// Words and tables, for reading.
    Text,
    /// One JSON document, for tools.
    Json,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The scorecard.
    pub scorecard: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// The partner to explain: its value in the scorecard's `key` column.
    #[arg(long, value_name = "ID")]
    pub partner: String,
    /// The period to explain (default: the partner's latest).
    #[arg(long, value_name = "P")]
    pub period: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
    /// Stop (exit 1) when the scorecard has warnings, printing them.
    #[arg(long, value_enum)]
    pub deny: Option<super::Deny>,
}

pub fn run(args: &ExplainArgs) -> Exit {
    let (model, sources) = match load_scorecard_denying(&args.scorecard, args.deny) {
        Ok(m) => m,
        Err(e) => return e,
    };
    let plan = crate::plan::compile(&model);
    let loaded = match args.data.load(&model, &plan.needed_columns) {
        Ok(l) => l,
        Err(e) => return e,
    };
    let explanation = match explain::explain(
        &model,
        &plan,
        &loaded.table,
        &sources,
        &args.partner,
        args.period.as_deref(),
    ) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(help) = e.help() {
                eprintln!("  help: {help}");
            }
            return Exit::Usage;
        }
    };
    let text = match args.format {
        ExplainFormat::Text => explain::text(&explanation),
        ExplainFormat::Json => match explain::json(&explanation) {
            Ok(t) => t,
            Err(e) => return super::fail(&format!("cannot write the explanation: {e}")),
        },
    };
    super::print(&text);
    Exit::Clean
}
