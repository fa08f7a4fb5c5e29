//! `backtest`: does the score at period t predict an outcome at t+N?
//!
//! The outcome (and a treatment given as an expression) are added to the
//! scorecard's text as output columns and checked with it, so they are typed
//! and resolved like any expression. Each row at period t is paired with the
//! same partner's row at the N-th period after t (periods in the data's
//! order); rows without that row, with a missing score or a missing outcome
//! are counted and left out, never guessed.

use std::collections::HashMap;

use serde::Serialize;

use super::stats::{self, Interval};
use crate::data::table::{Column, MISSING_BOOL, Table};
use crate::eval::{self, Col, Context, PeriodChoice, Selection};
use crate::model::Model;
use crate::syntax::ast::{self, Decl};

/// The output column that carries the outcome.
pub const OUTCOME: &str = "backtest_outcome__";
/// The output column that carries a treatment given as an expression.
pub const TREATMENT: &str = "backtest_treatment__";

/// `text` with the outcome (and treatment) expressions added as columns of
/// its `output` block (a block is added when it has none).
pub fn instrument(text: &str, tree: &ast::File, outcome: &str, treatment: Option<&str>) -> String {
    let mut lines = format!("  {OUTCOME} = ({outcome})\n");
    if let Some(t) = treatment {
        lines.push_str(&format!("  {TREATMENT} = ({t})\n"));
    }
    let output = tree.decls.iter().find_map(|d| match d {
        Decl::Output(o) => Some(o.span),
        _ => None,
    });
    let close = output.and_then(|span| text.get(..span.end).and_then(|t| t.rfind('}')));
    match close {
        Some(at) => {
            let (before, after) = text.split_at(at);
            format!("{before}\n{lines}{after}")
        }
        None => format!("{text}\n\noutput {{\n{lines}}}\n"),
    }
}

/// How the treatment is told.
#[derive(Clone, Debug)]
pub enum Treatment {
    /// Rows for which a rule gave this action.
    Action(String),
    /// Rows where the [`TREATMENT`] column is true.
    Expression(String),
}

#[derive(Clone, Debug)]
pub struct Options {
    pub horizon: usize,
    pub resamples: usize,
    pub seed: u64,
    pub level: f64,
    pub treatment: Option<Treatment>,
    /// Strata with fewer treated or control rows than this get a warning.
    pub min_stratum: usize,
}

/// A correlation over some pairs.
#[derive(Clone, Debug, Serialize)]
pub struct Correlation {
    /// `None` for the pooled figure.
    pub period: Option<String>,
    pub n: usize,
    pub spearman: Option<f64>,
    pub interval: Option<Interval>,
}

/// The mean outcome of a group of pairs.
#[derive(Clone, Debug, Serialize)]
pub struct Group {
    pub label: String,
    pub n: usize,
    pub mean_outcome: Option<f64>,
    /// The lowest and highest score in the group.
    pub score_low: Option<f64>,
    pub score_high: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Drift {
    pub from: String,
    pub to: String,
    pub psi: Option<f64>,
}

/// The lift of the top tier for a true/false outcome.
#[derive(Clone, Debug, Serialize)]
pub struct Lift {
    pub tier: String,
    pub n: usize,
    pub rate: Option<f64>,
    pub overall_rate: Option<f64>,
    pub lift: Option<f64>,
}

/// Treatment against control within one tier.
#[derive(Clone, Debug, Serialize)]
pub struct Stratum {
    pub tier: String,
    pub treated: usize,
    pub control: usize,
    pub mean_treated: Option<f64>,
    pub mean_control: Option<f64>,
    /// `mean_treated − mean_control`, with its normal-approximation interval.
    pub difference: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Why the stratum is too small to say anything, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// Rows that were not paired, by reason.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LeftOut {
    /// Rows in the last N periods: there is no period t+N in the data.
    pub last_periods: usize,
    /// Rows whose partner has no row at t+N.
    pub no_row_at_horizon: usize,
    pub score_missing: usize,
    pub outcome_missing: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScoreBacktest {
    pub score: String,
    pub pairs: usize,
    pub left_out: LeftOut,
    pub pooled: Correlation,
    pub periods: Vec<Correlation>,
    pub tiers: Vec<Group>,
    /// Mean outcome never rising from a tier to the tier below it (declared
    /// order), over tiers with pairs; `None` without tiers.
    pub tiers_monotonic: Option<bool>,
    pub deciles: Vec<Group>,
    /// Mean outcome never falling from a decile to the next.
    pub deciles_monotonic: Option<bool>,
    pub auc: Option<f64>,
    pub top_tier_lift: Option<Lift>,
    pub drift: Vec<Drift>,
    pub treatment: Vec<Stratum>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub outcome: String,
    /// Whether the outcome is true/false (AUC and lift apply).
    pub binary: bool,
    pub horizon: usize,
    pub periods: Vec<String>,
    pub rows: usize,
    pub resamples: usize,
    pub seed: u64,
    pub level: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub treatment: Option<String>,
    pub scores: Vec<ScoreBacktest>,
}

/// One evaluated row.
struct Row {
    key: String,
    period: usize,
    scores: Vec<f64>,
    tiers: Vec<Option<u32>>,
    outcome: f64,
    treated: Option<bool>,
}

/// Why a backtest cannot run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused(pub String);

fn output_index(plan: &crate::plan::Plan, name: &str) -> Option<usize> {
    plan.outputs.iter().position(|c| c.name == name)
}

fn value_of(col: Option<&Col>, i: usize) -> Result<f64, Refused> {
    match col {
        Some(Col::Num(v)) => Ok(v.get(i).copied().unwrap_or(f64::NAN)),
        Some(Col::Bool(v)) => Ok(match v.get(i) {
            Some(1) => 1.0,
            Some(0) => 0.0,
            _ => f64::NAN,
        }),
        _ => Err(Refused(
            "the outcome must be a number or true/false".to_string(),
        )),
    }
}

/// Score every row of `table` with `model` (instrumented by [`instrument`])
/// and run the backtest.
pub fn backtest(
    model: &Model,
    table: &Table,
    outcome: &str,
    options: &Options,
) -> Result<Report, Refused> {
    let Some(period_col) = model.contract.period else {
        return Err(Refused(
            "backtest needs a period column: the scorecard's input names none".to_string(),
        ));
    };
    let periods_text = match table.columns.get(period_col.index()) {
        Some(Column::Text(t)) => t,
        _ => return Err(Refused("the period column could not be read".to_string())),
    };
    let mut periods: Vec<String> = (0..table.rows)
        .map(|r| periods_text.get(r).to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    periods.retain(|p| !p.is_empty());
    let period_index: HashMap<&str, usize> = periods
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i))
        .collect();
    let plan = crate::plan::compile(model);
    let outcome_at = output_index(&plan, OUTCOME)
        .ok_or_else(|| Refused("the outcome column is missing".to_string()))?;
    let treatment_at = output_index(&plan, TREATMENT);
    let ordered = eval::order_rows(model, table);
    let mut ctx = Context::new(model, &plan, table, &ordered);
    let keys = match model
        .contract
        .key
        .and_then(|c| table.columns.get(c.index()))
    {
        Some(Column::Text(t)) => Some(t),
        _ => None,
    };
    let selection = Selection {
        period: PeriodChoice::All,
        partner: None,
    };
    let action = match &options.treatment {
        Some(Treatment::Action(a)) => Some(a.clone()),
        _ => None,
    };
    let mut rows: Vec<Row> = Vec::new();
    let mut refused = None;
    let mut binary = true;
    eval::evaluate(
        &mut ctx,
        |batch| {
            let mut out = Vec::new();
            let mut problem = None;
            let mut all_bool = matches!(batch.outputs.get(outcome_at), Some(Col::Bool(_)));
            for i in 0..batch.len {
                if !eval::selected(batch, i, &selection) {
                    continue;
                }
                let row = batch.rows.get(i).copied().unwrap_or(0) as usize;
                let outcome = match value_of(batch.outputs.get(outcome_at), i) {
                    Ok(v) => v,
                    Err(e) => {
                        problem = Some(e);
                        break;
                    }
                };
                let treated = match (&action, treatment_at) {
                    (Some(a), _) => Some(eval::actions_of(batch, i).contains(&a.as_str())),
                    (None, Some(t)) => match batch.outputs.get(t) {
                        Some(Col::Bool(v)) => match v.get(i) {
                            Some(x) if *x != MISSING_BOOL => Some(*x == 1),
                            _ => None,
                        },
                        _ => {
                            problem = Some(Refused(
                                "the treatment must be true/false, an action or a flag".to_string(),
                            ));
                            break;
                        }
                    },
                    (None, None) => None,
                };
                let scores = batch
                    .scores
                    .iter()
                    .map(|s| {
                        s.as_ref()
                            .and_then(|v| v.reported.get(i).copied())
                            .unwrap_or(f64::NAN)
                    })
                    .collect();
                let tiers = batch
                    .scores
                    .iter()
                    .map(|s| s.as_ref().and_then(|v| v.tier.get(i).copied()))
                    .collect();
                out.push((
                    keys.map_or("", |k| k.get(row)).to_string(),
                    periods_text.get(row).to_string(),
                    scores,
                    tiers,
                    outcome,
                    treated,
                ));
            }
            all_bool &= problem.is_none();
            (out, problem, all_bool)
        },
        |(batch_rows, problem, all_bool)| {
            if problem.is_some() && refused.is_none() {
                refused = problem;
            }
            binary &= all_bool || batch_rows.is_empty();
            for (key, period, scores, tiers, outcome, treated) in batch_rows {
                if let Some(p) = period_index.get(period.as_str()) {
                    rows.push(Row {
                        key,
                        period: *p,
                        scores,
                        tiers,
                        outcome,
                        treated,
                    });
                }
            }
        },
    );
    if let Some(r) = refused {
        return Err(r);
    }
    let at: HashMap<(&str, usize), usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| ((r.key.as_str(), r.period), i))
        .collect();
    let scores = model
        .scores
        .iter()
        .enumerate()
        .map(|(s, def)| score_backtest(model, s, def, &rows, &at, &periods, binary, options))
        .collect();
    Ok(Report {
        outcome: outcome.to_string(),
        binary,
        horizon: options.horizon,
        periods: periods.clone(),
        rows: rows.len(),
        resamples: options.resamples,
        seed: options.seed,
        level: options.level,
        treatment: options.treatment.as_ref().map(|t| match t {
            Treatment::Action(a) => format!("action \"{a}\""),
            Treatment::Expression(e) => e.clone(),
        }),
        scores,
    })
}

/// One pair: the score and tier at t, the outcome at t+N, the period t.
struct Pair {
    score: f64,
    tier: Option<u32>,
    outcome: f64,
    period: usize,
    treated: Option<bool>,
}

#[allow(clippy::too_many_arguments)]
fn score_backtest(
    model: &Model,
    s: usize,
    def: &crate::model::ScoreDef,
    rows: &[Row],
    at: &HashMap<(&str, usize), usize>,
    periods: &[String],
    binary: bool,
    options: &Options,
) -> ScoreBacktest {
    let mut left_out = LeftOut::default();
    let mut pairs = Vec::new();
    for row in rows {
        let target = row.period + options.horizon;
        if target >= periods.len() {
            left_out.last_periods += 1;
            continue;
        }
        let Some(later) = at
            .get(&(row.key.as_str(), target))
            .and_then(|i| rows.get(*i))
        else {
            left_out.no_row_at_horizon += 1;
            continue;
        };
        let score = row.scores.get(s).copied().unwrap_or(f64::NAN);
        if !score.is_finite() {
            left_out.score_missing += 1;
            continue;
        }
        if !later.outcome.is_finite() {
            left_out.outcome_missing += 1;
            continue;
        }
        pairs.push(Pair {
            score,
            tier: row.tiers.get(s).copied().flatten(),
            outcome: later.outcome,
            period: row.period,
            treated: row.treated,
        });
    }
    let correlation = |period: Option<usize>| {
        let chosen: Vec<&Pair> = pairs
            .iter()
            .filter(|p| period.is_none_or(|t| p.period == t))
            .collect();
        let x: Vec<f64> = chosen.iter().map(|p| p.score).collect();
        let y: Vec<f64> = chosen.iter().map(|p| p.outcome).collect();
        Correlation {
            period: period.and_then(|t| periods.get(t).cloned()),
            n: chosen.len(),
            spearman: stats::spearman(&x, &y),
            interval: stats::bootstrap_spearman(
                &x,
                &y,
                options.resamples,
                options.seed,
                options.level,
            ),
        }
    };
    let tier_labels: Vec<String> = def
        .tiers
        .as_ref()
        .and_then(|t| model.enum_type(t.labels))
        .map(|e| e.labels.clone())
        .unwrap_or_default();
    let ranked_tiers = def.tiers.as_ref().map_or(0, |t| t.tiers.len());
    let tiers: Vec<Group> = tier_labels
        .iter()
        .enumerate()
        .map(|(k, label)| {
            let g = group(
                label.clone(),
                pairs.iter().filter(|p| p.tier == Some(k as u32)),
            );
            (k, g)
        })
        // The declared tiers always; `provisional` and `insufficient_data` when they occur.
        .filter(|(k, g)| *k < ranked_tiers || g.n > 0)
        .map(|(_, g)| g)
        .collect();
    let ranked: Vec<&Group> = tiers.iter().take(ranked_tiers).collect();
    let scores: Vec<f64> = pairs.iter().map(|p| p.score).collect();
    let decile_of = stats::deciles(&scores);
    let deciles: Vec<Group> = (0..10)
        .map(|d| {
            group(
                format!("{}", d + 1),
                pairs
                    .iter()
                    .zip(&decile_of)
                    .filter(|(_, k)| **k == d)
                    .map(|(p, _)| p),
            )
        })
        .collect();
    let outcomes: Vec<bool> = pairs.iter().map(|p| p.outcome == 1.0).collect();
    let overall_rate = mean(pairs.iter().map(|p| p.outcome));
    let top_tier_lift = (binary && ranked_tiers > 0)
        .then(|| ranked.first())
        .flatten()
        .map(|top| Lift {
            tier: top.label.clone(),
            n: top.n,
            rate: top.mean_outcome,
            overall_rate,
            lift: match (top.mean_outcome, overall_rate) {
                (Some(r), Some(o)) if o > 0.0 => Some(r / o),
                _ => None,
            },
        });
    let drift = periods
        .windows(2)
        .enumerate()
        .filter_map(|(t, w)| {
            let [from, to] = w else { return None };
            let values = |p: usize| -> Vec<f64> {
                rows.iter()
                    .filter(|r| r.period == p)
                    .filter_map(|r| r.scores.get(s).copied().filter(|v| v.is_finite()))
                    .collect()
            };
            Some(Drift {
                from: from.clone(),
                to: to.clone(),
                psi: stats::psi(&values(t), &values(t + 1)),
            })
        })
        .collect();
    let treatment = if options.treatment.is_some() {
        strata(&tier_labels, &pairs, options.min_stratum)
    } else {
        Vec::new()
    };
    ScoreBacktest {
        score: def.name.clone(),
        pairs: pairs.len(),
        left_out,
        pooled: correlation(None),
        periods: (0..periods.len())
            .map(|t| correlation(Some(t)))
            .filter(|c| c.n > 0)
            .collect(),
        tiers_monotonic: (ranked_tiers > 0)
            .then(|| monotonic(ranked.iter().filter_map(|g| g.mean_outcome), |a, b| b <= a)),
        tiers,
        deciles_monotonic: Some(monotonic(
            deciles.iter().filter_map(|g| g.mean_outcome),
            |a, b| b >= a,
        )),
        deciles,
        auc: if binary {
            stats::auc(&scores, &outcomes)
        } else {
            None
        },
        top_tier_lift,
        drift,
        treatment,
    }
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

fn group<'a>(label: String, pairs: impl Iterator<Item = &'a Pair> + Clone) -> Group {
    let scores = pairs.clone().map(|p| p.score);
    Group {
        label,
        n: pairs.clone().count(),
        mean_outcome: mean(pairs.map(|p| p.outcome)),
        score_low: scores.clone().reduce(f64::min),
        score_high: scores.reduce(f64::max),
    }
}

fn monotonic(values: impl Iterator<Item = f64>, ok: impl Fn(f64, f64) -> bool) -> bool {
    let v: Vec<f64> = values.collect();
    v.windows(2).all(|w| matches!(w, [a, b] if ok(*a, *b)))
}

/// Treatment against control per tier at t: the difference of the mean
/// outcomes with a normal-approximation interval (Welch's standard error,
/// z = 1.96).
/// A score without tiers is one stratum of all its pairs.
fn strata(labels: &[String], pairs: &[Pair], min: usize) -> Vec<Stratum> {
    let all = ["all rows".to_string()];
    let (labels, whole) = if labels.is_empty() {
        (&all[..], true)
    } else {
        (labels, false)
    };
    labels
        .iter()
        .enumerate()
        .filter_map(|(k, label)| {
            let in_tier: Vec<&Pair> = pairs
                .iter()
                .filter(|p| whole || p.tier == Some(k as u32))
                .collect();
            if in_tier.is_empty() {
                return None;
            }
            let side = |t: bool| -> Vec<f64> {
                in_tier
                    .iter()
                    .filter(|p| p.treated == Some(t))
                    .map(|p| p.outcome)
                    .collect()
            };
            let (treated, control) = (side(true), side(false));
            let (mt, mc) = (
                mean(treated.iter().copied()),
                mean(control.iter().copied()),
            );
            let variance = |v: &[f64], m: Option<f64>| -> Option<f64> {
                let m = m?;
                (v.len() >= 2).then(|| {
                    v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64
                })
            };
            let difference = mt.zip(mc).map(|(a, b)| a - b);
            let se = variance(&treated, mt)
                .zip(variance(&control, mc))
                .map(|(a, b)| (a / treated.len() as f64 + b / control.len() as f64).sqrt());
            let half = se.map(|s| 1.96 * s);
            let warning = (treated.len() < min || control.len() < min).then(|| {
                format!(
                    "{} treated and {} control rows: fewer than {min} on a side, too few to say anything",
                    treated.len(),
                    control.len()
                )
            });
            Some(Stratum {
                tier: label.clone(),
                treated: treated.len(),
                control: control.len(),
                mean_treated: mt,
                mean_control: mc,
                difference,
                low: difference.zip(half).map(|(d, h)| d - h),
                high: difference.zip(half).map(|(d, h)| d + h),
                warning,
            })
        })
        .collect()
}
