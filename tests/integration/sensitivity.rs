//! `scorecard sensitivity`: rows whose tier changes when a weight or threshold moves.

use crate::support::*;

const CARD: &str = "scorecards/partner-performance.scorecard";
const DATA: &str = "scorecards/data/partners.csv";

fn json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["sensitivity", CARD, "--data", DATA, "--format", "json"];
    all.extend_from_slice(args);
    let out = scorecard(&all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Rows off the diagonal of `whatif`'s tier matrix.
fn whatif_moved(sets: &[&str]) -> u64 {
    let mut args = vec!["whatif", CARD, "--data", DATA, "--format", "json"];
    for s in sets {
        args.extend(["--set", s]);
    }
    let out = scorecard(&args);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = &v["tier_matrices"][0];
    let mut moved = 0;
    for (i, row) in m["counts"].as_array().unwrap().iter().enumerate() {
        for (j, c) in row.as_array().unwrap().iter().enumerate() {
            if m["old_labels"][i] != m["new_labels"][j] {
                moved += c.as_u64().unwrap();
            }
        }
    }
    moved
}

fn parameter<'a>(v: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    v["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"] == path)
        .unwrap()
}

#[test]
fn counts_agree_with_whatif_on_the_renormalised_weights() {
    let v = json(&[
        "--parameters",
        "lagging_index.weights.nps_rating,tiers.performance.good",
    ]);
    assert_eq!(v["parameters"].as_array().unwrap().len(), 2);
    let nps = parameter(&v, "lagging_index.weights.nps_rating");
    assert_eq!(nps["down"]["to"], 15.0);
    assert_eq!(nps["up"]["to"], 25.0);
    // 20 → 15: the other weights (35, 15, 30) grow by 85/80.
    let down = whatif_moved(&[
        "lagging_index.weights.nps_rating=15",
        "lagging_index.weights.revenue_per_rep=37.1875",
        "lagging_index.weights.revenue_scale=15.9375",
        "lagging_index.weights.win_rate=31.875",
    ]);
    assert_eq!(nps["down"]["changed"].as_u64(), Some(down));
    let up = whatif_moved(&[
        "lagging_index.weights.nps_rating=25",
        "lagging_index.weights.revenue_per_rep=32.8125",
        "lagging_index.weights.revenue_scale=14.0625",
        "lagging_index.weights.win_rate=28.125",
    ]);
    assert_eq!(nps["up"]["changed"].as_u64(), Some(up));
    let good = parameter(&v, "tiers.performance.good");
    let (d, u) = (
        whatif_moved(&["tiers.performance.good=58"]),
        whatif_moved(&["tiers.performance.good=62"]),
    );
    assert!(d > 0 && u > 0);
    assert_eq!(good["down"]["changed"].as_u64(), Some(d));
    assert_eq!(
        good["down"]["up"].as_u64(),
        Some(d),
        "a lower bar only lifts"
    );
    assert_eq!(good["up"]["changed"].as_u64(), Some(u));
    assert_eq!(
        good["up"]["down"].as_u64(),
        Some(u),
        "a higher bar only lowers"
    );
}

#[test]
fn ranked_and_deterministic() {
    let a = scorecard(&["sensitivity", CARD, "--data", DATA, "--format", "json"]);
    let b = scorecard(&["sensitivity", CARD, "--data", DATA, "--format", "json"]);
    assert_eq!(a.stdout, b.stdout);
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    let changed: Vec<u64> = v["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["changed"].as_u64().unwrap())
        .collect();
    assert!(changed.windows(2).all(|w| w[0] >= w[1]), "{changed:?}");
    assert_eq!(v["rows"], 300);
    assert_eq!(v["parameters"][0]["path"], "tiers.performance.good");
}

#[test]
fn thresholds_never_cross_their_neighbours() {
    let v = json(&[
        "--threshold-step",
        "25",
        "--parameters",
        "tiers.performance.good",
    ]);
    let good = parameter(&v, "tiers.performance.good");
    assert_eq!(good["down"]["to"], 35.0);
    assert!(good["up"]["to"].is_null());
    assert_eq!(
        good["up"]["skipped"],
        "85 would reach the next tier's threshold 80"
    );
}

#[test]
fn near_boundary_rows_are_within_epsilon_closest_first() {
    let v = json(&["--epsilon", "0.5"]);
    let near = v["near_boundary"].as_array().unwrap();
    assert!(!near.is_empty());
    let distances: Vec<f64> = near
        .iter()
        .map(|n| n["distance"].as_f64().unwrap().abs())
        .collect();
    assert!(distances.iter().all(|d| *d <= 0.5));
    assert!(distances.windows(2).all(|w| w[0] <= w[1]));
    for n in near {
        let value = n["value"].as_f64().unwrap();
        let threshold = n["threshold"].as_f64().unwrap();
        assert!((value - threshold - n["distance"].as_f64().unwrap()).abs() < 1e-9);
    }
    let wider = json(&["--epsilon", "1"]);
    assert!(wider["near_boundary"].as_array().unwrap().len() > near.len());
}

#[test]
fn markdown_report() {
    let out = scorecard(&[
        "sensitivity",
        CARD,
        "--data",
        DATA,
        "--format",
        "markdown",
        "--epsilon",
        "0.2",
        "--parameters",
        "tiers.performance.good,tiers.performance.excellent,leading_index.weights.market_priority",
    ]);
    assert_eq!(out.status.code(), Some(0));
    insta::with_settings!({snapshot_path => "../snapshots/decide", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("sensitivity_markdown", stdout(&out));
    });
}

#[test]
fn an_unknown_parameter_gets_did_you_mean() {
    let out = scorecard(&[
        "sensitivity",
        CARD,
        "--data",
        DATA,
        "--parameters",
        "tiers.performance.god",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("did you mean `tiers.performance.good`?"),
        "{err}"
    );
    let bad = scorecard(&["sensitivity", CARD, "--data", DATA, "--weight-step", "0"]);
    assert_eq!(bad.status.code(), Some(2));
}
