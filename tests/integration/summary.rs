//! `score --summary`: counts over the reported rows on standard error, the
//! results on standard output untouched.

use crate::support::*;

const PERFORMANCE: &str = "scorecards/partner-performance.scorecard";
const DATA: &str = "scorecards/data/partners.csv";

#[test]
fn the_summary_goes_to_stderr_and_leaves_the_csv_alone() {
    let plain = scorecard(&["score", PERFORMANCE, "--data", DATA, "--format", "csv"]);
    let with = scorecard(&[
        "score",
        PERFORMANCE,
        "--data",
        DATA,
        "--format",
        "csv",
        "--summary",
    ]);
    assert_eq!(with.status.code(), Some(0));
    assert_eq!(plain.stdout, with.stdout, "the CSV is the same bytes");
    let stderr = String::from_utf8(with.stderr).unwrap();
    insta::with_settings!({snapshot_path => "../snapshots/score", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("summary_latest", stderr);
    });
    // The counts agree with the rows written.
    let csv = stdout(&plain);
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    let excellent = rows.iter().filter(|r| r.contains(",excellent,")).count();
    assert!(
        stderr.contains(&format!("\n  excellent          {excellent:>3}")),
        "{stderr}"
    );
}

#[test]
fn the_summary_counts_every_reported_row_of_every_period() {
    let out = scorecard(&[
        "score",
        "scorecards/partner-onboarding.scorecard",
        "--data",
        DATA,
        "--period",
        "all",
        "--format",
        "csv",
        "--summary",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let rows = stdout(&out).lines().count() - 1;
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!("summary of the {rows} reported rows")),
        "{stderr}"
    );
    insta::with_settings!({snapshot_path => "../snapshots/score", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("summary_all_periods", stderr);
    });
}
