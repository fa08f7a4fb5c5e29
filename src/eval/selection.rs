//! Which rows a run reports, and the actions and flags of one reported row.

use super::*;

/// Which rows a run reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selection {
    pub period: PeriodChoice,
    /// Only this partner.
    pub partner: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub enum PeriodChoice {
    /// Each partner's latest row.
    #[default]
    Latest,
    All,
    Label(String),
}

/// The action labels fired for batch row `i`, in priority order, without repeats.
pub fn actions_of<'a>(batch: &Batch<'a>, i: usize) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for rule in &batch.ctx.plan.action_order {
        let fired = batch
            .rules
            .get(rule.index())
            .and_then(|r| r.as_ref())
            .and_then(|r| r.get(i))
            .is_some_and(|x| *x == 1);
        if !fired {
            continue;
        }
        if let Some(def) = batch.ctx.model.rules.get(rule.index()) {
            for a in &def.actions {
                if !out.contains(&a.as_str()) {
                    out.push(a);
                }
            }
        }
    }
    out
}

/// The names of the flags raised for batch row `i`, in written order.
pub fn flags_of<'a>(batch: &Batch<'a>, i: usize) -> Vec<&'a str> {
    batch
        .ctx
        .model
        .flags
        .iter()
        .enumerate()
        .filter(|(k, _)| {
            batch
                .flags
                .get(*k)
                .and_then(|f| f.as_ref())
                .and_then(|f| f.get(i))
                .is_some_and(|x| *x == 1)
        })
        .map(|(_, f)| f.name.as_str())
        .collect()
}

/// Whether batch row `i` is reported under `selection`.
pub fn selected(batch: &Batch<'_>, i: usize, selection: &Selection) -> bool {
    let table = batch.ctx.table;
    let row = batch.rows.get(i).copied().unwrap_or(0) as usize;
    if let Some(p) = &selection.partner {
        let key = text_column(table, batch.ctx.model.contract.key).map_or("", |k| k.get(row));
        if key != p {
            return false;
        }
    }
    match &selection.period {
        PeriodChoice::Latest => batch.is_latest(i),
        PeriodChoice::All => true,
        PeriodChoice::Label(l) => {
            text_column(table, batch.ctx.model.contract.period).is_some_and(|p| p.get(row) == l)
        }
    }
}
