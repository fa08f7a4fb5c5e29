//! `scorecard docs`: the metric catalogue and published rubric of a scorecard,
//! in Markdown and HTML, for the program team and for partners.

use std::path::{Path, PathBuf};

use scorecard::publish::{self, Audience};
use scorecard::source::SourceMap;

use crate::support::*;

fn example_scorecards() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir("scorecards")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "scorecard"))
        .collect();
    out.sort();
    out
}

fn model_of(path: &Path) -> (scorecard::model::Model, SourceMap) {
    let (sources, checked) = check_file(path);
    let model = checked.model.clone().expect("a model");
    assert!(
        !checked.diagnostics.has_errors(),
        "{}",
        human(&sources, &checked)
    );
    (model, sources)
}

fn markdown_of(path: &Path, audience: Audience) -> String {
    let (model, sources) = model_of(path);
    publish::markdown(&publish::catalogue(&model, &sources, audience))
}

/// The committed catalogues under docs/scorecards/ are the Markdown snapshots
/// of the examples: each must be exactly what `scorecard docs` writes today.
#[test]
fn the_committed_catalogues_are_current() {
    let examples = example_scorecards();
    assert!(examples.len() >= 3);
    for path in examples {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let committed = PathBuf::from(format!("docs/scorecards/{stem}.md"));
        let out = scorecard(&[
            "docs",
            path.to_str().unwrap(),
            "--out",
            committed.to_str().unwrap(),
            "--check",
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{} is stale; run `scorecard docs {} --out {}`\n{}",
            committed.display(),
            path.display(),
            committed.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn the_catalogue_states_each_metric_score_tier_rule_and_the_hash() {
    let path = Path::new("scorecards/partner-onboarding.scorecard");
    let (model, _) = model_of(path);
    let md = markdown_of(path, Audience::Internal);
    assert!(md.contains(&model.content_hash));
    assert!(md.contains("`2025.3`"));
    for m in &model.metrics {
        assert!(
            md.contains(&format!("### <a id=\"metric-{0}\"></a>`{0}`", m.name)),
            "{}",
            m.name
        );
        if let Some(owner) = &m.meta.owner {
            assert!(md.contains(&format!("**Owner:** {owner}")), "{owner}");
        }
    }
    for s in &model.scores {
        assert!(md.contains(&format!("### <a id=\"score-{0}\"></a>`{0}`", s.name)));
    }
    for r in &model.rules {
        assert!(md.contains(&format!("`{}`", r.name)));
    }
    // Bands with their stated ends, per-segment weights, tier thresholds and benefits.
    assert!(md.contains("| `>= 8` | 100 |"), "{md}");
    assert!(md.contains("For partners whose segment `maturity` is `onboarding`"));
    assert!(md.contains("| `strategic` | score `>= 75` | executive sponsor"));
    assert!(md.contains("Maximum change: the reported score moves at most 15 points"));
    assert!(md.contains("| APAC demand | × 1.05 | `region == APAC` — `region` is `APAC` |"));
    // A scale whose lower values earn more says so.
    assert!(md.contains("lower values earn more"));
}

#[test]
fn the_partner_catalogue_leaves_out_owners_sources_and_rationales() {
    for path in example_scorecards() {
        let (model, _) = model_of(&path);
        let md = markdown_of(&path, Audience::Partner);
        for word in ["**Owner:**", "**Source:**", "**Rationale:**"] {
            assert!(
                !md.contains(word),
                "{word} in the partner catalogue of {}",
                path.display()
            );
        }
        for m in &model.metrics {
            if let Some(r) = &m.meta.rationale {
                assert!(!md.contains(r.as_str()), "rationale of {} shown", m.name);
            }
            if let Some(s) = &m.meta.source {
                assert!(
                    !md.contains(&format!(" {s}\n")),
                    "source of {} shown",
                    m.name
                );
            }
            assert!(md.contains(&format!("### <a id=\"metric-{0}\"></a>`{0}`", m.name)));
        }
        let html = {
            let (model, sources) = model_of(&path);
            publish::html(&publish::catalogue(&model, &sources, Audience::Partner))
        };
        for m in &model.metrics {
            if let Some(r) = &m.meta.rationale {
                let escaped = r
                    .replace('&', "&amp;")
                    .replace('\'', "&#39;")
                    .replace('"', "&quot;");
                assert!(!html.contains(&escaped), "rationale of {} in HTML", m.name);
            }
        }
    }
    let md = markdown_of(
        Path::new("scorecards/partner-performance.scorecard"),
        Audience::Partner,
    );
    insta::with_settings!({ snapshot_path => "../snapshots/docs" }, {
        insta::assert_snapshot!("partner_performance_partner", md);
    });
}

const HOSTILE: &str = r#"scorecard "x<script>alert(1)</script>" version "1 | 2"

input {
  key partner_id
  score_in: number in 0..100
  kind: enum(a, b)
}

metric m "<script>alert('m')</script> | pipe `tick` *star* [link](javascript:x)" {
  owner "<b>owner</b>"  rationale "\"><img src=x onerror=alert(1)>"
  value score_in
  points { >= 50 => 100  else => 0 }
}

metric k "Kind" {
  value kind
  points { "a" => 100  else => 0 }
}

score s "</td></tr><script>x()</script>" {
  weights { m 50  k 50 }
}

tiers s {
  gold >= 80 {
    benefit "<svg onload=alert(1)>"
    obligation "<iframe>"
  }
  base otherwise
}

flag f "<a href=\"javascript:alert(1)\">click</a>" {
  when m > 2
}

rule r "- [ ] <u>reason</u> | x" {
  when s < 10
  action "<marquee>act</marquee>"
}
"#;

#[test]
fn text_from_the_scorecard_is_escaped_in_html_and_markdown() {
    let (sources, checked) = check_str(HOSTILE);
    let model = checked
        .model
        .clone()
        .unwrap_or_else(|| panic!("{}", human(&sources, &checked)));
    let doc = publish::catalogue(&model, &sources, Audience::Internal);
    let html = publish::html(&doc);
    for tag in [
        "<script",
        "<img",
        "<b>",
        "<iframe",
        "<svg",
        "<a href=\"javascript",
        "<u>",
        "<marquee",
        "</td></tr><",
    ] {
        assert!(!html.contains(tag), "{tag} unescaped in:\n{html}");
    }
    assert!(html.contains("&lt;script&gt;alert(&#39;m&#39;)&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    let md = publish::markdown(&doc);
    // Outside code spans, every `<` is backslash-escaped (inside one it is
    // text); the only markup is each heading's own anchor.
    for line in md.lines() {
        let line = match (line.find("<a id=\""), line.find("\"></a>")) {
            (Some(a), Some(b)) if line.starts_with('#') && a < b => {
                let id = &line[a + 7..b];
                assert!(
                    id.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                    "{line}"
                );
                format!("{}{}", &line[..a], &line[b + 6..])
            }
            _ => line.to_string(),
        };
        let line = line.as_str();
        for (k, outside) in line.split('`').enumerate() {
            if k % 2 == 0 {
                assert!(
                    !outside.replace("\\<", "").contains('<'),
                    "unescaped `<` in: {line}"
                );
            }
        }
    }
    // A `|` in a table cell would split it: every table row keeps its columns.
    for line in md.lines().filter(|l| l.starts_with('|')) {
        let cells = line.replace("\\|", "").matches('|').count();
        assert!(cells >= 3, "{line}");
    }
    assert!(
        md.contains("| - \\[ \\] \\<u\\>reason\\</u\\> \\| x |"),
        "{md}"
    );
    insta::with_settings!({ snapshot_path => "../snapshots/docs" }, {
        insta::assert_snapshot!("hostile_html", html);
        insta::assert_snapshot!("hostile_markdown", md);
    });
}

#[test]
fn the_same_scorecard_gives_the_same_bytes() {
    let path = Path::new("scorecards/partner-performance-v2.scorecard");
    let a = scorecard(&["docs", path.to_str().unwrap(), "--format", "html"]);
    let b = scorecard(&["docs", path.to_str().unwrap(), "--format", "html"]);
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(a.stdout, b.stdout);
    let text = String::from_utf8(a.stdout).unwrap();
    assert!(text.starts_with("<!DOCTYPE html>"));
    // Self-contained: nothing fetched from the network, no scripts.
    assert!(!text.contains("http://") && !text.contains("https://") && !text.contains("<script"));
}

#[test]
fn imports_are_followed() {
    let dir = temp_dir("docs-import");
    std::fs::create_dir_all(dir.join("shared")).unwrap();
    std::fs::write(
        dir.join("shared/core.scorecard"),
        "input {\n  key partner_id\n  deals: integer >= 0\n}\n\nmetric deal_count \"Deals won, from the shared file\" {\n  owner \"sales ops\"\n  value deals\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("main.scorecard"),
        "scorecard \"main\" version \"1\"\nimport \"shared/core.scorecard\"\n\nscore total {\n  weights { deal_count 100 }\n}\n",
    )
    .unwrap();
    let out = scorecard(&["docs", dir.join("main.scorecard").to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("### <a id=\"metric-deal_count\"></a>`deal_count`"),
        "{text}"
    );
    assert!(text.contains("Deals won, from the shared file"));
    assert!(text.contains("| [`deal_count`](#metric-deal_count) | 100% |"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unwritable_out_is_a_clear_error_and_writes_nothing() {
    let dir = temp_dir("docs-unwritable");
    let missing_dir = dir.join("no-such-dir/out.md");
    let out = scorecard(&[
        "docs",
        "scorecards/partner-onboarding.scorecard",
        "--out",
        missing_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: cannot write `"), "{stderr}");
    assert!(!dir.join("no-such-dir").exists());
    // A directory in the place of the file.
    let out = scorecard(&[
        "docs",
        "scorecards/partner-onboarding.scorecard",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write"));
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "something was written"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_out_onto_the_scorecard_or_an_import_is_refused() {
    let dir = temp_dir("docs-onto-input");
    std::fs::create_dir_all(dir.join("shared")).unwrap();
    let core = "input {\n  key partner_id\n  deals: integer >= 0\n}\n\nmetric deal_count \"Deals won\" {\n  owner \"sales ops\"\n  value deals\n}\n";
    let main = "scorecard \"main\" version \"1\"\nimport \"shared/core.scorecard\"\n\nscore total {\n  weights { deal_count 100 }\n}\n";
    std::fs::write(dir.join("shared/core.scorecard"), core).unwrap();
    std::fs::write(dir.join("main.scorecard"), main).unwrap();
    let card = dir.join("main.scorecard");
    for (target, kept) in [
        (dir.join("main.scorecard"), main),
        (dir.join("shared/../shared/core.scorecard"), core),
    ] {
        let out = scorecard(&[
            "docs",
            card.to_str().unwrap(),
            "--out",
            target.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("is the same file as the"), "{stderr}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), kept);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_scorecard_with_errors_gives_diagnostics_and_writes_nothing() {
    let dir = temp_dir("docs-errors");
    let card = dir.join("bad.scorecard");
    std::fs::write(
        &card,
        "scorecard \"bad\"\ninput {\n  key partner_id\n  x: number\n}\nmetric m {\n  value y\n}\n",
    )
    .unwrap();
    let target = dir.join("bad.md");
    let out = scorecard(&[
        "docs",
        card.to_str().unwrap(),
        "--out",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("N001"), "{stderr}");
    assert!(stderr.contains("has errors"), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(!target.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_reports_a_stale_file_and_leaves_it_alone() {
    let dir = temp_dir("docs-check");
    let target = dir.join("x.md");
    let card = "scorecards/partner-performance.scorecard";
    let t = target.to_str().unwrap();
    // Missing file: stale.
    let out = scorecard(&["docs", card, "--out", t, "--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!target.exists());
    // Written, then current.
    assert_eq!(
        scorecard(&["docs", card, "--out", t]).status.code(),
        Some(0)
    );
    assert_eq!(
        scorecard(&["docs", card, "--out", t, "--check"])
            .status
            .code(),
        Some(0)
    );
    // Edited by hand: stale, with the diff and the command that rewrites it.
    std::fs::write(&target, "hand-edited\n").unwrap();
    let out = scorecard(&["docs", card, "--out", t, "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is out of date"), "{stderr}");
    assert!(stderr.contains("-hand-edited"), "{stderr}");
    assert!(
        stderr.contains(&format!("scorecard docs {card} --out {t}")),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "hand-edited\n");
    // --check needs --out.
    assert_eq!(scorecard(&["docs", card, "--check"]).status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The catalogue is built from the checked model, never from the syntax tree:
/// the only things `publish` takes from `syntax` are operator enums.
#[test]
fn publish_reads_the_model_not_the_syntax_tree() {
    for entry in std::fs::read_dir("src/publish").unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (k, line) in text.lines().enumerate() {
            if let Some(at) = line.find("syntax::") {
                // Only the operator enums the model itself uses.
                let names = line[at..]
                    .trim_start_matches("syntax::ast::")
                    .trim_start_matches('{');
                let names: Vec<&str> = names
                    .split(['}', ';', ':', ',', ')'])
                    .map(str::trim)
                    .take_while(|n| {
                        !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    })
                    .collect();
                assert!(
                    line[at..].starts_with("syntax::ast::")
                        && !names.is_empty()
                        && names
                            .iter()
                            .all(|n| ["BinOp", "CmpOp", "Normalizer", "UnaryOp"].contains(n)),
                    "{}:{}: {line}",
                    path.display(),
                    k + 1
                );
            }
            assert!(
                !line.contains("fmt::"),
                "{}:{}: {line}",
                path.display(),
                k + 1
            );
        }
    }
}

/// The rest of the language's rubric and score shapes: intervals, a missing
/// band, categories, a points formula, no points clause, `sum` with a base,
/// a `value` score, insufficient data and exponential smoothing.
const SHAPES: &str = r#"scorecard "shapes" version "3"

input {
  key partner_id
  period quarter
  avg_days_late: number >= 0, optional
  contract_type: enum(multi_year, annual, monthly)
  pipeline_value: number >= 0
  quarterly_target: number >= 0
  rating: number in 0..100
}

metric payment_delay "Average days invoices are paid late" {
  value avg_days_late
  points {
    [0, 5)   => 20
    [5, 30)  => 5
    [30, 90) => -10
    >= 90    => -40
    missing  => 0
  }
}

metric contract "Contract type" {
  value contract_type
  points {
    multi_year => 15
    annual, monthly => 5
  }
}

metric pipeline_cover "Pipeline as a multiple of quarterly target" {
  value pipeline_value / quarterly_target
  points = min(value * 50, 100)
  missing points 0
}

metric rating_points "Survey rating" {
  value rating
}

score credit "Credit-style rating" {
  base 600
  sum { payment_delay contract pipeline_cover }
  insufficient data if more than 1 missing
}

score outlook "Outlook" {
  weights { pipeline_cover 50  rating_points 50 }
  smooth exponential(0.5)
}

score blended "Blended" {
  value if credit > 600 then outlook else outlook * 0.9
}
"#;

#[test]
fn every_rubric_and_definition_shape_is_described() {
    let (sources, checked) = check_str(SHAPES);
    let model = checked
        .model
        .clone()
        .unwrap_or_else(|| panic!("{}", human(&sources, &checked)));
    assert!(
        !checked.diagnostics.has_errors(),
        "{}",
        human(&sources, &checked)
    );
    let md = publish::markdown(&publish::catalogue(&model, &sources, Audience::Internal));
    assert!(md.contains("| `[0, 5)` | 20 |"), "{md}");
    assert!(md.contains("| missing | 0 |"));
    assert!(md.contains("| `annual`, `monthly` | 5 |"));
    assert!(md.contains("the base `600` plus the points of each metric"));
    assert!(md.contains("more than 1 of the score's metrics are missing"));
    assert!(md.contains("exponential, weight 0.5 on the newest period"));
    insta::with_settings!({ snapshot_path => "../snapshots/docs" }, {
        insta::assert_snapshot!("shapes_markdown", md);
    });
}
