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
use crate::source::Span;

/// A source text under its file name, borrowed for rendering. An excerpt
/// starts at line `first_line` of its file, and `columns` gives, for a span
/// start in the excerpt, its column in the file.
struct NamedText<'a> {
    name: &'a str,
    text: &'a str,
    first_line: usize,
    excerpt: Option<&'a Excerpt>,
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
        let column = match self.excerpt {
            Some(excerpt) if context_lines_before == 0 => excerpt.column(span.offset()),
            _ => inner.column(),
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            column,
            inner.line_count(),
        )))
    }
}

/// Lines longer than this (in bytes) are shown clipped around the spans on them.
const SHOWN_LINE_BYTES: usize = 120;

/// Bytes shown before the first span on a clipped line.
const SHOWN_BEFORE_SPAN: usize = 40;

/// The lines of a file one diagnostic shows, each long line clipped around
/// the spans on it, so a diagnostic's size does not depend on the length of
/// the lines it points into. Lines between the shown ones are left empty.
struct Excerpt {
    text: String,
    first_line: usize,
    /// For each line from `first_line`: where it starts in `text`, the part
    /// of the file's line kept (`start..end`), and the bytes put before it.
    lines: Vec<ExcerptLine>,
    /// Where each line of the file starts.
    line_starts: std::sync::Arc<Vec<usize>>,
}

struct ExcerptLine {
    at: usize,
    start: usize,
    end: usize,
    line_start: usize,
    prefix: usize,
}

/// Where each line starts: after `\n`, `\r\n` or a lone `\r`, as miette counts.
fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            i += 1;
        }
        if b == b'\n' || b == b'\r' {
            starts.push(i + 1);
        }
        i += 1;
    }
    starts
}

/// The line holding byte `offset`, and where that line's text ends.
fn line_of(starts: &[usize], text: &str, offset: usize) -> (usize, usize, usize) {
    let line = starts.partition_point(|&s| s <= offset).saturating_sub(1);
    let start = starts.get(line).copied().unwrap_or(0);
    let next = starts.get(line + 1).copied().unwrap_or(text.len());
    let mut end = next;
    let bytes = text.as_bytes();
    while end > start && matches!(bytes.get(end - 1), Some(b'\n' | b'\r')) {
        end -= 1;
    }
    (line, start, end)
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl Excerpt {
    /// An excerpt for `spans`, or `None` when every line shown is short
    /// enough to show whole.
    fn new(text: &str, starts: &std::sync::Arc<Vec<usize>>, spans: &[Span]) -> Option<Excerpt> {
        let last_line = starts.len().saturating_sub(1);
        let mut shown: Vec<(usize, usize)> = Vec::new();
        for span in spans {
            let (first, _, _) = line_of(starts, text, span.start);
            let (last, _, _) = line_of(starts, text, span.end);
            shown.push((first.saturating_sub(1), (last + 1).min(last_line)));
        }
        let from = shown.iter().map(|r| r.0).min()?;
        let to = shown.iter().map(|r| r.1).max()?;
        let is_shown = |l: usize| shown.iter().any(|&(a, b)| a <= l && l <= b);
        let long = (from..=to).any(|l| {
            let start = starts.get(l).copied().unwrap_or(0);
            let (_, _, end) = line_of(starts, text, start);
            is_shown(l) && end - start > SHOWN_LINE_BYTES
        });
        if !long {
            return None;
        }
        let mut out = String::new();
        let mut lines = Vec::new();
        for l in from..=to {
            let line_start = starts.get(l).copied().unwrap_or(0);
            let (_, _, line_end) = line_of(starts, text, line_start);
            let at = out.len();
            if !is_shown(l) {
                lines.push(ExcerptLine {
                    at,
                    start: line_start,
                    end: line_start,
                    line_start,
                    prefix: 0,
                });
                out.push('\n');
                continue;
            }
            let (start, end) = if line_end - line_start <= SHOWN_LINE_BYTES {
                (line_start, line_end)
            } else {
                let anchor = spans
                    .iter()
                    .flat_map(|s| [s.start, s.end])
                    .filter(|&o| line_start <= o && o <= line_end)
                    .min()
                    .unwrap_or(line_start);
                let start = floor_boundary(
                    text,
                    anchor.saturating_sub(SHOWN_BEFORE_SPAN).max(line_start),
                );
                let end = floor_boundary(text, (start + SHOWN_LINE_BYTES).min(line_end)).max(start);
                (start, end)
            };
            let prefix = if start > line_start { "…" } else { "" };
            out.push_str(prefix);
            out.push_str(text.get(start..end).unwrap_or_default());
            if end < line_end {
                out.push('…');
            }
            out.push('\n');
            lines.push(ExcerptLine {
                at,
                start,
                end,
                line_start,
                prefix: prefix.len(),
            });
        }
        Some(Excerpt {
            text: out,
            first_line: from,
            lines,
            line_starts: starts.clone(),
        })
    }

    /// Where byte `offset` of the file is in the excerpt (clamped to what is shown).
    fn map(&self, text: &str, offset: usize) -> usize {
        let (line, _, _) = line_of(&self.line_starts, text, offset);
        let index = line.saturating_sub(self.first_line);
        let Some(l) = self.lines.get(index).or_else(|| self.lines.last()) else {
            return 0;
        };
        if line < self.first_line {
            return l.at;
        }
        let kept = offset.clamp(l.start, l.end);
        let at = if offset < l.start {
            l.at
        } else {
            l.at + l.prefix + (kept - l.start)
        };
        floor_boundary(&self.text, at)
    }

    fn map_span(&self, text: &str, span: Span) -> Span {
        let start = self.map(text, span.start);
        Span::new(start, self.map(text, span.end).max(start))
    }

    /// The column in the file (0-based, in bytes, as miette counts) of a place in the excerpt.
    fn column(&self, at: usize) -> usize {
        let index = self.lines.partition_point(|l| l.at <= at).saturating_sub(1);
        match self.lines.get(index) {
            Some(l) => {
                let within = at.saturating_sub(l.at + l.prefix);
                l.start + within - l.line_start
            }
            None => 0,
        }
    }
}

/// A diagnostic dressed for miette.
struct Dressed<'a> {
    diagnostic: &'a Diagnostic,
    source: NamedText<'a>,
    /// The whole text of the file, which spans point into.
    original: &'a str,
    message: String,
    help: String,
}

impl fmt::Debug for Dressed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Dressed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
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
        if self.help.is_empty() {
            None
        } else {
            Some(Box::new(&self.help))
        }
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let label = |span: Span, message: &str| {
            let message =
                (!message.is_empty()).then(|| clip_quoted(&crate::escape::terminal(message)));
            (self.place(span), message)
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

impl Dressed<'_> {
    /// A span of the file, inside the text shown.
    fn place(&self, span: Span) -> Span {
        let span = clamp_span(self.original, span);
        match self.source.excerpt {
            Some(excerpt) => excerpt.map_span(self.original, span),
            None => span,
        }
    }
}

/// Quoted input (between backticks) longer than this is shown clipped.
const SHOWN_QUOTE_CHARS: usize = 80;

/// A message with each long piece of quoted input (a 70,000-character column
/// name) shortened to its start and end, so one finding stays one screen.
fn clip_quoted(text: &str) -> String {
    if text.len() <= SHOWN_QUOTE_CHARS {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len().min(1024));
    for (k, piece) in text.split('`').enumerate() {
        if k > 0 {
            out.push('`');
        }
        let count = piece.chars().count();
        if k % 2 == 1 && count > SHOWN_QUOTE_CHARS {
            out.extend(piece.chars().take(SHOWN_QUOTE_CHARS / 2));
            out.push_str(&format!("… ({count} characters) …"));
            out.extend(piece.chars().skip(count - SHOWN_QUOTE_CHARS / 4));
        } else {
            out.push_str(piece);
        }
    }
    out
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
    // Per file: its text with control characters made harmless, and its line starts.
    let mut files: Vec<(crate::source::FileId, String, std::sync::Arc<Vec<usize>>)> = Vec::new();
    for diagnostic in diagnostics {
        let original = sources.text(diagnostic.file);
        let index = match files.iter().position(|f| f.0 == diagnostic.file) {
            Some(i) => i,
            None => {
                let shown = crate::escape::same_length_for_terminal(original).into_owned();
                files.push((
                    diagnostic.file,
                    shown,
                    std::sync::Arc::new(line_starts(original)),
                ));
                files.len() - 1
            }
        };
        let Some((_, shown, starts)) = files.get(index) else {
            continue;
        };
        let spans: Vec<Span> = std::iter::once(diagnostic.span)
            .chain(diagnostic.notes.iter().map(|n| n.span))
            .map(|s| clamp_span(original, s))
            .collect();
        let excerpt = Excerpt::new(shown, starts, &spans);
        let dressed = Dressed {
            diagnostic,
            source: NamedText {
                name: sources.name(diagnostic.file),
                text: excerpt.as_ref().map_or(shown.as_str(), |e| e.text.as_str()),
                first_line: excerpt.as_ref().map_or(0, |e| e.first_line),
                excerpt: excerpt.as_ref(),
            },
            original: shown,
            message: clip_quoted(&crate::escape::terminal(&diagnostic.message)),
            help: clip_quoted(&crate::escape::terminal_lines(&diagnostic.help)),
        };
        if handler.render_report(&mut out, &dressed).is_err() {
            out.push_str(&crate::escape::terminal_lines(&plain_line(
                diagnostic, sources,
            )));
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
        // CI logs show ANSI sequences: those from the input are made visible.
        let mut message = crate::escape::terminal(&d.message).into_owned();
        if !d.help.is_empty() {
            message.push_str("\nhelp: ");
            message.push_str(&crate::escape::terminal(&d.help));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Code;
    use proptest::prelude::*;

    fn render(text: &str, span: Span, note: Span) -> String {
        let mut sources = SourceMap::new();
        let file = sources.add("t.scorecard", None, text.to_string());
        let d = Diagnostic::new(Code::N001, file, span, "unknown name `x`")
            .label("here")
            .help("fix it")
            .note(note, "and here");
        human(
            &[d],
            &sources,
            HumanStyle {
                color: false,
                width: 100,
            },
        )
    }

    #[test]
    fn a_span_past_column_65535_is_shown_clipped() {
        let text = format!("a\n{}nope x\nb\n", " ".repeat(70_000));
        let at = text.find("nope").unwrap_or(0);
        let shown = render(&text, Span::new(at, at + 4), Span::new(0, 1));
        assert!(shown.contains("[t.scorecard:2:70001]"), "{shown}");
        assert!(
            shown.contains("…nope x") || shown.contains("… nope x") || shown.contains("nope x")
        );
        assert!(shown.len() < 2_000, "{} bytes", shown.len());
    }

    #[test]
    fn long_quoted_input_in_a_message_is_clipped() {
        let name = "y".repeat(70_000);
        let message = format!("the data column `{name}` is not in the input contract");
        let clipped = clip_quoted(&message);
        assert!(clipped.len() < 200, "{clipped}");
        assert!(clipped.contains("… (70000 characters) …"));
        assert!(clipped.ends_with("` is not in the input contract"));
        assert_eq!(clip_quoted("short `x`"), "short `x`");
    }

    #[test]
    fn control_characters_in_the_source_and_message_are_not_sent_to_the_terminal() {
        let text = "metric \u{1b}]0;owned\u{7} x\n";
        let mut sources = SourceMap::new();
        let file = sources.add("t.scorecard", None, text.to_string());
        let d = Diagnostic::new(Code::N001, file, Span::new(7, 10), "bad `\u{1b}[2J`")
            .label("\u{9b}here")
            .help("fix \u{1b}it");
        let shown = human(
            &[d],
            &sources,
            HumanStyle {
                color: false,
                width: 100,
            },
        );
        assert!(
            !shown.chars().any(|c| c.is_control() && c != '\n'),
            "{shown:?}"
        );
        assert!(shown.contains("bad `\\x1b[2J`"), "{shown}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Any span, on lines of any length, renders without a panic, and
        /// the report stays small whatever the lines' length.
        #[test]
        fn any_span_on_any_line_renders(
            lengths in proptest::collection::vec(0usize..100_000, 1..5),
            crlf in any::<bool>(),
            a in 0usize..400_000,
            b in 0usize..400_000,
            c in 0usize..400_000,
        ) {
            let end = if crlf { "\r\n" } else { "\n" };
            let text: String = lengths
                .iter()
                .enumerate()
                .map(|(k, n)| format!("{}é{end}", "x".repeat(*n).replacen('x', &k.to_string(), 1)))
                .collect();
            let (a, b) = (a.min(b), a.max(b));
            let shown = render(&text, Span::new(a, b), Span::new(c, c + 1));
            prop_assert!(shown.contains("unknown name"));
            prop_assert!(shown.len() < 8_000, "{} bytes", shown.len());
        }
    }
}
