//! `scorecard report SCORECARD --data FILE --out report.html`: one
//! self-contained HTML page of the scores, or with `--partner ID` one
//! partner's own page.

use std::path::PathBuf;

use clap::Args;

use super::Exit;
use super::backtest::{Request, interval, num, verdict};
use super::output::write_atomically;
use super::score::{DataArgs, load_scorecard_denying};
use crate::decide::backtest::{Report, ScoreBacktest};
use crate::report::view::{BacktestDrift, BacktestScore, BacktestTier, BacktestView};
use crate::report::{self, Audience, Options};

/// `scorecard backtest`'s defaults, for the report's section.
const BOOTSTRAP: usize = 1000;
const SEED: u64 = 42;
const LEVEL: f64 = 0.95;
const MIN_STRATUM: usize = 10;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The scorecard.
    pub scorecard: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// The HTML file to write (atomically; nothing is written on an error).
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Write one partner's own page: no other partner's id or values, peers
    /// only as averages over groups of at least the scorecard's `min_group`.
    #[arg(long, value_name = "ID", conflicts_with = "partners")]
    pub partner: Option<String>,
    /// The partners that get a details section (default: all up to 500, else the top movers).
    #[arg(long, value_name = "A,B,…", value_delimiter = ',')]
    pub partners: Option<Vec<String>>,
    /// Add a "Does the score predict?" section: `scorecard backtest` of this
    /// outcome (an expression over the input columns, scores and flags).
    #[arg(long, value_name = "EXPR", conflicts_with = "partner")]
    pub outcome: Option<String>,
    /// Periods between the score and the outcome in that section (default 1).
    #[arg(long, value_name = "N", requires = "outcome")]
    pub horizon: Option<usize>,
    /// Stop (exit 1) when the scorecard has warnings, printing them.
    #[arg(long, value_enum)]
    pub deny: Option<super::Deny>,
    #[command(flatten)]
    pub govern: super::govern::GovernArgs,
}

pub fn run(args: &ReportArgs) -> Exit {
    let request = args.outcome.as_deref().map(|outcome| Request {
        outcome,
        treatment: None,
        horizon: args.horizon.unwrap_or(1),
        bootstrap: BOOTSTRAP,
        seed: SEED,
        level: LEVEL,
        min_stratum: MIN_STRATUM,
    });
    if let Some(Err(e)) = request.as_ref().map(Request::validate) {
        return e;
    }
    let (model, sources) = match load_scorecard_denying(&args.scorecard, args.deny) {
        Ok(m) => m,
        Err(e) => return e,
    };
    if let Err(e) = args.data.check_outputs(&[&sources], Some(&args.out)) {
        return e;
    }
    if let Err(e) = args.govern.check_outputs(&args.data.data, Some(&args.out)) {
        return e;
    }
    // The same path as `scorecard backtest`: a bad outcome stops here, before anything is written.
    let backtest = match &request {
        Some(r) => match super::backtest::compute(&args.scorecard, &model, &sources, &args.data, r)
        {
            Ok(report) => Some(view(&report)),
            Err(e) => return e,
        },
        None => None,
    };
    let plan = crate::plan::compile(&model);
    let (pending, needed) = match args.govern.read(&model, &plan.needed_columns) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let mut loaded = match args.data.load(&model, &needed) {
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
    // A partner's own page is not built from some of its rows.
    if let Some(partner) = &args.partner {
        if let Err(e) = refuse_rejected(args, &model, &loaded, partner) {
            return e;
        }
    }
    let audience = match &args.partner {
        Some(p) => Audience::Partner(p.clone()),
        None => Audience::Internal {
            partners: args.partners.clone(),
        },
    };
    let options = Options {
        data_name: args.data.data.file_name().map_or_else(
            || args.data.data.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        audience,
        min_group: model.min_group(),
        backtest,
        governance: (!gov.is_empty()).then_some(gov),
    };
    let html = match report::build(&model, &plan, &loaded.table, &sources, &options) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: {}", crate::escape::terminal(&e.to_string()));
            if let Some(help) = e.help() {
                eprintln!("  help: {}", crate::escape::terminal(&help));
            }
            return Exit::Usage;
        }
    };
    if let Err(e) = write_atomically(&args.out, html.as_bytes()) {
        return super::fail(&format!("cannot write `{}`: {e}", args.out.display()));
    }
    Exit::Clean
}

/// Stop when rows of `partner` were left out under `--on-invalid skip`:
/// its page would show a history with holes, or another latest period.
fn refuse_rejected(
    args: &ReportArgs,
    model: &crate::model::Model,
    loaded: &crate::data::load::Loaded,
    partner: &str,
) -> Result<(), Exit> {
    if loaded.rejected.is_empty() {
        return Ok(());
    }
    let column = |id: Option<crate::model::ColumnId>| {
        id.and_then(|c| model.contract.column(c))
            .map(|c| c.name.as_str())
    };
    let header = super::explain::csv_header(&args.data);
    let fields = crate::explain::rejected::Fields {
        format: args.data.format(),
        header: header.as_deref(),
        key: column(model.contract.key).unwrap_or(""),
        period: column(model.contract.period),
    };
    let own = crate::explain::rejected::rows_of(&loaded.rejected, &fields, partner);
    let Some(first) = own.first() else {
        return Ok(());
    };
    eprintln!(
        "error: {} row{} of partner `{}` {} rejected (line {} first); its page would leave {} out",
        own.len(),
        if own.len() == 1 { "" } else { "s" },
        crate::escape::terminal(partner),
        if own.len() == 1 { "was" } else { "were" },
        first.row.line,
        if own.len() == 1 { "it" } else { "them" },
    );
    eprintln!("  help: correct the row in the data, then write the page again");
    Err(Exit::Findings)
}

// The "Does the score predict?" section: `scorecard backtest`'s report, as
// computed there, laid out for the page. Nothing here computes a statistic.

/// The section's view of a backtest report.
fn view(report: &Report) -> BacktestView {
    BacktestView {
        question: format!(
            "Does the score at period t predict `{}` at t+{}?",
            report.outcome, report.horizon
        ),
        method: format!(
            "{} rows over {} periods. Spearman rank correlation of the score at t with the \
             outcome at t+{}, pooled over all pairs; intervals: {:.0}% percentile bootstrap, \
             {} resamples, seed {}. `scorecard backtest` gives the same numbers and more.",
            report.rows,
            report.periods.len(),
            report.horizon,
            report.level * 100.0,
            report.resamples,
            report.seed,
        ),
        binary: report.binary,
        scores: report.scores.iter().map(|s| score(report, s)).collect(),
    }
}

fn score(report: &Report, s: &ScoreBacktest) -> BacktestScore {
    let l = &s.left_out;
    BacktestScore {
        name: s.score.clone(),
        pairs: s.pooled.n.to_string(),
        spearman: num(s.pooled.spearman, 3),
        interval: interval(s.pooled.interval.as_ref()),
        auc: num(s.auc, 3),
        lift: s.top_tier_lift.as_ref().map_or("—".to_string(), |t| {
            format!(
                "{} ({}: rate {} over {} pairs, overall {})",
                num(t.lift, 2),
                t.tier,
                num(t.rate, 3),
                t.n,
                num(t.overall_rate, 3)
            )
        }),
        tiers: s
            .tiers
            .iter()
            .map(|g| BacktestTier {
                label: g.label.clone(),
                pairs: g.n.to_string(),
                mean: num(g.mean_outcome, 3),
            })
            .collect(),
        verdict: verdict(s.tiers_monotonic).to_string(),
        drift: s
            .drift
            .iter()
            .map(|d| BacktestDrift {
                periods: format!("{} → {}", d.from, d.to),
                psi: num(d.psi, 4),
            })
            .collect(),
        left_out: format!(
            "Left out: {} rows in the last {} period(s), {} without a row at t+{}, {} with the \
             score missing, {} with the outcome missing.",
            l.last_periods,
            report.horizon,
            l.no_row_at_horizon,
            report.horizon,
            l.score_missing,
            l.outcome_missing
        ),
    }
}
