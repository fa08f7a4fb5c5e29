//! Text made safe for where it goes: spreadsheet cells in every file written,
//! control characters in everything printed to a terminal. Every stage may use
//! it, like `diag` and `source`.

use std::borrow::Cow;

/// Whether a spreadsheet would run this text as a formula: it starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return.
pub fn looks_like_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A text cell for a file a spreadsheet may open: one that would run as a
/// formula gets a leading `'` (`=cmd` becomes `'=cmd`); any other is unchanged.
pub fn spreadsheet_cell(text: &str) -> Cow<'_, str> {
    if looks_like_formula(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Whether a terminal could act on this character: C0 and C1 control
/// characters (ESC starts colour, cursor and title sequences), DEL, and the
/// bidirectional overrides that reorder what is shown.
fn is_unsafe_on_terminal(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text for a terminal: every control character (line breaks and tabs
/// included) and bidirectional override written as a visible escape
/// (`\x1b`, `\n`, `\u{202e}`), so data can neither draw on the screen nor
/// forge lines of output.
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_on_terminal) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_visible(&mut out, c);
    }
    Cow::Owned(out)
}

fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 && is_unsafe_on_terminal(c) => {
            out.push_str(&format!("\\x{:02x}", c as u32));
        }
        c if is_unsafe_on_terminal(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        c => out.push(c),
    }
}

/// Text for a terminal laid out in lines of its own (a help text, a report):
/// as [`terminal`], but line breaks and tabs stay.
pub fn terminal_lines(text: &str) -> Cow<'_, str> {
    let kept = |c: char| matches!(c, '\n' | '\t');
    if !text.chars().any(|c| !kept(c) && is_unsafe_on_terminal(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if kept(c) {
            out.push(c);
        } else {
            push_visible(&mut out, c);
        }
    }
    Cow::Owned(out)
}

/// A source text with each control character (other than line breaks and
/// tabs) replaced by `?` of the same length in bytes, so spans into the
/// original still point at the same places.
pub fn same_length_for_terminal(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| !matches!(c, '\n' | '\r' | '\t') && is_unsafe_on_terminal(c);
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if unsafe_char(c) {
            for _ in 0..c.len_utf8() {
                out.push('?');
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text for an XML attribute or element (JUnit reports): the five markup
/// characters escaped, control characters XML cannot hold dropped.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Nothing a terminal could act on survives, and safe text is unchanged.
        #[test]
        fn terminal_text_has_no_control_characters(text in "\\PC*|[\\x00-\\x7f\\u{80}-\\u{9f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069} a-z]*") {
            let shown = terminal(&text);
            prop_assert!(!shown.chars().any(is_unsafe_on_terminal));
            if !text.chars().any(is_unsafe_on_terminal) {
                prop_assert_eq!(shown.as_ref(), text.as_str());
            }
            let same = same_length_for_terminal(&text);
            prop_assert_eq!(same.len(), text.len());
            prop_assert!(!same.chars().any(|c| !matches!(c, '\n' | '\r' | '\t') && is_unsafe_on_terminal(c)));
        }

        /// No cell is left that a spreadsheet would run, and the text is kept.
        #[test]
        fn spreadsheet_cells_never_run(text in "[=+@\\-\\t\\r' a-z0-9]{0,6}") {
            let cell = spreadsheet_cell(&text);
            prop_assert!(!looks_like_formula(&cell));
            prop_assert!(cell == text.as_str() || cell.strip_prefix('\'') == Some(text.as_str()));
        }
    }

    #[test]
    fn formulas_get_a_quote_and_nothing_else_changes() {
        for text in [
            "=1+1",
            "+1",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=HYPERLINK(\"x\")",
        ] {
            assert_eq!(spreadsheet_cell(text), format!("'{text}"));
        }
        for text in ["", "plain", "1-2", " =x", "'=x"] {
            assert_eq!(spreadsheet_cell(text), text);
        }
    }

    #[test]
    fn control_characters_become_visible() {
        assert_eq!(terminal("a\u{1b}]0;title\u{7}b"), "a\\x1b]0;title\\x07b");
        assert_eq!(terminal("x\ny\r"), "x\\ny\\r");
        assert_eq!(terminal("\u{9b}31m \u{202e}cba"), "\\u{9b}31m \\u{202e}cba");
        assert_eq!(terminal("plain é ✓"), "plain é ✓");
        assert_eq!(terminal_lines("a\n\tb\u{1b}\r"), "a\n\tb\\x1b\\r");
        let kept = same_length_for_terminal("a\u{1b}b\u{9b}c\n");
        assert_eq!(kept, "a?b??c\n");
        assert_eq!(kept.len(), "a\u{1b}b\u{9b}c\n".len());
    }
}
