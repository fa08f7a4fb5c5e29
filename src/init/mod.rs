//! `scorecard init --data FILE`: a starter scorecard whose input contract is
//! inferred from a data file, with one annotated example each of a metric, a
//! score, tiers and a test.
//!
//! The data is read by the loader itself, so what is inferred is what the
//! loader accepts: each column is tried as `bool`, then `integer`, then
//! `number`, then `text` (every column at once, rows with problems skipped),
//! and keeps the first type none of its values was refused under. The
//! scorecard written is checked before it is returned; it is never written
//! with an error.

use std::path::Path;

use indexmap::IndexMap;

use crate::data::header::{self, DataFormat, HeaderError};
use crate::data::load::{self, LoadError, Loaded, OnInvalid};
use crate::data::table::{Column, MISSING_BOOL, Table};
use crate::model::format_number;
use crate::model::{ColumnDef, Contract, Loc, Model, Type};
use crate::syntax::is_name;

/// What `init` may be told.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The key column, instead of a guess.
    pub key: Option<String>,
    /// The period column, instead of a guess.
    pub period: Option<String>,
}

/// Why no starter scorecard was written.
#[derive(Clone, Debug, PartialEq)]
pub struct InitError {
    pub message: String,
    pub help: Option<String>,
}

impl InitError {
    fn new(message: impl Into<String>, help: Option<String>) -> Self {
        InitError {
            message: message.into(),
            help,
        }
    }
}

/// A column as inferred.
#[derive(Clone, Debug, PartialEq)]
struct Inferred {
    name: String,
    ty: Option<Type>,
    /// Enum labels, for text with few distinct values.
    labels: Vec<String>,
    min: Option<f64>,
    max: Option<f64>,
    blanks: usize,
    values: usize,
}

/// Text columns with at most this many distinct values become enums.
const MAX_ENUM_LABELS: usize = 12;

fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A comment line's text with line breaks and control characters removed.
fn comment_safe(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn model_of(columns: &[(String, Type)]) -> Model {
    Model {
        contract: Contract {
            key: None,
            period: None,
            columns: columns
                .iter()
                .map(|(name, ty)| ColumnDef {
                    name: name.clone(),
                    ty: *ty,
                    min: None,
                    max: None,
                    optional: true,
                    loc: Loc::default(),
                })
                .collect(),
            others_ignored: true,
            loc: None,
        },
        ..Model::default()
    }
}

fn load_as(
    bytes: &[u8],
    format: DataFormat,
    columns: &[(String, Type)],
    name: &str,
) -> Result<Loaded, InitError> {
    let model = model_of(columns);
    let needed = vec![true; columns.len()];
    match load::load_bytes(bytes, format, &model, &needed, OnInvalid::Skip) {
        Ok(l) => Ok(l),
        Err(LoadError::Io(e)) => Err(InitError::new(format!("cannot read `{name}`: {e}"), None)),
        Err(LoadError::Invalid(problems, total)) => Err(InitError::new(
            format!(
                "`{name}` has {total} problem{} that stop it being read:\n{}",
                if total == 1 { "" } else { "s" },
                load::render(&problems, name).trim_end()
            ),
            Some("fix the file, then run `scorecard init` again".into()),
        )),
    }
}

/// Whether column `k` of the table has a value in row `i`.
fn present(table: &Table, k: usize, i: usize) -> bool {
    match table.columns.get(k) {
        Some(Column::Number(v)) => v.get(i).is_some_and(|x| !x.is_nan()),
        Some(Column::Int(v)) => !v.get(i).is_nan(),
        Some(Column::Bool(v)) => v.get(i).is_some_and(|b| *b != MISSING_BOOL),
        Some(Column::Text(t)) => i < t.len() && !t.get(i).is_empty(),
        Some(Column::Label(_) | Column::Skipped) | None => false,
    }
}

fn number_at(table: &Table, k: usize, i: usize) -> f64 {
    match table.columns.get(k) {
        Some(Column::Number(v)) => v.get(i).copied().unwrap_or(f64::NAN),
        Some(Column::Int(v)) => v.get(i),
        _ => f64::NAN,
    }
}

fn text_at(table: &Table, k: usize, i: usize) -> &str {
    match table.columns.get(k) {
        Some(Column::Text(t)) if i < t.len() => t.get(i),
        _ => "",
    }
}

/// Row `i`'s value of column `k` as text, whatever its type.
fn value_text(table: &Table, k: usize, i: usize) -> String {
    match table.columns.get(k) {
        Some(Column::Number(_) | Column::Int(_)) => format_number(number_at(table, k, i)),
        Some(Column::Bool(v)) => (v.get(i) == Some(&1)).to_string(),
        _ => text_at(table, k, i).to_string(),
    }
}

/// The data file's columns, typed from its values.
fn infer_columns(
    bytes: &[u8],
    format: DataFormat,
    names: &[String],
    file: &str,
) -> Result<(Vec<Inferred>, Table), InitError> {
    const CANDIDATES: [Type; 4] = [Type::Bool, Type::Integer, Type::Number, Type::Text];
    // Each column's candidate, by index into CANDIDATES; past the end: no type.
    let mut tried: IndexMap<String, usize> = names
        .iter()
        .filter(|n| is_name(n))
        .map(|n| (n.clone(), 0))
        .collect();
    // Every load refuses at least one more column's candidate, or none: at
    // most one load per column and candidate.
    let (typed, loaded) = loop {
        let typed: Vec<(String, Type)> = tried
            .iter()
            .filter_map(|(n, t)| CANDIDATES.get(*t).map(|ty| (n.clone(), *ty)))
            .collect();
        let loaded = load_as(bytes, format, &typed, file)?;
        let refused: indexmap::IndexSet<String> = loaded
            .rejected
            .iter()
            .flat_map(|r| r.problems.iter().filter_map(|p| p.column.clone()))
            .collect();
        let mut moved = false;
        for name in refused {
            if let Some(t) = tried.get_mut(&name) {
                if *t < CANDIDATES.len() {
                    *t += 1;
                    moved = true;
                }
            }
        }
        if !moved {
            break (typed, loaded);
        }
    };
    let decided: IndexMap<String, Option<Type>> = tried
        .iter()
        .map(|(n, t)| (n.clone(), CANDIDATES.get(*t).copied()))
        .collect();
    let table = loaded.table;
    let mut out = Vec::new();
    for (name, ty) in &decided {
        let Some(k) = typed.iter().position(|(n, _)| n == name) else {
            out.push(Inferred {
                name: name.clone(),
                ty: None,
                labels: Vec::new(),
                min: None,
                max: None,
                blanks: 0,
                values: 0,
            });
            continue;
        };
        let mut inferred = Inferred {
            name: name.clone(),
            ty: if (0..table.rows).any(|i| present(&table, k, i)) {
                *ty
            } else {
                // Without a value every type fits: text, the least presumptuous.
                Some(Type::Text)
            },
            labels: Vec::new(),
            min: None,
            max: None,
            blanks: 0,
            values: 0,
        };
        let mut distinct: Vec<&str> = Vec::new();
        for i in 0..table.rows {
            if !present(&table, k, i) {
                inferred.blanks += 1;
                continue;
            }
            inferred.values += 1;
            match ty {
                Some(Type::Integer | Type::Number) => {
                    let x = number_at(&table, k, i);
                    inferred.min = Some(inferred.min.map_or(x, |m| m.min(x)));
                    inferred.max = Some(inferred.max.map_or(x, |m| m.max(x)));
                }
                Some(Type::Text) => {
                    let t = text_at(&table, k, i);
                    if distinct.len() <= MAX_ENUM_LABELS && !distinct.contains(&t) {
                        distinct.push(t);
                    }
                }
                _ => {}
            }
        }
        // Few labels, each seen more than once on average: an enum.
        if ty == &Some(Type::Text)
            && !distinct.is_empty()
            && distinct.len() <= MAX_ENUM_LABELS
            && distinct.len() * 2 <= inferred.values
        {
            let mut labels: Vec<String> = distinct.iter().map(|s| s.to_string()).collect();
            labels.sort();
            inferred.labels = labels;
        }
        out.push(inferred);
    }
    Ok((out, table))
}

/// Whether `(key, period)` is different in every row.
fn unique_rows(table: &Table, columns: &[Inferred], key: &str, period: Option<&str>) -> bool {
    let index = |name: &str| columns.iter().position(|c| c.name == name);
    let Some(k) = index(key) else {
        return false;
    };
    let p = period.and_then(index);
    let mut seen = std::collections::HashSet::new();
    (0..table.rows).all(|i| {
        present(table, k, i)
            && p.is_none_or(|p| present(table, p, i))
            && seen.insert((value_text(table, k, i), p.map(|p| value_text(table, p, i))))
    })
}

fn guess_period(columns: &[Inferred]) -> Option<String> {
    const NAMES: &[&str] = &[
        "period",
        "quarter",
        "month",
        "fiscal_period",
        "fiscal_quarter",
        "year_quarter",
    ];
    columns
        .iter()
        .find(|c| {
            c.ty == Some(Type::Text)
                && c.blanks == 0
                && c.values > 0
                && NAMES.contains(&c.name.to_ascii_lowercase().as_str())
        })
        .map(|c| c.name.clone())
}

fn guess_key(table: &Table, columns: &[Inferred], period: Option<&str>) -> Option<String> {
    let looks_like_key = |n: &str| {
        let n = n.to_ascii_lowercase();
        matches!(n.as_str(), "id" | "partner" | "code") || n.ends_with("_id")
    };
    let fits = |c: &&Inferred| {
        matches!(c.ty, Some(Type::Text | Type::Integer))
            && c.blanks == 0
            // A header without rows: the name alone says it.
            && (c.values > 0 || table.rows == 0)
            && Some(c.name.as_str()) != period
            && unique_rows(table, columns, &c.name, period)
    };
    columns
        .iter()
        .filter(|c| looks_like_key(&c.name))
        .find(fits)
        // Else the first column, if it holds text (a number is rarely an id).
        .or_else(|| {
            columns
                .first()
                .filter(|c| c.ty == Some(Type::Text))
                .filter(fits)
        })
        .map(|c| c.name.clone())
}

/// A name not among `taken`: `base`, or `base_2`, `base_3`, ….
fn fresh(base: &str, taken: &[&str]) -> String {
    let mut name = base.to_string();
    let mut n = 2;
    while taken.contains(&name.as_str()) {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

/// A starter scorecard for the data file at `path`.
pub fn starter(path: &Path, format: DataFormat, options: &Options) -> Result<String, InitError> {
    let file = path.display().to_string();
    if crate::data::parquet::is_parquet(path) {
        return from_parquet(path, options);
    }
    let names = match header::read_header(path, format) {
        Ok(h) => h.columns,
        Err(HeaderError::Io(e)) => {
            return Err(InitError::new(format!("cannot read `{file}`: {e}"), None));
        }
        Err(HeaderError::Invalid(reason, _)) => {
            return Err(InitError::new(
                format!("`{file}` has no usable header: {reason}"),
                Some("the first line (or first object) names the columns".into()),
            ));
        }
        Err(HeaderError::NotText(kind)) => {
            let problem = kind.problem();
            return Err(InitError::new(
                format!("`{file}`: {}", problem.message),
                Some(problem.help),
            ));
        }
    };
    if names.is_empty() {
        return Err(InitError::new(
            format!("`{file}` has no columns to infer a contract from"),
            Some("give a file whose first line names its columns".into()),
        ));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| InitError::new(format!("cannot read `{file}`: {e}"), None))?;
    starter_of(&bytes, format, &names, &file, options, &[])
}

/// A starter scorecard for a Parquet file: its top-level columns read as
/// the CSV text they stand for (see `data::parquet`), then inferred as CSV.
fn from_parquet(path: &Path, options: &Options) -> Result<String, InitError> {
    use crate::data::parquet::{self, ParquetError};
    let file = path.display().to_string();
    let unread = |e: ParquetError| match e {
        ParquetError::Io(e) => InitError::new(format!("cannot read `{file}`: {e}"), None),
        ParquetError::Invalid(problems) => InitError::new(
            format!("`{file}`: {}", load::render(&problems, &file).trim_end()),
            Some("write the file again with flat columns, or export it as CSV".into()),
        ),
    };
    let names = parquet::column_names(path).map_err(unread)?;
    let all: Vec<(String, Type)> = names.iter().map(|n| (n.clone(), Type::Text)).collect();
    let rows = parquet::read(path, &model_of(&all)).map_err(unread)?;
    let fractional = parquet::fractional_columns(path).map_err(unread)?;
    starter_of(
        &rows.csv,
        DataFormat::Csv,
        &names,
        &file,
        options,
        &fractional,
    )
}

/// A starter scorecard for the data `bytes` whose columns are `names`.
fn starter_of(
    bytes: &[u8],
    format: DataFormat,
    names: &[String],
    file: &str,
    options: &Options,
    fractional: &[String],
) -> Result<String, InitError> {
    if names.is_empty() {
        return Err(InitError::new(
            format!("`{file}` has no columns to infer a contract from"),
            Some("give a file whose first line names its columns".into()),
        ));
    }
    let (mut columns, table) = infer_columns(bytes, format, names, file)?;
    // A column typed as fractional (a Parquet DOUBLE) whose values happen
    // to be whole is still a number column.
    for c in &mut columns {
        if c.ty == Some(Type::Integer) && fractional.contains(&c.name) {
            c.ty = Some(Type::Number);
        }
    }
    let given = |flag: &str, name: &Option<String>| -> Result<Option<String>, InitError> {
        let Some(n) = name else { return Ok(None) };
        match columns.iter().find(|c| &c.name == n) {
            Some(c) if c.values > 0 && c.blanks == 0 => Ok(Some(n.clone())),
            Some(_) => Err(InitError::new(
                format!("`--{flag} {n}`: the column has blank values"),
                Some(format!("the {flag} column needs a value in every row")),
            )),
            None => Err(InitError::new(
                format!("`--{flag} {n}`: no such column in `{file}`"),
                crate::diag::fuzzy::closest(n, columns.iter().map(|c| c.name.as_str()))
                    .map(|s| format!("did you mean `{s}`?")),
            )),
        }
    };
    let period = match given("period", &options.period)? {
        Some(p) => Some(p),
        None if options.period.is_none() => guess_period(&columns),
        None => None,
    };
    let key = match given("key", &options.key)? {
        Some(k) => {
            if !unique_rows(&table, &columns, &k, period.as_deref()) {
                return Err(InitError::new(
                    format!(
                        "`--key {k}`: two rows have the same key{}",
                        if period.is_some() { " and period" } else { "" }
                    ),
                    Some("name the column that tells partners apart, and the period column with `--period`".into()),
                ));
            }
            Some(k)
        }
        None => guess_key(&table, &columns, period.as_deref()),
    };
    let text = write(
        file,
        names,
        &columns,
        &table,
        key.as_deref(),
        period.as_deref(),
    )?;
    // In the canonical layout, so that `fmt --check` passes too.
    let text = crate::fmt::format(crate::source::FileId::default(), &text).unwrap_or(text);
    // INVARIANT: what `init` writes checks without errors.
    let mut sources = crate::source::SourceMap::new();
    let checked = crate::check::check_text("starter.scorecard", &text, &mut sources);
    if checked.diagnostics.has_errors() {
        return Err(defect(
            &format!("the starter scorecard for `{file}` would not check"),
            &checked,
        ));
    }
    Ok(text)
}

fn type_text(c: &Inferred) -> String {
    let bound = |ty: &str| match (c.min, c.max) {
        (Some(lo), Some(hi)) => format!("{ty} in {}..{}", format_number(lo), format_number(hi)),
        _ => ty.to_string(),
    };
    match c.ty {
        Some(Type::Bool) => "bool".into(),
        Some(Type::Integer) => bound("integer"),
        Some(Type::Number) => bound("number"),
        Some(Type::Text) if !c.labels.is_empty() => format!(
            "enum({})",
            c.labels
                .iter()
                .map(|l| quoted(l))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => "text".into(),
    }
}

fn write(
    file: &str,
    names: &[String],
    columns: &[Inferred],
    table: &Table,
    key: Option<&str>,
    period: Option<&str>,
) -> Result<String, InitError> {
    let stem = Path::new(file).file_stem().map_or_else(
        || "starter".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let mut out = String::new();
    let base = Path::new(file)
        .file_name()
        .map_or_else(|| file.to_string(), |s| s.to_string_lossy().into_owned());
    out.push_str(&format!(
        "// A starter scorecard for `{}`, written by `scorecard init`.\n",
        comment_safe(&base)
    ));
    out.push_str(&format!(
        "// The input contract was inferred from the file's {} row{}: each column's\n",
        table.rows,
        if table.rows == 1 { "" } else { "s" }
    ));
    out.push_str(
        "// type, the range of values seen (widen it to what is valid), an enum for\n\
         // text with few distinct values, and `optional` where blanks occur.\n\n",
    );
    out.push_str(&format!(
        "scorecard {} version \"0.1\"\n\n",
        quoted(&comment_safe(&stem))
    ));
    out.push_str("input {\n");
    if let Some(k) = key {
        out.push_str(&format!("  key {k}\n"));
    }
    if let Some(p) = period {
        out.push_str(&format!("  period {p}\n"));
    }
    for c in columns {
        if c.ty.is_none() {
            out.push_str(&format!(
                "  // `{}` is not declared: its values are of mixed kinds (numbers and text)\n",
                comment_safe(&c.name)
            ));
            continue;
        }
        let is_key = Some(c.name.as_str()) == key || Some(c.name.as_str()) == period;
        let ty = if is_key {
            "text".to_string()
        } else {
            type_text(c)
        };
        let mut line = format!("  {}: {ty}", c.name);
        if (c.blanks > 0 || c.values == 0) && !is_key {
            line.push_str(", optional");
        }
        if c.values == 0 && c.blanks > 0 {
            line.push_str("  // always blank in the file");
        } else if c.values == 0 {
            line.push_str("  // no value in the file: say what it holds");
        }
        out.push_str(&line);
        out.push('\n');
    }
    for n in names.iter().filter(|n| !is_name(n)) {
        out.push_str(&format!(
            "  // {} is not declared: it is not a name the language accepts; rename\n  // the column in the data (letters, digits and `_`) to use it\n",
            quoted(&comment_safe(n))
        ));
    }
    out.push_str("}\n");
    // The examples read the first numeric column whose values vary.
    let example = columns.iter().find(|c| {
        matches!(c.ty, Some(Type::Integer | Type::Number))
            && Some(c.name.as_str()) != key
            && Some(c.name.as_str()) != period
            && matches!((c.min, c.max), (Some(lo), Some(hi)) if lo < hi)
    });
    let example = example.filter(|_| key.is_some());
    let Some(example) = example else {
        out.push_str(if key.is_none() {
            "\n// No column tells partners apart (a key), so there are no example scores:\n\
             // add `key COLUMN` to the input block first.\n"
        } else {
            "\n// No column holds numbers that vary.\n"
        });
        out.push_str(
            "//\n// A metric turns a value into points, for example:\n\
             //\n\
             //   metric revenue_points \"Points for revenue\" {\n\
             //     value revenue\n\
             //     points scale 0 => 0, 100000 => 100\n\
             //   }\n\
             //\n\
             // a score weighs metrics (`score overall { weights { revenue_points 100 } }`),\n\
             // tiers name ranges of a score, and a test gives a row and its expected result.\n",
        );
        return Ok(out);
    };
    let taken: Vec<&str> = names.iter().map(String::as_str).collect();
    let metric = fresh(&format!("{}_points", example.name), &taken);
    let score = fresh("overall", &taken);
    let (lo, hi) = (example.min.unwrap_or(0.0), example.max.unwrap_or(0.0));
    out.push_str(&format!(
        "\n// An example metric: a metric turns a value into points. This one gives 0\n\
         // points at the lowest `{name}` seen and 100 at the highest, in a straight\n\
         // line; a blank value earns 0 points.\n\
         metric {metric} \"Points for {name}\" {{\n\
         \x20 owner \"program owner\"  source {source}\n\
         \x20 value {name}\n\
         \x20 points scale {lo} => 0, {hi} => 100\n\
         \x20 missing points 0\n\
         }}\n",
        name = example.name,
        source = quoted(&comment_safe(&base)),
        lo = format_number(lo),
        hi = format_number(hi),
    ));
    out.push_str(&format!(
        "\n// An example score: a weighted sum of metric points (weights add up to 100).\n\
         score {score} \"Overall score\" {{\n\
         \x20 weights {{ {metric} 100 }}\n\
         }}\n"
    ));
    out.push_str(&format!(
        "\n// Example tiers: the first line whose threshold the score reaches names the tier.\n\
         tiers {score} {{\n\
         \x20 high >= 50\n\
         \x20 low  otherwise\n\
         }}\n"
    ));
    // The test: the first row of the file, and the score the engine gives it.
    if table.rows == 0 {
        return Ok(out);
    }
    let mut given = String::new();
    for (k, c) in columns.iter().enumerate() {
        let Some(ty) = c.ty else { continue };
        let is_key = Some(c.name.as_str()) == key || Some(c.name.as_str()) == period;
        let value = if !present(table, typed_index(columns, k), 0) {
            "missing".to_string()
        } else {
            let k = typed_index(columns, k);
            match ty {
                _ if is_key => quoted(&value_text(table, k, 0)),
                Type::Integer | Type::Number => format_number(number_at(table, k, 0)),
                Type::Bool => match table.columns.get(k) {
                    Some(Column::Bool(v)) if v.first() == Some(&1) => "true".into(),
                    _ => "false".into(),
                },
                _ => quoted(text_at(table, k, 0)),
            }
        };
        given.push_str(&format!("    {}: {value},\n", c.name));
    }
    let expectation = match expected_score(&out, &given, &score)? {
        Some(x) => format!("{score} == {x} within 0.01"),
        None => format!("{score} is missing"),
    };
    out.push_str(&format!(
        "\n// An example test: a row and the result it must get; `scorecard test` runs it.\n\
         test \"the first row of the file\" {{\n\
         \x20 given {{\n{given}  }}\n\
         \x20 expect {expectation}\n\
         }}\n"
    ));
    Ok(out)
}

/// The position of inferred column `k` among the typed (declared) columns,
/// which is its position in the table.
fn typed_index(columns: &[Inferred], k: usize) -> usize {
    columns.iter().take(k).filter(|c| c.ty.is_some()).count()
}

/// The score the engine gives the test row, rounded to two decimals (`None`
/// when it is missing).
fn expected_score(scorecard: &str, given: &str, score: &str) -> Result<Option<String>, InitError> {
    // The test is only scored here, never run: any expectation will do.
    let text = format!(
        "{scorecard}\ntest \"probe\" {{\n  given {{\n{given}  }}\n  expect {score} is missing\n}}\n"
    );
    let mut sources = crate::source::SourceMap::new();
    let checked = crate::check::check_text("starter.scorecard", &text, &mut sources);
    let failed = || {
        InitError::new(
            "the example test of the starter scorecard could not be scored",
            Some("this is a defect in scorecard; please report it".into()),
        )
    };
    let Some(model) = checked.clean_model() else {
        return Err(defect(
            "the example test of the starter scorecard does not check",
            &checked,
        ));
    };
    let rows = &model.tests.first().ok_or_else(failed)?.rows;
    let table = crate::data::given::table_from_rows(model, rows);
    let selection = crate::eval::Selection {
        period: crate::eval::PeriodChoice::All,
        partner: None,
    };
    let scored = crate::diff::score_rows(model, &table, &selection);
    let value = scored
        .values()
        .next()
        .and_then(|s| s.scores.get(score))
        .copied()
        .ok_or_else(failed)?;
    if value.is_nan() {
        return Ok(None);
    }
    let mut s = String::new();
    if value < 0.0 {
        s.push('-');
    }
    crate::render::push_decimal(&mut s, value.abs(), 2);
    Ok(Some(s))
}

/// A starter text that does not check: a defect of `init`, reported with the
/// checker's error messages.
fn defect(what: &str, checked: &crate::check::Checked) -> InitError {
    let messages: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone())
        .collect();
    InitError::new(
        format!("{what}: {}", messages.join("; ")),
        Some("this is a defect in scorecard; please report it".into()),
    )
}
