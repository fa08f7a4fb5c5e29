//! Shared by the evaluation targets: run the whole pipeline from a clean model
//! and a table to CSV and JSON output.

use scorecard::data::table::Table;
use scorecard::eval::{self, PeriodChoice, Selection};
use scorecard::model::Model;
use scorecard::plan::Plan;

/// One evaluation thread: the fuzzer measures one input at a time, and the
/// output does not depend on the thread count.
pub fn one_thread() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build_global();
    });
}

/// Every row of `table` scored, as CSV, plus the latest rows as JSON.
pub fn score(model: &Model, plan: &Plan, table: &Table) -> String {
    let ordered = eval::order_rows(model, table);
    let mut ctx = eval::Context::new(model, plan, table, &ordered);
    let all = Selection {
        period: PeriodChoice::All,
        partner: None,
    };
    let mut out = scorecard::render::csv::header(plan);
    eval::evaluate(
        &mut ctx,
        |batch| {
            let (csv, _) = scorecard::render::csv::rows(batch, &all);
            let (json, _) = scorecard::render::json::rows(batch, &Selection::default());
            (csv, json)
        },
        |(csv, json)| {
            out.push_str(&csv);
            for line in json {
                out.push_str(&line);
            }
        },
    );
    out
}
