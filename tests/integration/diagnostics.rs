//! One fixture per diagnostic code, named after the code, each producing that
//! code; its colourless report and JSON form are snapshotted.
//!
//! A fixture is `fixtures/check/CODE.scorecard`, or a directory
//! `fixtures/check/CODE/` whose `main.scorecard` is checked (for imports). A
//! data file `CODE.csv` (or `.json`, `.ndjson`) beside it is checked with
//! `--data`. Codes whose input is too large to commit are generated here.

use std::path::{Path, PathBuf};

use scorecard::diag::Code;
use scorecard::source::SourceMap;

use crate::support::*;

const FIXTURES: &str = "tests/fixtures/check";

/// Codes whose fixture is made by the test rather than committed.
const GENERATED: &[Code] = &[
    Code::P006,
    // Problems found when data is loaded: produced and snapshotted in `data.rs`.
    Code::D004,
    Code::D005,
    Code::D006,
    Code::D007,
    Code::D008,
    Code::D009,
    Code::D010,
    Code::D011,
    // Produced and snapshotted in `numbers.rs`.
    Code::D025,
    // Refused by `scorecard compile`: produced and snapshotted in `sql.rs`.
    Code::S050,
    // Test outcomes: produced and snapshotted in `test_runner.rs`.
    Code::E001,
    Code::E002,
    Code::E003,
];

fn fixture_path(code: Code) -> Option<PathBuf> {
    let file = Path::new(FIXTURES).join(format!("{}.scorecard", code.as_str()));
    let dir = Path::new(FIXTURES)
        .join(code.as_str())
        .join("main.scorecard");
    [file, dir].into_iter().find(|p| p.exists())
}

fn data_path(code: Code) -> Option<PathBuf> {
    ["csv", "json", "ndjson"]
        .iter()
        .map(|ext| Path::new(FIXTURES).join(format!("{}.{ext}", code.as_str())))
        .find(|p| p.exists())
}

fn run_fixture(code: Code, path: &Path) -> (String, String, Vec<&'static str>) {
    let (mut sources, mut checked) = check_file(path);
    if let (Some(data), Some(model)) = (data_path(code), checked.model.clone()) {
        let found = scorecard_data(&model, &data, &mut sources);
        checked.diagnostics.extend(found);
    }
    let codes = codes(&checked);
    (human(&sources, &checked), json(&sources, &checked), codes)
}

fn scorecard_data(
    model: &scorecard::model::Model,
    data: &Path,
    sources: &mut SourceMap,
) -> scorecard::diag::Diagnostics {
    scorecard::check::contract::check_data_header(model, data, sources).expect("data readable")
}

#[test]
fn every_code_has_a_fixture_that_produces_it() {
    let mut problems = Vec::new();
    for &code in Code::ALL {
        // Corrections and overrides files: produced and snapshotted in `governance.rs`.
        if GENERATED.contains(&code) || crate::governance::CODES.contains(&code) {
            continue;
        }
        let Some(path) = fixture_path(code) else {
            problems.push(format!("{code}: no fixture {FIXTURES}/{code}.scorecard"));
            continue;
        };
        let first_line = std::fs::read(&path).ok().and_then(|b| {
            String::from_utf8_lossy(&b)
                .lines()
                .next()
                .map(str::to_string)
        });
        if !first_line.is_some_and(|l| l.starts_with("//")) {
            problems.push(format!(
                "{code}: the fixture's first line must be a `//` comment stating the case"
            ));
        }
        let (human, json, codes) = run_fixture(code, &path);
        if !codes.contains(&code.as_str()) {
            problems.push(format!("{code}: fixture produced {codes:?}, not {code}"));
            continue;
        }
        insta::with_settings!({
            snapshot_path => "../snapshots/diagnostics",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("{} {}", code.as_str(), code.name()),
        }, {
            insta::assert_snapshot!(format!("{}_human", code.as_str()), human);
            insta::assert_snapshot!(format!("{}_json", code.as_str()), json);
        });
    }
    assert!(
        problems.is_empty(),
        "fixture problems:\n{}",
        problems.join("\n")
    );
}

#[test]
fn p006_a_file_over_the_size_limit() {
    let dir = std::env::temp_dir().join(format!("scorecard-p006-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("huge.scorecard");
    let line = "// padding padding padding padding padding padding padding padding\n";
    let text = line.repeat(scorecard::syntax::prescan::MAX_FILE_BYTES / line.len() + 10);
    std::fs::write(&path, &text).unwrap();
    let (sources, checked) = check_file(&path);
    assert_eq!(codes(&checked), vec!["P006"]);
    let report = human(&sources, &checked).replace(&path.display().to_string(), "huge.scorecard");
    insta::with_settings!({
        snapshot_path => "../snapshots/diagnostics",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!("P006_human", report);
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_code_is_documented() {
    let mut missing = Vec::new();
    for &code in Code::ALL {
        match scorecard::diag::docs::documentation(code) {
            Some(doc) => {
                for part in ["**Severity:**", "**Example:**", "**Fix:**"] {
                    if !doc.contains(part) {
                        missing.push(format!("{code}: its section lacks {part}"));
                    }
                }
                let severity = format!("**Severity:** {}", code.severity().as_str());
                if !doc.contains(&severity) {
                    missing.push(format!(
                        "{code}: documented severity differs from the registry"
                    ));
                }
            }
            None => missing.push(format!(
                "{code}: no `## {} {}` section in docs/diagnostics.md",
                code.as_str(),
                code.name()
            )),
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn documentation_has_no_unknown_codes() {
    let doc = std::fs::read_to_string("docs/diagnostics.md").unwrap();
    for line in doc.lines().filter(|l| l.starts_with("## ")) {
        let code = line
            .trim_start_matches("## ")
            .split_whitespace()
            .next()
            .unwrap_or("");
        assert!(
            Code::parse(code).is_some(),
            "docs/diagnostics.md documents unknown code {code}"
        );
    }
}

#[test]
fn codes_and_names_are_unique() {
    let mut seen = std::collections::HashSet::new();
    for &code in Code::ALL {
        assert!(seen.insert(code.as_str()), "{code} twice");
        assert!(seen.insert(code.name()), "{} twice", code.name());
    }
}
