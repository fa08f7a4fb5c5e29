//! The stages of the query: one CTE per stage, each adding its columns to
//! those of the stage before.
//!
//! One concern in one file: the stages in query order, so that each stage is
//! read next to the stage whose columns it uses.

use std::collections::BTreeSet;

use super::expr::Writer;
use super::quote::{bytewise, double_type, ident, number, text, text_type};
use super::{Dialect, Options, Period, Refusal, fsum, names, numbers, refused};
use crate::diag::Diagnostic;
use crate::model::{
    BandCond, BandDef, GroupKey, Loc, MetricId, Model, RuleId, ScoreId, Smoothing, Type,
};
use crate::plan::{CDefinition, CExpr, CPoints, CRubric, Item, Plan, SiteKind};
use crate::vocab::Normalizer;

pub struct Builder<'a> {
    model: &'a Model,
    plan: &'a Plan,
    options: &'a Options,
    w: Writer<'a>,
    ctes: Vec<(String, String)>,
    /// For the last stage, when it only adds columns: its names, what it reads and its columns.
    open: Option<Open>,
    done: BTreeSet<Item>,
    /// The items being built, outermost first: who asked for a function.
    asking: Vec<Item>,
    /// Input columns' earlier values taken with the partner's ordering: (column, rows back).
    lags: BTreeSet<(String, u32)>,
    errors: Vec<Diagnostic>,
    recursive: bool,
    key: String,
    period: String,
}

type Step = Result<(), Refusal>;

/// The last stage while it only adds columns: its names, what it reads, its columns.
type Open = (Vec<String>, String, Vec<(String, String)>);

impl<'a> Builder<'a> {
    pub fn new(model: &'a Model, plan: &'a Plan, options: &'a Options) -> Self {
        let name = |c: Option<crate::model::ColumnId>| {
            c.and_then(|c| model.contract.column(c))
                .map(|d| d.name.clone())
                .unwrap_or_default()
        };
        Builder {
            model,
            plan,
            options,
            w: Writer {
                model,
                dialect: options.dialect,
            },
            ctes: Vec::new(),
            open: None,
            done: BTreeSet::new(),
            asking: Vec::new(),
            lags: BTreeSet::new(),
            errors: Vec::new(),
            recursive: false,
            key: name(model.contract.key),
            period: name(model.contract.period),
        }
    }

    fn d(&self) -> Dialect {
        self.options.dialect
    }

    fn id(&self, name: &str) -> String {
        ident(self.d(), name)
    }

    fn prev(&self) -> String {
        self.ctes
            .last()
            .map(|(n, _)| self.id(n))
            .unwrap_or_default()
    }

    fn unique(&self, name: &str) -> String {
        // PostgreSQL keeps 63 bytes of a name.
        let mut base: String = name.to_string();
        while base.len() > 55 {
            base.pop();
        }
        let mut candidate = base.clone();
        let mut k = 2;
        while self.ctes.iter().any(|(n, _)| *n == candidate) {
            candidate = format!("{base} {k}");
            k += 1;
        }
        candidate
    }

    /// A stage adding columns to the previous one. Columns that read none of
    /// the previous stage's own columns join that stage, so the query stays
    /// shallow (Spark's analyzer takes a step per stage).
    fn add(&mut self, name: &str, columns: Vec<(String, String)>) {
        if let Some((names, from, cols)) = self.open.take() {
            let reads_open = columns
                .iter()
                .any(|(_, e)| cols.iter().any(|(c, _)| e.contains(&self.id(c))));
            if !reads_open {
                self.ctes.pop();
                let mut names = names;
                names.push(name.to_string());
                let mut cols = cols;
                cols.extend(columns);
                self.push_open(names, from, cols);
                return;
            }
        }
        let from = self.prev();
        self.push_open(vec![name.to_string()], from, columns);
    }

    fn push_open(&mut self, names: Vec<String>, from: String, columns: Vec<(String, String)>) {
        let list: Vec<String> = columns
            .iter()
            .map(|(c, e)| format!("{e} AS {}", self.id(c)))
            .collect();
        let body = format!("SELECT *,\n    {}\n  FROM {from}", list.join(",\n    "));
        let title = match names.as_slice() {
            [one] => one.clone(),
            [first, rest @ ..] => format!("{first} and {} more", rest.len()),
            [] => "stage".to_string(),
        };
        let name = self.unique(&title);
        self.ctes.push((name, body));
        self.open = Some((names, from, columns));
    }

    fn add_body(&mut self, name: &str, body: String) -> String {
        self.open = None;
        let name = self.unique(name);
        self.ctes.push((name.clone(), body));
        name
    }

    fn fail(&mut self, refusal: Refusal, loc: Loc, owner: &str) {
        let diagnostic = refused(&refusal, self.d(), loc, owner);
        if !self.errors.contains(&diagnostic) {
            self.errors.push(diagnostic);
        }
    }

    pub fn scores(mut self) -> Result<String, Vec<Diagnostic>> {
        let root = self.model.contract.loc.unwrap_or_default();
        if self.model.contract.key.is_none() || self.model.contract.period.is_none() {
            self.fail(
                Refusal::new("an input contract without a key and a period column"),
                root,
                "the input contract",
            );
            return Err(self.errors);
        }
        self.input();
        let mut roots: Vec<Item> = Vec::new();
        for c in &self.plan.outputs {
            crate::plan::expr_items(&c.expr, &mut roots);
            if matches!(c.expr, CExpr::Actions) {
                roots.extend((0..self.model.rules.len()).map(|i| Item::Rule(RuleId(i as u32))));
            }
            if matches!(c.expr, CExpr::Flags) {
                roots.extend(
                    (0..self.model.flags.len()).map(|i| Item::Flag(crate::model::FlagId(i as u32))),
                );
            }
        }
        for item in roots {
            self.need(item);
        }
        self.outputs();
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        Ok(self.assemble())
    }

    fn assemble(&self) -> String {
        let m = self.model;
        let mut out = format!(
            "-- scorecard {} version {} ({})\n-- compiled by scorecard {} for {}; rows: {}\n",
            m.name.as_deref().unwrap_or("(unnamed)"),
            m.version.as_deref().unwrap_or("(none)"),
            m.content_hash,
            env!("CARGO_PKG_VERSION"),
            self.d().name(),
            match self.options.period {
                Period::Latest => "each partner's latest period",
                Period::All => "every period",
            }
        );
        let ctes: Vec<&(String, String)> = self.ctes.iter().filter(|(n, _)| n != FINAL).collect();
        if self.d() == Dialect::Spark {
            // Each stage is a step of the analyzer, whose default limit is 100.
            out.push_str(&format!(
                "SET spark.sql.analyzer.maxIterations = {};\n",
                (ctes.len() * 2).max(100) + 100
            ));
        }
        out.push_str(if self.recursive {
            "WITH RECURSIVE\n"
        } else {
            "WITH\n"
        });
        let parts: Vec<String> = ctes
            .iter()
            .map(|(n, b)| format!("{} AS (\n  {b}\n)", self.id(n)))
            .collect();
        out.push_str(&parts.join(",\n"));
        out.push('\n');
        if let Some((_, last)) = self.ctes.iter().find(|(n, _)| n == FINAL) {
            out.push_str(last);
        }
        out.push_str(";\n");
        out
    }

    /// The valid rows, typed, with each row's place in its partner's history.
    fn input(&mut self) {
        let d = self.d();
        let contract = &self.model.contract;
        let mut columns = Vec::new();
        for c in &contract.columns {
            columns.push(format!(
                "{} AS {}",
                cast(d, c.ty, &self.id(&c.name)),
                self.id(&c.name)
            ));
        }
        let checks = checks(self.model, d);
        let valid = if checks.is_empty() {
            "TRUE".to_string()
        } else {
            checks
                .iter()
                .map(|(_, _, fails)| format!("NOT coalesce({fails}, FALSE)"))
                .collect::<Vec<_>>()
                .join("\n    AND ")
        };
        let body = format!(
            "SELECT {}\n  FROM {}\n  WHERE {valid}",
            columns.join(",\n    "),
            self.options.from
        );
        self.add_body("input rows that meet the contract", body);
        let (k, p) = (self.id(&self.key), self.id(&self.period));
        let pb = bytewise(d, &p);
        // One ordering of each partner's rows gives the position, the latest
        // row and a second row for a period (next to the first).
        let w = format!("OVER (PARTITION BY {k} ORDER BY {pb})");
        // The earlier values of input columns that history functions read,
        // from the same ordering.
        use crate::model::HistoryFn as H;
        for site in &self.plan.sites {
            let (SiteKind::History(h), CExpr::Column(c, _)) = (&site.kind, &site.input) else {
                continue;
            };
            let deepest = match h {
                H::Previous | H::Change | H::PctChange => 1,
                H::MovingAverage(k) => k.saturating_sub(1),
                _ => 0,
            };
            if let Some(col) = self.model.contract.column(*c) {
                for k in 1..=deepest {
                    self.lags.insert((col.name.clone(), k));
                }
            }
        }
        let lags: String = self
            .lags
            .iter()
            .map(|(name, k)| {
                format!(
                    ",\n    lag({}, {k}) {w} AS {}",
                    self.id(name),
                    self.id(&lag_name(name, *k))
                )
            })
            .collect();
        let body = format!(
            "SELECT *,\n    row_number() {w} AS {pos},\n    \
             lead({p}) {w} IS NULL AS {latest},\n    \
             coalesce(lag({p}) {w} = {p}, FALSE) AS {again}{lags}\n  FROM {prev}",
            pos = self.id(names::POSITION),
            latest = self.id(names::LATEST),
            again = self.id("#again"),
            prev = self.prev(),
        );
        self.add_body("rows in partner history order", body);
        // `score` keeps the first of the rows with one key and period, in
        // the file's order, which a table does not have: the query stops.
        let duplicate = stop(
            d,
            "a key and period on more than one row (list them with `scorecard compile --rejects`)",
            &format!("concat({k}, ' ', {p})"),
            "BOOLEAN",
        );
        let body = format!(
            "SELECT * FROM {}\n  WHERE NOT {} OR {duplicate}",
            self.prev(),
            self.id("#again")
        );
        self.add_body("one row per key and period", body);
    }

    fn need(&mut self, item: Item) {
        if self.done.contains(&item) {
            return;
        }
        self.done.insert(item);
        self.asking.push(item);
        for dep in self.plan.dependencies(item, self.model) {
            if dep != item {
                self.need(dep);
            }
        }
        self.asking.pop();
        let (loc, owner) = self.owner(item);
        if let Err(r) = self.emit(item) {
            self.fail(r, loc, &owner);
        }
    }

    fn owner(&self, item: Item) -> (Loc, String) {
        let m = self.model;
        match item {
            Item::Segment(s) => m
                .segment(s)
                .map(|d| (d.loc, format!("segment `{}`", d.name))),
            Item::MetricValue(x) | Item::MetricPoints(x) => {
                m.metric(x).map(|d| (d.loc, format!("metric `{}`", d.name)))
            }
            Item::Score(s) => m.score(s).map(|d| (d.loc, format!("score `{}`", d.name))),
            Item::Flag(f) => m.flag(f).map(|d| (d.loc, format!("flag `{}`", d.name))),
            Item::Rule(r) => m
                .rules
                .get(r.index())
                .map(|d| (d.loc, format!("rule `{}`", d.name))),
            Item::Site(i) => {
                let owner = self
                    .plan
                    .sites
                    .get(i)
                    .and_then(|s| s.metric_value)
                    .and_then(|mv| m.metric(mv));
                match owner {
                    Some(d) => Some((d.loc, format!("metric `{}`", d.name))),
                    // The item whose expression holds the function.
                    None => {
                        let holder = self
                            .asking
                            .iter()
                            .rev()
                            .find(|a| !matches!(a, Item::Site(_)))
                            .copied();
                        return match holder {
                            Some(h) => self.owner(h),
                            None => (m.contract.loc.unwrap_or_default(), "the scorecard".into()),
                        };
                    }
                }
            }
        }
        .unwrap_or((m.contract.loc.unwrap_or_default(), "the scorecard".into()))
    }

    fn emit(&mut self, item: Item) -> Step {
        match item {
            Item::Segment(s) => {
                let def = self
                    .model
                    .segment(s)
                    .ok_or_else(|| Refusal::new("an unknown segment"))?;
                let labels = self.model.enum_type(def.labels);
                let sql = match self.plan.segments.get(s.index()) {
                    Some(Some(rules)) => {
                        let mut out = String::from("CASE");
                        for (label, cond) in rules {
                            let name = labels
                                .and_then(|t| t.labels.get(*label as usize))
                                .map_or(String::new(), |l| text(self.d(), l));
                            match cond {
                                Some(c) => {
                                    let c = self.w.expr(c, None)?;
                                    out.push_str(&format!(
                                        " WHEN {} THEN {name}",
                                        self.w.holds(&c)
                                    ));
                                }
                                None => out.push_str(&format!(" WHEN TRUE THEN {name}")),
                            }
                        }
                        out.push_str(" ELSE NULL END");
                        out
                    }
                    _ => match &def.source {
                        crate::model::SegmentSource::Column(c) => self
                            .model
                            .contract
                            .column(*c)
                            .map(|c| self.id(&c.name))
                            .ok_or_else(|| Refusal::new("an unknown column"))?,
                        crate::model::SegmentSource::Rules(_) => {
                            return Err(Refusal::new("a segment without rules"));
                        }
                    },
                };
                let name = names::segment(self.model, s);
                self.add(&format!("segment {}", def.name), vec![(name, sql)]);
            }
            Item::MetricValue(m) => {
                let cm = self
                    .plan
                    .metrics
                    .get(m.index())
                    .ok_or_else(|| Refusal::new("an unknown metric"))?;
                let value = self.w.expr(&cm.value, None)?;
                let missing = format!("({value} IS NULL)");
                let filled = match cm.missing_value {
                    Some(fill) if cm.value_ty.is_numeric() => {
                        format!("coalesce({value}, {})", number(self.d(), fill))
                    }
                    _ => value,
                };
                let name = self.model.metric(m).map_or("?", |d| d.name.as_str());
                self.add(
                    &format!("metric {name}"),
                    vec![
                        (names::metric(self.model, m, "missing"), missing),
                        (names::metric(self.model, m, "value"), filled),
                    ],
                );
            }
            Item::MetricPoints(m) => {
                let cm = self
                    .plan
                    .metrics
                    .get(m.index())
                    .ok_or_else(|| Refusal::new("an unknown metric"))?;
                let value = self.id(&names::metric(self.model, m, "value"));
                let base = self.rubric(&cm.rubric, &value, m)?;
                let sql = if cm.segment_rubrics.is_empty() {
                    base
                } else {
                    let mut out = String::from("CASE");
                    for (seg, labels, r) in &cm.segment_rubrics {
                        let test = self.segment_in(*seg, labels);
                        out.push_str(&format!(" WHEN {test} THEN {}", self.rubric(r, &value, m)?));
                    }
                    out.push_str(&format!(" ELSE {base} END"));
                    out
                };
                let name = self.model.metric(m).map_or("?", |d| d.name.as_str());
                self.add(
                    &format!("points {name}"),
                    vec![(names::metric(self.model, m, "points"), sql)],
                );
            }
            Item::Site(i) => self.site(i)?,
            Item::Score(s) => self.score(s)?,
            Item::Flag(f) => {
                let name = self.model.flag(f).map_or("?", |d| d.name.as_str());
                let (title, column) = (format!("flag {name}"), names::flag(self.model, f));
                let c = self.plan.flags.get(f.index());
                self.condition(&title, column, c, "an unknown flag")?;
            }
            Item::Rule(r) => {
                let rule = self.model.rules.get(r.index());
                let name = rule.map_or("?", |d| d.name.as_str());
                let (title, column) = (format!("rule {name}"), names::rule(self.model, r));
                let c = self.plan.rules.get(r.index());
                self.condition(&title, column, c, "an unknown rule")?;
            }
        }
        Ok(())
    }

    /// A flag's or a rule's condition, as the boolean column `column` of
    /// the stage `title`: whether it holds (missing is false).
    fn condition(&mut self, title: &str, column: String, c: Option<&CExpr>, unknown: &str) -> Step {
        let c = c.ok_or_else(|| Refusal::new(unknown))?;
        let sql = self.w.holds(&self.w.expr(c, None)?);
        self.add(title, vec![(column, sql)]);
        Ok(())
    }

    fn segment_in(&self, seg: crate::model::SegmentId, labels: &[u32]) -> String {
        let def = self.model.segment(seg);
        let t = def.and_then(|d| self.model.enum_type(d.labels));
        let names: Vec<String> = labels
            .iter()
            .filter_map(|l| t.and_then(|t| t.labels.get(*l as usize)))
            .map(|l| text(self.d(), l))
            .collect();
        let col = self.id(&names::segment(self.model, seg));
        if names.is_empty() {
            return "FALSE".into();
        }
        format!("coalesce({col} IN ({}), FALSE)", names.join(", "))
    }

    fn rubric(&self, r: &CRubric, value: &str, m: MetricId) -> Result<String, Refusal> {
        let d = self.d();
        let n = |x: f64| number(d, x);
        let sql = match &r.points {
            CPoints::Identity => value.to_string(),
            CPoints::Scale { x0, p0, x1, p1 } => {
                let (rise, run) = (p1 - p0, x1 - x0);
                let step = format!("({} * ({value} - {})) / {}", n(rise), n(*x0), n(run));
                let y = if *p0 == 0.0 {
                    format!("({step})")
                } else {
                    format!("({} + {step})", n(*p0))
                };
                let (lo, hi) = (p0.min(*p1), p0.max(*p1));
                format!(
                    "CASE WHEN {y} IS NULL THEN NULL WHEN {y} < {lo} THEN {lo} WHEN {y} > {hi} THEN {hi} ELSE {y} END",
                    lo = n(lo),
                    hi = n(hi)
                )
            }
            CPoints::Bands(bands) => self.bands(bands, value, m)?,
            CPoints::Site(i) => self.id(&names::site(*i)),
            CPoints::Expr(e) => self.w.expr(e, Some(value))?,
        };
        Ok(match r.missing_points {
            Some(fill) => format!("coalesce({sql}, {})", n(fill)),
            None => sql,
        })
    }

    fn bands(&self, bands: &[BandDef], value: &str, m: MetricId) -> Result<String, Refusal> {
        let d = self.d();
        let n = |x: f64| number(d, x);
        let ty = self
            .plan
            .metrics
            .get(m.index())
            .map_or(Type::Number, |c| c.value_ty);
        let mut out = String::from("CASE");
        for band in bands {
            let cond = match &band.condition {
                BandCond::Missing => format!("{value} IS NULL"),
                BandCond::Else => format!("{value} IS NOT NULL"),
                BandCond::Compare(op, x) => {
                    let sym = match op {
                        crate::vocab::CmpOp::Eq => "=",
                        crate::vocab::CmpOp::Ne => "<>",
                        crate::vocab::CmpOp::Lt => "<",
                        crate::vocab::CmpOp::Le => "<=",
                        crate::vocab::CmpOp::Gt => ">",
                        crate::vocab::CmpOp::Ge => ">=",
                    };
                    if !ty.is_numeric() {
                        "FALSE".into()
                    } else {
                        format!("{value} {sym} {}", n(*x))
                    }
                }
                BandCond::Interval {
                    low,
                    low_closed,
                    high,
                    high_closed,
                } => {
                    if !ty.is_numeric() {
                        "FALSE".into()
                    } else {
                        format!(
                            "{value} {} {} AND {value} {} {}",
                            if *low_closed { ">=" } else { ">" },
                            n(*low),
                            if *high_closed { "<=" } else { "<" },
                            n(*high)
                        )
                    }
                }
                BandCond::Labels(names) => {
                    let as_text = match ty {
                        Type::Enum(_) | Type::Text => value.to_string(),
                        Type::Bool => {
                            format!(
                                "CASE WHEN {value} THEN 'true' WHEN NOT {value} THEN 'false' END"
                            )
                        }
                        _ => {
                            // A number matches a label written as `score`
                            // writes that number (`format_number`): the one
                            // number, if any, whose text the label is.
                            let numbers: Vec<String> = names
                                .iter()
                                .filter_map(|l| l.parse::<f64>().ok())
                                .filter(|x| x.is_finite())
                                .filter(|x| names.contains(&crate::model::format_number(*x)))
                                .map(|x| format!("{value} = {}", n(x)))
                                .collect();
                            let cond = if numbers.is_empty() {
                                "FALSE".to_string()
                            } else {
                                format!("({})", numbers.join(" OR "))
                            };
                            out.push_str(&format!(" WHEN {cond} THEN {}", n(band.points)));
                            continue;
                        }
                    };
                    let list: Vec<String> = names.iter().map(|l| text(d, l)).collect();
                    format!("{as_text} IN ({})", list.join(", "))
                }
            };
            out.push_str(&format!(" WHEN {cond} THEN {}", n(band.points)));
        }
        out.push_str(" ELSE NULL END");
        Ok(out)
    }

    /// The peer group: the same period, and the same value of each `within` key.
    fn group_columns(&self, within: &[GroupKey]) -> Vec<String> {
        std::iter::once(self.id(&self.period))
            .chain(within.iter().map(|g| {
                match g {
                    GroupKey::Column(c) => self
                        .model
                        .contract
                        .column(*c)
                        .map_or(String::new(), |c| self.id(&c.name)),
                    GroupKey::Segment(s) => self.id(&names::segment(self.model, *s)),
                }
            }))
            .collect()
    }

    fn site(&mut self, i: usize) -> Step {
        let site = self
            .plan
            .sites
            .get(i)
            .ok_or_else(|| Refusal::new("an unknown function"))?;
        let d = self.d();
        let input = match &site.input {
            CExpr::MetricValue(_) | CExpr::Column(..) => self.w.expr(&site.input, None)?,
            other => {
                let sql = self.w.expr(other, None)?;
                let col = format!("{}.input", names::site(i));
                self.add(&format!("function {i} input"), vec![(col.clone(), sql)]);
                self.id(&col)
            }
        };
        let x = &input;
        let dbl = double_type(d);
        let sql = match &site.kind {
            SiteKind::Population { kind, within } => {
                let groups = self.group_columns(within);
                let by = |extra: &[String]| {
                    let all: Vec<String> = groups.iter().chain(extra).cloned().collect();
                    if all.is_empty() {
                        String::new()
                    } else {
                        format!("PARTITION BY {}", all.join(", "))
                    }
                };
                match kind {
                    // 100 × less + 50 × equal = 50 × ((rank - 1) + count up
                    // to and with the equal values: the default frame), all
                    // from one ordering of the peers; missing values last,
                    // so that neither counts them, and `count(x)` the peers
                    // with a value.
                    Normalizer::Percentile => {
                        let w = format!("{} ORDER BY {x} NULLS LAST", by(&[]));
                        format!(
                            "CASE WHEN {x} IS NULL THEN NULL ELSE \
                             CAST(50 * ((rank() OVER ({w}) - 1) + count(*) OVER ({w})) AS {dbl}) \
                             / CAST(count({x}) OVER ({w} ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS {dbl}) END"
                        )
                    }
                    Normalizer::MinMax => {
                        let lo = format!("min({x}) OVER ({})", by(&[]));
                        let hi = format!("max({x}) OVER ({})", by(&[]));
                        format!(
                            "CASE WHEN {x} IS NULL THEN NULL WHEN {hi} = {lo} THEN {fifty} \
                             ELSE ({hundred} * ({x} - {lo})) / ({hi} - {lo}) END",
                            fifty = number(d, 50.0),
                            hundred = number(d, 100.0)
                        )
                    }
                    Normalizer::ZScore => self.zscore(i, x, &groups)?,
                }
            }
            SiteKind::History(h) => {
                let over = format!(
                    "OVER (PARTITION BY {} ORDER BY {})",
                    self.id(&self.key),
                    self.id(names::POSITION)
                );
                let early = match &site.input {
                    CExpr::Column(c, _) => self.model.contract.column(*c).map(|c| c.name.clone()),
                    _ => None,
                };
                let lag = |k: u32| {
                    if k == 0 {
                        return x.clone();
                    }
                    match &early {
                        // Taken with the partner's ordering of the rows.
                        Some(name) if self.lags.contains(&(name.clone(), k)) => {
                            ident(d, &lag_name(name, k))
                        }
                        _ => format!("lag({x}, {k}) {over}"),
                    }
                };
                let zero = number(d, 0.0);
                let pos = self.id(names::POSITION);
                let running = format!(
                    "OVER (PARTITION BY {} ORDER BY {pos} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
                    self.id(&self.key),
                );
                use crate::model::HistoryFn as H;
                match h {
                    H::Previous => lag(1),
                    H::Change => format!("({x} - {})", lag(1)),
                    H::PctChange => format!("(({x} - {p}) / NULLIF({p}, {zero}))", p = lag(1)),
                    H::MovingAverage(k) => {
                        let mut out = String::from("CASE");
                        for size in (1..=*k).rev() {
                            let mut sum = zero.clone();
                            for j in (0..size).rev() {
                                sum = format!("({sum} + {})", lag(j));
                            }
                            out.push_str(&format!(
                                " WHEN {} >= {size} THEN {sum} / {}",
                                self.id(names::POSITION),
                                number(d, f64::from(size))
                            ));
                        }
                        out.push_str(" END");
                        out
                    }
                    H::RunningCount => format!("CAST(count({x}) {running} AS {dbl})"),
                    // Equal values (0 and -0) differ in no cell or comparison.
                    H::RunningMin => format!("min({x}) {running}"),
                    H::RunningMax => format!("max({x}) {running}"),
                    H::PeriodsSince => {
                        // The last row where the condition was true, and
                        // the last where it was missing.
                        let last_true = format!("max(CASE WHEN {x} THEN {pos} END) {running}");
                        let last_unknown =
                            format!("max(CASE WHEN {x} IS NULL THEN {pos} END) {running}");
                        format!(
                            "CASE WHEN {last_true} IS NULL OR {last_unknown} > {last_true} THEN NULL \
                             ELSE CAST({pos} - {last_true} AS {dbl}) END"
                        )
                    }
                    H::Streak => {
                        let last_false =
                            format!("coalesce(max(CASE WHEN NOT {x} THEN {pos} END) {running}, 0)");
                        let last_unknown =
                            format!("max(CASE WHEN {x} IS NULL THEN {pos} END) {running}");
                        format!(
                            "CASE WHEN NOT {x} THEN {zero} WHEN {last_unknown} > {last_false} THEN NULL \
                             ELSE CAST({pos} - {last_false} AS {dbl}) END"
                        )
                    }
                    H::Trend(k) => {
                        let over = over.clone();
                        let slope = self.trend(i, *k, x, &over)?;
                        let stop = stop(
                            d,
                            "trend: a step is beyond the range of binary64; score with scorecard score",
                            x,
                            dbl,
                        );
                        format!(
                            "CASE WHEN {slope} IS NULL THEN NULL WHEN abs({slope}) <= {} THEN {slope} ELSE {stop} END",
                            number(d, f64::MAX)
                        )
                    }
                    H::RunningSum => self.running_sum(i, x, &running),
                }
            }
        };
        self.add(&format!("function {i}"), vec![(names::site(i), sql)]);
        Ok(())
    }

    /// The running sum of the values present so far, exactly as `score`
    /// sums them ([`fsum`]): the partials after each value, then rounded.
    /// DuckDB folds each partner's rows once, keeping each row's partials
    /// (then unnested and joined back); Spark folds the partner's values so
    /// far (a window's list) on each row; PostgreSQL carries the partials
    /// along the partner's rows in a recursive CTE, each value added by a
    /// recursion over them.
    fn running_sum(&mut self, i: usize, x: &str, running: &str) -> String {
        let d = self.d();
        let a = fsum::Arrays { d };
        let pos = self.id(names::POSITION);
        let values = self.id(&format!("#function{i}.values"));
        let partials_col = format!("#function{i}.partials");
        let partials = self.id(&partials_col);
        let start = fsum::round_start(d);
        let fields = ["h", "l", "st", "nx", "ov"];
        match d {
            Dialect::DuckDb | Dialect::Spark => {
                let duck = d == Dialect::DuckDb;
                let list = if duck {
                    format!(
                        "list_transform(list_sort(list_filter(list({{'p': {pos}, 'x': {x}}}) {running}, \
                         lambda sc_e: sc_e.x IS NOT NULL)), lambda sc_e: sc_e.x)"
                    )
                } else {
                    format!(
                        "transform(array_sort(filter(collect_list(named_struct('p', {pos}, 'x', {x})) {running}, \
                         sc_e -> sc_e.x IS NOT NULL)), sc_e -> sc_e.x)"
                    )
                };
                let record = |pairs: &[(&str, String)]| struct_of(d, pairs);
                // fold(list, start, step over (acc, y), finish over t)
                let fold = |list: &str,
                            start: &str,
                            acc: &str,
                            y: &str,
                            step: &str,
                            t: &str,
                            finish: &str| {
                    if duck {
                        format!(
                            "list_transform([list_reduce({list}, lambda {acc}, {y}: {step}, {start})], lambda {t}: {finish})[1]"
                        )
                    } else {
                        format!(
                            "aggregate({list}, {start}, ({acc}, {y}) -> {step}, {t} -> {finish})"
                        )
                    }
                };
                let (x1, k1, o1) = fsum::add_step(&a, "sc_s.x", "sc_s.k", "sc_s.o", "sc_y");
                let value = if duck { "sc_e.x" } else { "sc_v" };
                let inner = fold(
                    "sc_acc.p",
                    &record(&[
                        ("x", value.into()),
                        ("k", a.empty()),
                        ("o", "sc_acc.o".into()),
                    ]),
                    "sc_s",
                    "sc_y",
                    &record(&[("x", x1), ("k", k1), ("o", o1)]),
                    "sc_t",
                    &record(&[
                        ("p", fsum::add_done(&a, "sc_t.x", "sc_t.k", "sc_t.o")),
                        ("o", "sc_t.o".into()),
                    ]),
                );
                if duck {
                    // One fold along each partner's rows, whose accumulator
                    // keeps each row's partials: linear in a history's
                    // length, where a fold per row is quadratic.
                    let key = self.id(&self.key);
                    let base = self.prev();
                    let (hk, hp, hpart) = (self.id("#key"), self.id("#pos"), self.id("#p"));
                    let keep = |p: &str, o: &str| {
                        format!(
                            "{{'p': {p}, 'o': {o}, 'out': list_append(sc_acc.out, {{'pos': sc_e.pos, 'p': {p}}})}}"
                        )
                    };
                    let step = format!(
                        "CASE WHEN sc_e.x IS NULL THEN {} ELSE list_transform([{inner}], lambda sc_n: {})[1] END",
                        keep("sc_acc.p", "sc_acc.o"),
                        keep("sc_n.p", "sc_n.o"),
                    );
                    let start = format!(
                        "{{'p': {}, 'o': FALSE, 'out': CAST([] AS STRUCT(pos BIGINT, p DOUBLE[])[])}}",
                        a.empty()
                    );
                    let body = format!(
                        "SELECT {hk}, u.pos AS {hp}, u.p AS {hpart}\n  FROM (\n    \
                         SELECT {hk}, unnest(h) AS u FROM (\n    \
                         SELECT {key} AS {hk}, list_reduce(list({{'pos': CAST({pos} AS BIGINT), 'x': {x}}} ORDER BY {pos}),\n      \
                         lambda sc_acc, sc_e: {step},\n      {start}).out AS h\n    FROM {base} GROUP BY {key}) g)"
                    );
                    let history = self.add_body(&format!("function {i} partials"), body);
                    let body = format!(
                        "SELECT b.*, g.{hpart} AS {partials}\n  FROM {base} b JOIN {} g ON b.{key} = g.{hk} AND b.{pos} = g.{hp}",
                        self.id(&history),
                    );
                    self.add_body(&format!("function {i} sum so far"), body);
                } else {
                    let added = fold(
                        &values,
                        &record(&[("p", a.empty()), ("o", "FALSE".into())]),
                        "sc_acc",
                        "sc_v",
                        &inner,
                        "sc_t",
                        "sc_t.p",
                    );
                    self.add(
                        &format!("function {i} values"),
                        vec![(format!("#function{i}.values"), list)],
                    );
                    self.add(
                        &format!("function {i} partials"),
                        vec![(partials_col, added)],
                    );
                }
                let s = fsum::Rounding::fields("sc_r.");
                let step = fsum::round_step(d, &s, "sc_y");
                let pairs: Vec<(&str, String)> = fields.iter().copied().zip(step).collect();
                let init: Vec<(&str, String)> = fields.iter().copied().zip(start).collect();
                let reversed = if duck {
                    format!("list_reverse({partials})")
                } else {
                    format!("reverse({partials})")
                };
                fold(
                    &reversed,
                    &record(&init),
                    "sc_r",
                    "sc_y",
                    &record(&pairs),
                    "sc_r",
                    &fsum::round_done(d, &s),
                )
            }
            Dialect::Postgres => {
                self.recursive = true;
                let key = self.id(&self.key);
                let base = self.prev();
                let (hk, hp, hx, hpart, ho) = (
                    self.id("#key"),
                    self.id("#pos"),
                    self.id("#x"),
                    self.id("#p"),
                    self.id("#o"),
                );
                let steps = self.add_body(
                    &format!("function {i} steps"),
                    format!("SELECT {key}, {pos}, {x} AS {hx} FROM {base}"),
                );
                let steps = self.id(&steps);
                let me = self.unique(&format!("function {i} partials"));
                // Adding b's value to the partials `p` (overflowed: `o`).
                let add = |p: &str, o: &str| {
                    let y = format!("({p})[t.j + 1]");
                    let (x1, k1, o1) = fsum::add_step(&a, "t.x", "t.k", "t.o", &y);
                    format!(
                        "LATERAL (WITH RECURSIVE t(j, x, k, o) AS (\n      \
                         SELECT 0, coalesce(b.{hx}, {zero}), {empty}, FALSE\n      UNION ALL\n      \
                         SELECT t.j + 1, {x1}, {k1}, {o1}\n      FROM t WHERE t.j < cardinality({p}) AND NOT t.o \
                         AND b.{hx} IS NOT NULL AND NOT {o})\n    \
                     SELECT CASE WHEN b.{hx} IS NULL OR {o} THEN {p} ELSE {done} END AS p,\n      \
                     ({o} OR (b.{hx} IS NOT NULL AND t.o)) AS o\n    FROM t ORDER BY t.j DESC LIMIT 1) n",
                        zero = number(d, 0.0),
                        empty = a.empty(),
                        done = fsum::add_done(&a, "t.x", "t.k", "t.o"),
                    )
                };
                let body = format!(
                    "SELECT b.{key} AS {hk}, b.{pos} AS {hp}, n.p AS {hpart}, n.o AS {ho}\n  \
                     FROM {steps} b CROSS JOIN {first}\n  WHERE b.{pos} = 1\n  UNION ALL\n  \
                     SELECT b.{key}, b.{pos}, n.p, n.o\n  \
                     FROM {me_id} g JOIN {steps} b ON b.{key} = g.{hk} AND b.{pos} = g.{hp} + 1\n  \
                     CROSS JOIN {next}",
                    first = add(&a.empty(), "FALSE"),
                    next = add(&format!("g.{hpart}"), &format!("g.{ho}")),
                    me_id = self.id(&me),
                );
                let history = self.add_body(&me, body);
                let body = format!(
                    "SELECT b.*, g.{hpart} AS {partials}\n  FROM {base} b JOIN {} g ON b.{key} = g.{hk} AND b.{pos} = g.{hp}",
                    self.id(&history),
                );
                self.add_body(&format!("function {i} sum so far"), body);
                let s = fsum::Rounding::fields("r.");
                let y = format!("{partials}[cardinality({partials}) - r.j]");
                let step = fsum::round_step(d, &s, &y);
                let [h0, l0, st0, nx0, ov0] = start;
                let [h1, l1, st1, nx1, ov1] = step;
                format!(
                    "(WITH RECURSIVE r(j, h, l, st, nx, ov) AS (\n      \
                     SELECT 0, {h0}, {l0}, {st0}, {nx0}, {ov0}\n      UNION ALL\n      \
                     SELECT r.j + 1, {h1}, {l1}, {st1}, {nx1}, {ov1}\n      \
                     FROM r WHERE r.j < cardinality({partials}))\n    \
                     SELECT {done} FROM r ORDER BY r.j DESC LIMIT 1)",
                    done = fsum::round_done(d, &s),
                )
            }
        }
    }

    /// The least-squares slope of the last `k` values (fewer on a partner's
    /// first rows) against 0, 1, 2, …, as `score` computes it: the mean of
    /// the values and `sxy` summed oldest first from 0, the constants
    /// (`j - mean j`, `sxx`) computed here with the same binary64 steps;
    /// missing with fewer than two values or a missing one among them.
    fn trend(&mut self, i: usize, k: u32, x: &str, over: &str) -> Result<String, Refusal> {
        const LONGEST: u32 = 24;
        if k > LONGEST {
            return Ok(self.trend_fold(i, k, x));
        }
        let d = self.d();
        let n = |v: f64| number(d, v);
        let lag_col = |j: u32| format!("#function{i}.lag{j}");
        let lags: Vec<(String, String)> = (1..k)
            .map(|j| (lag_col(j), format!("lag({x}, {j}) {over}")))
            .collect();
        if !lags.is_empty() {
            self.add(&format!("function {i} window"), lags);
        }
        let lag = |j: u32| {
            if j == 0 {
                x.to_string()
            } else {
                ident(d, &lag_col(j))
            }
        };
        let mean_col = |m: u32| format!("#function{i}.mean{m}");
        let mut means = Vec::new();
        for size in 2..=k {
            let mut sum = n(0.0);
            for j in 0..size {
                sum = format!("({sum} + {})", lag(size - 1 - j));
            }
            means.push((mean_col(size), format!("{sum} / {}", n(f64::from(size)))));
        }
        if !means.is_empty() {
            self.add(&format!("function {i} window means"), means);
        }
        let pos = self.id(names::POSITION);
        let mut out = String::from("CASE");
        for size in (2..=k).rev() {
            let m = f64::from(size);
            let mx = (0..size).fold(0.0, |a, j| a + f64::from(j)) / m;
            let sxx = (0..size).fold(0.0, |a, j| {
                let dx = f64::from(j) - mx;
                a + dx * dx
            });
            let my = self.id(&mean_col(size));
            let mut sxy = n(0.0);
            for j in 0..size {
                // The j-th value of the window, oldest first.
                let y = lag(size - 1 - j);
                sxy = format!("({sxy} + {} * ({y} - {my}))", n(f64::from(j) - mx));
            }
            out.push_str(&format!(" WHEN {pos} >= {size} THEN {sxy} / {}", n(sxx)));
        }
        out.push_str(" ELSE NULL END");
        // A column: the caller reads the slope three times.
        let slope = format!("#function{i}.slope");
        self.add(&format!("function {i} slope"), vec![(slope.clone(), out)]);
        Ok(self.id(&slope))
    }

    /// The slope over more rows than are written out term by term: the
    /// last `k` values (fewer on a partner's first rows) as a list, each sum
    /// a fold over it from 0, oldest first (in PostgreSQL, `sum` in the
    /// list's order, which adds one value at a time and differs from a fold
    /// from 0 only in the sign of a zero, which `0 +` restores); `j` and its
    /// mean are summed the same way. Returns the column of the slope.
    fn trend_fold(&mut self, i: usize, k: u32, x: &str) -> String {
        let d = self.d();
        let dbl = double_type(d);
        let zero = number(d, 0.0);
        let key = self.id(&self.key);
        let pos = self.id(names::POSITION);
        let part = |p: &str| format!("#function{i}.{p}");
        let (ys, my, mx, slope) = (
            self.id(&part("last")),
            self.id(&part("mean")),
            self.id(&part("mean position")),
            part("slope"),
        );
        let frame = format!(
            "OVER (PARTITION BY {key} ORDER BY {pos} ROWS BETWEEN {} PRECEDING AND CURRENT ROW)",
            k - 1
        );
        let m = match d {
            Dialect::DuckDb => format!("CAST(len({ys}) AS {dbl})"),
            Dialect::Postgres => format!("CAST(cardinality({ys}) AS {dbl})"),
            Dialect::Spark => format!("CAST(size({ys}) AS {dbl})"),
        };
        // The list, the two means, the two sums, as each engine folds.
        let (list, mean_y, mean_j, sxy, sxx) = match d {
            Dialect::DuckDb => (
                format!(
                    "list_transform(list_sort(list({{'p': {pos}, 'y': {x}}}) {frame}), lambda sc_e: sc_e.y)"
                ),
                format!("list_reduce({ys}, lambda sc_a, sc_y: sc_a + sc_y, {zero})"),
                format!(
                    "list_reduce(range(len({ys})), lambda sc_a, sc_j: sc_a + CAST(sc_j AS {dbl}), {zero})"
                ),
                format!(
                    "list_reduce({ys}, lambda sc_a, sc_y, sc_i: sc_a + (CAST(sc_i - 1 AS {dbl}) - {mx}) * (sc_y - {my}), {zero})"
                ),
                format!(
                    "list_reduce(range(len({ys})), lambda sc_a, sc_j: sc_a + (CAST(sc_j AS {dbl}) - {mx}) * (CAST(sc_j AS {dbl}) - {mx}), {zero})"
                ),
            ),
            Dialect::Spark => {
                let js = format!("sequence(0, greatest(size({ys}) - 1, 0))");
                (
                    format!(
                        "transform(array_sort(collect_list(named_struct('p', {pos}, 'y', {x})) {frame}), sc_e -> sc_e.y)"
                    ),
                    format!("aggregate({ys}, {zero}, (sc_a, sc_y) -> sc_a + sc_y)"),
                    format!("aggregate({js}, {zero}, (sc_a, sc_j) -> sc_a + CAST(sc_j AS {dbl}))"),
                    format!(
                        "aggregate({js}, {zero}, (sc_a, sc_j) -> sc_a + (CAST(sc_j AS {dbl}) - {mx}) * (element_at({ys}, sc_j + 1) - {my}))"
                    ),
                    format!(
                        "aggregate({js}, {zero}, (sc_a, sc_j) -> sc_a + (CAST(sc_j AS {dbl}) - {mx}) * (CAST(sc_j AS {dbl}) - {mx}))"
                    ),
                )
            }
            Dialect::Postgres => {
                let sum = |term: &str| {
                    format!(
                        "({zero} + (SELECT sum({term} ORDER BY u.o) FROM unnest({ys}) WITH ORDINALITY u(y, o)))"
                    )
                };
                let j = format!("CAST(u.o - 1 AS {dbl})");
                (
                    format!("array_agg({x}) {frame}"),
                    format!(
                        "CASE WHEN array_position({ys}, NULL) IS NOT NULL THEN NULL ELSE {} END",
                        sum("u.y")
                    ),
                    sum(&j),
                    sum(&format!("({j} - {mx}) * (u.y - {my})")),
                    sum(&format!("({j} - {mx}) * ({j} - {mx})")),
                )
            }
        };
        self.add(&format!("function {i} window"), vec![(part("last"), list)]);
        self.add(
            &format!("function {i} window means"),
            vec![
                (part("mean"), format!("{mean_y} / {m}")),
                (part("mean position"), format!("{mean_j} / {m}")),
            ],
        );
        // Fewer than two values, or a missing one among them: missing.
        self.add(
            &format!("function {i} slope"),
            vec![(
                slope.clone(),
                format!("CASE WHEN {m} < 2 OR {my} IS NULL THEN NULL ELSE {sxy} / {sxx} END"),
            )],
        );
        self.id(&slope)
    }

    /// Per peer group (rows with a value only): `cols`, aggregates, then
    /// joined back onto every row. Groups are matched on their text and
    /// whether they are missing, so that the join is an equality join.
    fn group_stats(&mut self, title: &str, groups: &[String], x: &str, cols: &[(String, String)]) {
        self.group_stats_in_steps(title, groups, x, &[cols.to_vec()], &[]);
    }

    /// [`Self::group_stats`] with further columns computed from each
    /// group's row: `steps[0]` are the aggregates, each later step's
    /// columns read the earlier ones (an enclosing `SELECT`); all are
    /// joined back but those named in `hidden`.
    fn group_stats_in_steps(
        &mut self,
        title: &str,
        groups: &[String],
        x: &str,
        steps: &[Vec<(String, String)>],
        hidden: &[String],
    ) {
        let cols: &[(String, String)] = steps.first().map_or(&[], |c| c.as_slice());
        let d = self.d();
        let t = text_type(d);
        let base = self.prev();
        let mut keys = Vec::new();
        let mut on = Vec::new();
        for (k, g) in groups.iter().enumerate() {
            let (gk, nk) = (self.id(&format!("#g{k}")), self.id(&format!("#n{k}")));
            let text_of = |g: &str| format!("coalesce(CAST({g} AS {t}), '')");
            keys.push((format!("{} AS {gk}", text_of(g)), text_of(g)));
            keys.push((format!("({g} IS NULL) AS {nk}"), format!("({g} IS NULL)")));
            on.push(format!("{} = s.{gk}", text_of(&format!("b.{g}"))));
            on.push(format!("(b.{g} IS NULL) = s.{nk}"));
        }
        let select: Vec<String> = keys
            .iter()
            .map(|(a, _)| a.clone())
            .chain(cols.iter().map(|(c, e)| format!("{e} AS {}", self.id(c))))
            .collect();
        let by: Vec<String> = keys.iter().map(|(_, e)| e.clone()).collect();
        let mut body = format!(
            "SELECT {}\n  FROM {base} WHERE {x} IS NOT NULL\n  GROUP BY {}",
            select.join(",\n    "),
            by.join(", ")
        );
        for step in steps.iter().skip(1) {
            let more: Vec<String> = step
                .iter()
                .map(|(c, e)| format!("{e} AS {}", self.id(c)))
                .collect();
            body = format!(
                "SELECT g.*, {}\n  FROM (\n  {body}\n  ) g",
                more.join(",\n    ")
            );
        }
        let stats = self.add_body(title, body);
        let added: Vec<String> = steps
            .iter()
            .flatten()
            .filter(|(c, _)| !hidden.contains(c))
            .map(|(c, _)| format!("s.{}", self.id(c)))
            .collect();
        let on = if on.is_empty() {
            "TRUE".to_string()
        } else {
            on.join(" AND ")
        };
        let body = format!(
            "SELECT b.*, {}\n  FROM {base} b LEFT JOIN {} s ON {on}",
            added.join(", "),
            self.id(&stats)
        );
        self.add_body(&format!("{title} by row"), body);
    }

    /// `sum(term)` over a peer group's values in increasing order, from 0,
    /// one addition at a time, as `score` sums them.
    fn ordered_sum(&self, x: &str, term: &str) -> String {
        let dbl = double_type(self.d());
        match self.d() {
            Dialect::DuckDb => format!(
                "list_reduce(list({term} ORDER BY {x}), lambda a, b: a + b, CAST(0 AS {dbl}))"
            ),
            // An aggregate with ORDER BY reads its rows in that order; `sum`
            // adds them one at a time (starting from the first, which
            // changes no result: 0 + t is t but for the sign of a zero,
            // which a z-score does not show).
            Dialect::Postgres => format!("sum({term} ORDER BY {x})"),
            Dialect::Spark => format!(
                "aggregate(transform(array_sort(collect_list(named_struct('k', {x}, 't', {term}))), e -> e.t), \
                 CAST(0 AS {dbl}), (a, t) -> a + t)"
            ),
        }
    }

    /// `(x - mean) / sd` among the peers, the mean and the variance (of the
    /// population) summed in increasing order of value, as `score` sums
    /// them; 0 for every member when the deviation is 0. Where `score`
    /// rescales the values first (a mean or variance beyond the range of
    /// binary64, or a variance below 1e-270 among values that differ), the
    /// query stops with an error rather than give another number.
    fn zscore(&mut self, i: usize, x: &str, groups: &[String]) -> Result<String, Refusal> {
        let d = self.d();
        let dbl = double_type(d);
        let part = |p: &str| format!("#z{i}.{p}");
        let (n, lo, hi, s0, var) = (
            self.id(&part("n")),
            self.id(&part("lo")),
            self.id(&part("hi")),
            self.id(&part("sum")),
            format!("({} / {})", self.id(&part("squares")), self.id(&part("n"))),
        );
        let mean = format!("({s0} / {n})");
        let count = (part("n"), format!("CAST(count(*) AS {dbl})"));
        let lo_hi = [
            (part("lo"), format!("min({x})")),
            (part("hi"), format!("max({x})")),
        ];
        if d == Dialect::Spark {
            // One grouping and one join back: the peers' values sorted
            // once, then the sum and the squared deviations folded over
            // them in increasing order. (Spark inlines a stage at each
            // place it is read: a second join back would double the plan
            // below it again.)
            let values = part("values");
            let zero = format!("CAST(0 AS {dbl})");
            let v = format!("g.{}", self.id(&values));
            let g_mean = format!("(g.{s0} / g.{n})");
            let steps = vec![
                vec![
                    count,
                    lo_hi[0].clone(),
                    lo_hi[1].clone(),
                    (values.clone(), format!("array_sort(collect_list({x}))")),
                ],
                vec![(
                    part("sum"),
                    format!("aggregate({v}, {zero}, (a, t) -> a + t)"),
                )],
                vec![(
                    part("squares"),
                    format!(
                        "aggregate({v}, {zero}, (a, t) -> a + (t - {g_mean}) * (t - {g_mean}))"
                    ),
                )],
            ];
            self.group_stats_in_steps(
                &format!("function {i} peer statistics"),
                groups,
                x,
                &steps,
                &[values],
            );
        } else {
            let mut cols = vec![count];
            cols.extend(lo_hi);
            cols.push((part("sum"), self.ordered_sum(x, x)));
            self.group_stats(&format!("function {i} peer sums"), groups, x, &cols);
            let square = format!("({x} - {mean}) * ({x} - {mean})");
            let cols = vec![(part("squares"), self.ordered_sum(x, &square))];
            self.group_stats(&format!("function {i} peer deviations"), groups, x, &cols);
        }
        let limit = number(d, f64::MAX);
        let safe = format!(
            "(abs({mean}) <= {limit} AND abs({var}) <= {limit} AND ({var} >= {} OR {lo} = {hi}))",
            number(d, 1e-270)
        );
        let sd = format!("sqrt({var})");
        let z = format!("({x} - {mean}) / {sd}");
        let stop = stop(
            d,
            "zscore: the values of a peer group are too large or too close together to sum directly; score with scorecard score",
            x,
            dbl,
        );
        Ok(format!(
            "CASE WHEN {x} IS NULL THEN NULL WHEN NOT {safe} THEN {stop} WHEN {sd} = 0 THEN {zero} \
             WHEN abs({z}) <= {limit} THEN {z} ELSE NULL END",
            zero = number(d, 0.0)
        ))
    }

    fn definition(&self, def: &CDefinition) -> Result<String, Refusal> {
        let d = self.d();
        let n = |x: f64| number(d, x);
        let points = |m: &MetricId| self.id(&names::metric(self.model, *m, "points"));
        let weighted = |terms: &[(f64, MetricId)]| {
            let mut acc = n(0.0);
            for (w, m) in terms {
                acc = format!("({acc} + {} * {})", n(*w), points(m));
            }
            acc
        };
        Ok(match def {
            CDefinition::Weighted(t) => weighted(t),
            CDefinition::Layered(layers) => {
                let mut acc = n(0.0);
                for (w, t) in layers {
                    acc = format!("({acc} + {} * {})", n(*w), weighted(t));
                }
                acc
            }
            CDefinition::Sum { base, metrics } => {
                let mut acc = n(*base);
                for m in metrics {
                    acc = format!("({acc} + {})", points(m));
                }
                acc
            }
            CDefinition::Value(e) => self.w.expr(e, None)?,
        })
    }

    fn score(&mut self, s: ScoreId) -> Step {
        let d = self.d();
        let n = |x: f64| number(d, x);
        let (cs, def) = match (self.plan.scores.get(s.index()), self.model.score(s)) {
            (Some(a), Some(b)) => (a, b),
            _ => return Err(Refusal::new("an unknown score")),
        };
        let col = |part: &str| names::score(self.model, s, part);
        let name = def.name.clone();
        // Which definition each row uses: the first matching `for` block.
        let mut defs: Vec<(Option<String>, &CDefinition)> = Vec::new();
        for (seg, labels, dd) in &cs.overrides {
            defs.push((Some(self.segment_in(*seg, labels)), dd));
        }
        defs.push((None, &cs.definition));
        let choose = |parts: Vec<String>| -> String {
            if parts.len() == 1 {
                return parts.into_iter().next().unwrap_or_default();
            }
            let mut out = String::from("CASE");
            for ((test, _), p) in defs.iter().zip(&parts) {
                match test {
                    Some(t) => out.push_str(&format!(" WHEN {t} THEN {p}")),
                    None => out.push_str(&format!(" ELSE {p} END")),
                }
            }
            out
        };
        let mut raws = Vec::new();
        let mut insufficient = Vec::new();
        for (_, dd) in &defs {
            raws.push(self.definition(dd)?);
            let metrics = dd.metrics();
            let missing = if metrics.is_empty() {
                "0".to_string()
            } else {
                metrics
                    .iter()
                    .map(|m| {
                        format!(
                            "CASE WHEN {} THEN 1 ELSE 0 END",
                            self.id(&names::metric(self.model, *m, "missing"))
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" + ")
            };
            let total = metrics.len() as f64;
            insufficient.push(match def.insufficient {
                None => "FALSE".to_string(),
                Some(rule) if rule.percent => {
                    if total > 0.0 {
                        format!(
                            "CAST({missing} AS {}) * {} > {}",
                            double_type(d),
                            n(100.0),
                            n(rule.limit * total)
                        )
                    } else {
                        "FALSE".into()
                    }
                }
                Some(rule) => format!("CAST({missing} AS {}) > {}", double_type(d), n(rule.limit)),
            });
        }
        self.add(
            &format!("score {name}"),
            vec![
                (col("raw"), choose(raws)),
                (col("insufficient"), choose(insufficient)),
            ],
        );
        let mut adjusted = self.id(&col("raw"));
        for (k, (factor, cond)) in cs.adjustments.iter().enumerate() {
            let c = self.w.expr(cond, None)?;
            let next = col(&format!("adjusted{}", k + 1));
            self.add(
                &format!("score {name} adjustment {}", k + 1),
                vec![(
                    next.clone(),
                    format!(
                        "CASE WHEN {} THEN {adjusted} * {} ELSE {adjusted} END",
                        self.w.holds(&c),
                        n(*factor)
                    ),
                )],
            );
            adjusted = self.id(&next);
        }
        let x = self.id(&col("x"));
        let mut columns = vec![(
            col("x"),
            format!(
                "CASE WHEN {} THEN NULL ELSE {adjusted} END",
                self.id(&col("insufficient"))
            ),
        )];
        let exponential = match def.smoothing {
            Some(Smoothing::Exponential(a)) => Some(a),
            _ => None,
        };
        if let Some(Smoothing::MovingAverage(k)) = def.smoothing {
            // The mean of the values present among the last k rows, oldest first.
            let over = format!(
                "OVER (PARTITION BY {} ORDER BY {})",
                self.id(&self.key),
                self.id(names::POSITION)
            );
            let lag = |j: u32| {
                if j == 0 {
                    x.clone()
                } else {
                    format!("lag({x}, {j}) {over}")
                }
            };
            let mut sum = n(0.0);
            let mut count = "0".to_string();
            for j in (0..k).rev() {
                let v = lag(j);
                sum = format!("CASE WHEN {v} IS NULL THEN {sum} ELSE {sum} + {v} END");
                count = format!("{count} + CASE WHEN {v} IS NULL THEN 0 ELSE 1 END");
            }
            self.add(&format!("score {name} inputs"), columns);
            columns = vec![(
                col("moving"),
                format!(
                    "CASE WHEN {x} IS NULL THEN NULL ELSE ({sum}) / CAST({count} AS {}) END",
                    double_type(d)
                ),
            )];
        } else {
            self.add(&format!("score {name} inputs"), columns);
            columns = vec![(col("moving"), x.clone())];
        }
        let recurrence = exponential.is_some() || def.max_change.is_some();
        if !columns.is_empty() {
            self.add(&format!("score {name} smoothing"), columns);
        }
        let guard = |s: &str, pr: &str| -> String {
            let mut r = s.to_string();
            if let Some(dlt) = def.max_change {
                r = format!(
                    "CASE WHEN {s} IS NULL OR {pr} IS NULL THEN {s} WHEN {s} < {pr} - {dd} THEN {pr} - {dd} \
                     WHEN {s} > {pr} + {dd} THEN {pr} + {dd} ELSE {s} END",
                    dd = n(dlt)
                );
            }
            if let Some(f) = def.floor {
                r = format!("CASE WHEN {r} < {f} THEN {f} ELSE {r} END", f = n(f));
            }
            if let Some(c) = def.cap {
                r = format!("CASE WHEN {r} > {c} THEN {c} ELSE {r} END", c = n(c));
            }
            r
        };
        if recurrence {
            let smooth = |xv: &str, ps: &str, moving: &str| -> String {
                match exponential {
                    Some(a) => format!(
                        "CASE WHEN {xv} IS NULL THEN NULL WHEN {ps} IS NULL THEN {xv} ELSE {} * {xv} + {} * {ps} END",
                        n(a),
                        n(1.0 - a)
                    ),
                    None => moving.to_string(),
                }
            };
            self.recurrence(&name, s, exponential.is_some(), &smooth, &guard)?;
        } else {
            let moving = self.id(&col("moving"));
            self.add(
                &format!("score {name} reported"),
                vec![
                    (col("smoothed"), moving.clone()),
                    (col("reported"), guard(&moving, "NULL")),
                ],
            );
        }
        // Provisional, then the tier.
        let mut provisional = Vec::new();
        if let Some(k) = def.min_periods {
            provisional.push(format!("{} < {k}", self.id(names::POSITION)));
        }
        for o in &cs.reads_scores {
            provisional.push(self.id(&names::score(self.model, *o, "provisional")));
        }
        let provisional = if provisional.is_empty() {
            "FALSE".to_string()
        } else {
            format!("({})", provisional.join(" OR "))
        };
        self.add(
            &format!("score {name} provisional"),
            vec![(col("provisional"), provisional)],
        );
        if let Some(set) = &def.tiers {
            let reported = self.id(&col("reported"));
            let mut out = format!(
                "CASE WHEN {} THEN {} WHEN {} THEN {} WHEN {reported} IS NULL THEN NULL",
                self.id(&col("insufficient")),
                text(d, crate::model::INSUFFICIENT_DATA),
                self.id(&col("provisional")),
                text(d, crate::model::PROVISIONAL),
            );
            for t in &set.tiers {
                let label = text(d, &t.label);
                match t.threshold {
                    None => out.push_str(&format!(" WHEN TRUE THEN {label}")),
                    Some((op, v)) => out.push_str(&format!(
                        " WHEN {reported} {} {} THEN {label}",
                        match op {
                            crate::vocab::CmpOp::Eq => "=",
                            crate::vocab::CmpOp::Ne => "<>",
                            crate::vocab::CmpOp::Lt => "<",
                            crate::vocab::CmpOp::Le => "<=",
                            crate::vocab::CmpOp::Gt => ">",
                            crate::vocab::CmpOp::Ge => ">=",
                        },
                        n(v)
                    )),
                }
            }
            out.push_str(" ELSE NULL END");
            self.add(&format!("tier {name}"), vec![(col("tier"), out)]);
        }
        Ok(())
    }

    /// Smoothing and guardrails that read the previous row's result: a
    /// recurrence along each partner's rows.
    fn recurrence(
        &mut self,
        name: &str,
        s: ScoreId,
        exponential: bool,
        smooth: &dyn Fn(&str, &str, &str) -> String,
        guard: &dyn Fn(&str, &str) -> String,
    ) -> Step {
        let d = self.d();
        let col = |part: &str| names::score(self.model, s, part);
        let base = self.prev();
        let key = self.id(&self.key);
        let pos = self.id(names::POSITION);
        let dbl = double_type(d);
        let x = self.id(&col("x"));
        let moving = self.id(&col("moving"));
        let (hk, hp, hs, hr, hps, hpr) = (
            self.id("#key"),
            self.id("#pos"),
            self.id("#s"),
            self.id("#r"),
            self.id("#ps"),
            self.id("#pr"),
        );
        let history = match d {
            Dialect::DuckDb | Dialect::Spark => {
                // On each row, a fold over the partner's earlier rows in
                // period order (a window: no grouping, unnesting or join
                // back, so no stage is read twice and Spark, which inlines
                // a stage at each reference, plans each stage once) gives
                // the previous results; this row's are then computed once
                // from them. Without exponential smoothing the fold
                // carries the previous reported value alone, over the
                // smoothed values. A missing value leaves the accumulator
                // as it was.
                let duck = d == Dialect::DuckDb;
                let null = format!("CAST(NULL AS {dbl})");
                let frame = format!(
                    "OVER (PARTITION BY {key} ORDER BY {pos} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
                );
                let h = self.id(&col("history"));
                // Spark's `collect_list` promises no order: the rows are
                // sorted by position first.
                let list = |fields: &[(&str, String)]| -> String {
                    match fields {
                        [(_, one)] if duck => format!("list({one}) {frame}"),
                        _ if duck => format!("list({}) {frame}", struct_of(d, fields)),
                        _ => {
                            let mut sorted = vec![("p", format!("CAST({pos} AS BIGINT)"))];
                            sorted.extend(fields.iter().cloned());
                            format!(
                                "array_sort(collect_list({}) {frame})",
                                struct_of(d, &sorted)
                            )
                        }
                    }
                };
                let fold = |list: String, start: &str, step: &str| -> String {
                    if duck {
                        format!("list_reduce({list},\n      lambda acc, e: {step},\n      {start})")
                    } else {
                        format!("aggregate({list},\n      {start},\n      (acc, e) -> {step})")
                    }
                };
                let record = |pairs: &[(&str, String)]| struct_of(d, pairs);
                let (folded, ps, pr) = if exponential {
                    let s1 = smooth("e.x", "acc.ps", "e.m");
                    let r1 = guard(&s1, "acc.pr");
                    let step = record(&[
                        ("ps", format!("coalesce({s1}, acc.ps)")),
                        ("pr", format!("coalesce({r1}, acc.pr)")),
                    ]);
                    let start = record(&[("ps", null.clone()), ("pr", null.clone())]);
                    (
                        fold(
                            list(&[("x", x.clone()), ("m", moving.clone())]),
                            &start,
                            &step,
                        ),
                        format!("{h}.ps"),
                        format!("{h}.pr"),
                    )
                } else {
                    // DuckDB folds the smoothed values, Spark the sorted records.
                    let r1 = guard(if duck { "e" } else { "e.m" }, "acc");
                    let step = format!("coalesce({r1}, acc)");
                    (
                        fold(list(&[("m", moving.clone())]), &null, &step),
                        null.clone(),
                        h.clone(),
                    )
                };
                let history = self.add_body(
                    &format!("score {name} history"),
                    format!("SELECT *, {folded} AS {h}\n  FROM {base}"),
                );
                let smoothed = self.id(&col("smoothed"));
                let s1 = smooth(&x, &ps, &moving);
                let body = format!("SELECT *, {s1} AS {smoothed}\n  FROM {}", self.id(&history),);
                let smoothing = self.add_body(&format!("score {name} smoothed"), body);
                // DuckDB drops the fold's column; Spark keeps it (its name
                // is the score's own).
                let all = if duck {
                    format!("* EXCLUDE ({h})")
                } else {
                    "*".to_string()
                };
                let body = format!(
                    "SELECT {all}, {} AS {}\n  FROM {}",
                    guard(&smoothed, &pr),
                    self.id(&col("reported")),
                    self.id(&smoothing),
                );
                self.add_body(&format!("score {name} reported"), body);
                return Ok(());
            }
            Dialect::Postgres => {
                self.recursive = true;
                let null = format!("CAST(NULL AS {dbl})");
                let s0 = smooth(&format!("b.{x}"), &null, &format!("b.{moving}"));
                let r0 = guard(&s0, &null);
                let s1 = smooth(
                    &format!("b.{x}"),
                    &format!("g.{hps}"),
                    &format!("b.{moving}"),
                );
                let r1 = guard(&s1, &format!("g.{hpr}"));
                // The recursion reads four columns of each row, not all of them.
                let steps = self.add_body(
                    &format!("score {name} steps"),
                    format!("SELECT {key}, {pos}, {x}, {moving} FROM {base}"),
                );
                let steps = self.id(&steps);
                let me = self.unique(&format!("score {name} history"));
                let body = format!(
                    "SELECT b.{key} AS {hk}, b.{pos} AS {hp}, {s0} AS {hs}, {r0} AS {hr},\n    \
                     coalesce({s0}, {null}) AS {hps}, coalesce({r0}, {null}) AS {hpr}\n  \
                     FROM {steps} b WHERE b.{pos} = 1\n  UNION ALL\n  \
                     SELECT b.{key}, b.{pos}, {s1}, {r1},\n    coalesce({s1}, g.{hps}), coalesce({r1}, g.{hpr})\n  \
                     FROM {me_id} g JOIN {steps} b ON b.{key} = g.{hk} AND b.{pos} = g.{hp} + 1",
                    me_id = self.id(&me),
                );
                self.add_body(&me, body)
            }
        };
        let body = format!(
            "SELECT b.*, g.{hs} AS {}, g.{hr} AS {}\n  FROM {base} b JOIN {} g ON b.{key} = g.{hk} AND b.{pos} = g.{hp}",
            self.id(&col("smoothed")),
            self.id(&col("reported")),
            self.id(&history),
        );
        self.add_body(&format!("score {name} reported"), body);
        Ok(())
    }

    fn outputs(&mut self) {
        let d = self.d();
        let t = text_type(d);
        let outputs = self.plan.outputs.clone();
        let mut values = Vec::new();
        for (k, c) in outputs.iter().enumerate() {
            if matches!(c.expr, CExpr::Actions | CExpr::Flags) {
                continue;
            }
            match self.w.expr(&c.expr, None) {
                Ok(sql) => values.push((names::output(k), sql)),
                Err(r) => {
                    let loc = self
                        .model
                        .output
                        .as_ref()
                        .and_then(|o| o.columns.get(k))
                        .map_or(self.model.contract.loc.unwrap_or_default(), |c| c.loc);
                    self.fail(r, loc, &format!("output column `{}`", c.name));
                }
            }
        }
        if !values.is_empty() {
            self.add("outputs", values);
        }
        // Only the rows written are formatted.
        if self.options.period == Period::Latest {
            let body = format!(
                "SELECT * FROM {} WHERE {}",
                self.prev(),
                self.id(names::LATEST)
            );
            self.add_body("rows written", body);
        }
        let numeric: Vec<usize> = outputs
            .iter()
            .enumerate()
            .filter(|(_, c)| is_numeric(c))
            .map(|(k, _)| k)
            .collect();
        // DuckDB's `format` writes a double's exact value rounded half to
        // even: the same text, but for a tie, below 2^53; the rows it does
        // not serve take the exact path.
        let fast = d == Dialect::DuckDb;
        if fast && !numeric.is_empty() {
            let flags = numeric
                .iter()
                .filter_map(|k| outputs.get(*k).map(|c| (k, c)))
                .map(|(k, c)| {
                    let x = self.id(&names::output(*k));
                    (
                        format!("{}.f", names::output(*k)),
                        numbers::formats_exactly(&x, c.decimals),
                    )
                })
                .collect();
            self.add("output numbers: written directly", flags);
        }
        let unless_fast = |k: usize, sql: String| -> String {
            if fast {
                let f = ident(d, &format!("{}.f", names::output(k)));
                format!("CASE WHEN {f} THEN NULL ELSE {sql} END")
            } else {
                sql
            }
        };
        if !numeric.is_empty() {
            let exps = numeric
                .iter()
                .map(|k| {
                    let x = self.id(&names::output(*k));
                    (
                        format!("{}.e", names::output(*k)),
                        unless_fast(*k, numbers::exponent(d, &x)),
                    )
                })
                .collect();
            self.add("output numbers: binary exponents", exps);
            let scaled = numeric
                .iter()
                .filter_map(|k| outputs.get(*k).map(|c| (k, c)))
                .map(|(k, c)| {
                    let x = self.id(&names::output(*k));
                    let e = self.id(&format!("{}.e", names::output(*k)));
                    (
                        format!("{}.k", names::output(*k)),
                        unless_fast(*k, numbers::scaled(d, &x, &e, c.decimals)),
                    )
                })
                .collect();
            self.add("output numbers: rounded digits", scaled);
        }
        let mut cells = Vec::new();
        for (k, c) in outputs.iter().enumerate() {
            let x = self.id(&names::output(k));
            let missing = |if_missing: &Option<String>, numeric: bool| -> String {
                match if_missing {
                    Some(m) => {
                        let escaped = if numeric && m.parse::<f64>().is_ok() {
                            m.clone()
                        } else {
                            crate::escape::spreadsheet_cell(m).into_owned()
                        };
                        text(d, &escaped)
                    }
                    None => format!("CAST(NULL AS {t})"),
                }
            };
            let cell = match &c.expr {
                CExpr::Actions | CExpr::Flags => {
                    let list = self.list(&c.expr);
                    let empty = match &c.if_empty {
                        Some(m) => text(d, &crate::escape::spreadsheet_cell(m)),
                        None => "''".into(),
                    };
                    format!(
                        "CASE WHEN {list} = '' THEN {empty} ELSE {} END",
                        escape_formula(d, &list)
                    )
                }
                _ if is_numeric(c) => {
                    let k_col = self.id(&format!("{}.k", names::output(k)));
                    let whole = c.ty == Type::Integer;
                    let direct = if fast {
                        format!(
                            " WHEN {} THEN {}",
                            self.id(&format!("{}.f", names::output(k))),
                            numbers::formatted(&x, c.decimals, whole)
                        )
                    } else {
                        String::new()
                    };
                    format!(
                        "CASE WHEN {x} IS NULL THEN {}{direct} ELSE {} END",
                        missing(&c.if_missing, true),
                        numbers::text(d, &x, &k_col, c.decimals, whole)
                    )
                }
                _ if c.ty == Type::Bool => format!(
                    "CASE WHEN {x} THEN 'true' WHEN NOT {x} THEN 'false' ELSE {} END",
                    missing(&c.if_missing, false)
                ),
                _ => format!(
                    "CASE WHEN {x} IS NULL THEN {} ELSE {} END",
                    missing(&c.if_missing, false),
                    escape_formula(d, &format!("CAST({x} AS {t})"))
                ),
            };
            cells.push(format!("{cell} AS {}", self.id(&c.name)));
        }
        let body = format!(
            "SELECT\n  {}\nFROM {}\nORDER BY {}, {}",
            cells.join(",\n  "),
            self.prev(),
            bytewise(d, &self.id(&self.key)),
            bytewise(d, &self.id(&self.period)),
        );
        self.open = None;
        self.ctes.push((FINAL.to_string(), body));
    }

    /// Actions in priority order without repeats, or flags in written order, joined by `;`.
    fn list(&self, e: &CExpr) -> String {
        let d = self.d();
        let mut parts = Vec::new();
        if matches!(e, CExpr::Actions) {
            let mut seen: Vec<(&str, Vec<String>)> = Vec::new();
            for r in &self.plan.action_order {
                let Some(def) = self.model.rules.get(r.index()) else {
                    continue;
                };
                let fired = self.w.holds(&self.id(&names::rule(self.model, *r)));
                for a in &def.actions {
                    let earlier: Vec<String> = seen
                        .iter()
                        .find(|(x, _)| *x == a.as_str())
                        .map(|(_, f)| f.clone())
                        .unwrap_or_default();
                    let cond = if earlier.is_empty() {
                        fired.clone()
                    } else {
                        format!("{fired} AND NOT ({})", earlier.join(" OR "))
                    };
                    parts.push(format!("CASE WHEN {cond} THEN {} END", text(d, a)));
                    match seen.iter_mut().find(|(x, _)| *x == a.as_str()) {
                        Some((_, f)) => {
                            if !f.contains(&fired) {
                                f.push(fired.clone());
                            }
                        }
                        None => seen.push((a.as_str(), vec![fired.clone()])),
                    }
                }
            }
        } else {
            for (k, f) in self.model.flags.iter().enumerate() {
                let fired = self
                    .w
                    .holds(&self.id(&names::flag(self.model, crate::model::FlagId(k as u32))));
                parts.push(format!("CASE WHEN {fired} THEN {} END", text(d, &f.name)));
            }
        }
        if parts.is_empty() {
            return "''".into();
        }
        format!("concat_ws(';', {})", parts.join(", "))
    }
}

const FINAL: &str = "#final";

/// The column holding an input column's value `k` rows back.
fn lag_name(column: &str, k: u32) -> String {
    format!("#{column}.lag{k}")
}

fn is_numeric(c: &crate::plan::OutputColumn) -> bool {
    !matches!(c.expr, CExpr::Actions | CExpr::Flags)
        && matches!(c.ty, Type::Number | Type::Integer | Type::Any)
}

/// A text cell a spreadsheet would run as a formula gets a leading `'`.
fn escape_formula(d: Dialect, x: &str) -> String {
    format!(
        "CASE WHEN substr({x}, 1, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN {} || {x} ELSE {x} END",
        text(d, "'")
    )
}

/// An expression of type `ty` that stops the query with `message` and the
/// text of `detail` (a value of the row, which also keeps an engine from
/// evaluating it while planning).
/// A record of `pairs` (field name, value): DuckDB's `{'k': v}` or
/// Spark's `named_struct('k', v)`.
fn struct_of(d: Dialect, pairs: &[(&str, String)]) -> String {
    if d == Dialect::Spark {
        let parts: Vec<String> = pairs.iter().map(|(k, v)| format!("'{k}', {v}")).collect();
        format!("named_struct({})", parts.join(", "))
    } else {
        let parts: Vec<String> = pairs.iter().map(|(k, v)| format!("'{k}': {v}")).collect();
        format!("{{{}}}", parts.join(", "))
    }
}

fn stop(d: Dialect, message: &str, detail: &str, ty: &str) -> String {
    let t = text_type(d);
    let message = format!(
        "concat({}, CAST({detail} AS {t}))",
        text(d, &format!("scorecard: {message}: "))
    );
    match d {
        Dialect::DuckDb => format!("CAST(error({message}) AS {ty})"),
        Dialect::Spark => format!("CAST(raise_error({message}) AS {ty})"),
        // No function raises an error: reading the message as a number or a
        // truth value does.
        Dialect::Postgres => format!("CAST({message} AS {ty})"),
    }
}

/// A contract column read as the type the scorecard gives it.
fn cast(d: Dialect, ty: Type, col: &str) -> String {
    match ty {
        Type::Number | Type::Integer => format!("CAST({col} AS {})", double_type(d)),
        Type::Bool => format!("CAST({col} AS BOOLEAN)"),
        _ => format!("NULLIF(CAST({col} AS {}), '')", text_type(d)),
    }
}

/// Each contract rule: column, reason, and the SQL condition that breaks it.
fn checks(model: &Model, d: Dialect) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let required = [model.contract.key, model.contract.period];
    for (i, c) in model.contract.columns.iter().enumerate() {
        let v = cast(d, c.ty, &ident(d, &c.name));
        let id = Some(crate::model::ColumnId(i as u32));
        if !c.optional || required.contains(&id) {
            out.push((
                c.name.clone(),
                "missing value".into(),
                format!("{v} IS NULL"),
            ));
        }
        if c.ty == Type::Integer {
            out.push((
                c.name.clone(),
                "not a whole number".into(),
                format!("{v} <> floor({v})"),
            ));
        }
        if let Some((min, inclusive)) = c.min {
            let op = if inclusive { "<" } else { "<=" };
            out.push((
                c.name.clone(),
                format!("below the minimum {}", crate::model::format_number(min)),
                format!("{v} {op} {}", number(d, min)),
            ));
        }
        if let Some((max, inclusive)) = c.max {
            let op = if inclusive { ">" } else { ">=" };
            out.push((
                c.name.clone(),
                format!("above the maximum {}", crate::model::format_number(max)),
                format!("{v} {op} {}", number(d, max)),
            ));
        }
        if let Type::Enum(e) = c.ty {
            if let Some(t) = model.enum_type(e) {
                let list: Vec<String> = t.labels.iter().map(|l| text(d, l)).collect();
                out.push((
                    c.name.clone(),
                    "not one of the declared labels".into(),
                    format!("{v} NOT IN ({})", list.join(", ")),
                ));
            }
        }
    }
    out
}

pub fn rejects(model: &Model, options: &Options) -> String {
    let d = options.dialect;
    let name = |c: Option<crate::model::ColumnId>| {
        c.and_then(|c| model.contract.column(c))
            .map(|c| ident(d, &c.name))
            .unwrap_or_else(|| "NULL".into())
    };
    let (key, period) = (name(model.contract.key), name(model.contract.period));
    let t = text_type(d);
    let mut parts: Vec<String> = checks(model, d)
        .into_iter()
        .map(|(col, reason, fails)| {
            format!(
                "SELECT CAST({key} AS {t}) AS key, CAST({period} AS {t}) AS period, {} AS column_name, {} AS reason\n  FROM {} WHERE {fails}",
                text(d, &col),
                text(d, &reason),
                options.from
            )
        })
        .collect();
    parts.push(format!(
        "SELECT CAST({key} AS {t}), CAST({period} AS {t}), {}, 'duplicate key and period'\n  FROM {} GROUP BY {key}, {period} HAVING count(*) > 1",
        text(d, &model.contract.key.and_then(|c| model.contract.column(c)).map_or(String::new(), |c| c.name.clone())),
        options.from
    ));
    format!(
        "-- rows of {} that break the input contract of scorecard {} version {} ({})\nSELECT * FROM (\n  {}\n) rejected\nORDER BY 1, 2, 3, 4;\n",
        options.from,
        model.name.as_deref().unwrap_or("(unnamed)"),
        model.version.as_deref().unwrap_or("(none)"),
        model.content_hash,
        parts.join("\n  UNION ALL\n  ")
    )
}

pub fn table_ddl(model: &Model, d: Dialect, table: &str) -> String {
    let cols: Vec<String> = model
        .contract
        .columns
        .iter()
        .map(|c| {
            let ty = match c.ty {
                Type::Integer => "BIGINT",
                Type::Number => double_type(d),
                Type::Bool => "BOOLEAN",
                _ => text_type(d),
            };
            format!("  {} {ty}", ident(d, &c.name))
        })
        .collect();
    format!("CREATE TABLE {table} (\n{}\n);\n", cols.join(",\n"))
}
