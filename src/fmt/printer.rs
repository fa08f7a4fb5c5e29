//! The output lines and the comments still to place: every comment of the source
//! is placed exactly once, in source order.

use super::source::{self, Comment};

/// The widest line the layout aims for, in columns.
pub const WIDTH: usize = 100;

/// One level of indentation.
pub const INDENT: usize = 2;

enum LineKind {
    /// Code, with the comment that ends its line.
    Code {
        text: String,
        comment: Option<String>,
    },
    /// A comment on a line of its own.
    Comment(String),
    Blank,
    /// Source copied as written (`// fmt: off`), line breaks and all.
    Verbatim(String),
}

struct Line {
    indent: usize,
    kind: LineKind,
}

pub struct Printer<'s> {
    pub src: &'s str,
    comments: Vec<Comment>,
    /// The first comment not placed yet.
    next: usize,
    /// The source offset just after the last thing placed.
    last_end: usize,
    lines: Vec<Line>,
    /// Just inside a `{` (or at the top of the file): no blank line goes here.
    fresh: bool,
    /// A blank line goes before the next line (after the header).
    force_blank: bool,
}

impl<'s> Printer<'s> {
    pub fn new(src: &'s str) -> Self {
        Printer {
            src,
            comments: source::comments(src),
            next: 0,
            last_end: 0,
            lines: Vec::new(),
            fresh: true,
            force_blank: false,
        }
    }

    /// The comments of the source, placed or not.
    pub fn all_comments(&self) -> &[Comment] {
        &self.comments
    }

    /// Whether a comment not placed yet starts in `start..end`.
    pub fn has_comment_in(&self, start: usize, end: usize) -> bool {
        self.comments
            .get(self.next..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| c.start < end)
            .any(|c| c.start >= start)
    }

    /// Ask for a blank line before whatever comes next.
    pub fn blank_after(&mut self) {
        self.force_blank = true;
    }

    fn push(&mut self, indent: usize, kind: LineKind) {
        self.lines.push(Line { indent, kind });
        self.fresh = false;
    }

    fn blank(&mut self) {
        let after_blank = matches!(
            self.lines.last(),
            None | Some(Line {
                kind: LineKind::Blank,
                ..
            })
        );
        if !self.fresh && !after_blank {
            self.lines.push(Line {
                indent: 0,
                kind: LineKind::Blank,
            });
        }
    }

    /// A blank line before `pos` when the source has one there (at most one).
    fn gap(&mut self, pos: usize) {
        if self.force_blank || source::blank_line_between(self.src, self.last_end, pos) {
            self.blank();
        }
        self.force_blank = false;
    }

    /// Place every comment that starts before `pos` on lines of its own, keeping
    /// one blank line where the source has blank lines.
    pub fn comments_before(&mut self, indent: usize, pos: usize) {
        while let Some(c) = self.comments.get(self.next) {
            if c.start >= pos {
                break;
            }
            let (start, end, text) = (c.start, c.end, c.text.clone());
            self.gap(start);
            self.push(indent, LineKind::Comment(text));
            self.last_end = end;
            self.next += 1;
        }
    }

    /// Comments inside a construct laid out on fewer lines than it was written
    /// on: they go on lines of their own just before it.
    fn hoist(&mut self, indent: usize, pos: usize) {
        while let Some(c) = self.comments.get(self.next) {
            if c.start >= pos {
                break;
            }
            let text = c.text.clone();
            self.push(indent, LineKind::Comment(text));
            self.next += 1;
        }
    }

    /// The comments before a construct that starts at `start`, and the blank line
    /// that separates it from what came before, if the source has one.
    fn before(&mut self, indent: usize, start: usize) {
        self.comments_before(indent, start);
        self.gap(start);
    }

    /// The construct placed last ends at `end`; a comment after it on the same
    /// line ends its output line.
    fn after(&mut self, end: usize) {
        self.last_end = self.last_end.max(end);
        let Some(c) = self.comments.get(self.next) else {
            return;
        };
        if !source::same_line(self.src, self.last_end, c.start) {
            return;
        }
        let (text, c_end) = (c.text.clone(), c.end);
        self.next += 1;
        self.last_end = c_end;
        match self.lines.last_mut() {
            Some(Line {
                kind: LineKind::Code { comment, .. },
                ..
            }) if comment.is_none() => *comment = Some(text),
            _ => {
                let indent = self.lines.last().map_or(0, |l| l.indent);
                self.push(indent, LineKind::Comment(text));
            }
        }
    }

    /// A construct from `start` to `end` laid out as `lines` (indent, text).
    pub fn item(&mut self, indent: usize, start: usize, end: usize, lines: Vec<(usize, String)>) {
        self.before(indent, start);
        self.hoist(indent, end);
        for (at, text) in lines {
            self.push(
                at,
                LineKind::Code {
                    text,
                    comment: None,
                },
            );
        }
        self.after(end);
    }

    /// A construct on one line.
    pub fn line(&mut self, indent: usize, start: usize, end: usize, text: String) {
        self.item(indent, start, end, vec![(indent, text)]);
    }

    /// Open a block: `head {`, for a construct that starts at `start` and whose
    /// `{` is at `brace`.
    pub fn open(&mut self, indent: usize, start: usize, brace: usize, head: &str) {
        self.before(indent, start);
        self.hoist(indent, brace);
        self.push(
            indent,
            LineKind::Code {
                text: format!("{head} {{"),
                comment: None,
            },
        );
        self.after(brace + 1);
        self.fresh = true;
    }

    /// Close the block opened at `indent`, whose span ends at `end` (after `}`):
    /// the comments left before the `}` stay inside it.
    pub fn close(&mut self, indent: usize, end: usize) {
        let brace = source::close_brace(self.src, end);
        self.comments_before(indent + INDENT, brace);
        self.push(
            indent,
            LineKind::Code {
                text: "}".to_string(),
                comment: None,
            },
        );
        self.after(end);
    }

    /// Whether a block between `brace` and the end of its span holds no comment.
    pub fn empty_inside(&self, brace: usize, end: usize) -> bool {
        !self.has_comment_in(brace, end)
    }

    /// Source from `start` to `end` copied as written; the comments in it with it.
    pub fn verbatim(&mut self, start: usize, end: usize) {
        self.before(0, start);
        while self.comments.get(self.next).is_some_and(|c| c.start < end) {
            self.next += 1;
        }
        let text = source::slice(self.src, start, end).to_string();
        self.push(0, LineKind::Verbatim(text));
        self.last_end = end;
    }

    /// Place the comments left (the end of the file) and join the lines.
    ///
    /// Trailing comments of consecutive lines of code at one indentation start
    /// in one column, two spaces after the longest of those lines that carries one.
    pub fn finish(mut self) -> String {
        self.comments_before(0, usize::MAX);
        while matches!(
            self.lines.last(),
            Some(Line {
                kind: LineKind::Blank,
                ..
            })
        ) {
            self.lines.pop();
        }
        // Runs of lines of code at one indentation, with nothing else between them.
        let mut columns = vec![0; self.lines.len()];
        let mut from = 0;
        while let Some(first) = self.lines.get(from) {
            if !matches!(first.kind, LineKind::Code { .. }) {
                from += 1;
                continue;
            }
            let mut to = from;
            let mut column = 0;
            while let Some(line) = self.lines.get(to) {
                let LineKind::Code { text, comment } = &line.kind else {
                    break;
                };
                if line.indent != first.indent {
                    break;
                }
                if comment.is_some() {
                    column = column.max(line.indent + source::width(text.trim_end()) + 2);
                }
                to += 1;
            }
            for slot in columns.iter_mut().take(to).skip(from) {
                *slot = column;
            }
            from = to;
        }
        let mut out = String::new();
        for (line, column) in self.lines.iter().zip(columns) {
            let pad = " ".repeat(line.indent);
            match &line.kind {
                LineKind::Blank => {}
                LineKind::Verbatim(text) => out.push_str(text),
                LineKind::Comment(text) => {
                    out.push_str(&pad);
                    out.push_str(text);
                }
                LineKind::Code { text, comment } => {
                    let code = format!("{pad}{text}");
                    let code = code.trim_end();
                    out.push_str(code);
                    if let Some(comment) = comment {
                        let used = source::width(code);
                        out.push_str(&" ".repeat(column.saturating_sub(used).max(1)));
                        out.push_str(comment);
                    }
                }
            }
            out.push('\n');
        }
        out
    }
}
