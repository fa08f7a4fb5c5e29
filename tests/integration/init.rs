//! `scorecard init --data FILE`: the starter scorecard written for a data file
//! checks, its test passes, and it scores the file it came from.

use std::path::{Path, PathBuf};

use crate::support::*;

fn snap(name: &str, text: &str) {
    insta::with_settings!({snapshot_path => "../snapshots/init", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

/// `init` on `data`, then `check`, `test` and `score` on the result; the
/// scorecard's text.
fn init_and_use(dir: &Path, data: &Path) -> String {
    let scorecard_path = dir.join("starter.scorecard");
    let _ = std::fs::remove_file(&scorecard_path);
    let out = scorecard(&[
        "init",
        "--data",
        data.to_str().unwrap(),
        "--out",
        scorecard_path.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&scorecard_path).unwrap();
    let check = scorecard(&["check", scorecard_path.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(0), "{}\n{text}", stdout(&check));
    assert!(stdout(&check).contains("no problems"), "{}", stdout(&check));
    let fmt = scorecard(&["fmt", "--check", scorecard_path.to_str().unwrap()]);
    assert_eq!(fmt.status.code(), Some(0), "{}", stdout(&fmt));
    let test = scorecard(&["test", scorecard_path.to_str().unwrap()]);
    assert_eq!(test.status.code(), Some(0), "{}\n{text}", stdout(&test));
    if text.contains("\ntest ") {
        assert!(
            stdout(&test).contains("1 passed, 0 failed"),
            "{}",
            stdout(&test)
        );
    }
    if text.contains("\nscore ") {
        let score = scorecard(&[
            "score",
            scorecard_path.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--format",
            "csv",
        ]);
        let stderr = String::from_utf8_lossy(&score.stderr);
        assert_eq!(score.status.code(), Some(0), "{stderr}\n{text}");
        assert!(stderr.contains(", rejected 0;"), "{stderr}");
    }
    text
}

/// The text with every run of white space made one space: the layout is `fmt`'s.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_sample_data_gets_a_contract_and_working_examples() {
    let dir = temp_dir("init-sample");
    let text = init_and_use(&dir, Path::new("scorecards/data/partners.csv"));
    for part in [
        "input { key partner_id period period",
        "partner_type: enum(\"msp\", \"referral\", \"reseller\", \"technology\")",
        "certified: bool",
        "nps: integer in -88..100, optional",
        "metric sales_reps_points",
        "score overall",
        "tiers overall",
        "test \"the first row of the file\"",
    ] {
        assert!(
            words(&text).contains(part),
            "{part:?} missing from:\n{text}"
        );
    }
    snap("partners", &text);
    // Standard output without `--out`: the same text.
    let out = scorecard(&["init", "--data", "scorecards/data/partners.csv"]);
    assert_eq!(stdout(&out), text);
}

#[test]
fn an_existing_file_is_replaced_only_with_force() {
    let dir = temp_dir("init-force");
    let path = write(&dir, "mine.scorecard", "// mine\n");
    let args = [
        "init",
        "--data",
        "scorecards/data/partners.csv",
        "--out",
        path.to_str().unwrap(),
    ];
    let out = scorecard(&args);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`--force` replaces it"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "// mine\n");
    let out = scorecard(&[&args[..], &["--force"]].concat());
    assert_eq!(out.status.code(), Some(0));
    assert!(std::fs::read_to_string(&path).unwrap().contains("input {"));
    // Never onto the data, even with `--force`.
    let data = write(&dir, "d.csv", "id,x\nA,1\n");
    let out = scorecard(&[
        "init",
        "--data",
        data.to_str().unwrap(),
        "--out",
        dir.join(".").join("d.csv").to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&data).unwrap(), "id,x\nA,1\n");
}

#[test]
fn key_and_period_can_be_given() {
    let dir = temp_dir("init-key");
    let data = write(
        &dir,
        "d.csv",
        "account,month,spend\nA,2025-01,10\nA,2025-02,12\nB,2025-01,7\n",
    );
    let out = scorecard(&[
        "init",
        "--data",
        data.to_str().unwrap(),
        "--key",
        "account",
        "--period",
        "month",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(words(&stdout(&out)).contains("input { key account period month"));
    let out = scorecard(&["init", "--data", data.to_str().unwrap(), "--key", "acount"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`--key acount`: no such column"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `account`?"), "{stderr}");
    // A key that repeats within a period: refused, since the data would not load.
    let twice = write(
        &dir,
        "twice.csv",
        "account,month,spend\nA,2025-01,10\nA,2025-01,12\n",
    );
    let out = scorecard(&[
        "init",
        "--data",
        twice.to_str().unwrap(),
        "--key",
        "account",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("`--key account`: two rows have the same key and period"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn hostile_files_get_a_scorecard_that_checks_or_a_clear_refusal() {
    let dir = temp_dir("init-hostile");
    // Empty: nothing to infer from.
    let empty = write(&dir, "empty.csv", "");
    let out = scorecard(&["init", "--data", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr).replace(dir.to_str().unwrap(), "DIR");
    snap("empty_refused", &stderr);
    let mut all = String::new();
    for (name, text) in [
        ("header_only.csv", "partner_id,revenue,region\n"),
        ("one_column.csv", "revenue\n10\n20\n"),
        ("blank_column.csv", "id,score,notes\nA,1,\nB,2,\nC,3,\n"),
        (
            "weird_names.csv",
            "id,Revenue (USD),1st,in,r\u{435}venue,\"a,b\",ok_col\nA,1,2,3,4,5,6\nB,7,8,9,10,11,12\n",
        ),
        (
            "labels.csv",
            "id,kind,amount\nA,\"radio, tv\",1\nB,print,2\nC,\"radio, tv\",3\nD,print,4\n",
        ),
        (
            "rows.json",
            "[{\"id\": \"A\", \"n\": 1, \"ok\": true, \"t\": \"x\"}, {\"id\": \"B\", \"n\": 2.5, \"ok\": false, \"t\": null}]",
        ),
        (
            "mixed.ndjson",
            "{\"id\": \"A\", \"v\": 1, \"w\": 3}\n{\"id\": \"B\", \"v\": \"one\", \"w\": 4}\n",
        ),
    ] {
        let data = write(&dir, name, text);
        let generated = init_and_use(&dir, &data);
        all.push_str(&format!("=== {name}\n{generated}\n"));
    }
    let all_words = words(&all);
    for part in [
        "// \"Revenue (USD)\" is not declared",
        "notes: text optional // always blank in the file",
        "kind: enum(\"print\", \"radio, tv\")",
        "`v` is not declared: its values are of mixed kinds",
    ] {
        assert!(all_words.contains(part), "{part:?} missing from:\n{all}");
    }
    snap("hostile", &all);
}
