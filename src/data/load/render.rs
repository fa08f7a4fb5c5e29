//! Rendering of problems: the data problems as text for a terminal, and the
//! rejected rows as CSV.

use super::*;

/// Problems as lines for a terminal or a log:
/// `partners.csv:12:7: error[D009]: column `revenue`: `abc` is not a number`
/// (in a workbook, `partners.xlsx:Sheet1!C12: …`; in a Parquet file,
/// `partners.parquet row 12 column revenue: …`),
/// then `  help: …`. At most [`MAX_PROBLEMS`] are written, then a count of the rest.
pub fn render(problems: &[DataProblem], file_name: &str) -> String {
    let mut out = String::new();
    for p in problems.iter().take(MAX_PROBLEMS) {
        let place = match (&p.cell, p.character) {
            (Some(cell), _) if cell.is_empty() => file_name.to_string(),
            // A Parquet file's row and column: `partners.parquet row 17 column revenue`.
            (Some(cell), _) if cell.starts_with("row ") || cell.starts_with("column ") => {
                format!("{file_name} {cell}")
            }
            (Some(cell), _) => format!("{file_name}:{cell}"),
            (None, Some(c)) => format!("{file_name}:{}:{c}", p.line),
            (None, None) => format!("{file_name}:{}", p.line),
        };
        out.push_str(&format!(
            "{}: {}[{}]: {}\n",
            crate::escape::terminal(&place),
            p.code.severity().as_str(),
            p.code,
            crate::escape::terminal(&p.message)
        ));
        if !p.help.is_empty() {
            out.push_str(&format!("  help: {}\n", crate::escape::terminal(&p.help)));
        }
    }
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        out.push_str(&format!(
            "… and {more} more problem{}\n",
            if more == 1 { "" } else { "s" }
        ));
    }
    out
}

/// Rejected rows as CSV, for `--rejects FILE`: the header
/// `line,codes,problems,row`, then one record per row (codes and problem
/// messages joined by `;`, the row as written; a cell a spreadsheet would run
/// as a formula gets a leading `'`).
pub fn render_rejects(rejected: &[Rejected]) -> String {
    let mut out = String::from("line,codes,problems,row\n");
    for r in rejected {
        let codes: Vec<&str> = r.problems.iter().map(|p| p.code.as_str()).collect();
        let messages: Vec<&str> = r.problems.iter().map(|p| p.message.as_str()).collect();
        out.push_str(&format!(
            "{},{},{},{}\n",
            r.line,
            csv_field(&codes.join(";")),
            csv_field(&crate::escape::spreadsheet_cell(&messages.join("; "))),
            csv_field(&crate::escape::spreadsheet_cell(&r.row_text))
        ));
    }
    out
}

/// A CSV field, quoted when it must be.
pub(super) fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
