//! Workbooks in and out: `--data partners.xlsx` (`--sheet NAME`) read under
//! the same contract and diagnostics as CSV, problems placed at their cells;
//! `score --out results.xlsx` written as a real workbook and read back.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

use crate::support::*;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// A workbook whose first sheet holds `rows` (the first is the header):
/// fields that read as numbers become number cells, `true`/`false` boolean
/// cells, `=…` formula cells, anything else text.
fn workbook(path: &Path, sheet: &str, rows: &[Vec<&str>]) {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, field) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            if field.is_empty() {
                continue;
            } else if let Some(formula) = field.strip_prefix('=') {
                ws.write_formula(r, c, Formula::new(formula)).unwrap();
            } else if let Ok(x) = field.parse::<f64>() {
                ws.write_number(r, c, x).unwrap();
            } else if let Ok(b) = field.parse::<bool>() {
                ws.write_boolean(r, c, b).unwrap();
            } else {
                ws.write_string(r, c, *field).unwrap();
            }
        }
    }
    book.add_worksheet().set_name("Notes").unwrap();
    book.save(path).unwrap();
}

fn csv_rows(text: &str) -> Vec<Vec<&str>> {
    text.lines().map(|l| l.split(',').collect()).collect()
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => "../snapshots/excel",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn a_workbook_scores_exactly_as_its_csv_export() {
    let dir = temp_dir("excel-same");
    let csv_path = root().join("scorecards/data/partners.csv");
    let text = std::fs::read_to_string(&csv_path).unwrap();
    // No field of this file is quoted, so splitting at commas is its parse.
    assert!(!text.contains('"'));
    let xlsx = dir.join("partners.xlsx");
    workbook(&xlsx, "Partners", &csv_rows(&text));
    let card = root().join("scorecards/partner-performance.scorecard");
    let card = card.to_str().unwrap();
    let from_csv = scorecard(&[
        "score",
        card,
        "--data",
        csv_path.to_str().unwrap(),
        "--period",
        "all",
        "--format",
        "csv",
    ]);
    let from_xlsx = scorecard(&[
        "score",
        card,
        "--data",
        xlsx.to_str().unwrap(),
        "--period",
        "all",
        "--format",
        "csv",
    ]);
    assert!(from_csv.status.success(), "{}", stderr(&from_csv));
    assert!(from_xlsx.status.success(), "{}", stderr(&from_xlsx));
    assert!(stdout(&from_csv).lines().count() > 2000);
    assert_eq!(stdout(&from_xlsx), stdout(&from_csv));
}

#[test]
fn a_bad_cell_is_reported_at_its_cell() {
    let dir = temp_dir("excel-bad");
    let path = dir.join("partners.xlsx");
    let header =
        "partner_id,quarter,revenue,partner_type,sales_reps,certified,market_alignment,nps,region";
    let text = format!(
        "{header}\nP001,2025Q4,1250.5,reseller,4,true,7,42,EMEA\nP002,2025Q4,abc,msp,1,false,1,,\n,,,,,,,,\nP003,2025Q4,3,vendor,2,true,11,,\n"
    );
    workbook(&path, "Sheet1", &csv_rows(&text));
    let out = scorecard(&["score", &data_contract(), "--data", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out).replace(dir.to_str().unwrap(), "DIR");
    assert!(
        err.contains("DIR/partners.xlsx:Sheet1!C3: error[D009]"),
        "{err}"
    );
    snapshot("bad_cells", &err);

    // Under `--on-invalid skip` the rejects name the sheet's rows.
    let rejects = dir.join("rejects.csv");
    let (out, rejected) = score_skipping(&data_contract(), &path, &rejects);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<&str> = rejected
        .lines()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(lines, ["line", "3", "5"], "{rejected}");
    assert!(stdout(&out).contains("P001"));
}

#[test]
fn sheets_are_chosen_by_name_and_a_wrong_name_is_refused() {
    let dir = temp_dir("excel-sheet");
    let path = dir.join("partners.xlsx");
    let text = "partner_id,quarter,revenue,partner_type,sales_reps,certified,market_alignment\nP001,2025Q4,1250.5,reseller,4,true,7\n";
    workbook(&path, "Q4 data", &csv_rows(text));
    let data = path.to_str().unwrap();
    let ok = scorecard(&[
        "score",
        &data_contract(),
        "--data",
        data,
        "--sheet",
        "Q4 data",
        "--format",
        "csv",
    ]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let wrong = scorecard(&[
        "score",
        &data_contract(),
        "--data",
        data,
        "--sheet",
        "Q4 dat",
    ]);
    assert_eq!(wrong.status.code(), Some(1));
    let empty = scorecard(&[
        "score",
        &data_contract(),
        "--data",
        data,
        "--sheet",
        "Notes",
    ]);
    assert_eq!(empty.status.code(), Some(1));
    let not_a_workbook = scorecard(&[
        "score",
        &data_contract(),
        "--data",
        root()
            .join("tests/fixtures/data/valid.csv")
            .to_str()
            .unwrap(),
        "--sheet",
        "Sheet1",
    ]);
    assert_eq!(not_a_workbook.status.code(), Some(2));
    let all = [wrong, empty, not_a_workbook]
        .iter()
        .map(stderr)
        .collect::<Vec<_>>()
        .join("---\n")
        .replace(dir.to_str().unwrap(), "DIR")
        .replace(root().to_str().unwrap(), "ROOT");
    snapshot("sheets", &all);
}

#[test]
fn formulas_errors_dates_and_broken_workbooks_are_refused_or_read_as_stored() {
    let dir = temp_dir("excel-cells");
    let path = dir.join("formulas.xlsx");
    let text = "partner_id,quarter,revenue,partner_type,sales_reps,certified,market_alignment,region\nP001,2025Q4,=1+1,reseller,4,true,7,=\"EMEA\"\nP002,2025Q4,=1/0,msp,1,false,1,\n";
    workbook(&path, "Sheet1", &csv_rows(text));
    let out = scorecard(&["score", &data_contract(), "--data", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let mut all = stderr(&out);

    // A date cell in a text column reads as its ISO date.
    let dated = dir.join("dated.xlsx");
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    let header = [
        "partner_id",
        "quarter",
        "revenue",
        "partner_type",
        "sales_reps",
        "certified",
        "market_alignment",
        "region",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let row = ["P001", "2025Q4", "", "reseller", "", "", "", ""];
    for (c, v) in row.iter().enumerate() {
        ws.write_string(1, c as u16, *v).unwrap();
    }
    ws.write_number(1, 2, 0.1).unwrap();
    ws.write_number(1, 4, 3).unwrap();
    ws.write_boolean(1, 5, true).unwrap();
    ws.write_number(1, 6, 7).unwrap();
    let date = ExcelDateTime::parse_from_str("2025-03-31").unwrap();
    ws.write_datetime_with_format(1, 7, &date, &Format::new().set_num_format("yyyy-mm-dd"))
        .unwrap();
    book.save(&dated).unwrap();
    let out = scorecard(&[
        "score",
        &data_contract(),
        "--data",
        dated.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));

    // A damaged workbook, and a ZIP archive that is no workbook.
    let damaged = dir.join("damaged.xlsx");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&damaged, &bytes).unwrap();
    let out = scorecard(&[
        "score",
        &data_contract(),
        "--data",
        damaged.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    all.push_str("---\n");
    all.push_str(&stderr(&out));
    let renamed = dir.join("text.xlsx");
    std::fs::write(&renamed, "partner_id\nP001\n").unwrap();
    let out = scorecard(&[
        "score",
        &data_contract(),
        "--data",
        renamed.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    all.push_str("---\n");
    all.push_str(&stderr(&out));
    snapshot("cells", &all.replace(dir.to_str().unwrap(), "DIR"));
}

/// The cells of each sheet of the workbook at `path`.
fn read_back(path: &Path) -> Vec<(String, Vec<Vec<calamine::Data>>)> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto(path).unwrap();
    book.sheet_names()
        .into_iter()
        .map(|n| {
            let range = book.worksheet_range(&n).unwrap();
            (n, range.rows().map(<[calamine::Data]>::to_vec).collect())
        })
        .collect()
}

#[test]
fn results_are_written_as_a_workbook() {
    use calamine::Data;
    let dir = temp_dir("excel-out");
    let card = dir.join("card.scorecard");
    std::fs::write(
        &card,
        "scorecard \"wb\" version \"3\"\n\ninput {\n  key partner_id\n  revenue: number\n  note: text, optional\n}\n\nmetric rev {\n  value revenue\n  points scale 0 => 0, 100 => 100\n}\n\noutput {\n  partner_id\n  revenue decimals 2\n  note\n}\n",
    )
    .unwrap();
    let data = dir.join("in.csv");
    std::fs::write(&data, "partner_id,revenue,note\nP1,12.345,=1+1\nP2,3,\n").unwrap();
    let out = dir.join("results.xlsx");
    let run = scorecard(&[
        "score",
        card.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let sheets = read_back(&out);
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["results", "run"]);
    let rows = &sheets[0].1;
    assert_eq!(
        rows[0],
        [
            Data::String("partner_id".into()),
            Data::String("revenue".into()),
            Data::String("note".into())
        ]
    );
    assert_eq!(rows[1][1], Data::Float(12.35));
    assert_eq!(rows[1][2], Data::String("=1+1".into()));
    assert_eq!(rows[2][1], Data::Float(3.0));
    assert_eq!(rows[2][2], Data::Empty);
    let run_sheet = &sheets[1].1;
    assert_eq!(run_sheet[0][1], Data::String("wb".into()));
    assert_eq!(run_sheet[1][1], Data::String("3".into()));
    assert_eq!(run_sheet[3][1], Data::String(data.display().to_string()));
    // The sheet's XML: bold header, frozen pane, autofilter, the number format.
    let unzip = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); print(z.read('xl/worksheets/sheet1.xml').decode()); print(z.read('xl/styles.xml').decode())",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let xml = stdout(&unzip);
    assert!(xml.contains("<autoFilter ref=\"A1:C3\"/>"), "{xml}");
    assert!(xml.contains("state=\"frozen\""), "{xml}");
    assert!(xml.contains("formatCode=\"0.00\""), "{xml}");
    assert!(xml.contains("<b/>"), "{xml}");
    assert!(!xml.contains("<f>"), "{xml}");
}

/// Merged cells over a declared column or the header are refused at their
/// cells (their value is in the first cell only); merged cells elsewhere
/// are not. A workbook protected by a password (encrypted by
/// msoffcrypto-tool, as Excel does) is named as such.
#[test]
fn merged_cells_and_passwords_are_refused_with_a_location() {
    let dir = temp_dir("excel-merged");
    let path = dir.join("merged.xlsx");
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    let header = [
        "partner_id",
        "quarter",
        "revenue",
        "partner_type",
        "sales_reps",
        "certified",
        "market_alignment",
        "comment",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..5u32 {
        let row = [
            format!("P00{r}"),
            "2025Q4".into(),
            "10".into(),
            "msp".into(),
        ];
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r, c as u16, v).unwrap();
        }
        ws.write_number(r, 4, 2).unwrap();
        ws.write_boolean(r, 5, true).unwrap();
        ws.write_number(r, 6, 3).unwrap();
    }
    let plain = Format::new();
    // `revenue` of rows 2–3 merged (C2:C3), and an undeclared column's cells.
    ws.merge_range(1, 2, 2, 2, "10", &plain).unwrap();
    ws.merge_range(1, 7, 4, 7, "a note", &plain).unwrap();
    book.save(&path).unwrap();
    let out = scorecard(&["score", &data_contract(), "--data", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let mut all = stderr(&out);
    assert!(
        all.contains("merged.xlsx:Sheet1!C2:C3: error[D005]"),
        "{all}"
    );
    assert!(!all.contains("H2"), "{all}");

    // Only the undeclared column merged: read.
    let fine = dir.join("fine.xlsx");
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..3u32 {
        for (c, v) in [
            format!("P00{r}"),
            "2025Q4".into(),
            "10".into(),
            "msp".into(),
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(r, c as u16, v).unwrap();
        }
        ws.write_number(r, 4, 2).unwrap();
        ws.write_boolean(r, 5, true).unwrap();
        ws.write_number(r, 6, 3).unwrap();
    }
    ws.merge_range(1, 7, 2, 8, "a note", &plain).unwrap();
    book.save(&fine).unwrap();
    let out = scorecard(&[
        "score",
        &data_contract(),
        "--data",
        fine.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));

    let protected = root().join("tests/fixtures/data/protected.xlsx");
    for verb in ["score", "check"] {
        let out = scorecard(&[
            verb,
            &data_contract(),
            "--data",
            protected.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1));
        let text = stdout(&out) + &stderr(&out);
        assert!(text.contains("protected by a password"), "{text}");
        if verb == "score" {
            // `check` wraps its text to a width, which the path changes.
            all.push_str("---\n");
            all.push_str(&text);
        }
    }
    snapshot(
        "merged_and_protected",
        &all.replace(dir.to_str().unwrap(), "DIR")
            .replace(root().to_str().unwrap(), "ROOT"),
    );
}

/// An OpenDocument spreadsheet (tests/fixtures/data/make_ods.py) is read as
/// a workbook, and its merged cells over a declared column are refused at
/// their cells like an `.xlsx` file's; merged cells in an undeclared column
/// are not.
#[test]
fn an_ods_sheet_is_read_and_its_merged_cells_are_refused() {
    let ods = root().join("tests/fixtures/data/merged.ods");
    let ods = ods.to_str().unwrap();
    let out = scorecard(&[
        "score",
        &data_contract(),
        "--data",
        ods,
        "--sheet",
        "Merged",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(
        text.contains("merged.ods:Merged!C2:C3: error[D005]"),
        "{text}"
    );
    assert!(text.contains("column `revenue`"), "{text}");
    assert!(!text.contains("H2"), "{text}");

    let out = scorecard(&[
        "score",
        &data_contract(),
        "--data",
        ods,
        "--sheet",
        "Fine",
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = stdout(&out);
    assert_eq!(rows.lines().count(), 5, "{rows}");
    assert!(rows.lines().any(|l| l.starts_with("P004,")), "{rows}");
}
