//! The command line as CI runs it: formats, exit codes, colour.

use crate::support::*;

#[test]
fn clean_examples_exit_zero() {
    let out = scorecard(&["check", "scorecards/"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stdout(&out), "checked 3 files: no problems\n");
}

#[test]
fn errors_exit_one() {
    let out = scorecard(&["check", "tests/fixtures/check/N001.scorecard"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn warnings_exit_zero_unless_denied() {
    let path = "tests/fixtures/check/L001.scorecard";
    assert_eq!(scorecard(&["check", path]).status.code(), Some(0));
    assert_eq!(
        scorecard(&["check", "--deny", "warnings", path])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn usage_and_io_errors_exit_two() {
    assert_eq!(
        scorecard(&["check", "no/such/file.scorecard"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(scorecard(&["check"]).status.code(), Some(2));
    assert_eq!(
        scorecard(&["check", "--format", "xml", "scorecards/"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(scorecard(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn no_colour_when_not_a_terminal() {
    let out = scorecard(&["check", "tests/fixtures/check/N001.scorecard"]);
    assert!(
        !stdout(&out).contains('\u{1b}'),
        "escape codes in piped output"
    );
}

#[test]
fn json_lists_every_field() {
    let out = scorecard(&[
        "check",
        "--format",
        "json",
        "tests/fixtures/check/N001.scorecard",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &v.as_array().unwrap()[0];
    for field in [
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "code",
        "severity",
        "message",
        "help",
    ] {
        assert!(first.get(field).is_some(), "no {field} in {first}");
    }
}

#[test]
fn github_annotations() {
    let out = scorecard(&[
        "check",
        "--format",
        "github",
        "tests/fixtures/check/N001.scorecard",
    ]);
    let text = stdout(&out);
    assert!(
        text.starts_with("::error file=tests/fixtures/check/N001.scorecard,line="),
        "{text}"
    );
    assert!(text.contains("title=N001 unknown-name::"), "{text}");
    assert_eq!(text.lines().count(), 1, "one line per diagnostic: {text}");
}

#[test]
fn data_header_is_checked() {
    let out = scorecard(&[
        "check",
        "scorecards/",
        "--data",
        "scorecards/data/partners.csv",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = scorecard(&[
        "check",
        "tests/fixtures/check/D001.scorecard",
        "--data",
        "tests/fixtures/check/D001.csv",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("D001"));
}

#[test]
fn explain_code_prints_the_documentation() {
    let out = scorecard(&["explain-code", "L001"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).starts_with("## L001 weights-not-100"),
        "{}",
        stdout(&out)
    );
    let by_name = scorecard(&["explain-code", "weights-not-100"]);
    assert_eq!(stdout(&by_name), stdout(&out));
    let list = scorecard(&["explain-code"]);
    assert_eq!(
        stdout(&list).lines().count(),
        scorecard::diag::Code::ALL.len()
    );
    let unknown = scorecard(&["explain-code", "L999"]);
    assert_eq!(unknown.status.code(), Some(2));
}
