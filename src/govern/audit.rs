//! The audit log (`--audit FILE`): one NDJSON line per correction applied
//! to a row and per override applied to a row, each with the scorecard's
//! content hash, the data file's hash and the governance file's hash, so an
//! auditor can tie a payout to exactly what produced it.

use crate::data::cell;
use crate::data::table::Table;
use crate::govern::{Governance, overrides, row_key};
use crate::model::Model;

/// `sha256:` of bytes.
pub fn hash(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The hashes the log carries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hashes {
    /// The data file's (`None` for standard input, which cannot be read twice).
    pub data: Option<String>,
    pub corrections: Option<String>,
    pub overrides: Option<String>,
}

/// The log's lines, corrections first, each in file order then row order.
pub fn lines(model: &Model, table: &Table, gov: &Governance, hashes: &Hashes) -> String {
    let mut out = String::new();
    let common = |kind: &str, file: &str, file_hash: &Option<String>| {
        serde_json::json!({
            "kind": kind,
            "scorecard": model.name,
            "version": model.version,
            "scorecard_hash": model.content_hash,
            "data_hash": hashes.data,
            "file": file,
            "file_hash": file_hash,
        })
    };
    if let Some(c) = &gov.corrections {
        for a in &c.applied {
            let Some(k) = c.list.get(a.correction) else {
                continue;
            };
            let (partner, period) = row_key(model, table, a.row);
            let mut v = common("correction", &c.file, &hashes.corrections);
            if let Some(map) = v.as_object_mut() {
                for (key, value) in [
                    ("line", serde_json::json!(k.line)),
                    ("partner", serde_json::json!(partner)),
                    ("period", serde_json::json!(period)),
                    ("column", serde_json::json!(k.column_name)),
                    (
                        "from",
                        serde_json::json!(cell::describe(model, k.column, &a.before)),
                    ),
                    (
                        "to",
                        serde_json::json!(cell::describe(model, k.column, &k.value)),
                    ),
                    ("reason", serde_json::json!(k.reason)),
                    ("submitted_by", serde_json::json!(k.submitted_by)),
                    ("approved_by", serde_json::json!(k.approved_by)),
                    ("date", serde_json::json!(k.date)),
                ] {
                    map.insert(key.to_string(), value);
                }
            }
            out.push_str(&v.to_string());
            out.push('\n');
        }
    }
    if let Some(o) = &gov.overrides {
        for ((row, score), k) in &o.rows {
            let Some(ov) = o.list.get(*k) else { continue };
            let (partner, period) = row_key(model, table, *row);
            let computed = o
                .computed
                .get(&(*row, *score))
                .and_then(|l| overrides::tier_label(model, *score, *l));
            let mut v = common("override", &o.file, &hashes.overrides);
            if let Some(map) = v.as_object_mut() {
                for (key, value) in [
                    ("line", serde_json::json!(ov.line)),
                    ("partner", serde_json::json!(partner)),
                    ("period", serde_json::json!(period)),
                    ("score", serde_json::json!(ov.score_name)),
                    ("tier", serde_json::json!(ov.tier_label)),
                    ("computed_tier", serde_json::json!(computed)),
                    ("from_period", serde_json::json!(ov.from)),
                    ("until_period", serde_json::json!(ov.until)),
                    ("reason", serde_json::json!(ov.reason)),
                    ("requested_by", serde_json::json!(ov.requested_by)),
                    ("approved_by", serde_json::json!(ov.approved_by)),
                    ("date", serde_json::json!(ov.date)),
                ] {
                    map.insert(key.to_string(), value);
                }
            }
            out.push_str(&v.to_string());
            out.push('\n');
        }
    }
    out
}
