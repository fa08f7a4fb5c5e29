//! Lowering: pest pairs to the typed syntax tree, one `lower_<rule>` per grammar
//! rule, each node's span set where the node is built.
//!
//! One concern in one file: a function per grammar rule.

use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::ast::*;
use super::grammar::Rule;
use crate::diag::{Code, Diagnostic};
use crate::source::FileId;

/// The most operators one expression may chain.
pub const MAX_OPERATORS: usize = 512;

/// A pair the grammar guarantees was not there: a defect of this program.
#[derive(Debug)]
pub struct Bug {
    pub span: Span,
    pub what: String,
}

type Lowered<T> = Result<T, Bug>;

/// Turns pairs into syntax, collecting the problems found along the way
/// (numbers out of range, over-long expressions).
pub struct Lowerer {
    pub file: FileId,
    pub diagnostics: Vec<Diagnostic>,
    pratt: std::rc::Rc<PrattParser<Rule>>,
}

/// The pair's span without the whitespace and comments pest leaves at its end.
fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.start() + significant_len(s.as_str()))
}

/// The length of `text` up to the end of its last token (not whitespace or a comment).
fn significant_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut end = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                i = super::skip_string(bytes, i);
                end = i;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while bytes.get(i).is_some_and(|c| *c != b'\n') {
                    i += 1;
                }
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => end = i + 1,
        }
        i += 1;
    }
    // Never cut inside a multi-byte character.
    while end < text.len() && !text.is_char_boundary(end) {
        end += 1;
    }
    end
}

/// The children of one pair, taken in order.
struct Cursor<'i> {
    pairs: std::iter::Peekable<Pairs<'i, Rule>>,
    parent: Span,
}

impl<'i> Cursor<'i> {
    fn of(pair: Pair<'i, Rule>) -> Self {
        let parent = span_of(&pair);
        Cursor {
            pairs: pair.into_inner().peekable(),
            parent,
        }
    }

    fn next(&mut self, what: &str) -> Lowered<Pair<'i, Rule>> {
        self.pairs.next().ok_or_else(|| Bug {
            span: self.parent,
            what: format!("expected {what}"),
        })
    }

    fn peek_rule(&mut self) -> Option<Rule> {
        self.pairs.peek().map(Pair::as_rule)
    }

    fn next_if(&mut self, rule: Rule) -> Option<Pair<'i, Rule>> {
        if self.peek_rule() == Some(rule) {
            self.pairs.next()
        } else {
            None
        }
    }
}

fn unexpected(pair: &Pair<'_, Rule>, context: &str) -> Bug {
    Bug {
        span: span_of(pair),
        what: format!("unexpected {:?} in {context}", pair.as_rule()),
    }
}

impl Lowerer {
    pub fn new(file: FileId) -> Self {
        let pratt = PrattParser::new()
            .op(Op::infix(Rule::op_or, Assoc::Left))
            .op(Op::infix(Rule::op_and, Assoc::Left))
            .op(Op::prefix(Rule::op_not))
            .op(Op::infix(Rule::op_eq, Assoc::Left)
                | Op::infix(Rule::op_ne, Assoc::Left)
                | Op::infix(Rule::op_lt, Assoc::Left)
                | Op::infix(Rule::op_le, Assoc::Left)
                | Op::infix(Rule::op_gt, Assoc::Left)
                | Op::infix(Rule::op_ge, Assoc::Left)
                | Op::postfix(Rule::in_set)
                | Op::postfix(Rule::is_missing))
            .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
            .op(Op::infix(Rule::op_mul, Assoc::Left) | Op::infix(Rule::op_div, Assoc::Left))
            .op(Op::prefix(Rule::op_neg));
        Lowerer {
            file,
            diagnostics: Vec::new(),
            pratt: std::rc::Rc::new(pratt),
        }
    }

    pub fn lower_file(&mut self, pair: Pair<'_, Rule>) -> Lowered<File> {
        let span = span_of(&pair);
        let mut header = None;
        let mut decls = Vec::new();
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::header => header = Some(self.lower_header(child)?),
                Rule::EOI => {}
                _ => decls.push(self.lower_declaration(child)?),
            }
        }
        Ok(File {
            header,
            decls,
            span,
        })
    }

    fn lower_header(&mut self, pair: Pair<'_, Rule>) -> Lowered<Header> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        c.next("`scorecard`")?;
        let name = self.lower_string(c.next("a name")?)?;
        let version = match c.next_if(Rule::kw_version) {
            Some(_) => Some(self.lower_string(c.next("a version")?)?),
            None => None,
        };
        Ok(Header {
            name,
            version,
            span,
        })
    }

    fn lower_declaration(&mut self, pair: Pair<'_, Rule>) -> Lowered<Decl> {
        Ok(match pair.as_rule() {
            Rule::import_decl => Decl::Import(self.lower_import_decl(pair)?),
            Rule::input_decl => Decl::Input(self.lower_input_decl(pair)?),
            Rule::metric_decl => Decl::Metric(self.lower_metric_decl(pair)?),
            Rule::segment_decl => Decl::Segment(self.lower_segment_decl(pair)?),
            Rule::score_decl => Decl::Score(self.lower_score_decl(pair)?),
            Rule::tiers_decl => Decl::Tiers(self.lower_tiers_decl(pair)?),
            Rule::flag_decl => Decl::Flag(self.lower_flag_decl(pair)?),
            Rule::rule_decl => Decl::Rule(self.lower_rule_decl(pair)?),
            Rule::output_decl => Decl::Output(self.lower_output_decl(pair)?),
            Rule::test_decl => Decl::Test(self.lower_test_decl(pair)?),
            Rule::snapshot_decl => Decl::Snapshot(self.lower_snapshot_decl(pair)?),
            Rule::defaults_decl => Decl::Defaults(self.lower_defaults_decl(pair)?),
            Rule::governance_decl => Decl::Governance(self.lower_governance_decl(pair)?),
            _ => return Err(unexpected(&pair, "a file")),
        })
    }

    fn lower_import_decl(&mut self, pair: Pair<'_, Rule>) -> Lowered<Import> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        c.next("`import`")?;
        let path = self.lower_string(c.next("a path")?)?;
        Ok(Import { path, span })
    }

    // ─── input ───────────────────────────────────────────────────────────────

    fn lower_input_decl(&mut self, pair: Pair<'_, Rule>) -> Lowered<Input> {
        let span = span_of(&pair);
        let mut entries = Vec::new();
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::kw_input => {}
                Rule::key_decl => {
                    let s = span_of(&child);
                    let mut c = Cursor::of(child);
                    c.next("`key`")?;
                    entries.push(InputEntry::Key(self.lower_ident(c.next("a column")?), s));
                }
                Rule::period_decl => {
                    let s = span_of(&child);
                    let mut c = Cursor::of(child);
                    c.next("`period`")?;
                    entries.push(InputEntry::Period(self.lower_ident(c.next("a column")?), s));
                }
                Rule::column_decl => {
                    entries.push(InputEntry::Column(self.lower_column_decl(child)?))
                }
                Rule::others_decl => entries.push(InputEntry::OthersIgnored(span_of(&child))),
                _ => return Err(unexpected(&child, "an input block")),
            }
        }
        Ok(Input { entries, span })
    }

    fn lower_column_decl(&mut self, pair: Pair<'_, Rule>) -> Lowered<ColumnDecl> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        let name = self.lower_ident(c.next("a column name")?);
        let ty = self.lower_column_type(c.next("a type")?)?;
        let mut options = Vec::new();
        while let Ok(option) = c.next("an option") {
            let s = span_of(&option);
            options.push(match option.as_rule() {
                Rule::range_between => {
                    let mut r = Cursor::of(option);
                    r.next("`in`")?;
                    let low = self.lower_number(r.next("a number")?);
                    let high = self.lower_number(r.next("a number")?);
                    ColumnOption::Between(low, high, s)
                }
                Rule::range_bound => {
                    let mut r = Cursor::of(option);
                    let op = lower_cmp_op(&r.next("a comparison")?)?;
                    ColumnOption::Bound(op, self.lower_number(r.next("a number")?), s)
                }
                Rule::kw_optional => ColumnOption::Optional(s),
                _ => return Err(unexpected(&option, "a column declaration")),
            });
        }
        Ok(ColumnDecl {
            name,
            ty,
            options,
            span,
        })
    }

    fn lower_column_type(&mut self, pair: Pair<'_, Rule>) -> Lowered<ColumnType> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        let inner = c.next("a type")?;
        let kind = match inner.as_rule() {
            Rule::ty_number => ColumnTypeKind::Number,
            Rule::ty_integer => ColumnTypeKind::Integer,
            Rule::ty_bool => ColumnTypeKind::Bool,
            Rule::ty_text => ColumnTypeKind::Text,
            Rule::ty_enum => {
                let labels = inner
                    .into_inner()
                    .map(|l| self.lower_label(l))
                    .collect::<Lowered<Vec<_>>>()?;
                ColumnTypeKind::Enum(labels)
            }
            _ => return Err(unexpected(&inner, "a column type")),
        };
        Ok(ColumnType { kind, span })
    }

    // ─── metrics ─────────────────────────────────────────────────────────────

    fn lower_metric_decl(&mut self, pair: Pair<'_, Rule>) -> Lowered<Metric> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        c.next("`metric`")?;
        let name = self.lower_ident(c.next("a name")?);
        let description = match c.next_if(Rule::string) {
            Some(s) => Some(self.lower_string(s)?),
            None => None,
        };
        let mut clauses = Vec::new();
        while let Ok(clause) = c.next("a clause") {
            clauses.push(self.lower_metric_clause(clause)?);
        }
        Ok(Metric {
            name,
            description,
            clauses,
            span,
        })
    }

    fn lower_metric_clause(&mut self, pair: Pair<'_, Rule>) -> Lowered<MetricClause> {
        let span = span_of(&pair);
        Ok(match pair.as_rule() {
            Rule::meta_clause => MetricClause::Meta(self.lower_meta_clause(pair)?),
            Rule::value_clause => {
                let mut c = Cursor::of(pair);
                c.next("`value`")?;
                MetricClause::Value(self.lower_expr(c.next("an expression")?)?, span)
            }
            Rule::missing_clause => MetricClause::Missing(self.lower_missing_clause(pair)?),
            Rule::points_clause => MetricClause::Points(self.lower_points_clause(pair)?),
            Rule::metric_for => {
                let mut c = Cursor::of(pair);
                let head = self.lower_for_head(c.next("`for`")?)?;
                let mut clauses = Vec::new();
                while let Ok(clause) = c.next("a clause") {
                    clauses.push(self.lower_metric_clause(clause)?);
                }
                MetricClause::For(MetricFor {
                    head,
                    clauses,
                    span,
                })
            }
            _ => return Err(unexpected(&pair, "a metric")),
        })
    }

    fn lower_meta_clause(&mut self, pair: Pair<'_, Rule>) -> Lowered<Meta> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        let key_pair = c.next("a key")?;
        let key = match key_pair.as_str() {
            "description" => MetaKey::Description,
            "owner" => MetaKey::Owner,
            "source" => MetaKey::Source,
            "rationale" => MetaKey::Rationale,
            "layer" => MetaKey::Layer,
            "kind" => MetaKey::Kind,
            "unit" => MetaKey::Unit,
            _ => return Err(unexpected(&key_pair, "metadata")),
        };
        let value = c.next("a value")?;
        let value_span = span_of(&value);
        let (value, quoted) = match value.as_rule() {
            Rule::string => (self.lower_string(value)?.value, true),
            _ => (value.as_str().to_string(), false),
        };
        Ok(Meta {
            key,
            value,
            quoted,
            value_span,
            span,
        })
    }

    fn lower_missing_clause(&mut self, pair: Pair<'_, Rule>) -> Lowered<MissingClause> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        c.next("`missing`")?;
        let target = match c.next("`value` or `points`")?.as_rule() {
            Rule::kw_value => MissingTarget::Value,
            _ => MissingTarget::Points,
        };
        let number = self.lower_number(c.next("a number")?);
        Ok(MissingClause {
            target,
            number,
            span,
        })
    }

    fn lower_points_clause(&mut self, pair: Pair<'_, Rule>) -> Lowered<Points> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        c.next("`points`")?;
        let spec_pair = c.next("a rubric")?;
        let spec = match spec_pair.as_rule() {
            Rule::band_table => PointsSpec::Bands(
                spec_pair
                    .into_inner()
                    .map(|b| self.lower_band(b))
                    .collect::<Lowered<Vec<_>>>()?,
            ),
            Rule::scale_spec => {
                let mut s = Cursor::of(spec_pair);
                s.next("`scale`")?;
                PointsSpec::Scale {
                    from: self.lower_number(s.next("a number")?),
                    from_points: self.lower_number(s.next("a number")?),
                    to: self.lower_number(s.next("a number")?),
                    to_points: self.lower_number(s.next("a number")?),
                }
            }
            Rule::normalize_spec => {
                let mut s = Cursor::of(spec_pair);
                let word = s.next("a normalizer")?;
                let kind = Normalizer::from_keyword(word.as_str())
                    .ok_or_else(|| unexpected(&word, "points"))?;
                let within = match s.next_if(Rule::within) {
                    Some(w) => self.lower_within(w)?,
                    None => Vec::new(),
                };
                PointsSpec::Normalize { kind, within }
            }
            Rule::points_expr => {
                let mut s = Cursor::of(spec_pair);
                PointsSpec::Expr(self.lower_expr(s.next("an expression")?)?)
            }
            _ => return Err(unexpected(&spec_pair, "points")),
        };
        Ok(Points { spec, span })
    }

    fn lower_within(&mut self, pair: Pair<'_, Rule>) -> Lowered<Vec<Ident>> {
        Ok(pair
            .into_inner()
            .filter(|p| p.as_rule() == Rule::ident)
            .map(|p| self.lower_ident(p))
            .collect())
    }

    fn lower_band(&mut self, pair: Pair<'_, Rule>) -> Lowered<Band> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        let cond = c.next("a condition")?;
        let condition_span = span_of(&cond);
        let condition = match cond.as_rule() {
            Rule::band_else => BandCondition::Else,
            Rule::band_missing => BandCondition::Missing,
            Rule::band_interval => {
                let mut i = Cursor::of(cond);
                let low_closed = i.next("`[`")?.as_str() == "[";
                let low = self.lower_number(i.next("a number")?);
                let high = self.lower_number(i.next("a number")?);
                let high_closed = i.next("`]`")?.as_str() == "]";
                BandCondition::Interval {
                    low,
                    low_closed,
                    high,
                    high_closed,
                }
            }
            Rule::band_compare => {
                let mut i = Cursor::of(cond);
                let op = lower_cmp_op(&i.next("a comparison")?)?;
                BandCondition::Compare(op, self.lower_number(i.next("a number")?))
            }
            Rule::band_labels => BandCondition::Labels(
                cond.into_inner()
                    .map(|l| self.lower_label(l))
                    .collect::<Lowered<Vec<_>>>()?,
            ),
            _ => return Err(unexpected(&cond, "a band")),
        };
        let points = self.lower_number(c.next("points")?);
        Ok(Band {
            condition,
            condition_span,
            points,
            span,
        })
    }

    fn lower_for_head(&mut self, pair: Pair<'_, Rule>) -> Lowered<ForHead> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        c.next("`for`")?;
        let segment = self.lower_ident(c.next("a segment")?);
        let mut labels = Vec::new();
        while let Ok(label) = c.next("a label") {
            labels.push(self.lower_label(label)?);
        }
        Ok(ForHead {
            segment,
            labels,
            span,
        })
    }

    // ─── segments ────────────────────────────────────────────────────────────

    fn lower_segment_decl(&mut self, pair: Pair<'_, Rule>) -> Lowered<Segment> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        c.next("`segment`")?;
        let name = self.lower_ident(c.next("a name")?);
        let description = match c.next_if(Rule::string) {
            Some(s) => Some(self.lower_string(s)?),
            None => None,
        };
        let body_pair = c.next("a body")?;
        let body = match body_pair.as_rule() {
            Rule::segment_from => {
                let mut b = Cursor::of(body_pair);
                b.next("`from`")?;
                SegmentBody::From(self.lower_ident(b.next("a column")?))
            }
            Rule::segment_rules => {
                let mut rules = Vec::new();
                for rule in body_pair.into_inner() {
                    let rule_span = span_of(&rule);
                    let mut r = Cursor::of(rule);
                    let label = self.lower_ident(r.next("a label")?);
                    let cond = r.next("`when` or `otherwise`")?;
                    let condition = match cond.as_rule() {
                        Rule::segment_when => {
                            let mut w = Cursor::of(cond);
                            w.next("`when`")?;
                            Some(self.lower_expr(w.next("an expression")?)?)
                        }
                        _ => None,
                    };
                    rules.push(SegmentRule {
                        label,
                        condition,
                        span: rule_span,
                    });
                }
                SegmentBody::Rules(rules)
            }
            _ => return Err(unexpected(&body_pair, "a segment")),
        };
        Ok(Segment {
            name,
            description,
            body,
            span,
        })
    }

    // ─── scores ──────────────────────────────────────────────────────────────

    fn lower_score_decl(&mut self, pair: Pair<'_, Rule>) -> Lowered<Score> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        c.next("`score`")?;
        let name = self.lower_ident(c.next("a name")?);
        let description = match c.next_if(Rule::string) {
            Some(s) => Some(self.lower_string(s)?),
            None => None,
        };
        let mut clauses = Vec::new();
        while let Ok(clause) = c.next("a clause") {
            clauses.push(self.lower_score_clause(clause)?);
        }
        Ok(Score {
            name,
            description,
            clauses,
            span,
        })
    }

    fn lower_score_clause(&mut self, pair: Pair<'_, Rule>) -> Lowered<ScoreClause> {
        let span = span_of(&pair);
        let rule = pair.as_rule();
        if rule == Rule::meta_clause {
            return Ok(ScoreClause::Meta(self.lower_meta_clause(pair)?));
        }
        if rule == Rule::weights_clause {
            return Ok(ScoreClause::Weights(self.lower_weights_clause(pair)?));
        }
        let mut c = Cursor::of(pair);
        Ok(match rule {
            Rule::sum_clause => {
                c.next("`sum`")?;
                let mut metrics = Vec::new();
                while let Ok(m) = c.next("a metric") {
                    metrics.push(self.lower_ident(m));
                }
                ScoreClause::Sum(SumClause { metrics, span })
            }
            Rule::base_clause => {
                c.next("`base`")?;
                ScoreClause::Base(self.lower_number(c.next("a number")?), span)
            }
            Rule::value_clause => {
                c.next("`value`")?;
                ScoreClause::Value(self.lower_expr(c.next("an expression")?)?, span)
            }
            Rule::score_for => {
                let head = self.lower_for_head(c.next("`for`")?)?;
                let mut clauses = Vec::new();
                while let Ok(clause) = c.next("a clause") {
                    clauses.push(self.lower_score_clause(clause)?);
                }
                ScoreClause::For(ScoreFor {
                    head,
                    clauses,
                    span,
                })
            }
            Rule::adjust_clause => {
                c.next("`adjust`")?;
                let reason = match c.next_if(Rule::string) {
                    Some(s) => Some(self.lower_string(s)?),
                    None => None,
                };
                c.next("`by`")?;
                let factor = self.lower_number(c.next("a factor")?);
                c.next("`when`")?;
                let condition = self.lower_expr(c.next("a condition")?)?;
                ScoreClause::Adjust(Adjust {
                    reason,
                    factor,
                    condition,
                    span,
                })
            }
            Rule::smooth_clause => {
                c.next("`smooth`")?;
                let kind_pair = c.next("a smoothing")?;
                let kind_rule = kind_pair.as_rule();
                let mut k = Cursor::of(kind_pair);
                let n = self.lower_number(k.next("a number")?);
                let kind = if kind_rule == Rule::smooth_moving {
                    SmoothKind::MovingAverage(n)
                } else {
                    SmoothKind::Exponential(n)
                };
                ScoreClause::Smooth(Smooth { kind, span })
            }
            Rule::max_change_clause => {
                c.next("`max_change`")?;
                ScoreClause::MaxChange(self.lower_number(c.next("a number")?), span)
            }
            Rule::floor_clause => {
                c.next("`floor`")?;
                ScoreClause::Floor(self.lower_number(c.next("a number")?), span)
            }
            Rule::cap_clause => {
                c.next("`cap`")?;
                ScoreClause::Cap(self.lower_number(c.next("a number")?), span)
            }
            Rule::min_periods_clause => {
                c.next("`min_periods`")?;
                ScoreClause::MinPeriods(self.lower_number(c.next("a number")?), span)
            }
            Rule::insufficient_clause => {
                for _ in 0..5 {
                    c.next("a keyword")?;
                }
                let limit = self.lower_number(c.next("a number")?);
                let percent = limit.is_percent();
                ScoreClause::Insufficient(Insufficient {
                    limit,
                    percent,
                    span,
                })
            }
            _ => {
                return Err(Bug {
                    span,
                    what: format!("unexpected {rule:?} in a score"),
                });
            }
        })
    }

    fn lower_weights_clause(&mut self, pair: Pair<'_, Rule>) -> Lowered<Weights> {
        let span = span_of(&pair);
        let mut items = Vec::new();
        let mut overrides = false;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::kw_weights => {}
                Rule::kw_override => overrides = true,
                Rule::weight => items.push(WeightItem::Weight(self.lower_weight(child)?)),
                Rule::layer_group => {
                    let group_span = span_of(&child);
                    let mut c = Cursor::of(child);
                    c.next("`layer`")?;
                    let layer = self.lower_ident(c.next("a layer")?);
                    let weight = self.lower_number(c.next("a weight")?);
                    let mut weights = Vec::new();
                    while let Ok(w) = c.next("a weight") {
                        weights.push(self.lower_weight(w)?);
                    }
                    items.push(WeightItem::Layer(LayerGroup {
                        layer,
                        weight,
                        weights,
                        span: group_span,
                    }));
                }
                _ => return Err(unexpected(&child, "weights")),
            }
        }
        Ok(Weights {
            items,
            overrides,
            span,
        })
    }

    fn lower_weight(&mut self, pair: Pair<'_, Rule>) -> Lowered<Weight> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        let metric = self.lower_ident(c.next("a metric")?);
        let weight = self.lower_number(c.next("a weight")?);
        Ok(Weight {
            metric,
            weight,
            span,
        })
    }

    // ─── tiers, flags, rules ─────────────────────────────────────────────────

    fn lower_tiers_decl(&mut self, pair: Pair<'_, Rule>) -> Lowered<Tiers> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        c.next("`tiers`")?;
        let score = self.lower_ident(c.next("a score")?);
        let mut tiers = Vec::new();
        while let Ok(tier) = c.next("a tier") {
            tiers.push(self.lower_tier(tier)?);
        }
        Ok(Tiers { score, tiers, span })
    }

    fn lower_tier(&mut self, pair: Pair<'_, Rule>) -> Lowered<Tier> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        let label = self.lower_ident(c.next("a label")?);
        let bound = c.next("a threshold")?;
        let threshold = match bound.as_rule() {
            Rule::tier_threshold => {
                let mut t = Cursor::of(bound);
                let op = lower_cmp_op(&t.next("a comparison")?)?;
                Some((op, self.lower_number(t.next("a number")?)))
            }
            _ => None,
        };
        let mut benefits = Vec::new();
        let mut obligations = Vec::new();
        if let Some(details) = c.next_if(Rule::tier_details) {
            for item in details.into_inner() {
                let rule = item.as_rule();
                let mut i = Cursor::of(item);
                i.next("a keyword")?;
                let text = self.lower_string(i.next("a string")?)?;
                if rule == Rule::benefit {
                    benefits.push(text);
                } else {
                    obligations.push(text);
                }
            }
        }
        Ok(Tier {
            label,
            threshold,
            benefits,
            obligations,
            span,
        })
    }

    fn lower_flag_decl(&mut self, pair: Pair<'_, Rule>) -> Lowered<Flag> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        c.next("`flag`")?;
        let name = self.lower_ident(c.next("a name")?);
        let description = match c.next_if(Rule::string) {
            Some(s) => Some(self.lower_string(s)?),
            None => None,
        };
        let mut meta = Vec::new();
        let mut conditions = Vec::new();
        while let Ok(clause) = c.next("a clause") {
            match clause.as_rule() {
                Rule::meta_clause => meta.push(self.lower_meta_clause(clause)?),
                _ => conditions.push(self.lower_when_clause(clause)?),
            }
        }
        Ok(Flag {
            name,
            description,
            meta,
            conditions,
            span,
        })
    }

    fn lower_when_clause(&mut self, pair: Pair<'_, Rule>) -> Lowered<Expr> {
        let mut c = Cursor::of(pair);
        c.next("`when`")?;
        self.lower_expr(c.next("a condition")?)
    }

    fn lower_rule_decl(&mut self, pair: Pair<'_, Rule>) -> Lowered<Rule_> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        c.next("`rule`")?;
        let name = self.lower_ident(c.next("a name")?);
        let reason = match c.next_if(Rule::string) {
            Some(s) => Some(self.lower_string(s)?),
            None => None,
        };
        let mut clauses = Vec::new();
        while let Ok(clause) = c.next("a clause") {
            let clause_span = span_of(&clause);
            clauses.push(match clause.as_rule() {
                Rule::when_clause => RuleClause::When(self.lower_when_clause(clause)?, clause_span),
                Rule::action_clause => {
                    let mut a = Cursor::of(clause);
                    a.next("`action`")?;
                    RuleClause::Action(self.lower_string(a.next("an action")?)?, clause_span)
                }
                Rule::priority_clause => {
                    let mut p = Cursor::of(clause);
                    p.next("`priority`")?;
                    let value = p.next("a priority")?;
                    let value = match value.as_rule() {
                        Rule::number => PriorityValue::Number(self.lower_number(value)),
                        _ => PriorityValue::Name(self.lower_ident(value)),
                    };
                    RuleClause::Priority(value, clause_span)
                }
                _ => return Err(unexpected(&clause, "a rule")),
            });
        }
        Ok(Rule_ {
            name,
            reason,
            clauses,
            span,
        })
    }

    // ─── output ──────────────────────────────────────────────────────────────

    fn lower_output_decl(&mut self, pair: Pair<'_, Rule>) -> Lowered<Output> {
        let span = span_of(&pair);
        let mut items = Vec::new();
        for child in pair.into_inner() {
            let child_span = span_of(&child);
            match child.as_rule() {
                Rule::kw_output => {}
                Rule::output_default => {
                    let mut c = Cursor::of(child);
                    c.next("`default`")?;
                    c.next("`decimals`")?;
                    items.push(OutputItem::Decimals(
                        self.lower_number(c.next("a number")?),
                        child_span,
                    ));
                }
                Rule::output_min_group => {
                    let mut c = Cursor::of(child);
                    c.next("`min_group`")?;
                    items.push(OutputItem::MinGroup(
                        self.lower_number(c.next("a number")?),
                        child_span,
                    ));
                }
                Rule::output_column => {
                    items.push(OutputItem::Column(self.lower_output_column(child)?))
                }
                _ => return Err(unexpected(&child, "an output block")),
            }
        }
        Ok(Output { items, span })
    }

    fn lower_output_column(&mut self, pair: Pair<'_, Rule>) -> Lowered<OutputColumn> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        let name_pair = c.next("a column name")?;
        let name = match name_pair.clone().into_inner().next() {
            Some(inner) => self.lower_label(inner)?,
            None => return Err(unexpected(&name_pair, "an output column")),
        };
        let expr = match c.next_if(Rule::expr) {
            Some(e) => Some(self.lower_expr(e)?),
            None => None,
        };
        let mut formats = Vec::new();
        while let Ok(format) = c.next("a format") {
            let s = span_of(&format);
            let rule = format.as_rule();
            let mut f = Cursor::of(format);
            formats.push(match rule {
                Rule::format_decimals => {
                    f.next("`decimals`")?;
                    ColumnFormat::Decimals(self.lower_number(f.next("a number")?), s)
                }
                Rule::format_if_missing => {
                    f.next("`if`")?;
                    f.next("`missing`")?;
                    ColumnFormat::IfMissing(self.lower_string(f.next("a string")?)?, s)
                }
                _ => {
                    f.next("`if`")?;
                    f.next("`empty`")?;
                    ColumnFormat::IfEmpty(self.lower_string(f.next("a string")?)?, s)
                }
            });
        }
        Ok(OutputColumn {
            name,
            expr,
            formats,
            span,
        })
    }

    fn lower_snapshot_decl(&mut self, pair: Pair<'_, Rule>) -> Lowered<Snapshot> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        c.next("`snapshot`")?;
        let data = self.lower_string(c.next("a path")?)?;
        let period = match c.next_if(Rule::snapshot_period) {
            Some(p) => {
                let mut p = Cursor::of(p);
                p.next("`period`")?;
                Some(self.lower_label(p.next("a period")?)?)
            }
            None => None,
        };
        let mut governance = Vec::new();
        while let Some(g) = c.next_if(Rule::governance_file) {
            governance.push(self.lower_governance_file(g)?);
        }
        Ok(Snapshot {
            data,
            period,
            governance,
            span,
        })
    }

    /// `corrections "…"` or `overrides "…"`.
    fn lower_governance_file(&mut self, pair: Pair<'_, Rule>) -> Lowered<GovernFile> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        let kind = match c.next("`corrections` or `overrides`")?.as_rule() {
            Rule::kw_corrections => GovernKind::Corrections,
            _ => GovernKind::Overrides,
        };
        let path = self.lower_string(c.next("a path")?)?;
        Ok(GovernFile { kind, path, span })
    }

    // ─── tests ───────────────────────────────────────────────────────────────

    fn lower_governance_decl(&mut self, pair: Pair<'_, Rule>) -> Lowered<Governance> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        c.next("`governance`")?;
        let mut blocks = Vec::new();
        while let Ok(block) = c.next("a policy block") {
            blocks.push(self.lower_policy_block(block)?);
        }
        Ok(Governance { blocks, span })
    }

    /// `corrections { … }` or `overrides { … }` (`corrections_policy`, `overrides_policy`).
    fn lower_policy_block(&mut self, pair: Pair<'_, Rule>) -> Lowered<PolicyBlock> {
        let span = span_of(&pair);
        let subject = match pair.as_rule() {
            Rule::corrections_policy => PolicySubject::Corrections,
            Rule::overrides_policy => PolicySubject::Overrides,
            _ => return Err(unexpected(&pair, "a `governance` block")),
        };
        let mut c = Cursor::of(pair);
        c.next("`corrections` or `overrides`")?;
        let mut clauses = Vec::new();
        while let Ok(clause) = c.next("a policy clause") {
            let clause_span = span_of(&clause);
            clauses.push(match clause.as_rule() {
                Rule::approver_required => PolicyClause::ApproverRequired(clause_span),
                Rule::locked_columns => {
                    let names = clause
                        .into_inner()
                        .filter(|p| p.as_rule() == Rule::ident)
                        .map(|p| self.lower_ident(p))
                        .collect();
                    PolicyClause::Locked(names, clause_span)
                }
                Rule::max_move | Rule::expire_within => {
                    let rule = clause.as_rule();
                    let Some(number) = clause
                        .clone()
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::number)
                    else {
                        return Err(unexpected(&clause, "a policy clause"));
                    };
                    let n = self.lower_number(number);
                    if rule == Rule::max_move {
                        PolicyClause::MaxMove(n, clause_span)
                    } else {
                        PolicyClause::ExpireWithin(n, clause_span)
                    }
                }
                _ => return Err(unexpected(&clause, "a policy block")),
            });
        }
        Ok(PolicyBlock {
            subject,
            clauses,
            span,
        })
    }

    fn lower_defaults_decl(&mut self, pair: Pair<'_, Rule>) -> Lowered<Defaults> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        c.next("`defaults`")?;
        let mut clauses = Vec::new();
        while let Ok(clause) = c.next("a clause") {
            let clause_span = span_of(&clause);
            clauses.push(match clause.as_rule() {
                Rule::meta_clause => DefaultsClause::Meta(self.lower_meta_clause(clause)?),
                Rule::missing_clause => DefaultsClause::Missing(self.lower_missing_clause(clause)?),
                Rule::given_row => DefaultsClause::Given(self.lower_fields(clause)?, clause_span),
                _ => return Err(unexpected(&clause, "a `defaults` block")),
            });
        }
        Ok(Defaults { clauses, span })
    }

    /// The `column: value` fields of a `given` row or of a test's `defaults`.
    fn lower_fields(&mut self, pair: Pair<'_, Rule>) -> Lowered<Vec<Field>> {
        let mut fields = Vec::new();
        for field in pair.into_inner() {
            if field.as_rule() != Rule::field {
                continue;
            }
            let field_span = span_of(&field);
            let mut f = Cursor::of(field);
            let name = self.lower_ident(f.next("a column")?);
            let value = self.lower_literal(f.next("a value")?)?;
            fields.push(Field {
                name,
                value,
                span: field_span,
            });
        }
        Ok(fields)
    }

    fn lower_test_decl(&mut self, pair: Pair<'_, Rule>) -> Lowered<Test> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        c.next("`test`")?;
        let name = self.lower_string(c.next("a name")?)?;
        let mut clauses = Vec::new();
        while let Ok(clause) = c.next("a clause") {
            let clause_span = span_of(&clause);
            let rule = clause.as_rule();
            clauses.push(match rule {
                Rule::given_row => TestClause::GivenRow(self.lower_fields(clause)?, clause_span),
                Rule::test_defaults => {
                    TestClause::Defaults(self.lower_fields(clause)?, clause_span)
                }
                Rule::given_file => {
                    let mut g = Cursor::of(clause);
                    g.next("`given`")?;
                    g.next("`file`")?;
                    TestClause::GivenFile(self.lower_string(g.next("a path")?)?, clause_span)
                }
                Rule::test_partner | Rule::test_period => {
                    let mut g = Cursor::of(clause);
                    g.next("a keyword")?;
                    let text = self.lower_string(g.next("a string")?)?;
                    if rule == Rule::test_partner {
                        TestClause::Partner(text, clause_span)
                    } else {
                        TestClause::Period(text, clause_span)
                    }
                }
                Rule::governance_file => {
                    TestClause::GovernFile(self.lower_governance_file(clause)?)
                }
                Rule::governance_row => {
                    let kind = match clause.clone().into_inner().next().map(|k| k.as_rule()) {
                        Some(Rule::kw_correction) => GovernKind::Corrections,
                        _ => GovernKind::Overrides,
                    };
                    TestClause::GovernRow(kind, self.lower_fields(clause)?, clause_span)
                }
                Rule::expect => TestClause::Expect(self.lower_expect(clause)?),
                _ => return Err(unexpected(&clause, "a test")),
            });
        }
        Ok(Test {
            name,
            clauses,
            span,
        })
    }

    fn lower_expect(&mut self, pair: Pair<'_, Rule>) -> Lowered<Expect> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        c.next("`expect`")?;
        let body = c.next("an expectation")?;
        let rule = body.as_rule();
        let mut b = Cursor::of(body);
        let kind = match rule {
            Rule::expect_list => {
                let subject = if b.next("`actions` or `flags`")?.as_str() == "actions" {
                    ListSubject::Actions
                } else {
                    ListSubject::Flags
                };
                let negated = b.next_if(Rule::negation).is_some();
                b.next("`contains`")?;
                let label = self.lower_label(b.next("a label")?)?;
                ExpectKind::List {
                    subject,
                    negated,
                    label,
                }
            }
            Rule::expect_state => {
                let subject = self.lower_subject(b.next("a subject")?)?;
                b.next("`is`")?;
                let negated = b.next_if(Rule::negation).is_some();
                let state = match b.next("a state")?.as_str() {
                    "provisional" => StateWord::Provisional,
                    "insufficient" => StateWord::Insufficient,
                    _ => StateWord::Missing,
                };
                ExpectKind::State {
                    subject,
                    negated,
                    state,
                }
            }
            _ => {
                let subject = self.lower_subject(b.next("a subject")?)?;
                let op = lower_cmp_op(&b.next("a comparison")?)?;
                let expected = self.lower_literal(b.next("a value")?)?;
                let tolerance = match b.next_if(Rule::tolerance) {
                    Some(t) => {
                        let mut t = Cursor::of(t);
                        t.next("`within`")?;
                        Some(self.lower_number(t.next("a number")?))
                    }
                    None => None,
                };
                ExpectKind::Compare {
                    subject,
                    op,
                    expected,
                    tolerance,
                }
            }
        };
        Ok(Expect { kind, span })
    }

    fn lower_subject(&mut self, pair: Pair<'_, Rule>) -> Lowered<Subject> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        let first = self.lower_ident(c.next("a name")?);
        Ok(match c.next_if(Rule::ident) {
            Some(inner) => Subject {
                function: Some(first),
                name: self.lower_ident(inner),
                span,
            },
            None => Subject {
                function: None,
                name: first,
                span,
            },
        })
    }

    fn lower_literal(&mut self, pair: Pair<'_, Rule>) -> Lowered<Literal> {
        let span = span_of(&pair);
        let mut c = Cursor::of(pair);
        let inner = c.next("a value")?;
        let kind = match inner.as_rule() {
            Rule::signed_number => LiteralKind::Number(self.lower_number(inner)),
            Rule::string => LiteralKind::Str(self.lower_string(inner)?.value),
            Rule::kw_true => LiteralKind::Bool(true),
            Rule::kw_false => LiteralKind::Bool(false),
            Rule::kw_missing => LiteralKind::Missing,
            _ => LiteralKind::Name(inner.as_str().to_string()),
        };
        Ok(Literal { kind, span })
    }

    // ─── expressions ─────────────────────────────────────────────────────────

    pub fn lower_expr(&mut self, pair: Pair<'_, Rule>) -> Lowered<Expr> {
        let span = span_of(&pair);
        let operators = pair
            .clone()
            .into_inner()
            .filter(|p| !matches!(p.as_rule(), Rule::paren | Rule::if_expr | Rule::call))
            .count();
        if operators > MAX_OPERATORS * 2 {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::P004,
                    self.file,
                    span,
                    format!("an expression with more than {MAX_OPERATORS} operators"),
                )
                .label("this expression is too long")
                .help("split it into metrics, or use a `sum { … }` score"),
            );
            return Ok(Expr {
                kind: ExprKind::Missing,
                span,
            });
        }
        // The Pratt callbacks cannot return errors, so the first one is kept aside.
        let pratt = std::rc::Rc::clone(&self.pratt);
        let state: std::cell::RefCell<(&mut Lowerer, Option<Bug>)> =
            std::cell::RefCell::new((self, None));
        let expr = pratt
            .map_primary(|primary| {
                let s = span_of(&primary);
                let mut st = state.borrow_mut();
                match st.0.lower_operand(primary) {
                    Ok(e) => e,
                    Err(b) => {
                        st.1.get_or_insert(b);
                        Expr {
                            kind: ExprKind::Missing,
                            span: s,
                        }
                    }
                }
            })
            .map_prefix(|op, rhs| {
                let span = span_of(&op).to(rhs.span);
                let op = if op.as_rule() == Rule::op_not {
                    UnaryOp::Not
                } else {
                    UnaryOp::Neg
                };
                Expr {
                    kind: ExprKind::Unary(op, Box::new(rhs)),
                    span,
                }
            })
            .map_postfix(|lhs, op| {
                let span = lhs.span.to(span_of(&op));
                match op.as_rule() {
                    Rule::in_set => {
                        let mut negated = false;
                        let mut set = Vec::new();
                        for child in op.into_inner() {
                            match child.as_rule() {
                                Rule::negation => negated = true,
                                Rule::expr => {
                                    let mut st = state.borrow_mut();
                                    match st.0.lower_expr(child) {
                                        Ok(e) => set.push(e),
                                        Err(b) => {
                                            st.1.get_or_insert(b);
                                        }
                                    }
                                }
                                _ => {}
                            }
                        }
                        Expr {
                            kind: ExprKind::In {
                                value: Box::new(lhs),
                                set,
                                negated,
                            },
                            span,
                        }
                    }
                    _ => {
                        let negated = op.into_inner().any(|c| c.as_rule() == Rule::negation);
                        Expr {
                            kind: ExprKind::IsMissing {
                                value: Box::new(lhs),
                                negated,
                            },
                            span,
                        }
                    }
                }
            })
            .map_infix(|lhs, op, rhs| {
                let span = lhs.span.to(rhs.span);
                let op = match op.as_rule() {
                    Rule::op_or => BinOp::Or,
                    Rule::op_and => BinOp::And,
                    Rule::op_eq => BinOp::Cmp(CmpOp::Eq),
                    Rule::op_ne => BinOp::Cmp(CmpOp::Ne),
                    Rule::op_lt => BinOp::Cmp(CmpOp::Lt),
                    Rule::op_le => BinOp::Cmp(CmpOp::Le),
                    Rule::op_gt => BinOp::Cmp(CmpOp::Gt),
                    Rule::op_ge => BinOp::Cmp(CmpOp::Ge),
                    Rule::op_add => BinOp::Add,
                    Rule::op_sub => BinOp::Sub,
                    Rule::op_mul => BinOp::Mul,
                    _ => BinOp::Div,
                };
                Expr {
                    kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                    span,
                }
            })
            .parse(pair.into_inner());
        match state.into_inner().1 {
            Some(b) => Err(b),
            None => Ok(expr),
        }
    }

    fn lower_operand(&mut self, pair: Pair<'_, Rule>) -> Lowered<Expr> {
        let span = span_of(&pair);
        let kind = match pair.as_rule() {
            Rule::paren => {
                let mut c = Cursor::of(pair);
                ExprKind::Paren(Box::new(self.lower_expr(c.next("an expression")?)?))
            }
            Rule::if_expr => {
                let mut parts = Vec::new();
                for child in pair.into_inner() {
                    if child.as_rule() == Rule::expr {
                        parts.push(self.lower_expr(child)?);
                    }
                }
                let otherwise = parts.pop().ok_or_else(|| Bug {
                    span,
                    what: "an `if` without `else`".into(),
                })?;
                let mut arms = Vec::new();
                let mut it = parts.into_iter();
                while let (Some(c), Some(v)) = (it.next(), it.next()) {
                    arms.push((c, v));
                }
                ExprKind::If {
                    arms,
                    otherwise: Box::new(otherwise),
                }
            }
            Rule::call => {
                let mut c = Cursor::of(pair);
                let function = self.lower_ident(c.next("a function")?);
                let mut args = Vec::new();
                let mut within = Vec::new();
                while let Ok(child) = c.next("an argument") {
                    match child.as_rule() {
                        Rule::within => within = self.lower_within(child)?,
                        _ => args.push(self.lower_expr(child)?),
                    }
                }
                ExprKind::Call {
                    function,
                    args,
                    within,
                }
            }
            Rule::number => ExprKind::Number(self.lower_number(pair)),
            Rule::string => ExprKind::Str(self.lower_string(pair)?.value),
            Rule::kw_true => ExprKind::Bool(true),
            Rule::kw_false => ExprKind::Bool(false),
            Rule::kw_missing => ExprKind::Missing,
            Rule::ident => ExprKind::Name(self.lower_ident(pair)),
            _ => return Err(unexpected(&pair, "an expression")),
        };
        Ok(Expr { kind, span })
    }

    // ─── tokens ──────────────────────────────────────────────────────────────

    fn lower_ident(&mut self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: span_of(&pair),
        }
    }

    fn lower_string(&mut self, pair: Pair<'_, Rule>) -> Lowered<Str> {
        let span = span_of(&pair);
        let raw = pair
            .into_inner()
            .next()
            .map(|body| body.as_str().to_string())
            .unwrap_or_default();
        Ok(Str {
            value: unescape(&raw),
            span,
        })
    }

    fn lower_label(&mut self, pair: Pair<'_, Rule>) -> Lowered<Label> {
        let span = span_of(&pair);
        let inner = match pair.as_rule() {
            Rule::label => Cursor::of(pair).next("a label")?,
            _ => pair,
        };
        Ok(match inner.as_rule() {
            Rule::string => Label {
                text: self.lower_string(inner)?.value,
                quoted: true,
                span,
            },
            _ => Label {
                text: inner.as_str().to_string(),
                quoted: false,
                span,
            },
        })
    }

    /// A number literal (with or without its sign). Out-of-range literals are
    /// reported here and read as 0 so checking can go on.
    fn lower_number(&mut self, pair: Pair<'_, Rule>) -> Number {
        let span = span_of(&pair);
        let text = pair.as_str().to_string();
        let value = match scaled_decimal(&text, 0) {
            Some(v) if v.is_finite() => v,
            _ => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::P002,
                        self.file,
                        span,
                        format!("`{text}` is not a finite number"),
                    )
                    .label("too large to represent")
                    .help("numbers must lie within ±1.7e308; write a smaller value"),
                );
                0.0
            }
        };
        Number { value, text, span }
    }
}

/// Rust's keyword clash: `Rule` is pest's rule enum, so the AST's rule is aliased.
pub use super::ast::Rule as Rule_;

fn lower_cmp_op(pair: &Pair<'_, Rule>) -> Lowered<CmpOp> {
    Ok(match pair.as_str() {
        ">=" => CmpOp::Ge,
        "<=" => CmpOp::Le,
        "==" => CmpOp::Eq,
        "!=" => CmpOp::Ne,
        ">" => CmpOp::Gt,
        "<" => CmpOp::Lt,
        _ => return Err(unexpected(pair, "a comparison")),
    })
}

/// Resolve `\"`, `\\`, `\n` and `\t`; any other escaped character stands for itself.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}
