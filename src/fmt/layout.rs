//! The canonical layout of each construct (see `docs/formatting.md`).
//!
//! One concern in one file: every construct's layout rules side by side, so
//! that they stay consistent with each other.

use crate::syntax::ast::*;

use super::expr::{self, label, labels, literal, string};
use super::printer::{INDENT, Printer, WIDTH};
use super::source::{self, Comment, width};

/// Lay out a whole file.
pub fn file(p: &mut Printer<'_>, tree: &File) {
    for top in top_level(p, tree) {
        match top {
            Top::Header(h) => {
                let mut text = format!("scorecard {}", string(&h.name.value));
                if let Some(v) = &h.version {
                    text.push_str(&format!(" version {}", string(&v.value)));
                }
                p.line(0, h.span.start, h.span.end, text);
                p.blank_after();
            }
            Top::Decl(d) => decl(p, d),
            Top::Verbatim(start, end) => p.verbatim(start, end),
        }
    }
}

/// What the file is made of, in order.
enum Top<'t> {
    Header(&'t Header),
    Decl(&'t Decl),
    /// Source kept as written: from `start` to `end`.
    Verbatim(usize, usize),
}

impl Top<'_> {
    fn start(&self) -> usize {
        match self {
            Top::Header(h) => h.span.start,
            Top::Decl(d) => d.span().start,
            Top::Verbatim(start, _) => *start,
        }
    }
}

/// The header and declarations, with the regions between `// fmt: off` and
/// `// fmt: on` (both on lines of their own, outside any declaration) and the
/// declarations holding a `// fmt: off` kept as written.
fn top_level<'t>(p: &Printer<'_>, tree: &'t File) -> Vec<Top<'t>> {
    let mut items: Vec<Top<'t>> = Vec::new();
    if let Some(h) = &tree.header {
        items.push(Top::Header(h));
    }
    items.extend(tree.decls.iter().map(Top::Decl));
    let spans: Vec<Span> = items
        .iter()
        .map(|t| match t {
            Top::Header(h) => h.span,
            Top::Decl(d) => d.span(),
            Top::Verbatim(..) => Span::default(),
        })
        .collect();
    // INVARIANT: the spans and the comments are in source order.
    let outside = |at: usize| {
        let before = spans.partition_point(|s| s.start <= at);
        before == 0 || spans.get(before - 1).is_none_or(|s| at >= s.end)
    };
    let comments = p.all_comments();
    let first_from = |at: usize| comments.partition_point(|c| c.start < at);
    let mut regions: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while let Some(c) = comments.get(i) {
        i += 1;
        if !(c.is_fmt_off() && c.own_line && outside(c.start)) {
            continue;
        }
        let start = source::line_start(p.src, c.start);
        let mut end = p.src.trim_end().len().max(c.end);
        while let Some(on) = comments.get(i) {
            i += 1;
            if on.is_fmt_on() && outside(on.start) {
                end = on.end;
                break;
            }
        }
        regions.push((start, end));
    }
    let mut out: Vec<Top<'t>> = Vec::new();
    for item in items {
        let at = item.start();
        if regions.iter().any(|(s, e)| *s <= at && at < *e) {
            continue;
        }
        if let Top::Decl(d) = item {
            let span = d.span();
            let mut end = span.end;
            if let Some(c) = comments.get(first_from(span.end)) {
                if source::same_line(p.src, span.end, c.start) {
                    end = c.end;
                }
            }
            let inside = comments
                .get(first_from(span.start)..first_from(end))
                .unwrap_or_default();
            if inside.iter().any(Comment::is_fmt_off) {
                out.push(Top::Verbatim(span.start, end));
                continue;
            }
        }
        out.push(item);
    }
    out.extend(regions.into_iter().map(|(s, e)| Top::Verbatim(s, e)));
    out.sort_by_key(Top::start);
    out
}

fn decl(p: &mut Printer<'_>, d: &Decl) {
    match d {
        Decl::Import(i) => p.line(
            0,
            i.span.start,
            i.span.end,
            format!("import {}", string(&i.path.value)),
        ),
        Decl::Input(i) => input(p, i),
        Decl::Metric(m) => metric(p, m),
        Decl::Segment(s) => segment(p, s),
        Decl::Score(s) => score(p, s),
        Decl::Tiers(t) => tiers(p, t),
        Decl::Flag(f) => flag(p, f),
        Decl::Rule(r) => rule(p, r),
        Decl::Output(o) => output(p, o),
        Decl::Test(t) => test(p, t),
        Decl::Snapshot(s) => {
            let period = match &s.period {
                Some(l) if l.quoted => format!(" period {}", string(&l.text)),
                Some(l) => format!(" period {}", l.text),
                None => String::new(),
            };
            let files: String = s
                .governance
                .iter()
                .map(|g| format!(" {}", governance_file(g)))
                .collect();
            p.line(
                0,
                s.span.start,
                s.span.end,
                format!("snapshot {}{period}{files}", string(&s.data.value)),
            );
        }
        Decl::Defaults(d) => defaults(p, d),
        Decl::Governance(g) => governance(p, g),
    }
}

/// `governance { … }`: one block per policy, one clause per line.
fn governance(p: &mut Printer<'_>, g: &Governance) {
    block(
        p,
        0,
        g.span,
        g.span.start,
        "governance",
        g.blocks.is_empty(),
        |p| {
            for b in &g.blocks {
                block(
                    p,
                    INDENT,
                    b.span,
                    b.span.start,
                    b.subject.keyword(),
                    b.clauses.is_empty(),
                    |p| {
                        for c in &b.clauses {
                            let span = c.span();
                            let text = match c {
                                PolicyClause::ApproverRequired(_) => {
                                    "approver required".to_string()
                                }
                                PolicyClause::Locked(names, _) => {
                                    let names: Vec<&str> =
                                        names.iter().map(|n| n.name.as_str()).collect();
                                    format!("locked {}", names.join(", "))
                                }
                                PolicyClause::MaxMove(n, _) => format!("max_move {}", n.text),
                                PolicyClause::ExpireWithin(n, _) => {
                                    format!("expire within {} periods", n.text)
                                }
                            };
                            p.line(INDENT * 2, span.start, span.end, text);
                        }
                    },
                );
            }
        },
    );
}

/// `defaults { … }`: metadata as in a metric, then one clause per line.
fn defaults(p: &mut Printer<'_>, d: &Defaults) {
    block(
        p,
        0,
        d.span,
        d.span.start,
        "defaults",
        d.clauses.is_empty(),
        |p| {
            clauses(
                p,
                INDENT,
                &d.clauses,
                |c| match c {
                    DefaultsClause::Meta(m) => Some(m),
                    _ => None,
                },
                |p, indent, c| match c {
                    DefaultsClause::Meta(_) => {}
                    DefaultsClause::Missing(m) => {
                        p.line(indent, m.span.start, m.span.end, missing_text(m))
                    }
                    DefaultsClause::Given(fields, span) => given_row(p, "given", fields, *span),
                },
            );
        },
    );
}

// ─── helpers ─────────────────────────────────────────────────────────────────

/// `text` followed by spaces up to `columns`.
fn pad(text: &str, columns: usize) -> String {
    format!("{text}{}", " ".repeat(columns.saturating_sub(width(text))))
}

/// `text` preceded by spaces up to `columns`.
fn pad_left(text: &str, columns: usize) -> String {
    format!("{}{text}", " ".repeat(columns.saturating_sub(width(text))))
}

fn fits(indent: usize, text: &str) -> bool {
    indent + width(text) <= WIDTH
}

/// Whether the source of a construct is on one line and holds no comment: a
/// list written so stays on one line when it fits.
fn written_on_one_line(p: &Printer<'_>, span: Span) -> bool {
    !source::slice(p.src, span.start, span.end).contains('\n')
        && !p.has_comment_in(span.start, span.end)
}

/// `head { a  b  c }` (two spaces between items), or `head {}`.
fn inline_block(head: &str, items: &[String]) -> String {
    if items.is_empty() {
        format!("{head} {{}}")
    } else {
        format!("{head} {{ {} }}", items.join("  "))
    }
}

/// `head NAME "description"`.
fn named(keyword: &str, name: &Ident, description: Option<&Str>) -> String {
    match description {
        Some(d) => format!("{keyword} {} {}", name.name, string(&d.value)),
        None => format!("{keyword} {}", name.name),
    }
}

/// The end of a declaration's name and description: where its `{` is looked for.
fn head_end(name: &Ident, description: Option<&Str>) -> usize {
    description.map_or(name.span.end, |d| d.span.end)
}

/// A top-level declaration `keyword name "description" { … }` laid out as a
/// [`block`] whose `{` is looked for after the name and description.
fn declaration(
    p: &mut Printer<'_>,
    keyword: &str,
    name: &Ident,
    description: Option<&Str>,
    span: Span,
    empty: bool,
    body: impl FnOnce(&mut Printer<'_>),
) {
    let head = named(keyword, name, description);
    block(p, 0, span, head_end(name, description), &head, empty, body);
}

/// A block with `head {`, its contents laid out by `body`, and `}`; `{}` when it
/// has neither contents nor comments.
fn block(
    p: &mut Printer<'_>,
    indent: usize,
    span: Span,
    brace_from: usize,
    head: &str,
    empty: bool,
    body: impl FnOnce(&mut Printer<'_>),
) {
    let brace = source::open_brace(p.src, brace_from);
    if empty && p.empty_inside(brace, span.end) {
        p.line(indent, span.start, span.end, format!("{head} {{}}"));
        return;
    }
    p.open(indent, span.start, brace, head);
    body(p);
    p.close(indent, span.end);
}

/// A clause ending in an expression: `prefix EXPR suffix`, wrapped when long.
fn expr_clause(
    p: &mut Printer<'_>,
    indent: usize,
    span: Span,
    prefix: &str,
    e: &Expr,
    suffix: &str,
) {
    let column = indent + width(prefix);
    let tail = if suffix.is_empty() {
        0
    } else {
        width(suffix) + 1
    };
    let parts = expr::layout(e, column, indent + 2 * INDENT, tail);
    let mut lines: Vec<(usize, String)> = Vec::with_capacity(parts.len());
    for (i, (at, text)) in parts.into_iter().enumerate() {
        if i == 0 {
            lines.push((indent, format!("{prefix}{text}")));
        } else {
            lines.push((at, text));
        }
    }
    if !suffix.is_empty() {
        if let Some((_, last)) = lines.last_mut() {
            last.push(' ');
            last.push_str(suffix);
        }
    }
    p.item(indent, span.start, span.end, lines);
}

/// Metadata: `owner "finance"` or `layer execution`.
fn meta_value(m: &Meta) -> String {
    if m.quoted {
        string(&m.value)
    } else {
        m.value.clone()
    }
}

/// Clauses of a metric, score or flag: runs of metadata on one line (two spaces
/// between pairs) when they fit and hold no comment, else one per line with
/// the values aligned; every other clause by `other`.
fn clauses<T>(
    p: &mut Printer<'_>,
    indent: usize,
    items: &[T],
    as_meta: impl Fn(&T) -> Option<&Meta>,
    mut other: impl FnMut(&mut Printer<'_>, usize, &T),
) {
    let mut i = 0;
    while let Some(item) = items.get(i) {
        let Some(first) = as_meta(item) else {
            other(p, indent, item);
            i += 1;
            continue;
        };
        let mut run = vec![first];
        i += 1;
        while let Some(next) = items.get(i).and_then(&as_meta) {
            let before = run.last().map_or(first.span.end, |m| m.span.end);
            if source::blank_line_between(p.src, before, next.span.start) {
                break;
            }
            run.push(next);
            i += 1;
        }
        meta_run(p, indent, &run);
    }
}

fn meta_run(p: &mut Printer<'_>, indent: usize, run: &[&Meta]) {
    let (Some(first), Some(last)) = (run.first(), run.last()) else {
        return;
    };
    let joined = run
        .iter()
        .map(|m| format!("{} {}", m.key.keyword(), meta_value(m)))
        .collect::<Vec<_>>()
        .join("  ");
    if !p.has_comment_in(first.span.start, last.span.end) && fits(indent, &joined) {
        p.line(indent, first.span.start, last.span.end, joined);
        return;
    }
    let key_width = run.iter().map(|m| m.key.keyword().len()).max().unwrap_or(0);
    for m in run {
        let text = format!("{} {}", pad(m.key.keyword(), key_width), meta_value(m));
        p.line(indent, m.span.start, m.span.end, text);
    }
}

/// A keyword as written when the language has several spellings of it
/// (`int` or `integer`), else `canonical`.
fn spelling<'a>(p: &Printer<'a>, span: Span, allowed: &[&str], canonical: &'a str) -> String {
    let written = source::slice(p.src, span.start, span.end).trim();
    if allowed.contains(&written) {
        written.to_string()
    } else {
        canonical.to_string()
    }
}

// ─── input ───────────────────────────────────────────────────────────────────

fn input(p: &mut Printer<'_>, i: &Input) {
    let keyword_width = i
        .entries
        .iter()
        .map(|e| match e {
            InputEntry::Key(..) => "key".len(),
            InputEntry::Period(..) => "period".len(),
            InputEntry::Column(_) | InputEntry::OthersIgnored(_) => 0,
        })
        .max()
        .unwrap_or(0);
    let name_width = i
        .entries
        .iter()
        .map(|e| match e {
            InputEntry::Column(c) => width(&c.name.name) + 1,
            _ => 0,
        })
        .max()
        .unwrap_or(0);
    block(
        p,
        0,
        i.span,
        i.span.start,
        "input",
        i.entries.is_empty(),
        |p| {
            for entry in &i.entries {
                match entry {
                    InputEntry::Key(column, span) => {
                        let text = format!("{} {}", pad("key", keyword_width), column.name);
                        p.line(INDENT, span.start, span.end, text);
                    }
                    InputEntry::Period(column, span) => {
                        let text = format!("{} {}", pad("period", keyword_width), column.name);
                        p.line(INDENT, span.start, span.end, text);
                    }
                    InputEntry::Column(c) => {
                        let name = pad(&format!("{}:", c.name.name), name_width);
                        let text = format!("{name} {}", column_type(p, c));
                        p.line(INDENT, c.span.start, c.span.end, text);
                    }
                    InputEntry::OthersIgnored(span) => {
                        p.line(
                            INDENT,
                            span.start,
                            span.end,
                            "other columns ignored".to_string(),
                        );
                    }
                }
            }
        },
    );
}

/// `integer >= 0, optional`.
fn column_type(p: &Printer<'_>, c: &ColumnDecl) -> String {
    let mut text = match &c.ty.kind {
        ColumnTypeKind::Number => "number".to_string(),
        ColumnTypeKind::Integer => spelling(p, c.ty.span, &["integer", "int"], "integer"),
        ColumnTypeKind::Bool => spelling(p, c.ty.span, &["bool", "boolean"], "bool"),
        ColumnTypeKind::Text => "text".to_string(),
        ColumnTypeKind::Enum(ls) => format!("enum({})", labels(ls)),
    };
    for (i, option) in c.options.iter().enumerate() {
        text.push_str(if i == 0 { " " } else { ", " });
        match option {
            ColumnOption::Between(low, high, _) => {
                text.push_str(&format!("in {}..{}", low.text, high.text));
            }
            ColumnOption::Bound(op, n, _) => {
                text.push_str(&format!("{} {}", op.symbol(), n.text));
            }
            ColumnOption::Optional(_) => text.push_str("optional"),
        }
    }
    text
}

// ─── metrics ─────────────────────────────────────────────────────────────────

fn metric(p: &mut Printer<'_>, m: &Metric) {
    declaration(
        p,
        "metric",
        &m.name,
        m.description.as_ref(),
        m.span,
        m.clauses.is_empty(),
        |p| {
            metric_clauses(p, INDENT, &m.clauses);
        },
    );
}

fn metric_clauses(p: &mut Printer<'_>, indent: usize, items: &[MetricClause]) {
    clauses(
        p,
        indent,
        items,
        |c| match c {
            MetricClause::Meta(m) => Some(m),
            _ => None,
        },
        |p, indent, c| match c {
            MetricClause::Meta(_) => {}
            MetricClause::Value(e, span) => expr_clause(p, indent, *span, "value ", e, ""),
            MetricClause::Missing(m) => p.line(indent, m.span.start, m.span.end, missing_text(m)),
            MetricClause::Points(points) => points_clause(p, indent, points),
            MetricClause::For(f) => {
                let head = for_head(&f.head);
                let inline: Option<Vec<String>> = f
                    .clauses
                    .iter()
                    .map(|c| match c {
                        MetricClause::Missing(m) => Some(missing_text(m)),
                        MetricClause::Points(points) => points_inline(p, points),
                        MetricClause::Meta(_) | MetricClause::Value(..) | MetricClause::For(_) => {
                            None
                        }
                    })
                    .collect();
                if let Some(items) = inline.filter(|_| written_on_one_line(p, f.span)) {
                    let text = inline_block(&head, &items);
                    if fits(indent, &text) {
                        p.line(indent, f.span.start, f.span.end, text);
                        return;
                    }
                }
                block(
                    p,
                    indent,
                    f.span,
                    f.head.span.end,
                    &head,
                    f.clauses.is_empty(),
                    |p| metric_clauses(p, indent + INDENT, &f.clauses),
                );
            }
        },
    );
}

/// `missing value N` or `missing points N`.
fn missing_text(m: &MissingClause) -> String {
    let target = match m.target {
        MissingTarget::Value => "value",
        MissingTarget::Points => "points",
    };
    format!("missing {target} {}", m.number.text)
}

/// `for SEGMENT LABEL, LABEL`.
fn for_head(h: &ForHead) -> String {
    format!("for {} {}", h.segment.name, labels(&h.labels))
}

/// A points clause on one line, when it can be: `points { >= 1 => 100  else => 0 }`.
fn points_inline(p: &Printer<'_>, points: &Points) -> Option<String> {
    match &points.spec {
        PointsSpec::Bands(bands) => {
            let items: Vec<String> = bands
                .iter()
                .map(|b| format!("{} => {}", band_condition(p, b), b.points.text))
                .collect();
            Some(inline_block("points", &items))
        }
        PointsSpec::Scale { .. } | PointsSpec::Normalize { .. } => Some(points_line(points)),
        PointsSpec::Expr(e) => Some(format!("points = {}", expr::flat(e))),
    }
}

/// `points scale …` or `points percentile within …`; empty for other points.
fn points_line(points: &Points) -> String {
    match &points.spec {
        PointsSpec::Scale {
            from,
            from_points,
            to,
            to_points,
        } => format!(
            "points scale {} => {}, {} => {}",
            from.text, from_points.text, to.text, to_points.text
        ),
        PointsSpec::Normalize { kind, within } => {
            let mut text = format!("points {}", kind.keyword());
            if !within.is_empty() {
                let names: Vec<&str> = within.iter().map(|w| w.name.as_str()).collect();
                text.push_str(&format!(" within {}", names.join(", ")));
            }
            text
        }
        PointsSpec::Bands(_) | PointsSpec::Expr(_) => String::new(),
    }
}

fn points_clause(p: &mut Printer<'_>, indent: usize, points: &Points) {
    let span = points.span;
    match &points.spec {
        PointsSpec::Bands(bands) => {
            if written_on_one_line(p, span) {
                if let Some(text) = points_inline(p, points).filter(|t| fits(indent, t)) {
                    p.line(indent, span.start, span.end, text);
                    return;
                }
            }
            let inner = indent + INDENT;
            let conditions: Vec<String> = bands.iter().map(|b| band_condition(p, b)).collect();
            // A band too long for one line is wrapped, and takes no part in
            // the alignment of the others.
            let long = |(b, c): (&Band, &String)| {
                !fits(inner, &format!("{c} => {}", b.points.text))
                    && matches!(b.condition, BandCondition::Labels(_))
            };
            let condition_width = bands
                .iter()
                .zip(&conditions)
                .filter(|x| !long(*x))
                .map(|(_, c)| width(c))
                .max()
                .unwrap_or(0);
            block(
                p,
                indent,
                span,
                span.start,
                "points",
                bands.is_empty(),
                |p| {
                    for (band, condition) in bands.iter().zip(&conditions) {
                        match &band.condition {
                            BandCondition::Labels(ls) if long((band, condition)) => {
                                let lines = wrapped_labels(inner, ls, &band.points.text);
                                p.item(inner, band.span.start, band.span.end, lines);
                            }
                            _ => {
                                let text = format!(
                                    "{} => {}",
                                    pad(condition, condition_width),
                                    band.points.text
                                );
                                p.line(inner, band.span.start, band.span.end, text);
                            }
                        }
                    }
                },
            );
        }
        PointsSpec::Scale { .. } | PointsSpec::Normalize { .. } => {
            p.line(indent, span.start, span.end, points_line(points));
        }
        PointsSpec::Expr(e) => expr_clause(p, indent, span, "points = ", e, ""),
    }
}

/// The labels of a band too long for one line, as many to a line as fit
/// (each line but the last ending in a comma), continuation lines four
/// columns further in, and `=> POINTS` at the end of the last.
fn wrapped_labels(indent: usize, ls: &[Label], points: &str) -> Vec<(usize, String)> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    let mut current = String::new();
    let mut at = indent;
    let count = ls.len();
    for (k, l) in ls.iter().enumerate() {
        let mut piece = label(l);
        if k + 1 < count {
            piece.push(',');
        } else {
            piece.push_str(&format!(" => {points}"));
        }
        let candidate = if current.is_empty() {
            piece.clone()
        } else {
            format!("{current} {piece}")
        };
        if current.is_empty() || fits(at, &candidate) {
            current = candidate;
        } else {
            lines.push((at, std::mem::take(&mut current)));
            at = indent + 2 * INDENT;
            current = piece;
        }
    }
    lines.push((at, current));
    lines
}

fn band_condition(p: &Printer<'_>, b: &Band) -> String {
    match &b.condition {
        BandCondition::Else => spelling(p, b.condition_span, &["else", "otherwise"], "else"),
        BandCondition::Missing => "missing".to_string(),
        BandCondition::Interval {
            low,
            low_closed,
            high,
            high_closed,
        } => crate::vocab::interval(&low.text, *low_closed, &high.text, *high_closed),
        BandCondition::Compare(op, n) => format!("{} {}", op.symbol(), n.text),
        BandCondition::Labels(ls) => labels(ls),
    }
}

// ─── segments ────────────────────────────────────────────────────────────────

fn segment(p: &mut Printer<'_>, s: &Segment) {
    match &s.body {
        SegmentBody::From(column) => {
            let head = named("segment", &s.name, s.description.as_ref());
            let text = format!("{head} from {}", column.name);
            p.line(0, s.span.start, s.span.end, text);
        }
        SegmentBody::Rules(rules) => {
            if written_on_one_line(p, s.span) {
                let items: Vec<String> = rules
                    .iter()
                    .map(|r| match &r.condition {
                        Some(e) => format!("{} when {}", r.label.name, expr::flat(e)),
                        None => format!("{} otherwise", r.label.name),
                    })
                    .collect();
                let head = named("segment", &s.name, s.description.as_ref());
                let text = inline_block(&head, &items);
                if fits(0, &text) {
                    p.line(0, s.span.start, s.span.end, text);
                    return;
                }
            }
            let label_width = rules
                .iter()
                .map(|r| width(&r.label.name))
                .max()
                .unwrap_or(0);
            declaration(
                p,
                "segment",
                &s.name,
                s.description.as_ref(),
                s.span,
                rules.is_empty(),
                |p| {
                    for r in rules {
                        let label = pad(&r.label.name, label_width);
                        match &r.condition {
                            Some(e) => {
                                expr_clause(p, INDENT, r.span, &format!("{label} when "), e, "");
                            }
                            None => {
                                let text = format!("{label} otherwise");
                                p.line(INDENT, r.span.start, r.span.end, text);
                            }
                        }
                    }
                },
            );
        }
    }
}

// ─── scores ──────────────────────────────────────────────────────────────────

fn score(p: &mut Printer<'_>, s: &Score) {
    declaration(
        p,
        "score",
        &s.name,
        s.description.as_ref(),
        s.span,
        s.clauses.is_empty(),
        |p| {
            score_clauses(p, INDENT, &s.clauses);
        },
    );
}

fn score_clauses(p: &mut Printer<'_>, indent: usize, items: &[ScoreClause]) {
    clauses(
        p,
        indent,
        items,
        |c| match c {
            ScoreClause::Meta(m) => Some(m),
            _ => None,
        },
        score_clause,
    );
}

fn score_clause(p: &mut Printer<'_>, indent: usize, c: &ScoreClause) {
    let simple = |p: &mut Printer<'_>, span: Span, text: String| {
        p.line(indent, span.start, span.end, text);
    };
    match c {
        ScoreClause::Meta(_) => {}
        ScoreClause::Weights(w) => weights(p, indent, w),
        ScoreClause::Sum(s) => sum(p, indent, s),
        ScoreClause::Base(n, span) => simple(p, *span, format!("base {}", n.text)),
        ScoreClause::Value(e, span) => expr_clause(p, indent, *span, "value ", e, ""),
        ScoreClause::For(f) => {
            let head = for_head(&f.head);
            let inline: Option<Vec<String>> = f
                .clauses
                .iter()
                .map(|c| match c {
                    ScoreClause::Weights(w) => Some(weights_inline(w)),
                    ScoreClause::Sum(s) => Some(sum_inline(s)),
                    ScoreClause::Base(n, _) => Some(format!("base {}", n.text)),
                    ScoreClause::Value(e, _) => Some(format!("value {}", expr::flat(e))),
                    _ => None,
                })
                .collect();
            if let Some(items) = inline.filter(|_| written_on_one_line(p, f.span)) {
                let text = inline_block(&head, &items);
                if fits(indent, &text) {
                    p.line(indent, f.span.start, f.span.end, text);
                    return;
                }
            }
            block(
                p,
                indent,
                f.span,
                f.head.span.end,
                &head,
                f.clauses.is_empty(),
                |p| score_clauses(p, indent + INDENT, &f.clauses),
            );
        }
        ScoreClause::Adjust(a) => {
            let prefix = match &a.reason {
                Some(r) => format!("adjust {} by {} when ", string(&r.value), a.factor.text),
                None => format!("adjust by {} when ", a.factor.text),
            };
            expr_clause(p, indent, a.span, &prefix, &a.condition, "");
        }
        ScoreClause::Smooth(s) => {
            let text = match &s.kind {
                SmoothKind::MovingAverage(n) => format!("smooth moving_average({})", n.text),
                SmoothKind::Exponential(n) => format!("smooth exponential({})", n.text),
            };
            simple(p, s.span, text);
        }
        ScoreClause::MaxChange(n, span) => {
            let written = source::slice(p.src, span.start, span.end);
            let per = if written.trim_end().ends_with("period") {
                " per period"
            } else {
                ""
            };
            simple(p, *span, format!("max_change {}{per}", n.text));
        }
        ScoreClause::Floor(n, span) => simple(p, *span, format!("floor {}", n.text)),
        ScoreClause::Cap(n, span) => simple(p, *span, format!("cap {}", n.text)),
        ScoreClause::MinPeriods(n, span) => simple(p, *span, format!("min_periods {}", n.text)),
        ScoreClause::Insufficient(i) => simple(
            p,
            i.span,
            format!("insufficient data if more than {} missing", i.limit.text),
        ),
    }
}

/// `metric 30  other 70`.
fn weight_items(ws: &[Weight]) -> Vec<String> {
    ws.iter()
        .map(|w| format!("{} {}", w.metric.name, w.weight.text))
        .collect()
}

/// `layer NAME N { metric 30  other 70 }`.
fn layer_inline(g: &LayerGroup) -> String {
    let head = format!("layer {} {}", g.layer.name, g.weight.text);
    inline_block(&head, &weight_items(&g.weights))
}

fn weights_keyword(w: &Weights) -> &'static str {
    if w.overrides {
        "override weights"
    } else {
        "weights"
    }
}

/// `weights { a 30  b 70 }` on one line.
fn weights_inline(w: &Weights) -> String {
    let items: Vec<String> = w
        .items
        .iter()
        .map(|i| match i {
            WeightItem::Weight(one) => weight_items(std::slice::from_ref(one)).concat(),
            WeightItem::Layer(g) => layer_inline(g),
        })
        .collect();
    inline_block(weights_keyword(w), &items)
}

/// Weights written on one line stay on one line when they fit; otherwise one
/// weight per line: names aligned, weights right-aligned; layer groups as
/// blocks of their own (each on one line when written so and it fits).
fn weights(p: &mut Printer<'_>, indent: usize, w: &Weights) {
    if written_on_one_line(p, w.span) {
        let text = weights_inline(w);
        if fits(indent, &text) {
            p.line(indent, w.span.start, w.span.end, text);
            return;
        }
    }
    let singles: Vec<&Weight> = w
        .items
        .iter()
        .filter_map(|i| match i {
            WeightItem::Weight(w) => Some(w),
            WeightItem::Layer(_) => None,
        })
        .collect();
    let groups: Vec<&LayerGroup> = w
        .items
        .iter()
        .filter_map(|i| match i {
            WeightItem::Layer(g) => Some(g),
            WeightItem::Weight(_) => None,
        })
        .collect();
    let widths = weight_widths(&singles);
    let layer_width = groups
        .iter()
        .map(|g| width(&g.layer.name))
        .max()
        .unwrap_or(0);
    let group_weight_width = groups
        .iter()
        .map(|g| width(&g.weight.text))
        .max()
        .unwrap_or(0);
    block(
        p,
        indent,
        w.span,
        w.span.start,
        weights_keyword(w),
        w.items.is_empty(),
        |p| {
            let inner = indent + INDENT;
            for item in &w.items {
                match item {
                    WeightItem::Weight(one) => weight(p, inner, one, widths),
                    WeightItem::Layer(g) => {
                        let head = format!(
                            "layer {} {}",
                            pad(&g.layer.name, layer_width),
                            pad_left(&g.weight.text, group_weight_width)
                        );
                        if written_on_one_line(p, g.span) {
                            let text = inline_block(&head, &weight_items(&g.weights));
                            if fits(inner, &text) {
                                p.line(inner, g.span.start, g.span.end, text);
                                continue;
                            }
                        }
                        let refs: Vec<&Weight> = g.weights.iter().collect();
                        let widths = weight_widths(&refs);
                        block(
                            p,
                            inner,
                            g.span,
                            g.weight.span.end,
                            &head,
                            g.weights.is_empty(),
                            |p| {
                                for one in &g.weights {
                                    weight(p, inner + INDENT, one, widths);
                                }
                            },
                        );
                    }
                }
            }
        },
    );
}

fn weight_widths(ws: &[&Weight]) -> (usize, usize) {
    let name = ws.iter().map(|w| width(&w.metric.name)).max().unwrap_or(0);
    let number = ws.iter().map(|w| width(&w.weight.text)).max().unwrap_or(0);
    (name, number)
}

fn weight(p: &mut Printer<'_>, indent: usize, w: &Weight, (name, number): (usize, usize)) {
    let text = format!(
        "{} {}",
        pad(&w.metric.name, name),
        pad_left(&w.weight.text, number)
    );
    p.line(indent, w.span.start, w.span.end, text);
}

/// `sum { a b c }` on one line when it fits and holds no comment, else one name per line.
fn sum_inline(s: &SumClause) -> String {
    let names: Vec<&str> = s.metrics.iter().map(|m| m.name.as_str()).collect();
    if names.is_empty() {
        "sum {}".to_string()
    } else {
        format!("sum {{ {} }}", names.join(" "))
    }
}

fn sum(p: &mut Printer<'_>, indent: usize, s: &SumClause) {
    let one_line = sum_inline(s);
    if !p.has_comment_in(s.span.start, s.span.end) && fits(indent, &one_line) {
        p.line(indent, s.span.start, s.span.end, one_line);
        return;
    }
    block(
        p,
        indent,
        s.span,
        s.span.start,
        "sum",
        s.metrics.is_empty(),
        |p| {
            for m in &s.metrics {
                p.line(indent + INDENT, m.span.start, m.span.end, m.name.clone());
            }
        },
    );
}

// ─── tiers ───────────────────────────────────────────────────────────────────

fn tiers(p: &mut Printer<'_>, t: &Tiers) {
    let label_width = t
        .tiers
        .iter()
        .map(|t| width(&t.label.name))
        .max()
        .unwrap_or(0);
    let head = format!("tiers {}", t.score.name);
    let plain = t
        .tiers
        .iter()
        .all(|x| x.benefits.is_empty() && x.obligations.is_empty());
    if plain && written_on_one_line(p, t.span) {
        let items: Vec<String> = t
            .tiers
            .iter()
            .map(|x| match &x.threshold {
                Some((op, n)) => format!("{} {} {}", x.label.name, op.symbol(), n.text),
                None => format!("{} otherwise", x.label.name),
            })
            .collect();
        let text = inline_block(&head, &items);
        if fits(0, &text) {
            p.line(0, t.span.start, t.span.end, text);
            return;
        }
    }
    block(
        p,
        0,
        t.span,
        t.score.span.end,
        &head,
        t.tiers.is_empty(),
        |p| {
            for tier in &t.tiers {
                let bound = match &tier.threshold {
                    Some((op, n)) => format!("{} {}", op.symbol(), n.text),
                    None => "otherwise".to_string(),
                };
                let text = format!("{} {bound}", pad(&tier.label.name, label_width));
                let mut details: Vec<(&str, &Str)> = tier
                    .benefits
                    .iter()
                    .map(|b| ("benefit", b))
                    .chain(tier.obligations.iter().map(|o| ("obligation", o)))
                    .collect();
                if details.is_empty() {
                    p.line(INDENT, tier.span.start, tier.span.end, text);
                    continue;
                }
                details.sort_by_key(|(_, s)| s.span.start);
                let keyword_width = details.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
                block(
                    p,
                    INDENT,
                    tier.span,
                    tier.label.span.end,
                    &text,
                    false,
                    |p| {
                        for (keyword, s) in &details {
                            let line =
                                format!("{} {}", pad(keyword, keyword_width), string(&s.value));
                            p.line(2 * INDENT, s.span.start, s.span.end, line);
                        }
                    },
                );
            }
        },
    );
}

// ─── flags and rules ─────────────────────────────────────────────────────────

enum FlagClause<'t> {
    Meta(&'t Meta),
    When(&'t Expr),
}

fn flag(p: &mut Printer<'_>, f: &Flag) {
    let mut items: Vec<(usize, FlagClause<'_>)> = f
        .meta
        .iter()
        .map(|m| (m.span.start, FlagClause::Meta(m)))
        .chain(
            f.conditions
                .iter()
                .map(|e| (e.span.start, FlagClause::When(e))),
        )
        .collect();
    items.sort_by_key(|(start, _)| *start);
    let items: Vec<FlagClause<'_>> = items.into_iter().map(|(_, c)| c).collect();
    declaration(
        p,
        "flag",
        &f.name,
        f.description.as_ref(),
        f.span,
        items.is_empty(),
        |p| {
            clauses(
                p,
                INDENT,
                &items,
                |c| match c {
                    FlagClause::Meta(m) => Some(*m),
                    FlagClause::When(_) => None,
                },
                |p, indent, c| {
                    if let FlagClause::When(e) = c {
                        expr_clause(p, indent, e.span, "when ", e, "");
                    }
                },
            );
        },
    );
}

fn rule(p: &mut Printer<'_>, r: &Rule) {
    declaration(
        p,
        "rule",
        &r.name,
        r.reason.as_ref(),
        r.span,
        r.clauses.is_empty(),
        |p| {
            for c in &r.clauses {
                match c {
                    RuleClause::When(e, span) => expr_clause(p, INDENT, *span, "when ", e, ""),
                    RuleClause::Action(s, span) => {
                        p.line(
                            INDENT,
                            span.start,
                            span.end,
                            format!("action {}", string(&s.value)),
                        );
                    }
                    RuleClause::Priority(value, span) => {
                        let value = match value {
                            PriorityValue::Number(n) => n.text.clone(),
                            PriorityValue::Name(id) => id.name.clone(),
                        };
                        p.line(INDENT, span.start, span.end, format!("priority {value}"));
                    }
                }
            }
        },
    );
}

// ─── output ───────────────────────────────────────────────────────────────────

/// Columns one per line, as a table: names, then `= EXPR` of computed columns,
/// then formats, each in its own column.
fn output(p: &mut Printer<'_>, o: &Output) {
    let columns: Vec<&OutputColumn> = o
        .items
        .iter()
        .filter_map(|i| match i {
            OutputItem::Column(c) => Some(c),
            OutputItem::Decimals(..) | OutputItem::MinGroup(..) => None,
        })
        .collect();
    let name_width = columns
        .iter()
        .filter(|c| c.expr.is_some() || !c.formats.is_empty())
        .map(|c| width(&label(&c.name)))
        .max()
        .unwrap_or(0);
    // The code before the formats of each column with formats, when it fits on one line.
    let before_formats = |c: &OutputColumn| -> Option<String> {
        let name = pad(&label(&c.name), name_width);
        let code = match &c.expr {
            Some(e) => format!("{name} = {}", expr::flat(e)),
            None => name,
        };
        let line = format!("{code} {}", formats(c));
        (!c.formats.is_empty() && fits(INDENT, &line)).then_some(code)
    };
    let formats_column = columns
        .iter()
        .filter_map(|c| before_formats(c))
        .map(|code| width(&code))
        .max()
        .unwrap_or(0);
    block(
        p,
        0,
        o.span,
        o.span.start,
        "output",
        o.items.is_empty(),
        |p| {
            for item in &o.items {
                match item {
                    OutputItem::Decimals(n, span) => {
                        let text = format!("default decimals {}", n.text);
                        p.line(INDENT, span.start, span.end, text);
                    }
                    OutputItem::MinGroup(n, span) => {
                        let text = format!("min_group {}", n.text);
                        p.line(INDENT, span.start, span.end, text);
                    }
                    OutputItem::Column(c) => {
                        let formats = formats(c);
                        if let Some(code) = before_formats(c) {
                            let aligned = format!("{} {formats}", pad(&code, formats_column));
                            let text = if fits(INDENT, &aligned) {
                                aligned
                            } else {
                                format!("{code} {formats}")
                            };
                            p.line(INDENT, c.span.start, c.span.end, text);
                            continue;
                        }
                        let name = label(&c.name);
                        match &c.expr {
                            Some(e) => {
                                let prefix = format!("{} = ", pad(&name, name_width));
                                expr_clause(p, INDENT, c.span, &prefix, e, &formats);
                            }
                            None if formats.is_empty() => {
                                p.line(INDENT, c.span.start, c.span.end, name);
                            }
                            None => {
                                let text = format!("{name} {formats}");
                                p.line(INDENT, c.span.start, c.span.end, text);
                            }
                        }
                    }
                }
            }
        },
    );
}

/// `decimals 1 if missing "n/a"`.
fn formats(c: &OutputColumn) -> String {
    c.formats
        .iter()
        .map(|f| match f {
            ColumnFormat::Decimals(n, _) => format!("decimals {}", n.text),
            ColumnFormat::IfMissing(s, _) => format!("if missing {}", string(&s.value)),
            ColumnFormat::IfEmpty(s, _) => format!("if empty {}", string(&s.value)),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

// ─── tests ───────────────────────────────────────────────────────────────────

fn test(p: &mut Printer<'_>, t: &Test) {
    let head = format!("test {}", string(&t.name.value));
    block(
        p,
        0,
        t.span,
        t.name.span.end,
        &head,
        t.clauses.is_empty(),
        |p| {
            for c in &t.clauses {
                match c {
                    TestClause::GivenRow(fields, span) => given_row(p, "given", fields, *span),
                    TestClause::Defaults(fields, span) => given_row(p, "defaults", fields, *span),
                    TestClause::GivenFile(s, span) => {
                        let text = format!("given file {}", string(&s.value));
                        p.line(INDENT, span.start, span.end, text);
                    }
                    TestClause::Partner(s, span) => {
                        p.line(
                            INDENT,
                            span.start,
                            span.end,
                            format!("partner {}", string(&s.value)),
                        );
                    }
                    TestClause::Period(s, span) => {
                        p.line(
                            INDENT,
                            span.start,
                            span.end,
                            format!("period {}", string(&s.value)),
                        );
                    }
                    TestClause::GovernFile(g) => {
                        p.line(INDENT, g.span.start, g.span.end, governance_file(g));
                    }
                    TestClause::GovernRow(kind, fields, span) => {
                        given_row(p, kind.row_keyword(), fields, *span);
                    }
                    TestClause::Expect(e) => {
                        p.line(INDENT, e.span.start, e.span.end, expect(e));
                    }
                }
            }
        },
    );
}

/// `corrections "…"` or `overrides "…"`.
fn governance_file(g: &GovernFile) -> String {
    format!("{} {}", g.kind.file_keyword(), string(&g.path.value))
}

/// `given { a: 1, b: 2 }` (or `defaults { … }`) on one line when it fits and
/// holds no comment, else one field per line with the values aligned.
fn given_row(p: &mut Printer<'_>, keyword: &str, fields: &[Field], span: Span) {
    let pairs: Vec<(String, String)> = fields
        .iter()
        .map(|f| (format!("{}:", f.name.name), literal(&f.value)))
        .collect();
    let one_line = if pairs.is_empty() {
        format!("{keyword} {{}}")
    } else {
        let inside: Vec<String> = pairs.iter().map(|(n, v)| format!("{n} {v}")).collect();
        format!("{keyword} {{ {} }}", inside.join(", "))
    };
    if !p.has_comment_in(span.start, span.end) && fits(INDENT, &one_line) {
        p.line(INDENT, span.start, span.end, one_line);
        return;
    }
    let name_width = pairs.iter().map(|(n, _)| width(n)).max().unwrap_or(0);
    block(
        p,
        INDENT,
        span,
        span.start,
        keyword,
        fields.is_empty(),
        |p| {
            for (f, (name, value)) in fields.iter().zip(&pairs) {
                let text = format!("{} {value}", pad(name, name_width));
                p.line(2 * INDENT, f.span.start, f.span.end, text);
            }
        },
    );
}

fn expect(e: &Expect) -> String {
    let not = |negated: bool| if negated { "not " } else { "" };
    match &e.kind {
        ExpectKind::List {
            subject,
            negated,
            label: l,
        } => {
            let subject = match subject {
                ListSubject::Actions => "actions",
                ListSubject::Flags => "flags",
            };
            format!("expect {subject} {}contains {}", not(*negated), label(l))
        }
        ExpectKind::State {
            subject,
            negated,
            state,
        } => {
            let state = match state {
                StateWord::Provisional => "provisional",
                StateWord::Insufficient => "insufficient",
                StateWord::Missing => "missing",
            };
            format!(
                "expect {} is {}{state}",
                subject_text(subject),
                not(*negated)
            )
        }
        ExpectKind::Compare {
            subject,
            op,
            expected,
            tolerance,
        } => {
            let mut text = format!(
                "expect {} {} {}",
                subject_text(subject),
                op.symbol(),
                literal(expected)
            );
            if let Some(t) = tolerance {
                text.push_str(&format!(" within {}", t.text));
            }
            text
        }
    }
}

fn subject_text(s: &Subject) -> String {
    match &s.function {
        Some(f) => format!("{}({})", f.name, s.name.name),
        None => s.name.name.clone(),
    }
}
