//! Completion: the names in scope, functions, labels of enums, segments and
//! tiers, and the language's keywords, each with its documentation.

use lsp_types::{CompletionItem, CompletionItemKind, Documentation, MarkupContent, MarkupKind};

use super::analysis::Analysis;
use super::hover::{functions, name_doc};
use super::index::{Kind, Role};
use super::rename::BUILTINS;

/// The grammar: its quoted words are the keywords.
const GRAMMAR: &str = include_str!("../../grammar/scorecard.pest");

/// Every keyword of the grammar, sorted.
pub fn keywords() -> Vec<&'static str> {
    // The quoted words of the rules, not of their doc comments.
    let mut out: Vec<&str> = GRAMMAR
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .flat_map(quoted)
        .filter(|w| w.len() > 1 && w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The string literals of a line of the grammar (`"\\""` is one).
fn quoted(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match (start, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(s), '"') => {
                out.push(line.get(s..i).unwrap_or(""));
                start = None;
            }
            (None, '"') => start = Some(i + 1),
            _ => {}
        }
    }
    out
}

fn docs(value: String) -> Option<Documentation> {
    Some(Documentation::MarkupContent(MarkupContent {
        kind: MarkupKind::Markdown,
        value,
    }))
}

/// What the text before the cursor, on its line, asks for.
#[derive(Debug, PartialEq)]
enum Context {
    /// Inside a comment or a string: nothing.
    Prose,
    /// After `for SEGMENT`: that segment's labels.
    LabelsOf(String),
    /// After `within`: columns.
    Columns,
    Anything,
}

fn context(before: &str) -> Context {
    let mut in_string = false;
    let mut escaped = false;
    let mut prev = ' ';
    for c in before.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '/' if prev == '/' && !in_string => return Context::Prose,
            _ => {}
        }
        prev = c;
    }
    if in_string {
        return Context::Prose;
    }
    let words: Vec<&str> = before
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    // The words since the last `for` or `within`, the one being typed included.
    let last = words.iter().rposition(|w| *w == "for" || *w == "within");
    match last.and_then(|i| words.get(i..)) {
        // The segment's name is complete once something follows it.
        Some(["for", segment, rest @ ..]) if !rest.is_empty() || before.ends_with(' ') => {
            Context::LabelsOf((*segment).to_string())
        }
        Some(["within", ..]) => Context::Columns,
        _ => Context::Anything,
    }
}

/// The items for a cursor after `line` (its line up to the cursor), from
/// the names of `analysis` (the last one that checked, while the text has
/// syntax errors).
pub fn completion(analysis: &Analysis, line: &str) -> Vec<CompletionItem> {
    let context = context(line);
    let all = everything(analysis);
    match context {
        Context::Prose => Vec::new(),
        Context::Anything => all,
        Context::Columns => all
            .into_iter()
            .filter(|i| i.detail.as_deref() == Some("column"))
            .collect(),
        Context::LabelsOf(segment) => analysis
            .checked
            .model
            .iter()
            .flat_map(|m| m.enums.iter())
            .filter(|e| e.name == segment)
            .flat_map(|e| e.labels.iter().map(|l| label_item(l, &e.name)))
            .collect(),
    }
}

fn label_item(label: &str, of: &str) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(CompletionItemKind::ENUM_MEMBER),
        detail: Some(format!("label of `{of}`")),
        ..CompletionItem::default()
    }
}

fn everything(analysis: &Analysis) -> Vec<CompletionItem> {
    let mut items: Vec<CompletionItem> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut push = |item: CompletionItem, seen: &mut Vec<String>| {
        if !seen.contains(&item.label) {
            seen.push(item.label.clone());
            items.push(item);
        }
    };
    for o in &analysis.index.occurrences {
        let Role::Declaration { kind, .. } = o.role else {
            continue;
        };
        let item_kind = match kind {
            Kind::Column => CompletionItemKind::FIELD,
            Kind::Metric => CompletionItemKind::VARIABLE,
            Kind::Segment => CompletionItemKind::ENUM,
            Kind::Score => CompletionItemKind::VALUE,
            Kind::Flag | Kind::Rule => CompletionItemKind::EVENT,
        };
        push(
            CompletionItem {
                label: o.name.clone(),
                kind: Some(item_kind),
                detail: Some(kind.word().to_string()),
                documentation: name_doc(analysis, &o.name).and_then(docs),
                ..CompletionItem::default()
            },
            &mut seen,
        );
    }
    for (name, doc) in functions() {
        push(
            CompletionItem {
                label: name,
                kind: Some(CompletionItemKind::FUNCTION),
                detail: Some("function".to_string()),
                documentation: docs(doc),
                ..CompletionItem::default()
            },
            &mut seen,
        );
    }
    for name in BUILTINS {
        push(
            CompletionItem {
                label: (*name).to_string(),
                kind: Some(CompletionItemKind::CONSTANT),
                detail: Some("built-in name".to_string()),
                ..CompletionItem::default()
            },
            &mut seen,
        );
    }
    if let Some(model) = &analysis.checked.model {
        for e in &model.enums {
            for label in &e.labels {
                push(label_item(label, &e.name), &mut seen);
            }
        }
    }
    for word in keywords() {
        push(
            CompletionItem {
                label: word.to_string(),
                kind: Some(CompletionItemKind::KEYWORD),
                ..CompletionItem::default()
            },
            &mut seen,
        );
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_the_grammars_words() {
        let words = keywords();
        for w in [
            "metric",
            "points",
            "weights",
            "otherwise",
            "insufficient",
            "snapshot",
        ] {
            assert!(words.contains(&w), "{w}");
        }
        // Words quoted in doc comments are examples, not keywords.
        assert!(!words.contains(&"enablement"));
        assert_eq!(quoted(r#"a = { "\"" ~ "x" }"#), [r#"\""#, "x"]);
    }

    #[test]
    fn the_line_before_the_cursor_narrows_completion() {
        assert_eq!(context("  value a + "), Context::Anything);
        assert_eq!(context("  value a // b"), Context::Prose);
        assert_eq!(context("  owner \"fin"), Context::Prose);
        assert_eq!(context("  owner \"a\\\" // b\" + "), Context::Anything);
        assert_eq!(context("  for type "), Context::LabelsOf("type".into()));
        assert_eq!(
            context("  for type reseller, m"),
            Context::LabelsOf("type".into())
        );
        assert_eq!(context("  for ty"), Context::Anything);
        assert_eq!(
            context("  points percentile within partner_type, "),
            Context::Columns
        );
    }
}
