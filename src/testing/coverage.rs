//! Rubric-level test coverage: which bands, scale ranges, segment lines, tiers,
//! rules, flags and guardrail clauses the rows of a scorecard's tests reach.
//!
//! Nothing is evaluated here: every row of every test is explained by
//! [`crate::explain::explain_rows`], and each explanation says which band
//! matched, which segment line gave the label, which tier was given, which
//! rules fired and which guardrails changed a value. This module only lists
//! the items and counts the rows that reached each.

use std::collections::BTreeMap;

use crate::check::range::Range;
use crate::explain::{Explanation, Guardrail, RowExplanation};
use crate::model::*;
use crate::source::SourceMap;

/// What a coverage item stands for, in model ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    /// Metric, `for` block (`None`: the metric's own rubric), band.
    Band(usize, Option<usize>, usize),
    /// Metric, `for` block, and 0 below the range, 1 inside, 2 above.
    Scale(usize, Option<usize>, u8),
    /// Segment, line.
    Segment(usize, usize),
    /// A segment taken from a column, and one of its labels.
    SegmentLabel(usize, usize),
    /// Score, tier.
    Tier(usize, usize),
    Rule(usize),
    Flag(usize),
    /// Score and clause.
    Clause(usize, Clause),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Clause {
    Insufficient,
    Smoothing,
    MaxChange,
    Floor,
    Cap,
    MinPeriods,
}

/// One thing a test can reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The source file's name as shown.
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The order of items written at the same place (the ranges of a scale).
    pub rank: usize,
    /// What it is, in words: ``metric `win_rate` band `>= 0.9` ``.
    pub what: String,
    /// How many test rows reached it.
    pub hits: u64,
}

/// The coverage items of one scorecard and the rows that reached them.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    pub items: Vec<Item>,
    /// Test rows explained.
    pub rows: u64,
    keys: BTreeMap<Key, usize>,
    /// The items the row being recorded reached.
    row: std::collections::BTreeSet<Key>,
}

fn at(sources: &SourceMap, loc: Loc) -> (String, usize, usize) {
    let (line, column) = sources
        .get(loc.file)
        .map_or((1, 1), |f| f.line_col(loc.span.start));
    (sources.name(loc.file).to_string(), line, column)
}

/// Where a guardrail clause is written: the first line of the score's block
/// that starts with its keyword (the score's own line when none does).
fn clause_loc(sources: &SourceMap, score: Loc, keyword: &str) -> Loc {
    let text = sources.text(score.file);
    let line_start = text
        .get(..score.span.start)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |k| k + 1);
    let mut offset = line_start;
    for (k, line) in text
        .get(line_start..)
        .unwrap_or("")
        .split_inclusive('\n')
        .enumerate()
    {
        let trimmed = line.trim_start();
        // The block ends at the first unindented line after the score's own.
        if k > 0 && trimmed.len() == line.len() && !trimmed.trim().is_empty() {
            break;
        }
        let after = trimmed.strip_prefix(keyword);
        if k > 0 && after.is_some_and(|rest| rest.starts_with([' ', '\t'])) {
            let mut loc = score;
            loc.span.start = offset + (line.len() - trimmed.len());
            loc.span.end = loc.span.start + keyword.len();
            return loc;
        }
        offset += line.len();
    }
    score
}

impl Coverage {
    fn add(&mut self, sources: &SourceMap, key: Key, loc: Loc, what: String) {
        let (file, line, column) = at(sources, loc);
        let rank = match key {
            Key::Scale(_, _, r) => usize::from(r),
            Key::Clause(_, c) => c as usize,
            Key::SegmentLabel(_, l) => l,
            _ => 0,
        };
        self.keys.insert(key, self.items.len());
        self.items.push(Item {
            file,
            line,
            column,
            rank,
            what,
            hits: 0,
        });
    }

    fn hit(&mut self, key: Key) {
        self.row.insert(key);
    }

    /// Every coverage item of the scorecard, none reached yet.
    pub fn of(model: &Model, sources: &SourceMap) -> Coverage {
        let mut c = Coverage::default();
        // Clamps and clauses that no value can reach are not items.
        let ranges = crate::check::range::Analyzer::new(model);
        let label = |e: EnumId, l: u32| {
            model
                .enum_type(e)
                .and_then(|t| t.labels.get(l as usize))
                .cloned()
                .unwrap_or_default()
        };
        for (m, def) in model.metrics.iter().enumerate() {
            let rubrics = std::iter::once((None, &def.rubric, String::new())).chain(
                def.segment_rubrics.iter().enumerate().map(|(k, sr)| {
                    let seg = model.segment(sr.segment);
                    let names: Vec<String> = sr
                        .labels
                        .iter()
                        .map(|l| seg.map_or_else(String::new, |s| label(s.labels, *l)))
                        .collect();
                    let seg_name = seg.map_or("", |s| s.name.as_str());
                    (
                        Some(k),
                        &sr.rubric,
                        format!(" for {seg_name} {}", names.join(", ")),
                    )
                }),
            );
            for (k, rubric, scope) in rubrics {
                match &rubric.points {
                    PointsRule::Bands(bands) => {
                        for (b, band) in bands.iter().enumerate() {
                            c.add(
                                sources,
                                Key::Band(m, k, b),
                                band.loc,
                                format!(
                                    "metric `{}`{scope} band `{}`",
                                    def.name,
                                    band.condition.describe()
                                ),
                            );
                        }
                    }
                    PointsRule::Scale { x0, x1, .. } => {
                        let n = crate::model::format_number;
                        let (lo, hi) = (x0.min(*x1), x0.max(*x1));
                        let values = ranges.metric_value(MetricId(m as u32), 0);
                        let parts = [
                            (can_be_below(values, lo), format!("below {}", n(lo))),
                            (true, format!("from {} to {}", n(lo), n(hi))),
                            (can_be_above(values, hi), format!("above {}", n(hi))),
                        ];
                        for (r, (reachable, range)) in (0u8..).zip(parts) {
                            if !reachable {
                                continue;
                            }
                            c.add(
                                sources,
                                Key::Scale(m, k, r),
                                rubric.loc,
                                format!("metric `{}`{scope} scale, value {range}", def.name),
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
        for (s, def) in model.segments.iter().enumerate() {
            if let SegmentSource::Column(_) = &def.source {
                let labels = model
                    .enum_type(def.labels)
                    .map_or(&[][..], |t| &t.labels[..]);
                for (l, name) in labels.iter().enumerate() {
                    c.add(
                        sources,
                        Key::SegmentLabel(s, l),
                        def.loc,
                        format!("segment `{}` label `{name}`", def.name),
                    );
                }
            }
            if let SegmentSource::Rules(lines) = &def.source {
                for (k, line) in lines.iter().enumerate() {
                    let what = match &line.condition {
                        Some(_) => format!(
                            "segment `{}` line `{}`",
                            def.name,
                            label(def.labels, line.label)
                        ),
                        None => format!(
                            "segment `{}` line `{}` (otherwise)",
                            def.name,
                            label(def.labels, line.label)
                        ),
                    };
                    c.add(sources, Key::Segment(s, k), line.loc, what);
                }
            }
        }
        for (s, def) in model.scores.iter().enumerate() {
            let values = ranges.unclamped(ScoreId(s as u32), 0);
            let clauses = [
                (
                    def.insufficient.is_some(),
                    Clause::Insufficient,
                    "insufficient",
                    "`insufficient data` marks a row",
                ),
                (
                    def.smoothing.is_some(),
                    Clause::Smoothing,
                    "smooth",
                    "smoothing changes a value",
                ),
                (
                    def.max_change.is_some(),
                    Clause::MaxChange,
                    "max_change",
                    "`max_change` limits a change",
                ),
                (
                    def.floor.is_some_and(|f| can_be_below(values, f)),
                    Clause::Floor,
                    "floor",
                    "`floor` raises a value",
                ),
                (
                    def.cap.is_some_and(|c| can_be_above(values, c)),
                    Clause::Cap,
                    "cap",
                    "`cap` lowers a value",
                ),
                (
                    def.min_periods.is_some(),
                    Clause::MinPeriods,
                    "min_periods",
                    "`min_periods` makes it provisional",
                ),
            ];
            for (present, clause, keyword, does) in clauses {
                if present {
                    c.add(
                        sources,
                        Key::Clause(s, clause),
                        clause_loc(sources, def.loc, keyword),
                        format!("score `{}`: {does}", def.name),
                    );
                }
            }
            if let Some(set) = &def.tiers {
                for (t, tier) in set.tiers.iter().enumerate() {
                    c.add(
                        sources,
                        Key::Tier(s, t),
                        tier.loc,
                        format!("score `{}` tier `{}`", def.name, tier.label),
                    );
                }
            }
        }
        for (f, def) in model.flags.iter().enumerate() {
            c.add(
                sources,
                Key::Flag(f),
                def.loc,
                format!("flag `{}` raised", def.name),
            );
        }
        for (r, def) in model.rules.iter().enumerate() {
            c.add(
                sources,
                Key::Rule(r),
                def.loc,
                format!("rule `{}` fires", def.name),
            );
        }
        c
    }

    /// Count what one explained row reached: each item once, however many
    /// scores read the metric.
    pub fn record(&mut self, model: &Model, row: &RowExplanation) {
        self.rows += 1;
        self.row.clear();
        for term in &row.metrics {
            let Some(m) = position(&term.metric, model.metrics.iter().map(|d| &d.name)) else {
                continue;
            };
            if let Some(b) = term.band {
                self.hit(Key::Band(m, term.rubric_for, b));
            }
            self.record_scale(model, m, term);
        }
        self.reach(model, &row.explanation);
        for key in std::mem::take(&mut self.row) {
            if let Some(item) = self.keys.get(&key).and_then(|k| self.items.get_mut(*k)) {
                item.hits += 1;
            }
        }
    }

    fn reach(&mut self, model: &Model, e: &Explanation) {
        for seg in &e.segments {
            let s = position(&seg.name, model.segments.iter().map(|d| &d.name));
            if let (Some(s), Some(line)) = (s, seg.line) {
                self.hit(Key::Segment(s, line));
            }
            let def = s.and_then(|s| model.segments.get(s).map(|d| (s, d)));
            if let (Some((s, def)), Some(label)) = (def, &seg.label) {
                let labels = model
                    .enum_type(def.labels)
                    .map_or(&[][..], |t| &t.labels[..]);
                if let (SegmentSource::Column(_), Some(l)) =
                    (&def.source, labels.iter().position(|n| n == label))
                {
                    self.hit(Key::SegmentLabel(s, l));
                }
            }
        }
        for score in &e.scores {
            let Some(s) = position(&score.name, model.scores.iter().map(|d| &d.name)) else {
                continue;
            };
            if score.insufficient.is_some() {
                self.hit(Key::Clause(s, Clause::Insufficient));
            }
            for step in score.guardrails.iter().filter(|g| g.changed) {
                let clause = match step.guardrail {
                    Guardrail::Smoothing => Clause::Smoothing,
                    Guardrail::MaxChange => Clause::MaxChange,
                    Guardrail::Floor => Clause::Floor,
                    Guardrail::Cap => Clause::Cap,
                };
                self.hit(Key::Clause(s, clause));
            }
            if score
                .provisional
                .as_ref()
                .is_some_and(|p| p.min_periods.is_some())
            {
                self.hit(Key::Clause(s, Clause::MinPeriods));
            }
            let tiers = model
                .score(ScoreId(s as u32))
                .and_then(|d| d.tiers.as_ref());
            if let (Some(set), Some(label)) =
                (tiers, score.tier.as_ref().and_then(|t| t.label.as_ref()))
            {
                if let Some(t) = set.tiers.iter().position(|t| &t.label == label) {
                    self.hit(Key::Tier(s, t));
                }
            }
        }
        for rule in &e.rules {
            if let Some(r) = position(&rule.name, model.rules.iter().map(|d| &d.name)) {
                self.hit(Key::Rule(r));
            }
        }
        for flag in &e.flags {
            if let Some(f) = position(&flag.name, model.flags.iter().map(|d| &d.name)) {
                self.hit(Key::Flag(f));
            }
        }
    }

    fn record_scale(&mut self, model: &Model, m: usize, term: &crate::explain::TermExplanation) {
        let Some(def) = model.metrics.get(m) else {
            return;
        };
        let rubric = match term.rubric_for {
            Some(k) => def.segment_rubrics.get(k).map(|sr| &sr.rubric),
            None => Some(&def.rubric),
        };
        let Some(PointsRule::Scale { x0, x1, .. }) = rubric.map(|r| &r.points) else {
            return;
        };
        let v = match term.value {
            crate::explain::Value::Number(x) => x,
            crate::explain::Value::Integer(n) => n as f64,
            _ => return,
        };
        if v.is_nan() {
            return;
        }
        let range = if v < x0.min(*x1) {
            0
        } else if v > x0.max(*x1) {
            2
        } else {
            1
        };
        self.hit(Key::Scale(m, term.rubric_for, range));
    }
}

/// Whether a value of the range may be below `x` (yes when the analysis is unsure).
fn can_be_below(r: Range, x: f64) -> bool {
    r.lo < x || r.lo.is_nan()
}

/// Whether a value of the range may be above `x` (yes when the analysis is unsure).
fn can_be_above(r: Range, x: f64) -> bool {
    r.hi > x || r.hi.is_nan()
}

/// Where `name` is among `names`.
fn position<'a>(name: &str, mut names: impl Iterator<Item = &'a String>) -> Option<usize> {
    names.position(|n| n == name)
}

/// Where an item is written and what it is: line, column, rank, words.
type Place = (usize, usize, usize, String);

/// Coverage of many scorecards, merged: an item reached through any of them counts.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// File → (line, column, what) → hits.
    pub files: BTreeMap<String, BTreeMap<Place, u64>>,
}

impl Summary {
    pub fn add(&mut self, c: &Coverage) {
        for item in &c.items {
            *self
                .files
                .entry(item.file.clone())
                .or_default()
                .entry((item.line, item.column, item.rank, item.what.clone()))
                .or_default() += item.hits;
        }
    }

    /// (covered, total) of one file's items.
    pub fn counts(items: &BTreeMap<Place, u64>) -> (usize, usize) {
        (items.values().filter(|h| **h > 0).count(), items.len())
    }

    /// (covered, total) over every file.
    pub fn total(&self) -> (usize, usize) {
        self.files
            .values()
            .map(Self::counts)
            .fold((0, 0), |(a, b), (c, d)| (a + c, b + d))
    }

    /// Per line: the fewest hits of the items written on it (a line is
    /// covered only when everything on it is).
    fn lines(items: &BTreeMap<Place, u64>) -> BTreeMap<usize, u64> {
        let mut lines: BTreeMap<usize, u64> = BTreeMap::new();
        for ((line, _, _, _), hits) in items {
            lines
                .entry(*line)
                .and_modify(|h| *h = (*h).min(*hits))
                .or_insert(*hits);
        }
        lines
    }

    /// The human summary: per file and in total, with the items never reached
    /// when `list` is set.
    pub fn human(&self, list: bool) -> String {
        let mut out = String::from("coverage\n");
        let width = self
            .files
            .keys()
            .map(|f| f.chars().count())
            .max()
            .unwrap_or(0);
        for (file, items) in &self.files {
            let (covered, total) = Self::counts(items);
            out.push_str(&format!(
                "  {file:<width$}  {covered}/{total} items  {}\n",
                percent(covered, total)
            ));
        }
        let (covered, total) = self.total();
        out.push_str(&format!(
            "  {:<width$}  {covered}/{total} items  {}\n",
            "total",
            percent(covered, total)
        ));
        if list && covered < total {
            out.push_str("never reached by a test:\n");
            for (file, items) in &self.files {
                for ((line, _, _, what), hits) in items {
                    if *hits == 0 {
                        out.push_str(&format!("  {file}:{line}  {what}\n"));
                    }
                }
            }
        }
        out
    }

    /// An lcov tracefile: `DA:line,hits` for every line with items.
    pub fn lcov(&self) -> String {
        let mut out = String::new();
        for (file, items) in &self.files {
            let lines = Self::lines(items);
            out.push_str("TN:\n");
            out.push_str(&format!("SF:{file}\n"));
            for (line, hits) in &lines {
                out.push_str(&format!("DA:{line},{hits}\n"));
            }
            out.push_str(&format!("LF:{}\n", lines.len()));
            out.push_str(&format!(
                "LH:{}\n",
                lines.values().filter(|h| **h > 0).count()
            ));
            out.push_str("end_of_record\n");
        }
        out
    }

    /// A Cobertura XML report: one class per file, one `line` per line with items.
    pub fn cobertura(&self) -> String {
        let rate = |covered: usize, total: usize| {
            if total == 0 {
                "1".to_string()
            } else {
                let mut s = String::new();
                crate::render::push_decimal(&mut s, covered as f64 / total as f64, 4);
                s
            }
        };
        let all: Vec<(&String, BTreeMap<usize, u64>)> = self
            .files
            .iter()
            .map(|(f, i)| (f, Self::lines(i)))
            .collect();
        let valid: usize = all.iter().map(|(_, l)| l.len()).sum();
        let covered: usize = all
            .iter()
            .map(|(_, l)| l.values().filter(|h| **h > 0).count())
            .sum();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!(
            "<coverage line-rate=\"{}\" branch-rate=\"0\" lines-covered=\"{covered}\" lines-valid=\"{valid}\" branches-covered=\"0\" branches-valid=\"0\" complexity=\"0\" version=\"{}\" timestamp=\"0\">\n",
            rate(covered, valid),
            env!("CARGO_PKG_VERSION")
        ));
        out.push_str("  <sources>\n    <source>.</source>\n  </sources>\n");
        out.push_str("  <packages>\n    <package name=\"scorecards\" line-rate=\"");
        out.push_str(&rate(covered, valid));
        out.push_str("\" branch-rate=\"0\" complexity=\"0\">\n      <classes>\n");
        for (file, lines) in &all {
            let hit = lines.values().filter(|h| **h > 0).count();
            let name = xml(file);
            out.push_str(&format!(
                "        <class name=\"{name}\" filename=\"{name}\" line-rate=\"{}\" branch-rate=\"0\" complexity=\"0\">\n          <methods/>\n          <lines>\n",
                rate(hit, lines.len())
            ));
            for (line, hits) in lines {
                out.push_str(&format!(
                    "            <line number=\"{line}\" hits=\"{hits}\"/>\n"
                ));
            }
            out.push_str("          </lines>\n        </class>\n");
        }
        out.push_str("      </classes>\n    </package>\n  </packages>\n</coverage>\n");
        out
    }
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Whether `covered` of `total` is below `minimum` percent, computed exactly.
pub fn below(covered: usize, total: usize, minimum: f64) -> bool {
    (covered as f64) * 100.0 < minimum * total as f64
}

/// A percentage with one decimal, rounded down so that a run shown at the
/// minimum never fails it: `87.5%`; `100%` only when everything is covered.
pub fn percent(covered: usize, total: usize) -> String {
    if total == 0 || covered == total {
        return "100%".to_string();
    }
    // Tenths of a percent, rounded down, in integers.
    let tenths = (covered as u128 * 1000) / total as u128;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rounds_down_and_is_exact_at_the_ends() {
        assert_eq!(percent(0, 0), "100%");
        assert_eq!(percent(3, 3), "100%");
        assert_eq!(percent(0, 3), "0.0%");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(2, 3), "66.6%");
        assert_eq!(percent(7999, 8000), "99.9%");
    }

    #[test]
    fn below_compares_without_rounding() {
        assert!(below(2, 3, 66.67));
        assert!(!below(2, 3, 66.66));
        assert!(!below(4, 5, 80.0));
        assert!(below(3, 5, 80.0));
        assert!(!below(0, 0, 100.0));
    }
}
