//! A fixed, valid scorecard (the reference workload W1, its import inlined)
//! over any bytes as CSV: loading reports problems or gives a table, and
//! evaluation scores it, never a panic, a hang or a stack overflow.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scorecard::data::header::DataFormat;
use scorecard::data::load::{OnInvalid, load_bytes};
use scorecard::model::Model;
use scorecard::plan::Plan;
use scorecard::source::SourceMap;

#[path = "common.rs"]
mod common;

const SHARED: &str = include_str!("../../bench/shared/partners.scorecard");
const W1: &str = include_str!("../../bench/w1.scorecard");

fn w1() -> &'static (Model, Plan) {
    static W1_MODEL: OnceLock<(Model, Plan)> = OnceLock::new();
    W1_MODEL.get_or_init(|| {
        // The import line is replaced by the imported text: the `scorecard`
        // header stays first.
        let text: String = W1
            .lines()
            .map(|l| {
                if l.trim_start().starts_with("import ") {
                    format!("{SHARED}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        let checked = scorecard::check::check_text("w1.scorecard", &text, &mut SourceMap::new());
        assert!(
            !checked.diagnostics.has_errors(),
            "W1 with its import inlined does not check: {:?}",
            checked.diagnostics
        );
        let Some(model) = checked.model else {
            panic!("W1 gave no model")
        };
        let plan = scorecard::plan::compile(&model);
        (model, plan)
    })
}

fuzz_target!(|data: &[u8]| {
    common::one_thread();
    let (model, plan) = w1();
    // Strict loading reports every problem; it must not panic either.
    let _ = load_bytes(
        data,
        DataFormat::Csv,
        model,
        &plan.needed_columns,
        OnInvalid::Fail,
    );
    if let Ok(loaded) = load_bytes(
        data,
        DataFormat::Csv,
        model,
        &plan.needed_columns,
        OnInvalid::Skip,
    ) {
        let _ = common::score(model, plan, &loaded.table);
    }
});
