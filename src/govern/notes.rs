//! What a row touched by a correction or an override says: the extra
//! output columns, their CSV text and JSON objects, and the sentences
//! `explain` tells.

use crate::data::cell;
use crate::govern::Governance;
use crate::govern::corrections::{Applied, Correction};
use crate::govern::overrides::{self, Override};
use crate::model::{Model, ScoreId};

/// The names of the columns governance adds to each output row, in order:
/// `corrections` (with corrections); each tiered score's
/// `<score>_computed_tier`, then `override` (with overrides); each tiered
/// score's `<score>_benefits` and `<score>_obligations` (with benefits).
pub fn columns(model: &Model, gov: &Governance) -> Vec<String> {
    extras(model, gov, None, &|_| None)
        .into_iter()
        .map(|(name, _)| name.to_string())
        .collect()
}

/// One extra value of a row, before it is written as CSV text or JSON.
enum Extra<'a> {
    Corrections(Vec<(&'a Applied, &'a Correction)>),
    ComputedTier(Option<&'a str>),
    Overrides(Vec<&'a Override>),
    Terms(&'a [String]),
}

/// A column's name, `prefix` and `suffix` joined: written only where it is
/// shown (the header, a JSON member), not for every CSV row.
struct Name<'a>(&'a str, &'static str);

impl std::fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.0, self.1)
    }
}

/// The columns governance adds, each with its value at table row `row`
/// (`None`: the names alone): the one walk that `columns`, `cells` and
/// `json_members` share, so that names and values keep the same order.
fn extras<'a>(
    model: &'a Model,
    gov: &'a Governance,
    row: Option<u32>,
    computed: &dyn Fn(ScoreId) -> Option<u32>,
) -> Vec<(Name<'a>, Extra<'a>)> {
    let mut out = Vec::new();
    let name = |score: ScoreId| model.score(score).map_or("", |s| s.name.as_str());
    if let Some(c) = &gov.corrections {
        let list = row.map_or_else(Vec::new, |r| c.of_row(r).collect());
        out.push((Name("corrections", ""), Extra::Corrections(list)));
    }
    if let Some(o) = &gov.overrides {
        for score in tiered(model) {
            let label = row
                .and_then(|_| computed(score))
                .and_then(|l| overrides::tier_label(model, score, l));
            out.push((
                Name(name(score), "_computed_tier"),
                Extra::ComputedTier(label),
            ));
        }
        let list = row.map_or_else(Vec::new, |r| o.of_row(r).collect());
        out.push((Name("override", ""), Extra::Overrides(list)));
    }
    if gov.with_benefits {
        for score in tiered(model) {
            let (benefits, obligations) = match row {
                Some(r) => tier_terms(model, gov, r, score, computed(score)),
                None => (&[][..], &[][..]),
            };
            out.push((Name(name(score), "_benefits"), Extra::Terms(benefits)));
            out.push((Name(name(score), "_obligations"), Extra::Terms(obligations)));
        }
    }
    out
}

/// The benefits and obligations of the reported tier of `score` at `row`
/// (the override's tier where one applies, else the computed one).
pub fn tier_terms<'m>(
    model: &'m Model,
    gov: &Governance,
    row: u32,
    score: ScoreId,
    computed: Option<u32>,
) -> (&'m [String], &'m [String]) {
    let overridden = gov
        .overrides
        .as_ref()
        .and_then(|o| o.at(row, score))
        .map(|o| o.tier);
    let label = overridden
        .or(computed)
        .and_then(|l| overrides::tier_label(model, score, l));
    let tier = model
        .score(score)
        .and_then(|s| s.tiers.as_ref())
        .and_then(|t| t.tiers.iter().find(|d| Some(d.label.as_str()) == label));
    match tier {
        Some(t) => (&t.benefits, &t.obligations),
        None => (&[], &[]),
    }
}

fn tiered(model: &Model) -> impl Iterator<Item = ScoreId> + '_ {
    model
        .scores
        .iter()
        .enumerate()
        .filter(|(_, s)| s.tiers.is_some())
        .map(|(i, _)| ScoreId(i as u32))
}

/// One correction as a cell: `revenue 12000 -> 21000 (line 2)`.
pub fn correction_text(model: &Model, a: &Applied, c: &Correction) -> String {
    format!(
        "{} {} -> {} (line {})",
        c.column_name,
        cell::describe(model, c.column, &a.before),
        cell::describe(model, c.column, &c.value),
        c.line
    )
}

/// One override as a cell: `score_tier good (line 3, until 2026Q2)`.
pub fn override_text(o: &Override) -> String {
    let until = o
        .until
        .as_deref()
        .map_or(String::new(), |u| format!(", until {u}"));
    format!("{} {} (line {}{until})", o.score_name, o.tier_label, o.line)
}

/// The extra cells of table row `row` (text, as CSV holds them; empty when
/// nothing touched the row), given the computed tier label of each tiered
/// score at that row.
pub fn cells(
    model: &Model,
    gov: &Governance,
    row: u32,
    computed: &dyn Fn(ScoreId) -> Option<u32>,
) -> Vec<String> {
    extras(model, gov, Some(row), computed)
        .into_iter()
        .map(|(_, extra)| match extra {
            Extra::Corrections(list) => {
                let parts: Vec<String> = list
                    .iter()
                    .map(|(a, c)| correction_text(model, a, c))
                    .collect();
                parts.join("; ")
            }
            Extra::ComputedTier(label) => label.unwrap_or_default().to_string(),
            Extra::Overrides(list) => {
                let parts: Vec<String> = list.iter().map(|o| override_text(o)).collect();
                parts.join("; ")
            }
            Extra::Terms(list) => list.join("; "),
        })
        .collect()
}

fn string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

/// The extra members of table row `row`'s JSON object, each `"name":value`:
/// `corrections` an array of objects, `<score>_computed_tier` a label,
/// `override` an object or `null`.
pub fn json_members(
    model: &Model,
    gov: &Governance,
    row: u32,
    computed: &dyn Fn(ScoreId) -> Option<u32>,
) -> Vec<String> {
    extras(model, gov, Some(row), computed)
        .into_iter()
        .map(|(name, extra)| {
            let value = match extra {
                Extra::Corrections(list) => {
                    let items: Vec<String> = list
                        .iter()
                        .map(|(a, c)| {
                            serde_json::json!({
                                "column": c.column_name,
                                "from": cell::describe(model, c.column, &a.before),
                                "to": cell::describe(model, c.column, &c.value),
                                "reason": c.reason,
                                "submitted_by": c.submitted_by,
                                "approved_by": c.approved_by,
                                "date": c.date,
                                "line": c.line,
                            })
                            .to_string()
                        })
                        .collect();
                    format!("[{}]", items.join(","))
                }
                Extra::ComputedTier(label) => label.map_or_else(|| "null".to_string(), string),
                Extra::Overrides(list) => {
                    let items: Vec<String> =
                        list.iter().map(|o| override_json(o).to_string()).collect();
                    match items.len() {
                        0 => "null".to_string(),
                        1 => items.concat(),
                        _ => format!("[{}]", items.join(",")),
                    }
                }
                Extra::Terms(list) => {
                    let items: Vec<String> = list.iter().map(|b| string(b)).collect();
                    format!("[{}]", items.join(","))
                }
            };
            format!("{}:{value}", string(&name.to_string()))
        })
        .collect()
}

fn override_json(o: &Override) -> serde_json::Value {
    serde_json::json!({
        "score": o.score_name,
        "tier": o.tier_label,
        "from_period": o.from,
        "until_period": o.until,
        "reason": o.reason,
        "requested_by": o.requested_by,
        "approved_by": o.approved_by,
        "date": o.date,
        "line": o.line,
    })
}

/// Who did something and when: `by ana, approved by raj on 2026-01-15`.
fn by(who: &str, approved: &str, date: &str) -> String {
    let mut out = String::new();
    if !who.is_empty() {
        out.push_str(&format!(" by {who}"));
    }
    if !approved.is_empty() {
        out.push_str(&format!(", approved by {approved}"));
    }
    if !date.is_empty() {
        out.push_str(&format!(" on {date}"));
    }
    out
}

/// The sentences `explain` tells about table row `row`: each correction
/// ("revenue corrected from 12000 to 21000 by … on …: reason") and each
/// override ("tier good by override, computed needs_improvement; approved
/// by … until 2026Q2: reason").
pub fn story(
    model: &Model,
    gov: &Governance,
    row: u32,
    computed: &dyn Fn(ScoreId) -> Option<u32>,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(c) = &gov.corrections {
        for (a, c) in c.of_row(row) {
            out.push(format!(
                "{} corrected from {} to {}{}: {} ({} line {})",
                c.column_name,
                cell::describe(model, c.column, &a.before),
                cell::describe(model, c.column, &c.value),
                by(&c.submitted_by, &c.approved_by, &c.date),
                c.reason,
                file_name(
                    &gov.corrections
                        .as_ref()
                        .map(|c| c.file.clone())
                        .unwrap_or_default()
                ),
                c.line
            ));
        }
    }
    if let Some(overrides) = &gov.overrides {
        for o in overrides.of_row(row) {
            let computed = computed(o.score)
                .and_then(|l| overrides::tier_label(model, o.score, l))
                .unwrap_or("unknown");
            let until = o
                .until
                .as_deref()
                .map_or(", with no end".to_string(), |u| format!(" until {u}"));
            let approved = if o.approved_by.is_empty() {
                format!("requested by {}", o.requested_by)
            } else {
                format!("approved by {}", o.approved_by)
            };
            out.push(format!(
                "{} tier {} by override, computed {computed}; {approved}{until}: {} ({} line {})",
                o.score_name,
                o.tier_label,
                o.reason,
                file_name(&overrides.file),
                o.line
            ));
        }
    }
    out
}

fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// One line for standard error: what governance applied in the run.
pub fn summary(gov: &Governance) -> String {
    let mut parts = Vec::new();
    if let Some(c) = &gov.corrections {
        let rows: std::collections::BTreeSet<u32> = c.applied.iter().map(|a| a.row).collect();
        parts.push(format!(
            "{} correction{} changed {} value{} in {} row{}",
            c.list.len(),
            plural(c.list.len()),
            c.applied.len(),
            plural(c.applied.len()),
            rows.len(),
            plural(rows.len())
        ));
    }
    if let Some(o) = &gov.overrides {
        parts.push(format!(
            "{} override{} set the tier of {} row{}",
            o.list.len(),
            plural(o.list.len()),
            o.rows.len(),
            plural(o.rows.len())
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("governance: {}\n", parts.join("; "))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What governance says about the row `explain` shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Explained {
    /// Whether corrections or overrides were given at all.
    pub governed: bool,
    pub sentences: Vec<String>,
    /// The JSON members `corrections` and `override`.
    pub members: Vec<String>,
}

/// Governance's part of the explanation of `partner` at `period`.
pub fn explained(
    model: &Model,
    table: &crate::data::table::Table,
    gov: &Governance,
    partner: &str,
    period: Option<&str>,
) -> Explained {
    if gov.is_empty() {
        return Explained::default();
    }
    let row = (0..table.rows as u32).find(|r| {
        let (k, p) = crate::govern::row_key(model, table, *r);
        k == partner && period.is_none_or(|want| want == p)
    });
    let Some(row) = row else {
        return Explained {
            governed: true,
            ..Explained::default()
        };
    };
    let computed = |s: ScoreId| {
        gov.overrides
            .as_ref()
            .and_then(|o| o.computed.get(&(row, s)).copied())
    };
    let mut members = json_members(model, gov, row, &computed);
    // The computed tiers are in the explanation's scores already.
    members.retain(|m| !m.contains("_computed_tier\":"));
    Explained {
        governed: true,
        sentences: story(model, gov, row, &computed),
        members,
    }
}

impl Explained {
    /// The section `explain` prints after its own text.
    pub fn text(&self, width: Option<usize>) -> String {
        if !self.governed {
            return String::new();
        }
        let mut out = String::from("\nCorrections and overrides\n");
        if self.sentences.is_empty() {
            out.push_str("  none applies to this row\n");
        }
        for s in &self.sentences {
            let line = format!("  - {s}");
            match width {
                Some(w) if w > 8 => {
                    let mut current = String::new();
                    for word in line.split(' ') {
                        if !current.is_empty()
                            && current.chars().count() + 1 + word.chars().count() > w
                        {
                            out.push_str(&current);
                            out.push('\n');
                            current = format!("    {word}");
                        } else {
                            if !current.is_empty() {
                                current.push(' ');
                            }
                            current.push_str(word);
                        }
                    }
                    out.push_str(&current);
                    out.push('\n');
                }
                _ => {
                    out.push_str(&line);
                    out.push('\n');
                }
            }
        }
        out
    }

    /// The explanation's JSON document with the members added.
    pub fn into_json<P: serde::Serialize>(
        self,
        document: &str,
        paths: &[P],
    ) -> Result<String, serde_json::Error> {
        let mut value: serde_json::Value = serde_json::from_str(document)?;
        if let Some(map) = value.as_object_mut() {
            if !paths.is_empty() {
                map.insert("next_tier".to_string(), serde_json::to_value(paths)?);
            }
            for m in &self.members {
                let object: serde_json::Value = serde_json::from_str(&format!("{{{m}}}"))?;
                if let serde_json::Value::Object(o) = object {
                    map.extend(o);
                }
            }
        }
        let mut out = serde_json::to_string_pretty(&value)?;
        out.push('\n');
        Ok(out)
    }
}

/// Set each overridden row's tier in `diff`'s scored rows (keyed
/// `partner period`) to the override's.
pub fn override_tiers<T: TierSlot>(
    model: &Model,
    table: &crate::data::table::Table,
    gov: &Governance,
    rows: &mut indexmap::IndexMap<String, T>,
) {
    let Some(o) = &gov.overrides else { return };
    for ((row, _), k) in &o.rows {
        let Some(ov) = o.list.get(*k) else { continue };
        let (partner, period) = crate::govern::row_key(model, table, *row);
        let key = format!("{partner} {period}").trim_end().to_string();
        if let Some(scored) = rows.get_mut(&key) {
            scored.set_tier(&ov.score_name, &ov.tier_label);
        }
    }
}

/// A scored row whose tiers can be set by name.
pub trait TierSlot {
    fn set_tier(&mut self, score: &str, label: &str);
}

/// The partners a run corrected or overrode, among the rows compared.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Touched {
    /// `partner period` and what was done, in row order.
    pub corrected: Vec<(String, String)>,
    pub overridden: Vec<(String, String)>,
}

impl Touched {
    pub fn is_empty(&self) -> bool {
        self.corrected.is_empty() && self.overridden.is_empty()
    }

    /// A section after `diff`'s report.
    pub fn text(&self, markdown: bool) -> String {
        if self.is_empty() {
            return String::new();
        }
        let mut out = String::new();
        for (title, list) in [
            ("Corrected", &self.corrected),
            ("Overridden", &self.overridden),
        ] {
            if list.is_empty() {
                continue;
            }
            if markdown {
                out.push_str(&format!("\n### {title} ({})\n\n", list.len()));
            } else {
                out.push_str(&format!("\n{title} ({}):\n", list.len()));
            }
            for (who, what) in list {
                if markdown {
                    out.push_str(&format!("- `{who}`: {what}\n"));
                } else {
                    out.push_str(&format!("  {who}: {what}\n"));
                }
            }
        }
        out
    }

    pub fn json(&self) -> serde_json::Value {
        let list = |l: &[(String, String)]| {
            l.iter()
                .map(|(who, what)| serde_json::json!({"row": who, "change": what}))
                .collect::<Vec<_>>()
        };
        serde_json::json!({
            "corrected": list(&self.corrected),
            "overridden": list(&self.overridden),
        })
    }
}

/// Which of the compared rows (`rows`, keyed `partner period`) the run's
/// corrections and overrides touched.
pub fn touched<T>(
    model: &Model,
    table: &crate::data::table::Table,
    gov: &Governance,
    rows: &indexmap::IndexMap<String, T>,
) -> Touched {
    let key = |row: u32| {
        let (partner, period) = crate::govern::row_key(model, table, row);
        format!("{partner} {period}").trim_end().to_string()
    };
    let mut out = Touched::default();
    let mut order: Vec<u32> = (0..table.rows as u32).collect();
    order.sort_by_key(|r| rows.get_index_of(&key(*r)).unwrap_or(usize::MAX));
    for row in order {
        let k = key(row);
        if !rows.contains_key(&k) {
            continue;
        }
        if let Some(c) = &gov.corrections {
            let parts: Vec<String> = c
                .of_row(row)
                .map(|(a, c)| correction_text(model, a, c))
                .collect();
            if !parts.is_empty() {
                out.corrected.push((k.clone(), parts.join("; ")));
            }
        }
        if let Some(o) = &gov.overrides {
            for ov in o.of_row(row) {
                let computed = o
                    .computed
                    .get(&(row, ov.score))
                    .and_then(|l| overrides::tier_label(model, ov.score, *l))
                    .unwrap_or("unknown");
                out.overridden.push((
                    k.clone(),
                    format!("{} (computed {computed})", override_text(ov)),
                ));
            }
        }
    }
    out
}
