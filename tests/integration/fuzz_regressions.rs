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

/// `eval_csv`: a record cut at the end of a part had a value too wide for
/// its integer column; the record was read again in the next block, but its
/// first reading still widened the column (`I32` instead of `I8`), so the
/// table differed from the one read whole. The last two bytes of the input
/// are the target's block and part sizes.
#[test]
fn eval_csv_a_cut_record_does_not_widen_a_column() {
    let (_, checked) = check_file(Path::new("bench/w1.scorecard"));
    let model = checked.model.expect("W1 has a model");
    let plan = scorecard::plan::compile(&model);
    let input =
        std::fs::read("tests/fixtures/fuzz/eval_csv-cut-record-widens-a-column.bin").unwrap();
    let (data, sizes) = input.split_at(input.len() - 2);
    let block = 1 + usize::from(sizes[0]) * 4;
    let threads = 1 + usize::from(sizes[1] % 4);
    assert_eq!((block, threads), (413, 1));
    for policy in [OnInvalid::Fail, OnInvalid::Skip] {
        let whole = load::load_bytes(data, DataFormat::Csv, &model, &plan.needed_columns, policy);
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
                "{policy:?}, blocks of {block}, {threads} parts"
            );
        }
    }
}
