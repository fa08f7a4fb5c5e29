//! Code actions for the findings with a mechanical fix: the name a "did you
//! mean" suggests, an interval end closed over a one-value gap, and an
//! `else` band for a table with gaps.

use std::collections::HashMap;

use lsp_types::{CodeAction, CodeActionKind, TextEdit, WorkspaceEdit};

use super::analysis::Analysis;
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
        let line_start = text
            .get(..d.span.start)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |i| i + 1);
        let indent: String = text
            .get(line_start..d.span.start)
            .unwrap_or("")
            .chars()
            .take_while(|c| c.is_whitespace())
            .collect();
        let close_line = text
            .get(..close)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |i| i + 1);
        let only_space_before = text
            .get(close_line..close)
            .is_some_and(|t| t.chars().all(char::is_whitespace));
        let (at, insert) = if only_space_before {
            (close_line, format!("{indent}else => 0\n"))
        } else {
            (close, " else => 0 ".to_string())
        };
        out.push(fix(
            analysis,
            "Add an `else => 0` band for the values no interval covers".to_string(),
            Span::new(at, at),
            insert,
            false,
            encoding,
        ));
    }
    out
}
