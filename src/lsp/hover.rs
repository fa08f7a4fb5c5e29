//! Hover: what a name, a function or a diagnostic code means.

use std::fmt::Write as _;

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};

use super::analysis::Analysis;
use super::index::{Kind, Role};
use super::text::Encoding;
use crate::diag::{Code, docs};
use crate::model::Meta;
use crate::source::FileId;
use crate::syntax::ast::Span;

/// The language reference; the functions' table is read from it.
const LANGUAGE_MD: &str = include_str!("../../docs/language.md");

/// Lines of a declaration quoted in a hover, at most.
const QUOTED_LINES: usize = 24;

pub fn hover(analysis: &Analysis, offset: usize, encoding: Encoding) -> Option<Hover> {
    let root = analysis.root();
    let lines = analysis.lines(root, encoding);
    if let Some(o) = analysis.index.at(root, offset) {
        let text = match o.role {
            Role::Function => function_doc(&o.name),
            _ => name_doc(analysis, &o.name),
        };
        if let Some(text) = text {
            return Some(markdown(text, Some(lines.range(o.span))));
        }
    }
    // A code written in the text (`L006` in a comment), else the diagnostics here.
    let (word, span) = word_at(analysis.text(root), offset);
    if let Some(code) = Code::ALL.iter().find(|c| c.as_str() == word) {
        return Some(markdown(code_doc(*code)?, Some(lines.range(span))));
    }
    if let Some(text) = label_doc(analysis, word) {
        return Some(markdown(text, Some(lines.range(span))));
    }
    let here: Vec<String> = analysis
        .checked
        .diagnostics
        .iter()
        .filter(|d| d.file == root && d.span.start <= offset && offset <= d.span.end)
        .filter_map(|d| code_doc(d.code))
        .collect();
    if here.is_empty() {
        return None;
    }
    Some(markdown(here.join("\n\n---\n\n"), None))
}

fn markdown(value: String, range: Option<lsp_types::Range>) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range,
    }
}

/// The word (letters, digits, `_`) around an offset.
pub fn word_at(text: &str, offset: usize) -> (&str, Span) {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or("");
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let after = text.get(offset..).unwrap_or("");
    let end = offset + after.find(|c: char| !is_word(c)).unwrap_or(after.len());
    (text.get(start..end).unwrap_or(""), Span::new(start, end))
}

/// A label of an enum column, a segment or a score's tiers: whose, among which.
fn label_doc(analysis: &Analysis, word: &str) -> Option<String> {
    let model = analysis.checked.model.as_ref()?;
    let parts: Vec<String> = model
        .enums
        .iter()
        .filter(|e| e.labels.iter().any(|l| l == word))
        .map(|e| {
            format!(
                "**label** `{word}` of `{}`: {}",
                e.name,
                e.labels.join(", ")
            )
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

/// A diagnostic code's documentation, headed by its link.
pub fn code_doc(code: Code) -> Option<String> {
    let doc = docs::documentation(code)?;
    let body = doc.split_once('\n').map_or("", |(_, rest)| rest).trim();
    Some(format!(
        "**{} {}** — {} ([documentation]({}))\n\n{body}",
        code.as_str(),
        code.name(),
        code.summary(),
        docs::url(code)
    ))
}

/// The rows of the functions' table in `docs/language.md`: name, signature
/// and the rest of the row.
pub fn functions() -> Vec<(String, String)> {
    let Some(start) = LANGUAGE_MD.find("## 8. Functions") else {
        return Vec::new();
    };
    let rest = LANGUAGE_MD.get(start..).unwrap_or("");
    // The section ends at the next second-level heading.
    let end = rest
        .get(1..)
        .and_then(|r| r.find("\n## "))
        .map_or(rest.len(), |e| e + 1);
    let section = rest.get(..end).unwrap_or(rest);
    let mut out = Vec::new();
    for row in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
        let [signature, arguments, meaning, missing] = cells.as_slice() else {
            continue;
        };
        let doc = format!(
            "```scorecard\n{}\n```\n{meaning}\n\n*arguments:* {arguments}{}",
            signature.replace('`', ""),
            if missing.is_empty() {
                String::new()
            } else {
                format!(" · *when missing:* {missing}")
            }
        );
        for part in signature.split('`').skip(1).step_by(2) {
            if let Some((name, _)) = part.split_once('(') {
                out.push((name.to_string(), doc.clone()));
            }
        }
    }
    out
}

pub fn function_doc(name: &str) -> Option<String> {
    functions()
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, doc)| doc)
}

fn meta_lines(meta: &Meta, out: &mut String) {
    let fields = [
        ("owner", meta.owner.clone()),
        ("source", meta.source.clone()),
        ("layer", meta.layer.map(|l| l.name().to_string())),
        ("kind", meta.kind.map(|k| k.name().to_string())),
        ("unit", meta.unit.clone()),
        ("rationale", meta.rationale.clone()),
    ];
    for (key, value) in fields {
        if let Some(v) = value {
            let _ = writeln!(out, "- *{key}:* {v}");
        }
    }
}

/// What a declared name is: its kind, description and metadata from the
/// model, and the declaration quoted (its rubric, weights or type).
pub fn name_doc(analysis: &Analysis, name: &str) -> Option<String> {
    let mut parts = Vec::new();
    for (occurrence, kind, decl) in analysis.index.declarations(name) {
        let mut out = format!("**{}** `{name}`", kind.word());
        let model = analysis.checked.model.as_ref();
        let description = match kind {
            Kind::Metric => model
                .and_then(|m| m.metrics.iter().find(|x| x.name == name))
                .map(|m| {
                    let mut extra = String::new();
                    meta_lines(&m.meta, &mut extra);
                    (m.meta.description.clone(), extra)
                }),
            Kind::Score => model
                .and_then(|m| m.scores.iter().find(|x| x.name == name))
                .map(|s| {
                    let mut extra = String::new();
                    meta_lines(&s.meta, &mut extra);
                    (s.meta.description.clone(), extra)
                }),
            Kind::Segment => model
                .and_then(|m| m.segments.iter().find(|x| x.name == name))
                .map(|s| {
                    let labels = model
                        .and_then(|m| m.enum_type(s.labels))
                        .map(|e| format!("- *labels:* {}\n", e.labels.join(", ")))
                        .unwrap_or_default();
                    (s.description.clone(), labels)
                }),
            Kind::Flag => model
                .and_then(|m| m.flags.iter().find(|x| x.name == name))
                .map(|f| (f.description.clone(), String::new())),
            Kind::Rule => model
                .and_then(|m| m.rules.iter().find(|x| x.name == name))
                .map(|r| (r.reason.clone(), String::new())),
            Kind::Column => model
                .and_then(|m| m.contract.columns.iter().find(|c| c.name == name))
                .map(|c| (None, column_lines(analysis, c))),
        };
        if let Some((description, extra)) = description {
            if let Some(d) = description {
                let _ = write!(out, " — {d}");
            }
            out.push_str("\n\n");
            out.push_str(&extra);
        }
        out.push_str(&quote(analysis, occurrence.file, decl));
        parts.push(out);
    }
    (!parts.is_empty()).then(|| parts.join("\n\n---\n\n"))
}

fn column_lines(analysis: &Analysis, c: &crate::model::ColumnDef) -> String {
    use crate::model::Type;
    let model = analysis.checked.model.as_ref();
    let ty = match c.ty {
        Type::Number => "number".to_string(),
        Type::Integer => "integer".to_string(),
        Type::Bool => "bool".to_string(),
        Type::Text => "text".to_string(),
        Type::Enum(id) => model
            .and_then(|m| m.enum_type(id))
            .map_or("enum".to_string(), |e| {
                format!("enum({})", e.labels.join(", "))
            }),
        Type::List => "list".to_string(),
        Type::Any => "any".to_string(),
    };
    let mut out = format!("- *type:* {ty}\n");
    let bound = |b: Option<(f64, bool)>, closed: &str, open: &str| {
        b.map(|(v, inclusive)| {
            format!(
                "{} {}",
                if inclusive { closed } else { open },
                crate::model::format_number(v)
            )
        })
    };
    let range: Vec<String> = [bound(c.min, ">=", ">"), bound(c.max, "<=", "<")]
        .into_iter()
        .flatten()
        .collect();
    if !range.is_empty() {
        let _ = writeln!(out, "- *range:* {}", range.join(", "));
    }
    let _ = writeln!(
        out,
        "- *{}*",
        if c.optional {
            "optional (may be blank)"
        } else {
            "required"
        }
    );
    out
}

/// The declaration's text in a code block, cut after a few lines.
fn quote(analysis: &Analysis, file: FileId, decl: Span) -> String {
    let text = analysis.text(file).get(decl.range()).unwrap_or("");
    let mut lines: Vec<&str> = text.lines().take(QUOTED_LINES + 1).collect();
    let cut = lines.len() > QUOTED_LINES;
    lines.truncate(QUOTED_LINES);
    let mut out = format!("\n```scorecard\n{}\n", lines.join("\n"));
    if cut {
        out.push_str("…\n");
    }
    out.push_str("```");
    if file != analysis.root() {
        let _ = write!(out, "\n\n*declared in* `{}`", analysis.sources.name(file));
    }
    out
}
