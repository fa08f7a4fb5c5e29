//! Rules that fired, flags raised, and the actions they call for.

use super::*;

pub(super) fn priority(p: f64) -> String {
    crate::model::priority_word(p).map_or_else(|| literal(p), str::to_string)
}

pub(super) fn fired_rules(at: &At<'_, '_>) -> Vec<FiredRule> {
    at.model()
        .rules
        .iter()
        .enumerate()
        .filter(|(k, _)| At::flag_at(&at.batch.rules, *k, at.i))
        .map(|(k, r)| FiredRule {
            name: r.name.clone(),
            reason: r.reason.clone(),
            priority: priority(r.priority),
            condition: at.quote(r.condition.loc),
            reads: at.reads(&r.condition, at.plan().rules.get(k)),
            actions: r.actions.clone(),
        })
        .collect()
}

pub(super) fn raised_flags(at: &At<'_, '_>) -> Vec<RaisedFlag> {
    at.model()
        .flags
        .iter()
        .enumerate()
        .filter(|(k, _)| At::flag_at(&at.batch.flags, *k, at.i))
        .map(|(k, f)| RaisedFlag {
            name: f.name.clone(),
            description: f.description.clone(),
            kind: f.kind.clone(),
            condition: at.quote(f.condition.loc),
            reads: at.reads(&f.condition, at.plan().flags.get(k)),
        })
        .collect()
}

pub(super) fn actions(at: &At<'_, '_>) -> Vec<ActionExplanation> {
    let model = at.model();
    eval::actions_of(at.batch, at.i)
        .into_iter()
        .map(|action| {
            // The rule that listed it first, in the order actions are collected.
            let rule = at
                .plan()
                .action_order
                .iter()
                .filter(|r| At::flag_at(&at.batch.rules, r.index(), at.i))
                .filter_map(|r| model.rules.get(r.index()))
                .find(|r| r.actions.iter().any(|a| a == action))
                .map_or_else(String::new, |r| r.name.clone());
            ActionExplanation {
                action: action.to_string(),
                rule,
            }
        })
        .collect()
}
