//! Text to syntax tree: the pre-scan of limits, the pest grammar, lowering.

pub mod ast;
pub mod braces;
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
        Err(error) => return (None, syntax_errors(file, text, &error)),
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

/// The syntax errors of a text that failed to parse. A `{` that is never
/// closed is reported as such (`P007`), and the text is read again with a `}`
/// where the block probably ends, so the errors that remain are those of
/// other causes.
fn syntax_errors(file: FileId, text: &str, first: &pest::error::Error<Rule>) -> Vec<Diagnostic> {
    let blocks = braces::unclosed_blocks(text, opens_declaration);
    if blocks.is_empty() {
        return all_syntax_errors(file, text, first);
    }
    let mut found: Vec<Diagnostic> = blocks.iter().map(|b| unclosed(file, text, b)).collect();
    let (fixed, inserted) = braces::repaired(text, &blocks);
    if let Err(error) = ScorecardParser::parse(Rule::file, &fixed) {
        for mut d in all_syntax_errors(file, &fixed, &error) {
            let start = braces::original_offset(d.span.start, &inserted);
            let end = braces::original_offset(d.span.end, &inserted);
            if let (Some(start), Some(end)) = (start, end) {
                d.span = Span::new(start, end.max(start));
                found.push(d);
            }
        }
    }
    found
}

/// P007 for a block that is never closed.
fn unclosed(file: FileId, text: &str, block: &braces::Unclosed) -> Diagnostic {
    let line = text
        .get(..block.last_line.start)
        .map_or(1, |before| before.matches('\n').count() + 1);
    let message = if block.head.is_empty() {
        "this `{` is never closed".to_string()
    } else {
        format!("the block of `{}` is never closed", block.head)
    };
    let d = Diagnostic::new(
        Code::P007,
        file,
        Span::new(block.open, block.open + 1),
        message,
    )
    .label("this block is never closed")
    .help(format!("add `}}` on a line of its own after line {line}"));
    if block.last_line.start > block.open {
        d.note(block.last_line, "it probably ends after this line")
    } else {
        d
    }
}

/// Punctuation worth naming in a syntax error even where a rule was expected.
const STRUCTURAL: &[&str] = &["{", "}", "(", ")", "[", "]", "=>", ":", "=", ".."];

/// The most syntax errors reported for one file.
const MAX_SYNTAX_ERRORS: usize = 20;

/// Report the first syntax error, then keep looking: the declaration that
/// failed is blanked out (spaces keep every offset) and the text parsed again,
/// so each broken declaration is reported once. No tree is returned, so no
/// later stage reports a consequence of the broken text.
fn all_syntax_errors(
    file: FileId,
    text: &str,
    first: &pest::error::Error<Rule>,
) -> Vec<Diagnostic> {
    let mut found = vec![syntax_error(file, text, first, detailed_attempts(text))];
    let mut work = text.to_string();
    let mut error_at = found.first().map_or(0, |d| d.span.start);
    while found.len() < MAX_SYNTAX_ERRORS {
        let start = declaration_start(&work, error_at);
        let Some(end) = next_declaration(&work, error_at.max(start) + 1) else {
            break;
        };
        blank(&mut work, start, end);
        match ScorecardParser::parse(Rule::file, &work) {
            Ok(_) => break,
            Err(error) => {
                // Only the first error gets the slower, more precise detailed parse.
                let d = syntax_error(file, &work, &error, None);
                if d.span.start < end {
                    break; // no progress: stop rather than report the same place again
                }
                error_at = d.span.start;
                found.push(d);
            }
        }
    }
    found
}

/// Words that open a declaration when they start a line.
const OPENING_WORDS: &[&str] = &[
    "scorecard",
    "import",
    "input",
    "metric",
    "segment",
    "score",
    "tiers",
    "flag",
    "rule",
    "output",
    "test",
    "defaults",
];

fn opens_declaration(line: &str) -> bool {
    OPENING_WORDS.iter().any(|w| {
        line.strip_prefix(w).is_some_and(|rest| {
            rest.chars()
                .next()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
        })
    })
}

/// The start of the line, at or before `at`, that opens the declaration containing `at`.
fn declaration_start(text: &str, at: usize) -> usize {
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset > at {
            break;
        }
        if opens_declaration(line) {
            start = offset;
        }
        offset += line.len();
    }
    start
}

/// The start of the first line at or after `from` that opens a declaration.
fn next_declaration(text: &str, from: usize) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset >= from && opens_declaration(line) {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// Replace `start..end` with spaces, keeping line breaks and byte offsets.
fn blank(text: &mut String, start: usize, end: usize) {
    let blanked: String = text
        .get(start..end)
        .unwrap_or("")
        .chars()
        .map(|c| {
            if c == '\n' { '\n' } else { ' ' }
                .to_string()
                .repeat(c.len_utf8())
        })
        .collect();
    if text.is_char_boundary(start) && text.is_char_boundary(end) {
        text.replace_range(start..end, &blanked);
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
    Rule::snapshot_decl,
    Rule::defaults_decl,
];

/// The keywords that open each declaration.
const DECLARATION_KEYWORDS: &[Rule] = &[
    Rule::kw_import,
    Rule::kw_input,
    Rule::kw_metric,
    Rule::kw_segment,
    Rule::kw_score,
    Rule::kw_tiers,
    Rule::kw_flag,
    Rule::kw_rule,
    Rule::kw_output,
    Rule::kw_test,
    Rule::kw_snapshot,
    Rule::kw_defaults,
];

fn is_top_level(rule: Rule) -> bool {
    DECLARATIONS.contains(&rule)
        || DECLARATION_KEYWORDS.contains(&rule)
        || matches!(
            rule,
            Rule::file | Rule::header | Rule::kw_scorecard | Rule::EOI
        )
}

/// Where parsing got furthest, with the literal tokens and rules tried there.
///
/// Pest's ordinary error names only rules, at the start of the rule that
/// failed; a second parse with error detail (slower, so only after a failure)
/// also tracks literals such as `=>`, and so can point at the very token.
struct Attempts {
    position: usize,
    tokens: Vec<String>,
    rules: Vec<Rule>,
}

fn detailed_attempts(text: &str) -> Option<Attempts> {
    pest::set_error_detail(true);
    let result = ScorecardParser::parse(Rule::file, text);
    pest::set_error_detail(false);
    let attempts = result.err()?.parse_attempts()?;
    // pest does not export the token and attempt types; their printed forms are stable.
    let tokens = attempts
        .expected_tokens()
        .into_iter()
        .map(|t| t.to_string())
        .filter(|t| {
            !t.trim().is_empty()
                && t != "//"
                && t != "_"
                && t != "BUILTIN_RULE"
                && !t.contains("..")
        })
        .filter(|t| !(t.len() == 1 && t.chars().all(|c| c.is_ascii_alphabetic())))
        .collect();
    let rules = attempts
        .call_stacks()
        .into_iter()
        .filter_map(|stack| {
            let deepest = format!("{:?}", stack.deepest);
            let name = deepest
                .strip_prefix("Rule(")?
                .strip_suffix(')')?
                .to_string();
            Rule::all_rules()
                .iter()
                .copied()
                .find(|r| format!("{r:?}") == name)
        })
        .collect();
    Some(Attempts {
        position: attempts.max_position,
        tokens,
        rules,
    })
}

/// Turn pest's error into a diagnostic that speaks of what was expected in words.
fn syntax_error(
    file: FileId,
    text: &str,
    error: &pest::error::Error<Rule>,
    detail: Option<Attempts>,
) -> Diagnostic {
    let mut at = match error.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let mut positives: Vec<Rule> = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let mut literal_tokens: Vec<String> = Vec::new();
    if let Some(detail) = detail {
        // The detailed parse knows the literal tokens; where it got further,
        // its place and rules are the more precise ones too.
        if detail.position >= at && (!detail.tokens.is_empty() || !detail.rules.is_empty()) {
            let further = detail.position > at;
            if further {
                at = detail.position;
                positives = detail.rules;
            }
            // At the same place the rules already name the words; add the punctuation.
            literal_tokens = detail
                .tokens
                .iter()
                .filter(|t| further || STRUCTURAL.contains(&t.as_str()))
                // An expression may open with a bracket; "an expression" says it.
                .filter(|t| {
                    !(positives.contains(&Rule::expr) && (t.as_str() == "(" || t.as_str() == "["))
                })
                .map(|t| format!("`{t}`"))
                .collect();
        }
    }
    let found = token_at(text, at);
    let span = Span::new(at, at + found.len());
    let mut expected: Vec<&str> = Vec::new();
    let top_level = positives.contains(&Rule::file)
        || positives
            .iter()
            .filter(|r| DECLARATIONS.contains(r) || DECLARATION_KEYWORDS.contains(r))
            .count()
            >= 3;
    if top_level {
        expected.push(DECLARATION_PHRASE);
    }
    for token in &literal_tokens {
        expected.push(token.as_str());
    }
    for rule in &positives {
        if top_level && is_top_level(*rule) {
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
    // A look-alike letter from another alphabet: name the character itself.
    let foreign = text
        .get(at..)
        .and_then(|rest| rest.chars().next())
        .filter(|c| !c.is_ascii());
    let help = suggestion(found, &positives, top_level)
        .or_else(|| {
            foreign.map(|c| {
                format!(
                    "names and keywords use ASCII letters, digits and `_`; `{c}` is the character U+{:04X}; retype it",
                    c as u32
                )
            })
        })
        .unwrap_or_else(|| {
        if top_level {
            "a scorecard is a list of declarations such as `metric name { … }`; see docs/language.md".to_string()
        } else if found.is_empty() {
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
const DECLARATION_PHRASE: &str = "a declaration (`metric`, `score`, `segment`, `tiers`, `flag`, `rule`, `input`, `output`, `test`, `import`)";

fn suggestion(found: &str, positives: &[Rule], top_level: bool) -> Option<String> {
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
        if top_level || DECLARATIONS.contains(rule) {
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
    // A run of operator characters reads as one token: `->`, `=<`.
    let operator_len: usize = rest
        .char_indices()
        .take_while(|(i, c)| *i < 3 && "=<>!-+*/:%".contains(*c))
        .map(|(i, c)| i + c.len_utf8())
        .last()
        .unwrap_or(0);
    if operator_len > 0 {
        return rest.get(..operator_len).unwrap_or("");
    }
    match rest.chars().next() {
        Some(c) => rest.get(..c.len_utf8()).unwrap_or(""),
        None => "",
    }
}

/// The index just past the string literal whose opening `"` is at
/// `bytes[open]`: past its closing quote, a `\` escaping the byte after it;
/// the end of `bytes` when the literal is not closed.
pub(crate) fn skip_string(bytes: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    while let Some(&c) = bytes.get(i) {
        i += if c == b'\\' { 2 } else { 1 };
        if c == b'"' {
            break;
        }
    }
    i.min(bytes.len())
}

/// Words the expression language reserves: they cannot be names.
pub const RESERVED: &[&str] = &[
    "and",
    "or",
    "not",
    "if",
    "then",
    "else",
    "in",
    "is",
    "true",
    "false",
    "missing",
    "within",
    "otherwise",
];

/// Whether `s` can be written as a name: letters, digits and `_`, not
/// starting with a digit, and not a reserved word.
pub fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.contains(&s)
}
