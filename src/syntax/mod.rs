//! Text to syntax tree: the pre-scan of limits, the pest grammar, lowering.

pub mod ast;
pub mod grammar;
pub mod lower;
pub mod prescan;

use pest::Parser as _;

use crate::diag::{Code, Diagnostic};
use crate::source::FileId;
use ast::Span;
use grammar::{Rule, ScorecardParser, human_name};

/// Parse one file. Returns the tree when the text follows the grammar, and
/// every problem found (a syntax error stops at the first; out-of-range
/// numbers and over-long expressions are all reported).
pub fn parse(file: FileId, text: &str) -> (Option<ast::File>, Vec<Diagnostic>) {
    let limits = prescan::prescan(file, text);
    if !limits.is_empty() {
        return (None, limits);
    }
    let mut pairs = match ScorecardParser::parse(Rule::file, text) {
        Ok(pairs) => pairs,
        Err(error) => return (None, vec![syntax_error(file, text, &error)]),
    };
    let Some(root) = pairs.next() else {
        return (None, Vec::new());
    };
    let mut lowerer = lower::Lowerer::new(file);
    match lowerer.lower_file(root) {
        Ok(tree) => (Some(tree), lowerer.diagnostics),
        Err(bug) => {
            let mut found = lowerer.diagnostics;
            found.push(
                Diagnostic::new(
                    Code::P001,
                    file,
                    bug.span,
                    format!("internal parser error: {}", bug.what),
                )
                .label("while reading this")
                .help("this is a defect of scorecard itself; please report it with this file"),
            );
            (None, found)
        }
    }
}

/// The declarations every top-level position accepts, folded into one phrase.
const DECLARATIONS: &[Rule] = &[
    Rule::import_decl,
    Rule::input_decl,
    Rule::metric_decl,
    Rule::segment_decl,
    Rule::score_decl,
    Rule::tiers_decl,
    Rule::flag_decl,
    Rule::rule_decl,
    Rule::output_decl,
    Rule::test_decl,
];

/// Turn pest's error into a diagnostic that speaks of what was expected in words.
fn syntax_error(file: FileId, text: &str, error: &pest::error::Error<Rule>) -> Diagnostic {
    let at = match error.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let found = token_at(text, at);
    let span = Span::new(at, at + found.len());
    let positives: Vec<Rule> = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let mut expected: Vec<&str> = Vec::new();
    let declarations = positives
        .iter()
        .filter(|r| DECLARATIONS.contains(r))
        .count();
    if declarations >= 3 {
        expected.push("a declaration (`metric`, `score`, `segment`, `tiers`, `flag`, `rule`, `input`, `output`, `test`, `import`)");
    }
    for rule in &positives {
        if declarations >= 3 && DECLARATIONS.contains(rule) {
            continue;
        }
        let name = human_name(*rule);
        if !expected.contains(&name) {
            expected.push(name);
        }
    }
    let expected_text = join_or(&expected);
    let found_text = if found.is_empty() {
        "the end of the file".to_string()
    } else {
        format!("`{found}`")
    };
    let message = if expected.is_empty() {
        format!("unexpected {found_text}")
    } else {
        format!("expected {expected_text}, found {found_text}")
    };
    let help = suggestion(found, &positives).unwrap_or_else(|| {
        if found.is_empty() {
            "the file ended early; is a closing `}` or `)` missing?".to_string()
        } else if expected.is_empty() {
            "see docs/language.md for the form of each declaration".to_string()
        } else {
            format!(
                "write {} here",
                expected.first().copied().unwrap_or("something else")
            )
        }
    });
    Diagnostic::new(Code::P001, file, span, message)
        .label(format!("unexpected {found_text}"))
        .help(help)
}

/// A keyword the found word is probably a misspelling of.
fn suggestion(found: &str, positives: &[Rule]) -> Option<String> {
    if found.is_empty() || !found.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    if found == "=" || found == "==" {
        return None;
    }
    let mut keywords: Vec<String> = Vec::new();
    for rule in positives {
        let name = human_name(*rule);
        // names like "`value EXPR`" start with a keyword in backticks
        if let Some(rest) = name.strip_prefix('`') {
            let word: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !word.is_empty() {
                keywords.push(word);
            }
        }
        if *rule == Rule::meta_clause {
            keywords.extend(
                [
                    "owner",
                    "source",
                    "layer",
                    "kind",
                    "unit",
                    "rationale",
                    "description",
                ]
                .map(String::from),
            );
        }
        if DECLARATIONS.contains(rule) {
            keywords.extend(
                [
                    "metric", "score", "segment", "tiers", "flag", "rule", "input", "output",
                    "test", "import",
                ]
                .map(String::from),
            );
        }
    }
    crate::diag::fuzzy::closest(found, keywords.iter().map(String::as_str))
        .map(|k| format!("did you mean `{k}`?"))
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => {
            let shown: Vec<&str> = init.iter().take(6).copied().collect();
            let more = if init.len() > 6 { ", …" } else { "" };
            format!("{}{more} or {last}", shown.join(", "))
        }
    }
}

/// The word or character at a byte offset ("" at the end).
fn token_at(text: &str, at: usize) -> &str {
    let rest = text.get(at..).unwrap_or("");
    let word_len: usize = rest
        .char_indices()
        .take_while(|(i, c)| *i < 64 && (c.is_alphanumeric() || *c == '_'))
        .map(|(i, c)| i + c.len_utf8())
        .last()
        .unwrap_or(0);
    if word_len > 0 {
        return rest.get(..word_len).unwrap_or("");
    }
    match rest.chars().next() {
        Some(c) => rest.get(..c.len_utf8()).unwrap_or(""),
        None => "",
    }
}
