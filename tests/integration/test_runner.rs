//! `scorecard test`: test cases judged, failures explained, output snapshots.

fn run(args: &[&str], ci: bool) -> (String, i32) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_scorecard"));
    cmd.args(args).env("NO_COLOR", "1");
    if ci {
        cmd.env("CI", "true");
    } else {
        cmd.env_remove("CI");
    }
    let out = cmd.output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn the_examples_pass() {
    let (out, code) = run(&["test", "scorecards/"], true);
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with(" passed, 0 failed\n"), "{out}");
}

#[test]
fn rows_take_the_columns_they_do_not_give_from_defaults() {
    let (out, code) = run(&["test", "tests/fixtures/test/defaults.scorecard"], true);
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("3 passed, 0 failed\n"), "{out}");
}

#[test]
fn failures_say_what_was_expected_and_why() {
    let (out, code) = run(&["test", "tests/fixtures/test/failing.scorecard"], false);
    assert_eq!(code, 1);
    assert!(out.ends_with("1 passed, 3 failed\n"), "{out}");
    for code in ["E001", "E002"] {
        assert!(out.contains(code), "{code} missing from:\n{out}");
    }
    insta::with_settings!({snapshot_path => "../snapshots/test", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("failing_human", out);
    });
}

#[test]
fn filter_runs_matching_tests_only() {
    let (out, code) = run(
        &[
            "test",
            "tests/fixtures/test/failing.scorecard",
            "--filter",
            "passes",
        ],
        false,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("1 passed, 0 failed\n"), "{out}");
}

#[test]
fn json_and_junit_for_dashboards() {
    let (out, _) = run(
        &[
            "test",
            "tests/fixtures/test/failing.scorecard",
            "--format",
            "json",
        ],
        false,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["passed"].as_u64(), v["failed"].as_u64()),
        (Some(1), Some(3))
    );
    let tests = v["files"][0]["tests"].as_array().unwrap();
    assert_eq!(tests[1]["status"], "failed");
    assert_eq!(tests[1]["failures"][0]["code"], "E001");
    assert!(
        tests[1]["explanation"]
            .as_str()
            .unwrap()
            .contains("score overall")
    );
    let (xml, _) = run(
        &[
            "test",
            "tests/fixtures/test/failing.scorecard",
            "--format",
            "junit",
        ],
        false,
    );
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"scorecard\" tests=\"4\" failures=\"3\">"), "{xml}");
    assert_eq!(xml.matches("<failure message=").count(), 3);
}

#[test]
fn snapshots_are_recorded_compared_and_updated() {
    let dir = std::env::temp_dir().join(format!("scorecard-snap-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::copy(
        "tests/fixtures/bench/partners_2000x8.csv",
        dir.join("data/partners.csv"),
    )
    .unwrap();
    for f in ["w1.scorecard", "shared/partners.scorecard"] {
        let to = dir.join(f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(format!("bench/{f}"), &to).unwrap();
    }
    let card = dir.join("w1.scorecard");
    let text = std::fs::read_to_string(&card).unwrap() + "\nsnapshot \"data/partners.csv\"\n";
    std::fs::write(&card, &text).unwrap();
    let card_arg = card.to_str().unwrap();
    let snap = dir.join("w1.scorecard.snap");

    // In CI a missing snapshot fails and nothing is written.
    let (out, code) = run(&["test", card_arg], true);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("E003") && !snap.exists(), "{out}");

    // Outside CI the first run records it.
    let (out, code) = run(&["test", card_arg], false);
    assert_eq!(code, 0, "{out}");
    let recorded = std::fs::read_to_string(&snap).unwrap();
    assert!(recorded.starts_with("# scorecard bench-w1 version 1\n# rules sha256:"));
    assert_eq!(
        recorded.lines().filter(|l| !l.starts_with('#')).count(),
        2001
    );

    // A rule change: the snapshot differs, per partner.
    std::fs::write(
        &card,
        text.replace(
            "0.6 * revenue_potential + 0.4 * engagement",
            "0.5 * revenue_potential + 0.5 * engagement",
        ),
    )
    .unwrap();
    let (out, code) = run(&["test", card_arg], false);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("~ P000001 2025Q4: overall "), "{out}");
    assert!(out.contains(" rows changed"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&snap).unwrap(),
        recorded,
        "a failing comparison writes nothing"
    );

    // A damaged snapshot is reported, never overwritten.
    let good = std::fs::read(&snap).unwrap();
    std::fs::write(&snap, b"\xff\xfe not text").unwrap();
    let (out, code) = run(&["test", card_arg], false);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("cannot read the snapshot"), "{out}");
    assert_eq!(std::fs::read(&snap).unwrap(), b"\xff\xfe not text");
    std::fs::write(&snap, "garbage,that,is,text\n1,2\n").unwrap();
    let (out, code) = run(&["test", card_arg], false);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("E003") && out.contains("differs"), "{out}");
    std::fs::write(&snap, good).unwrap();

    // --update in CI writes nothing; outside CI it accepts the change.
    let (_, code) = run(&["test", card_arg, "--update"], true);
    assert_eq!(code, 1);
    let (out, code) = run(&["test", card_arg, "--update"], false);
    assert_eq!(code, 0, "{out}");
    assert_ne!(std::fs::read_to_string(&snap).unwrap(), recorded);
    let (_, code) = run(&["test", card_arg], true);
    assert_eq!(code, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}
