//! `scorecard backtest SCORECARD --data FILE --outcome EXPR`: does the score
//! at period t predict the outcome at t+N?

use std::path::{Path, PathBuf};

use clap::Args;

use super::Exit;
use super::diff::DiffFormat;
use super::score::{DataArgs, load_scorecard};
use super::sensitivity::{heading, table};
use crate::decide::backtest::{self, Options, Report, ScoreBacktest, Treatment};
use crate::diag::render::{self as diag_render, HumanStyle};
use crate::model::Model;
use crate::source::{FileId, SourceMap};

#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// The scorecard.
    pub scorecard: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// The outcome: an expression over the input columns, scores and flags,
    /// a number (`revenue`) or true/false (`"deals_won > 0"`).
    #[arg(long, value_name = "EXPR")]
    pub outcome: String,
    /// Periods between the score and the outcome.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub horizon: usize,
    /// Compare treatment and control within each tier: a true/false column or
    /// expression, a flag, or one of the scorecard's actions (the rows it fired for at t).
    #[arg(long, value_name = "COLUMN|FLAG|ACTION")]
    pub treatment: Option<String>,
    /// Strata with fewer treated or control rows than this get a warning.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub min_stratum: usize,
    /// Bootstrap resamples for the Spearman intervals.
    #[arg(long, default_value_t = 1000, value_name = "B")]
    pub bootstrap: usize,
    /// The bootstrap's seed (the same seed gives the same intervals).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The intervals' confidence level.
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,
    #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
}

/// What a backtest is asked: the outcome, the treatment and the statistics' settings.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub outcome: &'a str,
    pub treatment: Option<&'a str>,
    pub horizon: usize,
    pub bootstrap: usize,
    pub seed: u64,
    pub level: f64,
    pub min_stratum: usize,
}

impl<'a> Request<'a> {
    fn of(args: &'a BacktestArgs) -> Self {
        Request {
            outcome: &args.outcome,
            treatment: args.treatment.as_deref(),
            horizon: args.horizon,
            bootstrap: args.bootstrap,
            seed: args.seed,
            level: args.level,
            min_stratum: args.min_stratum,
        }
    }

    /// The settings' own checks, before the scorecard is read.
    pub fn validate(&self) -> Result<(), Exit> {
        if self.horizon == 0 {
            return Err(super::fail("`--horizon` must be 1 or more periods"));
        }
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(super::fail("`--level` must be between 0 and 1, e.g. 0.95"));
        }
        for (flag, text) in [
            ("--outcome", Some(self.outcome)),
            ("--treatment", self.treatment),
        ] {
            if text.is_some_and(|t| t.contains(['\n', '\r', '{', '}'])) {
                return Err(super::fail(&format!(
                    "`{flag}` takes one expression on one line, without braces"
                )));
            }
        }
        Ok(())
    }
}

pub fn run(args: &BacktestArgs) -> Exit {
    let request = Request::of(args);
    if let Err(e) = request.validate() {
        return e;
    }
    let (model, sources) = match load_scorecard(&args.scorecard) {
        Ok(m) => m,
        Err(e) => return e,
    };
    if let Err(e) = args.data.check_outputs(&[&sources], None) {
        return e;
    }
    let report = match compute(&args.scorecard, &model, &sources, &args.data, &request) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let text = match args.format {
        DiffFormat::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        DiffFormat::Markdown => render(&report, true),
        DiffFormat::Table => render(&report, false),
    };
    super::print(&crate::escape::terminal_lines(&text));
    Exit::Clean
}

/// The backtest of `model` (read from `path`) over the data: the outcome and
/// treatment checked as columns added to the scorecard, then the statistics.
/// A bad outcome prints its diagnostics and gives `Exit::Findings`. Shared by
/// `scorecard backtest` and `scorecard report --outcome`.
pub fn compute(
    path: &Path,
    model: &Model,
    sources: &SourceMap,
    data: &DataArgs,
    request: &Request,
) -> Result<Report, Exit> {
    if model.contract.period.is_none() {
        return Err(super::fail(&format!(
            "backtest needs a period column, and the input of `{}` names none (add `period COLUMN` to its `input` block)",
            path.display()
        )));
    }
    let treatment = request.treatment.map(|t| {
        if model.rules.iter().any(|r| r.actions.iter().any(|a| a == t)) {
            Treatment::Action(t.to_string())
        } else {
            Treatment::Expression(t.to_string())
        }
    });
    let expression = match &treatment {
        Some(Treatment::Expression(e)) => Some(e.as_str()),
        _ => None,
    };
    let text = sources.text(FileId(0)).to_string();
    let Some(tree) = crate::syntax::parse(FileId(0), &text).0 else {
        return Err(super::fail("the scorecard could not be read"));
    };
    let instrumented = backtest::instrument(&text, &tree, request.outcome, expression);
    let mut checked_sources = SourceMap::new();
    let checked =
        match crate::decide::whatif::check_text_as(path, &instrumented, &mut checked_sources) {
            Ok(c) => c,
            Err(e) => return Err(super::fail(&e.to_string())),
        };
    if checked.diagnostics.has_errors() {
        let errors: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        let style = HumanStyle {
            color: super::stderr_color(),
            width: 100,
        };
        eprint!("{}", diag_render::human(&errors, &checked_sources, style));
        eprintln!(
            "error: `--outcome {}`{} does not check (shown above as a column added to the scorecard's output)",
            request.outcome,
            expression.map_or(String::new(), |e| format!(" or `--treatment {e}`")),
        );
        return Err(Exit::Findings);
    }
    let Some(instrumented_model) = checked.model else {
        return Err(super::fail("the scorecard could not be read"));
    };
    let plan = crate::plan::compile(&instrumented_model);
    let loaded = data.load(&instrumented_model, &plan.needed_columns)?;
    let options = Options {
        horizon: request.horizon,
        resamples: request.bootstrap,
        seed: request.seed,
        level: request.level,
        treatment,
        min_stratum: request.min_stratum,
    };
    match backtest::backtest(
        &instrumented_model,
        &loaded.table,
        request.outcome,
        &options,
    ) {
        Ok(r) => Ok(r),
        Err(e) => Err(super::fail(&e.0)),
    }
}

pub(super) fn num(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "—".to_string(),
    }
}

pub(super) fn interval(i: Option<&crate::decide::stats::Interval>) -> String {
    i.map_or("—".to_string(), |i| {
        format!("[{:.3}, {:.3}]", i.low, i.high)
    })
}

pub(super) fn verdict(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "monotonic",
        Some(false) => "NOT monotonic",
        None => "—",
    }
}

/// The report as text or Markdown.
pub fn render(report: &Report, markdown: bool) -> String {
    let mut out = format!(
        "{}does the score at period t predict `{}` at t+{}? {} rows over {} periods; Spearman intervals: {:.0}% percentile bootstrap, {} resamples, seed {}\n",
        if markdown {
            "## Backtest: "
        } else {
            "backtest: "
        },
        report.outcome,
        report.horizon,
        report.rows,
        report.periods.len(),
        report.level * 100.0,
        report.resamples,
        report.seed,
    );
    for s in &report.scores {
        score_section(&mut out, report, s, markdown);
    }
    out
}

fn score_section(out: &mut String, report: &Report, s: &ScoreBacktest, markdown: bool) {
    // Markdown needs a blank line before a table.
    let gap = if markdown { "\n" } else { "" };
    let l = &s.left_out;
    heading(out, &format!("{}: {} pairs", s.score, s.pairs), markdown);
    out.push_str(&format!(
        "left out: {} rows in the last {} period(s), {} without a row at t+{}, {} with the score missing, {} with the outcome missing\n\n",
        l.last_periods, report.horizon, l.no_row_at_horizon, report.horizon, l.score_missing, l.outcome_missing
    ));
    let mut rows = vec![vec![
        "pooled".to_string(),
        s.pooled.n.to_string(),
        num(s.pooled.spearman, 3),
        interval(s.pooled.interval.as_ref()),
    ]];
    rows.extend(s.periods.iter().map(|c| {
        vec![
            c.period.clone().unwrap_or_default(),
            c.n.to_string(),
            num(c.spearman, 3),
            interval(c.interval.as_ref()),
        ]
    }));
    out.push_str(&table(
        &["period t", "pairs", "Spearman", "interval"],
        &rows,
        markdown,
    ));
    if !s.tiers.is_empty() {
        out.push_str(&format!(
            "\nmean outcome per tier at t ({}):\n{gap}",
            verdict(s.tiers_monotonic)
        ));
        let rows: Vec<Vec<String>> = s
            .tiers
            .iter()
            .map(|g| vec![g.label.clone(), g.n.to_string(), num(g.mean_outcome, 3)])
            .collect();
        out.push_str(&table(&["tier", "pairs", "mean outcome"], &rows, markdown));
    }
    out.push_str(&format!(
        "\nmean outcome per score decile at t ({}):\n{gap}",
        verdict(s.deciles_monotonic)
    ));
    let rows: Vec<Vec<String>> = s
        .deciles
        .iter()
        .map(|g| {
            vec![
                g.label.clone(),
                g.n.to_string(),
                format!("{} … {}", num(g.score_low, 1), num(g.score_high, 1)),
                num(g.mean_outcome, 3),
            ]
        })
        .collect();
    out.push_str(&table(
        &["decile", "pairs", "scores", "mean outcome"],
        &rows,
        markdown,
    ));
    if report.binary {
        out.push_str(&format!("\nAUC: {}\n", num(s.auc, 3)));
        if let Some(lift) = &s.top_tier_lift {
            out.push_str(&format!(
                "top tier `{}`: rate {} over {} pairs, overall {}, lift {}\n",
                lift.tier,
                num(lift.rate, 3),
                lift.n,
                num(lift.overall_rate, 3),
                num(lift.lift, 2)
            ));
        }
    }
    if !s.drift.is_empty() {
        out.push_str(&format!("\nscore drift between consecutive periods (PSI; under 0.1 stable, 0.1–0.25 moderate, over 0.25 a shift):\n{gap}"));
        let rows: Vec<Vec<String>> = s
            .drift
            .iter()
            .map(|d| vec![format!("{} → {}", d.from, d.to), num(d.psi, 4)])
            .collect();
        out.push_str(&table(&["periods", "PSI"], &rows, markdown));
    }
    if let Some(t) = &report.treatment {
        out.push_str(&format!(
            "\ntreatment `{t}` at t against control, within each tier at t (difference of mean outcomes, 95% normal interval):\n{gap}"
        ));
        let rows: Vec<Vec<String>> = s
            .treatment
            .iter()
            .map(|st| {
                vec![
                    st.tier.clone(),
                    st.treated.to_string(),
                    st.control.to_string(),
                    num(st.mean_treated, 3),
                    num(st.mean_control, 3),
                    format!(
                        "{} [{}, {}]",
                        num(st.difference, 3),
                        num(st.low, 3),
                        num(st.high, 3)
                    ),
                    st.warning.clone().unwrap_or_default(),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "tier",
                "treated",
                "control",
                "mean treated",
                "mean control",
                "difference",
                "warning",
            ],
            &rows,
            markdown,
        ));
    }
}
