//! Running the test cases written in a scorecard (`test "…" { given … expect … }`).
//!
//! Each test is scored on its own rows — given inline, read from data files,
//! or both — and every expectation is judged on one row of one partner: the
//! partner the test names (or the only one its rows have), at the period it
//! names (or that partner's latest).

pub mod coverage;
pub mod govern;
pub mod junit;
pub mod snapshot;

use std::path::Path;

use serde::Serialize;

use crate::data::header::DataFormat;
use crate::data::load::{self, OnInvalid};
use crate::data::table::Table;
use crate::diag::{Code, Diagnostic};
use crate::eval::{self, Col, Context, PeriodChoice, Selection};
use crate::model::*;
use crate::plan::{CExpr, OutputColumn, Plan};
use crate::source::SourceMap;
use crate::syntax::ast::{CmpOp, StateWord};

/// How one test went.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub name: String,
    #[serde(skip)]
    pub loc: Loc,
    /// The partner and period the expectations were judged on.
    pub partner: Option<String>,
    pub period: Option<String>,
    pub expectations: usize,
    /// Expectations not met, and anything that kept the test from running.
    #[serde(skip)]
    pub failures: Vec<Diagnostic>,
    /// The explanation of the scores the failed expectations are about.
    pub explanation: Option<String>,
    pub seconds: f64,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// A row's values as a test sees them.
#[derive(Clone, Debug)]
struct Observed {
    period: String,
    /// One per expectation: the value, as text for messages.
    values: Vec<Value>,
    actions: Vec<String>,
    flags: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
enum Value {
    Number(f64),
    Text(String),
    Bool(bool),
    Missing,
    /// A score's state: (provisional, insufficient).
    Score {
        value: f64,
        provisional: bool,
        insufficient: bool,
    },
}

impl Value {
    fn describe(&self) -> String {
        match self {
            Value::Number(x) | Value::Score { value: x, .. } if x.is_nan() => "missing".to_string(),
            Value::Number(x) | Value::Score { value: x, .. } => number(*x),
            Value::Text(t) => t.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Missing => "missing".to_string(),
        }
    }
}

fn number(x: f64) -> String {
    let mut out = String::new();
    // Enough decimals to see why a tolerance failed, without binary noise.
    crate::render::push_decimal(&mut out, x, 4);
    let trimmed = out.trim_end_matches('0').trim_end_matches('.');
    trimmed.to_string()
}

fn expected_text(v: &TestValue) -> String {
    match v {
        TestValue::Number(x) => number(*x),
        TestValue::Text(t) => t.clone(),
        TestValue::Bool(b) => b.to_string(),
        TestValue::Missing => "missing".to_string(),
    }
}

/// Run the scorecard's tests whose name contains `filter` (all when `None`).
pub fn run(
    model: &Model,
    sources: &SourceMap,
    scorecard: &Path,
    filter: Option<&str>,
) -> Vec<Outcome> {
    model
        .tests
        .iter()
        .filter(|t| filter.is_none_or(|f| t.name.contains(f)))
        .map(|t| run_one(model, sources, scorecard, t))
        .collect()
}

/// The rubric-level coverage of the tests whose name contains `filter`: every
/// row of each test's data (its given rows and data files, corrected as the
/// test corrects them) is explained and counted. Tests whose data cannot be
/// read, or whose corrections or overrides cannot be applied, add nothing.
pub fn coverage(
    model: &Model,
    sources: &SourceMap,
    scorecard: &Path,
    filter: Option<&str>,
) -> coverage::Coverage {
    let mut found = coverage::Coverage::of(model, sources);
    let plan = crate::plan::compile(model);
    for test in model
        .tests
        .iter()
        .filter(|t| filter.is_none_or(|f| t.name.contains(f)))
    {
        let Ok(mut table) = table(model, scorecard, test) else {
            continue;
        };
        // The rows as the test scores them: corrected (a test whose lines
        // cannot be applied adds nothing, as one whose data cannot be read).
        let tier_overrides = match governed(model, sources, scorecard, test, &mut table) {
            Ok((gov, failures)) if failures.is_empty() => crate::govern::tier_overrides(&gov),
            _ => continue,
        };
        for e in crate::explain::explain_rows(model, &plan, &table, sources, &tier_overrides) {
            found.record(model, &e);
        }
    }
    found
}

fn not_run(test: &TestDef, at: Loc, message: String, help: &str) -> Outcome {
    Outcome {
        name: test.name.clone(),
        loc: test.loc,
        partner: None,
        period: None,
        expectations: test.expects.len(),
        failures: vec![
            Diagnostic::new(Code::E002, at.file, at.span, message)
                .label("this test")
                .help(help),
        ],
        explanation: None,
        seconds: 0.0,
    }
}

/// The test's rows: its data files, then its given rows.
fn table(model: &Model, scorecard: &Path, test: &TestDef) -> Result<Table, (Loc, String, String)> {
    let base = scorecard.parent().unwrap_or(Path::new("."));
    let all = vec![true; model.contract.columns.len()];
    let mut table: Option<Table> = None;
    for (path, at) in &test.files {
        let full = base.join(path);
        match load::load(
            &full,
            DataFormat::from_path(&full),
            model,
            &all,
            OnInvalid::Fail,
        ) {
            Ok(loaded) => match &mut table {
                Some(t) => t.append(loaded.table),
                None => table = Some(loaded.table),
            },
            Err(load::LoadError::Io(e)) => {
                return Err((
                    *at,
                    format!(
                        "cannot read the test data `{path}`: {}",
                        crate::check::load::io_reason(&e)
                    ),
                    "the path is relative to the scorecard's directory".to_string(),
                ));
            }
            Err(load::LoadError::Invalid(problems, total)) => {
                let first = problems
                    .first()
                    .map(|p| format!(" (line {}: {})", p.line, p.message))
                    .unwrap_or_default();
                return Err((
                    *at,
                    format!(
                        "the test data `{path}` has {total} problem{}{first}",
                        if total == 1 { "" } else { "s" }
                    ),
                    "run `scorecard score` on it to see every problem".to_string(),
                ));
            }
        }
    }
    let given = crate::data::given::table_from_rows(model, &test.rows);
    match &mut table {
        Some(t) => t.append(given),
        None => table = Some(given),
    }
    let table = table.unwrap_or_default();
    if let Some((first, second)) = mixed_periods(model, &table) {
        return Err((
            test.loc,
            format!("the test's periods `{first}` and `{second}` are written in two forms"),
            "write every period in one form: quarters such as `2025Q1`, months such as `2025-01` or years such as `2025`".to_string(),
        ));
    }
    Ok(table)
}

/// The first two period labels of the table written in different forms
/// (a data file with such labels is refused when it is loaded, `D025`).
fn mixed_periods(model: &Model, table: &Table) -> Option<(String, String)> {
    let column = model.contract.period?;
    let Some(crate::data::table::Column::Text(periods)) = table.columns.get(column.index()) else {
        return None;
    };
    let (a, b) = crate::eval::mixed_period_formats((0..table.rows).map(|r| periods.get(r)))?;
    Some((periods.get(a).to_string(), periods.get(b).to_string()))
}

/// The partner the expectations are about.
fn partner(model: &Model, test: &TestDef, table: &Table) -> Result<String, String> {
    if let Some(p) = &test.partner {
        return Ok(p.clone());
    }
    let keys = match model
        .contract
        .key
        .and_then(|k| table.columns.get(k.index()))
    {
        Some(crate::data::table::Column::Text(t)) => t,
        _ => return Err("the scorecard has no key column".to_string()),
    };
    let mut distinct: Vec<&str> = Vec::new();
    for i in 0..keys.len() {
        let k = keys.get(i);
        if !distinct.contains(&k) {
            distinct.push(k);
            if distinct.len() > 1 {
                return Err(
                    "the test's rows hold several partners; name one with `partner \"…\"`"
                        .to_string(),
                );
            }
        }
    }
    distinct
        .first()
        .map(|k| (*k).to_string())
        .ok_or_else(|| "the test has no rows".to_string())
}

fn run_one(model: &Model, sources: &SourceMap, scorecard: &Path, test: &TestDef) -> Outcome {
    let clock = std::time::Instant::now();
    let mut table = match table(model, scorecard, test) {
        Ok(t) => t,
        Err((at, message, help)) => return not_run(test, at, message, &help),
    };
    let (gov, failures) = match governed(model, sources, scorecard, test, &mut table) {
        Ok(g) => g,
        Err(failures) => (crate::govern::Governance::default(), failures),
    };
    if !failures.is_empty() {
        return Outcome {
            name: test.name.clone(),
            loc: test.loc,
            partner: None,
            period: None,
            expectations: test.expects.len(),
            failures,
            explanation: None,
            seconds: clock.elapsed().as_secs_f64(),
        };
    }
    let table = table;
    let partner = match partner(model, test, &table) {
        Ok(p) => p,
        Err(message) => {
            return not_run(
                test,
                test.loc,
                message,
                "add `partner \"P000001\"` to the test",
            );
        }
    };
    let mut plan = crate::plan::compile(model);
    let first_extra = plan.outputs.len();
    for (k, expect) in test.expects.iter().enumerate() {
        let target = match &expect.kind {
            ExpectKindDef::State { target, .. } | ExpectKindDef::Compare { target, .. } => target,
            _ => continue,
        };
        let expr =
            crate::plan::compile_extra(model, &mut plan, target).unwrap_or(CExpr::Num(f64::NAN));
        plan.outputs.push(OutputColumn {
            name: format!("expectation {k}"),
            expr,
            ty: target.ty,
            decimals: DEFAULT_DECIMALS,
            if_missing: None,
            if_empty: None,
        });
    }
    let tier_overrides = crate::govern::tier_overrides(&gov);
    let observed = observe(
        model,
        &plan,
        &table,
        &partner,
        first_extra,
        test,
        &tier_overrides,
    );
    let Some(row) = (match &test.period {
        Some(p) => observed.iter().find(|o| &o.period == p),
        None => observed.last(),
    }) else {
        let message = match &test.period {
            Some(p) if !observed.is_empty() => {
                let periods: Vec<&str> = observed.iter().map(|o| o.period.as_str()).collect();
                format!(
                    "partner `{partner}` has no row for period `{p}` (it has {})",
                    periods.join(", ")
                )
            }
            _ => format!("no row of the test's data belongs to partner `{partner}`"),
        };
        return not_run(
            test,
            test.loc,
            message,
            "check the test's `partner` and `period`",
        );
    };
    let mut failures = Vec::new();
    let mut explain_scores: Vec<String> = Vec::new();
    for (k, expect) in test.expects.iter().enumerate() {
        let value = row.values.get(k).cloned().unwrap_or(Value::Missing);
        let (met, expected, actual) = judge(model, expect, &value, row);
        if met {
            continue;
        }
        if let ExpectKindDef::State { target, .. } | ExpectKindDef::Compare { target, .. } =
            &expect.kind
        {
            if let ExprKind::Score(s, _) | ExprKind::Tier(s) | ExprKind::ComputedTier(s) =
                target.kind
            {
                if let Some(def) = model.score(s) {
                    if !explain_scores.contains(&def.name) {
                        explain_scores.push(def.name.clone());
                    }
                }
            }
        }
        // Quote the expectation as written when it compares a value: `tier(overall) == middle`.
        let written = sources
            .text(expect.loc.file)
            .get(expect.loc.span.range())
            .map(|t| t.trim_start_matches("expect").trim().to_string())
            .filter(|t| !t.is_empty() && matches!(expect.kind, ExpectKindDef::Compare { .. }));
        let expected = written.map_or(expected, |w| format!("`{w}`"));
        failures.push(
            Diagnostic::new(
                Code::E001,
                expect.loc.file,
                expect.loc.span,
                format!("expected {expected}, got {actual}"),
            )
            .label(format!("got {actual}"))
            .help(format!("partner `{partner}`, period `{}`; if the new value is intended, change the expectation", row.period)),
        );
    }
    let explanation = if explain_scores.is_empty() {
        None
    } else {
        let plan = crate::plan::compile(model);
        crate::explain::explain_overridden(
            model,
            &plan,
            &table,
            sources,
            &partner,
            Some(&row.period),
            &tier_overrides,
        )
        .ok()
        .map(|e| excerpt(&crate::explain::text(&e), &explain_scores))
    };
    Outcome {
        name: test.name.clone(),
        loc: test.loc,
        partner: Some(partner),
        period: Some(row.period.clone()),
        expectations: test.expects.len(),
        failures,
        explanation,
        seconds: clock.elapsed().as_secs_f64(),
    }
}

/// Apply the test's corrections and overrides to its table: the failures
/// are the problems that keep a line from applying.
fn governed(
    model: &Model,
    sources: &SourceMap,
    scorecard: &Path,
    test: &TestDef,
    table: &mut Table,
) -> Result<(crate::govern::Governance, Vec<Diagnostic>), Vec<Diagnostic>> {
    if test.corrections.is_empty() && test.overrides.is_empty() {
        return Ok((crate::govern::Governance::default(), Vec::new()));
    }
    let corrections = govern::test_lines(sources, scorecard, &test.corrections, false)?;
    let overrides = govern::test_lines(sources, scorecard, &test.overrides, true)?;
    let plan = crate::plan::compile(model);
    Ok(govern::apply(
        model,
        &plan,
        table,
        corrections.as_ref(),
        overrides.as_ref(),
    ))
}

/// The sections of an explanation about these scores.
fn excerpt(text: &str, scores: &[String]) -> String {
    let mut out = String::new();
    let mut keep = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("score ") {
            let name = rest.split([':', ' ']).next().unwrap_or("");
            keep = scores.iter().any(|s| s == name);
        } else if !line.starts_with(' ') && !line.is_empty() {
            keep = false;
        }
        if keep && !line.trim().is_empty() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

/// The partner's rows, with the value of every expectation's target.
fn observe(
    model: &Model,
    plan: &Plan,
    table: &Table,
    partner: &str,
    first_extra: usize,
    test: &TestDef,
    tier_overrides: &crate::explain::TierOverrides,
) -> Vec<Observed> {
    let ordered = eval::order_rows(model, table);
    let mut ctx = Context::new(model, plan, table, &ordered);
    // Expectations, rules and flags see the reported tier.
    ctx.tier_overrides = tier_overrides.clone();
    let selection = Selection {
        period: PeriodChoice::All,
        partner: Some(partner.to_string()),
    };
    let period_col = model
        .contract
        .period
        .and_then(|p| table.columns.get(p.index()));
    let mut rows: Vec<Observed> = Vec::new();
    eval::evaluate(
        &mut ctx,
        |batch| {
            let mut found = Vec::new();
            for i in 0..batch.len {
                if !eval::selected(batch, i, &selection) {
                    continue;
                }
                let table_row = batch.rows.get(i).copied().unwrap_or(0) as usize;
                let period = match period_col {
                    Some(crate::data::table::Column::Text(t)) => t.get(table_row).to_string(),
                    _ => String::new(),
                };
                let mut values = Vec::new();
                let mut extra = first_extra;
                for expect in &test.expects {
                    let target = match &expect.kind {
                        ExpectKindDef::State { target, .. }
                        | ExpectKindDef::Compare { target, .. } => target,
                        _ => {
                            values.push(Value::Missing);
                            continue;
                        }
                    };
                    let column = batch.ctx.plan.outputs.get(extra);
                    let col = batch.outputs.get(extra);
                    extra += 1;
                    values.push(match (column, col) {
                        (Some(column), Some(col)) => value_of(batch, target, column, col, i),
                        _ => Value::Missing,
                    });
                }
                found.push(Observed {
                    period,
                    values,
                    actions: eval::actions_of(batch, i)
                        .into_iter()
                        .map(String::from)
                        .collect(),
                    flags: eval::flags_of(batch, i)
                        .into_iter()
                        .map(String::from)
                        .collect(),
                });
            }
            found
        },
        |found| rows.extend(found),
    );
    rows
}

fn value_of(
    batch: &eval::Batch<'_>,
    target: &Expr,
    column: &OutputColumn,
    col: &Col,
    i: usize,
) -> Value {
    let state = |s: ScoreId| {
        let v = batch.scores.get(s.index()).and_then(|v| v.as_ref());
        let flag = |f: Option<&Vec<u8>>| f.and_then(|x| x.get(i)).is_some_and(|x| *x == 1);
        (
            flag(v.map(|v| &v.provisional)),
            flag(v.map(|v| &v.insufficient)),
        )
    };
    if let ExprKind::Score(s, _) = target.kind {
        let value = match col {
            Col::Num(v) => v.get(i).copied().unwrap_or(f64::NAN),
            _ => f64::NAN,
        };
        let (provisional, insufficient) = state(s);
        return Value::Score {
            value,
            provisional,
            insufficient,
        };
    }
    if col.is_missing(i) {
        return Value::Missing;
    }
    match col {
        Col::Num(v) => Value::Number(v.get(i).copied().unwrap_or(f64::NAN)),
        Col::Bool(v) => Value::Bool(v.get(i) == Some(&1)),
        _ => {
            let mut text = String::new();
            crate::render::cell(batch, column, col, i, &mut text);
            Value::Text(text)
        }
    }
}

/// Whether an expectation holds, and how to say what was expected and found.
fn judge(
    model: &Model,
    expect: &ExpectDef,
    value: &Value,
    row: &Observed,
) -> (bool, String, String) {
    let list = |items: &[String]| {
        if items.is_empty() {
            "none".to_string()
        } else {
            items.join(", ")
        }
    };
    match &expect.kind {
        ExpectKindDef::Actions { negated, label } => {
            let has = row.actions.iter().any(|a| a == label);
            let word = if *negated { "no action" } else { "the action" };
            (
                has != *negated,
                format!("{word} {label:?}"),
                format!("actions {}", list(&row.actions)),
            )
        }
        ExpectKindDef::Flags { negated, flag } => {
            let name = model
                .flag(*flag)
                .map(|f| f.name.clone())
                .unwrap_or_default();
            let has = row.flags.contains(&name);
            let word = if *negated { "no flag" } else { "the flag" };
            (
                has != *negated,
                format!("{word} `{name}`"),
                format!("flags {}", list(&row.flags)),
            )
        }
        ExpectKindDef::State { negated, state, .. } => {
            let (is, actual) = match (state, value) {
                (StateWord::Provisional, Value::Score { provisional, .. }) => (
                    *provisional,
                    if *provisional {
                        "provisional"
                    } else {
                        "not provisional"
                    },
                ),
                (StateWord::Insufficient, Value::Score { insufficient, .. }) => (
                    *insufficient,
                    if *insufficient {
                        "insufficient data"
                    } else {
                        "enough data"
                    },
                ),
                (StateWord::Missing, v) => {
                    let missing = matches!(v, Value::Missing)
                        || matches!(v, Value::Score { value, .. } if value.is_nan());
                    (missing, if missing { "missing" } else { "a value" })
                }
                _ => (false, "not a score"),
            };
            let what = match state {
                StateWord::Provisional => "provisional",
                StateWord::Insufficient => "insufficient",
                StateWord::Missing => "missing",
            };
            let expected = if *negated {
                format!("not {what}")
            } else {
                what.to_string()
            };
            let actual = if matches!(state, StateWord::Missing) && !is {
                value.describe()
            } else {
                actual.to_string()
            };
            (is != *negated, expected, actual)
        }
        ExpectKindDef::Compare {
            op,
            expected,
            tolerance,
            ..
        } => {
            let tol = tolerance.unwrap_or(0.0);
            let shown = match tolerance {
                Some(t) => format!(
                    "{} {} ± {}",
                    op.symbol(),
                    expected_text(expected),
                    number(*t)
                ),
                None => format!("{} {}", op.symbol(), expected_text(expected)),
            };
            let actual = value.describe();
            let met = match (value, expected) {
                (Value::Number(a) | Value::Score { value: a, .. }, TestValue::Number(e))
                    if !a.is_nan() =>
                {
                    match op {
                        CmpOp::Eq => (a - e).abs() <= tol,
                        CmpOp::Ne => (a - e).abs() > tol,
                        _ => op.holds(*a, *e),
                    }
                }
                (Value::Text(a), TestValue::Text(e)) => match op {
                    CmpOp::Eq => a == e,
                    CmpOp::Ne => a != e,
                    _ => op.holds(
                        0.0,
                        if a < e {
                            1.0
                        } else if a > e {
                            -1.0
                        } else {
                            0.0
                        },
                    ),
                },
                (Value::Bool(a), TestValue::Bool(e)) => (a == e) == (*op == CmpOp::Eq),
                (v, TestValue::Missing) => {
                    let missing = matches!(v, Value::Missing)
                        || matches!(v, Value::Score { value, .. } if value.is_nan());
                    missing == (*op == CmpOp::Eq)
                }
                _ => false,
            };
            (met, shown, actual)
        }
    }
}

/// The CSV output of a scorecard on a table, for the rows `selection` reports,
/// with the columns corrections and overrides add (`gov`).
pub fn score_csv(
    model: &Model,
    table: &Table,
    selection: &Selection,
    gov: Option<&crate::govern::Governance>,
) -> String {
    let plan = crate::plan::compile(model);
    let ordered = eval::order_rows(model, table);
    let mut ctx = Context::new(model, &plan, table, &ordered);
    if let Some(g) = gov {
        ctx.tier_overrides = crate::govern::tier_overrides(g);
    }
    let extra = gov.map_or_else(Vec::new, |g| crate::govern::notes::columns(model, g));
    let mut out = crate::render::csv::header_governed(&plan, true, &extra);
    eval::evaluate(
        &mut ctx,
        |b| crate::render::csv::rows_governed(b, selection, true, gov).0,
        |t| out.push_str(&t),
    );
    out
}
