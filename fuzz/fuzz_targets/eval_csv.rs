//! A fixed, valid scorecard (the reference workload W1, its import inlined)
//! over any bytes as CSV: loading reports problems or gives a table, and
//! evaluation scores it, never a panic, a hang or a stack overflow. Reading
//! the bytes in small blocks and parts (sizes taken from the input) gives
//! exactly what reading them whole gives; so does a file loaded keeping only
//! its key, period and group columns and read again for the others
//! (`load::load_for_reread`), with the others checked the first time or
//! only when read again.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scorecard::data::header::DataFormat;
use scorecard::data::load::{
    Failure, LoadError, Loaded, OnInvalid, load_bytes, load_bytes_in_blocks, load_for_reread,
};
use scorecard::data::table::Column;
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

/// Each value of column `c` of `table`, at `rows`, as text.
fn values(table: &[Column], c: usize, rows: &[usize]) -> Vec<String> {
    rows.iter()
        .map(|&r| match table.get(c) {
            Some(Column::Number(v)) => format!("{:?}", v.get(r).map(|x| x.to_bits())),
            Some(Column::Int(v)) => format!("{:?}", v.get(r).to_bits()),
            Some(Column::Bool(v)) => format!("{:?}", v.get(r)),
            Some(Column::Label(v)) => format!("{:?}", v.get(r)),
            Some(Column::Text(t)) => format!("{:?}", t.get(r)),
            Some(Column::Skipped) | None => "skipped".to_string(),
        })
        .collect()
}

/// Loading `data` from a file to read it again agrees with loading it whole.
fn reread_agrees(data: &[u8], model: &Model, plan: &Plan, policy: OnInvalid, whole: &Result<Loaded, LoadError>) {
    let path = std::env::temp_dir().join(format!("scorecard-fuzz-reread-{}.csv", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let mut keep = scorecard::eval::group_columns(model, plan);
    for c in [model.contract.key, model.contract.period].into_iter().flatten() {
        keep[c.index()] = true;
    }
    let needed = &plan.needed_columns;
    let keep: Vec<bool> = needed.iter().zip(&keep).map(|(n, k)| *n && *k).collect();
    let again: Vec<bool> = needed.iter().zip(&keep).map(|(n, k)| *n && !*k).collect();
    let modes: &[bool] = if policy == OnInvalid::Fail { &[false, true] } else { &[false] };
    for &late_unchecked in modes {
        // As `score` does: every column not kept, needed or not, checked only when read again.
        let unchecked: Vec<bool> = keep.iter().map(|k| !*k && late_unchecked).collect();
        let first = load_for_reread(&path, model, &keep, &again, &unchecked, policy);
        match (whole, first) {
            (Err(_), Err(e)) => assert_eq!(outcome(whole), outcome(&Err(e))),
            (Ok(w), Ok((l, reread))) => {
                assert_eq!((w.read, &w.rejected, w.table.rows), (l.read, &l.rejected, l.table.rows));
                let rows: Vec<u32> = (0..l.table.rows as u32).collect();
                let late = reread.read(&l.table, &rows);
                let Ok(late) = late else { panic!("read again: {late:?}") };
                let order: Vec<usize> = late.index.iter().map(|i| *i as usize).collect();
                let all: Vec<usize> = (0..w.table.rows).collect();
                for (c, a) in again.iter().enumerate() {
                    if *a {
                        assert_eq!(values(&w.table.columns, c, &all), values(&late.columns, c, &order), "column {c}");
                    }
                }
                for (c, k) in keep.iter().enumerate() {
                    if *k {
                        assert_eq!(values(&w.table.columns, c, &all), values(&l.table.columns, c, &all), "kept column {c}");
                    }
                }
            }
            (Err(_), Ok((l, reread))) => {
                // Only a value not checked the first time can be found now.
                assert!(late_unchecked, "{}", outcome(whole));
                let rows: Vec<u32> = (0..l.table.rows as u32).collect();
                let late = reread.read(&l.table, &rows);
                assert_eq!(late.err(), Some(Failure::Invalid), "{}", outcome(whole));
            }
            (Ok(_), Err(e)) => panic!("whole loads, read again does not: {}", outcome(&Err(e))),
        }
    }
    let _ = std::fs::remove_file(&path);
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
        reread_agrees(data, model, plan, policy, &whole);
        if policy == OnInvalid::Skip {
            if let Ok(loaded) = whole {
                let _ = common::score(model, plan, &loaded.table);
            }
        }
    }
});
