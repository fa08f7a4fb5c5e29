//! Finishing: after the last block, the checks that need the whole table
//! (mixed period formats, duplicate key and period) and the rows they remove.

use super::*;

/// Where the rows of the table came from, to find a row's text and line again.
pub(super) enum Source<'b> {
    Csv(&'b [u8]),
    Ndjson(&'b [u8]),
    Json(&'b [u8], json::Elements),
    /// A CSV or NDJSON file read in blocks: read again, whole, the first
    /// time a row's text is asked for (only rows rejected as duplicates are).
    File(&'b Path, DataFormat, std::cell::OnceCell<Vec<u8>>),
}

impl Source<'_> {
    /// The file line of a table row (`Table::lines` numbers JSON rows by element).
    pub(super) fn line(&self, row: u64) -> u64 {
        match self {
            Source::Json(_, elements) => usize::try_from(row)
                .ok()
                .and_then(|r| elements.lines.get(r.checked_sub(1)?))
                .copied()
                .unwrap_or(row),
            _ => row,
        }
    }

    /// The text of a table row.
    pub(super) fn text(&self, row: u64) -> String {
        match self {
            Source::File(path, format, bytes) => {
                let bytes = bytes.get_or_init(|| std::fs::read(path).unwrap_or_default());
                match format {
                    DataFormat::Csv => Source::Csv(bytes).text(row),
                    _ => Source::Ndjson(bytes).text(row),
                }
            }
            Source::Csv(bytes) => csv_fast::record_at_line(bytes, row),
            Source::Ndjson(bytes) => {
                let line = bytes
                    .split(|b| *b == b'\n')
                    .nth(usize::try_from(row).unwrap_or(usize::MAX).saturating_sub(1))
                    .unwrap_or_default();
                String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line)).into_owned()
            }
            Source::Json(bytes, elements) => usize::try_from(row)
                .ok()
                .and_then(|r| elements.spans.get(r.checked_sub(1)?))
                .and_then(|&(a, b)| bytes.get(a..b))
                .map(|t| String::from_utf8_lossy(t).into_owned())
                .unwrap_or_default(),
        }
    }
}

/// The file's problems, or the table with duplicates found and the policy applied.
pub(super) fn finish(
    found: Found,
    columns: Columns,
    reader: &Reader<'_>,
    source: &Source<'_>,
) -> Result<Loaded, LoadError> {
    let policy = reader.policy;
    let specs = reader.specs;
    let (mut file_problems, file_count) = if found.utf8_problem_count > 0 {
        (found.utf8_problems, found.utf8_problem_count)
    } else {
        (found.file_problems, found.file_problem_count)
    };
    if file_count > 0 {
        file_problems.sort_by_key(|p| p.line);
        return Err(unreadable(file_problems, file_count));
    }
    if found.overflow {
        // Only lines ending in a lone CR make more rows than lines, and those
        // are problems of the file, returned above.
        return Err(LoadError::Io(std::io::Error::other(
            "internal error: more rows than lines",
        )));
    }
    let (columns, lines, offsets) = columns.into_table(reader.targets, found.stored, found.texts);
    let mut table = Table {
        rows: found.stored,
        columns,
        lines,
        offsets,
    };
    let duplicates = if found.keys.sorted {
        Vec::new()
    } else {
        find_duplicates(specs, &table, &found.keys.unstored)
    };
    let mut problems = found.problems;
    let mut total = found.problem_count;
    let mut rejected = found.rejected;
    let mut dropped = Vec::new();
    for duplicate in duplicates {
        let line = source.line(duplicate.row);
        let message = match &duplicate.period {
            Some(period) => format!(
                "a second row for key `{}` and period `{period}`: the first is on line {}",
                duplicate.key,
                source.line(duplicate.first)
            ),
            None => format!(
                "a second row for key `{}`: the first is on line {}",
                duplicate.key,
                source.line(duplicate.first)
            ),
        };
        let help = if duplicate.period.is_some() {
            "keep one row per partner and period"
        } else {
            "keep one row per partner, or declare the period column in the input block"
        };
        let problem = DataProblem::new(Code::D011, line, message, help);
        total += 1;
        match policy {
            OnInvalid::Fail => problems.push(problem),
            OnInvalid::Skip => match duplicate.table_row {
                Some(r) => {
                    dropped.push(r);
                    rejected.push(Rejected {
                        line,
                        row_text: source.text(duplicate.row),
                        problems: vec![problem],
                    });
                }
                None => {
                    if let Some(r) = rejected.iter_mut().find(|r| r.line == line) {
                        r.problems.push(problem);
                    }
                }
            },
        }
    }
    if let Some(problem) = mixed_periods(specs, &table, source) {
        // Which rows are right is unclear: no row is skipped.
        if policy == OnInvalid::Skip {
            return Err(LoadError::Invalid(vec![problem], 1));
        }
        problems.push(problem);
        total += 1;
    }
    match policy {
        OnInvalid::Fail => {
            if total > 0 {
                problems.sort_by_key(|p| (p.line, p.field.unwrap_or(0)));
                problems.truncate(MAX_PROBLEMS);
                return Err(LoadError::Invalid(problems, total));
            }
        }
        OnInvalid::Skip => {
            remove_rows(&mut table, &dropped);
            rejected.sort_by_key(|r| r.line);
        }
    }
    Ok(Loaded {
        read: found.read,
        table,
        rejected,
    })
}

/// Period labels written in two formats (`2025Q1` and `2025-01`), which can
/// be neither counted nor ordered: the first two, at the later one's line.
pub(super) fn mixed_periods(
    specs: &[Spec],
    table: &Table,
    source: &Source<'_>,
) -> Option<DataProblem> {
    let i = specs.iter().position(|s| s.role == Role::Period)?;
    let Some(Column::Text(periods)) = table.columns.get(i) else {
        return None;
    };
    let (a, b) =
        crate::data::period::mixed_period_formats((0..table.rows).map(|r| periods.get(r)))?;
    let (first, second) = (periods.get(a), periods.get(b));
    let line = |r: usize| source.line(table.lines.get(r).copied().unwrap_or(0));
    let form = |label: &str| crate::data::period::period_format(label).0.described();
    let name = specs.get(i).map_or("", |s| s.name.as_str());
    Some(
        DataProblem::new(
            Code::D025,
            line(b),
            format!(
                "period `{second}` is {}, but `{first}` on line {} is {}",
                form(second),
                line(a),
                form(first)
            ),
            "write every period in one form — quarters such as `2025Q1`, months such as \
             `2025-01` or years such as `2025` — so that periods sort in time order and \
             `tenure` can count them",
        )
        .column(name)
        .value(second),
    )
}

/// A row whose key and period an earlier row already has.
pub(super) struct Duplicate {
    /// `Table::lines` numbering, of this row and of the first.
    pub(super) row: u64,
    pub(super) first: u64,
    pub(super) key: String,
    pub(super) period: Option<String>,
    /// Its index in the table, if it is there.
    pub(super) table_row: Option<usize>,
}

/// Every repeated (key, period), in row order, among the table's rows and the
/// rows not stored (which the caller passes in row order).
pub(super) fn find_duplicates(
    specs: &[Spec],
    table: &Table,
    unstored: &[(u64, String, String)],
) -> Vec<Duplicate> {
    let text = |role| {
        specs
            .iter()
            .position(|s| s.role == role)
            .and_then(|i| match table.columns.get(i) {
                Some(Column::Text(t)) => Some(t),
                _ => None,
            })
    };
    let Some(keys) = text(Role::Key) else {
        return Vec::new();
    };
    let periods = text(Role::Period);
    let has_period = specs.iter().any(|s| s.role == Role::Period);
    let mut seen: HashMap<(&str, &str), u64> = HashMap::with_capacity(table.rows + unstored.len());
    let mut duplicates = Vec::new();
    let (mut i, mut j) = (0, 0);
    loop {
        let stored = table.lines.get(i).copied();
        let other = unstored.get(j);
        let (row, key, period, table_row) = match (stored, other) {
            (Some(line), Some((l, ..))) if line < *l => {
                i += 1;
                (
                    line,
                    keys.get(i - 1),
                    periods.map_or("", |p| p.get(i - 1)),
                    Some(i - 1),
                )
            }
            (Some(line), None) => {
                i += 1;
                (
                    line,
                    keys.get(i - 1),
                    periods.map_or("", |p| p.get(i - 1)),
                    Some(i - 1),
                )
            }
            (_, Some((l, k, p))) => {
                j += 1;
                (*l, k.as_str(), p.as_str(), None)
            }
            (None, None) => break,
        };
        match seen.entry((key, period)) {
            Entry::Vacant(e) => {
                e.insert(row);
            }
            Entry::Occupied(e) => duplicates.push(Duplicate {
                row,
                first: *e.get(),
                key: key.to_string(),
                period: has_period.then(|| period.to_string()),
                table_row,
            }),
        }
    }
    duplicates
}

/// Remove rows (indexes in increasing order) from every column.
pub(super) fn remove_rows(table: &mut Table, drop: &[usize]) {
    if drop.is_empty() {
        return;
    }
    let mut keep = vec![true; table.rows];
    for &r in drop {
        if let Some(k) = keep.get_mut(r) {
            *k = false;
        }
    }
    for column in &mut table.columns {
        match column {
            Column::Number(v) => retain(v, &keep),
            Column::Int(v) => v.retain(&keep),
            Column::Bool(v) => retain(v, &keep),
            Column::Label(v) => retain(v, &keep),
            Column::Text(t) => {
                let mut kept = TextColumn::with_capacity(t.len(), 0);
                for (i, k) in keep.iter().enumerate() {
                    if *k {
                        kept.push(t.get(i));
                    }
                }
                *t = kept;
            }
            Column::Skipped => {}
        }
    }
    retain(&mut table.lines, &keep);
    if !table.offsets.is_empty() {
        retain(&mut table.offsets, &keep);
    }
    table.rows = table.lines.len();
}
