//! `scorecard whatif`: changed parameters, checked like an edit, reported like `diff`.

use crate::support::*;

const CARD: &str = "scorecards/partner-performance.scorecard";
const DATA: &str = "scorecards/data/partners.csv";

/// `whatif` on the sample data with these `--set`s and other arguments.
fn whatif(sets: &[&str], more: &[&str]) -> std::process::Output {
    let mut args = vec!["whatif", CARD, "--data", DATA];
    for s in sets {
        args.extend(["--set", s]);
    }
    args.extend_from_slice(more);
    scorecard(&args)
}

#[test]
fn lists_every_parameter_with_its_value() {
    let out = scorecard(&["whatif", CARD, "--list-parameters", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let find = |path: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|p| p["path"] == path)
            .unwrap_or_else(|| panic!("{path} not listed"))
            .clone()
    };
    assert_eq!(find("tiers.performance.good")["value"], 60.0);
    assert_eq!(find("tiers.performance.good")["kind"], "threshold");
    assert_eq!(find("lagging_index.weights.win_rate")["value"], 30.0);
    assert_eq!(
        find("lagging_index[type=reseller,msp].weights.retention")["value"],
        25.0
    );
    assert_eq!(find("training_completion.points[2]")["value"], 70.0);
    assert_eq!(find("training_completion.points[2].at")["value"], 0.7);
    assert_eq!(find("nps_rating.scale.from")["value"], -100.0);
    assert_eq!(find("leading_index.max_change")["kind"], "guardrail");
    let table = stdout(&scorecard(&["whatif", CARD, "--list-parameters"]));
    assert!(table.contains("tiers.performance.excellent"), "{table}");
}

#[test]
fn a_lower_threshold_moves_partners_up_and_nothing_else() {
    let out = whatif(&["tiers.performance.good=55"], &["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<String> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["what"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert!(rules[0].contains("good >= 55"), "{rules:?}");
    let m = &v["tier_matrices"][0];
    let labels: Vec<&str> = m["old_labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let at = |l: &str| labels.iter().position(|x| *x == l).unwrap();
    let moved = m["counts"][at("needs_improvement")][at("good")]
        .as_u64()
        .unwrap();
    assert!(moved > 0, "some partners between 55 and 60 move up");
    let down = m["counts"][at("good")][at("needs_improvement")]
        .as_u64()
        .unwrap();
    assert_eq!(down, 0, "a lower threshold moves nobody down");
    for d in v["deltas"].as_array().unwrap() {
        assert_eq!(d["changed"], 0, "a threshold changes no score: {d}");
    }
}

#[test]
fn the_same_value_changes_nothing() {
    let out = whatif(
        &["lagging_index.weights.win_rate=30"],
        &["--format", "markdown"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("with lagging_index.weights.win_rate=30"),
        "{text}"
    );
    assert!(text.contains("0 of 300 partners changed"), "{text}");
}

#[test]
fn an_unknown_path_gets_did_you_mean() {
    let out = whatif(&["leading_index.weights.pipline_per_rep=20"], &[]);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!(stderr(&out), @r"
    error: `leading_index.weights.pipline_per_rep` names no parameter of the scorecard
      help: did you mean `leading_index.weights.pipeline_per_rep`? `--list-parameters` lists every path
    ");
}

#[test]
fn a_value_that_is_not_a_number_is_refused() {
    for (set, message) in [
        ("win_rate.points[2]=abc", "`abc` is not a number"),
        ("win_rate.points[2]=", "`` is not a number"),
        ("win_rate.points[2]=1e999", "`1e999` is not a number"),
        ("win_rate.points[2]", "has no `=`"),
    ] {
        let out = whatif(&[set], &[]);
        assert_eq!(out.status.code(), Some(2), "{set}");
        assert!(stderr(&out).contains(message), "{set}: {}", stderr(&out));
    }
    let twice = whatif(
        &["tiers.performance.good=50", "tiers.performance.good=55"],
        &[],
    );
    assert_eq!(twice.status.code(), Some(2));
    assert!(
        stderr(&twice).contains("is set twice"),
        "{}",
        stderr(&twice)
    );
}

#[test]
fn a_change_that_breaks_the_scorecard_gets_its_diagnostics_in_place() {
    let out = whatif(&["leading_index.max_change=-3"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("P001"), "{err}");
    assert!(
        err.contains("partner-performance.scorecard:316:14"),
        "{err}"
    );
    assert!(err.contains("max_change -3 per period"), "{err}");
    assert!(stdout(&out).is_empty());
    // Out of range for the setting: a checker error, not a number.
    let out = whatif(&["leading_index.smooth=1.5"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("S011"), "{}", stderr(&out));
}

#[test]
fn weights_that_no_longer_add_up_are_shown_as_warnings() {
    let out = whatif(&["leading_index.weights.market_priority=20"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(err.contains("add up to 110, not 100"), "{err}");
}

#[test]
fn save_writes_the_changed_scorecard_formatted() {
    let dir = temp_dir("whatif-save");
    let saved = dir.join("new.scorecard");
    let saved_arg = saved.to_str().unwrap();
    let out = scorecard(&[
        "whatif",
        CARD,
        "--data",
        DATA,
        "--set",
        "tiers.performance.good=65",
        "--set",
        "training_completion.points[2]=75",
        "--save",
        saved_arg,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let before = std::fs::read_to_string(CARD).unwrap();
    let after = std::fs::read_to_string(&saved).unwrap();
    let changed: Vec<(&str, &str)> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(
        changed,
        vec![
            ("    >= 0.7 => 70", "    >= 0.7 => 75"),
            ("  good              >= 60 {", "  good              >= 65 {"),
        ]
    );
    assert_eq!(scorecard(&["check", saved_arg]).status.code(), Some(0));
    assert_eq!(
        scorecard(&["fmt", "--check", saved_arg]).status.code(),
        Some(0)
    );
    // Never over an input.
    let over = scorecard(&[
        "whatif",
        CARD,
        "--data",
        DATA,
        "--set",
        "tiers.performance.good=65",
        "--save",
        CARD,
    ]);
    assert_eq!(over.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(CARD).unwrap(), before);
}
