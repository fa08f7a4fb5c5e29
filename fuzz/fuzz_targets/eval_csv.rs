//! A fixed, valid scorecard (the reference workload W1, its import inlined)
//! over any bytes as CSV: loading reports problems or gives a table, and
//! evaluation scores it, never a panic, a hang or a stack overflow. Reading
//! the bytes in small blocks and parts (sizes taken from the input) gives
//! exactly what reading them whole gives.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scorecard::data::header::DataFormat;
use scorecard::data::load::{LoadError, Loaded, OnInvalid, load_bytes, load_bytes_in_blocks};
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

/// What a load gave, to compare two ways of reading.
fn outcome(result: &Result<Loaded, LoadError>) -> String {
    match result {
        Ok(l) => format!("{:?} {} {:?}", l.table, l.read, l.rejected),
        Err(LoadError::Invalid(problems, total)) => format!("{problems:?} {total}"),
        Err(LoadError::Io(e)) => format!("io {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    common::one_thread();
    let (model, plan) = w1();
    // Block and part sizes from the last two bytes, then the data.
    let (data, sizes) = data.split_at(data.len().saturating_sub(2));
    let block = 1 + usize::from(sizes.first().copied().unwrap_or(0)) * 4;
    let threads = 1 + usize::from(sizes.get(1).copied().unwrap_or(0) % 4);
    for policy in [OnInvalid::Fail, OnInvalid::Skip] {
        let whole = load_bytes(data, DataFormat::Csv, model, &plan.needed_columns, policy);
        let blocks = load_bytes_in_blocks(
            data,
            DataFormat::Csv,
            model,
            &plan.needed_columns,
            policy,
            threads,
            block,
        );
        assert_eq!(outcome(&whole), outcome(&blocks), "blocks of {block}, {threads} parts");
        if policy == OnInvalid::Skip {
            if let Ok(loaded) = whole {
                let _ = common::score(model, plan, &loaded.table);
            }
        }
    }
});
