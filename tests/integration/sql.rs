//! `scorecard compile`: SQL for DuckDB, PostgreSQL and Spark.
//!
//! The SQL's results are compared with `scorecard score` on the real engines
//! by `tests/conformance/run.py`; this test runs it for each engine present
//! (all three are required when `CI=true`), and checks the refusals and the
//! command line here.

use std::path::Path;
use std::process::Command;

use crate::support::*;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_scorecard")
}

/// Whether the conformance harness can reach an engine.
fn engine_present(engine: &str) -> bool {
    let probe = match engine {
        "duckdb" => "import duckdb",
        "spark" => "import pyspark, shutil, sys; sys.exit(0 if shutil.which('java') else 1)",
        _ => "import sys",
    };
    let python = Command::new("python3").args(["-c", probe]).output();
    let ok = python.is_ok_and(|o| o.status.success());
    if engine == "postgres" {
        let args: &[&str] = &["-X", "-d", "postgres", "-c", "SELECT 1"];
        let direct = Command::new("psql").args(args).output();
        let as_postgres = Command::new("runuser")
            .args(["-u", "postgres", "--", "psql"])
            .args(args)
            .output();
        return direct.is_ok_and(|o| o.status.success())
            || as_postgres.is_ok_and(|o| o.status.success());
    }
    ok
}

fn conformance(engine: &str, cases: &[&str]) {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if !engine_present(engine) {
        assert!(
            !ci,
            "{engine} is required in CI for the SQL conformance test"
        );
        eprintln!("skipping the {engine} conformance: the engine is not available");
        return;
    }
    let mut cmd = Command::new("python3");
    cmd.arg("tests/conformance/run.py")
        .args(["--bin", bin(), "--engines", engine]);
    for c in cases {
        cmd.args(["--case", c]);
    }
    let out = cmd.output().expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{engine} results differ from `scorecard score`:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(text.contains(&format!("total {}/{}", cases.len(), cases.len())));
}

const ALL_CASES: &[&str] = &[
    "bench/w1.scorecard:tests/fixtures/bench/partners_2000x8.csv:latest",
    "bench/w2.scorecard:tests/fixtures/bench/partners_2000x8.csv:latest",
    "bench/b3-categorical.scorecard:tests/fixtures/bench/accounts_600x2.csv:latest",
    "bench/b4-history.scorecard:tests/fixtures/bench/partners_100x40.csv:all",
    "bench/b4-history.scorecard:tests/fixtures/bench/partners_100x40.csv:latest",
    "scorecards/partner-performance.scorecard:scorecards/data/partners.csv:latest",
    "scorecards/partner-performance.scorecard:scorecards/data/partners.csv:all",
    "scorecards/partner-performance-v2.scorecard:scorecards/data/partners.csv:all",
    "scorecards/partner-onboarding.scorecard:scorecards/data/partners.csv:all",
    "tests/fixtures/sql/features.scorecard:tests/fixtures/sql/features.csv:all",
    "tests/fixtures/sql/history.scorecard:tests/fixtures/sql/history.csv:all",
    "tests/fixtures/sql/history.scorecard:tests/fixtures/sql/history.csv:latest",
    "tests/fixtures/sql/numbers.scorecard:tests/fixtures/sql/numbers.csv:latest",
    "tests/fixtures/sql/running.scorecard:tests/fixtures/sql/running.csv:all",
    "tests/fixtures/sql/running.scorecard:tests/fixtures/sql/running.csv:latest",
];

#[test]
fn duckdb_results_equal_score() {
    conformance("duckdb", ALL_CASES);
}

#[test]
fn postgres_results_equal_score() {
    conformance("postgres", ALL_CASES);
}

/// Spark is slow to start and to plan: scorecards with and without a
/// recurrence, the exact running sum and long trends, the output numbers,
/// the history functions and the long-history benchmark, in one session
/// (about three minutes).
#[test]
fn spark_results_equal_score() {
    conformance(
        "spark",
        &[
            "scorecards/partner-onboarding.scorecard:scorecards/data/partners.csv:all",
            "tests/fixtures/sql/features.scorecard:tests/fixtures/sql/features.csv:all",
            "tests/fixtures/sql/running.scorecard:tests/fixtures/sql/running.csv:latest",
            "tests/fixtures/sql/numbers.scorecard:tests/fixtures/sql/numbers.csv:latest",
            "tests/fixtures/sql/history.scorecard:tests/fixtures/sql/history.csv:all",
            "bench/b4-history.scorecard:tests/fixtures/bench/partners_100x40.csv:all",
        ],
    );
}

#[test]
fn a_construct_without_exact_sql_is_refused_with_s050() {
    let path = "tests/fixtures/sql/S050.scorecard";
    let out = scorecard(&["compile", path, "--to", "spark"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing is written when refused");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    insta::assert_snapshot!("s050_spark", err);
    // DuckDB and PostgreSQL have the same logarithm and exponential as
    // `score`, and sum a z-score's peers in its order.
    for engine in ["duckdb", "postgres"] {
        let out = scorecard(&["compile", path, "--to", engine]);
        assert_eq!(out.status.code(), Some(0), "{engine}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("exp("));
    }
    // Without a period there is no partner history to order:
    // refused on every engine.
    let dir = temp_dir("sql-no-key");
    let no_key = dir.join("no-key.scorecard");
    std::fs::write(
        &no_key,
        "scorecard \"x\" version \"1\"\ninput {\n  key id\n  revenue: number\n}\n\
         metric m \"M\" {\n  owner \"a\"  source \"b\"\n  value revenue\n  points = value\n}\n\
         score total \"Total\" {\n  weights { m 100 }\n}\n",
    )
    .unwrap();
    let out = scorecard(&["compile", no_key.to_str().unwrap(), "--to", "duckdb"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("S050") && err.contains("without a key and a period"),
        "{err}"
    );
}

#[test]
fn a_scorecard_with_errors_compiles_to_nothing() {
    let dir = temp_dir("sql-errors");
    let path = dir.join("bad.scorecard");
    std::fs::write(
        &path,
        "scorecard \"x\" version \"1\"\nmetric m { value nope }\n",
    )
    .unwrap();
    let out = scorecard(&["compile", path.to_str().unwrap(), "--to", "duckdb"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn identifiers_and_labels_are_quoted_for_each_dialect() {
    let path = "tests/fixtures/sql/features.scorecard";
    for (engine, quoted) in [
        ("duckdb", "\"select\""),
        ("postgres", "\"select\""),
        ("spark", "`select`"),
    ] {
        let out = scorecard(&["compile", path, "--to", engine, "--period", "all"]);
        assert_eq!(out.status.code(), Some(0), "{engine}");
        let sql = stdout(&out);
        assert!(sql.contains(quoted), "{engine}: {quoted}");
        assert!(sql.contains("'call \"them\"'"), "{engine}");
        assert!(sql.starts_with("-- scorecard sql-features version 1 (sha256:"));
    }
    let spark = stdout(&scorecard(&["compile", path, "--to", "spark"]));
    assert!(spark.contains("'promote; now'"));
}

#[test]
fn rejects_and_table_statements() {
    let path = "scorecards/partner-performance.scorecard";
    let ddl = stdout(&scorecard(&["compile", path, "--to", "postgres", "--ddl"]));
    assert!(ddl.starts_with("CREATE TABLE partners ("));
    assert!(ddl.contains("\"sales_reps\" BIGINT") && ddl.contains("\"revenue\" DOUBLE PRECISION"));
    let rejects = stdout(&scorecard(&[
        "compile",
        path,
        "--to",
        "duckdb",
        "--rejects",
    ]));
    assert!(
        rejects.contains("'below the minimum 1'") && rejects.contains("duplicate key and period")
    );
    if engine_present("duckdb") {
        // Two broken rows and a duplicate, found by the rejects query on DuckDB.
        let dir = temp_dir("sql-rejects");
        let csv = dir.join("rows.csv");
        let good = std::fs::read_to_string("scorecards/data/partners.csv").unwrap();
        let mut lines: Vec<String> = good.lines().take(4).map(str::to_string).collect();
        lines[1] = lines[1].replacen(",technology,", ",partnerish,", 1);
        lines.push(lines[3].clone());
        std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
        let from = format!("read_csv('{}', all_varchar = true)", csv.display());
        let sql = stdout(&scorecard(&[
            "compile",
            path,
            "--to",
            "duckdb",
            "--rejects",
            "--from",
            &from,
        ]));
        let script =
            "import duckdb, sys\nfor r in duckdb.sql(sys.stdin.read()).fetchall(): print(r)";
        let mut child = Command::new("python3")
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(sql.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        insta::assert_snapshot!("rejects_duckdb", text);
    }
    let _ = Path::new(path);
}

/// Rows with one key and period: `score` keeps the first in the file, which
/// a table has no notion of, so the query stops with a message naming them;
/// the rejects query lists them.
#[test]
fn a_duplicate_key_and_period_stops_the_query() {
    if !engine_present("duckdb") {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "DuckDB is required in CI"
        );
        return;
    }
    let dir = temp_dir("sql-duplicate");
    let csv = dir.join("rows.csv");
    let good = std::fs::read_to_string("tests/fixtures/sql/features.csv").unwrap();
    let mut lines: Vec<String> = good.lines().take(12).map(str::to_string).collect();
    // Q003 2024Q4 again, with other numbers.
    lines.push("Q003,2024Q4,=odd,,-3,12,2,true,+plus".into());
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    let path = "tests/fixtures/sql/features.scorecard";
    let from = format!("read_csv('{}', all_varchar = true)", csv.display());
    let run = |extra: &[&str]| {
        let mut args = vec!["compile", path, "--to", "duckdb", "--from", &from];
        args.extend_from_slice(extra);
        let sql = stdout(&scorecard(&args));
        let script = "import duckdb, sys\ntry:\n    rows = duckdb.sql(sys.stdin.read()).fetchall()\n    print(len(rows), 'rows')\n    for r in rows: print(r)\nexcept duckdb.Error as e:\n    print('error:', e)";
        let mut child = Command::new("python3")
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(sql.as_bytes())
            .unwrap();
        String::from_utf8_lossy(&child.wait_with_output().unwrap().stdout).to_string()
    };
    let scores = run(&["--period", "all"]);
    assert!(
        scores.starts_with(
            "error: Invalid Input Error: scorecard: a key and period on more than one row"
        ) && scores.contains("Q003 2024Q4"),
        "{scores}"
    );
    let rejects = run(&["--rejects"]);
    assert_eq!(
        rejects,
        "1 rows\n('Q003', '2024Q4', 'partner_id', 'duplicate key and period')\n"
    );
    // Without the second row, the same query scores every row.
    lines.pop();
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    assert!(run(&["--period", "all"]).starts_with("11 rows"));
}
