//! The checker's warnings reach the commands that run a scorecard: `score`,
//! `explain`, `test` and `diff` sum them up on one line of standard error, and
//! stop under `--deny warnings`.

use std::path::PathBuf;

use crate::support::*;

/// A scorecard whose weights add up to 90 (`L001`), its data, and a passing test.
fn ninety(name: &str) -> (PathBuf, PathBuf) {
    let dir = temp_dir(name);
    let card = dir.join("ninety.scorecard");
    std::fs::write(
        &card,
        "scorecard \"ninety\" version \"1\"\ninput {\n  key partner_id\n  revenue: number >= 0\n}\nmetric rev { owner \"o\" source \"s\" value revenue points scale 0 => 0, 100 => 100 }\nscore total { weights { rev 90 } }\ntest \"full revenue\" {\n  given { partner_id: \"P1\", revenue: 100 }\n  expect total == 90\n}\n",
    )
    .unwrap();
    let data = dir.join("partners.csv");
    std::fs::write(&data, "partner_id,revenue\nP1,100\nP2,50\n").unwrap();
    (card, data)
}

#[test]
fn running_commands_sum_up_the_warnings_on_stderr() {
    let (card, data) = ninety("warnings-summed");
    let (card, data) = (card.to_str().unwrap(), data.to_str().unwrap());
    let line =
        format!("warning: `{card}` has 1 warning (L001); run `scorecard check {card}` to see it\n");
    for args in [
        vec!["score", card, "--data", data, "--format", "csv"],
        vec!["explain", card, "--data", data, "--partner", "P1"],
        vec!["test", card],
        vec!["diff", card, card, "--data", data],
    ] {
        let out = scorecard(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(&line), "{args:?}: {}", stderr(&out));
        assert!(!stdout(&out).is_empty(), "{args:?}: the command still runs");
    }
    let scored = scorecard(&["score", card, "--data", data, "--format", "csv"]);
    assert!(stdout(&scored).contains("P1,90"), "{}", stdout(&scored));
}

#[test]
fn deny_warnings_stops_every_running_command() {
    let (card, data) = ninety("warnings-denied");
    let (card, data) = (card.to_str().unwrap(), data.to_str().unwrap());
    for args in [
        vec!["score", card, "--data", data, "--deny", "warnings"],
        vec![
            "explain",
            card,
            "--data",
            data,
            "--partner",
            "P1",
            "--deny",
            "warnings",
        ],
        vec!["diff", card, card, "--data", data, "--deny", "warnings"],
    ] {
        let out = scorecard(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stdout(&out).is_empty(), "{args:?}: nothing is written");
        let err = stderr(&out);
        assert!(err.contains("L001(weights-not-100)"), "{args:?}: {err}");
        assert!(
            err.contains("has warnings and `--deny warnings` was given"),
            "{args:?}: {err}"
        );
    }
    let out = scorecard(&["test", card, "--deny", "warnings"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("L001(weights-not-100)"), "{text}");
    assert!(text.contains("0 passed, 1 failed"), "{text}");
}

#[test]
fn a_clean_scorecard_prints_no_warning_line() {
    let out = scorecard(&["test", "scorecards/partner-performance.scorecard"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!stderr(&out).contains("warning:"), "{}", stderr(&out));
}
