//! `scorecard score` end to end: the reference workloads byte for byte against
//! DuckDB's output, and the example scorecards on their sample data.

use crate::support::*;

fn score_to_string(args: &[&str]) -> (String, String, i32) {
    let out = scorecard(args);
    (
        stdout(&out),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// W1 and W2 of shared/bench/WORKLOAD.md on 2,000 partners x 8 periods
/// (15,105 rows): the expected files were written by the DuckDB reference.
#[test]
fn reference_workloads_match_duckdb_byte_for_byte() {
    let input = "tests/fixtures/bench/partners_2000x8.csv";
    for wl in ["w1", "w2"] {
        let (csv, stderr, code) = score_to_string(&[
            "score",
            &format!("bench/{wl}.scorecard"),
            "--data",
            input,
            "--format",
            "csv",
        ]);
        assert_eq!(code, 0, "{stderr}");
        let expected = std::fs::read_to_string(format!(
            "tests/fixtures/bench/partners_2000x8.{wl}.expected.csv"
        ))
        .unwrap();
        if csv != expected {
            let first = csv.lines().zip(expected.lines()).position(|(a, b)| a != b);
            panic!(
                "{wl} differs from DuckDB at line {:?}",
                first.map(|l| l + 1)
            );
        }
    }
}

#[test]
fn the_same_file_through_standard_input() {
    let data = std::fs::read("tests/fixtures/bench/partners_2000x8.csv").unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args([
            "score",
            "bench/w1.scorecard",
            "--data",
            "-",
            "--data-format",
            "csv",
            "--format",
            "csv",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&data).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let expected =
        std::fs::read_to_string("tests/fixtures/bench/partners_2000x8.w1.expected.csv").unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

#[test]
fn counts_on_standard_error_add_up() {
    let (_, stderr, code) = score_to_string(&[
        "score",
        "bench/w2.scorecard",
        "--data",
        "tests/fixtures/bench/partners_2000x8.csv",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0);
    assert!(
        stderr.contains("read 15105 rows, scored 15105, rejected 0; reported 2000 rows"),
        "{stderr}"
    );
}

#[test]
fn the_examples_score_their_sample_data() {
    for name in ["partner-onboarding", "partner-performance"] {
        let card = format!("scorecards/{name}.scorecard");
        let (csv, stderr, code) = score_to_string(&[
            "score",
            &card,
            "--data",
            "scorecards/data/partners.csv",
            "--format",
            "csv",
        ]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(
            csv.lines().count(),
            301,
            "a header and one line per partner"
        );
        let head: String = csv.lines().take(12).map(|l| format!("{l}\n")).collect();
        insta::with_settings!({snapshot_path => "../snapshots/score", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("{name}_latest_csv"), head);
        });
        let (json, _, code) = score_to_string(&[
            "score",
            &card,
            "--data",
            "scorecards/data/partners.csv",
            "--format",
            "json",
            "--partner",
            "P000007",
            "--period",
            "all",
        ]);
        assert_eq!(code, 0);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert!(v["content_hash"].as_str().unwrap().starts_with("sha256:"));
        insta::with_settings!({snapshot_path => "../snapshots/score", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("{name}_one_partner_json"), json);
        });
    }
}

#[test]
fn with_metrics_adds_value_and_points_columns() {
    let (csv, _, code) = score_to_string(&[
        "score",
        "bench/w1.scorecard",
        "--data",
        "tests/fixtures/bench/partners_2000x8.csv",
        "--format",
        "csv",
        "--with-metrics",
        "--partner",
        "P000001",
    ]);
    assert_eq!(code, 0);
    let header = csv.lines().next().unwrap();
    assert!(
        header.ends_with(",onboarding,onboarding_points"),
        "{header}"
    );
    assert!(header.contains(",win_rate,win_rate_points,"), "{header}");
    assert_eq!(csv.lines().count(), 2);
}

#[test]
fn ndjson_is_one_object_per_line() {
    let (text, _, code) = score_to_string(&[
        "score",
        "bench/w1.scorecard",
        "--data",
        "tests/fixtures/bench/partners_2000x8.csv",
        "--format",
        "ndjson",
    ]);
    assert_eq!(code, 0);
    assert_eq!(text.lines().count(), 2000);
    for line in text.lines().take(50) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            v["partner_id"].is_string() && v["overall"].is_number() && v["anomaly"].is_boolean()
        );
    }
}

#[test]
fn period_and_partner_choose_rows() {
    let args = |period: &str| {
        score_to_string(&[
            "score",
            "bench/w2.scorecard",
            "--data",
            "tests/fixtures/bench/partners_2000x8.csv",
            "--format",
            "csv",
            "--period",
            period,
        ])
    };
    assert_eq!(args("all").0.lines().count(), 15106);
    let (q3, _, _) = args("2025Q3");
    assert!(
        q3.lines()
            .skip(1)
            .all(|l| l.split(',').nth(1) == Some("2025Q3"))
    );
    // A period no row has is a mistake, not an empty result.
    let (none, err, code) = args("1999Q1");
    assert_eq!((none.lines().count(), code), (0, 2));
    assert!(err.contains("no period `1999Q1` in the data"), "{err}");
}

#[test]
fn out_writes_the_whole_file_or_nothing() {
    let dir = std::env::temp_dir().join(format!("scorecard-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("result.csv");
    std::fs::write(&target, "previous\n").unwrap();
    // A scorecard with errors writes nothing: the previous file stays.
    let (_, _, code) = score_to_string(&[
        "score",
        "tests/fixtures/check/N001.scorecard",
        "--data",
        "scorecards/data/partners.csv",
        "--out",
        target.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "previous\n");
    let (_, _, code) = score_to_string(&[
        "score",
        "bench/w1.scorecard",
        "--data",
        "tests/fixtures/bench/partners_2000x8.csv",
        "--out",
        target.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let expected =
        std::fs::read_to_string("tests/fixtures/bench/partners_2000x8.w1.expected.csv").unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), expected);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_partner_or_period_that_matches_nothing_is_an_error_with_a_suggestion() {
    let dir = temp_dir("filters");
    let card = dir.join("t.scorecard");
    std::fs::write(
        &card,
        "scorecard \"t\" version \"1\"
input { key id  period quarter  x: number }
metric m { owner \"o\" source \"s\" value x }
score s { weights { m 100 } }
output { id quarter s }
",
    )
    .unwrap();
    let data = dir.join("d.csv");
    std::fs::write(
        &data,
        "id,quarter,x\nP1,2025Q1,1\nP1,2025Q2,2\nP2,2025Q1,3\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "score",
            card.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        scorecard(&args)
    };
    let err = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--partner", "P3"],
            "no partner `P3` in the data\n  help: did you mean `P1`?",
        ),
        (
            &["--period", "2025q3"],
            "no period `2025q3` in the data\n  help: did you mean `2025Q1`?",
        ),
        (
            &["--period", "2024"],
            "help: the data's periods are 2025Q1, 2025Q2; or use `latest` or `all`",
        ),
        (
            &["--period", "2025Q2", "--partner", "P2"],
            "partner `P2` has no row for period `2025Q2`\n  help: its periods are 2025Q1",
        ),
    ];
    for (args, says) in cases {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(err(&out).contains(says), "{args:?}: {}", err(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let out = run(&["--period", "2025Q2", "--partner", "P1", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", err(&out));
    assert_eq!(stdout(&out), "id,quarter,s\nP1,2025Q2,2.00\n");
    std::fs::remove_dir_all(&dir).unwrap();
}
