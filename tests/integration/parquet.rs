//! Parquet in and out: `--data partners.parquet` read under the same
//! contract and diagnostics as CSV, problems placed at their row and
//! column; `score --out results.parquet` read back. The files are written
//! and read by pyarrow, as a data team's would be.

use std::path::{Path, PathBuf};

use crate::support::*;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Run a Python script with pyarrow imported as `pa`, `pq` and `pc`, with
/// `sys.argv[1]` the directory `dir`; its standard output.
fn python(dir: &Path, script: &str) -> String {
    let program = format!(
        "import sys, json, datetime, decimal\nimport pyarrow as pa, pyarrow.parquet as pq, pyarrow.csv as pc\nd = sys.argv[1]\n{script}"
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &program, dir.to_str().unwrap()])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => "../snapshots/parquet",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn a_parquet_file_scores_exactly_as_its_csv() {
    let dir = temp_dir("parquet-same");
    let csv_path = root().join("scorecards/data/partners.csv");
    python(
        &dir,
        &format!(
            "t = pc.read_csv({:?})\nfor c in ['snappy', 'zstd', 'gzip', 'lz4', 'none']:\n    pq.write_table(t, f'{{d}}/{{c}}.parquet', compression=c, row_group_size=500)",
            csv_path.to_str().unwrap()
        ),
    );
    let card = root().join("scorecards/partner-performance.scorecard");
    let card = card.to_str().unwrap();
    let run = |data: &str| {
        let out = scorecard(&[
            "score", card, "--data", data, "--period", "all", "--format", "csv",
        ]);
        assert!(out.status.success(), "{data}: {}", stderr(&out));
        stdout(&out)
    };
    let from_csv = run(csv_path.to_str().unwrap());
    assert!(from_csv.lines().count() > 2000);
    for codec in ["snappy", "zstd", "gzip", "lz4", "none"] {
        let path = dir.join(format!("{codec}.parquet"));
        assert_eq!(run(path.to_str().unwrap()), from_csv, "{codec}");
    }
    // A Parquet file is known by its signature whatever its name.
    let renamed = dir.join("partners.data");
    std::fs::copy(dir.join("zstd.parquet"), &renamed).unwrap();
    assert_eq!(run(renamed.to_str().unwrap()), from_csv);
}

/// Rows under the contract of tests/fixtures/data: a DOUBLE in an integer
/// column, a negative revenue, an unknown label, a value out of range, a
/// null key and a duplicate; the STRING `"12"` in a number column is a number.
const BAD_ROWS: &str = r#"
t = pa.table({
    'partner_id': ['P001', 'P002', None, 'P004', 'P001', 'P006'],
    'quarter': ['2025Q4'] * 6,
    'partner_type': ['reseller', 'msp', 'msp', 'broker', 'msp', 'msp'],
    'revenue': ['1250.5', '-3', '7', '12', '1', 'x'],
    'sales_reps': pa.array([4.0, 2.5, 1.0, 3.0, 1.0, 1.0], pa.float64()),
    'certified': [True, False, None, True, True, True],
    'market_alignment': pa.array([7, 1, 2, 11, 3, 4], pa.int64()),
    'nps': pa.array([42, None, None, 5, 6, 7], pa.int32()),
    'region': ['EMEA', None, 'line\nbreak', 'NA', 'NA', 'NA'],
    'ignored': [[1], [2], [3], [4], [5], [6]],
})
pq.write_table(t, f'{d}/bad.parquet', row_group_size=4)
"#;

#[test]
fn bad_values_are_reported_at_their_row_and_column() {
    let dir = temp_dir("parquet-bad");
    python(&dir, BAD_ROWS);
    let path = dir.join("bad.parquet");
    let out = scorecard(&["score", &data_contract(), "--data", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out).replace(dir.to_str().unwrap(), "DIR");
    assert!(
        err.contains("DIR/bad.parquet row 2 column sales_reps: error[D009]"),
        "{err}"
    );
    snapshot("bad_values", &err);

    // Under `--on-invalid skip` the rejects name the file's rows.
    let rejects = dir.join("rejects.csv");
    let (out, rejected) = score_skipping(&data_contract(), &path, &rejects);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<&str> = rejected
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()) || l.starts_with("line"))
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(rows, ["line", "2", "3", "4", "5", "6"], "{rejected}");
    assert!(stdout(&out).contains("P001"), "{}", stdout(&out));
}

#[test]
fn typed_values_read_as_what_they_mean() {
    let dir = temp_dir("parquet-typed");
    python(
        &dir,
        r#"
t = pa.table({
    'partner_id': ['P1', 'P2'],
    'day': pa.array([datetime.date(2025, 3, 31), None], pa.date32()),
    'at': pa.array([datetime.datetime(2025, 3, 31, 14, 30), datetime.datetime(1969, 12, 31, 23, 59, 59, 500000)], pa.timestamp('ms')),
    'old': pa.array([datetime.datetime(2025, 3, 31, 14, 30, 0, 250000), None], pa.timestamp('us')),
    'amount': pa.array([decimal.Decimal('12.50'), decimal.Decimal('-0.05')], pa.decimal128(10, 2)),
    'ratio': pa.array([0.1, 2.0], pa.float32()),
    'big': pa.array([2**53, 0], pa.uint64()),
    'text_number': ['12', ' 7 '],
})
pq.write_table(t, f'{d}/typed.parquet')
pq.write_table(t, f'{d}/int96.parquet', use_deprecated_int96_timestamps=True)
"#,
    );
    let card = dir.join("card.scorecard");
    std::fs::write(
        &card,
        "scorecard \"typed\" version \"1\"\n\ninput {\n  key partner_id\n  day: text, optional\n  at: text\n  old: text, optional\n  amount: number\n  ratio: number\n  big: integer\n  text_number: number\n}\n\nmetric m {\n  value amount\n  points scale 0 => 0, 100 => 100\n}\n\noutput {\n  partner_id\n  day\n  at\n  old\n  amount decimals 2\n  ratio decimals 1\n  big\n  text_number\n}\n",
    )
    .unwrap();
    let mut all = String::new();
    for file in ["typed.parquet", "int96.parquet"] {
        let out = scorecard(&[
            "score",
            card.to_str().unwrap(),
            "--data",
            dir.join(file).to_str().unwrap(),
            "--format",
            "csv",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        all.push_str(&stdout(&out));
    }
    assert_eq!(
        all,
        "partner_id,day,at,old,amount,ratio,big,text_number\n\
         P1,2025-03-31,2025-03-31T14:30:00,2025-03-31T14:30:00.25,12.50,0.1,9007199254740992,12.00\n\
         P2,,1969-12-31T23:59:59.5,,-0.05,2.0,0,7.00\n"
            .repeat(2)
    );
}

#[test]
fn files_that_cannot_be_read_are_refused_with_what_to_do() {
    let dir = temp_dir("parquet-broken");
    python(
        &dir,
        r#"
t = pa.table({'partner_id': ['P1'], 'quarter': ['2025Q4'], 'partner_type': ['msp'], 'revenue': [1.0],
              'sales_reps': [1], 'certified': [True], 'market_alignment': [1],
              'region': pa.array([['a', 'b']], pa.list_(pa.string())),
              'nps': pa.array([datetime.time(12, 0)], pa.time32('s'))})
pq.write_table(t, f'{d}/nested.parquet')
"#,
    );
    let mut all = String::new();
    let run = |path: &Path, all: &mut String| {
        let out = scorecard(&["score", &data_contract(), "--data", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        all.push_str(&stderr(&out));
        all.push_str("---\n");
    };
    run(&dir.join("nested.parquet"), &mut all);
    let bytes = std::fs::read(dir.join("nested.parquet")).unwrap();
    let truncated = dir.join("truncated.parquet");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    run(&truncated, &mut all);
    // The signatures are there, the footer's length is not right.
    let mut damaged = bytes.clone();
    let n = damaged.len();
    damaged[n - 8..n - 4].copy_from_slice(&[0xff, 0xff, 0, 0]);
    let damaged_path = dir.join("damaged.parquet");
    std::fs::write(&damaged_path, &damaged).unwrap();
    run(&damaged_path, &mut all);
    let text = dir.join("text.parquet");
    std::fs::write(&text, "partner_id\nP1\n").unwrap();
    run(&text, &mut all);
    snapshot("broken", &all.replace(dir.to_str().unwrap(), "DIR"));
}

#[test]
fn results_are_written_as_a_typed_parquet_file() {
    let dir = temp_dir("parquet-out");
    let card = dir.join("card.scorecard");
    std::fs::write(
        &card,
        "scorecard \"pq\" version \"3\"\n\ninput {\n  key partner_id\n  revenue: number\n  reps: integer, optional\n  note: text, optional\n}\n\nmetric rev {\n  value revenue\n  points scale 0 => 0, 100 => 100\n}\n\noutput {\n  partner_id\n  revenue decimals 2\n  reps if missing \"n/a\"\n  note\n  good = revenue > 5\n}\n",
    )
    .unwrap();
    let data = dir.join("in.csv");
    std::fs::write(
        &data,
        "partner_id,revenue,reps,note\nP1,12.345,3,=1+1\nP2,3,,\n",
    )
    .unwrap();
    let out = dir.join("results.parquet");
    let run = scorecard(&[
        "score",
        card.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let read = python(
        &dir,
        r#"
f = pq.ParquetFile(f'{d}/results.parquet')
print(f.schema_arrow.to_string(show_schema_metadata=False))
print(json.dumps(f.read().to_pylist()))
m = f.metadata.metadata
print(json.dumps({k.decode(): v.decode() for k, v in sorted(m.items()) if k != b'scorecard.run_time'}))
print(len(m[b'scorecard.run_time']))
"#,
    );
    let expected = format!(
        "partner_id: string\nrevenue: double\nreps: int64\nnote: string\ngood: bool\n\
         [{{\"partner_id\": \"P1\", \"revenue\": 12.35, \"reps\": 3, \"note\": \"=1+1\", \"good\": true}}, \
         {{\"partner_id\": \"P2\", \"revenue\": 3.0, \"reps\": null, \"note\": null, \"good\": false}}]\n\
         {{\"scorecard.content_hash\": \"HASH\", \"scorecard.data\": {:?}, \"scorecard.name\": \"pq\", \"scorecard.version\": \"3\"}}\n20\n",
        data.to_str().unwrap()
    );
    let hash_at = read.find("sha256:").unwrap();
    let hash = &read[hash_at..hash_at + 71];
    assert_eq!(read.replace(hash, "HASH"), expected);

    // Written to standard output, it is refused.
    let no_out = scorecard(&[
        "score",
        card.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--format",
        "parquet",
    ]);
    assert_eq!(no_out.status.code(), Some(2), "{}", stderr(&no_out));
}

/// `check --data` reads the column names of a workbook and of a Parquet
/// file, and says of them exactly what it says of the CSV header.
#[test]
fn check_data_reads_every_format_alike() {
    let dir = temp_dir("parquet-check");
    let csv = dir.join("data.csv");
    std::fs::write(
        &csv,
        "partner_id,quartr,revenue,partner_type,notes\nP1,2025Q4,1,msp,x\n",
    )
    .unwrap();
    let xlsx = dir.join("data.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (c, name) in ["partner_id", "quartr", "revenue", "partner_type", "notes"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *name).unwrap();
    }
    book.save(&xlsx).unwrap();
    python(
        &dir,
        "pq.write_table(pa.table({'partner_id': ['P1'], 'quartr': ['2025Q4'], 'revenue': [1.0], 'partner_type': ['msp'], 'notes': ['x']}), f'{d}/data.parquet')",
    );
    let report = |path: &Path| {
        let out = scorecard(&[
            "check",
            &data_contract(),
            "--data",
            path.to_str().unwrap(),
            "--format",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        stdout(&out).replace(path.to_str().unwrap(), "DATA")
    };
    let from_csv = report(&csv);
    assert!(
        from_csv.contains("D001") && from_csv.contains("D002"),
        "{from_csv}"
    );
    assert_eq!(report(&xlsx), from_csv);
    assert_eq!(report(&dir.join("data.parquet")), from_csv);

    // A file that cannot be read says why, and nothing of it is shown.
    let broken = dir.join("broken.parquet");
    std::fs::write(&broken, "partner_id\nP1\n").unwrap();
    let out = scorecard(&[
        "check",
        &data_contract(),
        "--data",
        broken.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out) + &stderr(&out);
    assert!(
        text.contains("D005") && text.contains("signature"),
        "{text}"
    );
}

/// With corrections and overrides, the Parquet file holds what the CSV
/// output does: the overridden tier and the columns governance adds.
#[test]
fn governed_results_are_the_csv_output_as_parquet() {
    let dir = temp_dir("parquet-governed");
    let out = dir.join("governed.parquet");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "score",
            "tests/fixtures/governance/program.scorecard",
            "--data",
            "tests/fixtures/governance/partners.csv",
            "--corrections",
            "tests/fixtures/governance/corrections.csv",
            "--overrides",
            "tests/fixtures/governance/overrides.csv",
            "--no-escape-formulas",
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_scorecard"))
            .args(&a)
            .current_dir(root())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let csv = run(&["--format", "csv"]);
    run(&["--out", out.to_str().unwrap()]);
    // pyarrow writes the table back as CSV: the same fields (numbers as
    // pyarrow prints doubles, so compare each field as a number when it is one).
    let back = python(
        &dir,
        "import csv, io\nt = pq.read_table(f'{d}/governed.parquet')\nw = csv.writer(sys.stdout, lineterminator='\\n')\nw.writerow(t.column_names)\nfor r in t.to_pylist():\n    w.writerow(['' if v is None else ('true' if v is True else 'false' if v is False else v) for v in r.values()])",
    );
    let fields = |text: &str| -> Vec<Vec<String>> {
        text.lines()
            .map(|l| {
                l.split(',')
                    .map(|f| match f.parse::<f64>() {
                        Ok(x) => format!("{x}"),
                        Err(_) => f.to_string(),
                    })
                    .collect()
            })
            .collect()
    };
    assert!(csv.contains("override"), "{csv}");
    assert_eq!(fields(&back), fields(&csv));
}

/// A file written with page checksums has them verified: a flipped byte in
/// a value is refused, not read as another value.
#[test]
fn page_checksums_are_verified() {
    let dir = temp_dir("parquet-crc");
    python(
        &dir,
        "t = pa.table({'partner_id': ['P1', 'P2'], 'quarter': ['2025Q4'] * 2, 'partner_type': ['msp'] * 2, 'revenue': [1.0, 2.0], 'sales_reps': [1, 2], 'certified': [True, False], 'market_alignment': [1, 2], 'region': ['EMEAZZ', 'NA']})\npq.write_table(t, f'{d}/crc.parquet', compression='none', write_page_checksum=True)",
    );
    let mut bytes = std::fs::read(dir.join("crc.parquet")).unwrap();
    // The value as a page holds it (its length, then its bytes); the
    // statistics in the page header and the footer are not checksummed.
    let at = bytes
        .windows(10)
        .position(|w| w == b"\x06\x00\x00\x00EMEAZZ")
        .unwrap();
    bytes[at + 8] = b'X';
    let path = dir.join("flipped.parquet");
    std::fs::write(&path, &bytes).unwrap();
    let out = scorecard(&["score", &data_contract(), "--data", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("D005") && err.contains("cannot be read"),
        "{err}"
    );
}

/// `init` infers the same starter scorecard from a Parquet file as from
/// the CSV it was written from (a DOUBLE column of whole values is still a
/// number).
#[test]
fn init_reads_a_parquet_file_as_its_csv() {
    let dir = temp_dir("parquet-init");
    let csv_path = root().join("scorecards/data/partners.csv");
    python(
        &dir,
        &format!(
            "pq.write_table(pc.read_csv({:?}), f'{{d}}/partners.parquet')",
            csv_path.to_str().unwrap()
        ),
    );
    let run = |data: &Path| {
        let out = scorecard(&["init", "--data", data.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let from_csv = run(&csv_path);
    let from_parquet =
        run(&dir.join("partners.parquet")).replace("partners.parquet", "partners.csv");
    assert!(
        from_csv.contains("co_marketing_committed: number"),
        "{from_csv}"
    );
    assert_eq!(from_parquet, from_csv);
}
