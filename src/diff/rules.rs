//! What changed in the rules: both models laid out as readable entries, and the
//! entries compared.
//!
//! Every field of the model is either described here or named as ignored (source
//! locations, the content hash, derived orders): each struct is destructured
//! without `..`, so a field added to the model does not compile until this file
//! says how it is compared. That is what keeps a rule change from going unlisted.

use indexmap::IndexMap;
use serde::Serialize;

use crate::model::format_number;
use crate::model::*;
use crate::syntax::ast::{StateWord, UnaryOp};

/// A change in the rules themselves, found by comparing the two models.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RuleChange {
    pub what: String,
}

/// One comparable fact about a model: `subject` (such as ``metric `win_rate` ``)
/// has `field` (such as `points`) equal to `value`.
#[derive(Clone, Debug, PartialEq)]
struct Entry {
    subject: String,
    field: String,
    value: String,
}

/// What changed between two models: subjects added or removed, and each field
/// of a subject in both that was added, removed or changed, in the new model's
/// order (removed subjects first, where they were).
pub fn rule_changes(old: &Model, new: &Model) -> Vec<RuleChange> {
    let (before, after) = (describe(old), describe(new));
    let mut out = Vec::new();
    let mut say = |what: String| out.push(RuleChange { what });
    for subject in before.keys() {
        if !after.contains_key(subject) {
            say(format!("{subject} removed"));
        }
    }
    for (subject, fields) in &after {
        let Some(was) = before.get(subject) else {
            say(format!("{subject} added"));
            continue;
        };
        for (field, value) in was {
            if !fields.contains_key(field) {
                say(format!("{subject}: {field} removed (was {value})"));
            }
        }
        for (field, value) in fields {
            match was.get(field) {
                None => say(format!("{subject}: {field} {value} (new)")),
                Some(v) if v != value => say(format!("{subject}: {field} {v} → {value}")),
                Some(_) => {}
            }
        }
    }
    out
}

type Described = IndexMap<String, IndexMap<String, String>>;

/// Every fact of a model, by subject then field.
fn describe(model: &Model) -> Described {
    let mut d = Describer {
        model,
        entries: Vec::new(),
    };
    d.model();
    let mut out: Described = IndexMap::new();
    for Entry {
        subject,
        field,
        value,
    } in d.entries
    {
        let fields = out.entry(subject).or_default();
        // Two facts under one label (two `for` blocks naming the same labels):
        // number the later ones so neither hides the other.
        let mut key = field.clone();
        let mut n = 2;
        while fields.contains_key(&key) {
            key = format!("{field} #{n}");
            n += 1;
        }
        fields.insert(key, value);
    }
    out
}

fn quoted(s: &str) -> String {
    format!("{s:?}")
}

struct Describer<'a> {
    model: &'a Model,
    entries: Vec<Entry>,
}

impl Describer<'_> {
    fn put(&mut self, subject: &str, field: &str, value: String) {
        self.entries.push(Entry {
            subject: subject.to_string(),
            field: field.to_string(),
            value,
        });
    }

    fn opt(&mut self, subject: &str, field: &str, value: Option<String>) {
        if let Some(v) = value {
            self.put(subject, field, v);
        }
    }

    fn model(&mut self) {
        let Model {
            name,
            version,
            // A hash of the text: it changes with every edit, layout included.
            content_hash: _,
            root: _,
            contract,
            // Enum types are described where they are used (columns, segments, tiers).
            enums: _,
            metrics,
            segments,
            scores,
            flags,
            rules,
            output,
            min_group,
            tests,
            snapshots,
            governance,
            // Derived from the definitions.
            order: _,
        } = self.model;
        self.opt("scorecard", "name", name.as_deref().map(quoted));
        self.opt("scorecard", "version", version.as_deref().map(quoted));
        self.contract(contract);
        for m in metrics {
            self.metric(m);
        }
        for s in segments {
            self.segment(s);
        }
        for s in scores {
            self.score(s);
        }
        for f in flags {
            self.flag(f);
        }
        for r in rules {
            self.rule(r);
        }
        if let Some(o) = output {
            self.output(o);
        }
        self.opt("output", "min_group", min_group.map(|n| n.to_string()));
        for t in tests {
            self.test(t);
        }
        for s in snapshots {
            self.snapshot(s);
        }
        self.governance(governance);
    }

    /// The governance policy: each clause a field, so a policy change is a rule change.
    fn governance(&mut self, g: &crate::model::GovernancePolicy) {
        let c = &g.corrections;
        if c.approver_required {
            self.put("governance", "corrections approver", "required".into());
        }
        if !c.locked.is_empty() {
            let names: Vec<String> = c
                .locked
                .iter()
                .filter_map(|id| self.model.contract.column(*id).map(|d| d.name.clone()))
                .collect();
            self.put("governance", "corrections locked", names.join(", "));
        }
        let o = &g.overrides;
        if o.approver_required {
            self.put("governance", "overrides approver", "required".into());
        }
        if let Some(n) = o.max_move {
            self.put("governance", "overrides max_move", n.to_string());
        }
        if let Some(n) = o.expire_within {
            self.put(
                "governance",
                "overrides expire within",
                format!("{n} periods"),
            );
        }
    }

    fn column_name(&self, id: ColumnId) -> String {
        self.model
            .contract
            .column(id)
            .map_or_else(|| format!("column #{}", id.0), |c| c.name.clone())
    }

    fn metric_name(&self, id: MetricId) -> String {
        self.model
            .metric(id)
            .map_or_else(|| format!("metric #{}", id.0), |m| m.name.clone())
    }

    fn segment_name(&self, id: SegmentId) -> String {
        self.model
            .segment(id)
            .map_or_else(|| format!("segment #{}", id.0), |s| s.name.clone())
    }

    fn score_name(&self, id: ScoreId) -> String {
        self.model
            .score(id)
            .map_or_else(|| format!("score #{}", id.0), |s| s.name.clone())
    }

    fn flag_name(&self, id: FlagId) -> String {
        self.model
            .flag(id)
            .map_or_else(|| format!("flag #{}", id.0), |f| f.name.clone())
    }

    fn label(&self, id: EnumId, label: u32) -> String {
        self.model
            .enum_type(id)
            .and_then(|t| t.labels.get(label as usize))
            .cloned()
            .unwrap_or_else(|| format!("label #{label}"))
    }

    fn labels_of(&self, id: EnumId) -> String {
        self.model
            .enum_type(id)
            .map(|t| t.labels.join(", "))
            .unwrap_or_default()
    }

    fn ty(&self, t: Type) -> String {
        match t {
            Type::Number => "number".into(),
            Type::Integer => "integer".into(),
            Type::Bool => "bool".into(),
            Type::Text => "text".into(),
            Type::Enum(id) => format!("one of {}", self.labels_of(id)),
            Type::List => "list".into(),
            Type::Any => "any".into(),
        }
    }

    /// `for type reseller, msp`.
    fn segment_scope(&self, segment: SegmentId, labels: &[u32]) -> String {
        let names: Vec<String> = self
            .model
            .segment(segment)
            .map(|s| labels.iter().map(|l| self.label(s.labels, *l)).collect())
            .unwrap_or_default();
        format!("for {} {}", self.segment_name(segment), names.join(", "))
    }

    fn contract(&mut self, c: &Contract) {
        let Contract {
            key,
            period,
            columns,
            others_ignored,
            loc: _,
        } = c;
        let subject = "input contract";
        self.opt(subject, "key", key.map(|k| self.column_name(k)));
        self.put(
            subject,
            "other columns",
            if *others_ignored {
                "ignored"
            } else {
                "reported"
            }
            .to_string(),
        );
        self.opt(subject, "period", period.map(|p| self.column_name(p)));
        for col in columns {
            let ColumnDef {
                name,
                ty,
                min,
                max,
                optional,
                loc: _,
            } = col;
            let subject = format!("column `{name}`");
            self.put(&subject, "type", self.ty(*ty));
            if let Some((x, closed)) = min {
                self.put(
                    &subject,
                    "lower bound",
                    format!("{} {}", if *closed { ">=" } else { ">" }, format_number(*x)),
                );
            }
            if let Some((x, closed)) = max {
                self.put(
                    &subject,
                    "upper bound",
                    format!("{} {}", if *closed { "<=" } else { "<" }, format_number(*x)),
                );
            }
            self.put(
                &subject,
                "presence",
                if *optional { "optional" } else { "required" }.into(),
            );
        }
    }

    fn meta(&mut self, subject: &str, meta: &Meta) {
        let Meta {
            description,
            owner,
            source,
            rationale,
            layer,
            kind,
            unit,
        } = meta;
        self.opt(subject, "description", description.as_deref().map(quoted));
        self.opt(subject, "owner", owner.as_deref().map(quoted));
        self.opt(subject, "source", source.as_deref().map(quoted));
        self.opt(subject, "rationale", rationale.as_deref().map(quoted));
        self.opt(subject, "layer", layer.map(|l| l.name().to_string()));
        self.opt(subject, "kind", kind.map(|k| k.name().to_string()));
        self.opt(subject, "unit", unit.as_deref().map(quoted));
    }

    fn metric(&mut self, m: &MetricDef) {
        let MetricDef {
            name,
            loc: _,
            meta,
            value,
            missing_value,
            rubric,
            segment_rubrics,
        } = m;
        let subject = format!("metric `{name}`");
        self.meta(&subject, meta);
        self.put(&subject, "value", self.expr(value));
        self.opt(&subject, "missing value", missing_value.map(format_number));
        self.rubric(&subject, "points", rubric);
        let mut scopes = Vec::new();
        for r in segment_rubrics {
            let SegmentRubric {
                segment,
                labels,
                rubric,
            } = r;
            let scope = self.segment_scope(*segment, labels);
            self.rubric(&format!("{subject} {scope}"), "points", rubric);
            scopes.push(scope);
        }
        if scopes.len() > 1 {
            // The first matching `for` wins: their order is a rule too.
            self.put(&subject, "order of `for` points", scopes.join("; "));
        }
    }

    fn rubric(&mut self, subject: &str, field: &str, r: &Rubric) {
        let Rubric {
            points,
            missing_points,
            loc: _,
        } = r;
        let text = match points {
            PointsRule::Identity => "the value itself".to_string(),
            PointsRule::Scale { x0, p0, x1, p1 } => format!(
                "scale {} => {}, {} => {}",
                format_number(*x0),
                format_number(*p0),
                format_number(*x1),
                format_number(*p1)
            ),
            PointsRule::Bands(bands) => {
                let parts: Vec<String> = bands
                    .iter()
                    .map(|b| {
                        let BandDef {
                            condition,
                            points,
                            loc: _,
                        } = b;
                        let when = match condition {
                            BandCond::Labels(labels) => labels
                                .iter()
                                .map(|l| quoted(l))
                                .collect::<Vec<_>>()
                                .join(", "),
                            other => other.describe(),
                        };
                        format!("{when} => {}", format_number(*points))
                    })
                    .collect();
                format!("{{ {} }}", parts.join("; "))
            }
            PointsRule::Normalize { kind, within } => {
                if within.is_empty() {
                    kind.keyword().to_string()
                } else {
                    format!("{} within {}", kind.keyword(), self.groups(within))
                }
            }
            PointsRule::Expr(e) => format!("= {}", self.expr(e)),
        };
        self.put(subject, field, text);
        self.opt(
            subject,
            &format!("missing {field}"),
            missing_points.map(format_number),
        );
    }

    fn groups(&self, keys: &[GroupKey]) -> String {
        keys.iter()
            .map(|k| match k {
                GroupKey::Column(c) => self.column_name(*c),
                GroupKey::Segment(s) => self.segment_name(*s),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn segment(&mut self, s: &SegmentDef) {
        let SegmentDef {
            name,
            loc: _,
            description,
            labels,
            source,
        } = s;
        let subject = format!("segment `{name}`");
        self.opt(&subject, "description", description.as_deref().map(quoted));
        self.put(&subject, "labels", self.labels_of(*labels));
        let from = match source {
            SegmentSource::Column(c) => format!("column `{}`", self.column_name(*c)),
            SegmentSource::Rules(rules) => rules
                .iter()
                .map(|r| {
                    let SegmentRuleDef {
                        label,
                        condition,
                        loc: _,
                    } = r;
                    let label = self.label(*labels, *label);
                    match condition {
                        Some(c) => format!("{label} when {}", self.expr(c)),
                        None => format!("{label} otherwise"),
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
        };
        self.put(&subject, "from", from);
    }

    fn score(&mut self, s: &ScoreDef) {
        let ScoreDef {
            name,
            loc: _,
            meta,
            definition,
            overrides,
            adjustments,
            insufficient,
            smoothing,
            max_change,
            floor,
            cap,
            min_periods,
            tiers,
        } = s;
        let subject = format!("score `{name}`");
        self.meta(&subject, meta);
        self.definition(&subject, definition);
        let mut scopes = Vec::new();
        for o in overrides {
            let Override {
                segment,
                labels,
                definition,
                loc: _,
            } = o;
            let scope = self.segment_scope(*segment, labels);
            self.definition(&format!("{subject} {scope}"), definition);
            scopes.push(scope);
        }
        if scopes.len() > 1 {
            self.put(&subject, "order of `for` blocks", scopes.join("; "));
        }
        for (i, a) in adjustments.iter().enumerate() {
            let Adjustment {
                reason,
                factor,
                condition,
                loc: _,
            } = a;
            let field = match reason {
                Some(r) => format!("adjustment {}", quoted(r)),
                None => format!("adjustment {}", i + 1),
            };
            self.put(
                &subject,
                &field,
                format!("× {} when {}", format_number(*factor), self.expr(condition)),
            );
        }
        if let Some(InsufficientRule { limit, percent }) = insufficient {
            self.put(
                &subject,
                "insufficient data below",
                if *percent {
                    format!("{}% of metrics", format_number(*limit))
                } else {
                    format!("{} metrics", format_number(*limit))
                },
            );
        }
        self.opt(
            &subject,
            "smoothing",
            smoothing.map(|s| match s {
                Smoothing::MovingAverage(n) => format!("moving average of {n} periods"),
                Smoothing::Exponential(a) => format!("exponential {}", format_number(a)),
            }),
        );
        self.opt(&subject, "max change", max_change.map(format_number));
        self.opt(&subject, "floor", floor.map(format_number));
        self.opt(&subject, "cap", cap.map(format_number));
        self.opt(&subject, "min periods", min_periods.map(|n| n.to_string()));
        if let Some(t) = tiers {
            let TierSet {
                labels: _,
                tiers,
                loc: _,
            } = t;
            let mut thresholds = Vec::new();
            for tier in tiers {
                let TierDef {
                    label,
                    threshold,
                    benefits,
                    obligations,
                    loc: _,
                } = tier;
                thresholds.push(match threshold {
                    Some((op, v)) => format!("{label} {} {}", op.symbol(), format_number(*v)),
                    None => format!("{label} otherwise"),
                });
                let list = |xs: &[String]| xs.iter().map(|x| quoted(x)).collect::<Vec<_>>();
                if !benefits.is_empty() {
                    self.put(
                        &subject,
                        &format!("benefits of tier `{label}`"),
                        list(benefits).join(", "),
                    );
                }
                if !obligations.is_empty() {
                    self.put(
                        &subject,
                        &format!("obligations of tier `{label}`"),
                        list(obligations).join(", "),
                    );
                }
            }
            self.put(&subject, "tiers", thresholds.join(", "));
        }
    }

    /// A definition's facts, under `subject` (a score, or a score's `for` block).
    fn definition(&mut self, subject: &str, d: &Definition) {
        let weights = |this: &mut Self, layer: &str, terms: &[WeightTerm]| {
            for t in terms {
                let WeightTerm {
                    metric,
                    percent,
                    // `percent / 100`: follows from `percent`.
                    fraction: _,
                    loc: _,
                } = t;
                let field = format!("weight of `{}`{layer}", this.metric_name(*metric));
                this.put(subject, &field, format_number(*percent));
            }
        };
        match d {
            Definition::Weighted(terms) => {
                self.put(subject, "definition", "weights".into());
                weights(self, "", terms);
            }
            Definition::Layered(layers) => {
                self.put(subject, "definition", "layers".into());
                for l in layers {
                    let LayerTerm {
                        layer,
                        percent,
                        fraction: _,
                        terms,
                        loc: _,
                    } = l;
                    let name = layer.name();
                    self.put(
                        subject,
                        &format!("weight of layer `{name}`"),
                        format_number(*percent),
                    );
                    weights(self, &format!(" in layer `{name}`"), terms);
                }
            }
            Definition::Sum { base, metrics } => {
                self.put(subject, "definition", "sum".into());
                self.put(subject, "base", format_number(*base));
                let names: Vec<String> =
                    metrics.iter().map(|(m, _)| self.metric_name(*m)).collect();
                self.put(subject, "sum of", names.join(" + "));
            }
            Definition::Value(e) => {
                self.put(subject, "definition", "value".into());
                self.put(subject, "value", self.expr(e));
            }
        }
    }

    fn flag(&mut self, f: &FlagDef) {
        let FlagDef {
            name,
            loc: _,
            description,
            kind,
            condition,
        } = f;
        let subject = format!("flag `{name}`");
        self.opt(&subject, "description", description.as_deref().map(quoted));
        self.opt(&subject, "kind", kind.as_deref().map(quoted));
        self.put(&subject, "condition", self.expr(condition));
    }

    fn rule(&mut self, r: &RuleDef) {
        let RuleDef {
            name,
            loc: _,
            reason,
            condition,
            actions,
            priority,
        } = r;
        let subject = format!("rule `{name}`");
        self.opt(&subject, "reason", reason.as_deref().map(quoted));
        self.put(&subject, "condition", self.expr(condition));
        self.put(
            &subject,
            "actions",
            actions
                .iter()
                .map(|a| quoted(a))
                .collect::<Vec<_>>()
                .join(", "),
        );
        self.put(&subject, "priority", format_number(*priority));
    }

    fn output(&mut self, o: &OutputDef) {
        let OutputDef { columns, loc: _ } = o;
        let names: Vec<String> = columns.iter().map(|c| quoted(&c.name)).collect();
        self.put("output", "columns", names.join(", "));
        for c in columns {
            let OutputColumnDef {
                name,
                expr,
                decimals,
                if_missing,
                if_empty,
                loc: _,
            } = c;
            let subject = format!("output column {}", quoted(name));
            self.put(&subject, "value", self.expr(expr));
            self.put(&subject, "decimals", decimals.to_string());
            self.opt(&subject, "if missing", if_missing.as_deref().map(quoted));
            self.opt(&subject, "if empty", if_empty.as_deref().map(quoted));
        }
    }

    fn test_value(v: &TestValue) -> String {
        match v {
            TestValue::Number(x) => format_number(*x),
            TestValue::Text(t) => quoted(t),
            TestValue::Bool(b) => b.to_string(),
            TestValue::Missing => "missing".into(),
        }
    }

    fn test(&mut self, t: &TestDef) {
        let TestDef {
            name,
            loc: _,
            rows,
            files,
            partner,
            period,
            corrections,
            overrides,
            expects,
        } = t;
        let subject = format!("test {}", quoted(name));
        for (i, row) in rows.iter().enumerate() {
            let TestRow { values, loc: _ } = row;
            let cells: Vec<String> = values
                .iter()
                .map(|(c, v)| format!("{} {}", self.column_name(*c), Self::test_value(v)))
                .collect();
            self.put(&subject, &format!("row {}", i + 1), cells.join(", "));
        }
        for (file, _) in files {
            self.put(
                &subject,
                &format!("given file {}", quoted(file)),
                String::new(),
            );
        }
        self.opt(&subject, "partner", partner.as_deref().map(quoted));
        self.opt(&subject, "period", period.as_deref().map(quoted));
        for (what, input) in [("correction", corrections), ("override", overrides)] {
            let GovernInput { file, rows } = input;
            self.opt(
                &subject,
                &format!("{what}s file"),
                file.as_ref().map(|(f, _)| quoted(f)),
            );
            for (i, row) in rows.iter().enumerate() {
                let GovernRow { fields, loc: _ } = row;
                let cells: Vec<String> = fields
                    .iter()
                    .map(|(n, v)| format!("{n} {}", quoted(v)))
                    .collect();
                self.put(&subject, &format!("{what} {}", i + 1), cells.join(", "));
            }
        }
        for (i, e) in expects.iter().enumerate() {
            let ExpectDef { kind, loc: _ } = e;
            let not = |negated: &bool| if *negated { "not " } else { "" };
            let text = match kind {
                ExpectKindDef::Actions { negated, label } => {
                    format!("actions {}contains {}", not(negated), quoted(label))
                }
                ExpectKindDef::Flags { negated, flag } => {
                    format!("flags {}contains {}", not(negated), self.flag_name(*flag))
                }
                ExpectKindDef::State {
                    target,
                    negated,
                    state,
                } => format!(
                    "{} is {}{}",
                    self.expr(target),
                    not(negated),
                    match state {
                        StateWord::Provisional => "provisional",
                        StateWord::Insufficient => "insufficient",
                        StateWord::Missing => "missing",
                    }
                ),
                ExpectKindDef::Compare {
                    target,
                    op,
                    expected,
                    tolerance,
                } => format!(
                    "{} {} {}{}",
                    self.expr(target),
                    op.symbol(),
                    Self::test_value(expected),
                    tolerance.map_or(String::new(), |t| format!(" within {}", format_number(t)))
                ),
            };
            self.put(&subject, &format!("expectation {}", i + 1), text);
        }
    }

    fn snapshot(&mut self, s: &SnapshotDef) {
        let SnapshotDef {
            data,
            period,
            corrections,
            overrides,
            loc: _,
        } = s;
        let period = match period {
            None => "latest".to_string(),
            Some(None) => "all".to_string(),
            Some(Some(p)) => quoted(p),
        };
        let subject = format!("snapshot {}", quoted(data));
        self.put(&subject, "period", period);
        self.opt(
            &subject,
            "corrections",
            corrections.as_ref().map(|(f, _)| quoted(f)),
        );
        self.opt(
            &subject,
            "overrides",
            overrides.as_ref().map(|(f, _)| quoted(f)),
        );
    }

    /// An expression written back from the model: names resolved, spaces and
    /// redundant parentheses normalised, so only a change of meaning shows.
    fn expr(&self, e: &Expr) -> String {
        self.expr_in(e, 0)
    }

    /// `e`, parenthesised when it binds looser than `context`.
    fn expr_in(&self, e: &Expr, context: u8) -> String {
        let Expr {
            kind,
            // Follows from the kind and the names it refers to.
            ty: _,
            loc: _,
        } = e;
        let list = |xs: &[Expr]| {
            xs.iter()
                .map(|x| self.expr(x))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (text, precedence) = match kind {
            ExprKind::Number(x) => (format_number(*x), u8::MAX),
            ExprKind::Text(t) => (quoted(t), u8::MAX),
            ExprKind::Bool(b) => (b.to_string(), u8::MAX),
            ExprKind::Missing => ("missing".into(), u8::MAX),
            ExprKind::Label(id, l) => (quoted(&self.label(*id, *l)), u8::MAX),
            ExprKind::Column(c) => (self.column_name(*c), u8::MAX),
            ExprKind::Metric(m) => (self.metric_name(*m), u8::MAX),
            ExprKind::Points(m) => (format!("points({})", self.metric_name(*m)), u8::MAX),
            ExprKind::MetricValue => ("value".into(), u8::MAX),
            ExprKind::Score(s, stage) => {
                let name = self.score_name(*s);
                let text = match stage {
                    ScoreStage::Raw => format!("raw({name})"),
                    ScoreStage::Smoothed => format!("smoothed({name})"),
                    ScoreStage::Reported => name,
                };
                (text, u8::MAX)
            }
            ExprKind::Tier(s) => (format!("tier({})", self.score_name(*s)), u8::MAX),
            ExprKind::ComputedTier(s) => {
                (format!("computed_tier({})", self.score_name(*s)), u8::MAX)
            }
            ExprKind::Flag(f) => (self.flag_name(*f), u8::MAX),
            ExprKind::Segment(s) => (self.segment_name(*s), u8::MAX),
            ExprKind::Builtin(b) => (
                match b {
                    Builtin::PeriodsObserved => "periods_observed",
                    Builtin::Tenure => "tenure",
                    Builtin::Actions => "actions",
                    Builtin::Flags => "flags",
                }
                .to_string(),
                u8::MAX,
            ),
            ExprKind::Unary(UnaryOp::Not, x) => (format!("not {}", self.expr_in(x, 3)), 3),
            ExprKind::Unary(UnaryOp::Neg, x) => (format!("-{}", self.expr_in(x, 7)), 7),
            ExprKind::Binary(op, a, b) => {
                let p = op.precedence();
                // Left-associative: the right operand needs parentheses at equal strength.
                (
                    format!(
                        "{} {} {}",
                        self.expr_in(a, p),
                        op.symbol(),
                        self.expr_in(b, p + 1)
                    ),
                    p,
                )
            }
            ExprKind::In {
                value,
                set,
                negated,
            } => (
                format!(
                    "{} {}in [{}]",
                    self.expr_in(value, 5),
                    if *negated { "not " } else { "" },
                    list(set)
                ),
                4,
            ),
            ExprKind::IsMissing { value, negated } => (
                format!(
                    "{} is {}missing",
                    self.expr_in(value, 5),
                    if *negated { "not " } else { "" }
                ),
                4,
            ),
            ExprKind::If { arms, otherwise } => {
                let arms: Vec<String> = arms
                    .iter()
                    .map(|(c, v)| format!("if {} then {}", self.expr(c), self.expr(v)))
                    .collect();
                (
                    format!("{} else {}", arms.join(" else "), self.expr(otherwise)),
                    0,
                )
            }
            ExprKind::Call(f, args) => {
                let name = match f {
                    Function::Min => "min",
                    Function::Max => "max",
                    Function::Clamp => "clamp",
                    Function::Abs => "abs",
                    Function::Log => "log",
                    Function::Log10 => "log10",
                    Function::Sqrt => "sqrt",
                    Function::Exp => "exp",
                    Function::Round => "round",
                    Function::Floor => "floor",
                    Function::Ceil => "ceil",
                    Function::Coalesce => "coalesce",
                };
                (format!("{name}({})", list(args)), u8::MAX)
            }
            ExprKind::History(h, x) => {
                let x = self.expr(x);
                let text = match h {
                    HistoryFn::Previous => format!("previous({x})"),
                    HistoryFn::Change => format!("change({x})"),
                    HistoryFn::PctChange => format!("pct_change({x})"),
                    HistoryFn::MovingAverage(n) => format!("moving_average({x}, {n})"),
                    HistoryFn::Trend(n) => format!("trend({x}, {n})"),
                    HistoryFn::RunningSum => format!("running_sum({x})"),
                    HistoryFn::RunningCount => format!("running_count({x})"),
                    HistoryFn::RunningMin => format!("running_min({x})"),
                    HistoryFn::RunningMax => format!("running_max({x})"),
                    HistoryFn::PeriodsSince => format!("periods_since({x})"),
                    HistoryFn::Streak => format!("streak({x})"),
                };
                (text, u8::MAX)
            }
            ExprKind::Population(kind, x, within) => {
                let x = self.expr(x);
                let text = if within.is_empty() {
                    format!("{}({x})", kind.keyword())
                } else {
                    format!("{}({x} within {})", kind.keyword(), self.groups(within))
                };
                (text, u8::MAX)
            }
        };
        if precedence < context {
            format!("({text})")
        } else {
            text
        }
    }
}
