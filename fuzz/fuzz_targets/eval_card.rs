//! Any scorecard that checks cleanly, scored over a small table made for its
//! input contract (and over its tests' `given` rows): compile and evaluation
//! never panic, hang or overflow the stack.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scorecard::data::header::DataFormat;
use scorecard::data::load::{OnInvalid, load_bytes};
use scorecard::model::{Model, Type};
use scorecard::source::SourceMap;

#[path = "common.rs"]
mod common;

const PARTNERS: [&str; 3] = ["p1", "p2", "p3"];
const PERIODS: [&str; 3] = ["2024Q3", "2024Q4", "2025Q1"];
const NUMBERS: [f64; 9] = [0.0, 1.0, 2.5, 10.0, 100.0, 0.25, 7.0, 55.5, 3.0];

fn push_field(out: &mut String, text: &str) {
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// A fixed shape of data — three partners over three quarters, with missing
/// optional values — written for the model's contract, with values inside
/// the declared bounds.
fn table_csv(model: &Model) -> String {
    let contract = &model.contract;
    let mut out = String::new();
    for (c, def) in contract.columns.iter().enumerate() {
        if c > 0 {
            out.push(',');
        }
        push_field(&mut out, &def.name);
    }
    out.push('\n');
    let mut row = 0usize;
    for partner in PARTNERS {
        for period in PERIODS {
            for (c, def) in contract.columns.iter().enumerate() {
                if c > 0 {
                    out.push(',');
                }
                if Some(c) == contract.key.map(|k| k.index()) {
                    out.push_str(partner);
                    continue;
                }
                if Some(c) == contract.period.map(|k| k.index()) {
                    out.push_str(period);
                    continue;
                }
                if def.optional && (row + c) % 5 == 4 {
                    continue;
                }
                let k = row + c;
                match def.ty {
                    Type::Number | Type::Integer => {
                        let mut v = NUMBERS[k % NUMBERS.len()];
                        if let Some((lo, _)) = def.min {
                            v = v.max(lo);
                        }
                        if let Some((hi, _)) = def.max {
                            v = v.min(hi);
                        }
                        if let (Some((lo, lo_in)), Some((hi, _))) = (def.min, def.max) {
                            if !lo_in && v <= lo {
                                v = (lo + hi) / 2.0;
                            }
                        } else if let Some((lo, false)) = def.min {
                            if v <= lo {
                                v = lo + 1.0;
                            }
                        }
                        if def.ty == Type::Integer {
                            v = v.ceil();
                        }
                        out.push_str(&format!("{v}"));
                    }
                    Type::Bool => out.push_str(if k % 2 == 0 { "true" } else { "false" }),
                    Type::Enum(id) => {
                        let labels = model
                            .enum_type(id)
                            .map(|e| e.labels.as_slice())
                            .unwrap_or(&[]);
                        if let Some(l) = labels.get(k % labels.len().max(1)) {
                            push_field(&mut out, l);
                        }
                    }
                    _ => push_field(&mut out, &format!("t{}", k % 4)),
                }
            }
            out.push('\n');
            row += 1;
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    common::one_thread();
    let text = String::from_utf8_lossy(data);
    let mut sources = SourceMap::new();
    let checked = scorecard::check::check_text("fuzz.scorecard", &text, &mut sources);
    if checked.diagnostics.has_errors() {
        return;
    }
    let Some(model) = checked.model.as_ref() else {
        return;
    };
    let plan = scorecard::plan::compile(model);
    let csv = table_csv(model);
    if let Ok(loaded) = load_bytes(
        csv.as_bytes(),
        DataFormat::Csv,
        model,
        &plan.needed_columns,
        OnInvalid::Skip,
    ) {
        let _ = common::score(model, &plan, &loaded.table);
    }
    for test in model.tests.iter().filter(|t| !t.rows.is_empty()) {
        let table = scorecard::data::given::table_from_rows(model, &test.rows);
        let _ = common::score(model, &plan, &table);
    }
});
