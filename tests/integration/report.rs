//! `scorecard report`: the HTML page of the scores and a partner's own page —
//! their structure (snapshots with the volatile parts masked), escaping,
//! privacy, the caps for large data and the errors that write nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::*;

const SMALL: &str = "tests/fixtures/report/small.scorecard";
const SMALL_DATA: &str = "tests/fixtures/report/small.csv";
const XSS_IMG: &str = "<img src=x onerror=alert(1)>";
const XSS_QUOTE: &str = "\"; alert(1); \"";

/// Run `scorecard report` writing to `out`; the page, or the failed output.
fn report(args: &[&str], out: &Path) -> String {
    let mut all: Vec<&str> = vec!["report"];
    all.extend(args);
    all.extend(["--out", out.to_str().unwrap()]);
    let o = scorecard(&all);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read_to_string(out).unwrap()
}

/// The page with what changes with the scorecard's text, the style sheet and
/// the script left out.
fn masked(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    for (open, close) in [("<style>", "</style>"), ("<script>", "</script>")] {
        if let Some(a) = rest.find(open) {
            let b = a + rest[a..].find(close).unwrap();
            out.push_str(&rest[..a + open.len()]);
            out.push('…');
            rest = &rest[b..];
        }
    }
    out.push_str(rest);
    let mut masked = String::new();
    for line in out.lines() {
        let line = match line.find("sha256") {
            Some(_) if line.contains("Content-Security-Policy") => {
                "<meta http-equiv=\"Content-Security-Policy\" content=\"(masked)\">".to_string()
            }
            Some(k) if line.contains("<code>sha256:") => format!("{}sha256:(masked)", &line[..k]),
            _ => line.to_string(),
        };
        masked.push_str(&line);
        masked.push('\n');
    }
    masked
}

#[test]
fn the_report_of_the_small_scorecard() {
    let dir = temp_dir("report-small");
    let html = report(&[SMALL, "--data", SMALL_DATA], &dir.join("r.html"));
    insta::assert_snapshot!("small_report", masked(&html));
}

#[test]
fn a_partners_page_of_the_small_scorecard() {
    let dir = temp_dir("report-small-partner");
    let html = report(
        &[SMALL, "--data", SMALL_DATA, "--partner", "A1"],
        &dir.join("a1.html"),
    );
    insta::assert_snapshot!("small_partner_page", masked(&html));
}

#[test]
fn ids_from_the_data_are_text_everywhere() {
    let dir = temp_dir("report-xss");
    let html = report(&[SMALL, "--data", SMALL_DATA], &dir.join("r.html"));
    assert!(!html.contains(XSS_IMG), "an id was written as HTML");
    assert!(!html.contains(XSS_QUOTE), "an id was written unescaped");
    // In the page as text, in attributes escaped, in the table's JSON as \u003c.
    assert!(html.contains("&#60;img src=x onerror=alert(1)&#62;") || html.contains("&lt;img"));
    assert!(html.contains("\\u003cimg src=x onerror=alert(1)\\u003e"));
    // One script element, the constant one the policy allows by its hash.
    assert_eq!(html.matches("<script>").count(), 1);
    // The policy's quotes are escaped in the attribute like any other text.
    assert!(html.contains("script-src &#39;sha256-"));
    assert!(html.contains("default-src &#39;none&#39;"));
    for id in [XSS_IMG, XSS_QUOTE] {
        let page = report(
            &[SMALL, "--data", SMALL_DATA, "--partner", id],
            &dir.join("p.html"),
        );
        assert!(!page.contains(id));
        assert!(!page.contains("<script"), "a partner's page runs no script");
    }
}

/// Every partner id, and every other field value of the CSV, by partner.
fn csv_values(path: &str) -> Vec<(String, Vec<String>)> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r.get(0).unwrap().to_string(),
                r.iter().skip(1).map(str::to_string).collect(),
            )
        })
        .collect()
}

#[test]
fn a_partners_page_reveals_no_other_partner() {
    let dir = temp_dir("report-privacy");
    let me = "P000001";
    let html = report(
        &[
            "scorecards/partner-performance.scorecard",
            "--data",
            "scorecards/data/partners.csv",
            "--partner",
            me,
        ],
        &dir.join("p.html"),
    );
    let rows = csv_values("scorecards/data/partners.csv");
    let mine: BTreeSet<&str> = rows
        .iter()
        .filter(|(k, _)| k == me)
        .flat_map(|(_, v)| v.iter().map(String::as_str))
        .collect();
    assert!(html.contains(me));
    let mut others = 0;
    let mut distinctive = 0;
    for (key, values) in &rows {
        if key == me {
            continue;
        }
        others += 1;
        assert!(!html.contains(key.as_str()), "{key} is on {me}'s page");
        // Values of six characters or more (revenues, pipelines, deal sizes)
        // that the partner itself does not have.
        for v in values
            .iter()
            .filter(|v| v.len() >= 6 && !mine.contains(v.as_str()))
        {
            distinctive += 1;
            assert!(
                !html.contains(v.as_str()),
                "{key}'s value {v} is on {me}'s page"
            );
        }
    }
    assert!(
        others > 2000 && distinctive > 5000,
        "{others} {distinctive}"
    );
    // Peers appear as averages of groups of at least five.
    assert!(html.contains("Compared with peers"));
    assert!(html.contains("at least 5 partners"));
}

#[test]
fn a_peer_group_smaller_than_five_is_suppressed_with_a_note() {
    let dir = temp_dir("report-k");
    let html = report(
        &[SMALL, "--data", SMALL_DATA, "--partner", "C3"],
        &dir.join("c3.html"),
    );
    // 5 partners in all; 2 in the south.
    let all = html.find("<td>all partners</td>").unwrap();
    assert!(html[all..].starts_with("<td>all partners</td><td class=\"n\">5</td>"));
    let south = html.find("<td>area: south</td>").unwrap();
    assert!(
        html[south..].starts_with(
            "<td>area: south</td><td colspan=\"3\" class=\"suppressed\">fewer than 5 partners"
        ),
        "{}",
        &html[south..south + 200]
    );
}

#[test]
fn charts_have_a_point_per_period() {
    let dir = temp_dir("report-charts");
    let html = report(
        &[
            "scorecards/partner-performance.scorecard",
            "--data",
            "scorecards/data/partners.csv",
            "--partners",
            "P000001,P000002",
        ],
        &dir.join("r.html"),
    );
    // One stacked bar group per period in the tier chart of `performance`.
    let tiers = html.find("<svg class=\"chart tiers\"").unwrap();
    let end = tiers + html[tiers..].find("</svg>").unwrap();
    assert_eq!(html[tiers..end].matches("<g class=\"period\">").count(), 8);
    // Two sections, each with three trajectories of eight points.
    assert_eq!(html.matches("<article class=\"partner\"").count(), 2);
    assert_eq!(html.matches("<svg class=\"chart trajectory\"").count(), 6);
    assert_eq!(html.matches("<circle class=\"pt\"").count(), 6 * 8);
    assert!(html.contains("<caption>Up</caption>"));
    assert!(html.contains("Interventions queue"));
}

/// A scorecard's CSV data of `partners` partners and two periods.
fn many_partners(dir: &Path, partners: usize) -> PathBuf {
    let path = dir.join("many.csv");
    let mut text = String::from("partner_id,period,region,sales,trainings\n");
    for p in 0..partners {
        let region = if p % 2 == 0 { "north" } else { "south" };
        text.push_str(&format!("X{p:05},2025Q1,{region},{},{}\n", p % 150, p % 11));
        text.push_str(&format!(
            "X{p:05},2025Q2,{region},{},{}\n",
            (p * 7) % 150,
            (p * 3) % 11
        ));
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn many_partners_are_capped_with_notes() {
    let dir = temp_dir("report-many");
    let data = many_partners(&dir, 5_003);
    let html = report(
        &[SMALL, "--data", data.to_str().unwrap()],
        &dir.join("r.html"),
    );
    assert!(html.contains("5003 partners: details are shown for the 25 biggest movers"));
    let sections = html.matches("<article class=\"partner\"").count();
    assert!((2..=50).contains(&sections), "{sections}");
    assert!(html.contains("The partners table shows 5000 of 5003 partners"));
    assert_eq!(html.matches("{\"id\":").count(), 5_000);
    // `--partners` chooses the sections.
    let html = report(
        &[
            SMALL,
            "--data",
            data.to_str().unwrap(),
            "--partners",
            "X00007,X04000",
        ],
        &dir.join("r2.html"),
    );
    assert_eq!(html.matches("<article class=\"partner\"").count(), 2);
    assert!(html.contains("id=\"p1\"") && html.contains(">X04000</h3>"));
}

#[test]
fn errors_write_nothing() {
    let dir = temp_dir("report-errors");
    let out = dir.join("never.html");
    let out_s = out.to_str().unwrap();
    // An unknown partner, with a suggestion.
    let o = scorecard(&[
        "report",
        SMALL,
        "--data",
        SMALL_DATA,
        "--partner",
        "A2",
        "--out",
        out_s,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no row of the data has the partner `A2`"),
        "{err}"
    );
    assert!(err.contains("did you mean `A1`?"), "{err}");
    let o = scorecard(&[
        "report",
        SMALL,
        "--data",
        SMALL_DATA,
        "--partners",
        "A1,Z9",
        "--out",
        out_s,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("`Z9`"));
    // A scorecard with errors.
    let bad = dir.join("bad.scorecard");
    std::fs::write(
        &bad,
        std::fs::read_to_string(SMALL)
            .unwrap()
            .replace("value sales", "value salez"),
    )
    .unwrap();
    let o = scorecard(&[
        "report",
        bad.to_str().unwrap(),
        "--data",
        SMALL_DATA,
        "--out",
        out_s,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("has errors"));
    assert!(!out.exists());
    // An --out that cannot be written.
    let o = scorecard(&[
        "report",
        SMALL,
        "--data",
        SMALL_DATA,
        "--out",
        dir.join("no/such/dir/r.html").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot write"), "{err}");
    // --out onto an input.
    let o = scorecard(&["report", SMALL, "--data", SMALL_DATA, "--out", SMALL_DATA]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!dir.join("no").exists());
    assert!(!out.exists());
}

/// The small scorecard with `output { min_group N }` appended.
fn with_min_group(dir: &Path, n: &str) -> PathBuf {
    let path = dir.join(format!("small-{n}.scorecard"));
    let text = std::fs::read_to_string(SMALL).unwrap();
    std::fs::write(&path, format!("{text}\noutput {{\n  min_group {n}\n}}\n")).unwrap();
    path
}

#[test]
fn min_group_is_declared_in_the_scorecard() {
    let dir = temp_dir("report-min-group");
    let two = with_min_group(&dir, "2");
    // Laid out canonically, and checked clean.
    let o = scorecard(&["fmt", "--check", two.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let html = report(
        &[
            two.to_str().unwrap(),
            "--data",
            SMALL_DATA,
            "--partner",
            "C3",
        ],
        &dir.join("c3.html"),
    );
    assert!(html.contains("groups of at least 2 partners"));
    let south = html.find("<td>area: south</td>").unwrap();
    assert!(
        html[south..].starts_with("<td>area: south</td><td class=\"n\">2</td>"),
        "{}",
        &html[south..south + 200]
    );
    // `min_group` alone keeps the default output columns.
    let o = scorecard(&["score", two.to_str().unwrap(), "--data", SMALL_DATA]);
    assert!(stdout(&o).starts_with("partner_id"), "{}", stdout(&o));
    assert!(stdout(&o).contains("health_tier"));
    // Out of range: S011, and nothing written.
    for bad in ["0", "2.5", "2000000"] {
        let path = with_min_group(&dir, bad);
        let out = dir.join("never.html");
        let o = scorecard(&[
            "report",
            path.to_str().unwrap(),
            "--data",
            SMALL_DATA,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1), "{bad}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("S011") && err.contains("min_group"), "{err}");
        assert!(!out.exists());
    }
}

#[test]
fn the_published_rubric_states_min_group() {
    let dir = temp_dir("report-docs-min-group");
    let o = scorecard(&["docs", with_min_group(&dir, "7").to_str().unwrap()]);
    assert!(
        stdout(&o).contains("compares only with groups of at least 7 partners"),
        "{}",
        stdout(&o)
    );
    let o = scorecard(&["docs", SMALL]);
    assert!(!stdout(&o).contains("compares only with groups"));
}

#[test]
fn a_partners_page_is_not_built_from_part_of_its_rows() {
    let dir = temp_dir("report-rejected");
    let data = dir.join("bad.csv");
    let text = std::fs::read_to_string(SMALL_DATA)
        .unwrap()
        .replace("A1,2025Q2,north,130,8", "A1,2025Q2,north,-130,8");
    std::fs::write(&data, text).unwrap();
    let out = dir.join("a1.html");
    let o = scorecard(&[
        "report",
        SMALL,
        "--data",
        data.to_str().unwrap(),
        "--on-invalid",
        "skip",
        "--partner",
        "A1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("1 row of partner `A1` was rejected (line 3 first)"),
        "{err}"
    );
    assert!(!out.exists());
    // Other partners' pages, and the program's report, are written.
    let data = data.to_str().unwrap();
    let skipping = |extra: &[&str], out: &str| {
        let mut args = vec![SMALL, "--data", data, "--on-invalid", "skip"];
        args.extend(extra);
        report(&args, &dir.join(out))
    };
    skipping(&["--partner", "B2"], "b2.html");
    let html = skipping(&[], "all.html");
    assert!(html.contains("12</span> rows"));
}

/// The numbers in the cells of class `class` of the page's backtest section.
fn backtest_cells(html: &str, class: &str) -> Vec<f64> {
    let section = &html[html.find("<section id=\"backtest\">").unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    let open = format!("<td class=\"n {class}\">");
    section
        .split(&open)
        .skip(1)
        .map(|cell| cell[..cell.find("</td>").unwrap()].parse().unwrap())
        .collect()
}

#[test]
fn the_backtest_section_has_the_numbers_of_scorecard_backtest() {
    let dir = temp_dir("report-backtest");
    for outcome in ["sales", "sales >= 100"] {
        let out = dir.join("r.html");
        let html = report(&[SMALL, "--data", SMALL_DATA, "--outcome", outcome], &out);
        assert!(html.contains("<h2>Does the score predict?</h2>"), "{html}");
        assert!(html.contains("<a href=\"#backtest\">"));
        let o = scorecard(&[
            "backtest",
            SMALL,
            "--data",
            SMALL_DATA,
            "--outcome",
            outcome,
            "--format",
            "json",
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let scores = json["scores"].as_array().unwrap();
        let spearman: Vec<f64> = scores
            .iter()
            .map(|s| s["pooled"]["spearman"].as_f64().unwrap())
            .collect();
        let means: Vec<f64> = scores
            .iter()
            .flat_map(|s| s["tiers"].as_array().unwrap())
            .map(|t| t["mean_outcome"].as_f64().unwrap())
            .collect();
        for (what, page, json) in [
            ("Spearman", backtest_cells(&html, "spearman"), spearman),
            ("tier means", backtest_cells(&html, "mean"), means),
        ] {
            assert_eq!(page.len(), json.len(), "{outcome}: {what}");
            assert!(!page.is_empty(), "{outcome}: {what}");
            for (p, j) in page.iter().zip(&json) {
                assert!((p - j).abs() <= 5e-4, "{outcome}: {what} {p} against {j}");
            }
        }
        let binary = outcome.contains(">=");
        assert_eq!(html.contains("<th>AUC</th>"), binary, "{outcome}");
        assert!(html.contains("Left out: "));
        assert!(html.contains("PSI"));
    }
}

#[test]
fn no_backtest_section_without_an_outcome() {
    let dir = temp_dir("report-no-backtest");
    let html = report(&[SMALL, "--data", SMALL_DATA], &dir.join("r.html"));
    assert!(!html.contains("id=\"backtest\""));
    assert!(!html.contains("Does the score predict?"));
}

#[test]
fn a_bad_outcome_writes_nothing() {
    let dir = temp_dir("report-bad-outcome");
    let out = dir.join("never.html");
    let out_s = out.to_str().unwrap();
    let o = scorecard(&[
        "report",
        SMALL,
        "--data",
        SMALL_DATA,
        "--out",
        out_s,
        "--outcome",
        "salez + 1",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    let b = scorecard(&[
        "backtest",
        SMALL,
        "--data",
        SMALL_DATA,
        "--outcome",
        "salez + 1",
    ]);
    assert_eq!(err, String::from_utf8_lossy(&b.stderr));
    assert!(err.contains("did you mean `sales`?"), "{err}");
    assert!(err.contains("does not check"), "{err}");
    assert!(!out.exists());
    // --horizon without --outcome, --horizon 0, --outcome on a partner's page.
    for args in [
        vec!["--horizon", "2"],
        vec!["--outcome", "sales", "--horizon", "0"],
        vec!["--outcome", "sales", "--partner", "A1"],
    ] {
        let mut all = vec!["report", SMALL, "--data", SMALL_DATA, "--out", out_s];
        all.extend(args.iter().copied());
        let o = scorecard(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!out.exists(), "{args:?}");
    }
}
