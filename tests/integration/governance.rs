//! Corrections to the data, tier overrides and the audit log: every form of
//! output of a run that has them, one fixture per governance code, and the
//! properties that no correction is no change and that a correction touches
//! only its partner (and, through percentiles, its peer group).

use std::path::Path;

use proptest::prelude::*;
use scorecard::data::header::DataFormat;
use scorecard::data::load::{self, OnInvalid};
use scorecard::diag::Code;
use scorecard::eval::{self, Context, PeriodChoice, Selection};
use scorecard::govern::{self, Governance, corrections};

use crate::support::*;

const DIR: &str = "tests/fixtures/governance";
const PROGRAM: &str = "tests/fixtures/governance/program.scorecard";
const DATA: &str = "tests/fixtures/governance/partners.csv";
const CORRECTIONS: &str = "tests/fixtures/governance/corrections.csv";
const OVERRIDES: &str = "tests/fixtures/governance/overrides.csv";

/// The governance codes, each with its fixture (a corrections or overrides file).
pub const CODES: &[Code] = &[
    Code::D040,
    Code::D041,
    Code::D042,
    Code::D043,
    Code::D044,
    Code::D045,
    Code::D046,
];

fn run(args: &[&str]) -> (String, String, i32) {
    let o = scorecard(args);
    (
        stdout(&o),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        o.status.code().unwrap_or(-1),
    )
}

fn governed(verb: &str, extra: &[&str]) -> (String, String, i32) {
    let mut args = vec![
        verb,
        PROGRAM,
        "--data",
        DATA,
        "--corrections",
        CORRECTIONS,
        "--overrides",
        OVERRIDES,
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn each_governance_code_has_a_fixture_that_produces_it() {
    for &code in CODES {
        let file = std::fs::read_dir(DIR)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(code.as_str()))
            })
            .unwrap_or_else(|| panic!("{code}: no fixture {DIR}/{code}.*.csv"));
        let name = file.to_string_lossy().into_owned();
        let flag = if name.contains("corrections") {
            "--corrections"
        } else {
            "--overrides"
        };
        let (_, stderr, status) = run(&["score", PROGRAM, "--data", DATA, flag, &name]);
        assert!(
            stderr.contains(&format!("[{}]", code.as_str())),
            "{code}: {stderr}"
        );
        let expected = if code.severity() == scorecard::diag::Severity::Error {
            1
        } else {
            0
        };
        assert_eq!(status, expected, "{code}: {stderr}");
        insta::with_settings!({
            snapshot_path => "../snapshots/diagnostics",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("{} {}", code.as_str(), code.name()),
        }, {
            insta::assert_snapshot!(format!("{}_human", code.as_str()), stderr);
        });
    }
}

#[test]
fn score_shows_each_correction_and_override_in_every_format() {
    for format in ["csv", "json", "ndjson", "table"] {
        let (out, stderr, status) = governed("score", &["--format", format, "--period", "all"]);
        assert_eq!(status, 0, "{stderr}");
        insta::assert_snapshot!(format!("governance_score_{format}"), out);
    }
    let (_, stderr, _) = governed("score", &["--format", "csv"]);
    insta::assert_snapshot!("governance_score_stderr", stderr);
}

#[test]
fn the_reported_tier_is_the_override_and_the_computed_tier_stays() {
    let (out, _, _) = governed("score", &["--format", "csv", "--partner", "P4"]);
    let header: Vec<&str> = out.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = out.lines().nth(1).unwrap().split(',').collect();
    let at = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(at("performance_tier"), "good");
    assert_eq!(at("performance_computed_tier"), "needs_improvement");
    let (plain, _, _) = run(&[
        "score",
        PROGRAM,
        "--data",
        DATA,
        "--partner",
        "P4",
        "--format",
        "csv",
    ]);
    assert!(plain.contains("needs_improvement"), "{plain}");
}

#[test]
fn explain_tells_the_story_of_each_correction_and_override() {
    for partner in ["P1", "P4"] {
        let (text, stderr, status) = governed("explain", &["--partner", partner]);
        assert_eq!(status, 0, "{stderr}");
        let story = text
            .split("Corrections and overrides")
            .nth(1)
            .unwrap_or_default()
            .to_string();
        insta::assert_snapshot!(format!("governance_explain_{partner}"), story);
        let (json, _, _) = governed("explain", &["--partner", partner, "--format", "json"]);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let members = serde_json::json!({
            "corrections": value["corrections"],
            "override": value["override"],
        });
        insta::assert_json_snapshot!(format!("governance_explain_{partner}_json"), members);
    }
    let (text, _, _) = governed("explain", &["--partner", "P1"]);
    assert!(
        text.contains("revenue corrected from 12000 to 21000 by ana.lima, approved by raj.patel on 2026-01-15: duplicate credit note removed"),
        "{text}"
    );
}

#[test]
fn the_audit_log_has_a_line_per_change_with_the_hashes() {
    let dir = temp_dir("audit");
    let audit = dir.join("audit.ndjson");
    let audit_name = audit.to_string_lossy().into_owned();
    let (_, stderr, status) = governed("score", &["--format", "csv", "--audit", &audit_name]);
    assert_eq!(status, 0, "{stderr}");
    let text = std::fs::read_to_string(&audit).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Two corrections (one for two periods) and one override.
    assert_eq!(lines.len(), 4, "{text}");
    let data_hash = govern::audit::hash(&std::fs::read(DATA).unwrap());
    for line in &lines {
        assert_eq!(line["data_hash"], serde_json::json!(data_hash));
        assert!(
            line["scorecard_hash"]
                .as_str()
                .unwrap()
                .starts_with("sha256:")
        );
        assert!(line["file_hash"].as_str().unwrap().starts_with("sha256:"));
    }
    insta::assert_snapshot!("governance_audit", text);
}

#[test]
fn an_audit_log_needs_something_to_log_and_never_overwrites_an_input() {
    let (_, stderr, status) = run(&["score", PROGRAM, "--data", DATA, "--audit", "/tmp/x.ndjson"]);
    assert_eq!(status, 2, "{stderr}");
    let (_, stderr, status) = run(&[
        "score",
        PROGRAM,
        "--data",
        DATA,
        "--corrections",
        CORRECTIONS,
        "--audit",
        CORRECTIONS,
    ]);
    assert_eq!(status, 2, "{stderr}");
}

#[test]
fn corrections_and_overrides_read_as_ndjson_too() {
    let dir = temp_dir("ndjson-governance");
    let path = dir.join("corrections.ndjson");
    std::fs::write(
        &path,
        "{\"partner\":\"P1\",\"period\":\"2025Q4\",\"column\":\"revenue\",\"value\":\"21000\",\"reason\":\"duplicate credit note removed\",\"submitted_by\":\"ana.lima\",\"approved_by\":\"raj.patel\",\"date\":\"2026-01-15\"}\n",
    )
    .unwrap();
    let name = path.to_string_lossy().into_owned();
    let (out, stderr, status) = run(&[
        "score",
        PROGRAM,
        "--data",
        DATA,
        "--corrections",
        &name,
        "--format",
        "csv",
    ]);
    assert_eq!(status, 0, "{stderr}");
    assert!(out.contains("revenue 12000 -> 21000 (line 1)"), "{out}");
    // A JSON array: each element numbered as the loader numbers them.
    let array = dir.join("corrections.json");
    std::fs::write(
        &array,
        "[{\"partner\":\"P1\",\"period\":\"2025Q4\",\"column\":\"revenue\",\"value\":21000,\"reason\":\"dup\",\"submitted_by\":\"a\",\"approved_by\":\"b\",\"date\":\"2026\"}]",
    )
    .unwrap();
    let name = array.to_string_lossy().into_owned();
    let (out, stderr, status) = run(&[
        "score",
        PROGRAM,
        "--data",
        DATA,
        "--corrections",
        &name,
        "--format",
        "csv",
    ]);
    assert_eq!(status, 0, "{stderr}");
    assert!(out.contains("revenue 12000 -> 21000 (line 1)"), "{out}");
}

/// Every row of the data scored (all periods) as CSV lines, with the
/// corrections in `text` applied first when given.
fn scored(corrections_text: Option<&str>) -> Vec<String> {
    let (_, checked) = check_file(Path::new(PROGRAM));
    let model = checked.model.unwrap();
    let plan = scorecard::plan::compile(&model);
    let list = corrections_text.map(|t| {
        let (list, problems) = corrections::read(&model, t, false);
        assert!(problems.is_empty(), "{problems:?}");
        list
    });
    let needed = match &list {
        Some(l) => corrections::needed(l, &plan.needed_columns, model.contract.columns.len()),
        None => plan.needed_columns.clone(),
    };
    let mut loaded = load::load(
        Path::new(DATA),
        DataFormat::Csv,
        &model,
        &needed,
        OnInvalid::Fail,
    )
    .unwrap();
    let mut gov = Governance::default();
    if let Some(list) = list {
        let (applied, problems) = corrections::apply(&model, &mut loaded.table, "c.csv", list);
        assert!(
            problems.iter().all(|p| p.code == Code::D042),
            "{problems:?}"
        );
        gov.corrections = Some(applied);
    }
    let ordered = eval::order_rows(&model, &loaded.table);
    let mut ctx = Context::new(&model, &plan, &loaded.table, &ordered);
    let selection = Selection {
        period: PeriodChoice::All,
        partner: None,
    };
    let gov = (!gov.is_empty()).then_some(&gov);
    let mut out = String::new();
    eval::evaluate(
        &mut ctx,
        |b| scorecard::render::csv::rows_governed(b, &selection, true, gov).0,
        |t| out.push_str(&t),
    );
    out.lines().map(str::to_string).collect()
}

/// A CSV line without its last field (the `corrections` column).
fn without_last(line: &str) -> &str {
    line.rsplit_once(',').map_or(line, |(head, _)| head)
}

const HEADER: &str = "partner,period,column,value,reason,submitted_by,approved_by,date\n";

#[test]
fn an_empty_corrections_file_changes_nothing() {
    let plain = scored(None);
    let corrected = scored(Some(HEADER));
    assert_eq!(plain.len(), corrected.len());
    for (a, b) in plain.iter().zip(&corrected) {
        assert_eq!(a.as_str(), without_last(b));
        assert!(b.ends_with(','), "no correction, no flag: {b}");
    }
}

fn region_of(partner: &str) -> &'static str {
    match partner {
        "P2" | "P4" => "EMEA",
        _ => "NA",
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// A correction changes its partner's rows, and, through the revenue
    /// percentile within region, those of its region's partners; no other.
    #[test]
    fn a_correction_touches_only_its_partner_and_its_peer_group(
        partner in proptest::sample::select(vec!["P1", "P2", "P3", "P4"]),
        which in 0usize..4,
        amount in 0u32..40_000,
        every_period in any::<bool>(),
    ) {
        let (column, value) = match which {
            0 => ("revenue", amount.to_string()),
            1 => ("win_rate", format!("{:.2}", f64::from(amount % 100) / 100.0)),
            2 => ("certifications", (amount % 5).to_string()),
            _ => ("region", if amount % 2 == 0 { "NA" } else { "EMEA" }.to_string()),
        };
        let period = if every_period { "" } else { "2025Q4" };
        let text = format!("{HEADER}{partner},{period},{column},{value},test,me,you,2026-01-01\n");
        let plain = scored(None);
        let corrected = scored(Some(&text));
        prop_assert_eq!(plain.len(), corrected.len());
        for (a, b) in plain.iter().zip(&corrected) {
            let who = a.split(',').next().unwrap_or_default();
            if who == partner {
                continue;
            }
            let peer = region_of(who) == region_of(partner) || column == "region";
            let percentile_input = column == "revenue" || column == "region";
            if peer && percentile_input {
                continue;
            }
            prop_assert_eq!(a.as_str(), without_last(b), "partner {} changed", who);
            prop_assert!(b.ends_with(','), "partner {} flagged: {}", who, b);
        }
    }
}

#[test]
fn diff_shows_the_corrected_and_overridden_partners() {
    let dir = temp_dir("governance-diff");
    let new = dir.join("new.scorecard");
    let text = std::fs::read_to_string(PROGRAM)
        .unwrap()
        .replace("good              >= 60", "good              >= 75");
    std::fs::write(&new, text).unwrap();
    let new = new.to_string_lossy().into_owned();
    let args = |format: &'static str| {
        vec![
            "diff",
            PROGRAM,
            &new,
            "--data",
            DATA,
            "--corrections",
            CORRECTIONS,
            "--overrides",
            OVERRIDES,
            "--format",
            format,
        ]
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<String>>()
    };
    let table = args("table");
    let (out, stderr, status) = run(&table.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(status, 0, "{stderr}");
    let section = out.split("\nCorrected").nth(1).unwrap_or_default();
    insta::assert_snapshot!("governance_diff_text", section);
    // The override holds P4 at `good` in both; P1 (73.60) falls to needs_improvement.
    assert!(
        out.contains(
            "P4 2025Q4: performance good (line 2, until 2026Q2) (computed needs_improvement)"
        ),
        "{out}"
    );
    let json = args("json");
    let (out, _, _) = run(&json.iter().map(String::as_str).collect::<Vec<_>>());
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    insta::assert_json_snapshot!("governance_diff_json", value["governance"]);
}

#[test]
fn the_example_corrections_and_overrides_apply_cleanly() {
    let (out, stderr, status) = run(&[
        "score",
        "scorecards/partner-performance.scorecard",
        "--data",
        "scorecards/data/partners.csv",
        "--corrections",
        "scorecards/data/corrections.csv",
        "--overrides",
        "scorecards/data/overrides.csv",
        "--partner",
        "P000002",
        "--format",
        "csv",
    ]);
    assert_eq!(status, 0, "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(
        out.contains("revenue 23507.23 -> 41200 (line 2); deals_won 1 -> 2 (line 3)"),
        "{out}"
    );
    assert!(
        out.contains("performance excellent (line 2, until 2026Q2)"),
        "{out}"
    );
}

#[test]
fn explain_says_what_would_reach_the_next_tier_each_change_rescored() {
    let (text, stderr, status) = run(&[
        "explain",
        PROGRAM,
        "--data",
        DATA,
        "--partner",
        "P1",
        "--next-tier",
    ]);
    assert_eq!(status, 0, "{stderr}");
    let path = text
        .split("Path to the next tier")
        .nth(1)
        .unwrap_or_default();
    insta::assert_snapshot!("next_tier_P1", path);
    let (json, _, _) = run(&[
        "explain",
        PROGRAM,
        "--data",
        DATA,
        "--partner",
        "P1",
        "--next-tier",
        "--format",
        "json",
    ]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let suggestion = &value["next_tier"][0]["suggestions"][0];
    // The suggestion was checked by re-scoring: its score reaches the threshold.
    assert!(
        suggestion["score_after"].as_f64().unwrap() >= 80.0,
        "{value}"
    );
    assert_eq!(suggestion["tier_after"], "excellent");
    // Each suggested change, applied as a correction, gives that score.
    let dir = temp_dir("next-tier");
    let corrections = dir.join("c.csv");
    let mut lines = String::from(HEADER);
    for c in suggestion["changes"].as_array().unwrap() {
        lines.push_str(&format!(
            "P1,2025Q4,{},{},what-if,me,you,2026-01-01\n",
            c["column"].as_str().unwrap(),
            c["to"]
        ));
    }
    std::fs::write(&corrections, lines).unwrap();
    let name = corrections.to_string_lossy().into_owned();
    let (out, stderr, _) = run(&[
        "score",
        PROGRAM,
        "--data",
        DATA,
        "--corrections",
        &name,
        "--partner",
        "P1",
        "--format",
        "csv",
    ]);
    assert!(out.contains(",excellent,"), "{out}{stderr}");
}

#[test]
fn the_governance_block_is_checked_and_formatted() {
    let text = r#"scorecard "g" version "1"
input {
  key partner_id
  revenue: number >= 0
}
governance {
  corrections { approver required   locked revenu, revenue }
  overrides { max_move 1.5  max_move 2  expire within 0 periods }
}
governance { }
"#;
    let (sources, checked) = check_str(text);
    let report = human(&sources, &checked);
    let codes = codes(&checked);
    assert!(codes.contains(&"N001"), "{report}");
    assert!(codes.contains(&"S004"), "{report}");
    assert!(codes.contains(&"S011"), "{report}");
    insta::assert_snapshot!("governance_block_diagnostics", report);

    let clean = "governance {\n  corrections {\n    approver required\n    locked revenue\n  }\n  overrides {\n    max_move 1\n    expire within 4 periods\n  }\n}\n";
    let messy = "governance { corrections { approver required locked revenue }\noverrides { max_move 1 expire within 4 periods } }\n";
    let format = |t: &str| scorecard::fmt::format(scorecard::source::FileId(0), t).unwrap();
    assert_eq!(format(messy), clean);
    assert_eq!(format(clean), clean);
}

#[test]
fn benefits_and_obligations_follow_the_reported_tier() {
    let args = |overrides: bool| {
        let mut a = vec![
            "score",
            "scorecards/partner-performance.scorecard",
            "--data",
            "scorecards/data/partners.csv",
            "--partner",
            "P000002",
            "--with-benefits",
            "--format",
            "json",
        ];
        if overrides {
            a.extend(["--overrides", "scorecards/data/overrides.csv"]);
        }
        run(&a).0
    };
    let row = |json: &str| -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        v["rows"][0].clone()
    };
    let computed = row(&args(false));
    assert_eq!(computed["tier"], "good");
    assert_eq!(
        computed["performance_benefits"][0],
        "co-marketing funds at 1% of partner revenue"
    );
    let overridden = row(&args(true));
    assert_eq!(overridden["tier"], "excellent");
    assert_eq!(overridden["performance_computed_tier"], "good");
    assert_eq!(
        overridden["performance_benefits"][0],
        "co-marketing funds at 2% of partner revenue"
    );
    insta::assert_json_snapshot!("benefits_by_override", overridden);
}

/// `scorecard test` with corrections and overrides: a snapshot that names
/// its files, tests that name files or write lines, and tests whose lines
/// cannot be applied, each failing at the line.
#[test]
fn tests_and_snapshots_apply_corrections_and_overrides() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args([
            "test",
            "tests/fixtures/governance/tested.scorecard",
            "tests/fixtures/governance/failing-tests.scorecard",
        ])
        .env("NO_COLOR", "1")
        .env("CI", "true")
        .output()
        .unwrap();
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("6 passed, 3 failed"), "{out}");
    insta::assert_snapshot!("test_with_corrections_and_overrides", out);
    // The recorded snapshot holds the corrected values and the reported tier.
    let snap = std::fs::read_to_string("tests/fixtures/governance/tested.scorecard.snap").unwrap();
    assert!(snap.contains("# corrections corrections.csv\n# overrides overrides.csv\n"));
    assert!(snap.contains(
        "P1,2025Q4,73.60,good,semi-annual business review,,revenue 12000 -> 21000 (line 2),good,"
    ));
    // The rules and flags of the overridden row act on the reported tier.
    assert!(snap.contains(
        "P4,2025Q4,54.00,good,semi-annual business review;review the override,overridden_tier,,needs_improvement,\"performance good (line 2, until 2026Q2)\""
    ));
}

/// `scorecard test --corrections F --overrides F`: the files apply to every
/// snapshot that names none of its own, so a recorded snapshot fails when
/// the corrections change.
#[test]
fn test_applies_the_command_lines_files_to_snapshots() {
    let dir = temp_dir("test-governed");
    for f in ["partners.csv", "corrections.csv", "overrides.csv"] {
        std::fs::copy(format!("{DIR}/{f}"), dir.join(f)).unwrap();
    }
    let card = dir.join("program.scorecard");
    let text =
        std::fs::read_to_string(PROGRAM).unwrap() + "\nsnapshot \"partners.csv\" period all\n";
    std::fs::write(&card, text).unwrap();
    let card = card.to_str().unwrap().to_string();
    let corrections = dir.join("corrections.csv").to_str().unwrap().to_string();
    let overrides = dir.join("overrides.csv").to_str().unwrap().to_string();
    let test = |extra: &[&str]| {
        let mut args = vec!["test", card.as_str()];
        args.extend_from_slice(extra);
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_scorecard"))
            .args(&args)
            .env("NO_COLOR", "1")
            .env_remove("CI")
            .output()
            .unwrap();
        (stdout(&o), o.status.code())
    };
    let (out, code) = test(&["--corrections", &corrections, "--overrides", &overrides]);
    assert_eq!(code, Some(0), "{out}");
    let snap = std::fs::read_to_string(dir.join("program.scorecard.snap")).unwrap();
    assert!(snap.contains("# corrections "), "{snap}");
    assert!(snap.contains("revenue 12000 -> 21000 (line 2)"), "{snap}");
    assert!(
        snap.contains("P4,2025Q4,54.00,good,,needs_improvement,"),
        "{snap}"
    );
    // The same files again: the snapshot holds.
    let (out, code) = test(&["--corrections", &corrections, "--overrides", &overrides]);
    assert_eq!(code, Some(0), "{out}");
    // Without them the output differs: the correction and the override are gone.
    let (out, code) = test(&[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("the output differs"), "{out}");
    assert!(out.contains("P1 2025Q4"), "{out}");
    // A corrections file with a bad line fails the snapshot, with the line.
    std::fs::write(
        dir.join("bad.csv"),
        format!("{HEADER}P1,2025Q4,revenu,1,typo,ana.lima,raj.patel,\n"),
    )
    .unwrap();
    let bad = dir.join("bad.csv").to_str().unwrap().to_string();
    let (out, code) = test(&["--corrections", &bad]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("line 2: `revenu` is not a column"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A test's `correction` and `override` lines: fields of the files' headers,
/// checked; a file and lines of the same kind in one test are refused; both
/// lay out like `given` rows.
#[test]
fn correction_and_override_lines_in_tests_are_checked_and_formatted() {
    let text = r#"scorecard "g" version "1"
input {
  key partner_id
  revenue: number >= 0
}
score s "S" {
  weights { r 1 }
}
metric r "R" {
  value revenue
  points scale 0 => 0, 10 => 100
}
test "t" {
  given { partner_id: "P1", revenue: 5 }
  corrections "c.csv"
  correction { partner: "P1", colum: revenue, value: 6, value: 7 }
  expect revenue == 6
}
"#;
    let (sources, checked) = check_str(text);
    let report = human(&sources, &checked);
    assert!(
        report.contains("`colum` is not a field of `correction`"),
        "{report}"
    );
    assert!(report.contains("did you mean `column`?"), "{report}");
    assert!(
        report.contains("`value` is given twice in this line"),
        "{report}"
    );
    assert!(
        report.contains("reads its corrections from `c.csv` and also writes `correction` lines"),
        "{report}"
    );
    let messy = "test \"t\" {\n given { partner_id: \"P1\" }\n  corrections   \"c.csv\"\noverrides \"o.csv\"\n correction {partner: \"P1\" , column: revenue}\n expect revenue == 1\n}\nsnapshot \"d.csv\"   period all  corrections \"c.csv\"  overrides \"o.csv\"\n";
    let clean = "test \"t\" {\n  given { partner_id: \"P1\" }\n  corrections \"c.csv\"\n  overrides \"o.csv\"\n  correction { partner: \"P1\", column: revenue }\n  expect revenue == 1\n}\nsnapshot \"d.csv\" period all corrections \"c.csv\" overrides \"o.csv\"\n";
    let format = |t: &str| scorecard::fmt::format(scorecard::source::FileId(0), t).unwrap();
    assert_eq!(format(messy), clean);
    assert_eq!(format(clean), clean);
}

/// `report` takes the files too: the page lists every touched row, marks
/// the partners, reports the overridden tier, and `--audit` logs the run.
#[test]
fn report_shows_the_corrected_and_overridden_partners() {
    let dir = temp_dir("report-governed");
    let html = dir.join("report.html");
    let audit = dir.join("audit.ndjson");
    let (_, stderr, status) = governed(
        "report",
        &[
            "--out",
            html.to_str().unwrap(),
            "--audit",
            audit.to_str().unwrap(),
        ],
    );
    assert_eq!(status, 0, "{stderr}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<section id=\"governance\">"));
    assert!(page.contains(
        "<td><a href=\"#p4\">P4</a></td><td>2025Q4</td><td><span class=\"touched\">overridden</span></td>"
    ));
    assert!(
        page.contains("\"id\":\"P4\",\"link\":\"p4\",\"seg\":[],\"s\":[54.0],\"t\":[\"good\"]")
    );
    assert!(page.contains("\"g\":\"overridden\""));
    assert!(
        page.contains("<span class=\"touched\">by override, computed needs_improvement</span>")
    );
    let log = std::fs::read_to_string(&audit).unwrap();
    assert_eq!(log.lines().count(), 4, "{log}");
    // Without the files: no section, no marker.
    let (_, _, status) = run(&[
        "report",
        PROGRAM,
        "--data",
        DATA,
        "--out",
        html.to_str().unwrap(),
    ]);
    assert_eq!(status, 0);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(!page.contains("<section id=\"governance\">"));
    assert!(page.contains("\"t\":[\"needs_improvement\"]"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The report's tier table lists each tier's threshold, partners, benefits
/// and obligations; a partner's page lists those of its reported tier (the
/// override's, where one applies) and what the next tier would add.
#[test]
fn the_report_shows_the_benefits_and_obligations_of_the_reported_tier() {
    let dir = temp_dir("report-benefits");
    let html = dir.join("p2.html");
    let page = |extra: &[&str]| {
        let mut args = vec![
            "report",
            "scorecards/partner-performance.scorecard",
            "--data",
            "scorecards/data/partners.csv",
            "--out",
            html.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let (_, stderr, status) = run(&args);
        assert_eq!(status, 0, "{stderr}");
        std::fs::read_to_string(&html).unwrap()
    };
    let program = page(&[]);
    assert!(program.contains(
        "<tr><td><span class=\"tier t1\">good</span></td><td>score &#62;= 60</td><td class=\"n\">90</td><td>co-marketing funds at 1% of partner revenue; training budget for two certifications a year</td><td>semi-annual business review</td></tr>"
    ));
    // P000002 computes good: its benefits, and what excellent would add.
    let own = page(&["--partner", "P000002"]);
    let list = |text: &str, class: &str| -> Vec<String> {
        let start = text
            .find(&format!("<ul class=\"{class}\">"))
            .map(|i| i + class.len() + 13);
        start
            .and_then(|s| text.get(s..).and_then(|t| t.find("</ul>").map(|e| &t[..e])))
            .unwrap_or("")
            .split("<li>")
            .filter(|x| !x.is_empty())
            .map(|x| x.trim_end_matches("</li>").to_string())
            .collect()
    };
    assert_eq!(
        list(&own, "benefits"),
        [
            "co-marketing funds at 1% of partner revenue",
            "training budget for two certifications a year"
        ]
    );
    assert_eq!(list(&own, "obligations"), ["semi-annual business review"]);
    assert!(own.contains("The next tier, excellent, brings:"));
    assert_eq!(list(&own, "next-benefits").len(), 3);
    // With the sample override P000002 is reported excellent: its benefits.
    let overridden = page(&[
        "--partner",
        "P000002",
        "--overrides",
        "scorecards/data/overrides.csv",
    ]);
    assert_eq!(
        list(&overridden, "obligations"),
        [
            "quarterly business review with an executive sponsor",
            "joint annual business plan"
        ]
    );
    assert!(!overridden.contains("The next tier"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Rules, flags, `tier(score)` and `--summary` act on the reported tier (an
/// override's where one applies); `computed_tier(score)` reads the tier the
/// score computes, in `score`, `explain` and tests alike.
#[test]
fn rules_flags_and_the_summary_see_the_reported_tier() {
    let card = "tests/fixtures/governance/tested.scorecard";
    let (out, stderr, status) = run(&[
        "score",
        card,
        "--data",
        DATA,
        "--overrides",
        OVERRIDES,
        "--format",
        "csv",
        "--summary",
    ]);
    assert_eq!(status, 0, "{stderr}");
    assert!(
        out.contains("P4,2025Q4,54.00,good,semi-annual business review;review the override,overridden_tier,needs_improvement,"),
        "{out}"
    );
    assert!(
        stderr.contains("  good               2   50.0%"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  needs_improvement  0    0.0%"),
        "{stderr}"
    );
    assert!(stderr.contains("  overridden_tier  1   25.0%"), "{stderr}");
    // Without the overrides the computed tier decides everything.
    let (out, stderr, _) = run(&[
        "score",
        card,
        "--data",
        DATA,
        "--format",
        "csv",
        "--summary",
    ]);
    assert!(
        out.contains("P4,2025Q4,54.00,needs_improvement,,\n"),
        "{out}"
    );
    assert!(stderr.contains("  overridden_tier  0    0.0%"), "{stderr}");

    let (out, stderr, status) = run(&[
        "explain",
        card,
        "--data",
        DATA,
        "--overrides",
        OVERRIDES,
        "--partner",
        "P4",
    ]);
    assert_eq!(status, 0, "{stderr}");
    assert!(out.contains("  tier needs_improvement (≥ 40)"), "{out}");
    assert!(out.contains("    with tier(performance) = \"good\", computed_tier(performance) = \"needs_improvement\""), "{out}");
    assert!(
        out.contains("  1. semi-annual business review (rule good_partner_plan)"),
        "{out}"
    );

    // `diff` acts on the reported tier too: P4's override gives it both actions.
    let (json, stderr, status) = run(&[
        "diff",
        PROGRAM,
        card,
        "--data",
        DATA,
        "--overrides",
        OVERRIDES,
        "--format",
        "json",
    ]);
    assert_eq!(status, 0, "{stderr}");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        value["actions"],
        serde_json::json!([
            {"action": "review the override", "gained": 1, "lost": 0},
            {"action": "semi-annual business review", "gained": 2, "lost": 0}
        ])
    );

    // `computed_tier` takes a score with tiers, like `tier`.
    let text = r#"scorecard "g" version "1"
input {
  key partner_id
  revenue: number >= 0
}
metric r "R" {
  value revenue
  points scale 0 => 0, 10 => 100
}
score s "S" {
  weights { r 1 }
}
flag f "F" {
  kind anomaly
  when computed_tier(s) == top or computed_tier(revenue) == top
}
"#;
    let (sources, checked) = check_str(text);
    let report = human(&sources, &checked);
    assert!(report.contains("the score `s` has no tiers"), "{report}");
    assert!(report.contains("`revenue`"), "{report}");
}

/// The path to the next tier never makes a metric worse by its own rubric
/// (fewer reps for a higher revenue per rep, when capacity is rewarded), and
/// narrows a reaching step down to a smaller one that still reaches.
#[test]
fn the_next_tier_path_respects_each_rubrics_direction() {
    let dir = temp_dir("next-tier-direction");
    let card = dir.join("reps.scorecard");
    std::fs::write(
        &card,
        r#"scorecard "reps" version "1"
input {
  key partner_id
  revenue: number >= 0
  reps:    integer >= 1
}
metric per_rep "Revenue per rep" {
  value revenue / reps
  points scale 0 => 0, 10000 => 100
}
metric capacity "Sales reps" {
  value reps
  points scale 0 => 0, 10 => 100
}
score s "S" {
  weights {
    per_rep  80
    capacity 20
  }
}
tiers s {
  top  >= 80
  rest otherwise
}
"#,
    )
    .unwrap();
    let data = dir.join("reps.csv");
    std::fs::write(&data, "partner_id,revenue,reps\nP1,30000,5\n").unwrap();
    let (json, stderr, status) = run(&[
        "explain",
        card.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--partner",
        "P1",
        "--next-tier",
        "--format",
        "json",
    ]);
    assert_eq!(status, 0, "{stderr}");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let suggestions = value["next_tier"][0]["suggestions"].as_array().unwrap();
    // Three reps would reach `top` (86 points), but capacity is rewarded.
    assert!(
        suggestions
            .iter()
            .flat_map(|s| s["changes"].as_array().unwrap())
            .all(|c| c["column"] != "reps" || c["to"].as_f64().unwrap() > 5.0),
        "{value}"
    );
    // Revenue ×1.5 reaches (82 points); halving the step from ×1.25 finds
    // 44062.5 (80.5 points), the threshold being at 43750.
    let first = &suggestions[0];
    assert_eq!(first["changes"][0]["column"], "revenue");
    assert_eq!(first["changes"][0]["to"], 44062.5);
    assert_eq!(first["tier_after"], "top");
    assert!((first["score_after"].as_f64().unwrap() - 80.5).abs() < 1e-9);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Without a population normalization no other partner's value can move a
/// partner's score, so the path re-scores the partner's own rows only: the
/// same path as re-scoring the whole table (recorded from it), far sooner.
#[test]
fn the_next_tier_path_of_a_scorecard_without_percentiles_rescores_one_partner() {
    let clock = std::time::Instant::now();
    let (text, stderr, status) = run(&[
        "explain",
        "scorecards/partner-onboarding.scorecard",
        "--data",
        "scorecards/data/partners.csv",
        "--partner",
        "P000002",
        "--next-tier",
    ]);
    assert_eq!(status, 0, "{stderr}");
    let path = text
        .split("Path to the next tier")
        .nth(1)
        .unwrap_or_default();
    assert_eq!(
        path,
        " (overall: developing -> strategic, 75 needed, now 68.17)\n  - revenue from 23507.23 to 70521.69 (+1.64 points) and trainings_assigned from 7 to 4 (+1.2 points) and trainings_completed from 4 to 8 (+1.2 points) and sales_reps from 3 to 2 (+1.19 points): score 71.67, tier developing (not yet enough)\n"
    );
    // Re-scoring all 2,269 rows for each candidate took over 7 s in a debug build.
    assert!(clock.elapsed().as_secs_f64() < 5.0, "{:?}", clock.elapsed());

    // With percentiles, an earlier period's row is re-scored with the rows of
    // its period and the earlier ones: the path recorded from the whole table.
    let (text, stderr, status) = run(&[
        "explain",
        "scorecards/partner-performance.scorecard",
        "--data",
        "scorecards/data/partners.csv",
        "--partner",
        "P000002",
        "--period",
        "2025Q1",
        "--next-tier",
    ]);
    assert_eq!(status, 0, "{stderr}");
    assert!(
        text.ends_with("Path to the next tier (performance: needs_improvement -> good, 60 needed, now 39.88)\n  - deals_won from 0 to 1 (+7.5 points) and customer_retention from 0.86 to 0.95 (+3.75 points) and trainings_assigned from 3 to 2 (+1.8 points) and trainings_completed from 2 to 3 (+1.8 points): score 52.93, tier needs_improvement (not yet enough)\n"),
        "{text}"
    );
}

/// Coverage counts the rows as the tests score them: a flag or rule that
/// only an override triggers is reached by the test that applies it.
#[test]
fn coverage_counts_the_rows_as_corrected_and_overridden() {
    let (out, stderr, status) = run(&[
        "test",
        "tests/fixtures/governance/tested.scorecard",
        "--coverage",
    ]);
    assert_eq!(status, 0, "{out}{stderr}");
    assert!(
        out.contains("tests/fixtures/governance/tested.scorecard   3/3 items  100%"),
        "{out}"
    );
    assert!(!out.contains("overridden_tier` raised"), "{out}");
}
