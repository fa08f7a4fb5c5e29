//! `scorecard docs`: the metric catalogue and the published rubric, built from
//! the checked model.
//!
//! [`catalogue`] turns a [`Model`] into a [`Doc`] — headings, paragraphs,
//! lists and tables of plain text — and [`markdown`] and [`html`] write it
//! out. Every text taken from the scorecard stays plain text in the [`Doc`];
//! each writer escapes it at the one place it writes text, so a description
//! cannot inject markup. Nothing here reads the syntax tree: formulas are
//! quoted from the source text at the spans the model keeps.

mod html;
mod markdown;
mod words;

pub use html::html;
pub use markdown::markdown;

use crate::model::format_number;
use crate::model::*;
use crate::source::SourceMap;

/// Who the document is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Everything the scorecard says, for the program team.
    Internal,
    /// For partners: no owners, no sources and no rationales.
    Partner,
}

/// A piece of a line of text.
#[derive(Clone, Debug, PartialEq)]
pub enum Inline {
    Plain(String),
    /// A name or formula, shown as code.
    Code(String),
    Strong(String),
    /// A name shown as code, linking to the heading with this anchor.
    Link {
        name: String,
        anchor: String,
    },
}

/// A line of text: plain, code and strong pieces.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Text(pub Vec<Inline>);

impl Text {
    fn plain(s: impl Into<String>) -> Self {
        Text(vec![Inline::Plain(s.into())])
    }

    fn code(s: impl Into<String>) -> Self {
        Text(vec![Inline::Code(s.into())])
    }

    fn p(mut self, s: impl Into<String>) -> Self {
        self.0.push(Inline::Plain(s.into()));
        self
    }

    fn c(mut self, s: impl Into<String>) -> Self {
        self.0.push(Inline::Code(s.into()));
        self
    }

    fn link(mut self, name: impl Into<String>, anchor: impl Into<String>) -> Self {
        self.0.push(Inline::Link {
            name: name.into(),
            anchor: anchor.into(),
        });
        self
    }

    fn b(mut self, s: impl Into<String>) -> Self {
        self.0.push(Inline::Strong(s.into()));
        self
    }
}

/// A block of the document.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// A heading of level 1 to 4, with the anchor it is linked by.
    Heading {
        level: u8,
        anchor: String,
        text: Text,
    },
    Paragraph(Text),
    List(Vec<Text>),
    /// `label: value` lines.
    Fields(Vec<(String, Text)>),
    Table {
        head: Vec<String>,
        rows: Vec<Vec<Text>>,
    },
}

/// The whole document.
#[derive(Clone, Debug, PartialEq)]
pub struct Doc {
    pub title: String,
    pub blocks: Vec<Block>,
}

/// The catalogue of `model`: every metric with its metadata, formula and
/// rubric; segments; each score's weights, adjustments, guardrails and tiers;
/// flags and rules; version and content hash.
pub fn catalogue(model: &Model, sources: &SourceMap, audience: Audience) -> Doc {
    let name = model.name.clone().unwrap_or_else(|| {
        sources
            .name(model.root)
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .trim_end_matches(".scorecard")
            .to_string()
    });
    let mut b = Builder {
        model,
        sources,
        audience,
        blocks: Vec::new(),
    };
    b.header(&name);
    b.contents();
    b.segments();
    b.metrics();
    b.scores();
    b.flags();
    b.rules();
    Doc {
        title: name,
        blocks: b.blocks,
    }
}

struct Builder<'a> {
    model: &'a Model,
    sources: &'a SourceMap,
    audience: Audience,
    blocks: Vec<Block>,
}

fn symbol(op: crate::syntax::ast::CmpOp) -> &'static str {
    op.symbol()
}

impl Builder<'_> {
    fn heading(&mut self, level: u8, anchor: impl Into<String>, text: Text) {
        self.blocks.push(Block::Heading {
            level,
            anchor: anchor.into(),
            text,
        });
    }

    fn para(&mut self, text: Text) {
        self.blocks.push(Block::Paragraph(text));
    }

    /// The source text at `loc` on one line, comments dropped.
    fn quote(&self, loc: Loc) -> String {
        crate::explain::one_line(
            self.sources
                .text(loc.file)
                .get(loc.span.range())
                .unwrap_or(""),
        )
    }

    fn internal(&self) -> bool {
        self.audience == Audience::Internal
    }

    fn header(&mut self, name: &str) {
        self.heading(1, "top", Text::plain(name));
        let mut fields = vec![
            (
                "Version".to_string(),
                match &self.model.version {
                    Some(v) => Text::code(v.clone()),
                    None => Text::plain("not stated"),
                },
            ),
            (
                "Content hash".to_string(),
                Text::code(self.model.content_hash.clone()),
            ),
            (
                "Audience".to_string(),
                Text::plain(match self.audience {
                    Audience::Internal => "internal (everything the scorecard states)",
                    Audience::Partner => "partners (owners, sources and rationales left out)",
                }),
            ),
        ];
        if let Some(k) = self.model.min_group {
            fields.push((
                "Peer comparisons".to_string(),
                Text::plain(format!(
                    "a partner's report compares only with groups of at least {k} partners"
                )),
            ));
        }
        self.blocks.push(Block::Fields(fields));
        self.para(
            Text::plain("Generated by ")
                .c("scorecard docs")
                .p(" from the checked scorecard; do not edit by hand."),
        );
    }

    fn contents(&mut self) {
        let m = self.model;
        let mut items = Vec::new();
        if !m.segments.is_empty() {
            items.push(Text::plain("Segments"));
        }
        let names = |lead: &str, prefix: &str, names: Vec<&str>| {
            let mut t = Text::plain(lead);
            for (k, name) in names.into_iter().enumerate() {
                if k > 0 {
                    t = t.p(", ");
                }
                t = t.link(name, format!("{prefix}-{name}"));
            }
            t
        };
        if !m.metrics.is_empty() {
            items.push(names(
                "Metrics: ",
                "metric",
                m.metrics.iter().map(|x| x.name.as_str()).collect(),
            ));
        }
        if !m.scores.is_empty() {
            items.push(names(
                "Scores: ",
                "score",
                m.scores.iter().map(|x| x.name.as_str()).collect(),
            ));
        }
        if !m.flags.is_empty() {
            items.push(Text::plain("Flags"));
        }
        if !m.rules.is_empty() {
            items.push(Text::plain("Rules"));
        }
        self.heading(2, "contents", Text::plain("Contents"));
        self.blocks.push(Block::List(items));
    }

    fn labels_of(&self, id: EnumId, labels: &[u32]) -> Vec<String> {
        let t = self.model.enum_type(id);
        labels
            .iter()
            .filter_map(|l| t.and_then(|t| t.labels.get(*l as usize)).cloned())
            .collect()
    }

    /// `for maturity onboarding, growing`.
    fn scope(&self, segment: SegmentId, labels: &[u32]) -> Text {
        match self.model.segment(segment) {
            Some(s) => {
                let mut t = Text::plain("For partners whose segment ")
                    .c(s.name.clone())
                    .p(" is ");
                for (k, label) in self.labels_of(s.labels, labels).into_iter().enumerate() {
                    if k > 0 {
                        t = t.p(" or ");
                    }
                    t = t.c(label);
                }
                t
            }
            None => Text::plain("For a segment"),
        }
    }

    fn segments(&mut self) {
        let m = self.model;
        if m.segments.is_empty() {
            return;
        }
        self.heading(2, "segments", Text::plain("Segments"));
        for s in &m.segments {
            self.heading(3, format!("segment-{}", s.name), Text::code(s.name.clone()));
            if let Some(d) = &s.description {
                self.para(Text::plain(d.clone()));
            }
            match &s.source {
                SegmentSource::Column(c) => {
                    let col = m.contract.column(*c).map_or("", |d| d.name.as_str());
                    let mut t = Text::plain("The value of the input column ").c(col).p(": ");
                    for (k, label) in m
                        .enum_type(s.labels)
                        .map(|t| t.labels.as_slice())
                        .unwrap_or_default()
                        .iter()
                        .enumerate()
                    {
                        if k > 0 {
                            t = t.p(", ");
                        }
                        t = t.c(label.clone());
                    }
                    self.para(t.p("."));
                }
                SegmentSource::Rules(rules) => {
                    self.para(Text::plain(
                        "The first line whose condition holds gives the label.",
                    ));
                    let rows = rules
                        .iter()
                        .map(|r| {
                            let label = self.labels_of(s.labels, &[r.label]).join("");
                            vec![
                                Text::code(label),
                                match &r.condition {
                                    Some(c) => self.condition(c),
                                    None => Text::plain("otherwise"),
                                },
                            ]
                        })
                        .collect();
                    self.blocks.push(Block::Table {
                        head: vec!["label".into(), "when".into()],
                        rows,
                    });
                }
            }
        }
    }

    fn metrics(&mut self) {
        let m = self.model;
        if m.metrics.is_empty() {
            return;
        }
        self.heading(2, "metrics", Text::plain("Metrics"));
        for def in &m.metrics {
            self.metric(def);
        }
    }

    fn metric(&mut self, def: &MetricDef) {
        self.heading(
            3,
            format!("metric-{}", def.name),
            Text::code(def.name.clone()),
        );
        let meta = &def.meta;
        if let Some(d) = &meta.description {
            self.para(Text::plain(d.clone()));
        }
        let mut fields = Vec::new();
        if self.internal() {
            if let Some(o) = &meta.owner {
                fields.push(("Owner".to_string(), Text::plain(o.clone())));
            }
            if let Some(s) = &meta.source {
                fields.push(("Source".to_string(), Text::plain(s.clone())));
            }
        }
        if let Some(l) = meta.layer {
            fields.push(("Layer".to_string(), Text::plain(l.name())));
        }
        if let Some(k) = meta.kind {
            fields.push(("Indicator".to_string(), Text::plain(k.name())));
        }
        if let Some(u) = &meta.unit {
            fields.push(("Unit".to_string(), Text::plain(u.clone())));
        }
        if self.internal()
            && let Some(r) = &meta.rationale
        {
            fields.push(("Rationale".to_string(), Text::plain(r.clone())));
        }
        fields.push(("Value".to_string(), self.value_words(&def.value)));
        if let Some(x) = def.missing_value {
            fields.push((
                "When missing".to_string(),
                Text::plain("the value counts as ")
                    .c(format_number(x))
                    .p("."),
            ));
        }
        self.blocks.push(Block::Fields(fields));
        let default_scope = if def.segment_rubrics.is_empty() {
            None
        } else {
            Some(Text::plain(
                "For partners no segment-specific rubric below covers",
            ))
        };
        self.rubric(&def.rubric, default_scope, def.value.ty);
        for sr in &def.segment_rubrics {
            let scope = self.scope(sr.segment, &sr.labels);
            self.rubric(&sr.rubric, Some(scope), def.value.ty);
        }
    }

    /// How a value is computed: a column by name, otherwise the formula as
    /// written and the same in words.
    fn value_words(&self, e: &Expr) -> Text {
        match &e.kind {
            ExprKind::Column(c) => Text::plain("the input column ")
                .c(self
                    .model
                    .contract
                    .column(*c)
                    .map_or_else(String::new, |d| d.name.clone()))
                .p("."),
            _ => self.formula(e).p("."),
        }
    }

    /// The formula as written, then the same in words: `a / b` — `a` divided by `b`.
    fn formula(&self, e: &Expr) -> Text {
        let mut t = Text::code(self.quote(e.loc)).p(" — ");
        t.0.extend(words::words(self.model, e).0);
        let mut divides = false;
        e.walk(&mut |x| {
            divides |= matches!(x.kind, ExprKind::Binary(crate::syntax::ast::BinOp::Div, ..))
        });
        if divides {
            t = t.p(" (missing where it divides by zero)");
        }
        t
    }

    /// A condition as written and in words.
    fn condition(&self, e: &Expr) -> Text {
        self.formula(e)
    }

    fn rubric(&mut self, r: &Rubric, scope: Option<Text>, value: Type) {
        let lead = match scope {
            Some(s) => s.p(": "),
            None => Text::default(),
        };
        let missing = r.missing_points;
        match &r.points {
            PointsRule::Identity => self.para(lead.b("Points:").p(" the value itself.")),
            PointsRule::Bands(bands) => {
                let categorical = bands
                    .iter()
                    .any(|b| matches!(b.condition, BandCond::Labels(_)));
                let all_labels = match value {
                    Type::Enum(id) => self.model.enum_type(id).is_some_and(|t| {
                        t.labels.iter().all(|l| {
                            bands.iter().any(|b| match &b.condition {
                                BandCond::Labels(ls) => ls.contains(l),
                                _ => false,
                            })
                        })
                    }),
                    _ => false,
                };
                self.para(lead.b("Points:").p(if categorical {
                    " by category; the first line that matches gives the points."
                } else {
                    " the first band that holds gives the points."
                }));
                let mut rows: Vec<Vec<Text>> = bands
                    .iter()
                    .map(|b| {
                        let cond = match &b.condition {
                            BandCond::Else => Text::plain("anything else"),
                            BandCond::Missing => Text::plain("missing"),
                            BandCond::Labels(ls) => Text(
                                ls.iter()
                                    .enumerate()
                                    .flat_map(|(k, l)| {
                                        let mut v = Vec::new();
                                        if k > 0 {
                                            v.push(Inline::Plain(", ".into()));
                                        }
                                        v.push(Inline::Code(l.clone()));
                                        v
                                    })
                                    .collect(),
                            ),
                            c => Text::code(c.describe()),
                        };
                        vec![cond, Text::plain(format_number(b.points))]
                    })
                    .collect();
                // Categories that list every label of an enum leave only a missing value unmatched.
                let has_else = bands.iter().any(|b| b.condition == BandCond::Else);
                let has_missing = bands.iter().any(|b| b.condition == BandCond::Missing);
                let unmatched = match (has_else || all_labels, has_missing) {
                    (true, true) => None,
                    (true, false) => Some("missing"),
                    (false, true) => Some("no band matches"),
                    (false, false) => Some("missing, or no band matches"),
                };
                if let Some(what) = unmatched {
                    rows.push(vec![
                        Text::plain(what),
                        Text::plain(missing.map_or_else(
                            || "none (the points are missing)".to_string(),
                            format_number,
                        )),
                    ]);
                }
                self.blocks.push(Block::Table {
                    head: vec!["value".into(), "points".into()],
                    rows,
                });
            }
            PointsRule::Scale { x0, p0, x1, p1 } => {
                let direction = if (p1 - p0) * (x1 - x0) >= 0.0 {
                    "higher"
                } else {
                    "lower"
                };
                self.para(lead.b("Points:").p(format!(
                    " a straight line between the two anchors, kept between {} and {}; {direction} values earn more.",
                    format_number(p0.min(*p1)),
                    format_number(p0.max(*p1)),
                )));
                let mut rows = vec![
                    vec![
                        Text::code(format_number(*x0)),
                        Text::plain(format_number(*p0)),
                    ],
                    vec![
                        Text::code(format_number(*x1)),
                        Text::plain(format_number(*p1)),
                    ],
                ];
                if let Some(p) = missing {
                    rows.push(vec![Text::plain("missing"), Text::plain(format_number(p))]);
                }
                self.blocks.push(Block::Table {
                    head: vec!["value".into(), "points".into()],
                    rows,
                });
            }
            PointsRule::Normalize { kind, within } => {
                let groups: Vec<String> = within
                    .iter()
                    .filter_map(|g| match g {
                        GroupKey::Column(c) => {
                            self.model.contract.column(*c).map(|d| d.name.clone())
                        }
                        GroupKey::Segment(s) => self.model.segment(*s).map(|d| d.name.clone()),
                    })
                    .collect();
                let mut among = Text::plain(if groups.is_empty() {
                    "among all partners of the period"
                } else {
                    "among partners of the same period with the same "
                });
                for (k, g) in groups.into_iter().enumerate() {
                    if k > 0 {
                        among = among.p(", ");
                    }
                    among = among.c(g);
                }
                let what = match kind {
                    crate::syntax::ast::Normalizer::Percentile => "the percentile rank (0–100)",
                    crate::syntax::ast::Normalizer::MinMax => {
                        "the position between the lowest and highest value (0–100)"
                    }
                    crate::syntax::ast::Normalizer::ZScore => {
                        "the number of standard deviations from the mean"
                    }
                };
                let mut t = lead.b("Points:").p(format!(" {what} of the value "));
                t.0.extend(among.0);
                t = t.p(" (").c(kind.keyword()).p(").");
                if let Some(p) = missing {
                    t = t
                        .p(" A missing value earns ")
                        .c(format_number(p))
                        .p(" points.");
                }
                self.para(t);
            }
            PointsRule::Expr(e) => {
                let mut t = lead.b("Points:").p(" ");
                t.0.extend(self.formula(e).0);
                t = t.p(".");
                if let Some(p) = missing {
                    t = t
                        .p(" A missing value earns ")
                        .c(format_number(p))
                        .p(" points.");
                }
                self.para(t);
            }
        }
    }

    fn scores(&mut self) {
        let m = self.model;
        if m.scores.is_empty() {
            return;
        }
        self.heading(2, "scores", Text::plain("Scores"));
        for s in &m.scores {
            self.score(s);
        }
    }

    fn score(&mut self, s: &ScoreDef) {
        self.heading(3, format!("score-{}", s.name), Text::code(s.name.clone()));
        if let Some(d) = &s.meta.description {
            self.para(Text::plain(d.clone()));
        }
        if self.internal() {
            let mut fields = Vec::new();
            if let Some(o) = &s.meta.owner {
                fields.push(("Owner".to_string(), Text::plain(o.clone())));
            }
            if let Some(r) = &s.meta.rationale {
                fields.push(("Rationale".to_string(), Text::plain(r.clone())));
            }
            if !fields.is_empty() {
                self.blocks.push(Block::Fields(fields));
            }
        }
        self.heading(
            4,
            format!("score-{}-definition", s.name),
            Text::plain("Definition"),
        );
        let default_scope = if s.overrides.is_empty() {
            None
        } else {
            Some(Text::plain(
                "For partners no segment-specific definition below covers",
            ))
        };
        self.definition(&s.definition, default_scope);
        for o in &s.overrides {
            let scope = self.scope(o.segment, &o.labels);
            self.definition(&o.definition, Some(scope));
        }
        if !s.adjustments.is_empty() {
            self.heading(
                4,
                format!("score-{}-adjustments", s.name),
                Text::plain("Adjustments"),
            );
            self.para(Text::plain(
                "The score is multiplied by each factor whose condition holds, in this order.",
            ));
            let rows = s
                .adjustments
                .iter()
                .map(|a| {
                    vec![
                        Text::plain(a.reason.clone().unwrap_or_default()),
                        Text::plain(format!("× {}", format_number(a.factor))),
                        self.condition(&a.condition),
                    ]
                })
                .collect();
            self.blocks.push(Block::Table {
                head: vec!["reason".into(), "factor".into(), "when".into()],
                rows,
            });
        }
        let guards = guardrails(s, s.tiers.is_some());
        if !guards.is_empty() {
            self.heading(
                4,
                format!("score-{}-guardrails", s.name),
                Text::plain("Guardrails"),
            );
            self.blocks.push(Block::List(guards));
        }
        if let Some(t) = &s.tiers {
            self.heading(4, format!("score-{}-tiers", s.name), Text::plain("Tiers"));
            self.para(Text::plain(
                "The first tier whose threshold the reported score meets is the partner's tier.",
            ));
            let rows = t
                .tiers
                .iter()
                .map(|t| {
                    vec![
                        Text::code(t.label.clone()),
                        match t.threshold {
                            Some((op, x)) => Text::plain("score ").c(format!(
                                "{} {}",
                                symbol(op),
                                format_number(x)
                            )),
                            None => Text::plain("otherwise"),
                        },
                        Text::plain(t.benefits.join("; ")),
                        Text::plain(t.obligations.join("; ")),
                    ]
                })
                .collect();
            self.blocks.push(Block::Table {
                head: vec![
                    "tier".into(),
                    "threshold".into(),
                    "benefits".into(),
                    "obligations".into(),
                ],
                rows,
            });
        }
    }

    fn definition(&mut self, d: &Definition, scope: Option<Text>) {
        let lead = match scope {
            Some(s) => s.p(": "),
            None => Text::plain("For every partner").p(if matches!(d, Definition::Value(_)) {
                ": "
            } else {
                ", "
            }),
        };
        let metric = |id: MetricId| {
            self.model
                .metric(id)
                .map_or_else(String::new, |m| m.name.clone())
        };
        match d {
            Definition::Weighted(terms) => {
                self.para(lead.p("the weighted sum of the metrics' points:"));
                let rows = terms
                    .iter()
                    .map(|t| {
                        vec![
                            metric_link(metric(t.metric)),
                            Text::plain(format!("{}%", format_number(t.percent))),
                        ]
                    })
                    .collect();
                self.blocks.push(Block::Table {
                    head: vec!["metric".into(), "weight".into()],
                    rows,
                });
            }
            Definition::Layered(layers) => {
                self.para(lead.p(
                    "each layer's weighted sum of its metrics' points, weighed by the layer's weight:",
                ));
                let mut rows = Vec::new();
                for l in layers {
                    for t in &l.terms {
                        rows.push(vec![
                            Text::plain(l.layer.name()),
                            Text::plain(format!("{}%", format_number(l.percent))),
                            metric_link(metric(t.metric)),
                            Text::plain(format!("{}%", format_number(t.percent))),
                        ]);
                    }
                }
                self.blocks.push(Block::Table {
                    head: vec![
                        "layer".into(),
                        "layer weight".into(),
                        "metric".into(),
                        "weight in layer".into(),
                    ],
                    rows,
                });
            }
            Definition::Sum { base, metrics } => {
                self.para(
                    lead.p("the base ")
                        .c(format_number(*base))
                        .p(" plus the points of each metric:"),
                );
                let items = metrics
                    .iter()
                    .map(|(id, _)| metric_link(metric(*id)))
                    .collect();
                self.blocks.push(Block::List(items));
            }
            Definition::Value(e) => {
                let mut t = lead;
                t.0.extend(self.formula(e).0);
                self.para(t.p("."));
            }
        }
    }

    fn flags(&mut self) {
        let m = self.model;
        if m.flags.is_empty() {
            return;
        }
        self.heading(2, "flags", Text::plain("Flags"));
        let rows = m
            .flags
            .iter()
            .map(|f| {
                vec![
                    Text::code(f.name.clone()),
                    Text::plain(f.description.clone().unwrap_or_default()),
                    f.kind.clone().map_or_else(Text::default, Text::code),
                    self.condition(&f.condition),
                ]
            })
            .collect();
        self.blocks.push(Block::Table {
            head: vec![
                "flag".into(),
                "description".into(),
                "kind".into(),
                "raised when".into(),
            ],
            rows,
        });
    }

    fn rules(&mut self) {
        let m = self.model;
        if m.rules.is_empty() {
            return;
        }
        self.heading(2, "rules", Text::plain("Rules"));
        self.para(Text::plain(
            "Each rule whose condition holds adds its actions, higher priority first.",
        ));
        let rows = m
            .rules
            .iter()
            .map(|r| {
                vec![
                    Text::code(r.name.clone()),
                    Text::plain(r.reason.clone().unwrap_or_default()),
                    Text::plain(priority(r.priority)),
                    self.condition(&r.condition),
                    Text::plain(r.actions.join("; ")),
                ]
            })
            .collect();
        self.blocks.push(Block::Table {
            head: vec![
                "rule".into(),
                "reason".into(),
                "priority".into(),
                "when".into(),
                "actions".into(),
            ],
            rows,
        });
    }
}

/// A metric's name, linking to its entry.
fn metric_link(name: String) -> Text {
    let anchor = format!("metric-{name}");
    Text::default().link(name, anchor)
}

fn priority(p: f64) -> String {
    crate::model::priority_word(p).map_or_else(|| format_number(p), str::to_string)
}

/// A score's guardrails in words, in the order they apply.
fn guardrails(s: &ScoreDef, tiers: bool) -> Vec<Text> {
    let mut out = Vec::new();
    if let Some(i) = s.insufficient {
        let limit = if i.percent {
            format!("{}%", format_number(i.limit))
        } else {
            format_number(i.limit)
        };
        let t = Text::plain(format!(
            "Insufficient data: when more than {limit} of the score's metrics are missing, the score is missing"
        ));
        out.push(if tiers {
            t.p(" and the tier is ").c(INSUFFICIENT_DATA).p(".")
        } else {
            t.p(".")
        });
    }
    match s.smoothing {
        Some(Smoothing::MovingAverage(k)) => out.push(Text::plain(format!(
            "Smoothing: the mean of the score over the last {k} periods (fewer in a partner's first periods)."
        ))),
        Some(Smoothing::Exponential(a)) => out.push(Text::plain(format!(
            "Smoothing: exponential, weight {} on the newest period.",
            format_number(a)
        ))),
        None => {}
    }
    if let Some(d) = s.max_change {
        out.push(Text::plain(format!(
            "Maximum change: the reported score moves at most {} points from one period to the next.",
            format_number(d)
        )));
    }
    if let Some(f) = s.floor {
        out.push(Text::plain(format!(
            "Floor: the reported score is never below {}.",
            format_number(f)
        )));
    }
    if let Some(c) = s.cap {
        out.push(Text::plain(format!(
            "Cap: the reported score is never above {}.",
            format_number(c)
        )));
    }
    if let Some(k) = s.min_periods {
        let t = Text::plain(format!(
            "Provisional: until {k} periods have been observed, the result is provisional"
        ));
        out.push(if tiers {
            t.p(" and the tier is ").c(PROVISIONAL).p(".")
        } else {
            t.p(".")
        });
    }
    out
}
