//! `scorecard explain SCORECARD --data FILE --partner ID`: how one partner's
//! numbers came about — segments, metric points, weights, adjustments,
//! guardrails, tier, rules, flags and actions.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::Exit;
use super::score::{DataArgs, OnInvalidArg, load_scorecard_denying};
use crate::data::header::{self, DataFormat};
use crate::data::load::{self, Loaded, OnInvalid};
use crate::explain::{self, ExplainError, rejected};

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
    #[command(flatten)]
    pub govern: super::govern::GovernArgs,
    /// Also say which changes to the partner's values would reach the next
    /// tier most cheaply, each checked by re-scoring the data.
    #[arg(long)]
    pub next_tier: bool,
}

/// Every row that keeps the input contract; the partner explained need not
/// wait for every other row of the file to be valid.
fn load_valid_rows(
    data: &DataArgs,
    model: &crate::model::Model,
    needed: &[bool],
) -> Result<Loaded, Exit> {
    if data.rejects.is_some() {
        // `--rejects FILE`: written as `score` writes it.
        let skip = DataArgs {
            data: data.data.clone(),
            data_format: data.data_format,
            sheet: data.sheet.clone(),
            on_invalid: OnInvalidArg::Skip,
            rejects: data.rejects.clone(),
        };
        return skip.load(model, needed);
    }
    let name = data.data.display().to_string();
    match data.load_under(model, needed, OnInvalid::Skip) {
        Ok(l) => Ok(l),
        Err(load::LoadError::Io(e)) => Err(super::fail(&format!("cannot read `{name}`: {e}"))),
        Err(load::LoadError::Invalid(problems, total)) => {
            eprint!("{}", load::render(&problems, &name));
            eprintln!(
                "error: `{name}` has {total} problem{} that no row can be explained past",
                if total == 1 { "" } else { "s" }
            );
            Err(Exit::Findings)
        }
    }
}

/// The CSV header's names, to find the key in a rejected row (not for
/// standard input, which cannot be read twice).
pub(super) fn csv_header(data: &DataArgs) -> Option<Vec<String>> {
    if data.format() != DataFormat::Csv || data.data == std::path::Path::new("-") {
        return None;
    }
    header::read_header(&data.data, DataFormat::Csv)
        .ok()
        .map(|h| h.columns)
}

/// The width to wrap text to: the terminal's, or `COLUMNS` when standard
/// output is not a terminal; none (no wrapping) otherwise.
fn text_width() -> Option<usize> {
    use std::io::IsTerminal;
    let stdout = std::io::stdout();
    let terminal = stdout
        .is_terminal()
        .then(|| terminal_size::terminal_size_of(&stdout))
        .flatten()
        .map(|(w, _)| usize::from(w.0));
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok());
    terminal.or(columns).filter(|w: &usize| *w >= 20)
}

pub fn run(args: &ExplainArgs) -> Exit {
    let (model, sources) = match load_scorecard_denying(&args.scorecard, args.deny) {
        Ok(m) => m,
        Err(e) => return e,
    };
    if let Err(e) = args.data.check_outputs(&[&sources], None) {
        return e;
    }
    let plan = crate::plan::compile(&model);
    if let Err(e) = args.govern.check_outputs(&args.data.data, None) {
        return e;
    }
    let (pending, needed) = match args.govern.read(&model, &plan.needed_columns) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let mut loaded = match load_valid_rows(&args.data, &model, &needed) {
        Ok(l) => l,
        Err(e) => return e,
    };
    let (mut gov, hashes) = args.govern.apply(&model, &mut loaded.table, pending);
    if let Err(e) = args.govern.settle_and_log(
        &model,
        &plan,
        &loaded.table,
        &mut gov,
        hashes,
        &args.data.data,
    ) {
        return e;
    }
    let column = |id: Option<crate::model::ColumnId>| {
        id.and_then(|c| model.contract.column(c))
            .map(|c| c.name.as_str())
    };
    let header = if loaded.rejected.is_empty() {
        None
    } else {
        csv_header(&args.data)
    };
    let fields = rejected::Fields {
        format: args.data.format(),
        header: header.as_deref(),
        key: column(model.contract.key).unwrap_or(""),
        period: column(model.contract.period),
    };
    let explanation = match explain::explain_valid_rows(
        &model,
        &plan,
        &loaded,
        &fields,
        &sources,
        &args.partner,
        args.period.as_deref(),
        &crate::govern::tier_overrides(&gov),
    ) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {}", crate::escape::terminal(&e.to_string()));
            if let Some(help) = e.help() {
                eprintln!("  help: {}", crate::escape::terminal(&help.to_string()));
            }
            return match e {
                ExplainError::Rejected { .. } => Exit::Findings,
                _ => Exit::Usage,
            };
        }
    };
    if explanation.rows_skipped > 0 && args.data.rejects.is_none() {
        let lines: Vec<String> = loaded
            .rejected
            .iter()
            .take(5)
            .map(|r| r.line.to_string())
            .collect();
        let n = explanation.rows_skipped;
        eprintln!(
            "note: {n} other row{} of `{}` {} rejected and left out (line{} {}{}); peers are the {} valid rows; `--rejects FILE` writes the rejected rows with their reasons",
            if n == 1 { "" } else { "s" },
            args.data.data.display(),
            if n == 1 { "was" } else { "were" },
            if n == 1 { "" } else { "s" },
            lines.join(", "),
            if n > lines.len() { ", …" } else { "" },
            loaded.table.rows,
        );
    }
    let story = crate::govern::notes::explained(
        &model,
        &loaded.table,
        &gov,
        &explanation.partner,
        explanation.period.as_deref(),
    );
    let paths = if args.next_tier {
        next_tier_paths(&model, &plan, &loaded.table, &explanation)
    } else {
        Vec::new()
    };
    let text = match args.format {
        // Partner ids, labels and names come from the data and the scorecard.
        ExplainFormat::Text => {
            let mut text = match text_width() {
                Some(w) => explain::text_wrapped(&explanation, w),
                None => explain::text(&explanation),
            };
            text.push_str(&story.text(text_width()));
            for p in &paths {
                text.push_str(&crate::advice::text(p));
            }
            crate::escape::terminal_lines(&text).into_owned()
        }
        ExplainFormat::Json => match explain::json(&explanation) {
            Ok(t) if gov.is_empty() && paths.is_empty() => t,
            Ok(t) => match story.into_json(&t, &paths) {
                Ok(t) => t,
                Err(e) => return super::fail(&format!("cannot write the explanation: {e}")),
            },
            Err(e) => return super::fail(&format!("cannot write the explanation: {e}")),
        },
    };
    super::print(&text);
    Exit::Clean
}

/// The path to the next tier of each tiered score, for the explained row.
fn next_tier_paths(
    model: &crate::model::Model,
    plan: &crate::plan::Plan,
    table: &crate::data::table::Table,
    explanation: &explain::Explanation,
) -> Vec<crate::advice::Path> {
    let row = (0..table.rows as u32).find(|r| {
        let (k, p) = crate::govern::row_key(model, table, *r);
        k == explanation.partner && explanation.period.as_deref().is_none_or(|want| want == p)
    });
    let Some(row) = row else {
        return Vec::new();
    };
    (0..model.scores.len())
        .filter_map(|s| {
            crate::advice::path(model, plan, table, row, crate::model::ScoreId(s as u32))
        })
        .collect()
}
