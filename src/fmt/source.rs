//! What the syntax tree does not keep: comments, braces and blank lines of the source text.

/// One `//` comment of the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Byte offset of the `//`.
    pub start: usize,
    /// Byte offset just after the comment's last character that is not whitespace.
    pub end: usize,
    /// The comment as written, from `//`, without trailing whitespace.
    pub text: String,
    /// Whether only whitespace precedes it on its line.
    pub own_line: bool,
}

impl Comment {
    /// `// fmt: off` (or `// fmt:off`).
    pub fn is_fmt_off(&self) -> bool {
        self.directive() == Some("off")
    }

    /// `// fmt: on` (or `// fmt:on`).
    pub fn is_fmt_on(&self) -> bool {
        self.directive() == Some("on")
    }

    fn directive(&self) -> Option<&str> {
        let body = self.text.strip_prefix("//")?.trim();
        Some(body.strip_prefix("fmt:")?.trim())
    }
}

/// Every comment of `text`, in order. `//` inside a string literal is not a comment.
pub fn comments(text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut line_start = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\n' => {
                line_start = i + 1;
                i += 1;
            }
            b'"' => i = string_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let eol = line_end(bytes, i);
                let raw = text.get(i..eol).unwrap_or("");
                let trimmed = raw.trim_end();
                let own_line = text
                    .get(line_start..i)
                    .is_some_and(|before| before.trim().is_empty());
                found.push(Comment {
                    start: i,
                    end: i + trimmed.len(),
                    text: trimmed.to_string(),
                    own_line,
                });
                i = eol;
            }
            _ => i += 1,
        }
    }
    found
}

/// The offset just after the string literal that opens at `open` (or the end of
/// its line, for a string left open).
fn string_end(bytes: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    while let Some(&c) = bytes.get(i) {
        match c {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn line_end(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while bytes.get(i).is_some_and(|c| *c != b'\n') {
        i += 1;
    }
    i
}

/// The offset of the first `{` at or after `from` that is not in a string or a
/// comment; `from` itself when there is none.
pub fn open_brace(text: &str, from: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'{' => return i,
            b'"' => i = string_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = line_end(bytes, i),
            _ => i += 1,
        }
    }
    from
}

/// The offset of the `}` that closes a block whose span ends at `end`.
pub fn close_brace(text: &str, end: usize) -> usize {
    let at = end.saturating_sub(1);
    if text.as_bytes().get(at) == Some(&b'}') {
        at
    } else {
        end
    }
}

/// Whether the source between `a` and `b` holds a blank line: two line breaks
/// with nothing but spaces between them.
pub fn blank_line_between(text: &str, a: usize, b: usize) -> bool {
    if a >= b {
        return false;
    }
    let Some(gap) = text.get(a..b) else {
        return false;
    };
    let mut after_break = false;
    for c in gap.chars() {
        match c {
            '\n' if after_break => return true,
            '\n' => after_break = true,
            ' ' | '\t' | '\r' => {}
            _ => after_break = false,
        }
    }
    false
}

/// Whether a comment at `b` ends the line on which the source at `a` ends: only
/// spaces and commas lie between them.
pub fn same_line(text: &str, a: usize, b: usize) -> bool {
    a <= b
        && text
            .get(a..b)
            .is_some_and(|gap| gap.chars().all(|c| matches!(c, ' ' | '\t' | '\r' | ',')))
}

/// The offset of the start of the line holding `at`.
pub fn line_start(text: &str, at: usize) -> usize {
    text.get(..at)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |i| i + 1)
}

/// The source text of a span, or `""` when it is not in the text.
pub fn slice(text: &str, start: usize, end: usize) -> &str {
    text.get(start..end).unwrap_or("")
}

/// Display width in columns: one per character.
pub fn width(text: &str) -> usize {
    text.chars().count()
}
