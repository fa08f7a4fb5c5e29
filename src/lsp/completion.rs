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

pub fn completion(analysis: &Analysis) -> Vec<CompletionItem> {
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
                push(
                    CompletionItem {
                        label: label.clone(),
                        kind: Some(CompletionItemKind::ENUM_MEMBER),
                        detail: Some(format!("label of `{}`", e.name)),
                        ..CompletionItem::default()
                    },
                    &mut seen,
                );
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
}
