//! Brace matching for a file that failed to parse: which `{` is never closed,
//! and where its block probably ends.
//!
//! A missing `}` makes the parser read the next declaration as more of the
//! block, so its first error points far from the cause and every later one
//! gives advice about the wrong place. Layout tells more: a declaration
//! keyword at the start of a line, or a `}` that starts a line less indented
//! than the line of the `{` it would close, means an inner block was left
//! open. The block probably ends after its last line that is more indented
//! than its `{` line.
//!
//! The finding is trusted only when it explains the whole imbalance: as many
//! blocks found open as there are `{` more than `}`. A well-formed file, or a
//! file whose braces balance however they are laid out, finds nothing here.

use crate::syntax::ast::Span;

/// A `{` that is never closed.
#[derive(Clone, Debug, PartialEq)]
pub struct Unclosed {
    /// The offset of the `{`.
    pub open: usize,
    /// What the block belongs to: the words before the `{` on its line (`metric a`).
    pub head: String,
    /// Where a `}` probably belongs: the end of the block's last line (before
    /// its line break).
    pub end: usize,
    /// That last line, without its indentation.
    pub last_line: Span,
}

struct Open {
    at: usize,
    indent: usize,
    line_start: usize,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

/// Whether a line holds nothing but blanks or a comment.
fn is_blank(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with("//")
}

/// The lines of `text` with their start offsets, without line breaks.
fn lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        out.push((offset, line.trim_end_matches(['\n', '\r'])));
        offset += line.len();
    }
    out
}

/// Every `{` of `text` that is never closed, in the order of their `{`; empty
/// when layout does not explain the imbalance of braces.
pub fn unclosed_blocks(text: &str, opens_declaration: impl Fn(&str) -> bool) -> Vec<Unclosed> {
    let lines = lines(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut open_blocks: Vec<Open> = Vec::new();
    let (mut opens, mut closes) = (0usize, 0usize);
    for &(start, line) in &lines {
        let indent = indent_of(line);
        if indent == 0 && opens_declaration(line) {
            open_blocks.extend(stack.drain(..).rev());
        }
        let bytes = line.as_bytes();
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'/' if bytes.get(i + 1) == Some(&b'/') => break,
                b'"' => {
                    i = super::skip_string(bytes, i);
                    continue;
                }
                b'{' => {
                    opens += 1;
                    stack.push(Open {
                        at: start + i,
                        indent,
                        line_start: start,
                    });
                }
                b'}' => {
                    closes += 1;
                    if i == indent {
                        while stack.last().is_some_and(|top| top.indent > indent) {
                            open_blocks.extend(stack.pop());
                        }
                    }
                    stack.pop();
                }
                _ => {}
            }
            i += 1;
        }
    }
    open_blocks.extend(stack.drain(..).rev());
    if open_blocks.is_empty() || opens.checked_sub(closes) != Some(open_blocks.len()) {
        return Vec::new();
    }
    open_blocks.sort_by_key(|o| o.at);
    open_blocks
        .iter()
        .map(|o| {
            let head = text
                .get(o.line_start..o.at)
                .unwrap_or("")
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ");
            // The last line of the block: the last non-blank line before the
            // first later line that is not more indented than the `{` line.
            let mut last = lines
                .iter()
                .find(|(s, _)| *s == o.line_start)
                .copied()
                .unwrap_or((o.line_start, ""));
            for &(s, line) in lines.iter().filter(|(s, _)| *s > o.line_start) {
                if is_blank(line) {
                    continue;
                }
                if indent_of(line) <= o.indent {
                    break;
                }
                last = (s, line);
            }
            let (s, line) = last;
            // On the `{` line itself, the block's text starts after the `{`.
            let mut from = s + indent_of(line);
            if s == o.line_start {
                let after = text.get(o.at + 1..s + line.len()).unwrap_or("");
                if !after.trim().is_empty() {
                    from = o.at + 1 + (after.len() - after.trim_start().len());
                }
            }
            Unclosed {
                open: o.at,
                head,
                end: s + line.len(),
                last_line: Span::new(from, s + line.len()),
            }
        })
        .collect()
}

/// The text with a `}` on a line of its own after each block's last line,
/// and the offsets (in `text`) where one was put.
pub fn repaired(text: &str, blocks: &[Unclosed]) -> (String, Vec<usize>) {
    let mut at: Vec<usize> = blocks.iter().map(|b| b.end).collect();
    at.sort_unstable();
    let mut out = String::with_capacity(text.len() + 2 * at.len());
    let mut from = 0;
    for &p in &at {
        out.push_str(text.get(from..p).unwrap_or(""));
        out.push_str(INSERTED);
        from = p;
    }
    out.push_str(text.get(from..).unwrap_or(""));
    (out, at)
}

/// What [`repaired`] puts at each place.
pub const INSERTED: &str = "\n}";

/// An offset of the repaired text as an offset of the original, or `None`
/// inside an inserted `}`.
pub fn original_offset(repaired_at: usize, inserted: &[usize]) -> Option<usize> {
    let mut shift = 0;
    for &p in inserted {
        let start = p + shift;
        if repaired_at < start {
            break;
        }
        if repaired_at < start + INSERTED.len() {
            return None;
        }
        shift += INSERTED.len();
    }
    Some(repaired_at - shift)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn opens(line: &str) -> bool {
        ["metric", "score"].iter().any(|w| line.starts_with(w))
    }

    #[test]
    fn balanced_text_has_no_unclosed_block() {
        assert!(unclosed_blocks("metric a {\n  value x\n}\n", opens).is_empty());
        // Badly laid out but balanced: nothing to say.
        assert!(unclosed_blocks("metric a {\n  points {\n    x => 1\n}\n}\n", opens).is_empty());
    }

    #[test]
    fn a_block_left_open_before_the_next_declaration() {
        let text = "metric a {\n  value x\n\nmetric b {\n}\n";
        let found = unclosed_blocks(text, opens);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].open, 9);
        assert_eq!(found[0].head, "metric a");
        assert_eq!(&text[found[0].last_line.range()], "value x");
        let (fixed, at) = repaired(text, &found);
        assert_eq!(fixed, "metric a {\n  value x\n}\n\nmetric b {\n}\n");
        assert_eq!(original_offset(19, &at), Some(19));
        assert_eq!(original_offset(20, &at), None);
        assert_eq!(original_offset(21, &at), None);
        assert_eq!(original_offset(22, &at), Some(20));
    }

    #[test]
    fn an_inner_block_closed_by_its_parents_brace() {
        let text = "metric a {\n  points {\n    x => 1\n  missing points 0\n}\n";
        let found = unclosed_blocks(text, opens);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].head, "points");
        assert_eq!(&text[found[0].last_line.range()], "x => 1");
    }

    #[test]
    fn braces_in_strings_and_comments_do_not_count() {
        let text = "metric a { // {\n  value \"{\"\n}\n";
        assert!(unclosed_blocks(text, opens).is_empty());
    }
}
