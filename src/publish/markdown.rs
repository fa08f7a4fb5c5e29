//! The catalogue as GitHub-flavoured Markdown; every text is escaped here.

use super::{Block, Doc, Inline, Text};

/// The document as Markdown.
pub fn markdown(doc: &Doc) -> String {
    let mut out = String::new();
    for block in &doc.blocks {
        match block {
            Block::Heading {
                level,
                anchor,
                text,
            } => {
                for _ in 0..*level {
                    out.push('#');
                }
                // An explicit anchor, so links work whatever GitHub makes of the text.
                out.push_str(" <a id=\"");
                out.push_str(&anchor_id(anchor));
                out.push_str("\"></a>");
                out.push_str(&line(text, false));
            }
            Block::Paragraph(text) => out.push_str(&block_start(&line(text, false))),
            Block::List(items) => {
                for (k, item) in items.iter().enumerate() {
                    if k > 0 {
                        out.push('\n');
                    }
                    out.push_str("- ");
                    out.push_str(&line(item, false));
                }
            }
            Block::Fields(fields) => {
                for (k, (label, value)) in fields.iter().enumerate() {
                    if k > 0 {
                        out.push('\n');
                    }
                    out.push_str("- **");
                    out.push_str(&escape(label));
                    out.push_str(":** ");
                    out.push_str(&line(value, false));
                }
            }
            Block::Table { head, rows } => {
                out.push('|');
                for h in head {
                    out.push(' ');
                    out.push_str(&escape(h));
                    out.push_str(" |");
                }
                out.push_str("\n|");
                for _ in head {
                    out.push_str("---|");
                }
                for row in rows {
                    out.push_str("\n|");
                    for cell in row {
                        out.push(' ');
                        out.push_str(&line(cell, true));
                        out.push_str(" |");
                    }
                }
            }
        }
        out.push_str("\n\n");
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// One line of Markdown from a text; `in_table` also escapes `|` in code.
fn line(text: &Text, in_table: bool) -> String {
    let mut out = String::new();
    for piece in &text.0 {
        match piece {
            Inline::Plain(s) => out.push_str(&escape(s)),
            Inline::Strong(s) => {
                out.push_str("**");
                out.push_str(&escape(s));
                out.push_str("**");
            }
            Inline::Code(s) => out.push_str(&code(s, in_table)),
            Inline::Link { name, anchor } => {
                out.push('[');
                out.push_str(&code(name, in_table));
                out.push_str("](#");
                out.push_str(&anchor_id(anchor));
                out.push(')');
            }
        }
    }
    out
}

/// An anchor with only letters, digits, `-` and `_`; anything else becomes
/// `-`, so it is safe in an attribute and in a link.
pub(super) fn anchor_id(anchor: &str) -> String {
    anchor
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Plain text on one line, every character Markdown could read as markup
/// backslash-escaped (CommonMark allows it before any ASCII punctuation).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for ch in s.chars() {
        if ch.is_whitespace() {
            if !space {
                out.push(' ');
            }
            space = true;
            continue;
        }
        space = false;
        if matches!(
            ch,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '#' | '&' | '!' | '$'
        ) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// A code span: a fence longer than any run of backticks inside, white space
/// folded to single spaces, and `|` escaped inside a table (GitHub splits
/// table cells at `|` even in code).
fn code(s: &str, in_table: bool) -> String {
    let folded = s.split_whitespace().collect::<Vec<_>>().join(" ");
    // In a table, `\|` would read as an escaped backslash and a cell border:
    // such a text is written as escaped plain text instead.
    if in_table && folded.contains("\\|") {
        return escape(&folded);
    }
    let body = if in_table {
        folded.replace('|', "\\|")
    } else {
        folded
    };
    let mut longest = 0;
    let mut run = 0;
    for ch in body.chars() {
        if ch == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    if body.is_empty() {
        return String::new();
    }
    if longest > 0 || body.starts_with('`') || body.ends_with('`') {
        format!("{fence} {body} {fence}")
    } else {
        format!("{fence}{body}{fence}")
    }
}

/// A paragraph must not start like a list item, heading or block quote.
fn block_start(s: &str) -> String {
    let mut chars = s.char_indices();
    match chars.next() {
        Some((_, '-' | '+' | '=')) => format!("\\{s}"),
        Some((_, c)) if c.is_ascii_digit() => {
            let end = s
                .char_indices()
                .find(|(_, c)| !c.is_ascii_digit())
                .map(|(k, _)| k);
            match end.and_then(|k| s.get(k..).map(|rest| (k, rest))) {
                Some((k, rest)) if rest.starts_with('.') || rest.starts_with(')') => {
                    format!("{}\\{}", s.get(..k).unwrap_or(""), rest)
                }
                _ => s.to_string(),
            }
        }
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(escape("a|b <x> *y*"), "a\\|b \\<x\\> \\*y\\*");
        assert_eq!(escape(" two\n\n lines "), " two lines ");
    }

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(code("a `b` c", false), "`` a `b` c ``");
        assert_eq!(code("a | b", true), "`a \\| b`");
        assert_eq!(code("a\\| b", true), "a\\\\\\| b");
    }

    proptest::proptest! {
        /// Whatever a description or formula holds, a table row stays one
        /// line with its cells: every `|` that is not a cell border is escaped.
        #[test]
        fn table_rows_keep_their_cells(plain in "\\PC*", code_text in "(\\PC|\\\\\\|)*") {
            let doc = Doc {
                title: String::new(),
                blocks: vec![Block::Table {
                    head: vec!["a".into(), "b".into()],
                    rows: vec![vec![Text::plain(plain.clone()), Text::code(code_text.clone())]],
                }],
            };
            let md = markdown(&doc);
            let lines: Vec<&str> = md.lines().collect();
            proptest::prop_assert_eq!(lines.len(), 3);
            let row = lines.get(2).copied().unwrap_or_default();
            let mut borders = 0;
            let mut escaped = false;
            for ch in row.chars() {
                if escaped {
                    escaped = false;
                } else if ch == '\\' {
                    escaped = true;
                } else if ch == '|' {
                    borders += 1;
                }
            }
            proptest::prop_assert_eq!(borders, 3, "{}", row);
        }
    }

    #[test]
    fn paragraphs_do_not_start_lists() {
        assert_eq!(block_start("- x"), "\\- x");
        assert_eq!(block_start("1. x"), "1\\. x");
        assert_eq!(block_start("10 x"), "10 x");
    }
}
