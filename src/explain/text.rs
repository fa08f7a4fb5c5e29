//! The text form of an explanation, for reading in a terminal or a ticket.

use super::*;

/// The text being written: lines longer than `width` are wrapped at spaces,
/// continued under their indent plus four; table rows are kept whole.
struct Out {
    text: String,
    line: String,
    width: usize,
}

impl Out {
    fn push_str(&mut self, s: &str) {
        for c in s.chars() {
            self.push(c);
        }
    }

    fn push(&mut self, c: char) {
        if c == '\n' {
            let line = std::mem::take(&mut self.line);
            wrap(&mut self.text, &line, self.width);
        } else {
            self.line.push(c);
        }
    }

    /// A line as it is, however long (a table row).
    fn push_line_whole(&mut self, line: &str) {
        self.text.push_str(&std::mem::take(&mut self.line));
        self.text.push_str(line);
        self.text.push('\n');
    }
}

/// Append `line` and a line end, broken at spaces so that no piece is wider
/// than `width` unless one word is; continuation lines are indented four more.
fn wrap(out: &mut String, line: &str, limit: usize) {
    if width(line) <= limit {
        out.push_str(line);
        out.push('\n');
        return;
    }
    let indent = line.len() - line.trim_start_matches(' ').len();
    let hanging = " ".repeat(indent + 4);
    let mut current = line.get(..indent).unwrap_or("").to_string();
    let mut fresh = true;
    for word in line.get(indent..).unwrap_or("").split(' ') {
        let room = width(&current) + usize::from(!fresh) + width(word);
        if !fresh && room > limit {
            out.push_str(current.trim_end());
            out.push('\n');
            current = hanging.clone();
            fresh = true;
        }
        if !fresh {
            current.push(' ');
        }
        current.push_str(word);
        fresh = false;
    }
    out.push_str(current.trim_end());
    out.push('\n');
}

/// A number: whole numbers without decimals (`6`, not `6.00`), others with two.
fn number(x: Option<f64>) -> String {
    x.map_or_else(|| "missing".to_string(), plain)
}

/// A number as a value: a whole number without decimals (`6`, not `6.00`).
fn plain(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        literal(x)
    } else {
        decimal(x)
    }
}

/// A label or text in quotes, so that one holding a comma or a `;` reads as
/// one value; control characters escaped.
fn quoted(t: &str) -> String {
    format!("{t:?}")
}

fn value(v: &Value) -> String {
    match v {
        Value::Integer(n) => n.to_string(),
        Value::Number(x) => plain(*x),
        Value::Bool(b) => b.to_string(),
        Value::Text(t) => quoted(t),
        Value::List(items) if items.is_empty() => "none".to_string(),
        Value::List(items) => items
            .iter()
            .map(|i| quoted(i))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Missing => "missing".to_string(),
    }
}

fn readings(reads: &[Reading]) -> String {
    reads
        .iter()
        .map(|r| format!("{} = {}", r.name, value(&r.value)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// Rows of cells laid out in columns; `right` marks right-aligned columns.
fn table(out: &mut Out, indent: &str, rows: &[Vec<String>], right: &[bool]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| width(s))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::from(indent);
        for (c, cell) in row.iter().enumerate() {
            let w = widths.get(c).copied().unwrap_or(0);
            let pad = " ".repeat(w.saturating_sub(width(cell)));
            if c > 0 {
                line.push_str("  ");
            }
            if right.get(c).copied().unwrap_or(false) {
                line.push_str(&pad);
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&pad);
            }
        }
        out.push_line_whole(line.trim_end());
    }
}

fn header(out: &mut Out, e: &Explanation) {
    out.push_str(&format!("partner {}", e.partner));
    if let Some(p) = &e.period {
        out.push_str(&format!(", period {p}"));
    }
    out.push('\n');
    let name = e.scorecard.as_deref().unwrap_or("(unnamed)");
    out.push_str(&format!("scorecard {name}"));
    if let Some(v) = &e.version {
        out.push_str(&format!(" version {v}"));
    }
    out.push_str(&format!(" ({})\n", e.content_hash));
    out.push_str(&format!("periods observed: {}", e.periods_observed));
    if !e.periods.is_empty() {
        out.push_str(&format!(
            " (the partner's periods: {})",
            e.periods.join(", ")
        ));
    }
    out.push('\n');
}

fn segments(out: &mut Out, e: &Explanation) {
    if e.segments.is_empty() {
        return;
    }
    out.push_str("\nsegments\n");
    let rows: Vec<Vec<String>> = e
        .segments
        .iter()
        .map(|s| {
            let label = s.label.as_deref().map_or("missing".to_string(), quoted);
            let why = match &s.reason {
                SegmentReason::Column { column } => format!("from column {column}"),
                SegmentReason::Rule { condition, reads } if reads.is_empty() => condition.clone(),
                SegmentReason::Rule { condition, reads } => {
                    format!("{condition}  ({})", readings(reads))
                }
                SegmentReason::Otherwise => "otherwise".to_string(),
                SegmentReason::NoMatch => "no line matched".to_string(),
            };
            vec![format!("{} = {label}", s.name), why]
        })
        .collect();
    table(out, "  ", &rows, &[false, false]);
}

fn weight(t: &TermExplanation) -> String {
    match (&t.layer, t.weight) {
        (Some(l), Some(w)) => format!("{} {}% × {}%", l.layer, literal(l.weight), literal(w)),
        (None, Some(w)) => format!("{}%", literal(w)),
        _ => String::new(),
    }
}

fn term_value(t: &TermExplanation) -> String {
    match (t.missing, t.counted_as) {
        (true, Some(x)) => format!("missing → counted as {}", literal(x)),
        _ => value(&t.value),
    }
}

fn meta_line(t: &TermExplanation) -> String {
    let m = &t.meta;
    let mut parts: Vec<String> = Vec::new();
    if let Some(o) = &m.owner {
        parts.push(format!("owner {o}"));
    }
    if let Some(s) = &m.source {
        parts.push(format!("source {s}"));
    }
    if let Some(l) = m.layer {
        parts.push(format!("layer {l}"));
    }
    if let Some(k) = m.kind {
        parts.push(k.to_string());
    }
    if let Some(u) = &m.unit {
        parts.push(format!("unit {u}"));
    }
    let mut line = t.metric.clone();
    if let Some(d) = &t.description {
        line.push_str(&format!(": {d}"));
    }
    if !parts.is_empty() {
        line.push_str(&format!(" ({})", parts.join(", ")));
    }
    line
}

fn terms(out: &mut Out, s: &ScoreExplanation) {
    if s.terms.is_empty() {
        return;
    }
    let sum = s.definition == "sum";
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut head = vec![
        "metric".to_string(),
        "value".into(),
        "rubric".into(),
        "points".into(),
    ];
    if !sum {
        head.push("weight".into());
    }
    head.push("contribution".into());
    rows.push(head);
    if let Some(b) = s.base {
        let mut row = vec![
            "base".to_string(),
            String::new(),
            String::new(),
            String::new(),
        ];
        if !sum {
            row.push(String::new());
        }
        row.push(plain(b));
        rows.push(row);
    }
    for t in &s.terms {
        let mut row = vec![
            t.metric.clone(),
            term_value(t),
            t.rubric.clone(),
            number(t.points),
        ];
        if !sum {
            row.push(weight(t));
        }
        row.push(number(t.contribution));
        rows.push(row);
    }
    let mut total = vec!["total".to_string()];
    total.resize(if sum { 4 } else { 5 }, String::new());
    total.push(number(s.total));
    rows.push(total);
    let right = if sum {
        vec![false, false, false, true, true]
    } else {
        vec![false, false, false, true, true, true]
    };
    table(out, "    ", &rows, &right);
    out.push_str("  metrics\n");
    for t in &s.terms {
        out.push_str(&format!("    {}\n", meta_line(t)));
    }
}

fn score(out: &mut Out, s: &ScoreExplanation) {
    out.push_str(&format!("\nscore {}", s.name));
    if let Some(d) = &s.description {
        out.push_str(&format!(": {d}"));
    }
    out.push('\n');
    match &s.definition_for {
        Some(f) => out.push_str(&format!("  definition: {} for {f}\n", s.definition)),
        None => out.push_str(&format!("  definition: {}\n", s.definition)),
    }
    if let Some(f) = &s.formula {
        out.push_str(&format!("    value {}\n", f.text));
        if !f.reads.is_empty() {
            out.push_str(&format!("    with {}\n", readings(&f.reads)));
        }
        out.push_str(&format!("    total {}\n", number(s.total)));
    }
    terms(out, s);
    for a in &s.adjustments {
        let reason = a
            .reason
            .as_deref()
            .map_or_else(String::new, |r| format!(" \"{r}\""));
        out.push_str(&format!(
            "  adjusted × {}{reason} when {}",
            literal(a.factor),
            a.condition
        ));
        if !a.reads.is_empty() {
            out.push_str(&format!(" ({})", readings(&a.reads)));
        }
        out.push_str(&format!(": {} → {}\n", number(a.before), number(a.after)));
    }
    if let Some(d) = &s.insufficient {
        out.push_str(&format!(
            "  insufficient data: {} of {} metrics missing ({}); the limit is {} missing\n",
            d.missing.len(),
            d.metrics,
            d.missing.join(", "),
            d.limit
        ));
    }
    for g in &s.guardrails {
        if g.changed {
            out.push_str(&format!(
                "  {}: {} → {}\n",
                g.detail,
                number(g.before),
                number(g.after)
            ));
        } else {
            out.push_str(&format!("  {}\n", g.detail));
        }
    }
    out.push_str(&format!("  reported {}\n", number(s.reported)));
    if let Some(p) = &s.provisional {
        let mut why: Vec<String> = Vec::new();
        if let Some(k) = p.min_periods {
            why.push(format!(
                "{} of {k} periods observed (min_periods {k})",
                p.periods_observed
            ));
        }
        if !p.from_scores.is_empty() {
            why.push(format!(
                "computed from provisional {}",
                p.from_scores.join(", ")
            ));
        }
        out.push_str(&format!("  provisional: {}\n", why.join("; ")));
    }
    if let Some(t) = &s.tier {
        tier(out, t);
    }
}

fn place(t: &TierExplanation) -> String {
    let mut parts = Vec::new();
    if let Some(a) = &t.above {
        parts.push(format!(
            "{} below {} ({})",
            plain(a.distance),
            a.label,
            a.threshold
        ));
    }
    if let Some(b) = &t.below {
        parts.push(format!("{} above {}", plain(b.distance), b.label));
    }
    parts.join("; ")
}

fn tier(out: &mut Out, t: &TierExplanation) {
    let Some(label) = &t.label else {
        out.push_str("  tier: none, the score is missing\n");
        return;
    };
    let mut line = format!("  tier {label}");
    if let Some(th) = &t.threshold {
        line.push_str(&format!(" ({th})"));
        let p = place(t);
        if !p.is_empty() {
            line.push_str(&format!("; {p}"));
        }
    } else if let Some(v) = &t.by_value {
        line.push_str(&format!(
            "; by its value it would be {} ({})",
            v.label, v.threshold
        ));
        let p = place(t);
        if !p.is_empty() {
            line.push_str(&format!("; {p}"));
        }
    }
    out.push_str(&line);
    out.push('\n');
    for b in &t.benefits {
        out.push_str(&format!("    benefit: {b}\n"));
    }
    for o in &t.obligations {
        out.push_str(&format!("    obligation: {o}\n"));
    }
}

fn named(name: &str, words: Option<&str>, extra: &str) -> String {
    let mut line = format!("  {name}");
    if let Some(w) = words {
        line.push_str(&format!(": {w}"));
    }
    if !extra.is_empty() {
        line.push_str(&format!(" ({extra})"));
    }
    line.push('\n');
    line
}

fn condition(out: &mut Out, condition: &str, reads: &[Reading]) {
    out.push_str(&format!("    when {condition}\n"));
    if !reads.is_empty() {
        out.push_str(&format!("    with {}\n", readings(reads)));
    }
}

fn rules_and_flags(out: &mut Out, e: &Explanation) {
    if e.rules.is_empty() {
        out.push_str("\nrules fired: none\n");
    } else {
        out.push_str("\nrules fired\n");
        for r in &e.rules {
            out.push_str(&named(
                &r.name,
                r.reason.as_deref(),
                &format!("priority {}", r.priority),
            ));
            condition(out, &r.condition, &r.reads);
            let actions: Vec<String> = r.actions.iter().map(|a| quoted(a)).collect();
            out.push_str(&format!("    actions: {}\n", actions.join(", ")));
        }
    }
    if e.flags.is_empty() {
        out.push_str("\nflags raised: none\n");
    } else {
        out.push_str("\nflags raised\n");
        for f in &e.flags {
            out.push_str(&named(
                &f.name,
                f.description.as_deref(),
                f.kind.as_deref().unwrap_or(""),
            ));
            condition(out, &f.condition, &f.reads);
        }
    }
}

fn actions(out: &mut Out, e: &Explanation) {
    if e.actions.is_empty() {
        out.push_str("\nactions: none\n");
        return;
    }
    out.push_str("\nactions\n");
    for (k, a) in e.actions.iter().enumerate() {
        out.push_str(&format!("  {}. {} (rule {})\n", k + 1, a.action, a.rule));
    }
}

/// The explanation as text: header, segments, each score, rules and flags, actions.
pub fn text(e: &Explanation) -> String {
    text_wrapped(e, usize::MAX)
}

/// [`text`] with every line but table rows wrapped to `width` characters.
pub fn text_wrapped(e: &Explanation, width: usize) -> String {
    let mut out = Out {
        text: String::new(),
        line: String::new(),
        width,
    };
    header(&mut out, e);
    segments(&mut out, e);
    for s in &e.scores {
        score(&mut out, s);
    }
    rules_and_flags(&mut out, e);
    actions(&mut out, e);
    out.text.push_str(&out.line);
    out.text
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn long_lines_wrap_at_spaces_under_a_hanging_indent() {
        let mut out = String::new();
        wrap(&mut out, "  one two three four five six", 14);
        assert_eq!(out, "  one two\n      three\n      four\n      five six\n");
        let mut out = String::new();
        wrap(&mut out, "  short", 14);
        assert_eq!(out, "  short\n");
        // A word longer than the width stays whole.
        let mut out = String::new();
        wrap(&mut out, "a verylongwordindeed b", 8);
        assert_eq!(out, "a\n    verylongwordindeed\n    b\n");
    }
}
