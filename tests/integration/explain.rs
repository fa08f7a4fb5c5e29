//! `explain`: one partner's numbers traced back to the scorecard, as text and
//! JSON, for a scorecard with given rows that exercises every part of it.

use scorecard::explain::{self, ExplainError, Explanation};
use scorecard::model::Model;
use scorecard::plan::Plan;
use scorecard::source::SourceMap;

use crate::support::*;

/// Segments from a column and from rules, a weighted score with a `for`
/// block, an adjustment, smoothing and max_change over three periods, tiers,
/// a flag and two rules; peers for the percentile.
const SCORECARD: &str = r#"scorecard "explain-demo" version "1"

input {
  key partner_id
  period quarter
  partner_type: enum(reseller, technology)
  region: enum(NA, EMEA)
  revenue: number >= 0
  deals_won: integer >= 0
  deals_lost: integer >= 0
  trainings_assigned: integer >= 0
  trainings_completed: integer >= 0
  integration_quality: number in 0..5, optional
}

segment type from partner_type

segment maturity "How long the partner has been with us" {
  onboarding when periods_observed < 2
  growing    when periods_observed < 4
  mature     otherwise
}

metric revenue_rank "Quarter revenue, ranked among partners of the same type" {
  owner "finance"  source "billing"  layer results  kind lagging  unit "USD"
  value revenue
  points percentile within partner_type
}

metric win_rate "Share of closed deals won" {
  owner "sales operations"  source "CRM"  layer results  kind lagging
  value deals_won / (deals_won + deals_lost)
  missing value 0        // no closed deals yet: count as 0
  points scale 0 => 0, 0.6 => 100
}

metric training_rate "Share of assigned trainings completed" {
  owner "enablement"  source "LMS export"  layer execution  kind leading
  value trainings_completed / trainings_assigned
  points {
    >= 0.9 => 100
    >= 0.7 => 70
    >= 0.5 => 40
    else   => 0
  }
  missing points 0
}

metric integration "Quality rating of the product integration" {
  owner "alliances"  source "integration review"  layer execution  kind leading
  value integration_quality
  points scale 0 => 0, 5 => 100
  missing points 0
}

score performance "Partner performance" {
  weights { revenue_rank 40  win_rate 30  training_rate 30 }
  for type technology {
    weights { revenue_rank 25  win_rate 25  training_rate 20  integration 30 }
  }
  adjust "EMEA demand" by 1.1 when region == EMEA
  smooth moving_average(3)
  max_change 15 per period
  floor 0
  cap 100
  min_periods 2
}

tiers performance {
  excellent >= 80 {
    benefit "co-marketing funds"
    obligation "quarterly business review"
  }
  good >= 60 { benefit "training budget" }
  needs_improvement otherwise
}

flag deal_drought "No deal won this quarter" {
  kind anomaly
  when deals_won == 0 and periods_observed > 1
}

rule coaching "Solid performance, trainings lagging" {
  when performance >= 50 and training_rate < 0.7
  action "targeted coaching"
  action "accelerated training"
  priority high
}

rule integration_review "Integration below par" {
  when type == technology and integration_quality < 3
  action "integration review"
  action "targeted coaching"
}

test "three quarters of a technology partner, with peers" {
  given { partner_id: "P1", quarter: "2025Q1", partner_type: technology, region: EMEA,
          revenue: 120_000, deals_won: 2, deals_lost: 2, trainings_assigned: 10,
          trainings_completed: 9, integration_quality: 4 }
  given { partner_id: "P1", quarter: "2025Q2", partner_type: technology, region: EMEA,
          revenue: 300_000, deals_won: 5, deals_lost: 1, trainings_assigned: 10,
          trainings_completed: 10, integration_quality: 4.5 }
  given { partner_id: "P1", quarter: "2025Q3", partner_type: technology, region: EMEA,
          revenue: 90_000, deals_won: 0, deals_lost: 0, trainings_assigned: 10,
          trainings_completed: 5, integration_quality: 2.5 }
  given { partner_id: "P2", quarter: "2025Q1", partner_type: technology, region: EMEA,
          revenue: 200_000, deals_won: 3, deals_lost: 1, trainings_assigned: 10,
          trainings_completed: 10, integration_quality: 5 }
  given { partner_id: "P2", quarter: "2025Q3", partner_type: technology, region: NA,
          revenue: 60_000, deals_won: 1, deals_lost: 3, trainings_assigned: 4,
          trainings_completed: 4, integration_quality: missing }
  given { partner_id: "P3", quarter: "2025Q3", partner_type: technology, region: NA,
          revenue: 150_000, deals_won: 3, deals_lost: 1, trainings_assigned: 0,
          trainings_completed: 0, integration_quality: 3 }
  given { partner_id: "R1", quarter: "2025Q3", partner_type: reseller, region: NA,
          revenue: 200_000, deals_won: 4, deals_lost: 4, trainings_assigned: 5,
          trainings_completed: 3, integration_quality: missing }
  partner "P1"
  expect type == technology
}
"#;

/// Layer groups with insufficient data, a credit-style sum, a formula over
/// another score, and a rule that reads a history function.
const SHAPES: &str = r#"scorecard "explain-shapes" version "2"

input {
  key id
  period q
  x: number, optional
  y: number, optional
  z: number, optional
}

metric mx "Strategic fit" {
  owner "strategy"  source "survey"  layer strategy
  value x
  missing points 0
}

metric my "Customer retention" {
  owner "success"  source "CRM"  layer results
  value y
  missing points 0
}

metric mz "Deal size" {
  owner "sales"  source "CRM"  layer results
  value z
  points {
    [0, 10)  => 5
    [10, 50) => 20
    >= 50    => 40
  }
  missing points 0
}

score layered "Layered performance" {
  weights {
    layer strategy 40 { mx 100 }
    layer results  60 { my 50  mz 50 }
  }
  insufficient data if more than 50% missing
}

score credit "Credit-style rating" {
  base 600
  sum { mx mz }
}

score overall "Overall" {
  value 0.5 * layered + 0.5 * points(mz)
}

tiers overall {
  high >= 50
  low  otherwise
}

rule collect "Not enough data to score" {
  when overall is missing or previous(x) > x
  action "collect data"
}

test "one complete partner, one with gaps" {
  given { id: "A", q: "1", x: 90, y: 30, z: 20 }
  given { id: "A", q: "2", x: 80, y: missing, z: missing }
  given { id: "B", q: "2", x: 70, y: 80, z: 60 }
  partner "A"
  expect layered is insufficient
}
"#;

struct Loaded {
    sources: SourceMap,
    model: Model,
    plan: Plan,
    table: scorecard::data::table::Table,
}

fn load(text: &str) -> Loaded {
    let (sources, checked) = check_str(text);
    assert!(
        !checked.diagnostics.has_errors(),
        "{}",
        human(&sources, &checked)
    );
    let model = checked.model.unwrap();
    let rows = &model.tests.first().expect("a test with rows").rows;
    let table = scorecard::data::given::table_from_rows(&model, rows);
    let plan = scorecard::plan::compile(&model);
    Loaded {
        sources,
        model,
        plan,
        table,
    }
}

fn explain_in(
    text: &str,
    partner: &str,
    period: Option<&str>,
) -> Result<Explanation, ExplainError> {
    let l = load(text);
    explain::explain(&l.model, &l.plan, &l.table, &l.sources, partner, period)
}

fn run(partner: &str, period: Option<&str>) -> Result<Explanation, ExplainError> {
    explain_in(SCORECARD, partner, period)
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots/explain", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[test]
fn latest_period_as_text() {
    let e = run("P1", None).unwrap();
    snapshot!("latest_period_text", explain::text(&e));
}

#[test]
fn latest_period_as_json() {
    let e = run("P1", None).unwrap();
    snapshot!("latest_period_json", explain::json(&e).unwrap());
}

#[test]
fn an_earlier_period_is_provisional() {
    let e = run("P1", Some("2025Q1")).unwrap();
    snapshot!("first_period_text", explain::text(&e));
}

#[test]
fn a_strong_first_period_is_capped() {
    let e = run("P2", Some("2025Q1")).unwrap();
    snapshot!("capped_text", explain::text(&e));
}

#[test]
fn a_peer_with_missing_data() {
    let e = run("P3", None).unwrap();
    snapshot!("peer_text", explain::text(&e));
}

#[test]
fn insufficient_data_a_sum_and_a_formula() {
    let e = explain_in(SHAPES, "A", None).unwrap();
    snapshot!("shapes_insufficient_text", explain::text(&e));
    let e = explain_in(SHAPES, "B", None).unwrap();
    snapshot!("shapes_complete_text", explain::text(&e));
}

/// A flag and a rule that read running aggregates over a partner's history.
const RUNNING: &str = r#"scorecard "explain-running" version "1"

input {
  key id
  period q
  deals: integer >= 0, optional
}

metric won "Deals won so far" {
  owner "sales"  source "CRM"
  value running_sum(deals)
}

score s { weights { won 100 } }

score best { value running_max(deals) }

flag lapsed "No deal this quarter" {
  when periods_since(deals > 0) >= 1
}

rule streaky "Three quarters with a deal in a row" {
  when streak(deals > 0) >= 3 and running_count(deals) >= 3
  action "celebrate"
}

test "a partner's history" {
  given { id: "A", q: "2025Q1", deals: 2 }
  given { id: "A", q: "2025Q2", deals: 1 }
  given { id: "A", q: "2025Q3", deals: 3 }
  given { id: "A", q: "2025Q4", deals: 0 }
  partner "A"
  expect won == 6
}
"#;

#[test]
fn running_aggregates_are_shown_with_their_values() {
    let e = explain_in(RUNNING, "A", Some("2025Q3")).unwrap();
    let text = explain::text(&e);
    for read in [
        "running_max(deals) = 3",
        "streak(deals > 0) = 3",
        "running_count(deals) = 3",
    ] {
        assert!(text.contains(read), "{read} is not shown:\n{text}");
    }
    snapshot!("running_text", text);
    let e = explain_in(RUNNING, "A", None).unwrap();
    snapshot!("running_last_period_text", explain::text(&e));
}

/// Replaying the guardrails gives the engine's numbers, for every row.
#[test]
fn the_replayed_steps_reach_the_engines_values() {
    for text in [SCORECARD, SHAPES] {
        let l = load(text);
        let key = l.model.contract.key.unwrap().index();
        let period = l.model.contract.period.unwrap().index();
        let text_at = |c: usize, r: usize| match &l.table.columns[c] {
            scorecard::data::table::Column::Text(t) => t.get(r).to_string(),
            _ => unreachable!("key and period are text"),
        };
        for r in 0..l.table.rows {
            let (p, q) = (text_at(key, r), text_at(period, r));
            let e =
                explain::explain(&l.model, &l.plan, &l.table, &l.sources, &p, Some(&q)).unwrap();
            for s in &e.scores {
                let adjusted = s.adjustments.last().map_or(s.total, |a| a.after);
                assert_eq!(adjusted, s.adjusted, "{p} {q} {}", s.name);
                if s.insufficient.is_none() {
                    let last = s.guardrails.last().map_or(s.smoothed, |g| g.after);
                    assert_eq!(last, s.reported, "{p} {q} {}", s.name);
                }
                let sum: f64 = s.terms.iter().filter_map(|t| t.contribution).sum();
                if let (Some(total), "weights") = (s.total, s.definition) {
                    assert!((sum - total).abs() < 1e-9, "{p} {q} {}", s.name);
                }
            }
        }
    }
}

#[test]
fn unknown_partner_suggests_the_closest_key() {
    let err = run("P11", None).unwrap_err();
    assert_eq!(
        err,
        ExplainError::UnknownPartner {
            partner: "P11".into(),
            suggestion: Some("P1".into()),
            partners: 4,
        }
    );
    assert_eq!(err.to_string(), "no partner `P11` in the data");
    assert_eq!(err.help().as_deref(), Some("did you mean `P1`?"));
    let far = run("reseller-x", None).unwrap_err();
    assert_eq!(
        far.help().as_deref(),
        Some("check the partner id; the data has 4 partners")
    );
}

#[test]
fn unknown_period_lists_the_partners_periods() {
    let err = run("P1", Some("2025Q4")).unwrap_err();
    assert_eq!(
        err,
        ExplainError::UnknownPeriod {
            partner: "P1".into(),
            period: "2025Q4".into(),
            periods: vec!["2025Q1".into(), "2025Q2".into(), "2025Q3".into()],
        }
    );
    assert_eq!(
        err.to_string(),
        "partner `P1` has no row for period `2025Q4`"
    );
    assert_eq!(
        err.help().as_deref(),
        Some("its periods are: `2025Q1`, `2025Q2`, `2025Q3`")
    );
}

#[test]
fn the_examples_explain_a_sample_partner() {
    for name in ["partner-onboarding", "partner-performance"] {
        let card = format!("scorecards/{name}.scorecard");
        let out = crate::support::scorecard(&[
            "explain",
            &card,
            "--data",
            "scorecards/data/partners.csv",
            "--partner",
            "P000007",
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = crate::support::stdout(&out);
        assert!(
            text.starts_with("partner P000007, period 2025Q4\n"),
            "{text}"
        );
        insta::with_settings!({snapshot_path => "../snapshots/explain", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("{name}_P000007"), text);
        });
        let json = crate::support::scorecard(&[
            "explain",
            &card,
            "--data",
            "scorecards/data/partners.csv",
            "--partner",
            "P000007",
            "--period",
            "2024Q3",
            "--format",
            "json",
        ]);
        let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        assert_eq!(v["period"], "2024Q3", "{v}");
    }
    let unknown = crate::support::scorecard(&[
        "explain",
        "scorecards/partner-performance.scorecard",
        "--data",
        "scorecards/data/partners.csv",
        "--partner",
        "P00007",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("P000007"),
        "a did-you-mean names the partner"
    );
}

/// The sample data with some rows broken: `revenue` made text on the lines
/// given (1-based, the header is line 1).
fn broken_data(name: &str, lines: &[usize]) -> std::path::PathBuf {
    let text = std::fs::read_to_string("scorecards/data/partners.csv").unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if lines.contains(&(i + 1)) {
            let mut fields: Vec<&str> = line.split(',').collect();
            fields[6] = "n/a";
            out.push_str(&fields.join(","));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    let path = temp_dir(name).join("partners.csv");
    std::fs::write(&path, out).unwrap();
    path
}

fn explain_on(data: &std::path::Path, partner: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "explain",
        "scorecards/partner-performance.scorecard",
        "--data",
        data.to_str().unwrap(),
        "--partner",
        partner,
    ];
    args.extend_from_slice(extra);
    crate::support::scorecard(&args)
}

#[test]
fn a_rejected_row_is_named_with_its_line_and_reason() {
    // P000007's latest row (line 57) breaks the contract.
    let data = broken_data("explain-rejected-own", &[57]);
    let out = explain_on(&data, "P000007", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("no partner"), "{stderr}");
    snapshot!("rejected_own_row", stderr);
    // Asked for the period of the rejected row: the same answer.
    let out = explain_on(&data, "P000007", &["--period", "2025Q4"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "error: the row of partner `P000007` for period `2025Q4` (line 57) was rejected: "
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every row of the partner rejected.
    let data = broken_data("explain-rejected-all", &(50..=57).collect::<Vec<_>>());
    let out = explain_on(&data, "P000007", &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "error: 8 rows of partner `P000007` (lines 50, 51, 52, 53, 54, 55, 56, 57) were rejected; line 50: "
        ),
        "{stderr}"
    );
}

#[test]
fn other_partners_rejected_rows_are_counted_not_required() {
    // Two rows of other partners break the contract; P000007 is explained.
    let data = broken_data("explain-rejected-others", &[2, 65]);
    let out = explain_on(&data, "P000007", &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = format!(
        "note: 2 other rows of `{}` were rejected and left out (lines 2, 65); peers are the 2267 valid rows; `--rejects FILE` writes the rejected rows with their reasons\n",
        data.display()
    );
    assert_eq!(stderr, expected);
    assert!(String::from_utf8_lossy(&out.stdout).contains("P000007"));
    let json = explain_on(&data, "P000007", &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["rows_skipped"], 2);
    // With a clean file the field is absent.
    let clean = explain_on(
        std::path::Path::new("scorecards/data/partners.csv"),
        "P000007",
        &["--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&clean.stdout).unwrap();
    assert!(v.get("rows_skipped").is_none());
}

#[test]
fn text_wraps_to_the_width_and_keeps_table_rows_whole() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args([
            "explain",
            "scorecards/partner-performance.scorecard",
            "--data",
            "scorecards/data/partners.csv",
            "--partner",
            "P000007",
        ])
        .env("NO_COLOR", "1")
        .env("COLUMNS", "72")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let unwrapped = crate::support::scorecard(&[
        "explain",
        "scorecards/partner-performance.scorecard",
        "--data",
        "scorecards/data/partners.csv",
        "--partner",
        "P000007",
    ]);
    let unwrapped = String::from_utf8(unwrapped.stdout).unwrap();
    assert!(
        unwrapped
            .lines()
            .any(|l| l.chars().count() > 72 && !l.contains("  pts"))
    );
    // Wrapping only moves words to new lines.
    let words = |t: &str| t.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    assert_eq!(words(&text), words(&unwrapped));
    for line in text.lines() {
        let table_row = line.starts_with("    ") && line.trim().contains("  ");
        assert!(
            line.chars().count() <= 72 || table_row || !line.trim().contains(' '),
            "{line:?} is wider than 72"
        );
    }
    snapshot!("wrapped_to_72", text);
}

#[test]
fn a_rejected_row_is_found_in_ndjson_and_on_standard_input() {
    let dir = temp_dir("explain-rejected-formats");
    let card = dir.join("s.scorecard");
    std::fs::write(
        &card,
        "scorecard \"s\" version \"1\"\n\ninput {\n  key id\n  x: number >= 0\n}\n\n\
         metric m \"M\" {\n  owner \"o\"  source \"s\"\n  value x\n  points scale 0 => 0, 10 => 100\n}\n\n\
         score s \"S\" {\n  weights { m 100 }\n}\n",
    )
    .unwrap();
    let data = dir.join("d.ndjson");
    std::fs::write(
        &data,
        "{\"id\": \"A\", \"x\": 5}\n{\"id\": \"B\", \"x\": -1}\n",
    )
    .unwrap();
    let out = crate::support::scorecard(&[
        "explain",
        card.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--partner",
        "B",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: the row of partner `B` (line 2) was rejected: column `x`:"),
        "{stderr}"
    );
    // Standard input: the header cannot be read again, a field equal to the partner is enough.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args([
            "explain",
            card.to_str().unwrap(),
            "--data",
            "-",
            "--partner",
            "B",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"id,x\nA,5\nB,-1\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: the row of partner `B` (line 3) was rejected: column `x`:"),
        "{stderr}"
    );
}
