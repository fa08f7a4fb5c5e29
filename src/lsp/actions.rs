//! Code actions for the findings with a mechanical fix: the name a "did you
//! mean" suggests, an interval end closed over a one-value gap, and an
//! `else` band for a table with gaps.

use std::collections::HashMap;

use lsp_types::{CodeAction, CodeActionKind, TextEdit, WorkspaceEdit};

use super::analysis::Analysis;
use super::index::Role;
use super::text::Encoding;
use crate::diag::{Code, Diagnostic};
use crate::syntax::ast::Span;

pub fn actions(analysis: &Analysis, range: Span, encoding: Encoding) -> Vec<CodeAction> {
    let root = analysis.root();
    let text = analysis.text(root);
    let mut out = Vec::new();
    for d in analysis
        .checked
        .diagnostics
        .iter()
        .filter(|d| d.file == root && d.span.start <= range.end && range.start <= d.span.end)
    {
        if let Some(name) = suggestion(d) {
            out.push(fix(
                analysis,
                format!("Replace with `{name}`"),
                d.span,
                name,
                true,
                encoding,
            ));
        }
        if d.code == Code::L003 {
            out.extend(gap_fixes(analysis, d, text, encoding));
        }
        if let Some((line, span)) = catch_all(analysis, d) {
            // The declaration's own `}` is the last one of its span.
            let decl = text.get(span.range()).unwrap_or("");
            if let Some(close) = decl.rfind('}').map(|i| span.start + i) {
                let indent = format!("{}  ", indent_of(text, close));
                let (at, insert) = line_before(text, close, &indent, &line);
                out.push(fix(
                    analysis,
                    format!("Add `{line}`"),
                    at,
                    insert,
                    true,
                    encoding,
                ));
            }
        }
    }
    out
}

/// The name a "did you mean" help line suggests, if any.
pub fn suggestion(d: &Diagnostic) -> Option<String> {
    let rest = d.help.strip_prefix("did you mean ")?;
    let start = rest.find('`')? + 1;
    let end = start + rest.get(start..)?.find('`')?;
    rest.get(start..end)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}

fn fix(
    analysis: &Analysis,
    title: String,
    span: Span,
    new_text: String,
    preferred: bool,
    encoding: Encoding,
) -> CodeAction {
    let root = analysis.root();
    let lines = analysis.lines(root, encoding);
    // `WorkspaceEdit` keys its changes by `Uri`, which clippy counts as mutable.
    #[allow(clippy::mutable_key_type)]
    let mut changes = HashMap::new();
    if let Ok(uri) = analysis.uri(root).parse() {
        changes.insert(uri, vec![TextEdit::new(lines.range(span), new_text)]);
    }
    CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        edit: Some(WorkspaceEdit::new(changes)),
        is_preferred: Some(preferred),
        ..CodeAction::default()
    }
}

/// A gap between two intervals: when it is the one value where an open end
/// meets an open start, close that start; and in any case, an `else` band.
fn gap_fixes(
    analysis: &Analysis,
    d: &Diagnostic,
    text: &str,
    encoding: Encoding,
) -> Vec<CodeAction> {
    let mut out = Vec::new();
    let band = text.get(d.span.range()).unwrap_or("");
    if d.message.starts_with("the value ") && band.starts_with('(') {
        out.push(fix(
            analysis,
            "Include the value in this interval (`(` → `[`)".to_string(),
            Span::new(d.span.start, d.span.start + 1),
            "[".to_string(),
            true,
            encoding,
        ));
    }
    // The table's `}` closes the bands: the first one after this band.
    let after = text.get(d.span.end..).unwrap_or("");
    if let Some(close) = after.find('}').map(|i| d.span.end + i) {
        let (at, insert) = line_before(text, close, &indent_of(text, d.span.start), "else => 0");
        out.push(fix(
            analysis,
            "Add an `else => 0` band for the values no interval covers".to_string(),
            at,
            insert,
            false,
            encoding,
        ));
    }
    out
}

/// The catch-all line a segment without `otherwise` (`L011`) or tiers
/// that leave the lowest scores out (`L008`) lack, with a label not taken,
/// and the span of the declaration it goes in.
fn catch_all(analysis: &Analysis, d: &Diagnostic) -> Option<(String, Span)> {
    let model = analysis.checked.model.as_ref()?;
    let (taken, words, decl): (Vec<String>, [&str; 2], Span) = match d.code {
        Code::L011 => {
            // The finding points at the segment's name.
            let segment = model
                .segments
                .iter()
                .find(|s| s.loc.file == d.file && s.loc.span.range() == d.span.range())?;
            let decl = analysis
                .index
                .occurrences
                .iter()
                .find_map(|o| match o.role {
                    Role::Declaration { decl, .. }
                        if o.file == d.file && o.span.range() == d.span.range() =>
                    {
                        Some(decl)
                    }
                    _ => None,
                })?;
            (
                model.enum_type(segment.labels)?.labels.clone(),
                ["other", "other_partners"],
                decl,
            )
        }
        Code::L008 => {
            // The finding spans the tiers block.
            let tiers = model
                .scores
                .iter()
                .filter_map(|s| s.tiers.as_ref())
                .find(|t| t.loc.file == d.file && t.loc.span.range() == d.span.range())?;
            let labels = tiers.tiers.iter().map(|t| t.label.clone()).collect();
            (labels, ["needs_improvement", "below_all_tiers"], d.span)
        }
        _ => return None,
    };
    let label = words.into_iter().find(|w| !taken.iter().any(|t| t == w))?;
    Some((format!("{label} otherwise"), decl))
}

/// The white space that starts the line `at` is on.
fn indent_of(text: &str, at: usize) -> String {
    let line_start = text
        .get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    text.get(line_start..at)
        .unwrap_or("")
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect()
}

/// Where and what to insert so that `line` stands just before the `}` at
/// `close`: on a line of its own when the brace starts its line, else inline.
fn line_before(text: &str, close: usize, indent: &str, line: &str) -> (Span, String) {
    let close_line = text
        .get(..close)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let brace_starts_line = text
        .get(close_line..close)
        .is_some_and(|t| t.chars().all(char::is_whitespace));
    if brace_starts_line {
        (
            Span::new(close_line, close_line),
            format!("{indent}{line}\n"),
        )
    } else {
        (Span::new(close, close), format!(" {line} "))
    }
}
