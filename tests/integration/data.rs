//! Loading data under an input contract. Every hostile input answers with its
//! problems, rendered and snapshotted; valid data gives the table it should;
//! rows read = rows in the table + rows rejected.
//!
//! Fixtures are in `tests/fixtures/data/`, read under `contract.scorecard`.
//! Inputs that are about bytes (encodings, line ends, sizes, nesting) are made
//! here. `partners_200x3.csv` was made with
//! `python3 shared/bench/gen_partners.py --partners 200 --periods 3 --seed 42`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use scorecard::data::header::DataFormat;
use scorecard::data::load::{self, LoadError, Loaded, OnInvalid};
use scorecard::data::table::{Column, Ints, MISSING_BOOL, MISSING_LABEL, Table};
use scorecard::diag::Code;
use scorecard::model::{Model, Type};

use crate::support::*;

const FIXTURES: &str = "tests/fixtures/data";

fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

fn model_of(path: &Path) -> Model {
    let (_, checked) = check_file(path);
    checked.model.expect("the scorecard has a model")
}

fn contract() -> Model {
    model_of(&fixture("contract.scorecard"))
}

fn all_needed(model: &Model) -> Vec<bool> {
    vec![true; model.contract.columns.len()]
}

/// One value of a table cell, as text: `missing`, a number, `true`/`false`, a label, or quoted text.
fn cell(model: &Model, table: &Table, column: usize, row: usize) -> String {
    let def = &model.contract.columns[column];
    match &table.columns[column] {
        Column::Number(v) if v[row].is_nan() => "missing".into(),
        Column::Number(v) => {
            let x = v[row];
            // `-0` would show as `-0`: the loader must never store it.
            if x == 0.0 && x.is_sign_negative() {
                "NEGATIVE ZERO".into()
            } else {
                format!("{x}")
            }
        }
        Column::Int(v) if v.get(row).is_nan() => "missing".into(),
        Column::Int(v) => format!("{}", v.get(row)),
        Column::Bool(v) => match v[row] {
            0 => "false".into(),
            1 => "true".into(),
            MISSING_BOOL => "missing".into(),
            other => format!("BAD BOOL {other}"),
        },
        Column::Label(v) => match (v[row], def.ty) {
            (MISSING_LABEL, _) => "missing".into(),
            (i, Type::Enum(e)) => model.enum_type(e).unwrap().labels[i as usize].clone(),
            (i, _) => format!("BAD LABEL {i}"),
        },
        Column::Text(t) => format!("{:?}", t.get(row)),
        Column::Skipped => "skipped".into(),
    }
}

fn dump(model: &Model, table: &Table) -> String {
    let mut out = String::new();
    for row in 0..table.rows {
        let cells: Vec<String> = model
            .contract
            .columns
            .iter()
            .enumerate()
            .map(|(c, def)| format!("{}={}", def.name, cell(model, table, c, row)))
            .collect();
        out.push_str(&format!(
            "row {} (line {}): {}\n",
            row,
            table.lines[row],
            cells.join(" ")
        ));
    }
    out
}

/// What loading gave, as text for a snapshot, and the codes of its problems.
struct Outcome {
    text: String,
    codes: BTreeSet<Code>,
}

fn outcome(name: &str, result: Result<Loaded, LoadError>, model: &Model) -> Outcome {
    let mut codes = BTreeSet::new();
    let text = match result {
        Ok(loaded) => {
            assert_eq!(
                loaded.table.rows + loaded.rejected.len(),
                loaded.read,
                "rows read = rows in the table + rows rejected"
            );
            check_table_shape(&loaded.table);
            let mut text = format!(
                "read {} rows: {} in the table, {} rejected\n",
                loaded.read,
                loaded.table.rows,
                loaded.rejected.len()
            );
            text.push_str(&dump(model, &loaded.table));
            for r in &loaded.rejected {
                codes.extend(r.problems.iter().map(|p| p.code));
                text.push_str(&format!("rejected line {}: {}\n", r.line, r.row_text));
                text.push_str(&load::render(&r.problems, name));
            }
            text
        }
        Err(LoadError::Invalid(problems, total)) => {
            codes.extend(problems.iter().map(|p| p.code));
            format!(
                "{total} problem{}, nothing loaded\n{}",
                if total == 1 { "" } else { "s" },
                load::render(&problems, name)
            )
        }
        Err(LoadError::Io(e)) => panic!("{name}: unexpected I/O error {e}"),
    };
    Outcome { text, codes }
}

/// Every kept column has one value per row, and `lines` one entry per row.
fn check_table_shape(table: &Table) {
    assert_eq!(table.lines.len(), table.rows);
    for column in &table.columns {
        if let Some(len) = column.kept() {
            assert_eq!(len, table.rows);
        }
    }
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => "../snapshots/data",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

fn load_bytes(
    bytes: &[u8],
    format: DataFormat,
    model: &Model,
    policy: OnInvalid,
) -> Result<Loaded, LoadError> {
    load::load_bytes(bytes, format, model, &all_needed(model), policy)
}

/// Where a case's data comes from.
enum Input {
    File(&'static str),
    Bytes(&'static str, fn() -> Vec<u8>),
}

struct Case {
    /// The snapshot's name: what the case is about.
    name: &'static str,
    input: Input,
    format: DataFormat,
    policy: OnInvalid,
    /// The codes its problems must have, exactly.
    codes: &'static [Code],
}

const fn case(
    name: &'static str,
    input: Input,
    format: DataFormat,
    codes: &'static [Code],
) -> Case {
    Case {
        name,
        input,
        format,
        policy: OnInvalid::Fail,
        codes,
    }
}

fn valid_csv() -> Vec<u8> {
    std::fs::read(fixture("valid.csv")).unwrap()
}

const HEADER: &str =
    "partner_id,quarter,partner_type,revenue,sales_reps,certified,market_alignment,nps,region\n";

fn invalid_utf8() -> Vec<u8> {
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"P001,2025Q4,reseller,1,4,true,7,,M\xfcnchen\n");
    bytes.extend_from_slice(b"P002,2025Q4,reseller,1,4,true,7,,Paris\n");
    bytes.extend_from_slice(b"P003,2025Q4,reseller,1,4,true,7,,Z\xfcrich \xe4\n");
    bytes
}

fn with_bom() -> Vec<u8> {
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(valid_csv());
    bytes
}

fn cr_only() -> Vec<u8> {
    valid_csv()
        .iter()
        .map(|&b| if b == b'\n' { b'\r' } else { b })
        .collect()
}

fn crlf() -> Vec<u8> {
    String::from_utf8(valid_csv())
        .unwrap()
        .replace('\n', "\r\n")
        .into_bytes()
}

fn lone_cr_in_one_line() -> Vec<u8> {
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"P001,2025Q4,reseller,1,4,true,7,,a\rP002,2025Q4,msp,1,4,true,7,,b\n");
    bytes.extend_from_slice(b"P003,2025Q4,reseller,1,4,true,7,,c\n");
    bytes
}

fn empty() -> Vec<u8> {
    Vec::new()
}

fn blank_lines_only() -> Vec<u8> {
    b"\n\n  \n".to_vec()
}

fn blank_first_line() -> Vec<u8> {
    let mut bytes = b"\n".to_vec();
    bytes.extend(valid_csv());
    bytes
}

fn blank_lines_between_rows() -> Vec<u8> {
    String::from_utf8(valid_csv())
        .unwrap()
        .replace('\n', "\n\n")
        .into_bytes()
}

fn no_final_line_end() -> Vec<u8> {
    let mut bytes = valid_csv();
    bytes.pop();
    bytes
}

fn long_line() -> Vec<u8> {
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"P001,2025Q4,reseller,1,4,true,7,,");
    bytes.extend(std::iter::repeat_n(b'x', load::MAX_LINE_BYTES + 1));
    bytes.extend_from_slice(b"\nP002,2025Q4,msp,1,4,true,7,,short\n");
    bytes
}

fn many_problems() -> Vec<u8> {
    let mut text = HEADER.to_string();
    for i in 0..150 {
        text.push_str(&format!("P{i:03},2025Q4,reseller,bad{i},4,true,7,,\n"));
    }
    text.into_bytes()
}

const DEPTH: usize = 100_000;

fn deeply_nested_json() -> Vec<u8> {
    let deep = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    format!(
        "[{{\"partner_id\": \"P1\", \"quarter\": \"2025Q4\", \"partner_type\": \"msp\", \"revenue\": {deep}, \
         \"sales_reps\": 1, \"certified\": true, \"market_alignment\": 1, \"unused\": {{\"a\": {deep}}}}},\n {deep}]"
    )
    .into_bytes()
}

fn deeply_nested_ndjson() -> Vec<u8> {
    let objects = format!("{}1{}", "{\"a\":".repeat(DEPTH), "}".repeat(DEPTH));
    let arrays = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    format!(
        "{{\"partner_id\": \"P1\", \"quarter\": \"2025Q4\", \"partner_type\": \"msp\", \"revenue\": 1, \
         \"sales_reps\": 1, \"certified\": true, \"market_alignment\": 1, \"region\": {objects}}}\n{arrays}\n{objects}\n"
    )
    .into_bytes()
}

fn unclosed_deep_json() -> Vec<u8> {
    format!("[{}", "{\"a\": [".repeat(DEPTH)).into_bytes()
}

fn ndjson_with_bom() -> Vec<u8> {
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(std::fs::read(fixture("missing_key.ndjson")).unwrap());
    String::from_utf8(bytes)
        .unwrap()
        .replace("\"partner\"", "\"partner_id\"")
        .into_bytes()
}

fn ndjson_empty() -> Vec<u8> {
    b"\n \n".to_vec()
}

fn json_trailing_text() -> Vec<u8> {
    b"[]\n[]".to_vec()
}

fn json_empty_array() -> Vec<u8> {
    b" [ ] ".to_vec()
}

fn json_extra_comma() -> Vec<u8> {
    b"[{\"partner_id\": \"P1\"},]".to_vec()
}

const ROW_START: &str = r#""partner_id": "P1", "quarter": "2025Q4", "partner_type": "msp", "revenue": 1, "sales_reps": 1, "market_alignment": 1"#;

/// A lone surrogate is not text: never a missing value, in an optional
/// column or a required one.
fn ndjson_lone_surrogates() -> Vec<u8> {
    format!(
        "{{{ROW_START}, \"certified\": true, \"region\": \"x\\ud800y\"}}\n\
         {{{}, \"certified\": true, \"region\": \"\\udc00\"}}\n\
         {{{}, \"certified\": true, \"region\": \"pair \\ud83d\\ude00 kept\"}}\n",
        ROW_START.replace("P1", "P2"),
        ROW_START.replace("P1", "P3"),
    )
    .into_bytes()
}

/// A bool column takes JSON `true` and `false`; strings are refused.
fn ndjson_bools_as_strings() -> Vec<u8> {
    format!(
        "{{{ROW_START}, \"certified\": \"true\"}}\n\
         {{{}, \"certified\": \"FALSE\"}}\n\
         {{{}, \"certified\": false}}\n",
        ROW_START.replace("P1", "P2"),
        ROW_START.replace("P1", "P3"),
    )
    .into_bytes()
}

/// Strings are exact in JSON too: spaces inside the quotes are kept for
/// text, refused for labels and keys, tolerated for numbers.
fn ndjson_spaces_in_strings() -> Vec<u8> {
    concat!(
        r#"{"partner_id": "P1", "quarter": "2025Q4", "partner_type": "msp", "revenue": " 1.5 ", "sales_reps": 1, "market_alignment": 1, "certified": true, "region": " radio/television "}"#,
        "\n",
        r#"{"partner_id": "P2 ", "quarter": "2025Q4", "partner_type": "msp ", "revenue": 1, "sales_reps": 1, "market_alignment": 1, "certified": true}"#,
        "\n",
    )
    .as_bytes()
    .to_vec()
}

/// An Excel workbook given as data: a ZIP archive.
fn xlsx() -> Vec<u8> {
    b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml\x1b[31m".to_vec()
}

/// The valid fixture saved as UTF-16 (little-endian) with a byte order
/// mark, and as UTF-16 (big-endian) without one.
fn utf16(big_endian: bool, mark: bool) -> Vec<u8> {
    let text = std::fs::read_to_string(fixture("valid.csv")).unwrap();
    let mut bytes = Vec::new();
    if mark {
        bytes.extend(if big_endian {
            [0xfe, 0xff]
        } else {
            [0xff, 0xfe]
        });
    }
    for unit in text.encode_utf16() {
        bytes.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    bytes
}

fn utf16_le_with_mark() -> Vec<u8> {
    utf16(false, true)
}

fn utf16_be_without_mark() -> Vec<u8> {
    utf16(true, false)
}

fn gzip_json() -> Vec<u8> {
    b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xab\xae\x05\x00".to_vec()
}

/// The rows inside a second array: one problem, no column called missing.
fn json_nested_array() -> Vec<u8> {
    format!("[[{{{ROW_START}, \"certified\": true}}]]").into_bytes()
}

/// The only object repeats a key: one problem, no column called missing.
fn json_duplicate_key() -> Vec<u8> {
    format!("[{{{ROW_START}, \"certified\": true, \"partner_id\": \"P2\"}}]").into_bytes()
}

/// Every line is invalid JSON (a raw tab inside a string).
fn ndjson_every_line_invalid() -> Vec<u8> {
    format!("{{{ROW_START}, \"certified\": true, \"region\": \"a\tb\"}}\n")
        .repeat(3)
        .into_bytes()
}

fn json_invalid_utf8() -> Vec<u8> {
    b"[{\"partner_id\": \"P\xff1\"}]".to_vec()
}

use Code::*;
use DataFormat::{Csv, Json, Ndjson};
use Input::{Bytes, File};

const CASES: &[Case] = &[
    case("valid", File("valid.csv"), Csv, &[]),
    case("header_only", File("header_only.csv"), Csv, &[]),
    case("bom_is_ignored", Bytes("bom.csv", with_bom), Csv, &[]),
    case("crlf_line_ends", Bytes("crlf.csv", crlf), Csv, &[]),
    case(
        "no_final_line_end",
        Bytes("no_final_lf.csv", no_final_line_end),
        Csv,
        &[],
    ),
    case(
        "blank_lines_are_skipped",
        Bytes("blank_lines.csv", blank_lines_between_rows),
        Csv,
        &[],
    ),
    Case {
        name: "quoted_fields",
        input: File("quoted.csv"),
        format: Csv,
        policy: OnInvalid::Skip,
        codes: &[D009],
    },
    case("spaces_around_values", File("spaces.csv"), Csv, &[]),
    Case {
        name: "text_is_never_trimmed",
        input: File("spaces_in_text.csv"),
        format: Csv,
        policy: OnInvalid::Skip,
        codes: &[D009],
    },
    case("ragged_rows", File("ragged.csv"), Csv, &[D007]),
    case(
        "unterminated_quote",
        File("unterminated_quote.csv"),
        Csv,
        &[D005],
    ),
    case("stray_quotes", File("stray_quote.csv"), Csv, &[D005]),
    case(
        "invalid_utf8",
        Bytes("latin1.csv", invalid_utf8),
        Csv,
        &[D004],
    ),
    case(
        "cr_only_line_ends",
        Bytes("old_mac.csv", cr_only),
        Csv,
        &[D005],
    ),
    case(
        "lone_cr_in_a_line",
        Bytes("lone_cr.csv", lone_cr_in_one_line),
        Csv,
        &[D005],
    ),
    case("empty_file", Bytes("empty.csv", empty), Csv, &[D003]),
    case("xlsx_is_named", Bytes("partners.xlsx", xlsx), Csv, &[D012]),
    case(
        "utf16_with_a_mark_is_named",
        Bytes("utf16le.csv", utf16_le_with_mark),
        Csv,
        &[D004],
    ),
    case(
        "utf16_without_a_mark_is_named",
        Bytes("utf16be.ndjson", utf16_be_without_mark),
        Ndjson,
        &[D004],
    ),
    case(
        "gzip_is_named",
        Bytes("rows.json.gz", gzip_json),
        Json,
        &[D012],
    ),
    case(
        "blank_lines_only",
        Bytes("blank.csv", blank_lines_only),
        Csv,
        &[D003],
    ),
    case(
        "blank_first_line",
        Bytes("blank_first.csv", blank_first_line),
        Csv,
        &[D003],
    ),
    case(
        "duplicate_header_names",
        File("duplicate_header.csv"),
        Csv,
        &[D003],
    ),
    case(
        "missing_key_column",
        File("missing_key_column.csv"),
        Csv,
        &[D001],
    ),
    case("empty_key_and_period", File("empty_key.csv"), Csv, &[D008]),
    case("missing_values", File("missing_values.csv"), Csv, &[D008]),
    case(
        "duplicate_key_and_period",
        File("duplicate_rows.csv"),
        Csv,
        &[D011],
    ),
    Case {
        name: "nan_inf_and_huge_numbers",
        input: File("special_numbers.csv"),
        format: Csv,
        policy: OnInvalid::Skip,
        codes: &[D009],
    },
    case("thousands_separators", File("separators.csv"), Csv, &[D009]),
    case(
        "huge_and_fractional_integers",
        File("integers.csv"),
        Csv,
        &[D009, D010],
    ),
    case(
        "text_in_number_columns",
        File("not_numbers.csv"),
        Csv,
        &[D009],
    ),
    case("out_of_range", File("out_of_range.csv"), Csv, &[D010]),
    case(
        "labels_and_bools",
        File("labels_and_bools.csv"),
        Csv,
        &[D009],
    ),
    case("line_too_long", Bytes("long.csv", long_line), Csv, &[D006]),
    case(
        "more_problems_than_shown",
        Bytes("many.csv", many_problems),
        Csv,
        &[D009],
    ),
    case("json_valid", File("valid.json"), Json, &[]),
    case(
        "json_empty_array",
        Bytes("empty_array.json", json_empty_array),
        Json,
        &[],
    ),
    case(
        "json_object_instead_of_array",
        File("object.json"),
        Json,
        &[D003],
    ),
    case(
        "json_wrong_types",
        File("wrong_types.json"),
        Json,
        &[D005, D009],
    ),
    case("json_invalid", File("invalid.json"), Json, &[D005]),
    case(
        "json_trailing_text",
        Bytes("trailing.json", json_trailing_text),
        Json,
        &[D005],
    ),
    case(
        "json_extra_comma",
        Bytes("comma.json", json_extra_comma),
        Json,
        &[D005],
    ),
    case(
        "json_invalid_utf8",
        Bytes("latin1.json", json_invalid_utf8),
        Json,
        &[D004],
    ),
    case("json_empty_file", Bytes("empty.json", empty), Json, &[D003]),
    case(
        "json_deeply_nested",
        Bytes("deep.json", deeply_nested_json),
        Json,
        &[D005, D009],
    ),
    case(
        "json_deep_and_unclosed",
        Bytes("unclosed.json", unclosed_deep_json),
        Json,
        &[D005],
    ),
    case(
        "ndjson",
        File("partners.ndjson"),
        Ndjson,
        &[D005, D008, D009],
    ),
    case(
        "ndjson_deeply_nested",
        Bytes("deep.ndjson", deeply_nested_ndjson),
        Ndjson,
        &[D005, D008, D009],
    ),
    case(
        "ndjson_missing_key_everywhere",
        File("missing_key.ndjson"),
        Ndjson,
        &[D001],
    ),
    case(
        "ndjson_bom_is_ignored",
        Bytes("bom.ndjson", ndjson_with_bom),
        Ndjson,
        &[],
    ),
    case(
        "ndjson_empty_file",
        Bytes("empty.ndjson", ndjson_empty),
        Ndjson,
        &[D003],
    ),
    Case {
        name: "mixed_validity_under_skip",
        input: File("mixed.csv"),
        format: Csv,
        policy: OnInvalid::Skip,
        codes: &[D007, D009, D010, D011],
    },
    Case {
        name: "ndjson_under_skip",
        input: File("partners.ndjson"),
        format: Ndjson,
        policy: OnInvalid::Skip,
        codes: &[D005, D008, D009],
    },
    Case {
        name: "json_wrong_types_under_skip",
        input: File("wrong_types.json"),
        format: Json,
        policy: OnInvalid::Skip,
        codes: &[D005, D009],
    },
    Case {
        name: "json_lone_surrogates",
        input: Bytes("surrogates.ndjson", ndjson_lone_surrogates),
        format: Ndjson,
        policy: OnInvalid::Skip,
        codes: &[D009],
    },
    Case {
        name: "json_bools_are_not_strings",
        input: Bytes("bools.ndjson", ndjson_bools_as_strings),
        format: Ndjson,
        policy: OnInvalid::Skip,
        codes: &[D009],
    },
    Case {
        name: "json_strings_are_exact",
        input: Bytes("spaces.ndjson", ndjson_spaces_in_strings),
        format: Ndjson,
        policy: OnInvalid::Skip,
        codes: &[D009],
    },
    case(
        "json_rows_in_a_second_array",
        Bytes("nested.json", json_nested_array),
        Json,
        &[D005],
    ),
    case(
        "json_key_given_twice",
        Bytes("twice.json", json_duplicate_key),
        Json,
        &[D005],
    ),
    case(
        "ndjson_no_line_is_valid",
        Bytes("invalid.ndjson", ndjson_every_line_invalid),
        Ndjson,
        &[D005],
    ),
    Case {
        name: "duplicates_under_skip",
        input: File("duplicate_rows.csv"),
        format: Csv,
        policy: OnInvalid::Skip,
        codes: &[D011],
    },
];

/// A file is read in blocks from disk, bytes in memory from a buffer, and
/// a rejected duplicate's text is found by reading the file again: the
/// answers are the same.
#[test]
fn a_file_on_disk_loads_as_its_bytes_do() {
    let model = contract();
    let dir = crate::support::temp_dir("disk");
    for case in CASES {
        let (file_name, bytes) = match &case.input {
            File(name) => (*name, std::fs::read(fixture(name)).unwrap()),
            Bytes(name, make) => (*name, make()),
        };
        if file_name.ends_with(".xlsx") {
            // On disk, a workbook is read as one (see excel.rs).
            continue;
        }
        let path = dir.join(file_name);
        std::fs::write(&path, &bytes).unwrap();
        let from_disk = load::load(&path, case.format, &model, &all_needed(&model), case.policy);
        let in_memory = load_bytes(&bytes, case.format, &model, case.policy);
        assert_eq!(
            outcome(file_name, from_disk, &model).text,
            outcome(file_name, in_memory, &model).text,
            "{}",
            case.name
        );
    }
}

#[test]
fn hostile_inputs_answer_with_their_problems() {
    let model = contract();
    let mut failures = Vec::new();
    for case in CASES {
        let (file_name, bytes) = match &case.input {
            File(name) => (*name, std::fs::read(fixture(name)).unwrap()),
            Bytes(name, make) => (*name, make()),
        };
        let result = load_bytes(&bytes, case.format, &model, case.policy);
        let outcome = outcome(file_name, result, &model);
        let expected: BTreeSet<Code> = case.codes.iter().copied().collect();
        if outcome.codes != expected {
            failures.push(format!(
                "{}: codes {:?}, expected {:?}\n{}",
                case.name, outcome.codes, expected, outcome.text
            ));
        }
        snapshot(case.name, &outcome.text);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_code_of_loading_is_produced_by_a_case() {
    let produced: BTreeSet<Code> = CASES.iter().flat_map(|c| c.codes.iter().copied()).collect();
    for code in [
        D001, D003, D004, D005, D006, D007, D008, D009, D010, D011, D012,
    ] {
        assert!(produced.contains(&code), "no case produces {code}");
    }
}

#[test]
fn values_are_stored_as_the_contract_says() {
    let model = contract();
    let loaded = load::load(
        &fixture("valid.csv"),
        Csv,
        &model,
        &all_needed(&model),
        OnInvalid::Fail,
    )
    .unwrap();
    let table = &loaded.table;
    let column = |name: &str| model.contract.find(name).unwrap().index();
    assert_eq!(table.lines, vec![2, 3, 4]);
    let Column::Number(revenue) = &table.columns[column("revenue")] else {
        panic!("revenue is a number column")
    };
    assert_eq!(revenue, &vec![1250.5, 0.0, 98000.25]);
    // An integer column is kept as narrow as its values allow.
    let Column::Int(nps) = &table.columns[column("nps")] else {
        panic!("nps is an integer column")
    };
    assert!(matches!(nps, Ints::I8(_)), "{nps:?}");
    assert_eq!(nps.get(0), 42.0);
    assert!(nps.get(1).is_nan());
    let Column::Bool(certified) = &table.columns[column("certified")] else {
        panic!("certified is a bool column")
    };
    assert_eq!(certified, &vec![1, 0, 1]);
    let Column::Label(types) = &table.columns[column("partner_type")] else {
        panic!("partner_type is a label column")
    };
    assert_eq!(types, &vec![0, 1, 2]);
    let Column::Text(region) = &table.columns[column("region")] else {
        panic!("region is a text column")
    };
    assert_eq!(
        (region.get(0), region.get(1), region.get(2)),
        ("EMEA", "", "North America, East")
    );
}

#[test]
fn columns_not_needed_are_checked_but_not_kept() {
    let model = contract();
    let mut needed = vec![false; model.contract.columns.len()];
    let revenue = model.contract.find("revenue").unwrap().index();
    needed[revenue] = true;
    let loaded = load::load(&fixture("valid.csv"), Csv, &model, &needed, OnInvalid::Fail).unwrap();
    for (c, column) in loaded.table.columns.iter().enumerate() {
        let key_or_period = Some(c) == model.contract.key.map(|k| k.index())
            || Some(c) == model.contract.period.map(|p| p.index());
        match column {
            Column::Skipped => assert!(c != revenue && !key_or_period),
            Column::Text(_) => assert!(key_or_period),
            Column::Number(_) => assert_eq!(c, revenue),
            other => panic!("column {c} kept as {other:?}"),
        }
    }
    // Not needed, still checked.
    let result = load::load(
        &fixture("out_of_range.csv"),
        Csv,
        &model,
        &needed,
        OnInvalid::Fail,
    );
    assert!(
        matches!(result, Err(LoadError::Invalid(_, 5))),
        "{result:?}"
    );
}

#[test]
fn skip_leaves_invalid_rows_out_and_accounts_for_every_row() {
    let model = contract();
    let loaded = load::load(
        &fixture("mixed.csv"),
        Csv,
        &model,
        &all_needed(&model),
        OnInvalid::Skip,
    )
    .unwrap();
    assert_eq!(loaded.read, 8);
    assert_eq!(loaded.table.rows + loaded.rejected.len(), loaded.read);
    let kept: Vec<u64> = loaded.table.lines.clone();
    let rejected: Vec<u64> = loaded.rejected.iter().map(|r| r.line).collect();
    assert_eq!(kept, vec![2, 4, 6, 9]);
    assert_eq!(rejected, vec![3, 5, 7, 8]);
    let rejects = load::render_rejects(&loaded.rejected);
    snapshot("mixed_validity_rejects_file", &rejects);
    // Under `Fail`, the same file gives every problem and no table.
    let result = load::load(
        &fixture("mixed.csv"),
        Csv,
        &model,
        &all_needed(&model),
        OnInvalid::Fail,
    );
    let Err(LoadError::Invalid(problems, total)) = result else {
        panic!("the file has invalid rows")
    };
    assert_eq!(total, 6);
    assert_eq!(problems.len(), 6);
    let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
    assert!(
        lines.windows(2).all(|w| w[0] <= w[1]),
        "problems in line order: {lines:?}"
    );
}

#[test]
fn problems_beyond_the_limit_are_counted_not_kept() {
    let model = contract();
    let result = load_bytes(&many_problems(), Csv, &model, OnInvalid::Fail);
    let Err(LoadError::Invalid(problems, total)) = result else {
        panic!("every row is invalid")
    };
    assert_eq!(total, 150);
    assert_eq!(problems.len(), load::MAX_PROBLEMS);
    assert_eq!(problems.first().map(|p| p.line), Some(2));
    assert_eq!(problems.last().map(|p| p.line), Some(101));
}

#[test]
fn a_problem_names_its_column_field_and_value() {
    let model = contract();
    let result = load::load(
        &fixture("not_numbers.csv"),
        Csv,
        &model,
        &all_needed(&model),
        OnInvalid::Fail,
    );
    let Err(LoadError::Invalid(problems, _)) = result else {
        panic!("the file has invalid values")
    };
    let first = &problems[0];
    assert_eq!(first.code, D009);
    assert_eq!(first.line, 2);
    assert_eq!(first.column.as_deref(), Some("revenue"));
    assert_eq!(first.field, Some(4));
    assert_eq!(first.character, Some(21));
    assert_eq!(first.value.as_deref(), Some("abc"));
}

#[test]
fn a_generated_file_loads_under_the_w1_contract() {
    let model = model_of(Path::new("bench/w1.scorecard"));
    let loaded = load::load(
        &fixture("partners_200x3.csv"),
        Csv,
        &model,
        &all_needed(&model),
        OnInvalid::Fail,
    )
    .unwrap_or_else(|e| match e {
        LoadError::Invalid(problems, _) => {
            panic!("{}", load::render(&problems, "partners_200x3.csv"))
        }
        LoadError::Io(e) => panic!("{e}"),
    });
    assert_eq!(loaded.read, 596);
    assert_eq!(loaded.table.rows, 596);
    assert!(loaded.rejected.is_empty());
    assert_eq!(loaded.table.lines.first(), Some(&2));
    assert_eq!(loaded.table.lines.last(), Some(&597));
    let value = |name: &str, row: usize| {
        let c = model.contract.find(name).unwrap().index();
        cell(&model, &loaded.table, c, row)
    };
    // P000001,2025Q2,reseller,NA,3,1141733,19324.10,40716.07,5,2,2,0,9662.05,83,6,6,true,3,...
    assert_eq!(value("partner_id", 0), "\"P000001\"");
    assert_eq!(value("period", 0), "\"2025Q2\"");
    assert_eq!(value("partner_type", 0), "reseller");
    assert_eq!(value("annual_revenue", 0), "1141733");
    assert_eq!(value("revenue", 0), "19324.1");
    assert_eq!(value("avg_deal_size", 0), "9662.05");
    assert_eq!(value("certified", 0), "true");
    assert_eq!(value("integration_quality", 0), "missing");
    assert_eq!(value("customer_retention", 0), "0.855");
    assert_eq!(value("joined_period", 0), "\"2021Q2\"");
    // P000200,2025Q4,msp,NA,12,2452749,148764.81,684824.68,...,0.936,87,10,4,7,26,4,2022Q3
    let last = loaded.table.rows - 1;
    assert_eq!(value("partner_id", last), "\"P000200\"");
    assert_eq!(value("revenue", last), "148764.81");
    assert_eq!(value("pipeline_value", last), "684824.68");
    assert_eq!(value("nps", last), "87");
    assert_eq!(value("partner_feedback", last), "4");
}

#[test]
fn an_unreadable_file_is_an_io_error() {
    let model = contract();
    let result = load::load(
        &fixture("no-such-file.csv"),
        Csv,
        &model,
        &all_needed(&model),
        OnInvalid::Fail,
    );
    assert!(matches!(result, Err(LoadError::Io(_))), "{result:?}");
}

#[test]
fn render_writes_a_line_and_a_help_per_problem() {
    let model = contract();
    let result = load::load(
        &fixture("out_of_range.csv"),
        Csv,
        &model,
        &all_needed(&model),
        OnInvalid::Fail,
    );
    let Err(LoadError::Invalid(problems, _)) = result else {
        panic!("the file has values out of range")
    };
    let text = load::render(&problems, "partners.csv");
    let first = text.lines().next().unwrap();
    assert_eq!(
        first,
        "partners.csv:2:21: error[D010]: column `revenue`: `-0.01` is outside the allowed range >= 0"
    );
    assert!(text.lines().nth(1).unwrap().starts_with("  help: "));
}

mod exact_text {
    //! Text values are never altered, and a JSON array reads as the same
    //! rows written as NDJSON.
    use super::*;
    use proptest::prelude::*;

    fn text_value() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            proptest::sample::select(vec![
                " ", "\t", "a", "Z", ",", "\"", "\n", "\r\n", "é", "😀", "/", "  ", "\\",
            ]),
            0..8,
        )
        .prop_map(|parts| parts.concat())
    }

    fn csv_quoted(text: &str) -> String {
        format!("\"{}\"", text.replace('"', "\"\""))
    }

    fn row_json(i: usize, region: &str, revenue_spaces: &str) -> String {
        format!(
            "{{\"partner_id\": \"P{i}\", \"quarter\": \"2025Q4\", \"partner_type\": \"msp\", \"revenue\": {}, \"sales_reps\": 1, \"certified\": true, \"market_alignment\": 1, \"region\": {}}}",
            serde_json::to_string(&format!("{revenue_spaces}{i}.5{revenue_spaces}")).unwrap(),
            serde_json::to_string(region).unwrap()
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn quoted_text_is_read_byte_for_byte_in_every_format(
            regions in proptest::collection::vec(text_value(), 1..12),
            pad in proptest::sample::select(vec!["", " ", "\t", "  "]),
        ) {
            let model = contract();
            let region = model.contract.find("region").unwrap().index();
            let mut csv = String::from("partner_id,quarter,partner_type,revenue,sales_reps,certified,market_alignment,nps,region\n");
            let mut ndjson = String::new();
            let mut rows = Vec::new();
            for (i, r) in regions.iter().enumerate() {
                csv.push_str(&format!("P{i},2025Q4,msp,{pad}{i}.5{pad},1,true,1,,{}\n", csv_quoted(r)));
                ndjson.push_str(&row_json(i, r, pad));
                ndjson.push('\n');
                rows.push(row_json(i, r, pad));
            }
            let json = format!("[\n{}\n]", rows.join(",\n"));
            let mut dumps = Vec::new();
            for (bytes, format) in [(csv.as_bytes(), Csv), (ndjson.as_bytes(), Ndjson), (json.as_bytes(), Json)] {
                let loaded = load_bytes(bytes, format, &model, OnInvalid::Fail)
                    .unwrap_or_else(|e| panic!("{format:?}: {e:?}"));
                let Column::Text(t) = &loaded.table.columns[region] else { panic!("text column") };
                let got: Vec<&str> = (0..loaded.table.rows).map(|i| t.get(i)).collect();
                let want: Vec<&str> = regions.iter().map(String::as_str).collect();
                prop_assert_eq!(&got, &want, "{:?}", format);
                dumps.push(dump(&model, &loaded.table));
            }
            // The rows are the same; JSON lines number array elements, NDJSON lines.
            prop_assert_eq!(&dumps[1], &dumps[2]);
        }
    }

    /// One cell of a generated row: mostly valid, sometimes refused (a
    /// value out of range, not a number, a missing required value, an
    /// unknown label), sometimes an integer too wide for a narrow column.
    fn generated_cell(column: usize, seed: u8) -> String {
        let pick = |cells: &[&str]| cells[seed as usize % cells.len()].to_string();
        let valid = seed < 235;
        match (column, valid) {
            (0, true) => pick(&["2025Q4", "2025Q3"]),
            (0, false) => pick(&[" 2025Q4", ""]),
            (1, true) => pick(&["reseller", "msp", "technology", "referral"]),
            (1, false) => pick(&["bogus", "", "MSP"]),
            (2, true) => pick(&["12.5", "0", " 7 ", "1e3", "99999999999", "3.25"]),
            (2, false) => pick(&["-1", "abc", "", "1,5"]),
            (3, true) => pick(&["3", "1", "70000", "3000000000", "\t12"]),
            (3, false) => pick(&["0", "1.5", "", "x"]),
            (4, true) => pick(&["true", "FALSE", "True"]),
            (4, false) => pick(&["yes", ""]),
            (5, true) => pick(&["5", "10", " 2"]),
            (5, false) => pick(&["11", "", "0"]),
            (6, true) => pick(&["", "-100", "50"]),
            (6, false) => pick(&["-101", "1.5"]),
            (_, true) => pick(&["", "EMEA", "a b"]),
            (_, false) => pick(&[" EMEA "]),
        }
    }

    /// What a load gave, without what depends on how the record is
    /// written (the character positions and the rows' text).
    fn outcome(model: &Model, bytes: &[u8], policy: OnInvalid) -> String {
        let list = |problems: &[load::DataProblem]| {
            problems
                .iter()
                .map(|p| {
                    format!(
                        "{:?} line {} {:?} {:?} {:?} {}\n",
                        p.code, p.line, p.column, p.field, p.value, p.message
                    )
                })
                .collect::<String>()
        };
        match load::load_bytes(bytes, Csv, model, &all_needed(model), policy) {
            Ok(loaded) => {
                let rejected: String = loaded
                    .rejected
                    .iter()
                    .map(|r| format!("rejected line {}:\n{}", r.line, list(&r.problems)))
                    .collect();
                format!(
                    "read {}\n{}{}",
                    loaded.read,
                    rejected,
                    dump(model, &loaded.table)
                )
            }
            Err(LoadError::Invalid(problems, total)) => {
                format!("{total} problems\n{}", list(&problems))
            }
            Err(e) => format!("{e:?}"),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Plain records are read column by column in runs; a record with a
        /// quoted field is read field by field. The same rows written both
        /// ways load alike — the same values, problems and rows left out —
        /// across runs, refused values inside a run, and widened integers.
        #[test]
        fn plain_records_load_as_quoted_ones_do(
            rows in proptest::collection::vec(proptest::array::uniform8(0u8..=255), 1..2600),
        ) {
            let model = contract();
            let header = "partner_id,quarter,partner_type,revenue,sales_reps,certified,market_alignment,nps,region\n";
            let (mut plain, mut quoted) = (String::from(header), String::from(header));
            for (i, seeds) in rows.iter().enumerate() {
                let cells: Vec<String> = seeds.iter().enumerate().map(|(c, s)| generated_cell(c, *s)).collect();
                let rest = cells.join(",");
                plain.push_str(&format!("P{i},{rest}\n"));
                quoted.push_str(&format!("\"P{i}\",{rest}\n"));
            }
            for policy in [OnInvalid::Fail, OnInvalid::Skip] {
                let by_columns = outcome(&model, plain.as_bytes(), policy);
                let by_fields = outcome(&model, quoted.as_bytes(), policy);
                prop_assert_eq!(by_columns, by_fields, "{:?}", policy);
            }
        }
    }
}

/// A header of 120,000 columns, and one of 400,000 repeats of a name (each
/// within the 1 MiB limit), are read in one pass: the first problems are
/// reported and all are counted.
#[test]
fn very_wide_headers_are_read_in_linear_time() {
    let model = contract();
    let declared = "partner_id,quarter,partner_type,revenue,sales_reps,certified,market_alignment";
    let mut wide = String::from(declared);
    for i in 0..120_000 {
        wide.push_str(&format!(",c{i}"));
    }
    wide.push('\n');
    let mut row = String::from("P1,2025Q4,msp,1,1,true,1");
    row.push_str(&",x".repeat(120_000));
    row.push('\n');
    wide.push_str(&row);
    let loaded = load_bytes(wide.as_bytes(), Csv, &model, OnInvalid::Fail).unwrap();
    assert_eq!((loaded.read, loaded.table.rows), (1, 1));

    let mut repeated = String::from(declared);
    repeated.push_str(&",d".repeat(400_000));
    repeated.push('\n');
    let Err(LoadError::Invalid(problems, total)) =
        load_bytes(repeated.as_bytes(), Csv, &model, OnInvalid::Fail)
    else {
        panic!("a repeated name is a problem of the header")
    };
    assert_eq!(total, 399_999);
    assert_eq!(problems.len(), load::MAX_PROBLEMS);
    assert_eq!(problems[0].field, Some(9));
    assert_eq!(problems[0].character, Some(declared.len() + 4));
    assert_eq!(problems[1].character, Some(declared.len() + 6));
}

mod check_data {
    //! `check --data`: the contract against a data file's header.
    use super::*;
    use scorecard::check::contract::check_data_header;
    use scorecard::diag::Diagnostic;
    use scorecard::source::SourceMap;

    fn check_header(card: &str, header: &str, name: &str) -> Vec<Diagnostic> {
        let dir = crate::support::temp_dir("check-data");
        let card_path = dir.join(format!("{name}.scorecard"));
        std::fs::write(&card_path, card).unwrap();
        let data = dir.join(format!("{name}.csv"));
        std::fs::write(&data, header).unwrap();
        let model = model_of(&card_path);
        let mut sources = SourceMap::new();
        let found = check_data_header(&model, &data, &mut sources).unwrap();
        found.iter().cloned().collect()
    }

    const CARD: &str =
        "scorecard \"t\" version \"1\"\ninput {\n  key partner_id\n  revenue: number\n}\n";

    #[test]
    fn a_header_longer_than_the_line_limit_is_refused_not_cut() {
        // 200,000 names: a 1.5 MB header, past the 1 MiB line limit. Cut at
        // the limit, its last name would be half a name, and the count wrong.
        let mut header = String::from("partner_id,revenue");
        for i in 0..200_000 {
            header.push_str(&format!(",c{i}"));
        }
        header.push('\n');
        let found = check_header(CARD, &header, "too-wide");
        let codes: Vec<Code> = found.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec![D003]);
        assert!(
            found[0]
                .message
                .contains("longer than the 1 MiB line limit"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn undeclared_columns_are_one_warning_that_lists_them() {
        let mut header = String::from("partner_id,revenu");
        for i in 0..120_000 {
            header.push_str(&format!(",c{i}"));
        }
        header.push('\n');
        let found = check_header(CARD, &header, "wide");
        let codes: Vec<Code> = found.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec![D001, D002]);
        let d002 = &found[1];
        assert_eq!(
            d002.message,
            "120001 data columns are not declared in the input block: `revenu`, `c0`, `c1`, `c2`, `c3`, `c4`, `c5`, `c6`, `c7`, `c8`, and 119991 more"
        );
        assert!(
            d002.help
                .as_str()
                .starts_with("`revenu` may be `revenue`; "),
            "{:?}",
            d002.help
        );
    }

    #[test]
    fn repeated_names_are_reported_ten_times_and_counted() {
        let header = format!("partner_id,revenue{}\n", ",d".repeat(400_000));
        let found = check_header(CARD, &header, "repeated");
        let repeats: Vec<&Diagnostic> = found.iter().filter(|d| d.code == D003).collect();
        assert_eq!(repeats.len(), 10);
        assert!(
            repeats[9]
                .help
                .ends_with("; 399989 more columns repeat a name"),
            "{}",
            repeats[9].help
        );
    }

    #[test]
    fn other_columns_ignored_means_no_warning_for_them() {
        let card = CARD.replace(
            "  revenue: number\n",
            "  revenue: number\n  other columns ignored\n",
        );
        let found = check_header(&card, "partner_id,revenue,region,notes\n", "ignored");
        assert!(found.is_empty(), "{found:?}");
        // Only the warning: a missing column is still an error.
        let found = check_header(&card, "partner_id,region\n", "ignored_missing");
        let codes: Vec<Code> = found.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec![D001]);
    }

    #[test]
    fn other_columns_ignored_is_kept_by_fmt() {
        let text = "scorecard \"t\" version \"1\"\ninput {\n  key partner_id\n    other   columns ignored // more\n  other: text\n}\n";
        let formatted = scorecard::fmt::format(scorecard::source::FileId(0), text).unwrap();
        assert!(
            formatted.contains("\n  other columns ignored  // more\n"),
            "{formatted}"
        );
        assert_eq!(
            scorecard::fmt::format(scorecard::source::FileId(0), &formatted).unwrap(),
            formatted
        );
    }

    #[test]
    fn a_look_alike_letter_in_a_header_is_named_by_code_point() {
        let found = check_header(CARD, "partner_id,r\u{435}venue\n", "confusable");
        let d001 = found
            .iter()
            .find(|d| d.code == D001)
            .expect("revenue is missing");
        assert_eq!(
            Some(d001.help.as_str()),
            Some(
                "the data has `r\u{435}venue`, whose `\u{435}` is the character U+0435, not an ASCII letter: retype it"
            )
        );
        let d002 = found
            .iter()
            .find(|d| d.code == D002)
            .expect("the look-alike is undeclared");
        assert!(d002.help.as_str().contains("U+0435"), "{:?}", d002.help);
        // Loading says the same.
        let model = contract();
        let data =
            "partner_id,quarter,partner_type,r\u{435}venue,sales_reps,certified,market_alignment\n";
        let Err(LoadError::Invalid(problems, _)) =
            load_bytes(data.as_bytes(), Csv, &model, OnInvalid::Fail)
        else {
            panic!("revenue is missing")
        };
        assert!(
            problems[0].help.contains("U+0435"),
            "{:?}",
            problems[0].help
        );
    }
}

/// `--on-invalid skip` is advised only when it would help: under `fail`,
/// when the problems are rows.
#[test]
fn skipping_is_advised_only_when_it_would_help() {
    let dir = crate::support::temp_dir("advice");
    let card = dir.join("t.scorecard");
    std::fs::write(
        &card,
        "scorecard \"t\" version \"1\"\ninput { key id  x: number }\nmetric m { owner \"o\" source \"s\" value x }\nscore s { weights { m 100 } }\n",
    )
    .unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let bad_row = write("row.csv", b"id,x\nP1,1\nP2,abc\n");
    let latin1 = write("latin1.csv", b"id,x\nM\xfcnchen,1\n");
    let no_column = write("column.csv", b"id,y\nP1,1\n");
    const ADVICE: &str = "use `--on-invalid skip`";
    let run = |data: &Path, policy: &str| {
        let out = scorecard(&[
            "score",
            card.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--on-invalid",
            policy,
        ]);
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(run(&bad_row, "fail").contains(ADVICE));
    for (data, policy) in [
        (&latin1, "fail"),
        (&latin1, "skip"),
        (&no_column, "fail"),
        (&no_column, "skip"),
    ] {
        let err = run(data, policy);
        assert!(err.contains("nothing was scored"), "{err}");
        assert!(!err.contains(ADVICE), "{policy}: {err}");
    }
}

/// Control characters in a data file (an escape sequence would act on the
/// terminal) are never printed as they are, by `score` or by `check --data`.
#[test]
fn control_characters_in_data_are_not_printed() {
    let dir = crate::support::temp_dir("controls");
    let card = dir.join("t.scorecard");
    std::fs::write(
        &card,
        "scorecard \"t\" version \"1\"\ninput { key id  x: number }\nmetric m { owner \"o\" source \"s\" value x }\nscore s { weights { m 100 } }\n",
    )
    .unwrap();
    let data = dir.join("d.csv");
    std::fs::write(&data, b"id,x,\x1b[2Jcleared\nP1,\x1b[31mred,1\n").unwrap();
    let score = scorecard(&[
        "score",
        card.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ]);
    let check = scorecard(&[
        "check",
        "--data",
        data.to_str().unwrap(),
        card.to_str().unwrap(),
    ]);
    for out in [&score, &check] {
        let text = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        assert!(!text.contains(&0x1b), "{}", String::from_utf8_lossy(&text));
    }
    let err = String::from_utf8_lossy(&score.stderr);
    assert!(err.contains("`\\x1b[31mred` is not a number"), "{err}");
    let shown = String::from_utf8_lossy(&check.stdout);
    assert!(shown.contains("\\x1b[2Jcleared"), "{shown}");
}
