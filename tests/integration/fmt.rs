//! `scorecard fmt`: one canonical layout, idempotent, meaning-preserving, and no
//! comment lost — over every example, fixture, documented example and a
//! generator of random scorecards.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use scorecard::fmt::{comments, format, unified_diff};
use scorecard::source::FileId;
use scorecard::syntax::{ast, parse};

use crate::support::*;

// ─── helpers ─────────────────────────────────────────────────────────────────

/// The tree of a text that parses cleanly.
fn tree(text: &str) -> Option<ast::File> {
    match parse(FileId(0), text) {
        (Some(tree), found) if found.is_empty() => Some(tree),
        _ => None,
    }
}

fn fmt(text: &str) -> String {
    format(FileId(0), text).unwrap_or_else(|e| {
        panic!(
            "not formatted: {:?}\n{text}",
            e.iter().map(|d| &d.message).collect::<Vec<_>>()
        )
    })
}

fn comment_texts(text: &str) -> Vec<String> {
    comments(text).into_iter().map(|c| c.text).collect()
}

/// The properties every formatting must have.
fn assert_formats_well(name: &str, text: &str) -> String {
    let before = tree(text).unwrap_or_else(|| panic!("{name} does not parse"));
    let once = fmt(text);
    let after = tree(&once).unwrap_or_else(|| panic!("{name} formatted does not parse:\n{once}"));
    assert!(
        before == after,
        "{name}: formatting changed the meaning\n--- formatted ---\n{once}"
    );
    let twice = fmt(&once);
    assert!(
        once == twice,
        "{name}: formatting is not idempotent\n{}",
        unified_diff(name, &once, &twice)
    );
    assert_eq!(
        comment_texts(text),
        comment_texts(&once),
        "{name}: comments lost, added or reordered\n{once}"
    );
    for (i, line) in once.lines().enumerate() {
        assert_eq!(line, line.trim_end(), "{name}:{}: trailing spaces", i + 1);
    }
    once
}

fn scorecards_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            scorecards_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "scorecard") {
            out.push(path);
        }
    }
}

/// Every scorecard file of the repository: examples, benchmarks and fixtures.
fn corpus_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["scorecards", "bench", "tests/fixtures"] {
        scorecards_under(Path::new(dir), &mut out);
    }
    out
}

/// The examples that `scorecard fmt --check scorecards/ bench/` keeps canonical.
fn example_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["scorecards", "bench"] {
        scorecards_under(Path::new(dir), &mut out);
    }
    out
}

/// The ```scorecard blocks of the documentation, with where they come from.
fn documented_examples() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for doc in ["README.md", "docs/language.md", "docs/formatting.md"] {
        let text = std::fs::read_to_string(doc).unwrap();
        let mut block: Option<(usize, String)> = None;
        for (i, line) in text.lines().enumerate() {
            match &mut block {
                None if line.trim_start() == "```scorecard" => block = Some((i + 1, String::new())),
                Some((start, body)) if line.trim_start() == "```" => {
                    out.push((format!("{doc}:{start}"), std::mem::take(body)));
                    block = None;
                }
                Some((_, body)) => {
                    body.push_str(line);
                    body.push('\n');
                }
                None => {}
            }
        }
    }
    out
}

// ─── the corpus ──────────────────────────────────────────────────────────────

#[test]
fn every_example_and_fixture_formats_idempotently_keeping_meaning_and_comments() {
    let mut formatted = 0;
    let mut comment_count = 0;
    for path in corpus_files() {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if tree(&text).is_none() {
            continue; // a fixture with syntax errors: see below
        }
        let name = path.display().to_string();
        let once = assert_formats_well(&name, &text);
        assert_eq!(comments(&text).len(), comments(&once).len(), "{name}");
        comment_count += comments(&text).len();
        formatted += 1;
    }
    assert!(formatted >= 40, "only {formatted} files formatted");
    assert!(comment_count >= 200, "only {comment_count} comments seen");
}

#[test]
fn every_documented_example_formats_idempotently_keeping_meaning_and_comments() {
    let mut formatted = 0;
    for (name, text) in documented_examples() {
        if tree(&text).is_some() {
            assert_formats_well(&name, &text);
            formatted += 1;
        }
    }
    assert!(
        formatted >= 30,
        "only {formatted} documented examples formatted"
    );
}

#[test]
fn the_examples_are_formatted() {
    for path in example_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let once = fmt(&text);
        assert!(
            once == text,
            "{} is not formatted; run `scorecard fmt {}`:\n{}",
            path.display(),
            path.display(),
            unified_diff(&path.display().to_string(), &text, &once)
        );
    }
}

#[test]
fn the_examples_of_the_formatting_guide_are_formatted() {
    let guide: Vec<_> = documented_examples()
        .into_iter()
        .filter(|(name, _)| name.starts_with("docs/formatting.md"))
        .collect();
    assert!(guide.len() >= 10, "only {} examples", guide.len());
    for (name, text) in guide {
        assert!(tree(&text).is_some(), "{name} does not parse");
        let once = fmt(&text);
        assert!(
            once == text,
            "{name} is not formatted:\n{}",
            unified_diff(&name, &text, &once)
        );
    }
}

#[test]
fn files_with_syntax_errors_are_not_formatted() {
    for code in ["P001", "P002", "P003", "P004"] {
        let path = format!("tests/fixtures/check/{code}.scorecard");
        let text = std::fs::read_to_string(&path).unwrap();
        let found = format(FileId(0), &text).expect_err(&path);
        assert!(!found.is_empty(), "{path}: no diagnostic");
    }
}

/// `text` with a comment after every run of non-blank characters (strings and
/// comments kept whole).
fn comment_after_every_token(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    let mut n = 0;
    while let Some(c) = chars.next() {
        out.push(c);
        match c {
            '"' => {
                while let Some(s) = chars.next() {
                    out.push(s);
                    if s == '\\' {
                        out.extend(chars.next());
                    } else if s == '"' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                while let Some(s) = chars.next_if(|s| *s != '\n') {
                    out.push(s);
                }
                continue;
            }
            _ => {}
        }
        if chars.peek().is_none_or(|next| next.is_whitespace()) && !c.is_whitespace() {
            n += 1;
            out.push_str(&format!(" // c{n}\n"));
        }
    }
    out
}

#[test]
fn a_comment_after_every_token_is_kept() {
    let mut texts: Vec<(String, String)> = vec![("every construct".into(), EVERY_CONSTRUCT.into())];
    for path in example_files() {
        texts.push((
            path.display().to_string(),
            std::fs::read_to_string(&path).unwrap(),
        ));
    }
    for (name, text) in texts {
        let riddled = comment_after_every_token(&text);
        assert!(
            tree(&riddled) == tree(&text),
            "{name}: the test broke the text"
        );
        assert_formats_well(&name, &riddled);
    }
}

// ─── the layout, construct by construct ──────────────────────────────────────

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots/fmt", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!($name, $value);
        });
    };
}

/// Every construct of the language, laid out carelessly.
const EVERY_CONSTRUCT: &str = r#"scorecard "messy"   version "1"
import "shared.scorecard"
input { key partner_id, period quarter
  revenue : number >= 0 optional
  tier_code: enum(A, "b c", 3,) ,
  certified: bool
  staff: int in 0..10, <= 5
}


metric m1 "desc" { owner "a" source "b"
  layer execution kind leading
  value revenue / 2
  points { >= 0.9 => 100 otherwise => 0
    [1, 2) => 5    missing=>-1 }
  missing points 0
  for seg a, "b" { points scale 0 => 0, 1 => 100 missing value 3 }
}
metric m2 { value if revenue > 100 then 1 else if revenue > 50 then 2 else 3  points = value * 2 }
metric m3 {
  value (revenue + 1) * -2 + abs(revenue - 3) - max(1, 2,) + percentile(revenue within seg, seg2)
  points percentile within seg
}
metric m4 {}
segment seg "S" { a when revenue > 10
  bb otherwise }
segment seg2 from tier_code
score s1 "Score" {
  description "long"
  weights { m1 50 m2 25.5
    m3 24.5 }
  for seg a { weights { layer strategy 40 { m1 100 } layer results 60 { m2 50 m3 50 } } }
  adjust "x" by 1.1 when revenue > 5 and not certified
  adjust by 0.9 when tier_code in [A, "b c"] or tier_code not in [] or revenue is not missing
  smooth exponential(0.5) max_change 10 floor 0 cap 100 min_periods 2
  insufficient data if more than 50% missing
}
score s2 { sum { m1 m2
  m3 } base 600 max_change 5 per period smooth moving_average(3) }
score s3 { value s1 + s2 }
tiers s1 { top >= 80 { benefit "x" obligation "y" benefit "z" } mid > 50 low otherwise }
flag f1 "F" { kind anomaly when revenue > 1000 owner "me" }
rule r1 "R" { when f1 action "look \"here\"" priority high }
rule r2 { when revenue > 1 action "x" priority 3 }
output { default decimals 2 partner_id
  "Nice header" = s1 decimals 1 if missing "n/a" actions if empty "none"
  tier = tier(s1) s2 decimals 0
}
test "t1" { given { partner_id: "P1", quarter: "2025Q1", revenue: 10, tier_code: A, certified: false, staff: 1 }
  given { partner_id: "P1" quarter: "2025Q2"
   revenue: missing, tier_code: "b c", certified: true, staff: -1, extra_long_column_name: 1_000_000 }
  given file "data.csv" partner "P1" period "2025Q2"
  expect s1 == 10 within 0.5 expect tier(s1) is not provisional expect actions not contains "x"
  expect flags contains f1 expect s2 is insufficient expect m1 is missing expect s3 != 25% }
"#;

#[test]
fn every_construct_has_one_layout() {
    snapshot!(
        "every_construct",
        assert_formats_well("every construct", EVERY_CONSTRUCT)
    );
}

const COMMENTS: &str = r#"// A banner before the header.
//
// Second paragraph of the banner.
scorecard "comments" // after the header


// Section: the contract (two blank lines above become one).
input { // after the brace
  key partner_id // the key
  // before a column
  revenue: number >= 0, // after a comma
  // at the end of the block
}
metric m "with // a slash in its description" { // after the brace
  owner "x" // who
  source "y"
  value revenue /
    // inside an expression
    2 // after the value
  points {
    // before a band
    >= 1 => 100 // a band
    else => 0   // another
  } // after the table
  // before the closing brace
}
// Directly after a declaration, no blank line.
score s { weights { m 100 // all of it
} }
test "t" { given { partner_id: "P1", // first field
  revenue: 1 } expect m == 1 }
// The end of the file.
"#;

#[test]
fn comments_stay_where_they_are() {
    snapshot!("comments", assert_formats_well("comments", COMMENTS));
}

const LONG: &str = r#"rule wide "long conditions break at the loosest operator" {
  when revenue_potential_for_the_quarter >= 70 and engagement_over_the_last_year < 40 or region == EMEA and tier(overall) == gold and periods_observed > 4
  action "review"
}
metric sum_of_parts {
  value first_part_of_the_value + second_part_of_the_value - third_part_of_the_value + fourth_part_of_it * 2
}
metric graded {
  value if average_deal_size_in_the_quarter >= 100_000 then 100 else if average_deal_size_in_the_quarter >= 25_000 then 60 else 20
}
metric kept_in_parentheses {
  value (first_part_of_the_value + second_part_of_the_value - third_part_of_the_value + fourth_part_of_it)
}
output {
  a_column_with_a_long_formula = first_part_of_the_value + second_part_of_the_value + third_part_of_the_value decimals 2
}
"#;

#[test]
fn long_expressions_wrap_predictably() {
    let once = assert_formats_well("long", LONG);
    for line in once.lines().filter(|l| !l.contains('(')) {
        assert!(line.chars().count() <= 100, "too long: {line}");
    }
    snapshot!("long_expressions", once);
}

const FMT_OFF: &str = r#"scorecard "off"
metric   before {   value    1 }

// fmt: off
metric   kept {   value    1 }   // as written
metric   also_kept {
      value    2
}
// fmt: on
metric   after {   value    3 }
metric   alone {
  // fmt: off
  value    4
  points { >= 1   => 1 }
}
// fmt: off
metric   to_the_end { value 5 }
"#;

#[test]
fn fmt_off_keeps_declarations_as_written() {
    let once = assert_formats_well("fmt off", FMT_OFF);
    assert!(once.contains("metric   kept {   value    1 }   // as written\n"));
    assert!(once.contains("metric   also_kept {\n      value    2\n}\n"));
    assert!(once.contains("  value    4\n  points { >= 1   => 1 }\n"));
    assert!(once.contains("metric   to_the_end { value 5 }\n"));
    assert!(once.contains("metric before {\n  value 1\n}\n"));
    assert!(once.contains("metric after {\n  value 3\n}\n"));
    snapshot!("fmt_off", once);
}

#[test]
fn blank_lines_between_declarations_are_kept_collapsed_to_one() {
    let text = "import \"a.scorecard\"\nimport \"b.scorecard\"\n\n\n\nimport \"c.scorecard\"\n";
    assert_eq!(
        fmt(text),
        "import \"a.scorecard\"\nimport \"b.scorecard\"\n\nimport \"c.scorecard\"\n"
    );
    let inside = "rule r {\n\n  when x\n\n\n  action \"a\"\n  action \"b\"\n\n}\n";
    assert_eq!(
        fmt(inside),
        "rule r {\n  when x\n\n  action \"a\"\n  action \"b\"\n}\n"
    );
}

#[test]
fn the_header_is_followed_by_a_blank_line() {
    assert_eq!(
        fmt("scorecard \"a\" version \"1\" import \"b.scorecard\""),
        "scorecard \"a\" version \"1\"\n\nimport \"b.scorecard\"\n"
    );
}

#[test]
fn numbers_strings_and_keyword_spellings_are_kept_as_written() {
    let text = "input { key k  a: int  b: integer  c: bool }\n\
                metric m { value 1_000 + 2.5e3 + 25% + 0.50\n  points { otherwise => 0 } }\n\
                rule r { when m == \"tab\\there \\\"q\\\" \\\\\" action \"x\" }\n";
    let once = assert_formats_well("spellings", text);
    for kept in [
        "a: int",
        "b: integer",
        "1_000 + 2.5e3 + 25% + 0.50",
        "otherwise => 0",
    ] {
        assert!(once.contains(kept), "{kept} not kept:\n{once}");
    }
    assert!(once.contains(r#""tab\there \"q\" \\""#), "{once}");
}

#[test]
fn metadata_joins_on_one_line_when_it_fits() {
    let short = "metric m {\n  owner \"x\"\n  source \"y\"\n  layer results\n  value 1\n}\n";
    assert_eq!(
        fmt(short),
        "metric m {\n  owner \"x\"  source \"y\"  layer results\n  value 1\n}\n"
    );
    let long = format!(
        "metric m {{ owner \"x\" rationale \"{}\" value 1 }}\n",
        "words ".repeat(16).trim_end()
    );
    let once = fmt(&long);
    assert!(
        once.contains("  owner     \"x\"\n  rationale \"words"),
        "{once}"
    );
}

const ONE_LINE_LISTS: &str = r#"metric m {
  value revenue
  points { >= 100 => 100  >= 10 => 50  else => 0 }
  for seg a { points { >= 1 => 100  else => 0 }  missing points 0 }
}
metric n {
  value revenue
  points {
    >= 100 => 100
    else => 0
  }
}
score s {
  weights { m 60  n 40 }
  for seg a { weights { m 100 } }
  for seg b { weights { layer strategy 40 { m 100 }  layer results 60 { n 100 } } }
  for seg c { override    weights { n 0 } }
  for seg d {
    override weights {
      m 10
    }
  }
}
score t {
  weights {
    layer strategy 40 {
      m 100
    }
    layer results 60 { n 100 }
  }
}
segment size "By revenue" { small when revenue < 10_000  large otherwise }
tiers s { gold >= 80  silver >= 60  bronze otherwise }
tiers t {
  gold >= 80
  bronze otherwise
}
score u {
  weights { a_metric_with_a_long_name 20  another_metric_with_a_long_name 30  a_third_metric_with_a_long_name 50 }
}
"#;

#[test]
fn lists_written_on_one_line_stay_on_one_line_when_they_fit() {
    let once = assert_formats_well("one-line lists", ONE_LINE_LISTS);
    for kept in [
        "  points { >= 100 => 100  >= 10 => 50  else => 0 }\n",
        "  for seg a { points { >= 1 => 100  else => 0 }  missing points 0 }\n",
        "  weights { m 60  n 40 }\n",
        "  for seg a { weights { m 100 } }\n",
        "  for seg b { weights { layer strategy 40 { m 100 }  layer results 60 { n 100 } } }\n",
        "    layer results  60 { n 100 }\n",
        "  for seg c { override weights { n 0 } }\n",
        "segment size \"By revenue\" { small when revenue < 10_000  large otherwise }\n",
        "tiers s { gold >= 80  silver >= 60  bronze otherwise }\n",
        "  for seg d {\n    override weights {\n      m 10\n    }\n  }\n",
    ] {
        assert!(once.contains(kept), "not kept on one line: {kept}\n{once}");
    }
    // Written one item per line, or too long for one line: one item per line.
    assert!(
        once.contains("  points {\n    >= 100 => 100\n    else   => 0\n  }\n"),
        "{once}"
    );
    assert!(
        once.contains("    layer strategy 40 {\n      m 100\n    }\n"),
        "{once}"
    );
    assert!(
        once.contains("  weights {\n    a_metric_with_a_long_name       20\n"),
        "{once}"
    );
    assert!(
        once.contains("tiers t {\n  gold   >= 80\n  bronze otherwise\n}\n"),
        "{once}"
    );
    for line in once.lines() {
        assert!(line.chars().count() <= 100, "too long: {line}");
    }
    snapshot!("one_line_lists", once);
}

const LONG_BANDS: &str = r#"metric purpose_points "Points for the purpose of the credit" {
  value purpose
  points {
    "radio/television", "furniture/equipment", business, education, repairs, "domestic appliances", retraining, vacation => 35
    car, "car (used)" => 20
    // the rest
    else => 0
  }
}
"#;

#[test]
fn a_long_categorical_band_wraps_within_100_columns() {
    let once = assert_formats_well("long bands", LONG_BANDS);
    for line in once.lines() {
        assert!(line.chars().count() <= 100, "too long: {line}");
    }
    // The short bands are aligned among themselves, not with the long one.
    assert!(
        once.contains(
            "    car, \"car (used)\" => 20\n    // the rest\n    else              => 0\n"
        ),
        "{once}"
    );
    snapshot!("long_categorical_band", once);
}

#[test]
fn defaults_are_laid_out_like_a_metric_and_a_given_row() {
    let text = "defaults { owner \"revops\" source \"CRM\"\n missing value 0 given { a: 1, b: \"x\" } }\ntest \"t\" { defaults { k: \"P1\" } given { a: 2 } expect m == 1 }\n";
    assert_eq!(
        assert_formats_well("defaults", text),
        "defaults {\n  owner \"revops\"  source \"CRM\"\n  missing value 0\n  given { a: 1, b: \"x\" }\n}\ntest \"t\" {\n  defaults { k: \"P1\" }\n  given { a: 2 }\n  expect m == 1\n}\n"
    );
}

#[test]
fn an_empty_file_stays_empty() {
    assert_eq!(fmt(""), "");
    assert_eq!(fmt("\n\n  \n"), "");
    assert_eq!(fmt("// only a comment"), "// only a comment\n");
}

#[test]
fn a_slash_pair_in_a_string_is_not_a_comment() {
    let text = "rule r \"see http://example.com\" { action \"a // b\" } // real\n";
    assert_eq!(comment_texts(text), vec!["// real".to_string()]);
    assert_formats_well("slashes", text);
}

// ─── the diff ────────────────────────────────────────────────────────────────

#[test]
fn the_diff_is_unified_with_three_lines_of_context() {
    let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
    let new = "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\nk\n";
    assert_eq!(
        unified_diff("x.scorecard", old, new),
        "--- x.scorecard\t(original)\n+++ x.scorecard\t(formatted)\n\
         @@ -2,9 +2,10 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n i\n j\n+k\n"
    );
    assert_eq!(unified_diff("x", old, old), "");
    assert_eq!(
        unified_diff("x", "a", "a\n"),
        "--- x\t(original)\n+++ x\t(formatted)\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n"
    );
    assert_eq!(
        unified_diff("x", "", "a\n"),
        "--- x\t(original)\n+++ x\t(formatted)\n@@ -0,0 +1 @@\n+a\n"
    );
}

#[test]
fn distant_changes_get_hunks_of_their_own() {
    let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
    let new = old
        .replace("\n2\n", "\ntwo\n")
        .replace("\n19\n", "\nnineteen\n");
    let diff = unified_diff("x", &old, &new);
    assert_eq!(diff.matches("@@ -").count(), 2, "{diff}");
    assert!(
        diff.contains("@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n"),
        "{diff}"
    );
    assert!(diff.contains("@@ -16,5 +16,5 @@\n"), "{diff}");
}

// ─── the command line ────────────────────────────────────────────────────────

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fmt-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const UGLY: &str = "metric m { value 1 }  // note\n";
const PRETTY: &str = "metric m {\n  value 1\n}  // note\n";

#[test]
fn check_prints_a_diff_changes_nothing_and_exits_one() {
    let dir = scratch("check");
    let file = dir.join("a.scorecard");
    std::fs::write(&file, UGLY).unwrap();
    std::fs::write(dir.join("b.scorecard"), PRETTY).unwrap();
    let out = scorecard(&["fmt", "--check", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let name = file.display().to_string();
    assert_eq!(
        stdout(&out),
        format!(
            "--- {name}\t(original)\n+++ {name}\t(formatted)\n@@ -1 +1,3 @@\n\
             -metric m {{ value 1 }}  // note\n+metric m {{\n+  value 1\n+}}  // note\n"
        )
    );
    assert!(stderr(&out).contains("2 files: 1 would be reformatted, 1 already formatted"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), UGLY);
}

#[test]
fn fmt_rewrites_files_in_place_and_then_has_nothing_to_do() {
    let dir = scratch("write");
    let file = dir.join("a.scorecard");
    std::fs::write(&file, UGLY).unwrap();
    let out = scorecard(&["fmt", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), PRETTY);
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "temporary file left behind");
    let again = scorecard(&["fmt", "--check", file.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    assert_eq!(stdout(&again), "");
}

#[test]
fn a_file_with_syntax_errors_is_reported_and_left_untouched() {
    let dir = scratch("invalid");
    let broken = dir.join("broken.scorecard");
    let text = "metric m { value 1 +  }\n";
    std::fs::write(&broken, text).unwrap();
    let fine = dir.join("fine.scorecard");
    std::fs::write(&fine, UGLY).unwrap();
    let out = scorecard(&["fmt", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("P001"), "{}", stderr(&out));
    assert!(stderr(&out).contains("has syntax errors; not formatted"));
    assert_eq!(std::fs::read_to_string(&broken).unwrap(), text);
    assert_eq!(std::fs::read_to_string(&fine).unwrap(), PRETTY);
}

fn with_stdin(args: &[&str], input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_scorecard"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn standard_input_is_formatted_to_standard_output() {
    let out = with_stdin(&["fmt", "-"], UGLY);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), PRETTY);
    let check = with_stdin(&["fmt", "--check", "-"], UGLY);
    assert_eq!(check.status.code(), Some(1));
    assert!(stdout(&check).starts_with("--- <stdin>\t(original)\n"));
    let clean = with_stdin(&["fmt", "--check", "-"], PRETTY);
    assert_eq!(clean.status.code(), Some(0));
    assert_eq!(stdout(&clean), "");
    let broken = with_stdin(&["fmt", "-"], "metric {");
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(stdout(&broken), "");
}

#[test]
fn a_file_that_is_not_utf8_is_left_untouched() {
    let dir = scratch("latin1");
    let file = dir.join("latin1.scorecard");
    let bytes = std::fs::read("tests/fixtures/check/P005.scorecard").unwrap();
    std::fs::write(&file, &bytes).unwrap();
    let out = scorecard(&["fmt", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("is not valid UTF-8"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&file).unwrap(), bytes);
}

#[test]
fn usage_and_io_errors_exit_two() {
    assert_eq!(scorecard(&["fmt"]).status.code(), Some(2));
    assert_eq!(
        scorecard(&["fmt", "no/such/file.scorecard"]).status.code(),
        Some(2)
    );
    assert_eq!(
        scorecard(&["fmt", "-", "scorecards/"]).status.code(),
        Some(2)
    );
}

#[test]
fn the_examples_pass_fmt_check() {
    let out = scorecard(&["fmt", "--check", "scorecards/", "bench/"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stdout(&out), "");
}

// ─── random scorecards ───────────────────────────────────────────────────────

mod generated {
    use proptest::prelude::*;
    use proptest::sample::select;

    use super::assert_formats_well;

    fn name() -> impl Strategy<Value = String> {
        select(vec![
            "revenue",
            "cost",
            "win_rate",
            "a_b",
            "x1",
            "seg",
            "tier_2",
            "a_rather_long_column_name_to_make_lines_wrap",
        ])
        .prop_map(str::to_string)
    }

    fn number() -> impl Strategy<Value = String> {
        select(vec!["1", "0.5", "1_000", "25%", "2.5e3", "100", "0"]).prop_map(str::to_string)
    }

    fn signed() -> impl Strategy<Value = String> {
        (any::<bool>(), number()).prop_map(|(neg, n)| if neg { format!("-{n}") } else { n })
    }

    fn text() -> impl Strategy<Value = String> {
        select(vec![
            "\"plain\"",
            "\"with // slashes\"",
            "\"quote \\\" inside\"",
            "\"tab\\t\"",
        ])
        .prop_map(str::to_string)
    }

    /// Space between tokens: spaces, line breaks, blank lines and comments.
    fn sep() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => Just(" ".to_string()),
            2 => Just("\n  ".to_string()),
            1 => Just("\n\n".to_string()),
            1 => Just("\n\n\n  ".to_string()),
            1 => Just(" // a note\n".to_string()),
            1 => Just("\n// own line \"quoted\"\n\n".to_string()),
            1 => Just("   //trailing, tight\n  ".to_string()),
        ]
    }

    /// Space inside an expression: mostly one space.
    fn inner_sep() -> impl Strategy<Value = String> {
        prop_oneof![
            12 => Just(" ".to_string()),
            1 => Just("\n      ".to_string()),
            1 => Just(" // inside\n".to_string()),
        ]
    }

    fn expr() -> BoxedStrategy<String> {
        let leaf = prop_oneof![
            4 => name(),
            3 => number(),
            1 => text(),
            1 => select(vec!["true", "false", "missing"]).prop_map(str::to_string),
        ];
        leaf.prop_recursive(4, 40, 3, |inner| {
            prop_oneof![
                6 => (
                    inner.clone(),
                    select(vec![
                        "or", "and", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/"
                    ]),
                    inner.clone(),
                    inner_sep(),
                    inner_sep(),
                )
                    .prop_map(|(a, op, b, s1, s2)| format!("{a}{s1}{op}{s2}{b}")),
                1 => inner.clone().prop_map(|e| format!("not {e}")),
                1 => inner.clone().prop_map(|e| format!("-{e}")),
                2 => inner.clone().prop_map(|e| format!("({e})")),
                1 => (inner.clone(), inner.clone(), inner.clone(), proptest::option::of((inner.clone(), inner.clone())))
                    .prop_map(|(c, a, b, more)| match more {
                        Some((d, e)) => format!("if {c} then {a} else if {d} then {e} else {b}"),
                        None => format!("if {c} then {a} else {b}"),
                    }),
                1 => (select(vec!["max", "min", "abs", "coalesce"]), proptest::collection::vec(inner.clone(), 1..3), any::<bool>())
                    .prop_map(|(f, args, trailing)| format!("{f}({}{})", args.join(", "), if trailing { "," } else { "" })),
                1 => (inner.clone(), name()).prop_map(|(x, g)| format!("percentile({x} within {g})")),
                1 => (inner.clone(), any::<bool>(), proptest::collection::vec(inner.clone(), 0..3))
                    .prop_map(|(x, not, set)| format!("{x} {}in [{}]", if not { "not " } else { "" }, set.join(", "))),
                1 => (inner.clone(), any::<bool>())
                    .prop_map(|(x, not)| format!("{x} is {}missing", if not { "not " } else { "" })),
            ]
        })
        .boxed()
    }

    fn meta() -> impl Strategy<Value = String> {
        prop_oneof![
            (
                select(vec!["owner", "source", "rationale", "unit", "description"]),
                text()
            )
                .prop_map(|(k, v)| format!("{k} {v}")),
            Just("layer execution".to_string()),
            Just("kind leading".to_string()),
        ]
    }

    fn band() -> impl Strategy<Value = String> {
        let condition = prop_oneof![
            (select(vec![">=", ">", "<=", "<", "=="]), signed())
                .prop_map(|(op, n)| format!("{op} {n}")),
            (
                select(vec!["[", "("]),
                signed(),
                signed(),
                select(vec!["]", ")"])
            )
                .prop_map(|(o, a, b, c)| format!("{o}{a}, {b}{c}")),
            Just("else".to_string()),
            Just("otherwise".to_string()),
            Just("missing".to_string()),
            Just("reseller, \"A 1\", msp".to_string()),
        ];
        (condition, signed()).prop_map(|(c, p)| format!("{c} => {p}"))
    }

    fn joined(items: Vec<(String, String)>) -> String {
        items
            .into_iter()
            .map(|(item, s)| format!("{s}{item}"))
            .collect()
    }

    fn metric_clause() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => meta(),
            2 => expr().prop_map(|e| format!("value {e}")),
            1 => (select(vec!["value", "points"]), signed()).prop_map(|(t, n)| format!("missing {t} {n}")),
            1 => proptest::collection::vec((band(), sep()), 0..5).prop_map(|b| format!("points {{{} }}", joined(b))),
            1 => (signed(), signed()).prop_map(|(a, b)| format!("points scale {a} => 0, {b} => 100")),
            1 => Just("points percentile within seg, tier_2".to_string()),
            1 => expr().prop_map(|e| format!("points = {e}")),
            1 => (signed(), signed()).prop_map(|(a, b)| format!("for seg a, \"b c\" {{ points scale {a} => 0, {b} => 100 missing points 0 }}")),
        ]
    }

    fn weights() -> impl Strategy<Value = String> {
        let weight = (name(), number())
            .prop_map(|(m, w)| format!("{m} {w}"))
            .boxed();
        let group = (
            select(vec!["strategy", "results"]),
            number(),
            proptest::collection::vec((weight.clone(), sep()), 0..3),
        )
            .prop_map(|(l, w, ws)| format!("layer {l} {w} {{{}}}", joined(ws)));
        let item = prop_oneof![3 => weight, 1 => group];
        proptest::collection::vec((item, sep()), 0..5)
            .prop_map(|items| format!("weights {{{} }}", joined(items)))
    }

    fn score_clause() -> impl Strategy<Value = String> {
        prop_oneof![
            1 => meta(),
            3 => weights(),
            1 => proptest::collection::vec((name(), sep()), 0..4).prop_map(|ns| format!("sum {{{} }}", joined(ns))),
            1 => signed().prop_map(|n| format!("base {n}")),
            2 => expr().prop_map(|e| format!("value {e}")),
            1 => (weights(), name()).prop_map(|(w, l)| format!("for seg {l} {{ {w} }}")),
            1 => (weights(), name()).prop_map(|(w, l)| format!("for seg {l} {{ override\n{w} }}")),
            1 => (proptest::option::of(text()), signed(), expr()).prop_map(|(r, f, e)| match r {
                Some(r) => format!("adjust {r} by {f} when {e}"),
                None => format!("adjust by {f} when {e}"),
            }),
            1 => select(vec![
                "smooth moving_average(3)", "smooth exponential(0.5)", "max_change 15 per period",
                "max_change 15", "floor 0", "cap 100", "min_periods 2",
                "insufficient data if more than 2 missing", "insufficient data if more than 50% missing",
            ]).prop_map(str::to_string),
        ]
    }

    fn block(keyword: String, clauses: Vec<(String, String)>) -> String {
        format!("{keyword} {{{} }}", joined(clauses))
    }

    fn decl() -> impl Strategy<Value = String> {
        prop_oneof![
            1 => text().prop_map(|t| format!("import {t}")),
            1 => proptest::collection::vec((prop_oneof![
                    Just("key partner_id".to_string()),
                    Just("period quarter,".to_string()),
                    (name(), select(vec!["number", "integer", "int", "bool", "text", "enum(a, \"B\", 3,)"]),
                        select(vec!["", " >= 0", " in -1..1", " optional", " >= 0, optional", " <= 5 > 1"]))
                        .prop_map(|(n, t, o)| format!("{n}: {t}{o}")),
                ], sep()), 0..5)
                .prop_map(|entries| block("input".to_string(), entries)),
            4 => (name(), proptest::option::of(text()), proptest::collection::vec((metric_clause(), sep()), 0..6))
                .prop_map(|(n, d, c)| block(format!("metric {n} {}", d.unwrap_or_default()), c)),
            1 => name().prop_map(|n| format!("segment {n} from partner_type")),
            1 => (name(), proptest::collection::vec((name(), proptest::option::of(expr()), sep()), 0..4))
                .prop_map(|(n, rules)| {
                    let rules = rules.into_iter().map(|(l, c, s)| (match c {
                        Some(c) => format!("{l} when {c}"),
                        None => format!("{l} otherwise"),
                    }, s)).collect();
                    block(format!("segment {n}"), rules)
                }),
            3 => (name(), proptest::option::of(text()), proptest::collection::vec((score_clause(), sep()), 0..6))
                .prop_map(|(n, d, c)| block(format!("score {n} {}", d.unwrap_or_default()), c)),
            1 => (name(), proptest::collection::vec((name(), prop_oneof![
                    signed().prop_map(|n| format!(">= {n}")),
                    Just("otherwise".to_string()),
                    (signed(), text()).prop_map(|(n, t)| format!("> {n} {{ benefit {t} obligation \"o\" benefit \"b\" }}")),
                ], sep()), 0..4))
                .prop_map(|(n, tiers)| block(format!("tiers {n}"), tiers.into_iter().map(|(l, t, s)| (format!("{l} {t}"), s)).collect())),
            1 => (name(), proptest::collection::vec((prop_oneof![meta(), expr().prop_map(|e| format!("when {e}"))], sep()), 0..4))
                .prop_map(|(n, c)| block(format!("flag {n} \"f\""), c)),
            2 => (name(), proptest::collection::vec((prop_oneof![
                    expr().prop_map(|e| format!("when {e}")),
                    text().prop_map(|t| format!("action {t}")),
                    select(vec!["priority high", "priority 3"]).prop_map(str::to_string),
                ], sep()), 0..4))
                .prop_map(|(n, c)| block(format!("rule {n}"), c)),
            1 => proptest::collection::vec((prop_oneof![
                    Just("default decimals 2".to_string()),
                    name(),
                    (name(), expr()).prop_map(|(n, e)| format!("{n} = {e}")),
                    (text(), expr()).prop_map(|(n, e)| format!("{n} = {e} decimals 1 if missing \"n/a\"")),
                    name().prop_map(|n| format!("{n} if empty \"none\" decimals 0")),
                ], sep()), 0..5)
                .prop_map(|c| block("output".to_string(), c)),
            1 => (text(), proptest::collection::vec((prop_oneof![
                    proptest::collection::vec((name(), prop_oneof![signed(), text(), name(), Just("true".to_string()), Just("missing".to_string())], sep()), 0..12)
                        .prop_map(|fields| format!("given {{{} }}", fields.into_iter().map(|(n, v, s)| format!("{s}{n}: {v},")).collect::<String>())),
                    Just("given file \"data.csv\"".to_string()),
                    proptest::collection::vec((name(), signed(), sep()), 0..4)
                        .prop_map(|fields| format!("defaults {{{} }}", fields.into_iter().map(|(n, v, s)| format!("{s}{n}: {v}")).collect::<String>())),
                    Just("partner \"P1\"".to_string()),
                    Just("period \"2025Q1\"".to_string()),
                    (name(), select(vec!["==", ">="]), signed()).prop_map(|(n, op, v)| format!("expect {n} {op} {v} within 0.5")),
                    name().prop_map(|n| format!("expect tier({n}) is not provisional")),
                    text().prop_map(|t| format!("expect actions not contains {t}")),
                    name().prop_map(|n| format!("expect flags contains {n}")),
                ], sep()), 0..5))
                .prop_map(|(t, c)| block(format!("test {t}"), c)),
            1 => proptest::collection::vec((prop_oneof![
                    meta(),
                    select(vec!["missing value 0", "missing points -1.5"]).prop_map(str::to_string),
                    proptest::collection::vec((name(), signed(), sep()), 0..4)
                        .prop_map(|fields| format!("given {{{} }}", fields.into_iter().map(|(n, v, s)| format!("{s}{n}: {v},")).collect::<String>())),
                ], sep()), 0..5)
                .prop_map(|c| block("defaults".to_string(), c)),
        ]
    }

    fn scorecard() -> impl Strategy<Value = String> {
        (
            proptest::option::of(Just("scorecard \"generated\" version \"1\"".to_string())),
            proptest::collection::vec((decl(), sep()), 0..6),
            prop_oneof![
                4 => Just(String::new()),
                1 => Just("\n// fmt: off\nmetric   raw {   value  1 }\n// fmt: on\n".to_string()),
                1 => Just("\n// the end\n".to_string()),
            ],
        )
            .prop_map(|(header, decls, tail)| {
                format!("{}{}{tail}", header.unwrap_or_default(), joined(decls))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

        #[test]
        fn random_scorecards_format_idempotently_keeping_meaning_and_comments(text in scorecard()) {
            assert_formats_well("generated", &text);
        }
    }
}
