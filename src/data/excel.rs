//! Workbooks (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods`): one sheet read as
//! the rows a CSV file holds, so that the CSV reader and the collector check
//! it under the same contract, with the same diagnostics.
//!
//! The sheet's used range is read: its first row is the header, each row
//! after it one data row (a row whose cells are all empty is skipped, as a
//! blank line of a CSV file is). The cells become fields as Excel stores
//! them: a number is written in the shortest form that reads back to the
//! same binary value, an integer cell as its digits, a boolean as `true` or
//! `false`, text as it is, a date or date-time cell as its ISO 8601 date
//! (`2025-03-31`, or `2025-03-31T14:30:00`), a duration as its number of
//! days, an empty cell as an empty (missing) value.
//!
//! A cell that holds a formula, or an error value such as `#DIV/0!`, in a
//! column the contract declares is refused for the whole file: a formula's
//! value is whatever the spreadsheet last computed (a file written by a
//! program may hold none), and an error is no value.
//!
//! Problems are placed at the cell (`Sheet1!C17`), or at the row
//! (`Sheet1!17:17`) when no column is concerned.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto_from_rs};

use crate::data::problem::{DataProblem, Rejected};
use crate::diag::Code;
use crate::model::Model;

/// The extensions of workbooks.
const EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xlsb", "xls", "xla", "xlam", "ods"];

/// The signatures of an OLE2 compound file (`.xls`, an encrypted `.xlsx`)
/// and of a ZIP archive (`.xlsx`, `.ods`).
const OLE2: &[u8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1";
const ZIP: &[u8] = b"PK\x03\x04";

/// Whether the file at `path` is to be read as a workbook: its extension
/// names one, or its first bytes are those of an OLE2 or ZIP file.
pub fn is_workbook(path: &Path) -> bool {
    named_as_workbook(path) || {
        use std::io::Read;
        let mut head = [0u8; 8];
        std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok_and(|()| head.starts_with(OLE2) || head.starts_with(ZIP))
    }
}

/// Whether the extension of `path` names a workbook.
pub fn named_as_workbook(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .is_some_and(|e| EXTENSIONS.contains(&e.as_str()))
}

/// One sheet of a workbook, as CSV text, and where each line came from.
#[derive(Debug)]
pub struct Sheet {
    /// The sheet's name.
    pub name: String,
    /// The sheet as CSV text: the header, then one record per row.
    pub csv: Vec<u8>,
    /// The sheet row (1-based) each line of `csv` comes from.
    rows: Vec<u32>,
    /// The sheet column (0-based) of the first field.
    first_column: u32,
    /// The header's names, by field.
    header: Vec<String>,
}

/// Why a sheet was not read.
#[derive(Debug)]
pub enum SheetError {
    Io(std::io::Error),
    /// Problems of the workbook as a whole.
    Invalid(Vec<DataProblem>),
}

/// Read the sheet named `sheet` (the first sheet when `None`) of the
/// workbook at `path`. Formula and error cells in the columns the model's
/// contract declares are problems.
pub fn read(path: &Path, sheet: Option<&str>, model: &Model) -> Result<Sheet, SheetError> {
    let bytes = std::fs::read(path).map_err(SheetError::Io)?;
    let fail = |message: String, help: &str| {
        let mut p = DataProblem::new(Code::D005, 1, message, help);
        p.whole_file = true;
        p.cell = Some(String::new());
        SheetError::Invalid(vec![p])
    };
    let mut book = match open_workbook_auto_from_rs(Cursor::new(bytes.as_slice())) {
        Ok(b) => b,
        Err(e) => {
            return Err(if encrypted(&bytes) {
                fail(
                    "the workbook is protected by a password, so its cells cannot be read".into(),
                    "open it in the spreadsheet tool, remove the password (File → Info → Protect Workbook), save it and score that file",
                )
            } else if bytes.starts_with(OLE2) || bytes.starts_with(ZIP) {
                fail(
                    format!("the workbook cannot be read: it is damaged or not a workbook ({e})"),
                    "open it in the spreadsheet tool and save it again as .xlsx, or export the sheet as \"CSV UTF-8\"",
                )
            } else {
                fail(
                    "the file is named as a workbook, but it is not an .xlsx, .xlsb, .xls or .ods file".into(),
                    "give the file the extension of its format (`.csv`, `.json`, `.ndjson`), or save it as a workbook",
                )
            });
        }
    };
    let names = book.sheet_names();
    let name = match sheet {
        None => match names.first() {
            Some(n) => n.clone(),
            None => {
                return Err(fail(
                    "the workbook has no sheet".into(),
                    "add a sheet whose first row names the columns",
                ));
            }
        },
        Some(wanted) => match names.iter().find(|n| n.as_str() == wanted) {
            Some(n) => n.clone(),
            None => {
                let help =
                    match crate::diag::fuzzy::closest(wanted, names.iter().map(String::as_str)) {
                        Some(s) => format!(
                            "did you mean `--sheet {s}`? The sheets are {}",
                            listed(&names)
                        ),
                        None => format!("the sheets are {}", listed(&names)),
                    };
                let mut p = DataProblem::new(
                    Code::D003,
                    1,
                    format!("the workbook has no sheet named `{wanted}`"),
                    help,
                );
                p.whole_file = true;
                p.cell = Some(String::new());
                return Err(SheetError::Invalid(vec![p]));
            }
        },
    };
    let range = match book.worksheet_range(&name) {
        Ok(r) => r,
        Err(e) => {
            return Err(fail(
                format!("the sheet `{name}` cannot be read ({e})"),
                "open the workbook in the spreadsheet tool and save it again, or export the sheet as \"CSV UTF-8\"",
            ));
        }
    };
    let Some((first_row, first_column)) = range.start() else {
        let mut p = DataProblem::new(
            Code::D003,
            1,
            format!("the sheet `{name}` is empty: it has no header row"),
            "the first row of the sheet must name the columns; or choose another sheet with `--sheet NAME`",
        );
        p.whole_file = true;
        p.cell = Some(sheet_ref(&name));
        return Err(SheetError::Invalid(vec![p]));
    };
    let mut rows = range.rows();
    let header_cells = rows.next().unwrap_or_default();
    let width = header_cells
        .iter()
        .rposition(|c| !matches!(c, Data::Empty))
        .map_or(0, |i| i + 1);
    let header: Vec<String> = header_cells.iter().take(width).map(cell_text).collect();
    let declared: Vec<bool> = header
        .iter()
        .map(|h| model.contract.find(h).is_some())
        .collect();
    let mut problems = Vec::new();
    // Formulas: their values are whatever was last computed, if anything.
    if let Ok(formulas) = book.worksheet_formula(&name) {
        let (fr, fc) = formulas.start().unwrap_or((0, 0));
        for (r, c, formula) in formulas.used_cells() {
            let (row, column) = (fr + r as u32, fc + c as u32);
            let Some(field) = column.checked_sub(first_column) else {
                continue;
            };
            if row == first_row || !declared.get(field as usize).copied().unwrap_or(false) {
                continue;
            }
            let mut p = DataProblem::new(
                Code::D009,
                u64::from(row) + 1,
                format!(
                    "column `{}`: the cell holds the formula `={}`, whose value is whatever the spreadsheet last computed",
                    header.get(field as usize).map_or("", String::as_str),
                    if formula.len() > crate::data::problem::EXCERPT_BYTES {
                        crate::data::problem::clip(formula)
                    } else {
                        formula.clone()
                    }
                ),
                "replace the formulas by their values in the columns the scorecard reads (copy, then Paste Special → Values), or export the sheet as \"CSV UTF-8\"",
            );
            p.whole_file = true;
            p.cell = Some(cell_ref(&name, row, column));
            problems.push(p);
        }
    }
    problems.extend(merged_cells(
        &mut book, &bytes, &name, &range, &header, &declared,
    ));
    let mut csv = Vec::new();
    let mut line_rows = vec![first_row + 1];
    let mut fields: Vec<String> = header.clone();
    write_record(&mut csv, &fields);
    let mut row = first_row;
    for cells in rows {
        row += 1;
        fields.clear();
        for (i, cell) in cells.iter().take(width).enumerate() {
            if let Data::Error(e) = cell {
                if declared.get(i).copied().unwrap_or(false) {
                    let column = first_column + i as u32;
                    let mut p = DataProblem::new(
                        Code::D009,
                        u64::from(row) + 1,
                        format!(
                            "column `{}`: the cell holds the error value `{e}`, which is no value",
                            header.get(i).map_or("", String::as_str)
                        ),
                        "correct the formula or the value in the spreadsheet, or leave the cell empty if the column is optional",
                    );
                    p.whole_file = true;
                    p.value = Some(e.to_string());
                    p.cell = Some(cell_ref(&name, row, column));
                    problems.push(p);
                }
            }
            fields.push(cell_text(cell));
        }
        let start = csv.len();
        if fields.iter().all(String::is_empty) {
            csv.push(b'\n');
        } else {
            write_record(&mut csv, &fields);
        }
        let lines = csv
            .get(start..)
            .map_or(0, |r| r.iter().filter(|&&b| b == b'\n').count());
        line_rows.extend(std::iter::repeat_n(row + 1, lines));
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Err(SheetError::Invalid(problems));
    }
    Ok(Sheet {
        name,
        csv,
        rows: line_rows,
        first_column,
        header,
    })
}

/// The column names of the first sheet of the workbook at `path` (its
/// first row), for `check --data`.
pub fn column_names(path: &Path) -> Result<Vec<String>, SheetError> {
    read(path, None, &Model::default()).map(|s| s.header)
}

/// The merged regions of the sheet `name` (of an `.xlsx`, `.xls` or `.ods` file)
/// that cover the header row or a declared column of the read range, each
/// a problem: a merged region's value is in its first cell only, and the
/// cells it covers read as empty, so rows would lose values silently.
fn merged_cells<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Sheets<RS>,
    bytes: &[u8],
    name: &str,
    range: &calamine::Range<Data>,
    header: &[String],
    declared: &[bool],
) -> Vec<DataProblem> {
    let regions = match book {
        calamine::Sheets::Xlsx(x) => x
            .worksheet_merge_cells(name)
            .and_then(Result::ok)
            .unwrap_or_default(),
        calamine::Sheets::Xls(x) => x.worksheet_merge_cells(name).unwrap_or_default(),
        calamine::Sheets::Ods(_) => ods_merged_regions(bytes, name),
        calamine::Sheets::Xlsb(_) => Vec::new(),
    };
    let (Some((first_row, first_column)), Some((last_row, _))) = (range.start(), range.end())
    else {
        return Vec::new();
    };
    let width = u32::try_from(header.len()).unwrap_or(u32::MAX);
    let mut problems = Vec::new();
    for region in regions {
        let (top, left) = region.start;
        let (bottom, right) = region.end;
        if bottom < first_row || top > last_row || right < first_column {
            continue;
        }
        let fields = left.saturating_sub(first_column)..=right.saturating_sub(first_column);
        let columns: Vec<&str> = fields
            .filter(|&f| f < width)
            .filter(|&f| declared.get(f as usize).copied().unwrap_or(false) || top <= first_row)
            .filter_map(|f| header.get(f as usize).map(String::as_str))
            .collect();
        if columns.is_empty() {
            continue;
        }
        let cells = format!(
            "{}{}:{}{}",
            column_letters(left),
            top + 1,
            column_letters(right),
            bottom + 1
        );
        let names: Vec<String> = columns.iter().map(|n| format!("`{n}`")).collect();
        let names = format!(
            " (column{} {})",
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        );
        let mut p = DataProblem::new(
            Code::D005,
            u64::from(top) + 1,
            format!(
                "the cells {cells} are merged: a merged cell's value is in its first cell only, and the cells it covers read as empty{}",
                names
            ),
            "unmerge the cells (Home → Merge & Center → Unmerge Cells) and fill in each cell's value, or export the sheet as \"CSV UTF-8\"",
        );
        p.whole_file = true;
        p.cell = Some(format!("{}!{cells}", sheet_ref(name)));
        problems.push(p);
    }
    problems
}

/// The merged regions of the sheet `name` of an OpenDocument spreadsheet,
/// 0-based and inclusive as calamine gives them for `.xlsx`: a cell with
/// `table:number-columns-spanned` or `table:number-rows-spanned` above 1
/// covers the cells to its right and below. Rows and cells written once
/// for several (`…-repeated`) advance the position by their count. The
/// workbook has already been read by calamine, so a part that cannot be
/// read here again ends the search with what was found.
fn ods_merged_regions(bytes: &[u8], name: &str) -> Vec<calamine::Dimensions> {
    use quick_xml::events::{BytesStart, Event};
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Vec::new();
    };
    let Ok(content) = zip.by_name("content.xml") else {
        return Vec::new();
    };
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let number = |e: &BytesStart<'_>, key: &[u8]| -> u32 {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == key)
            .and_then(|a| std::str::from_utf8(&a.value).ok()?.parse().ok())
            .unwrap_or(1)
            .max(1)
    };
    let mut regions = Vec::new();
    let mut buf = Vec::new();
    // Depth of `table:table` elements inside the wanted sheet (0 outside it).
    let mut depth = 0u32;
    let (mut row, mut column, mut row_repeat) = (0u32, 0u32, 1u32);
    loop {
        buf.clear();
        let (start, empty) = match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => (e, false),
            Ok(Event::Empty(e)) => (e, true),
            Ok(Event::End(e)) => {
                match e.name().as_ref() {
                    b"table:table" if depth > 0 => depth -= 1,
                    b"table:table-row" if depth == 1 => {
                        row = row.saturating_add(row_repeat);
                    }
                    _ => {}
                }
                if depth == 0 && !regions.is_empty() {
                    break;
                }
                continue;
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => continue,
        };
        match start.name().as_ref() {
            b"table:table" if depth > 0 && !empty => depth += 1,
            b"table:table" => {
                let named = start.attributes().flatten().any(|a| {
                    a.key.as_ref() == b"table:name" && a.value.as_ref() == name.as_bytes()
                });
                if named && !empty {
                    depth = 1;
                }
            }
            b"table:table-row" if depth == 1 => {
                column = 0;
                row_repeat = number(&start, b"table:number-rows-repeated");
                if empty {
                    row = row.saturating_add(row_repeat);
                }
            }
            b"table:table-cell" | b"table:covered-table-cell" if depth == 1 => {
                let across = number(&start, b"table:number-columns-spanned");
                let down = number(&start, b"table:number-rows-spanned");
                if across > 1 || down > 1 {
                    regions.push(calamine::Dimensions {
                        start: (row, column),
                        end: (
                            row.saturating_add(down - 1),
                            column.saturating_add(across - 1),
                        ),
                    });
                }
                column = column.saturating_add(number(&start, b"table:number-columns-repeated"));
            }
            _ => {}
        }
    }
    regions
}

/// Whether an OLE2 file holds an encrypted workbook (an `.xlsx` protected
/// by a password is stored as a stream named `EncryptedPackage`).
fn encrypted(bytes: &[u8]) -> bool {
    let name: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    bytes.starts_with(OLE2) && bytes.windows(name.len()).any(|w| w == name.as_slice())
}

fn listed(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    quoted.join(", ")
}

/// A cell's value as the text of a CSV field (see the module's comment).
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Float(x) => format!("{x}"),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) if d.is_datetime() => {
            let (y, mo, da, h, mi, s, ms) = d.to_ymd_hms_milli();
            match (h, mi, s, ms) {
                (0, 0, 0, 0) => format!("{y:04}-{mo:02}-{da:02}"),
                (_, _, _, 0) => format!("{y:04}-{mo:02}-{da:02}T{h:02}:{mi:02}:{s:02}"),
                _ => format!("{y:04}-{mo:02}-{da:02}T{h:02}:{mi:02}:{s:02}.{ms:03}"),
            }
        }
        Data::DateTime(d) => format!("{}", d.as_f64()),
    }
}

/// One CSV record, its fields quoted when they must be, and its line end.
fn write_record(out: &mut Vec<u8>, fields: &[String]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if f.contains([',', '"', '\n', '\r']) {
            out.push(b'"');
            out.extend_from_slice(f.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(f.as_bytes());
        }
    }
    out.push(b'\n');
}

/// `Sheet1!C17` for the 0-based `row` and `column` of the sheet `sheet`.
fn cell_ref(sheet: &str, row: u32, column: u32) -> String {
    format!("{}!{}{}", sheet_ref(sheet), column_letters(column), row + 1)
}

/// A sheet's name as a reference writes it: quoted when it holds anything
/// but letters, digits and `_` (`'Q4 data'!C17`).
fn sheet_ref(name: &str) -> String {
    if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        name.to_string()
    } else {
        format!("'{}'", name.replace('\'', "''"))
    }
}

/// The letters of a 0-based column: 0 is `A`, 25 `Z`, 26 `AA`.
pub fn column_letters(column: u32) -> String {
    let mut n = u64::from(column) + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

impl Sheet {
    /// Place a problem found in the CSV text at the sheet's cell (or row).
    pub fn locate(&self, p: &mut DataProblem) {
        let row = self
            .rows
            .get(usize::try_from(p.line.saturating_sub(1)).unwrap_or(usize::MAX))
            .copied()
            .unwrap_or(0);
        let field = p
            .field
            .map(|f| f.saturating_sub(1))
            .or_else(|| {
                p.column
                    .as_ref()
                    .and_then(|c| self.header.iter().position(|h| h == c))
            })
            .and_then(|f| u32::try_from(f).ok());
        p.cell = Some(match (row, field) {
            (0, _) => sheet_ref(&self.name),
            (r, Some(f)) => cell_ref(&self.name, r - 1, self.first_column + f),
            (r, None) => format!("{}!{r}:{r}", sheet_ref(&self.name)),
        });
        if row > 0 {
            p.line = u64::from(row);
        }
        p.character = None;
    }

    /// Place a rejected row and its problems at the sheet's row and cells.
    pub fn locate_rejected(&self, r: &mut Rejected) {
        if let Some(row) = self
            .rows
            .get(usize::try_from(r.line.saturating_sub(1)).unwrap_or(usize::MAX))
        {
            r.line = u64::from(*row);
        }
        for p in &mut r.problems {
            self.locate(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_run_past_z() {
        let got: Vec<String> = [0, 2, 25, 26, 27, 51, 52, 701, 702, 16383]
            .iter()
            .map(|&c| column_letters(c))
            .collect();
        assert_eq!(
            got,
            ["A", "C", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA", "XFD"]
        );
    }

    #[test]
    fn sheet_names_are_quoted_when_a_reference_needs_it() {
        assert_eq!(sheet_ref("Sheet1"), "Sheet1");
        assert_eq!(sheet_ref("Q4 data"), "'Q4 data'");
        assert_eq!(sheet_ref("Bob's"), "'Bob''s'");
    }
}
