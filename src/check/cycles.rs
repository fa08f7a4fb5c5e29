//! The dependency order of segments, metrics, scores and flags, and the cycles
//! that make an order impossible.

use indexmap::{IndexMap, IndexSet};

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::*;

/// Every node the model defines, in declaration order within each kind.
fn nodes(model: &Model) -> Vec<Node> {
    let mut out = Vec::new();
    out.extend((0..model.segments.len()).map(|i| Node::Segment(SegmentId(i as u32))));
    out.extend((0..model.metrics.len()).map(|i| Node::Metric(MetricId(i as u32))));
    out.extend((0..model.scores.len()).map(|i| Node::Score(ScoreId(i as u32))));
    out.extend((0..model.flags.len()).map(|i| Node::Flag(FlagId(i as u32))));
    out
}

pub(crate) fn expr_deps(e: &Expr, out: &mut IndexSet<Node>) {
    e.walk(&mut |x| match &x.kind {
        ExprKind::Metric(m) | ExprKind::Points(m) => {
            out.insert(Node::Metric(*m));
        }
        ExprKind::Score(s, _) | ExprKind::Tier(s) | ExprKind::ComputedTier(s) => {
            out.insert(Node::Score(*s));
        }
        ExprKind::Flag(f) => {
            out.insert(Node::Flag(*f));
        }
        ExprKind::Segment(s) => {
            out.insert(Node::Segment(*s));
        }
        ExprKind::Population(_, _, groups) => {
            for g in groups {
                if let GroupKey::Segment(s) = g {
                    out.insert(Node::Segment(*s));
                }
            }
        }
        _ => {}
    });
}

fn definition_deps(d: &Definition, out: &mut IndexSet<Node>) {
    for m in d.metrics() {
        out.insert(Node::Metric(m));
    }
    if let Definition::Value(e) = d {
        expr_deps(e, out);
    }
}

fn rubric_deps(r: &Rubric, out: &mut IndexSet<Node>) {
    match &r.points {
        PointsRule::Expr(e) => expr_deps(e, out),
        PointsRule::Normalize { within, .. } => {
            for g in within {
                if let GroupKey::Segment(s) = g {
                    out.insert(Node::Segment(*s));
                }
            }
        }
        _ => {}
    }
}

/// What one node reads.
pub fn dependencies(model: &Model, node: Node) -> IndexSet<Node> {
    let mut out = IndexSet::new();
    match node {
        Node::Segment(id) => {
            if let Some(SegmentSource::Rules(rules)) = model.segment(id).map(|s| &s.source) {
                for r in rules {
                    if let Some(c) = &r.condition {
                        expr_deps(c, &mut out);
                    }
                }
            }
        }
        Node::Metric(id) => {
            if let Some(m) = model.metric(id) {
                expr_deps(&m.value, &mut out);
                rubric_deps(&m.rubric, &mut out);
                for sr in &m.segment_rubrics {
                    out.insert(Node::Segment(sr.segment));
                    rubric_deps(&sr.rubric, &mut out);
                }
            }
        }
        Node::Score(id) => {
            if let Some(s) = model.score(id) {
                definition_deps(&s.definition, &mut out);
                for o in &s.overrides {
                    out.insert(Node::Segment(o.segment));
                    definition_deps(&o.definition, &mut out);
                }
                for a in &s.adjustments {
                    expr_deps(&a.condition, &mut out);
                }
            }
        }
        Node::Flag(id) => {
            if let Some(f) = model.flag(id) {
                expr_deps(&f.condition, &mut out);
            }
        }
    }
    out
}

fn node_name(model: &Model, node: Node) -> (String, Loc) {
    match node {
        Node::Segment(id) => model.segment(id).map(|s| (s.name.clone(), s.loc)),
        Node::Metric(id) => model.metric(id).map(|s| (s.name.clone(), s.loc)),
        Node::Score(id) => model.score(id).map(|s| (s.name.clone(), s.loc)),
        Node::Flag(id) => model.flag(id).map(|s| (s.name.clone(), s.loc)),
    }
    .unwrap_or_default()
}

/// Order the nodes so each follows what it reads; report every cycle (S001).
pub fn order(model: &Model, diagnostics: &mut Diagnostics) -> Vec<Node> {
    let all = nodes(model);
    let deps: IndexMap<Node, IndexSet<Node>> =
        all.iter().map(|n| (*n, dependencies(model, *n))).collect();
    // Depth-first search with an explicit stack: 0 = new, 1 = on the path, 2 = done.
    let mut state: IndexMap<Node, u8> = all.iter().map(|n| (*n, 0u8)).collect();
    let mut order = Vec::new();
    let mut cyclic = false;
    let mut reported: IndexSet<Node> = IndexSet::new();
    for start in &all {
        if state.get(start).copied() != Some(0) {
            continue;
        }
        let mut path: Vec<(Node, usize)> = vec![(*start, 0)];
        state.insert(*start, 1);
        while let Some((node, next)) = path.last().copied() {
            let children = deps.get(&node);
            match children.and_then(|c| c.get_index(next)).copied() {
                Some(child) => {
                    if let Some(top) = path.last_mut() {
                        top.1 += 1;
                    }
                    match state.get(&child).copied().unwrap_or(2) {
                        0 => {
                            state.insert(child, 1);
                            path.push((child, 0));
                        }
                        1 => {
                            cyclic = true;
                            let from = path.iter().position(|(n, _)| *n == child).unwrap_or(0);
                            let members: Vec<Node> =
                                path.iter().skip(from).map(|(n, _)| *n).collect();
                            if members.iter().any(|m| reported.contains(m)) {
                                continue;
                            }
                            reported.extend(members.iter().copied());
                            let names: Vec<String> =
                                members.iter().map(|m| node_name(model, *m).0).collect();
                            let (first, first_loc) = node_name(model, child);
                            let mut chain = names.clone();
                            chain.push(first.clone());
                            let mut d = Diagnostic::new(
                                Code::S001,
                                first_loc.file,
                                first_loc.span,
                                if members.len() == 1 {
                                    format!("`{first}` depends on itself")
                                } else {
                                    format!(
                                        "`{first}` depends on itself through {}",
                                        chain.join(" → ")
                                    )
                                },
                            )
                            .label("part of a cycle")
                            .help(
                                "break the cycle: one of these must be computed without the others",
                            );
                            for m in members.iter().skip(1) {
                                let (name, l) = node_name(model, *m);
                                if l.file == first_loc.file {
                                    d = d.note(l.span, format!("`{name}` is in the cycle"));
                                }
                            }
                            diagnostics.push(d);
                        }
                        _ => {}
                    }
                }
                None => {
                    state.insert(node, 2);
                    order.push(node);
                    path.pop();
                }
            }
        }
    }
    if cyclic { Vec::new() } else { order }
}
