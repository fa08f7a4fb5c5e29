//! Every example scorecard goes through every stage available and stays clean.

use std::path::PathBuf;

use crate::support::*;

fn examples() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = ["scorecards", "bench"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()))
        .filter(|p| p.extension().is_some_and(|e| e == "scorecard"))
        .collect();
    out.sort();
    out
}

#[test]
fn the_examples_exist() {
    let names: Vec<String> = examples().iter().map(|p| p.display().to_string()).collect();
    for expected in [
        "scorecards/partner-onboarding.scorecard",
        "scorecards/partner-performance.scorecard",
        "bench/w1.scorecard",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
}

#[test]
fn every_example_checks_clean() {
    for path in examples() {
        let (sources, checked) = check_file(&path);
        assert!(
            checked.diagnostics.is_empty(),
            "{} is not clean:\n{}",
            path.display(),
            human(&sources, &checked)
        );
        let model = checked.model.as_ref().unwrap();
        assert!(
            !model.scores.is_empty(),
            "{} defines no score",
            path.display()
        );
        assert!(
            !model.order.is_empty(),
            "{} has no evaluation order",
            path.display()
        );
    }
}

#[test]
fn every_example_contract_matches_the_sample_data() {
    for path in examples().iter().filter(|p| p.starts_with("scorecards")) {
        let (mut sources, checked) = check_file(path);
        let model = checked.model.unwrap();
        let found = scorecard::check::contract::check_data_header(
            &model,
            std::path::Path::new("scorecards/data/partners.csv"),
            &mut sources,
        )
        .unwrap();
        assert!(
            found.is_empty(),
            "{}: {:?}",
            path.display(),
            found.iter().map(|d| &d.message).collect::<Vec<_>>()
        );
    }
}

#[test]
fn every_example_has_tests() {
    for path in examples().iter().filter(|p| p.starts_with("scorecards")) {
        let (_, checked) = check_file(path);
        let tests = &checked.model.unwrap().tests;
        assert!(
            tests.len() >= 3,
            "{} has {} tests",
            path.display(),
            tests.len()
        );
    }
}

#[test]
fn the_model_of_w1_is_stable() {
    let (_, checked) = check_file(std::path::Path::new("bench/w1.scorecard"));
    let model = checked.model.unwrap();
    let summary = format!(
        "name: {:?} version: {:?}\ncolumns: {}\nmetrics: {}\nsegments: {}\nscores: {}\nflags: {}\nrules: {}\noutput: {}\norder: {:?}",
        model.name,
        model.version,
        model.contract.columns.len(),
        model
            .metrics
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        model
            .segments
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        model
            .scores
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        model
            .flags
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        model
            .rules
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        model
            .output
            .as_ref()
            .map(|o| o
                .columns
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(","))
            .unwrap_or_default(),
        model.order,
    );
    insta::assert_snapshot!(summary);
}
