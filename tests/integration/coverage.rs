//! `scorecard test --coverage`: which rubric items the tests reach.

use std::process::Command;

const FIXTURE: &str = "tests/fixtures/coverage/partial.scorecard";

/// Run the binary in CI mode (snapshots compared, never written): stdout, stderr, exit code.
fn run(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("CI", "true")
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({snapshot_path => "../snapshots/coverage", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn coverage_lists_the_items_no_test_reaches() {
    let (out, err, code) = run(&["test", FIXTURE, "--coverage"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("\n  total                                      14/24 items  58.3%\n"),
        "{out}"
    );
    snapshot("partial_human", &out);
}

#[test]
fn filter_counts_the_chosen_tests_only() {
    let (out, err, code) = run(&["test", FIXTURE, "--coverage", "--filter", "strong"]);
    assert_eq!(code, 0, "{out}{err}");
    // The technology partner's band, segment line, tier and rule are not reached.
    for item in [
        ":22  metric `win_rate` band `[0, 0.5)`",
        ":33  metric `channel` band `technology`",
        ":16  segment `size` line `small` (otherwise)",
        ":56  score `overall` tier `bronze`",
        ":63  rule `coaching` fires",
        ":74  segment `kind` label `msp`",
        ":74  segment `kind` label `technology`",
    ] {
        assert!(out.contains(item), "{item} not in:\n{out}");
    }
    assert!(
        out.contains("  total  ") && out.contains("/24 items"),
        "{out}"
    );
}

#[test]
fn without_coverage_options_nothing_is_measured() {
    let (out, _, code) = run(&["test", FIXTURE]);
    assert_eq!(code, 0);
    assert!(out.ends_with("2 passed, 0 failed\n"), "{out}");
}

#[test]
fn min_coverage_fails_the_run_below_the_threshold_only() {
    let (out, err, code) = run(&["test", FIXTURE, "--min-coverage", "58.3"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.is_empty(), "{err}");
    // Listing needs `--coverage`; the summary is there.
    assert!(
        out.contains("14/24 items") && !out.contains("never reached"),
        "{out}"
    );

    let (out, err, code) = run(&["test", FIXTURE, "--min-coverage", "58.4"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        err,
        "error: the tests reach 58.3% of the scorecard items (14 of 24), below the minimum 58.4%\n  help: add test rows that reach the items `scorecard test --coverage` lists\n"
    );

    let (_, err, code) = run(&["test", FIXTURE, "--min-coverage", "101"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`101` is not a percentage from 0 to 100"),
        "{err}"
    );
}

#[test]
fn tests_that_reach_every_item_make_full_coverage() {
    // Rows that reach every band and scale range, a value `max_change` limits,
    // `floor` raises and `cap` lowers, data too thin for `deals`, a smoothed
    // change, every tier, rule and flag, and both bands of a metric no score
    // weighs.
    let complete = "tests/fixtures/coverage/complete.scorecard";
    let (out, err, code) = run(&["test", complete, "--coverage", "--min-coverage", "100"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.ends_with("  total                                       29/29 items  100%\n"),
        "{out}"
    );
    assert!(!out.contains("never reached"), "{out}");
}

/// The lcov tracefile: one record per source file, `SF:`, `DA:line,hits`,
/// `LF`/`LH` that agree with the `DA` lines, `end_of_record`.
fn assert_lcov_structure(lcov: &str) {
    let mut in_record = false;
    let (mut found, mut hit) = (0, 0);
    let mut last_line = 0;
    for line in lcov.lines() {
        if line == "TN:" {
            assert!(!in_record);
        } else if let Some(file) = line.strip_prefix("SF:") {
            assert!(!in_record && !file.is_empty(), "{lcov}");
            in_record = true;
            (found, hit, last_line) = (0, 0, 0);
        } else if let Some(da) = line.strip_prefix("DA:") {
            assert!(in_record);
            let (n, hits) = da.split_once(',').unwrap();
            let (n, hits): (usize, u64) = (n.parse().unwrap(), hits.parse().unwrap());
            assert!(n > last_line, "lines in order: {lcov}");
            last_line = n;
            found += 1;
            hit += usize::from(hits > 0);
        } else if let Some(lf) = line.strip_prefix("LF:") {
            assert_eq!(lf.parse::<usize>().unwrap(), found);
        } else if let Some(lh) = line.strip_prefix("LH:") {
            assert_eq!(lh.parse::<usize>().unwrap(), hit);
        } else {
            assert_eq!(line, "end_of_record", "{lcov}");
            assert!(in_record);
            in_record = false;
        }
    }
    assert!(!in_record && lcov.ends_with("end_of_record\n"));
}

#[test]
fn lcov_and_cobertura_files_for_ci_dashboards() {
    let dir = crate::support::temp_dir("coverage-out");
    let lcov = dir.join("coverage.lcov");
    let (out, err, code) = run(&["test", FIXTURE, "--coverage-out", lcov.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let text = std::fs::read_to_string(&lcov).unwrap();
    assert_lcov_structure(&text);
    // Two rows reach the band `[0.8, 1]` of `win_rate`, which two scores read:
    // hits count rows, not readings.
    assert!(text.contains("\nDA:24,2\n"), "{text}");
    snapshot("partial_lcov", &text);

    let xml = dir.join("coverage.xml");
    let (out, err, code) = run(&[
        "test",
        FIXTURE,
        "--coverage-out",
        xml.to_str().unwrap(),
        "--coverage-format",
        "cobertura",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let text = std::fs::read_to_string(&xml).unwrap();
    let version = format!(" version=\"{}\" ", env!("CARGO_PKG_VERSION"));
    assert!(text.contains(&version), "{text}");
    snapshot(
        "partial_cobertura",
        &text.replace(&version, " version=\"[version]\" "),
    );
    assert_eq!(
        text.matches("<line number=").count(),
        std::fs::read_to_string(&lcov)
            .unwrap()
            .matches("DA:")
            .count()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unwritable_coverage_file_stops_the_run() {
    let (out, err, code) = run(&[
        "test",
        FIXTURE,
        "--coverage-out",
        "tests/fixtures/coverage/no-such-directory/coverage.lcov",
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.starts_with(
            "error: cannot write `tests/fixtures/coverage/no-such-directory/coverage.lcov`"
        ),
        "{err}"
    );
}

#[test]
fn machine_formats_keep_stdout_clean() {
    let (out, err, code) = run(&["test", FIXTURE, "--format", "junit", "--coverage"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("<?xml") && out.ends_with("</testsuites>\n"),
        "{out}"
    );
    assert!(
        !out.contains("items") && !out.contains("never reached"),
        "{out}"
    );
    assert!(
        err.starts_with("coverage\n") && err.contains("never reached"),
        "{err}"
    );
}

#[test]
fn coverage_is_the_same_on_every_run() {
    let first = run(&["test", FIXTURE, "--coverage"]);
    for _ in 0..3 {
        assert_eq!(run(&["test", FIXTURE, "--coverage"]), first);
    }
}

#[test]
fn the_examples_coverage() {
    let (out, err, code) = run(&["test", "scorecards/", "--coverage"]);
    assert_eq!(code, 0, "{out}{err}");
    let summary = &out[out.find("coverage\n").unwrap()..];
    snapshot("examples_human", summary);
}

mod property {
    use proptest::prelude::*;

    /// The fixture's declarations, without its tests, and one test of these rows:
    /// (partner type, deals won, deals lost, revenue).
    fn scorecard(rows: &[(usize, u32, u32, u32)]) -> String {
        let text = std::fs::read_to_string(super::FIXTURE).unwrap();
        let mut out = text[..text.find("\ntest \"").unwrap()].to_string();
        out.push_str("\ntest \"generated\" {\n");
        for (k, (ty, won, lost, revenue)) in rows.iter().enumerate() {
            let ty = ["reseller", "msp", "technology"][*ty];
            out.push_str(&format!(
                "  given {{ partner_id: \"P{k}\", quarter: \"2025Q1\", partner_type: {ty}, deals_won: {won}, deals_lost: {lost}, revenue: {revenue} }}\n"
            ));
        }
        out.push_str("  partner \"P0\"\n  expect overall >= 0\n}\n");
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Every row reaches exactly one band of a band table that covers every
        /// value, the one its value falls in, and one range of a scale.
        #[test]
        fn each_row_reaches_the_band_its_value_falls_in(
            rows in proptest::collection::vec((0usize..3, 0u32..12, 0u32..12, 0u32..300_000), 1..30)
        ) {
            let (sources, checked) = crate::support::check_str(&scorecard(&rows));
            let model = checked.model.as_ref().unwrap();
            let c = scorecard::testing::coverage(model, &sources, std::path::Path::new("test.scorecard"), None);
            prop_assert_eq!(c.rows, rows.len() as u64);
            let hits = |prefix: &str| -> Vec<u64> {
                c.items.iter().filter(|i| i.what.starts_with(prefix)).map(|i| i.hits).collect()
            };
            let rate = |won: u32, lost: u32| (won + lost > 0).then(|| f64::from(won) / f64::from(won + lost));
            let expected_win = [
                rows.iter().filter(|r| rate(r.1, r.2).is_some_and(|x| x < 0.5)).count() as u64,
                rows.iter().filter(|r| rate(r.1, r.2).is_some_and(|x| (0.5..0.8).contains(&x))).count() as u64,
                rows.iter().filter(|r| rate(r.1, r.2).is_some_and(|x| x >= 0.8)).count() as u64,
                rows.iter().filter(|r| rate(r.1, r.2).is_none()).count() as u64,
            ];
            prop_assert_eq!(hits("metric `win_rate` band"), expected_win.to_vec());
            let expected_channel = [
                rows.iter().filter(|r| r.0 < 2).count() as u64,
                rows.iter().filter(|r| r.0 == 2).count() as u64,
            ];
            prop_assert_eq!(hits("metric `channel` band"), expected_channel.to_vec());
            let expected_scale = [
                rows.iter().filter(|r| r.3 < 10_000).count() as u64,
                rows.iter().filter(|r| (10_000..=200_000).contains(&r.3)).count() as u64,
                rows.iter().filter(|r| r.3 > 200_000).count() as u64,
            ];
            prop_assert_eq!(hits("metric `revenue_points` scale"), expected_scale.to_vec());
            let expected_size = [
                rows.iter().filter(|r| r.3 >= 100_000).count() as u64,
                rows.iter().filter(|r| r.3 < 100_000).count() as u64,
            ];
            prop_assert_eq!(hits("segment `size`"), expected_size.to_vec());
            let expected_kind: Vec<u64> = (0..3).map(|t| rows.iter().filter(|r| r.0 == t).count() as u64).collect();
            prop_assert_eq!(hits("segment `kind` label"), expected_kind);
            // The flag is raised exactly on the rows without a closed deal.
            let no_deals = rows.iter().filter(|r| r.1 + r.2 == 0).count() as u64;
            prop_assert_eq!(hits("flag `no_deals`"), vec![no_deals]);
        }
    }
}
