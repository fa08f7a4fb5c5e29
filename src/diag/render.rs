//! Renderers: miette's graphical report for people, JSON lines for tools,
//! GitHub workflow annotations for pull requests.

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteSpanContents, SourceCode,
    SpanContents,
};
use serde::Serialize;

use super::{Diagnostic, Severity};
use crate::source::SourceMap;
use crate::syntax::ast::Span;

/// A source text under its file name, borrowed for rendering.
struct NamedText<'a> {
    name: &'a str,
    text: &'a str,
}

impl SourceCode for NamedText<'_> {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// A diagnostic dressed for miette.
struct Dressed<'a> {
    diagnostic: &'a Diagnostic,
    source: NamedText<'a>,
}

impl fmt::Debug for Dressed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl fmt::Display for Dressed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Dressed<'_> {}

impl miette::Diagnostic for Dressed<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let code = self.diagnostic.code;
        Some(Box::new(format!("{}({})", code.as_str(), code.name())))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        if self.diagnostic.help.is_empty() {
            None
        } else {
            Some(Box::new(&self.diagnostic.help))
        }
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let text = self.source.text;
        let label = |span: Span, message: &str| {
            let span = clamp_span(text, span);
            let message = (!message.is_empty()).then(|| message.to_string());
            (span, message)
        };
        let (span, message) = label(self.diagnostic.span, &self.diagnostic.label);
        let mut labels = vec![LabeledSpan::new_primary_with_span(message, span)];
        for note in &self.diagnostic.notes {
            let (span, message) = label(note.span, &note.message);
            labels.push(LabeledSpan::new_with_span(message, span));
        }
        Some(Box::new(labels.into_iter()))
    }
}

/// Keep a span inside the text and on character boundaries, so rendering never fails.
fn clamp_span(text: &str, span: Span) -> Span {
    let fix = |mut at: usize| {
        at = at.min(text.len());
        while at > 0 && !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let start = fix(span.start);
    Span::new(start, fix(span.end).max(start))
}

/// How a human report looks.
#[derive(Clone, Copy, Debug)]
pub struct HumanStyle {
    pub color: bool,
    pub width: usize,
}

/// Render diagnostics with miette's graphical handler.
pub fn human(diagnostics: &[Diagnostic], sources: &SourceMap, style: HumanStyle) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false);
    let mut out = String::new();
    for diagnostic in diagnostics {
        let dressed = Dressed {
            diagnostic,
            source: NamedText {
                name: sources.name(diagnostic.file),
                text: sources.text(diagnostic.file),
            },
        };
        if handler.render_report(&mut out, &dressed).is_err() {
            out.push_str(&plain_line(diagnostic, sources));
            out.push('\n');
        }
    }
    out
}

/// `file:line:col: severity[CODE]: message` — one line, for logs and fallbacks.
pub fn plain_line(d: &Diagnostic, sources: &SourceMap) -> String {
    let (line, column) = sources
        .get(d.file)
        .map_or((1, 1), |f| f.line_col(d.span.start));
    format!(
        "{}:{}:{}: {}[{}]: {}",
        sources.name(d.file),
        line,
        column,
        d.severity.as_str(),
        d.code,
        d.message
    )
}

/// The JSON form of one diagnostic (`check --format json`).
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub code: &'static str,
    pub name: &'static str,
    pub severity: &'static str,
    pub message: &'a str,
    pub label: &'a str,
    pub help: &'a str,
}

pub fn to_json<'a>(d: &'a Diagnostic, sources: &'a SourceMap) -> JsonDiagnostic<'a> {
    let file = sources.get(d.file);
    let (line, column) = file.map_or((1, 1), |f| f.line_col(d.span.start));
    let (end_line, end_column) = file.map_or((1, 1), |f| f.line_col(d.span.end));
    JsonDiagnostic {
        file: sources.name(d.file),
        line,
        column,
        end_line,
        end_column,
        code: d.code.as_str(),
        name: d.code.name(),
        severity: d.severity.as_str(),
        message: &d.message,
        label: &d.label,
        help: &d.help,
    }
}

/// A JSON array of every diagnostic.
pub fn json(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    let items: Vec<JsonDiagnostic<'_>> = diagnostics.iter().map(|d| to_json(d, sources)).collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_string()) + "\n"
}

/// GitHub Actions workflow commands: `::error file=…,line=…::message`.
pub fn github(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let j = to_json(d, sources);
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut message = d.message.clone();
        if !d.help.is_empty() {
            message.push_str("\nhelp: ");
            message.push_str(&d.help);
        }
        out.push_str(&format!(
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(j.file),
            j.line,
            j.column,
            j.end_line,
            j.end_column,
            escape_property(&format!("{} {}", j.code, j.name)),
            escape_data(&message)
        ));
    }
    out
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}
