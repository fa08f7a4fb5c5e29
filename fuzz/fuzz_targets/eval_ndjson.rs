//! The reference workload W1's contract over any bytes as NDJSON: loading
//! reports problems or gives a table, never a panic or a hang. Reading in
//! small blocks and parts gives what reading whole gives; and when every line
//! is a row, the same lines written as one JSON array (on one line) give the
//! same table.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scorecard::data::header::DataFormat;
use scorecard::data::load::{LoadError, Loaded, OnInvalid, load_bytes, load_bytes_in_blocks};
use scorecard::model::Model;
use scorecard::plan::Plan;
use scorecard::source::SourceMap;

const SHARED: &str = include_str!("../../bench/shared/partners.scorecard");
const W1: &str = include_str!("../../bench/w1.scorecard");

fn w1() -> &'static (Model, Plan) {
    static W1_MODEL: OnceLock<(Model, Plan)> = OnceLock::new();
    W1_MODEL.get_or_init(|| {
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
        let Some(model) = checked.model else {
            panic!("W1 gave no model")
        };
        let plan = scorecard::plan::compile(&model);
        (model, plan)
    })
}

fn outcome(result: &Result<Loaded, LoadError>) -> String {
    match result {
        Ok(l) => format!("{:?} {} {:?}", l.table.columns, l.read, l.rejected),
        Err(LoadError::Invalid(problems, total)) => format!("{problems:?} {total}"),
        Err(LoadError::Io(e)) => format!("io {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let (model, plan) = w1();
    let (data, sizes) = data.split_at(data.len().saturating_sub(2));
    let block = 1 + usize::from(sizes.first().copied().unwrap_or(0)) * 4;
    let threads = 1 + usize::from(sizes.get(1).copied().unwrap_or(0) % 4);
    let needed = &plan.needed_columns;
    for policy in [OnInvalid::Fail, OnInvalid::Skip] {
        let whole = load_bytes(data, DataFormat::Ndjson, model, needed, policy);
        let blocks =
            load_bytes_in_blocks(data, DataFormat::Ndjson, model, needed, policy, threads, block);
        assert_eq!(outcome(&whole), outcome(&blocks), "blocks of {block}, {threads} parts");
    }
    // The same rows as a JSON array on one line: the same table.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines: Vec<&str> = text.strip_suffix('\n').unwrap_or(text).split('\n').collect();
    if lines.iter().any(|l| l.trim().is_empty() || l.contains('\r')) {
        return;
    }
    let ndjson = load_bytes(data, DataFormat::Ndjson, model, needed, OnInvalid::Fail);
    if let Ok(rows) = ndjson {
        let array = format!("[{}]", lines.join(","));
        let json = load_bytes(array.as_bytes(), DataFormat::Json, model, needed, OnInvalid::Fail);
        let json = json.map(|l| (format!("{:?}", l.table.columns), l.read));
        assert_eq!(
            json.ok(),
            Some((format!("{:?}", rows.table.columns), rows.read)),
            "as a JSON array"
        );
    }
});
