//! `scorecard backtest`: the statistics against numbers computed
//! independently (tests/fixtures/decide/expected.py: SciPy, scikit-learn,
//! NumPy), and the command's refusals.

use crate::support::*;

const FIXTURE: &str = "tests/fixtures/decide/backtest.scorecard";
const FIXTURE_DATA: &str = "tests/fixtures/decide/data.csv";
const CARD: &str = "scorecards/partner-performance.scorecard";
const DATA: &str = "scorecards/data/partners.csv";

fn run(args: &[&str]) -> serde_json::Value {
    let out = scorecard(args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn expected() -> serde_json::Value {
    let text = std::fs::read_to_string("tests/fixtures/decide/expected.json").unwrap();
    serde_json::from_str(&text).unwrap()
}

fn close(actual: &serde_json::Value, expected: &serde_json::Value, what: &str) {
    let (a, e) = (actual.as_f64(), expected.as_f64());
    assert!(
        matches!((a, e), (Some(a), Some(e)) if (a - e).abs() <= 1e-9 * e.abs().max(1.0)),
        "{what}: {actual} != {expected}"
    );
}

fn fixture(outcome: &str) -> serde_json::Value {
    run(&[
        "backtest",
        FIXTURE,
        "--data",
        FIXTURE_DATA,
        "--outcome",
        outcome,
        "--treatment",
        "pilot",
        "--bootstrap",
        "200",
        "--seed",
        "42",
        "--format",
        "json",
    ])
}

fn check_against_python(outcome: &str) {
    let v = fixture(outcome);
    let e = &expected()[outcome];
    let s = &v["scores"][0];
    assert_eq!(s["score"], "health");
    assert_eq!(s["pairs"], e["pairs"]);
    for k in ["last_periods", "no_row_at_horizon", "outcome_missing"] {
        assert_eq!(s["left_out"][k], e["left_out"][k], "{k}");
    }
    close(&s["pooled"]["spearman"], &e["spearman"], "pooled Spearman");
    close(
        &s["pooled"]["interval"]["low"],
        &e["interval"][0],
        "interval low",
    );
    close(
        &s["pooled"]["interval"]["high"],
        &e["interval"][1],
        "interval high",
    );
    assert_eq!(s["pooled"]["interval"]["resamples"], e["interval"][2]);
    for c in s["periods"].as_array().unwrap() {
        let period = c["period"].as_str().unwrap();
        close(&c["spearman"], &e["periods"][period], period);
    }
    for g in s["tiers"].as_array().unwrap() {
        let label = g["label"].as_str().unwrap();
        assert_eq!(g["n"], e["tiers"][label][0], "{label}");
        close(&g["mean_outcome"], &e["tiers"][label][1], label);
    }
    for st in s["treatment"].as_array().unwrap() {
        let tier = st["tier"].as_str().unwrap();
        let x = &e["treatment_pilot"][tier];
        assert_eq!(st["treated"], x[0]);
        assert_eq!(st["control"], x[1]);
        close(&st["difference"], &x[2], "difference");
        close(&st["low"], &x[3], "difference low");
        close(&st["high"], &x[4], "difference high");
    }
    for d in s["drift"].as_array().unwrap() {
        let key = format!(
            "{} {}",
            d["from"].as_str().unwrap(),
            d["to"].as_str().unwrap()
        );
        close(&d["psi"], &expected()["psi"][&key], &key);
    }
}

#[test]
fn numeric_outcome_matches_scipy() {
    check_against_python("revenue");
}

#[test]
fn true_false_outcome_matches_scipy_and_scikit_learn() {
    check_against_python("won");
    let v = fixture("won");
    assert_eq!(v["binary"], true);
    close(&v["scores"][0]["auc"], &expected()["won"]["auc"], "AUC");
    let lift = &v["scores"][0]["top_tier_lift"];
    assert_eq!(lift["tier"], "high");
    close(
        &lift["lift"],
        &serde_json::json!(lift["rate"].as_f64().unwrap() / lift["overall_rate"].as_f64().unwrap()),
        "lift",
    );
}

#[test]
fn the_same_seed_gives_the_same_report() {
    let args = [
        "backtest",
        FIXTURE,
        "--data",
        FIXTURE_DATA,
        "--outcome",
        "revenue",
        "--bootstrap",
        "50",
    ];
    let (a, b) = (scorecard(&args), scorecard(&args));
    assert_eq!(a.stdout, b.stdout);
    let mut other = args.to_vec();
    other.extend(["--seed", "7"]);
    assert_ne!(scorecard(&other).stdout, a.stdout);
}

#[test]
fn sample_partners_report() {
    let out = scorecard(&[
        "backtest",
        CARD,
        "--data",
        DATA,
        "--outcome",
        "deals_won > 0",
        "--treatment",
        "certified",
        "--bootstrap",
        "20",
        "--format",
        "markdown",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for part in [
        "## Backtest: does the score at period t predict `deals_won > 0` at t+1?",
        "### performance: 1969 pairs",
        "mean outcome per tier at t (monotonic)",
        "AUC: ",
        "top tier `excellent`",
        "treatment `certified` at t against control",
    ] {
        assert!(text.contains(part), "{part:?} missing from:\n{text}");
    }
    insta::with_settings!({snapshot_path => "../snapshots/decide", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("backtest_markdown", text);
    });
}

#[test]
fn an_action_as_treatment_compares_the_rows_it_fired_for() {
    let v = run(&[
        "backtest",
        CARD,
        "--data",
        DATA,
        "--outcome",
        "revenue",
        "--treatment",
        "root-cause review",
        "--bootstrap",
        "0",
        "--format",
        "json",
    ]);
    assert_eq!(v["treatment"], "action \"root-cause review\"");
    let performance = v["scores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["score"] == "performance")
        .unwrap();
    let treated: u64 = performance["treatment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["treated"].as_u64().unwrap())
        .sum();
    assert!(treated > 0, "the action fired for some partners");
    let excellent = &performance["treatment"][0];
    assert_eq!(excellent["tier"], "excellent");
    assert_eq!(
        excellent["treated"], 0,
        "performance < 40 is never excellent"
    );
    assert!(excellent["warning"].as_str().unwrap().contains("too few"));
}

#[test]
fn the_outcome_is_checked_like_any_expression() {
    let out = scorecard(&["backtest", CARD, "--data", DATA, "--outcome", "revnue + 1"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("N001"), "{err}");
    assert!(err.contains("did you mean `revenue`?"), "{err}");
    let out = scorecard(&["backtest", CARD, "--data", DATA, "--outcome", "region"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("must be a number or true/false"));
}

#[test]
fn data_without_a_period_column_is_refused() {
    let dir = temp_dir("backtest-period");
    let card = dir.join("noperiod.scorecard");
    std::fs::write(
        &card,
        "scorecard \"p\" version \"1\"\ninput {\n  key id\n  x: number\n}\nmetric m \"m\" {\n  owner \"o\"\n  source \"s\"\n  value x\n}\nscore s \"s\" {\n  weights {\n    m 100\n  }\n}\n",
    )
    .unwrap();
    let data = dir.join("d.csv");
    std::fs::write(&data, "id,x\na,1\n").unwrap();
    let out = scorecard(&[
        "backtest",
        card.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--outcome",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("backtest needs a period column"),
        "{}",
        stderr(&out)
    );
}
