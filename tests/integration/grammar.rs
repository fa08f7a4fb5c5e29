//! Grammar tables: texts the parser must accept and texts it must reject with
//! a syntax error that speaks in words, not rule names.

use scorecard::source::FileId;
use scorecard::syntax::parse;

fn parses(text: &str) -> bool {
    let (tree, diags) = parse(FileId(0), text);
    tree.is_some() && diags.is_empty()
}

const ACCEPT: &[(&str, &str)] = &[
    ("empty file", ""),
    ("comment only", "// nothing yet\n"),
    ("header", r#"scorecard "p" version "1.0""#),
    ("header without version", r#"scorecard "p""#),
    ("import", r#"import "shared/core.scorecard""#),
    (
        "input with key and period",
        "input { key partner_id period period }",
    ),
    (
        "typed columns",
        "input { a: number >= 0, b: integer in 1..5, c: bool, d: text, e: enum(x, y, \"z z\") }",
    ),
    ("optional column", "input { a: number in 0..5, optional }"),
    (
        "column named like a keyword",
        "input { period: text key: text value: number }",
    ),
    ("negative range", "input { nps: integer in -100..100 }"),
    (
        "metric with metadata on one line",
        r#"metric m "d" { owner "o" source "s" layer results kind lagging unit "%" value 1 }"#,
    ),
    (
        "number forms",
        "metric m { value 1_000_000 + 0.25 + 25% + 2.5e3 + 1E-2 }",
    ),
    (
        "missing clauses",
        "metric m { value x missing value 0 missing points 10 }",
    ),
    (
        "threshold bands",
        "metric m { value x points { >= 0.9 => 100 > 0.5 => 50 <= 0 => -10 else => 0 missing => 5 } }",
    ),
    (
        "interval bands",
        "metric m { value x points { [0, 10) => 1 [10, 20] => 2 (20, 30) => 3 (30, 40] => 4 } }",
    ),
    (
        "categorical bands",
        r#"metric m { value x points { "A11", "A12" => 30 reseller, msp => 20 1, 2 => 5 otherwise => 0 } }"#,
    ),
    (
        "scale",
        "metric m { value x points scale 180 => 0, 30 => 100 }",
    ),
    (
        "negative scale",
        "metric m { value x points scale -100 => 0, 100 => 100 }",
    ),
    (
        "percentile within",
        "metric m { value x points percentile within a, b }",
    ),
    ("plain percentile", "metric m { value x points percentile }"),
    (
        "minmax and zscore",
        "metric m { value x points minmax } metric n { value x points zscore within g }",
    ),
    (
        "points expression",
        "metric m { value x points = value * 2 }",
    ),
    (
        "segment rubric",
        "metric m { value x for type technology, msp { points scale 0 => 0, 5 => 100 missing points 0 } }",
    ),
    ("segment from column", "segment type from partner_type"),
    (
        "segment rules",
        "segment maturity \"d\" { new when periods_observed < 2 old otherwise }",
    ),
    ("weighted score", "score s { weights { a 25 b 75 } }"),
    (
        "layered score",
        "score s { weights { layer strategy 40 { a 50 b 50 } layer results 60 { c 100 } } }",
    ),
    ("sum score", "score s { base 600 sum { a b c } }"),
    ("value score", "score s { value 0.6 * a + 0.4 * b }"),
    (
        "score for block",
        "score s { weights { a 100 } for maturity new { weights { b 100 } } }",
    ),
    (
        "guardrails",
        "score s { value a smooth moving_average(3) max_change 15 per period floor 0 cap 100 min_periods 2 }",
    ),
    (
        "exponential smoothing",
        "score s { value a smooth exponential(0.5) max_change 10 }",
    ),
    (
        "adjustment",
        "score s { value a adjust \"APAC demand\" by 1.05 when region == APAC adjust by 0.9 when x }",
    ),
    (
        "insufficient count",
        "score s { value a insufficient data if more than 2 missing }",
    ),
    (
        "insufficient share",
        "score s { value a insufficient data if more than 30% missing }",
    ),
    (
        "tiers",
        "tiers s { top >= 80 { benefit \"funds\" obligation \"review\" } mid > 60 low otherwise }",
    ),
    (
        "flag",
        "flag f \"d\" { kind anomaly when pct_change(revenue) > 200% and deals_won == 0 }",
    ),
    (
        "rule",
        "rule r \"reason\" { when a >= 70 and b < 40 action \"x\" action \"y\" priority high }",
    ),
    (
        "numeric priority",
        "rule r { when a action \"x\" priority 5 }",
    ),
    (
        "output",
        "output { default decimals 2 partner_id \"Revenue pct\" = points(revenue) decimals 1 nps if missing \"n/a\" actions if empty \"none\" }",
    ),
    (
        "test with rows",
        "test \"t\" { given { a: 1, b: \"x\", c: true, d: missing, e: label } given { a: 2 } partner \"P1\" period \"2025Q4\" expect s >= 70 }",
    ),
    (
        "test expectations",
        "test \"t\" { given file \"data.csv\" expect tier(s) == top expect s == 82.5 within 0.5 expect s is provisional expect s is not missing expect actions contains \"x\" expect flags not contains f }",
    ),
    (
        "if chain",
        "metric m { value if a > 1 then 1 else if a > 0 then 0.5 else 0 }",
    ),
    (
        "nested if in condition",
        "metric m { value if (if a then b else c) then 1 else 2 }",
    ),
    (
        "in and not in",
        "flag f { when a in [x, y] and b not in [1, 2, 3,] }",
    ),
    (
        "is missing",
        "flag f { when a is missing or b is not missing }",
    ),
    ("not and negation", "flag f { when not a and - b < 3 }"),
    (
        "calls",
        "metric m { value clamp(max(a, b, c), 0, 100) + coalesce(d, 0) + round(e, 2) + moving_average(f, 3) }",
    ),
    (
        "string escapes",
        r#"rule r { when a action "say \"hi\" \\ done" }"#,
    ),
    (
        "comments everywhere",
        "metric m { // c\n value a // d\n + b // e\n }",
    ),
    (
        "non-ASCII in strings",
        "metric m \"Umsatz je Vertriebsmitarbeiter (€)\" { value a }",
    ),
];

const REJECT: &[(&str, &str, &str)] = &[
    (
        "unknown declaration",
        "metrik m { value 1 }",
        "expected a declaration",
    ),
    (
        "unclosed block",
        "metric m { value 1",
        "the block of `metric m` is never closed",
    ),
    (
        "misspelled clause",
        "metric m { valeu 1 }",
        "did you mean `value`?",
    ),
    (
        "missing expression",
        "metric m { value }",
        "expected an expression",
    ),
    ("single equals", "flag f { when a = 1 }", "found `=`"),
    ("dangling operator", "metric m { value 1 + }", "expected"),
    (
        "if without else",
        "metric m { value if a then 1 }",
        "`else`",
    ),
    (
        "reserved word as name",
        "metric and { value 1 }",
        "expected a name",
    ),
    (
        "number with two dots",
        "metric m { value 1.2.3 }",
        "found `.`",
    ),
    ("double underscore", "metric m { value 1__0 }", "found `_0`"),
    (
        "bad interval",
        "metric m { value x points { [0 10) => 1 } }",
        "expected",
    ),
    ("column without type", "input { a: }", "a column type"),
    ("bad type", "input { a: decimal }", "a column type"),
    (
        "band without points",
        "metric m { value x points { >= 1 => } }",
        "a number",
    ),
    ("header without name", "scorecard version \"1\"", "a string"),
    ("flag without braces", "flag f when a", "expected"),
    (
        "trailing garbage",
        "metric m { value 1 } }",
        "expected a declaration",
    ),
];

#[test]
fn accepts() {
    let failed: Vec<String> = ACCEPT
        .iter()
        .filter(|(_, text)| !parses(text))
        .map(|(name, text)| {
            let (_, diags) = parse(FileId(0), text);
            format!(
                "{name}: {text}\n  {:?}",
                diags.iter().map(|d| &d.message).collect::<Vec<_>>()
            )
        })
        .collect();
    assert!(failed.is_empty(), "rejected:\n{}", failed.join("\n"));
}

#[test]
fn rejects_with_words() {
    let mut failed = Vec::new();
    for (name, text, expected) in REJECT {
        let (tree, diags) = parse(FileId(0), text);
        let messages: Vec<String> = diags
            .iter()
            .map(|d| format!("{} | {}", d.message, d.help))
            .collect();
        let all = messages.join("\n");
        if tree.is_some() && diags.is_empty() {
            failed.push(format!("{name}: accepted `{text}`"));
        } else if !all.contains(expected) {
            failed.push(format!(
                "{name}: `{text}` said {all:?}, expected to mention {expected:?}"
            ));
        }
        // Rule names never leak into messages.
        if all.contains("_decl") || all.contains("_clause") || all.contains("kw_") {
            failed.push(format!("{name}: a rule name leaked: {all}"));
        }
        for d in &diags {
            assert!(!d.help.is_empty(), "{name}: no help line");
            assert!(d.span.end <= text.len(), "{name}: span outside the text");
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn every_grammar_rule_is_documented() {
    let grammar = std::fs::read_to_string("grammar/scorecard.pest").unwrap();
    let mut previous = "";
    let mut undocumented = Vec::new();
    for line in grammar.lines() {
        if let Some((name, _)) = line.split_once(" = ") {
            let name = name.trim();
            if !name.is_empty() && !name.starts_with("//") && !previous.starts_with("///") {
                undocumented.push(name.to_string());
            }
        }
        previous = line.trim_start();
    }
    assert!(
        undocumented.is_empty(),
        "rules without a /// doc: {undocumented:?}"
    );
}

#[test]
fn spans_ignore_layout_in_equality() {
    let a = parse(FileId(0), "metric m { value a + b * 2 }").0.unwrap();
    let b = parse(FileId(0), "metric   m {\n  value a +\n    b * 2\n}\n")
        .0
        .unwrap();
    assert_eq!(a, b);
    let c = parse(FileId(0), "metric m { value (a + b) * 2 }")
        .0
        .unwrap();
    assert_ne!(a, c);
}

#[test]
fn precedence_follows_the_table() {
    use scorecard::syntax::ast::{BinOp, Decl, ExprKind, MetricClause};
    let tree = parse(FileId(0), "metric m { value not a == 1 or b and c }")
        .0
        .unwrap();
    let Decl::Metric(m) = &tree.decls[0] else {
        panic!()
    };
    let MetricClause::Value(e, _) = &m.clauses[0] else {
        panic!()
    };
    // or( not(a == 1), and(b, c) )
    let ExprKind::Binary(BinOp::Or, left, right) = &e.kind else {
        panic!("{e:?}")
    };
    assert!(matches!(left.kind, ExprKind::Unary(..)), "{left:?}");
    assert!(
        matches!(right.kind, ExprKind::Binary(BinOp::And, ..)),
        "{right:?}"
    );
}

#[test]
fn percent_and_weights_round_once() {
    use scorecard::syntax::ast::scaled_decimal;
    assert_eq!(scaled_decimal("15%", 0), Some(0.15));
    assert_eq!(scaled_decimal("15", -2), Some(0.15));
    assert_eq!(scaled_decimal("33.3%", 0), Some(0.333));
    assert_eq!(scaled_decimal("1_000", 0), Some(1000.0));
    assert_eq!(scaled_decimal("2.5e3", 0), Some(2500.0));
    assert_eq!(scaled_decimal("-0.6", 0), Some(-0.6));
}

#[test]
fn every_broken_declaration_is_reported() {
    let text = "metric a { valeu 1 }\n\nmetric b { value 2 }\n\nscore s { weights { a: 3 } }\n\nflag f when x\n";
    let (tree, diags) = parse(FileId(0), text);
    assert!(tree.is_none());
    let lines: Vec<usize> = diags
        .iter()
        .map(|d| text[..d.span.start].lines().count())
        .collect();
    assert_eq!(
        lines,
        vec![1, 5, 7],
        "{:?}",
        diags.iter().map(|d| &d.message).collect::<Vec<_>>()
    );
}

/// The colourless report of a text that fails to parse, snapshotted under `snapshots/grammar`.
fn snapshot_unclosed(name: &str, text: &str) -> Vec<&'static str> {
    let (sources, checked) = crate::support::check_str(text);
    let report = crate::support::human(&sources, &checked);
    insta::with_settings!({
        snapshot_path => "../snapshots/grammar",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, report);
    });
    crate::support::codes(&checked)
}

const UNCLOSED_HEAD: &str =
    "scorecard \"t\" version \"1\"\ninput {\n  key partner_id\n  revenue: number >= 0\n}\n\n";

#[test]
fn a_metric_left_open_is_one_error_at_its_brace() {
    let codes = snapshot_unclosed(
        "unclosed_metric",
        &format!(
            "{UNCLOSED_HEAD}metric a {{\n  owner \"o\"\n  value revenue\n\nmetric b {{\n  owner \"o\"\n  value revenue\n}}\n\nscore s {{ weights {{ a 50  b 50 }} }}\n"
        ),
    );
    assert_eq!(codes, vec!["P007"]);
}

#[test]
fn a_band_table_left_open_is_one_error_at_its_brace() {
    let codes = snapshot_unclosed(
        "unclosed_band_table",
        &format!(
            "{UNCLOSED_HEAD}metric a {{\n  value revenue\n  points {{\n    [0, 10) => 1\n    [10, 20] => 2\n\n  missing points 0\n}}\n\nscore s {{ weights {{ a 100 }} }}\n"
        ),
    );
    assert_eq!(codes, vec!["P007"]);
}

#[test]
fn a_block_open_at_the_end_of_the_file_is_one_error_at_its_brace() {
    let codes = snapshot_unclosed(
        "unclosed_at_end_of_file",
        &format!(
            "{UNCLOSED_HEAD}metric a {{\n  value revenue\n}}\n\nscore s {{\n  weights {{ a 100 }}\n"
        ),
    );
    assert_eq!(codes, vec!["P007"]);
}

#[test]
fn an_unclosed_block_does_not_hide_an_error_elsewhere() {
    let text = format!(
        "{UNCLOSED_HEAD}metric a {{\n  value revenue\n\nmetric b {{\n  value revenue +\n}}\n\nscore s {{ weights {{ a 50  b 50 }} }}\n"
    );
    let (_, checked) = crate::support::check_str(&text);
    let found: Vec<(&str, usize)> = checked
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.span.start))
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0], ("P007", text.find("a {").unwrap() + 2));
    assert_eq!(found[1].0, "P001");
    // The second error is in `metric b`, at its own place in the original text.
    let b_end = text.find("+\n}").unwrap();
    assert!(found[1].1 > b_end && found[1].1 <= b_end + 3, "{found:?}");
}

#[test]
fn balanced_braces_keep_the_ordinary_syntax_error() {
    let (_, diags) = parse(FileId(0), "metric a {\n  value revenue +\n}\n");
    let codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, vec!["P001"]);
}
