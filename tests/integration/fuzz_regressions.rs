//! Inputs the fuzzing targets found, each kept as a test of what it broke.
//! The files are in `tests/fixtures/fuzz/`, named after their target.

use std::path::Path;

use scorecard::data::header::DataFormat;
use scorecard::data::load::{self, LoadError, Loaded, OnInvalid};

use crate::support::check_file;

/// What a load gave, in full.
fn outcome(result: &Result<Loaded, LoadError>) -> String {
    match result {
        Ok(l) => format!("{:?} {} {:?}", l.table, l.read, l.rejected),
        Err(LoadError::Invalid(problems, total)) => format!("{problems:?} {total}"),
        Err(LoadError::Io(e)) => format!("io {e}"),
    }
}

/// `eval_csv` inputs: loading the bytes in blocks and parts of the sizes the
/// target took from their last two bytes (and of a few other sizes) gives
/// what loading them whole gives.
///
/// - `eval_csv-cut-record-widens-a-column.bin`: a record cut at the end of a
///   part had a value too wide for its integer column; the record was read
///   again from the next block, but its first reading still widened the
///   column (`I32` instead of `I8`).
/// - `eval_csv-blank-first-line-then-bytes.bin`: two line ends, then NUL
///   bytes. Read whole, the first line is blank (D003, "the first line is
///   empty"); read a byte at a time, the header was looked for in the first
///   two bytes alone, which are white space, so the file was called empty.
/// - `eval_csv-cut-after-a-lone-cr.bin`: a line with a CR alone (D005),
///   whose next record, on the same line, was cut at the end of a part and
///   read again from the next block, which reported the line a second time.
#[test]
fn eval_csv_inputs_load_alike_in_blocks_and_whole() {
    let (_, checked) = check_file(Path::new("bench/w1.scorecard"));
    let model = checked.model.expect("W1 has a model");
    let plan = scorecard::plan::compile(&model);
    let mut names: Vec<_> = std::fs::read_dir("tests/fixtures/fuzz")
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("eval_csv-"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    for name in names {
        let input = std::fs::read(Path::new("tests/fixtures/fuzz").join(&name)).unwrap();
        let (data, sizes) = input.split_at(input.len() - 2);
        let block = 1 + usize::from(sizes[0]) * 4;
        let threads = 1 + usize::from(sizes[1] % 4);
        for policy in [OnInvalid::Fail, OnInvalid::Skip] {
            let whole =
                load::load_bytes(data, DataFormat::Csv, &model, &plan.needed_columns, policy);
            for (block, threads) in [(block, threads), (100, 2), (37, 3), (1, 1)] {
                let blocks = load::load_bytes_in_blocks(
                    data,
                    DataFormat::Csv,
                    &model,
                    &plan.needed_columns,
                    policy,
                    threads,
                    block,
                );
                assert_eq!(
                    outcome(&whole),
                    outcome(&blocks),
                    "{name}: {policy:?}, blocks of {block}, {threads} parts"
                );
            }
        }
    }
}
