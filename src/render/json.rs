//! JSON and NDJSON output: one object per reported row.

use super::cell;
use crate::eval::{Batch, Col, Selection, actions_of, flags_of, selected};
use crate::model::{Model, Type};

fn string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

/// The opening of a JSON document: who produced the rows.
pub fn document_start(model: &Model) -> String {
    let opt = |v: &Option<String>| v.as_deref().map_or_else(|| "null".to_string(), string);
    format!(
        "{{\n  \"scorecard\": {},\n  \"version\": {},\n  \"content_hash\": {},\n  \"rows\": [",
        opt(&model.name),
        opt(&model.version),
        string(&model.content_hash)
    )
}

/// The closing of a JSON document.
pub fn document_end(empty: bool) -> String {
    if empty {
        "]\n}\n".to_string()
    } else {
        "\n  ]\n}\n".to_string()
    }
}

/// The batch's reported rows as JSON objects, and how many there are.
pub fn rows(batch: &Batch<'_>, selection: &Selection) -> (Vec<String>, usize) {
    rows_governed(batch, selection, None)
}

/// [`rows`], with the tier an override sets in place of the computed one
/// and the members governance adds after the plan's.
pub fn rows_governed(
    batch: &Batch<'_>,
    selection: &Selection,
    gov: Option<&crate::govern::Governance>,
) -> (Vec<String>, usize) {
    let mut out = Vec::new();
    let mut text = String::new();
    for i in 0..batch.len {
        if !selected(batch, i, selection) {
            continue;
        }
        let mut line = String::from("{");
        for (k, (column, col)) in batch.output_columns().enumerate() {
            if k > 0 {
                line.push(',');
            }
            line.push_str(&string(&column.name));
            line.push(':');
            if let Some(label) = super::overridden(batch, column, i, gov) {
                line.push_str(&string(label));
                continue;
            }
            let items = match col {
                Col::Actions => Some(actions_of(batch, i)),
                Col::FlagNames => Some(flags_of(batch, i)),
                _ => None,
            };
            if let Some(items) = items {
                let parts: Vec<String> = items.iter().map(|s| string(s)).collect();
                line.push('[');
                line.push_str(&parts.join(","));
                line.push(']');
                continue;
            }
            if col.is_missing(i) {
                line.push_str("null");
                continue;
            }
            text.clear();
            let plain = crate::plan::OutputColumn {
                if_missing: None,
                if_empty: None,
                ..column.clone()
            };
            cell(batch, &plain, col, i, &mut text);
            match (col, column.ty) {
                (Col::Num(_), _) | (Col::Bool(_), _) => line.push_str(&text),
                (_, Type::Bool) => line.push_str(&text),
                _ => line.push_str(&string(&text)),
            }
        }
        if let (Some(g), Some(row)) = (gov, batch.rows.get(i)) {
            let members = crate::govern::notes::json_members(batch.ctx.model, g, *row, &|s| {
                super::computed_tier(batch, s, i)
            });
            for m in members {
                line.push(',');
                line.push_str(&m);
            }
        }
        line.push('}');
        out.push(line);
    }
    let n = out.len();
    (out, n)
}
