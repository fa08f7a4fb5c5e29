//! `scorecard diff`: the impact of a rule change on the sample partners.

use crate::support::*;

const OLD: &str = "scorecards/partner-performance.scorecard";
const NEW: &str = "scorecards/partner-performance-v2.scorecard";
const DATA: &str = "scorecards/data/partners.csv";

#[test]
fn markdown_for_a_pull_request() {
    let out = scorecard(&["diff", OLD, NEW, "--data", DATA, "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for part in [
        "## Scorecard change: `partner-performance 2025.3` → `partner-performance 2026.1`",
        "weight of `win_rate` 25 → 30",
        "value 0.4 * leading_index + 0.6 * lagging_index → 0.35 * leading_index + 0.65 * lagging_index",
        "excellent >= 80",
        "### Tier migration: performance",
        "### Top movers",
        "### Actions gained and lost",
    ] {
        assert!(text.contains(part), "{part:?} missing from:\n{text}");
    }
    insta::with_settings!({snapshot_path => "../snapshots/diff", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("v1_to_v2_markdown", text);
    });
}

#[test]
fn json_counts_add_up() {
    let out = scorecard(&["diff", OLD, NEW, "--data", DATA, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let matrix = &v["tier_matrices"][0]["counts"];
    let total: u64 = matrix
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(total, 300, "every partner is in the tier matrix once");
    assert_eq!(v["partners_old"], 300);
    assert!(v["movers"].as_array().unwrap().len() <= 10);
    let deltas = v["deltas"].as_array().unwrap();
    let performance = deltas.iter().find(|d| d["score"] == "performance").unwrap();
    assert!(performance["min"].as_f64().unwrap() <= performance["median"].as_f64().unwrap());
    assert!(performance["median"].as_f64().unwrap() <= performance["max"].as_f64().unwrap());
}

#[test]
fn fail_on_change_gates_merges() {
    let changed = scorecard(&["diff", OLD, NEW, "--data", DATA, "--fail-on-change"]);
    assert_eq!(changed.status.code(), Some(1));
    let same = scorecard(&["diff", OLD, OLD, "--data", DATA, "--fail-on-change"]);
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));
    assert!(
        stdout(&same).contains("What changed in the rules\n─────────────────────────\nnothing\n")
    );
    let report = scorecard(&["diff", OLD, NEW, "--data", DATA]);
    assert_eq!(
        report.status.code(),
        Some(0),
        "a report exits 0 without --fail-on-change"
    );
}

const ONBOARDING: &str = "scorecards/partner-onboarding.scorecard";

fn model_of(text: &str) -> Option<scorecard::model::Model> {
    let (_, checked) = check_str(text);
    checked.clean_model().cloned()
}

fn changes(old: &str, new: &str) -> Vec<String> {
    let (a, b) = (model_of(old).unwrap(), model_of(new).unwrap());
    scorecard::diff::rule_changes(&a, &b)
        .into_iter()
        .map(|c| c.what)
        .collect()
}

#[test]
fn layer_weights_and_weights_inside_a_layer_are_rule_changes() {
    let old = std::fs::read_to_string(ONBOARDING).unwrap();
    let new = old
        .replacen("layer strategy  40 {", "layer strategy  30 {", 1)
        .replacen("layer results   30 {", "layer results   40 {", 1);
    assert_ne!(old, new);
    let listed = changes(&old, &new);
    assert_eq!(
        listed,
        [
            "score `revenue_potential`: weight of layer `strategy` 40 → 30",
            "score `revenue_potential`: weight of layer `results` 30 → 40",
        ],
        "{listed:#?}"
    );
    // A metric's weight inside a layer.
    let metric = old.replacen(
        "      market_fit         40\n      reach              30",
        "      market_fit         30\n      reach              40",
        1,
    );
    assert_eq!(
        changes(&old, &metric),
        [
            "score `revenue_potential`: weight of `market_fit` in layer `strategy` 40 → 30",
            "score `revenue_potential`: weight of `reach` in layer `strategy` 30 → 40",
        ]
    );
    // A weight inside a layer, in a `for` block.
    let inner = old.replacen(
        "      layer strategy  50 {",
        "      layer strategy  55 {",
        1,
    );
    let listed = changes(&old, &inner);
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert!(
        listed[0].starts_with("score `revenue_potential` for ")
            && listed[0].ends_with(": weight of layer `strategy` 50 → 55"),
        "{listed:#?}"
    );
}

#[test]
fn every_kind_of_rule_change_is_listed_with_a_readable_label() {
    let old = std::fs::read_to_string(ONBOARDING).unwrap();
    let out = scorecard(&["diff", ONBOARDING, ONBOARDING, "--data", DATA]);
    assert!(stdout(&out).contains("rules\n─────────────────────────\nnothing\n"));
    // Layout and comments are not rule changes.
    let relaid = old.replace("\n  ", "\n    ").replace("// ", "//  ");
    assert!(model_of(&relaid).is_some());
    assert_eq!(changes(&old, &relaid), Vec::<String>::new());
    let new_path = temp_dir("diff-layers").join("new.scorecard");
    let mut new = old.clone();
    let mut edit = |from: &str, to: &str| {
        assert!(new.contains(from), "{from:?} not in the scorecard");
        new = new.replacen(from, to, 1);
    };
    edit("layer strategy  40 {", "layer strategy  30 {");
    edit("layer results   30 {", "layer results   40 {");
    std::fs::write(&new_path, &new).unwrap();
    let out = scorecard(&[
        "diff",
        ONBOARDING,
        new_path.to_str().unwrap(),
        "--data",
        DATA,
        "--format",
        "markdown",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(!text.contains("rules\n\nnothing"), "{text}");
    insta::with_settings!({snapshot_path => "../snapshots/diff", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("layer_weights_markdown", text);
    });
}

mod every_change_that_moves_a_row_is_listed {
    use proptest::prelude::*;
    use scorecard::data::header::DataFormat;
    use scorecard::data::load::{self, OnInvalid};
    use scorecard::eval::{self, Context, PeriodChoice, Selection};
    use scorecard::model::Model;

    use super::{ONBOARDING, model_of};

    /// Every output row (CSV, all periods) and every scored value.
    fn results(model: &Model, data: &[u8]) -> Option<String> {
        let plan = scorecard::plan::compile(model);
        let loaded = load::load_bytes(
            data,
            DataFormat::Csv,
            model,
            &plan.needed_columns,
            OnInvalid::Fail,
        )
        .ok()?;
        let selection = Selection {
            period: PeriodChoice::All,
            partner: None,
        };
        let ordered = eval::order_rows(model, &loaded.table);
        let mut ctx = Context::new(model, &plan, &loaded.table, &ordered);
        let mut out = scorecard::render::csv::header(&plan);
        eval::evaluate(
            &mut ctx,
            |batch| scorecard::render::csv::rows(batch, &selection).0,
            |s| out.push_str(&s),
        );
        let scored = scorecard::diff::score_rows(model, &loaded.table, &selection);
        Some(out + &format!("{scored:?}"))
    }

    /// Byte ranges of what a mutation may change: numbers, comparison
    /// operators and `and`/`or`, outside strings and comments.
    fn sites(text: &str) -> Vec<(usize, usize)> {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let (mut i, mut in_string) = (0, false);
        let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        while i < bytes.len() {
            let b = bytes[i];
            if in_string {
                if b == b'\\' {
                    i += 1;
                } else if b == b'"' {
                    in_string = false;
                }
                i += 1;
                continue;
            }
            if b == b'"' {
                in_string = true;
                i += 1;
            } else if text[i..].starts_with("//") {
                i += text[i..].find('\n').unwrap_or(text.len() - i);
            } else if b.is_ascii_digit() && (i == 0 || !ident(bytes[i - 1])) {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                    i += 1;
                }
                if i < bytes.len() && ident(bytes[i]) {
                    continue;
                }
                out.push((start, i));
            } else if matches!(b, b'<' | b'>') {
                let end = if bytes.get(i + 1) == Some(&b'=') {
                    i + 2
                } else {
                    i + 1
                };
                out.push((i, end));
                i = end;
            } else if ident(b) {
                let start = i;
                while i < bytes.len() && ident(bytes[i]) {
                    i += 1;
                }
                if matches!(&text[start..i], "and" | "or") {
                    out.push((start, i));
                }
            } else {
                i += 1;
            }
        }
        out
    }

    fn mutate(token: &str, choice: u8) -> String {
        match token {
            ">=" => ">".into(),
            ">" => ">=".into(),
            "<=" => "<".into(),
            "<" => "<=".into(),
            "and" => "or".into(),
            "or" => "and".into(),
            n => {
                let x: f64 = n.parse().unwrap_or(0.0);
                let y = match choice % 5 {
                    0 => x + 1.0,
                    1 => (x - 1.0).max(0.0),
                    2 => x * 2.0,
                    3 => x / 2.0,
                    _ => x + 0.05,
                };
                format!("{y}")
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn a_change_that_changes_any_output_row_is_always_listed(
            pick in any::<prop::sample::Index>(),
            choice in any::<u8>(),
        ) {
            let text = std::fs::read_to_string(ONBOARDING).unwrap();
            let data = std::fs::read("scorecards/data/partners.csv").unwrap();
            let all = sites(&text);
            let (start, end) = all[pick.index(all.len())];
            let replacement = mutate(&text[start..end], choice);
            let mutated = format!("{}{replacement}{}", &text[..start], &text[end..]);
            let (Some(old), Some(new)) = (model_of(&text), model_of(&mutated)) else {
                // The mutation made the scorecard invalid: nothing to compare.
                return Ok(());
            };
            let listed = scorecard::diff::rule_changes(&old, &new);
            let Some(before) = results(&old, &data) else {
                return Err(TestCaseError::fail("the sample data no longer loads"));
            };
            // A contract the data fails: `diff` refuses to compare, nothing to list.
            let Some(after) = results(&new, &data) else {
                return Ok(());
            };
            if before != after {
                prop_assert!(
                    !listed.is_empty(),
                    "`{}` → `{replacement}` at byte {start} moved rows but no rule change is listed",
                    &text[start..end]
                );
            }
        }
    }
}

#[test]
fn the_tier_matrix_follows_the_declared_tier_order() {
    // The first partner in the file is in the last tier.
    let text = std::fs::read_to_string(DATA).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    let (first, rest): (Vec<&str>, Vec<&str>) =
        lines.into_iter().partition(|l| l.starts_with("P000003,"));
    let reordered = [vec![header], first, rest].concat().join("\n") + "\n";
    let data = temp_dir("diff-tier-order").join("partners.csv");
    std::fs::write(&data, reordered).unwrap();
    let out = scorecard(&[
        "diff",
        OLD,
        NEW,
        "--data",
        data.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let order = ["excellent", "good", "needs_improvement", "provisional"];
    assert_eq!(
        v["tier_matrices"][0]["old_labels"],
        serde_json::json!(order)
    );
    assert_eq!(
        v["tier_matrices"][0]["new_labels"],
        serde_json::json!(order)
    );
}
