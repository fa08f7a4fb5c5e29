//! Which lint findings stand when the scorecard also has errors.
//!
//! Lints run on every scorecard whose dependencies have no cycle, but a
//! finding is kept only when what it judges is free of errors, so an error is
//! never repeated as a warning in other words:
//!
//! - a finding inside a declaration is kept when neither that declaration nor
//!   anything it reads (metrics, segments, scores, flags, transitively) holds
//!   an error; weights that do not add up to 100 (`L001`), missing governance
//!   (`L009`) and a segment without `otherwise` (`L011`) judge only their own
//!   declaration, so only its errors count;
//! - unused definitions (`L006`, `L007`) are judged on the whole scorecard:
//!   a use with a typo in it would make a used definition look unused, so
//!   they wait until there is no error at all;
//! - an error in an `input` block, an import, or anywhere outside the
//!   declarations lints judge, may change every type: it holds every finding
//!   back but the missing header (`L012`).

use indexmap::IndexSet;

use crate::check::cycles;
use crate::check::load::Program;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Model, Node, RuleId, ScoreId};
use crate::source::FileId;
use crate::syntax::ast::{Decl, Span};

/// What a declaration is, for the lints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Item {
    Node(Node),
    Rule(RuleId),
    Tiers(ScoreId),
}

/// One declaration of the program: where it is and what it declares.
struct Place {
    file: FileId,
    span: Span,
    /// `None` for a declaration no lint judges (output, test, snapshot).
    item: Option<Item>,
    /// An error here may change every type (input, import, anything new).
    global: bool,
}

fn find<T>(items: &[T], pick: impl Fn(&T) -> bool) -> Option<usize> {
    items.iter().position(pick)
}

fn places(model: &Model, program: &Program) -> Vec<Place> {
    let mut out = Vec::new();
    for loaded in &program.files {
        let file = loaded.file;
        let at = |name_span: Span, loc: &crate::model::Loc| {
            loc.file == file && loc.span.range() == name_span.range()
        };
        for decl in &loaded.tree.decls {
            let (item, global) = match decl {
                Decl::Metric(d) => (
                    find(&model.metrics, |m| at(d.name.span, &m.loc))
                        .map(|i| Item::Node(Node::Metric(crate::model::MetricId(i as u32)))),
                    false,
                ),
                Decl::Segment(d) => (
                    find(&model.segments, |s| at(d.name.span, &s.loc))
                        .map(|i| Item::Node(Node::Segment(crate::model::SegmentId(i as u32)))),
                    false,
                ),
                Decl::Score(d) => (
                    find(&model.scores, |s| at(d.name.span, &s.loc))
                        .map(|i| Item::Node(Node::Score(ScoreId(i as u32)))),
                    false,
                ),
                Decl::Flag(d) => (
                    find(&model.flags, |f| at(d.name.span, &f.loc))
                        .map(|i| Item::Node(Node::Flag(crate::model::FlagId(i as u32)))),
                    false,
                ),
                Decl::Rule(d) => (
                    find(&model.rules, |r| at(d.name.span, &r.loc))
                        .map(|i| Item::Rule(RuleId(i as u32))),
                    false,
                ),
                Decl::Tiers(d) => (
                    find(&model.scores, |s| s.name == d.score.name)
                        .map(|i| Item::Tiers(ScoreId(i as u32))),
                    false,
                ),
                Decl::Output(_) | Decl::Test(_) | Decl::Snapshot(_) => (None, false),
                _ => (None, true),
            };
            out.push(Place {
                file,
                span: decl.span(),
                item,
                global,
            });
        }
    }
    out
}

fn inside(place: &Place, file: FileId, span: Span) -> bool {
    place.file == file && place.span.start <= span.start && span.start < place.span.end.max(1)
}

fn dependencies(model: &Model, item: Item) -> Vec<Item> {
    match item {
        Item::Node(node) => cycles::dependencies(model, node)
            .into_iter()
            .map(Item::Node)
            .collect(),
        Item::Rule(id) => {
            let mut deps = IndexSet::new();
            if let Some(rule) = model.rules.get(id.index()) {
                cycles::expr_deps(&rule.condition, &mut deps);
            }
            deps.into_iter().map(Item::Node).collect()
        }
        Item::Tiers(score) => vec![Item::Node(Node::Score(score))],
    }
}

/// The lint findings in `found` that stand beside the errors in `errors`.
pub fn keep_where_clean(
    model: &Model,
    program: &Program,
    errors: &Diagnostics,
    found: Diagnostics,
) -> Vec<Diagnostic> {
    let places = places(model, program);
    let errors: Vec<&Diagnostic> = errors.iter().filter(|d| d.is_error()).collect();
    if errors.is_empty() {
        return found.into_vec();
    }
    let mut global = false;
    let mut own: IndexSet<Item> = IndexSet::new();
    for e in &errors {
        match places.iter().find(|p| inside(p, e.file, e.span)) {
            Some(p) if p.global => global = true,
            Some(p) => {
                if let Some(item) = p.item {
                    own.insert(item);
                }
            }
            None => global = true,
        }
    }
    // Everything that reads a declaration with an error, to a fixpoint.
    let items: Vec<Item> = places.iter().filter_map(|p| p.item).collect();
    let mut tainted = own.clone();
    loop {
        let before = tainted.len();
        for item in &items {
            if !tainted.contains(item)
                && dependencies(model, *item)
                    .iter()
                    .any(|d| tainted.contains(d))
            {
                tainted.insert(*item);
            }
        }
        if tainted.len() == before {
            break;
        }
    }
    found
        .into_vec()
        .into_iter()
        .filter(|d| {
            if matches!(d.code, Code::L012 | Code::L014) {
                return true;
            }
            if global || matches!(d.code, Code::L006 | Code::L007) {
                return false;
            }
            let Some(item) = places
                .iter()
                .find(|p| inside(p, d.file, d.span))
                .and_then(|p| p.item)
            else {
                return false;
            };
            if matches!(d.code, Code::L001 | Code::L009 | Code::L011) {
                !own.contains(&item)
            } else {
                !tainted.contains(&item)
            }
        })
        .collect()
}
