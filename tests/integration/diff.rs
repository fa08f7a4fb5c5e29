//! `scorecard diff`: the impact of a rule change on the sample partners.

use crate::support::*;

const OLD: &str = "scorecards/partner-performance.scorecard";
const NEW: &str = "scorecards/partner-performance-v2.scorecard";
const DATA: &str = "scorecards/data/partners.csv";

#[test]
fn markdown_for_a_pull_request() {
    let out = scorecard(&["diff", OLD, NEW, "--data", DATA, "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for part in [
        "## Scorecard change: `partner-performance 2025.3` → `partner-performance 2026.1`",
        "weight of `win_rate` 25 → 30",
        "value 0.4 * leading_index + 0.6 * lagging_index → 0.35 * leading_index + 0.65 * lagging_index",
        "excellent >= 80",
        "### Tier migration: performance",
        "### Top movers",
        "### Actions gained and lost",
    ] {
        assert!(text.contains(part), "{part:?} missing from:\n{text}");
    }
    insta::with_settings!({snapshot_path => "../snapshots/diff", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("v1_to_v2_markdown", text);
    });
}

#[test]
fn json_counts_add_up() {
    let out = scorecard(&["diff", OLD, NEW, "--data", DATA, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let matrix = &v["tier_matrices"][0]["counts"];
    let total: u64 = matrix
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(total, 300, "every partner is in the tier matrix once");
    assert_eq!(v["partners_old"], 300);
    assert!(v["movers"].as_array().unwrap().len() <= 10);
    let deltas = v["deltas"].as_array().unwrap();
    let performance = deltas.iter().find(|d| d["score"] == "performance").unwrap();
    assert!(performance["min"].as_f64().unwrap() <= performance["median"].as_f64().unwrap());
    assert!(performance["median"].as_f64().unwrap() <= performance["max"].as_f64().unwrap());
}

#[test]
fn fail_on_change_gates_merges() {
    let changed = scorecard(&["diff", OLD, NEW, "--data", DATA, "--fail-on-change"]);
    assert_eq!(changed.status.code(), Some(1));
    let same = scorecard(&["diff", OLD, OLD, "--data", DATA, "--fail-on-change"]);
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));
    assert!(
        stdout(&same).contains("What changed in the rules\n─────────────────────────\nnothing\n")
    );
    let report = scorecard(&["diff", OLD, NEW, "--data", DATA]);
    assert_eq!(
        report.status.code(),
        Some(0),
        "a report exits 0 without --fail-on-change"
    );
}
