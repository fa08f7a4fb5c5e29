//! Output snapshots: a scorecard's full output on a data file, recorded next to
//! the scorecard (`partner-performance.scorecard.snap`) so a reviewer sees in a
//! pull request exactly which partners a rule change moves.
//!
//! The file is the output CSV, one partner (row) per line in key order, under
//! a header of `#` lines naming the scorecard, its version and content hash,
//! and the data. Only the rows are compared: a changed hash alone is no
//! difference.

use std::path::{Path, PathBuf};

use crate::model::Model;

/// Where a scorecard's snapshots live: `NAME.scorecard.snap`, or
/// `NAME.scorecard.N.snap` for its second and later snapshot.
pub fn path(scorecard: &Path, index: usize) -> PathBuf {
    let name = scorecard
        .file_name()
        .map_or_else(|| "scorecard".into(), |n| n.to_string_lossy().into_owned());
    let file = if index == 0 {
        format!("{name}.snap")
    } else {
        format!("{name}.{}.snap", index + 1)
    };
    scorecard.with_file_name(file)
}

/// The corrections and overrides files a snapshot's data was scored with.
#[derive(Clone, Copy, Debug, Default)]
pub struct Applied<'a> {
    pub corrections: Option<&'a str>,
    pub overrides: Option<&'a str>,
}

/// The snapshot text for a scored output.
pub fn render(model: &Model, data: &str, period: &str, applied: &Applied<'_>, csv: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# scorecard {} version {}\n",
        model.name.as_deref().unwrap_or("(unnamed)"),
        model.version.as_deref().unwrap_or("(none)")
    ));
    out.push_str(&format!("# rules {}\n", model.content_hash));
    out.push_str(&format!("# data {data}, period {period}\n"));
    if let Some(c) = applied.corrections {
        out.push_str(&format!("# corrections {c}\n"));
    }
    if let Some(o) = applied.overrides {
        out.push_str(&format!("# overrides {o}\n"));
    }
    out.push_str("# recorded by `scorecard test`; update with `scorecard test --update`\n");
    out.push_str(csv);
    out
}

/// The header and rows of a snapshot (its `#` lines left out).
fn rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header = lines.next().map(split).unwrap_or_default();
    (header, lines.map(split).collect())
}

/// Split a CSV line (quoted fields as `render::csv` writes them).
fn split(line: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes());
    reader
        .records()
        .next()
        .and_then(Result::ok)
        .map(|r| r.iter().map(String::from).collect())
        .unwrap_or_default()
}

/// How the rows of two snapshots differ, per partner; `None` when they do not.
pub fn compare(old: &str, new: &str, model: &Model) -> Option<String> {
    let (old_header, old_rows) = rows(old);
    let (new_header, new_rows) = rows(new);
    if old_header == new_header && old_rows == new_rows {
        return None;
    }
    let mut out = String::new();
    if old_header != new_header {
        out.push_str(&format!(
            "columns: {} → {}\n",
            old_header.join(","),
            new_header.join(",")
        ));
    }
    // Rows are keyed by the key and period columns (or the first column).
    let key_names: Vec<&str> = [model.contract.key, model.contract.period]
        .into_iter()
        .flatten()
        .filter_map(|c| model.contract.column(c).map(|d| d.name.as_str()))
        .collect();
    let positions = |header: &[String]| -> Vec<usize> {
        let found: Vec<usize> = key_names
            .iter()
            .filter_map(|k| header.iter().position(|h| h == k))
            .collect();
        if found.is_empty() { vec![0] } else { found }
    };
    let (old_keys, new_keys) = (positions(&old_header), positions(&new_header));
    let key_of = |row: &[String], at: &[usize]| -> String {
        at.iter()
            .filter_map(|i| row.get(*i))
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let old_map: indexmap::IndexMap<String, &Vec<String>> =
        old_rows.iter().map(|r| (key_of(r, &old_keys), r)).collect();
    let new_map: indexmap::IndexMap<String, &Vec<String>> =
        new_rows.iter().map(|r| (key_of(r, &new_keys), r)).collect();
    let mut changed = 0;
    let mut shown = 0;
    const SHOWN: usize = 50;
    for (key, new_row) in &new_map {
        let lines = match old_map.get(key) {
            None => vec![format!("+ {key}: new ({})", new_row.join(","))],
            Some(old_row) if old_row == new_row => continue,
            Some(old_row) => row_changes(key, &old_header, old_row, &new_header, new_row),
        };
        changed += 1;
        if shown < SHOWN {
            shown += 1;
            for l in lines {
                out.push_str(&l);
                out.push('\n');
            }
        }
    }
    for key in old_map.keys().filter(|k| !new_map.contains_key(*k)) {
        changed += 1;
        if shown < SHOWN {
            shown += 1;
            out.push_str(&format!("- {key}: gone\n"));
        }
    }
    if changed > shown {
        out.push_str(&format!("… and {} more partners\n", changed - shown));
    }
    out.push_str(&format!(
        "{changed} of {} rows changed\n",
        new_map.len().max(old_map.len())
    ));
    Some(out)
}

/// `~ P000001 2025Q4: overall 71.20 → 74.10, tier good → excellent, actions + "x" − "y"`.
fn row_changes(
    key: &str,
    old_header: &[String],
    old: &[String],
    new_header: &[String],
    new: &[String],
) -> Vec<String> {
    let mut parts = Vec::new();
    for (i, name) in new_header.iter().enumerate() {
        let after = new.get(i).map(String::as_str).unwrap_or("");
        let before = old_header
            .iter()
            .position(|h| h == name)
            .and_then(|j| old.get(j))
            .map(String::as_str)
            .unwrap_or("");
        if before == after {
            continue;
        }
        if name == "actions" || name == "flags" {
            let set = |s: &str| -> Vec<String> {
                s.split(';')
                    .filter(|x| !x.is_empty() && *x != "none")
                    .map(String::from)
                    .collect()
            };
            let (b, a) = (set(before), set(after));
            let gained: Vec<String> = a
                .iter()
                .filter(|x| !b.contains(x))
                .map(|x| format!("+{x:?}"))
                .collect();
            let lost: Vec<String> = b
                .iter()
                .filter(|x| !a.contains(x))
                .map(|x| format!("−{x:?}"))
                .collect();
            parts.push(format!(
                "{name} {}",
                gained.into_iter().chain(lost).collect::<Vec<_>>().join(" ")
            ));
        } else {
            let show = |s: &str| {
                if s.is_empty() {
                    "(missing)".to_string()
                } else {
                    s.to_string()
                }
            };
            parts.push(format!("{name} {} → {}", show(before), show(after)));
        }
    }
    vec![format!("~ {key}: {}", parts.join(", "))]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_paths_sit_next_to_the_scorecard() {
        assert_eq!(
            path(Path::new("a/b.scorecard"), 0),
            PathBuf::from("a/b.scorecard.snap")
        );
        assert_eq!(
            path(Path::new("b.scorecard"), 1),
            PathBuf::from("b.scorecard.2.snap")
        );
    }

    #[test]
    fn row_changes_name_scores_tiers_and_actions() {
        let header: Vec<String> = ["id", "overall", "tier", "actions"]
            .map(String::from)
            .to_vec();
        let old: Vec<String> = ["P1", "71.20", "good", "coach;audit"]
            .map(String::from)
            .to_vec();
        let new: Vec<String> = ["P1", "81.00", "excellent", "coach;expand"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            row_changes("P1", &header, &old, &header, &new),
            vec!["~ P1: overall 71.20 → 81.00, tier good → excellent, actions +\"expand\" −\"audit\"".to_string()]
        );
    }
}
