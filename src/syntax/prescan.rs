//! A linear pass over the raw text before the recursive parser runs: it enforces
//! the limits that keep parsing bounded (file size, nesting depth, operator
//! runs) and finds unterminated strings, so the parser never sees input that
//! could exhaust the stack.

use crate::diag::{Code, Diagnostic};
use crate::source::FileId;
use crate::syntax::ast::Span;

/// The largest scorecard file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

/// The deepest nesting of brackets, braces and `if` expressions.
pub const MAX_NESTING: usize = 64;

/// The longest run of prefix operators (`not not not x`, `- - x`).
pub const MAX_PREFIX_RUN: usize = 32;

/// Check the limits; every problem found is returned (at most one per kind).
pub fn prescan(file: FileId, text: &str) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    if text.len() > MAX_FILE_BYTES {
        found.push(too_large(file, text.len()));
        return found;
    }
    if let Some(at) = text.find('\0') {
        found.push(
            Diagnostic::new(
                Code::P005,
                file,
                Span::new(at, at + 1),
                "the file contains a NUL byte",
            )
            .label("binary data here")
            .help("scorecards are UTF-8 text files; check that the right file was given"),
        );
        return found;
    }

    let bytes = text.as_bytes();
    let mut depth_too_deep = false;
    let mut run_too_long = false;
    let mut depth: usize = 0;
    let mut prefix_run = 0usize;
    let mut prev_word: &str = "";
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes.get(i).copied().unwrap_or(b' ');
        match b {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes.get(i) != Some(&b'\n') {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                let start = i;
                i += 1;
                let mut closed = false;
                while let Some(&c) = bytes.get(i) {
                    match c {
                        b'\\' => i += 2,
                        b'"' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        b'\n' => break,
                        _ => i += 1,
                    }
                }
                if !closed {
                    let end = i.min(bytes.len());
                    found.push(
                        Diagnostic::new(
                            Code::P003,
                            file,
                            Span::new(start, end),
                            "this string has no closing quote",
                        )
                        .label("the string starts here")
                        .help("end the string with `\"` on the same line"),
                    );
                    return found;
                }
                prefix_run = 0;
                prev_word = "\"";
                continue;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                prefix_run = 0;
                if depth > MAX_NESTING && !depth_too_deep {
                    depth_too_deep = true;
                    found.push(too_deep(file, i, i + 1));
                }
                prev_word = "(";
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                prefix_run = 0;
                prev_word = ")";
            }
            b'-' => {
                prefix_run += 1;
                if prefix_run > MAX_PREFIX_RUN && !run_too_long {
                    run_too_long = true;
                    found.push(too_many_prefixes(file, i));
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while bytes
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    i += 1;
                }
                let word = text.get(start..i).unwrap_or("");
                match word {
                    "not" => {
                        prefix_run += 1;
                        if prefix_run > MAX_PREFIX_RUN && !run_too_long {
                            run_too_long = true;
                            found.push(too_many_prefixes(file, start));
                        }
                    }
                    "if" if !is_clause_if(text, i, prev_word) => {
                        depth += 1;
                        prefix_run = 0;
                        if depth > MAX_NESTING && !depth_too_deep {
                            depth_too_deep = true;
                            found.push(too_deep(file, start, i));
                        }
                    }
                    "else" => {
                        depth = depth.saturating_sub(1);
                        prefix_run = 0;
                    }
                    _ => prefix_run = 0,
                }
                prev_word = word;
                continue;
            }
            c if c.is_ascii_whitespace() => {}
            _ => prefix_run = 0,
        }
        i += 1;
    }
    found
}

/// `if missing "…"`, `if empty "…"` (output formats) and `data if more than`
/// open no expression.
fn is_clause_if(text: &str, after: usize, prev_word: &str) -> bool {
    if prev_word == "data" {
        return true;
    }
    let rest = text.get(after..).unwrap_or("").trim_start();
    for word in ["missing", "empty"] {
        if let Some(tail) = rest.strip_prefix(word) {
            if tail.trim_start().starts_with('"') {
                return true;
            }
        }
    }
    false
}

/// P006 for a file of `size` bytes.
pub fn too_large(file: FileId, size: usize) -> Diagnostic {
    Diagnostic::new(
        Code::P006,
        file,
        Span::new(0, 0),
        format!("the file is {size} bytes; scorecards may be at most {MAX_FILE_BYTES} bytes"),
    )
    .label("this file")
    .help("split shared definitions into files and `import` them")
}

fn too_deep(file: FileId, start: usize, end: usize) -> Diagnostic {
    Diagnostic::new(
        Code::P004,
        file,
        Span::new(start, end),
        format!("nesting deeper than {MAX_NESTING} levels"),
    )
    .label("this level is too deep")
    .help("split the expression into metrics that refer to each other")
}

fn too_many_prefixes(file: FileId, at: usize) -> Diagnostic {
    Diagnostic::new(
        Code::P004,
        file,
        Span::new(at, at + 1),
        format!("more than {MAX_PREFIX_RUN} `not` or `-` operators in a row"),
    )
    .label("too many operators in a row")
    .help("two `not`s cancel out; simplify the expression")
}
