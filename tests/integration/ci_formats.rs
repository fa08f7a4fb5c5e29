//! `check --format sarif` and `check --format junit`: the reports CI systems read.

use std::process::Command;

use serde_json::Value;

use crate::support::scorecard;

/// Validate a document with Python: `check` is a script reading it on standard input.
fn python(script: &str, input: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs (CI installs it with jsonschema)");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every fixture of every code, checked at once, is a valid SARIF 2.1.0 log
/// (against the OASIS schema, committed in `tests/schemas/`) whose results
/// are the diagnostics `--format json` gives, place for place.
#[test]
fn sarif_of_every_diagnostic_fixture_is_valid_against_the_schema() {
    let out = scorecard(&["check", "--format", "sarif", "tests/fixtures/check/"]);
    assert_eq!(out.status.code(), Some(1));
    let verdict = python(
        "import json, sys, jsonschema\n\
         schema = json.load(open('tests/schemas/sarif-schema-2.1.0.json'))\n\
         jsonschema.Draft4Validator(schema).validate(json.load(sys.stdin))\n\
         print('valid')",
        &out.stdout,
    );
    assert_eq!(verdict, "valid\n");

    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let json_out = scorecard(&["check", "--format", "json", "tests/fixtures/check/"]);
    let plain: Vec<Value> = serde_json::from_slice(&json_out.stdout).unwrap();
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), plain.len());
    for (r, p) in results.iter().zip(&plain) {
        assert_eq!(r["ruleId"], p["code"]);
        assert_eq!(
            rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"],
            p["code"]
        );
        assert_eq!(r["level"], p["severity"]);
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert_eq!(region["startLine"], p["line"]);
        assert_eq!(region["startColumn"], p["column"]);
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            p["file"].as_str().unwrap().replace(' ', "%20")
        );
        assert!(
            r["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with(p["message"].as_str().unwrap())
        );
    }
    // One rule per code used, each with its documentation and its link.
    let mut used: Vec<&str> = plain.iter().map(|p| p["code"].as_str().unwrap()).collect();
    used.sort_unstable();
    used.dedup();
    // (in the registry's order: P, N, T, S, L, …)
    let mut ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, used);
    assert!(used.len() > 40, "the fixtures cover most codes");
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        let anchor = format!("#{}-{}", id.to_lowercase(), rule["name"].as_str().unwrap());
        assert!(
            rule["helpUri"].as_str().unwrap().ends_with(&anchor),
            "{rule}"
        );
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .unwrap()
                .starts_with(&format!("## {id} "))
        );
    }
}

#[test]
fn sarif_without_findings_has_an_empty_run() {
    let out = scorecard(&[
        "check",
        "--format",
        "sarif",
        "scorecards/partner-performance.scorecard",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"], Value::Array(Vec::new()));
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"],
        Value::Array(Vec::new())
    );
}

/// One test case per file, failed by errors (and by warnings under `--deny
/// warnings`); the document is well-formed XML.
#[test]
fn junit_has_a_case_per_file() {
    let files = [
        "tests/fixtures/check/N001.scorecard",
        "tests/fixtures/check/L001.scorecard",
        "scorecards/partner-onboarding.scorecard",
    ];
    let mut args = vec!["check", "--format", "junit"];
    args.extend(files);
    let out = scorecard(&args);
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8(out.stdout).unwrap();
    let parsed = python(
        "import sys, xml.etree.ElementTree as ET\n\
         root = ET.fromstring(sys.stdin.read())\n\
         for case in root.iter('testcase'):\n\
         \x20   print(case.get('name'), [c.tag for c in case])",
        xml.as_bytes(),
    );
    assert_eq!(
        parsed,
        "tests/fixtures/check/N001.scorecard ['failure']\n\
         tests/fixtures/check/L001.scorecard ['system-out']\n\
         scorecards/partner-onboarding.scorecard []\n"
    );
    insta::assert_snapshot!(xml);

    args.extend(["--deny", "warnings"]);
    let denied = String::from_utf8(scorecard(&args).stdout).unwrap();
    assert!(denied.contains("tests=\"3\" failures=\"2\""), "{denied}");
}
